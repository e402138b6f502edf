//! The dice server's MCP Apps view through the HTTP core on the host: served as a resource
//! by the registry path that links no template or prompt code (the product's upload).

use mcp_worker::config::Config;
use mcp_worker::http::{Body, HttpRequest};
use mcp_worker::mcp::Server;
use mcp_worker::prompts::{self, Argument, Completer, Context, Prompt, PromptError, PromptResult};
use mcp_worker::resources;
use mcp_worker::testing::{block_on, TestPlatform};
use serde_json::{json, Value};
use std::rc::Rc;

const VIEW: &str = "ui://dice-mcp/dice-v1.html";

fn rpc(method: &str, params: Value) -> Value {
    rpc_to(&dice_mcp::SERVER, method, params)
}

fn rpc_to(server: &'static Server, method: &str, params: Value) -> Value {
    let config = Config::from_vars(&dice_mcp::SERVER, |name| {
        (name == "ALLOW_UNAUTHENTICATED").then(|| "true".to_owned())
    })
    .expect("valid");
    let body = json!({"jsonrpc": "2.0", "id": 1, "method": method, "params": params});
    let response = block_on(mcp_worker::http::handle(
        server,
        &config,
        &HttpRequest {
            method: "POST".into(),
            path: "/mcp/".into(),
            query: String::new(),
            headers: vec![
                ("content-type", "application/json"),
                ("accept", "application/json, text/event-stream"),
                ("mcp-protocol-version", "2025-11-25"),
            ]
            .into(),
            body: Body::Bytes(body.to_string().into_bytes()),
            ..HttpRequest::default()
        },
        1_800_000_000,
        Rc::new(TestPlatform::default()),
    ));
    serde_json::from_slice(&response.body).expect("a JSON body")
}

#[test]
fn the_view_is_listed_and_read_with_its_meta() {
    // The product's view, found by its URI: resources the product gains break nothing here.
    let listed = rpc("resources/list", json!({}));
    let resources = listed["result"]["resources"].as_array().unwrap();
    let view = resources
        .iter()
        .find(|r| r["uri"] == VIEW)
        .expect("the view is listed");
    assert_eq!(view["mimeType"], "text/html;profile=mcp-app");
    let read = rpc("resources/read", json!({"uri": VIEW}));
    let contents = &read["result"]["contents"][0];
    assert!(contents["text"]
        .as_str()
        .unwrap()
        .starts_with("<!doctype html>"));
    assert_eq!(contents["_meta"], view["_meta"]);
    assert_eq!(
        contents["_meta"]["ui"]["csp"],
        json!({"connectDomains": [], "resourceDomains": []})
    );
}

/// A server with resources but no templates and no prompts, as the product is today: built
/// here, so that the product may gain templates or prompts without breaking this test.
static VIEW_ONLY: resources::Registry = resources::Registry::new(&[&dice_mcp::dice::VIEW], &[]);
static WITHOUT_TEMPLATES_OR_PROMPTS: Server = Server::new("dice-mcp", "0")
    .tools(&dice_mcp::TOOLS)
    .resources(&VIEW_ONLY);

#[test]
fn without_templates_or_prompts_templates_list_empty_and_prompts_do_not_exist() {
    let rpc = |method: &str, params: Value| rpc_to(&WITHOUT_TEMPLATES_OR_PROMPTS, method, params);
    WITHOUT_TEMPLATES_OR_PROMPTS.assert_valid();
    let read = rpc("resources/read", json!({"uri": VIEW}));
    assert_eq!(read["result"]["contents"][0]["uri"], VIEW);
    let templates = rpc("resources/templates/list", json!({}));
    assert_eq!(templates["result"]["resourceTemplates"], json!([]));
    assert_eq!(rpc("prompts/list", json!({}))["error"]["code"], -32601);
    let missing = rpc(
        "resources/read",
        json!({"uri": "ui://dice-mcp/dice-v0.html"}),
    );
    assert_eq!(missing["error"]["code"], -32002);
    assert_eq!(
        missing["error"]["data"]["uri"],
        "ui://dice-mcp/dice-v0.html"
    );
    let complete = rpc(
        "completion/complete",
        json!({"ref": {"type": "ref/prompt", "name": "x"}, "argument": {"name": "a", "value": ""}}),
    );
    assert_eq!(complete["error"]["code"], -32601);
}

#[test]
fn roll_dice_names_its_view_and_keeps_the_seed_answer() {
    let tools = rpc("tools/list", json!({}));
    let dice = tools["result"]["tools"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["name"] == "roll_dice")
        .expect("roll_dice is listed");
    assert_eq!(dice["_meta"]["ui"]["resourceUri"], VIEW);
    assert_eq!(dice["_meta"]["openai/outputTemplate"], VIEW);
    let call = rpc(
        "tools/call",
        json!({"name": "roll_dice", "arguments": {"n_dice": 2}}),
    );
    let result = &call["result"];
    assert_eq!(
        result["structuredContent"]["result"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
    assert_eq!(
        result["content"][0]["text"],
        result["structuredContent"].to_string()
    );
    assert!(result.get("_meta").is_none());
}

struct Pick;

#[derive(serde::Deserialize)]
struct PickArgs {
    #[allow(dead_code)]
    side: String,
}

impl Prompt for Pick {
    const NAME: &'static str = "pick";
    const DESCRIPTION: &'static str = "Pick a side.";
    const ARGUMENTS: &'static [Argument] = &[Argument::required("side", "heads or tails")];
    type Args = PickArgs;
    fn completer(_: &str) -> Completer {
        Completer::List(&["heads", "tails"])
    }
    async fn get(&self, _: PickArgs, _: &Context) -> Result<PromptResult, PromptError> {
        Ok(PromptResult::user("Flip."))
    }
}

static PICK: prompts::Registry = prompts::Registry::new(&[&Pick]);
static WITH_PROMPTS: Server = Server::new("dice-mcp", "0")
    .tools(&dice_mcp::TOOLS)
    .resources(&VIEW_ONLY)
    .prompts(&PICK);

#[test]
fn views_beside_prompts_are_served_by_the_full_methods() {
    WITH_PROMPTS.assert_valid();
    let read = rpc_to(&WITH_PROMPTS, "resources/read", json!({"uri": VIEW}));
    assert_eq!(read["result"]["contents"][0]["uri"], VIEW);
    let listed = rpc_to(&WITH_PROMPTS, "prompts/list", json!({}));
    assert_eq!(listed["result"]["prompts"][0]["name"], "pick");
    let done = rpc_to(
        &WITH_PROMPTS,
        "completion/complete",
        json!({"ref": {"type": "ref/prompt", "name": "pick"}, "argument": {"name": "side", "value": "t"}}),
    );
    assert_eq!(done["result"]["completion"]["values"], json!(["tails"]));
}
