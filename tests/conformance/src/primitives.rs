//! The resources, the template and the prompts the conformance suite's `resources-*`,
//! `prompts-*`, `completion-complete`, `caching` and
//! `input-required-result-non-tool-request` scenarios read, with the contents they check.

use mcp_worker::prompts::{Argument, Completer, Prompt, PromptError, PromptMessage, PromptResult};
use mcp_worker::resources::{
    Annotations, CacheHint, Completion, CompletionRequest, Icon, Resource, ResourceBody,
    ResourceContents, ResourceError, ResourceTemplate, Role,
};
use mcp_worker::tools::{BoxFuture, Content, Context, InputRequest, NoArgs, Schema};
use serde::Deserialize;
use serde_json::{json, Value};

/// A 1×1 PNG.
const PNG_BASE64: &str = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==";

pub struct StaticText;

impl Resource for StaticText {
    const URI: &'static str = "test://static-text";
    const NAME: &'static str = "static-text";
    const TITLE: Option<&'static str> = Some("Static text");
    const DESCRIPTION: &'static str = "A static text resource for testing";
    const MIME_TYPE: Option<&'static str> = Some("text/plain");
    const CACHE: CacheHint = CacheHint::public(60_000);
    const SIZE: Option<u64> = Some(48);
    const ANNOTATIONS: Annotations = Annotations {
        audience: &[Role::User, Role::Assistant],
        priority: Some(0.5),
        last_modified: Some("2026-01-01T00:00:00Z"),
    };
    const ICONS: &'static [Icon] = &[Icon {
        src: "data:image/png;base64,iVBORw0KGgo=",
        mime_type: Some("image/png"),
        sizes: &["16x16"],
        theme: None,
    }];
    type Output = &'static str;

    async fn read(&self, _: &Context) -> Result<&'static str, ResourceError> {
        Ok("This is the content of the static text resource.")
    }
}

pub struct StaticBinary;

impl Resource for StaticBinary {
    const URI: &'static str = "test://static-binary";
    const NAME: &'static str = "static-binary";
    const DESCRIPTION: &'static str = "A static binary resource (a PNG) for testing";
    const MIME_TYPE: Option<&'static str> = Some("image/png");
    type Output = ResourceContents;

    async fn read(&self, _: &Context) -> Result<ResourceContents, ResourceError> {
        Ok(ResourceContents {
            uri: Self::URI.into(),
            mime_type: Self::MIME_TYPE.map(Into::into),
            body: ResourceBody::Blob(PNG_BASE64.into()),
            meta: None,
        })
    }
}

/// What `resources-subscribe` names; subscriptions themselves need a session.
pub struct WatchedResource;

impl Resource for WatchedResource {
    const URI: &'static str = "test://watched-resource";
    const NAME: &'static str = "watched-resource";
    const DESCRIPTION: &'static str = "A resource the subscription scenarios name";
    const MIME_TYPE: Option<&'static str> = Some("text/plain");
    type Output = &'static str;

    async fn read(&self, _: &Context) -> Result<&'static str, ResourceError> {
        Ok("Watched resource content")
    }
}

pub struct TemplateData;

#[derive(Deserialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct IdVars {
    id: String,
}

impl Schema for IdVars {
    fn schema() -> Value {
        json!({
            "type": "object",
            "properties": { "id": { "type": "string", "minLength": 1 } },
            "required": ["id"],
            "additionalProperties": false
        })
    }
}

impl ResourceTemplate for TemplateData {
    const URI_TEMPLATE: &'static str = "test://template/{id}/data";
    const NAME: &'static str = "template-data";
    const DESCRIPTION: &'static str = "A resource template with an id parameter";
    const MIME_TYPE: Option<&'static str> = Some("application/json");
    type Vars = IdVars;
    type Output = String;

    fn completer(variable: &str) -> Completer {
        match variable {
            "id" => Completer::List(&["123", "456", "789"]),
            _ => Completer::None,
        }
    }

    async fn read(&self, _: &str, vars: IdVars, _: &Context) -> Result<String, ResourceError> {
        let id = vars.id;
        Ok(
            json!({ "id": id, "templateTest": true, "data": format!("Data for ID: {id}") })
                .to_string(),
        )
    }
}

pub struct SimplePrompt;

impl Prompt for SimplePrompt {
    const NAME: &'static str = "test_simple_prompt";
    const DESCRIPTION: &'static str = "A simple prompt without arguments";
    type Args = NoArgs;

    async fn get(&self, _: NoArgs, _: &Context) -> Result<PromptResult, PromptError> {
        Ok(PromptResult::user("This is a simple prompt for testing."))
    }
}

pub struct PromptWithArguments;

#[derive(Deserialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
pub struct TwoArgs {
    arg1: String,
    arg2: String,
}

impl Prompt for PromptWithArguments {
    const NAME: &'static str = "test_prompt_with_arguments";
    const DESCRIPTION: &'static str = "A prompt with required arguments";
    const ARGUMENTS: &'static [Argument] = &[
        Argument::required("arg1", "First test argument"),
        Argument::required("arg2", "Second test argument"),
    ];
    type Args = TwoArgs;

    fn completer(argument: &str) -> Completer {
        match argument {
            "arg1" => Completer::List(&["paris", "park", "party", "test", "testing"]),
            _ => Completer::None,
        }
    }

    async fn get(&self, args: TwoArgs, _: &Context) -> Result<PromptResult, PromptError> {
        Ok(PromptResult::user(format!(
            "Prompt with arguments: arg1='{}', arg2='{}'",
            args.arg1, args.arg2
        )))
    }
}

pub struct PromptWithEmbeddedResource;

#[derive(Deserialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub struct ResourceArg {
    resource_uri: String,
}

impl Prompt for PromptWithEmbeddedResource {
    const NAME: &'static str = "test_prompt_with_embedded_resource";
    const DESCRIPTION: &'static str = "A prompt that includes an embedded resource";
    const ARGUMENTS: &'static [Argument] = &[Argument::required(
        "resourceUri",
        "URI of the resource to embed",
    )];
    type Args = ResourceArg;

    async fn get(&self, args: ResourceArg, _: &Context) -> Result<PromptResult, PromptError> {
        Ok(PromptResult::new(vec![
            PromptMessage::user(Content::resource_text(
                args.resource_uri,
                "text/plain",
                "Embedded resource content for testing.",
            )),
            PromptMessage::user(Content::text("Please process the embedded resource above.")),
        ]))
    }
}

pub struct PromptWithImage;

impl Prompt for PromptWithImage {
    const NAME: &'static str = "test_prompt_with_image";
    const DESCRIPTION: &'static str = "A prompt that includes image content";
    type Args = NoArgs;

    async fn get(&self, _: NoArgs, _: &Context) -> Result<PromptResult, PromptError> {
        Ok(PromptResult::new(vec![
            PromptMessage::user(Content::image_base64(PNG_BASE64, "image/png")),
            PromptMessage::user(Content::text("Please analyze the image above.")),
        ]))
    }
}

/// Asks for input from `prompts/get` (2026-07-28 `input_required` on a request that is
/// not a tool call).
pub struct InputRequiredPrompt;

impl Prompt for InputRequiredPrompt {
    const NAME: &'static str = "test_input_required_result_prompt";
    const DESCRIPTION: &'static str = "A prompt that asks the user for context first";
    const ASKS_FOR_INPUT: bool = true;
    type Args = NoArgs;

    async fn get(&self, _: NoArgs, ctx: &Context) -> Result<PromptResult, PromptError> {
        let answer = ctx.input(
            "user_context",
            InputRequest::elicit(
                "What context should the prompt use?",
                json!({
                    "type": "object",
                    "properties": { "context": { "type": "string" } },
                    "required": ["context"]
                }),
            ),
        )?;
        let context = answer["content"]["context"].as_str().unwrap_or("(none)");
        Ok(PromptResult::user(format!("Use this context: {context}")))
    }
}

/// A resource that needs a scope of its own: a caller without `plans:read` gets the
/// `insufficient_scope` challenge before `read` runs.
pub struct ScopedPlans;

impl Resource for ScopedPlans {
    const URI: &'static str = "test://scoped/plans";
    const NAME: &'static str = "scoped-plans";
    const DESCRIPTION: &'static str = "A resource only tokens with plans:read may read";
    const MIME_TYPE: Option<&'static str> = Some("text/plain");
    const SCOPES: &'static [&'static str] = &["plans:read"];
    type Output = String;

    async fn read(&self, ctx: &Context) -> Result<String, ResourceError> {
        let who = ctx.caller().and_then(|c| c.subject.as_deref());
        Ok(format!("the plans, for {}", who.unwrap_or("nobody")))
    }
}

/// A prompt that needs a scope of its own, with an argument whose completion needs it too.
pub struct ScopedBriefing;

#[derive(Deserialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
pub struct Topic {
    topic: Option<String>,
}

impl Prompt for ScopedBriefing {
    const NAME: &'static str = "test_scoped_prompt";
    const DESCRIPTION: &'static str = "A prompt only tokens with brief may get";
    const SCOPES: &'static [&'static str] = &["brief"];
    const ARGUMENTS: &'static [Argument] = &[Argument::optional("topic", "What about")];
    type Args = Topic;

    fn completer(argument: &str) -> Completer {
        match argument {
            "topic" => Completer::List(&["dice", "cards"]),
            _ => Completer::None,
        }
    }

    async fn get(&self, args: Topic, _: &Context) -> Result<PromptResult, PromptError> {
        Ok(PromptResult::user(format!(
            "Brief me on {}.",
            args.topic.as_deref().unwrap_or("everything")
        )))
    }
}

/// A template with typed variables: `count` and `sides` arrive as strings in the URI and
/// are read as the integers the schema says before `read` runs.
pub struct DiceNotation;

#[derive(Deserialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct Notation {
    #[cfg_attr(test, schemars(range(min = 1, max = 100)))]
    count: u32,
    #[cfg_attr(test, schemars(range(min = 2, max = 1000)))]
    sides: u32,
}

impl Schema for Notation {
    fn schema() -> Value {
        json!({
            "type": "object",
            "properties": {
                "count": { "type": "integer", "format": "uint32", "minimum": 1, "maximum": 100 },
                "sides": { "type": "integer", "format": "uint32", "minimum": 2, "maximum": 1000 }
            },
            "required": ["count", "sides"],
            "additionalProperties": false
        })
    }
}

impl ResourceTemplate for DiceNotation {
    const URI_TEMPLATE: &'static str = "test://dice/{count}d{sides}";
    const NAME: &'static str = "dice-notation";
    const DESCRIPTION: &'static str = "What a roll in dice notation can come to (typed variables)";
    const MIME_TYPE: Option<&'static str> = Some("application/json");
    type Vars = Notation;
    type Output = String;

    async fn read(&self, _: &str, n: Notation, _: &Context) -> Result<String, ResourceError> {
        Ok(json!({
            "count": n.count,
            "sides": n.sides,
            "min": n.count,
            "max": u64::from(n.count) * u64::from(n.sides),
        })
        .to_string())
    }
}

/// A template with a reserved expansion: `{+path}` matches `/` too.
pub struct FilePath;

#[derive(Deserialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct PathVar {
    #[cfg_attr(test, schemars(length(max = 256)))]
    path: String,
}

impl Schema for PathVar {
    fn schema() -> Value {
        json!({
            "type": "object",
            "properties": { "path": { "type": "string", "maxLength": 256 } },
            "required": ["path"],
            "additionalProperties": false
        })
    }
}

impl ResourceTemplate for FilePath {
    const URI_TEMPLATE: &'static str = "test://files/{+path}";
    const NAME: &'static str = "file-path";
    const DESCRIPTION: &'static str = "Echoes a path of several segments ({+path})";
    const MIME_TYPE: Option<&'static str> = Some("text/plain");
    type Vars = PathVar;
    type Output = String;

    async fn read(&self, _: &str, v: PathVar, _: &Context) -> Result<String, ResourceError> {
        if v.path.split('/').any(|segment| segment == "..") {
            return Err(ResourceError::invalid("a path may not climb with '..'"));
        }
        Ok(format!("path: {}", v.path))
    }
}

/// A template with a fragment expansion, `{#section}`, whose completer asks the client
/// for input: no revision lets a completion do that, so the client is told so.
pub struct ManualSection;

#[derive(Deserialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct SectionVar {
    #[cfg_attr(test, schemars(length(min = 1, max = 64)))]
    section: String,
}

impl Schema for SectionVar {
    fn schema() -> Value {
        json!({
            "type": "object",
            "properties": { "section": { "type": "string", "minLength": 1, "maxLength": 64 } },
            "required": ["section"],
            "additionalProperties": false
        })
    }
}

fn ask_which_section<'a>(
    _: &'a CompletionRequest,
    ctx: &'a Context,
) -> BoxFuture<'a, Result<Completion, ResourceError>> {
    Box::pin(async move {
        let answer = ctx.input(
            "section",
            InputRequest::elicit(
                "Which section?",
                json!({"type": "object", "properties": {"section": {"type": "string"}}}),
            ),
        )?;
        let section = answer["content"]["section"].as_str().unwrap_or_default();
        Ok(Completion::from_values(vec![section.to_owned()]))
    })
}

impl ResourceTemplate for ManualSection {
    const URI_TEMPLATE: &'static str = "test://manual{#section}";
    const NAME: &'static str = "manual-section";
    const DESCRIPTION: &'static str = "One section of the manual ({#section})";
    const MIME_TYPE: Option<&'static str> = Some("text/plain");
    type Vars = SectionVar;
    type Output = String;

    fn completer(variable: &str) -> Completer {
        match variable {
            "section" => Completer::Dynamic(ask_which_section),
            _ => Completer::None,
        }
    }

    async fn read(&self, _: &str, v: SectionVar, _: &Context) -> Result<String, ResourceError> {
        Ok(format!("section: {}", v.section))
    }
}

/// A resource whose read asks the user to confirm first (2026-07-28 `input_required` on
/// `resources/read`); older clients are told which revision it takes.
pub struct ConfirmedResource;

impl Resource for ConfirmedResource {
    const URI: &'static str = "test://confirmed";
    const NAME: &'static str = "confirmed";
    const DESCRIPTION: &'static str = "A resource read only after the user confirms";
    const MIME_TYPE: Option<&'static str> = Some("text/plain");
    const ASKS_FOR_INPUT: bool = true;
    type Output = &'static str;

    async fn read(&self, ctx: &Context) -> Result<&'static str, ResourceError> {
        let answer = ctx.input(
            "confirm",
            InputRequest::elicit(
                "Read the confirmed resource?",
                json!({"type": "object", "properties": {"ok": {"type": "boolean"}}}),
            ),
        )?;
        if answer["action"] == "accept" {
            Ok("confirmed content")
        } else {
            Err(ResourceError::invalid("the user did not confirm"))
        }
    }
}
