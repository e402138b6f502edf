//! Fixture tools of the conformance suite's `tasks-*` scenarios (SEP-2663), with the
//! behaviour each scenario checks, and `await_upstream`, which the e2e tests use to decide
//! when a task's work finishes.

use mcp_worker::tools::{
    Context, FetchRequest, InputRequest, NoArgs, Schema, TaskSupport, Tool, ToolError,
};
use serde::Deserialize;
use serde_json::{json, Value};

/// Waits `seconds` of wall time (a timer in the worker; nothing on the host, where
/// tests do not wait).
async fn sleep_secs(seconds: u64) {
    #[cfg(target_arch = "wasm32")]
    worker::Delay::from(std::time::Duration::from_secs(seconds)).await;
    #[cfg(not(target_arch = "wasm32"))]
    let _ = seconds;
}

#[derive(Deserialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
pub struct Name {
    pub name: String,
}

impl Schema for Name {
    fn schema() -> Value {
        json!({
            "type": "object",
            "properties": { "name": { "type": "string" } },
            "required": ["name"]
        })
    }
}

/// Sync only: the suite checks that it never becomes a task.
pub struct Greet;

impl Tool for Greet {
    const NAME: &'static str = "greet";
    const DESCRIPTION: &'static str = "Greets by name, at once (never a task)";
    type Args = Name;
    type Output = String;

    async fn call(&self, args: Name, _: &Context) -> Result<String, ToolError> {
        Ok(format!("Hello, {}!", args.name))
    }
}

#[derive(Deserialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
pub struct Compute {
    pub seconds: u64,
    #[serde(default)]
    pub label: Option<String>,
}

impl Schema for Compute {
    fn schema() -> Value {
        json!({
            "type": "object",
            "properties": {
                "seconds": { "type": "integer", "minimum": 0, "maximum": 600 },
                "label": { "type": "string" }
            },
            "required": ["seconds"]
        })
    }
}

/// Works for `seconds`, reporting each second as the task's status message.
pub struct SlowCompute;

impl Tool for SlowCompute {
    const NAME: &'static str = "slow_compute";
    const DESCRIPTION: &'static str =
        "Computes for `seconds` seconds, then answers; a task when the client supports tasks";
    const TASK_SUPPORT: TaskSupport = TaskSupport::Optional;
    type Args = Compute;
    type Output = String;

    async fn call(&self, args: Compute, ctx: &Context) -> Result<String, ToolError> {
        let label = args.label.unwrap_or_else(|| "job".into());
        for second in 0..args.seconds {
            ctx.progress(
                second as f64,
                Some(args.seconds as f64),
                Some(&format!("{label}: {second} of {} seconds", args.seconds)),
            );
            sleep_secs(1).await;
        }
        Ok(format!("{label} computed in {} seconds", args.seconds))
    }
}

/// A tool error after about a second: the task ends `completed` with `isError: true`.
/// Required: a client without the extension gets -32021 (`tasks-required-task-error`).
pub struct FailingJob;

impl Tool for FailingJob {
    const NAME: &'static str = "failing_job";
    const DESCRIPTION: &'static str = "Fails after a second with a tool error (tasks only)";
    const TASK_SUPPORT: TaskSupport = TaskSupport::Required;
    type Args = NoArgs;
    type Output = String;

    async fn call(&self, _: NoArgs, _: &Context) -> Result<String, ToolError> {
        sleep_secs(1).await;
        Err(ToolError::new("The job failed: the input data is invalid."))
    }
}

/// Ends in a JSON-RPC error: the task ends `failed` with `error`.
pub struct ProtocolErrorJob;

impl Tool for ProtocolErrorJob {
    const NAME: &'static str = "protocol_error_job";
    const DESCRIPTION: &'static str = "Fails with a protocol (JSON-RPC) error";
    const TASK_SUPPORT: TaskSupport = TaskSupport::Optional;
    type Args = NoArgs;
    type Output = String;

    async fn call(&self, _: NoArgs, ctx: &Context) -> Result<String, ToolError> {
        Err(ctx.protocol_error(-32603, "The job's worker crashed"))
    }
}

#[derive(Deserialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
pub struct File {
    pub filename: String,
}

impl Schema for File {
    fn schema() -> Value {
        json!({
            "type": "object",
            "properties": { "filename": { "type": "string" } },
            "required": ["filename"]
        })
    }
}

fn confirm(message: String) -> InputRequest {
    InputRequest::elicit(
        message,
        json!({ "type": "object", "properties": { "confirm": { "type": "boolean" } }, "required": ["confirm"] }),
    )
}

fn accepted(answer: &Value) -> bool {
    answer["action"] == "accept" && answer["content"]["confirm"] == true
}

/// Asks for confirmation inside the task (`input_required`, answered by `tasks/update`).
pub struct ConfirmDelete;

impl Tool for ConfirmDelete {
    const NAME: &'static str = "confirm_delete";
    const DESCRIPTION: &'static str = "Deletes a file once the user confirms";
    const TASK_SUPPORT: TaskSupport = TaskSupport::Optional;
    const ASKS_FOR_INPUT: bool = true;
    type Args = File;
    type Output = String;

    async fn call(&self, args: File, ctx: &Context) -> Result<String, ToolError> {
        let answer = ctx.input("confirm", confirm(format!("Delete {}?", args.filename)))?;
        Ok(if accepted(&answer) {
            format!("Deleted {}", args.filename)
        } else {
            format!("Kept {}", args.filename)
        })
    }
}

/// Asks two questions at once: both keys are pending together.
pub struct MultiInput;

impl Tool for MultiInput {
    const NAME: &'static str = "multi_input";
    const DESCRIPTION: &'static str = "Asks two questions at once, then answers with both";
    const TASK_SUPPORT: TaskSupport = TaskSupport::Optional;
    const ASKS_FOR_INPUT: bool = true;
    type Args = NoArgs;
    type Output = String;

    async fn call(&self, _: NoArgs, ctx: &Context) -> Result<String, ToolError> {
        let form = || {
            InputRequest::elicit(
                "Your name, please",
                json!({ "type": "object", "properties": { "name": { "type": "string" } } }),
            )
        };
        let first = ctx.input("first", form());
        let second = ctx.input("second", form());
        let (first, second) = (first?, second?);
        let name = |a: &Value| a["content"]["name"].as_str().unwrap_or("?").to_owned();
        Ok(format!(
            "first: {}, second: {}",
            name(&first),
            name(&second)
        ))
    }
}

fn name_form() -> InputRequest {
    InputRequest::elicit(
        "What is your name?",
        json!({ "type": "object", "properties": { "name": { "type": "string" } }, "required": ["name"] }),
    )
}

/// Asks for the user's name in the `tools/call` itself (2026-07-28 `input_required`),
/// then becomes a task that greets with it (`tasks-mrtr-composition`).
pub struct ToolWithTask;

impl Tool for ToolWithTask {
    const NAME: &'static str = "test_tool_with_task";
    const DESCRIPTION: &'static str = "Asks your name, then greets you from a task";
    const TASK_SUPPORT: TaskSupport = TaskSupport::Required;
    const ASKS_FOR_INPUT: bool = true;
    type Args = NoArgs;
    type Output = String;

    async fn prepare(&self, _: &NoArgs, ctx: &Context) -> Result<(), ToolError> {
        ctx.input("user_name", name_form()).map(|_| ())
    }

    async fn call(&self, _: NoArgs, ctx: &Context) -> Result<String, ToolError> {
        let answer = ctx.input("user_name", name_form())?;
        let name = answer["content"]["name"].as_str().unwrap_or("stranger");
        Ok(format!("Hello, {name}! (from a task)"))
    }
}

#[derive(Deserialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
pub struct Url {
    pub url: String,
}

impl Schema for Url {
    fn schema() -> Value {
        json!({
            "type": "object",
            "properties": { "url": { "type": "string" } },
            "required": ["url"]
        })
    }
}

/// Waits for `url` to answer, as a task: the e2e tests answer it when they choose, so
/// they decide when the work ends. The answer's body is the result.
pub struct AwaitUpstream;

impl Tool for AwaitUpstream {
    const NAME: &'static str = "await_upstream";
    const DESCRIPTION: &'static str = "Waits for a URL to answer and returns its body (tasks only)";
    const TASK_SUPPORT: TaskSupport = TaskSupport::Required;
    type Args = Url;
    type Output = String;

    async fn call(&self, args: Url, ctx: &Context) -> Result<String, ToolError> {
        ctx.progress(0.0, None, Some("waiting for the upstream"));
        let answer = ctx.fetch(FetchRequest::get(&args.url)).await?;
        if ctx.is_cancelled() {
            return Err(ToolError::new("cancelled"));
        }
        Ok(answer.text())
    }
}

/// Answers at once, and its task is kept only 2 seconds: the e2e tests watch it expire.
pub struct ShortLived;

impl Tool for ShortLived {
    const NAME: &'static str = "short_lived";
    const DESCRIPTION: &'static str =
        "Answers at once as a task that is deleted 2 seconds after it was created";
    const TASK_SUPPORT: TaskSupport = TaskSupport::Required;
    const TASK_TTL_MS: u64 = 2_000;
    type Args = NoArgs;
    type Output = &'static str;

    async fn call(&self, _: NoArgs, _: &Context) -> Result<&'static str, ToolError> {
        Ok("done")
    }
}
