use mcp_worker::tools::{Context, FetchRequest, Json, Schema, Tool, ToolError};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

/// Asks an upstream HTTP API a question with the server's API key, on behalf of the caller.
pub struct AskUpstream;

#[derive(Deserialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct Question {
    pub question: String,
}

impl Schema for Question {
    fn schema() -> Value {
        json!({
            "type": "object",
            "properties": {
                "question": { "type": "string", "minLength": 1, "maxLength": 500 }
            },
            "required": ["question"],
            "additionalProperties": false
        })
    }
}

#[derive(Serialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
pub struct Answer {
    pub answer: String,
    /// The token's subject: who asked.
    pub asked_by: Option<String>,
}

impl Schema for Answer {
    fn schema() -> Value {
        json!({
            "type": "object",
            "properties": {
                "answer": { "type": "string" },
                "asked_by": { "type": ["string", "null"], "description": "Who asked" }
            },
            "required": ["answer", "asked_by"]
        })
    }
}

impl Tool for AskUpstream {
    const NAME: &'static str = "ask_upstream";
    const DESCRIPTION: &'static str = "Ask the upstream service a question and return its answer.";
    // Tokens must grant this scope (beyond REQUIRED_SCOPES) to call this tool.
    const SCOPES: &'static [&'static str] = &["upstream:ask"];
    type Args = Question;
    type Output = Json<Answer>;

    async fn call(&self, args: Question, ctx: &Context) -> Result<Json<Answer>, ToolError> {
        let key = ctx.secret("UPSTREAM_API_KEY")?; // a tool error naming the secret if unset
        let url = ctx
            .var("UPSTREAM_URL")
            .unwrap_or_else(|| "https://api.example.com/answer".into());
        let asked_by = ctx.caller().and_then(|c| c.subject.clone());
        let request = FetchRequest::post_json(&url, &json!({ "question": args.question }))
            .header("authorization", format!("Bearer {key}"));
        let response = ctx.fetch(request).await?;
        if response.status != 200 {
            return Err(ToolError::new(format!(
                "The upstream service answered HTTP {}; try again later.",
                response.status
            )));
        }
        let body: Value = response.json()?;
        let answer = body["answer"].as_str().unwrap_or_default().to_owned();
        Ok(Json(Answer { answer, asked_by }))
    }
}
