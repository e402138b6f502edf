use mcp_worker::apps::{Csp, View, Visibility};
use mcp_worker::tools::{Context, Json, Schema, Tool, ToolError};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

/// A card with the greeting and a button that shouts it through `shout`.
pub static GREETING_VIEW: View = View {
    uri: "ui://dice-mcp-examples/greeting-v1.html",
    name: "greeting-view",
    title: Some("Greeting"),
    description: "Shows a greeting on a card, with a button that shouts it.",
    html: include_str!("greeting.html"),
    csp: Csp::NONE,
    prefers_border: true,
};

/// Greets someone; hosts that render views show the greeting on a card.
pub struct Greet;

/// Upper-cases a text. Only the greeting view calls it.
pub struct Shout;

#[derive(Deserialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct Name {
    pub name: String,
}

impl Schema for Name {
    fn schema() -> Value {
        json!({
            "type": "object",
            "properties": { "name": { "type": "string", "minLength": 1, "maxLength": 100 } },
            "required": ["name"],
            "additionalProperties": false
        })
    }
}

#[derive(Serialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
pub struct Greeting {
    pub greeting: String,
}

impl Schema for Greeting {
    fn schema() -> Value {
        json!({
            "type": "object",
            "properties": { "greeting": { "type": "string" } },
            "required": ["greeting"]
        })
    }
}

#[derive(Deserialize, Serialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct Text {
    pub text: String,
}

impl Schema for Text {
    fn schema() -> Value {
        json!({
            "type": "object",
            "properties": { "text": { "type": "string", "maxLength": 200 } },
            "required": ["text"],
            "additionalProperties": false
        })
    }
}

impl Tool for Greet {
    const NAME: &'static str = "say_hello";
    const DESCRIPTION: &'static str = "Greet someone by name.";
    const VIEW: Option<&'static View> = Some(&GREETING_VIEW);
    type Args = Name;
    type Output = Json<Greeting>;

    async fn call(&self, args: Name, _ctx: &Context) -> Result<Json<Greeting>, ToolError> {
        Ok(Json(Greeting {
            greeting: format!("Hello, {}!", args.name),
        }))
    }
}

impl Tool for Shout {
    const NAME: &'static str = "shout";
    const DESCRIPTION: &'static str = "Upper-case a greeting (called by the greeting view).";
    const VISIBILITY: Visibility = Visibility::App;
    type Args = Text;
    type Output = Json<Text>;

    async fn call(&self, args: Text, _ctx: &Context) -> Result<Json<Text>, ToolError> {
        Ok(Json(Text {
            text: args.text.to_uppercase(),
        }))
    }
}
