use mcp_worker::tools::{Context, FetchRequest, Schema, TaskSupport, Tool, ToolError};
use serde::Deserialize;
use serde_json::{json, Value};

/// Starts a report export at an upstream API and follows it until the file is ready:
/// minutes of work, so it runs as a task (docs/tasks.md) and the client polls for it.
pub struct ExportReport;

#[derive(Deserialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct ExportArgs {
    pub query: String,
}

impl Schema for ExportArgs {
    fn schema() -> Value {
        json!({
            "type": "object",
            "properties": { "query": { "type": "string", "minLength": 1, "maxLength": 500 } },
            "required": ["query"],
            "additionalProperties": false
        })
    }
}

/// Polls at most this many times (each poll waits upstream for news, see below).
const MAX_POLLS: u32 = 200;

impl Tool for ExportReport {
    const NAME: &'static str = "export_report";
    const DESCRIPTION: &'static str =
        "Export the rows matching a query as a report file and return its download link.";
    // Never answered in the request: a client without tasks is asked to declare them.
    const TASK_SUPPORT: TaskSupport = TaskSupport::Required;
    // The link is kept a day.
    const TASK_TTL_MS: u64 = 24 * 3600 * 1000;
    type Args = ExportArgs;
    type Output = String;

    async fn call(&self, args: ExportArgs, ctx: &Context) -> Result<String, ToolError> {
        let api = ctx.secret("EXPORT_API_URL")?;
        let start =
            FetchRequest::post_json(format!("{api}/exports"), &json!({ "query": args.query }));
        let job: Value = ctx.fetch(start).await?.json()?;
        let id = job["id"]
            .as_str()
            .ok_or_else(|| ToolError::new("The export API gave no job id."))?;
        for _ in 0..MAX_POLLS {
            // The API holds each poll until the job moves on (long polling), so the tool
            // needs no timer; the task's run awaits it in its Durable Object.
            let poll = FetchRequest::get(format!("{api}/exports/{id}?wait=30"));
            let status: Value = ctx.fetch(poll).await?.json()?;
            match status["state"].as_str() {
                Some("done") => {
                    let url = status["url"].as_str().unwrap_or_default();
                    return Ok(format!("The report is ready: {url}"));
                }
                Some("failed") => {
                    let why = status["error"].as_str().unwrap_or("no reason given");
                    return Err(ToolError::new(format!("The export failed: {why}")));
                }
                _ => {
                    // Shown to the client as the task's statusMessage.
                    let percent = status["progress"].as_f64().unwrap_or(0.0);
                    ctx.progress(
                        percent,
                        Some(100.0),
                        Some(&format!("exporting: {percent}%")),
                    );
                }
            }
        }
        Err(ToolError::new(
            "The export is taking too long; ask again later.",
        ))
    }
}
