//! The fixture tools the conformance suite's `tools-*` and `json-schema-2020-12`
//! scenarios call, with the contents they check.

use mcp_worker::tools::{
    CallResult, Content, Context, FetchRequest, NoArgs, Schema, Tool, ToolError,
};
use serde::Deserialize;
use serde_json::{json, Map, Value};

/// A 1×1 PNG.
const PNG_BASE64: &str = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==";

/// A short WAV file: 8 kHz, 8-bit mono, 8 samples of silence.
fn wav() -> Vec<u8> {
    let samples = [128u8; 8];
    let mut w = Vec::with_capacity(44 + samples.len());
    w.extend_from_slice(b"RIFF");
    w.extend_from_slice(&(36 + samples.len() as u32).to_le_bytes());
    w.extend_from_slice(b"WAVEfmt ");
    w.extend_from_slice(&16u32.to_le_bytes()); // fmt chunk size
    w.extend_from_slice(&1u16.to_le_bytes()); // PCM
    w.extend_from_slice(&1u16.to_le_bytes()); // mono
    w.extend_from_slice(&8000u32.to_le_bytes()); // sample rate
    w.extend_from_slice(&8000u32.to_le_bytes()); // byte rate
    w.extend_from_slice(&1u16.to_le_bytes()); // block align
    w.extend_from_slice(&8u16.to_le_bytes()); // bits per sample
    w.extend_from_slice(b"data");
    w.extend_from_slice(&(samples.len() as u32).to_le_bytes());
    w.extend_from_slice(&samples);
    w
}

pub struct SimpleText;

impl Tool for SimpleText {
    const NAME: &'static str = "test_simple_text";
    const DESCRIPTION: &'static str = "Tests simple text content response";
    type Args = NoArgs;
    type Output = &'static str;

    async fn call(&self, _: NoArgs, _: &Context) -> Result<&'static str, ToolError> {
        Ok("This is a simple text response for testing.")
    }
}

pub struct ImageContent;

impl Tool for ImageContent {
    const NAME: &'static str = "test_image_content";
    const DESCRIPTION: &'static str = "Tests image content response";
    type Args = NoArgs;
    type Output = Content;

    async fn call(&self, _: NoArgs, _: &Context) -> Result<Content, ToolError> {
        Ok(Content::image_base64(PNG_BASE64, "image/png"))
    }
}

pub struct AudioContent;

impl Tool for AudioContent {
    const NAME: &'static str = "test_audio_content";
    const DESCRIPTION: &'static str = "Tests audio content response";
    type Args = NoArgs;
    type Output = Content;

    async fn call(&self, _: NoArgs, _: &Context) -> Result<Content, ToolError> {
        Ok(Content::audio(&wav(), "audio/wav"))
    }
}

pub struct EmbeddedResource;

impl Tool for EmbeddedResource {
    const NAME: &'static str = "test_embedded_resource";
    const DESCRIPTION: &'static str = "Tests embedded resource content response";
    type Args = NoArgs;
    type Output = Content;

    async fn call(&self, _: NoArgs, _: &Context) -> Result<Content, ToolError> {
        Ok(Content::resource_text(
            "test://embedded-resource",
            "text/plain",
            "This is an embedded resource content.",
        ))
    }
}

pub struct MultipleContentTypes;

impl Tool for MultipleContentTypes {
    const NAME: &'static str = "test_multiple_content_types";
    const DESCRIPTION: &'static str =
        "Tests response with multiple content types (text, image, resource)";
    type Args = NoArgs;
    type Output = CallResult;

    async fn call(&self, _: NoArgs, _: &Context) -> Result<CallResult, ToolError> {
        Ok(CallResult::text("Multiple content types test:")
            .with(Content::image_base64(PNG_BASE64, "image/png"))
            .with(Content::resource_text(
                "test://mixed-content-resource",
                "application/json",
                json!({"test": "data", "value": 123}).to_string(),
            )))
    }
}

pub struct ErrorHandling;

impl Tool for ErrorHandling {
    const NAME: &'static str = "test_error_handling";
    const DESCRIPTION: &'static str = "Tests error response handling";
    type Args = NoArgs;
    type Output = CallResult;

    async fn call(&self, _: NoArgs, _: &Context) -> Result<CallResult, ToolError> {
        Err(ToolError::new(
            "This tool intentionally returns an error for testing",
        ))
    }
}

pub struct JsonSchema202012;

/// A contact described with JSON Schema 2020-12 keywords (`$defs`, `$anchor`, `$ref`,
/// `allOf`/`anyOf`, `if`/`then`/`else`), which `tools/list` must publish as declared.
#[derive(Deserialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
#[allow(dead_code)] // the fixture only shows that such arguments deserialize
pub struct Contact {
    name: Option<String>,
    address: Option<Map<String, Value>>,
    #[serde(rename = "contactMethod")]
    contact_method: Option<String>,
    phone: Option<String>,
    email: Option<String>,
}

impl Schema for Contact {
    fn schema() -> Value {
        json!({
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "type": "object",
            "$defs": {
                "address": {
                    "$anchor": "addressDef",
                    "type": "object",
                    "properties": {
                        "street": { "type": "string" },
                        "city": { "type": "string" }
                    }
                }
            },
            "properties": {
                "name": { "type": "string" },
                "address": { "$ref": "#/$defs/address" },
                "contactMethod": { "type": "string", "enum": ["phone", "email"] },
                "phone": { "type": "string" },
                "email": { "type": "string" }
            },
            "allOf": [{ "anyOf": [{ "required": ["phone"] }, { "required": ["email"] }] }],
            "if": {
                "properties": { "contactMethod": { "const": "phone" } },
                "required": ["contactMethod"]
            },
            "then": { "required": ["phone"] },
            "else": { "required": ["email"] },
            "additionalProperties": false
        })
    }
}

impl Tool for JsonSchema202012 {
    const NAME: &'static str = "json_schema_2020_12_tool";
    const DESCRIPTION: &'static str = "Tool with JSON Schema 2020-12 features";
    type Args = Contact;
    type Output = &'static str;

    async fn call(&self, _: Contact, _: &Context) -> Result<&'static str, ToolError> {
        Ok("JSON Schema 2020-12 tool called")
    }
}

pub struct ToolWithProgress;

impl Tool for ToolWithProgress {
    const NAME: &'static str = "test_tool_with_progress";
    const DESCRIPTION: &'static str = "Tests progress notifications";
    type Args = NoArgs;
    type Output = &'static str;

    async fn call(&self, _: NoArgs, ctx: &Context) -> Result<&'static str, ToolError> {
        for step in [0.0, 50.0, 100.0] {
            ctx.progress(step, Some(100.0), Some("working"));
        }
        Ok("Progress test completed")
    }
}

pub struct ToolWithLogging;

impl Tool for ToolWithLogging {
    const NAME: &'static str = "test_tool_with_logging";
    const DESCRIPTION: &'static str = "Tests logging notifications during a call";
    type Args = NoArgs;
    type Output = &'static str;

    async fn call(&self, _: NoArgs, ctx: &Context) -> Result<&'static str, ToolError> {
        ctx.info("Tool execution started");
        ctx.info("Tool processing data");
        ctx.info("Tool execution completed");
        Ok("Logging test completed")
    }
}

pub struct LoggingTool;

impl Tool for LoggingTool {
    const NAME: &'static str = "test_logging_tool";
    const DESCRIPTION: &'static str =
        "Logs at info level; the client gets the messages only if its request asks for a log level";
    type Args = NoArgs;
    type Output = &'static str;

    async fn call(&self, _: NoArgs, ctx: &Context) -> Result<&'static str, ToolError> {
        ctx.info("test_logging_tool ran");
        Ok("Logging tool completed")
    }
}

pub struct ProgressThenWait;

/// Where the tool waits: a server of the test's, which answers `/release` only once the
/// test has seen the first progress notification.
#[derive(Deserialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct WaitArgs {
    url: String,
}

impl Schema for WaitArgs {
    fn schema() -> Value {
        json!({
            "type": "object",
            "properties": { "url": { "type": "string" } },
            "required": ["url"],
            "additionalProperties": false
        })
    }
}

impl Tool for ProgressThenWait {
    const NAME: &'static str = "progress_then_wait";
    const DESCRIPTION: &'static str =
        "Reports progress and waits for GET {url}/release, then /second, then /third, reporting progress before each";
    type Args = WaitArgs;
    type Output = &'static str;

    async fn call(&self, args: WaitArgs, ctx: &Context) -> Result<&'static str, ToolError> {
        ctx.progress(1.0, Some(3.0), Some("waiting for release"));
        ctx.fetch(FetchRequest::get(format!("{}/release", args.url)))
            .await?;
        ctx.progress(2.0, Some(3.0), Some("released"));
        ctx.fetch(FetchRequest::get(format!("{}/second", args.url)))
            .await?;
        ctx.progress(3.0, Some(3.0), Some("last step"));
        ctx.fetch(FetchRequest::get(format!("{}/third", args.url)))
            .await?;
        Ok("done")
    }
}
