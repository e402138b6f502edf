// starter/src/lib.rs: a new MCP server on mcp-worker (docs/start.md in its repository).

//! One tool, one resource, one prompt, and the worker entry. Rename them, add your own,
//! and keep the host tests at the bottom passing.

use mcp_worker::mcp::Server;
use mcp_worker::prompts::{self, Argument, Prompt, PromptError, PromptResult};
use mcp_worker::resources::{self, Resource, ResourceError};
use mcp_worker::tools::{Context, Registry, Schema, Tool, ToolError};
use serde::Deserialize;
use serde_json::{json, Value};

/// A tool: adds two numbers.
pub struct Add;

/// Its arguments, as a Rust type with the JSON Schema clients see declared beside it.
/// The schema is checked before `call` runs, so `call` gets only valid arguments.
#[derive(Deserialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct AddArgs {
    a: f64,
    b: f64,
}

impl Schema for AddArgs {
    fn schema() -> Value {
        json!({
            "type": "object",
            "properties": {
                "a": { "type": "number", "description": "The first number" },
                "b": { "type": "number", "description": "The second number" }
            },
            "required": ["a", "b"],
            "additionalProperties": false
        })
    }
}

impl Tool for Add {
    const NAME: &'static str = "add";
    const DESCRIPTION: &'static str = "Add two numbers, a and b, and return the sum.";
    type Args = AddArgs;
    type Output = String;

    async fn call(&self, args: AddArgs, _ctx: &Context) -> Result<String, ToolError> {
        let sum = args.a + args.b;
        if !sum.is_finite() {
            return Err(ToolError::new("The sum is too large; use smaller numbers."));
        }
        Ok(sum.to_string())
    }
}

/// A resource: a short text clients can read.
pub struct About;

impl Resource for About {
    const URI: &'static str = "docs://about";
    const NAME: &'static str = "about";
    const DESCRIPTION: &'static str = "What this server offers.";
    const MIME_TYPE: Option<&'static str> = Some("text/plain");
    type Output = &'static str;

    async fn read(&self, _ctx: &Context) -> Result<&'static str, ResourceError> {
        Ok("This server adds numbers with the add tool.")
    }
}

/// A prompt: a message template a person picks in their client.
pub struct Explain;

#[derive(Deserialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
pub struct ExplainArgs {
    topic: String,
}

impl Prompt for Explain {
    const NAME: &'static str = "explain";
    const DESCRIPTION: &'static str = "Ask for a short explanation of a topic.";
    const ARGUMENTS: &'static [Argument] = &[Argument::required("topic", "What to explain")];
    type Args = ExplainArgs;

    async fn get(&self, args: ExplainArgs, _ctx: &Context) -> Result<PromptResult, PromptError> {
        Ok(PromptResult::user(format!(
            "Explain {} in three sentences.",
            args.topic
        )))
    }
}

pub static TOOLS: Registry = Registry::new(&[&Add]);
// Resources first, then resource templates.
pub static RESOURCES: resources::Registry = resources::Registry::new(&[&About], &[]);
pub static PROMPTS: prompts::Registry = prompts::Registry::new(&[&Explain]);

pub static SERVER: Server = Server::new("my-mcp-server", env!("CARGO_PKG_VERSION"))
    .title("My MCP server")
    .instructions("Call add with two numbers to add them.")
    .tools(&TOOLS)
    .resources(&RESOURCES)
    .prompts(&PROMPTS);

// The worker's fetch handler: every request goes to SERVER.
mcp_worker::entry!(SERVER);

#[cfg(test)]
mod tests {
    use super::*;
    use mcp_worker::testing::{
        assert_prompt_arguments_match, assert_tool_schemas_match, call_tool, get_prompt,
        read_resource, Client, NoOutput,
    };
    use mcp_worker::tools::Content;

    #[test]
    fn the_server_is_valid() {
        SERVER.assert_valid();
    }

    /// The schemas written by hand say what the Rust types take.
    #[test]
    fn the_schemas_match_the_types() {
        let add = mcp_worker::derived_schema!(AddArgs);
        assert_tool_schemas_match(&Add, add, NoOutput);
        let explain = mcp_worker::derived_schema!(ExplainArgs);
        assert_prompt_arguments_match(&Explain, explain);
    }

    #[test]
    fn add_adds_and_refuses_what_is_not_a_number() {
        let out = call_tool(&Add, json!({"a": 2, "b": 3.5}));
        assert!(!out.is_error);
        assert_eq!(out.content, vec![Content::text("5.5")]);
        let bad = call_tool(&Add, json!({"a": "two", "b": 3}));
        assert!(bad.is_error);
    }

    #[test]
    fn about_reads_and_explain_fills_in_its_topic() {
        let contents = read_resource(&RESOURCES, "docs://about").unwrap();
        assert_eq!(contents[0].uri, "docs://about");
        let prompt = get_prompt(&Explain, json!({"topic": "dice"})).unwrap();
        assert_eq!(prompt.messages.len(), 1);
    }

    /// The whole server as a client meets it: the same pipeline the worker runs.
    #[test]
    fn a_client_lists_and_calls_the_tool() {
        let client = Client::new(&SERVER);
        let listed = client.call("tools/list", json!({}));
        assert_eq!(listed.result()["tools"][0]["name"], "add");
        let sum = client.call("tools/call", json!({"name": "add", "arguments": {"a": 1, "b": 2}}));
        assert_eq!(sum.result()["content"][0]["text"], "3");
        let unknown = client.call("tools/call", json!({"name": "nope", "arguments": {}}));
        assert_eq!(unknown.error_code(), Some(-32602));
    }
}
