//! The resources, the template and the prompts the conformance suite's `resources-*`,
//! `prompts-*`, `completion-complete`, `caching` and
//! `input-required-result-non-tool-request` scenarios read, with the contents they check.

use dice_mcp::prompts::{Argument, Completer, Prompt, PromptError, PromptMessage, PromptResult};
use dice_mcp::resources::{
    Annotations, CacheHint, Icon, Resource, ResourceBody, ResourceContents, ResourceError,
    ResourceTemplate, Role,
};
use dice_mcp::tools::{Content, Context, InputRequest, NoArgs, Schema};
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
