//! The dice server's MCP Apps view through the HTTP core on the host: served as a resource
//! by the registry path that links no template or prompt code (the product's upload).

use dice_mcp::config::Config;
use dice_mcp::http::{Body, Request};
use dice_mcp::testing::handle;
use serde_json::{json, Value};

const VIEW: &str = "ui://dice-mcp/dice-v1.html";

fn rpc(method: &str, params: Value) -> Value {
    let config =
        Config::from_vars(|name| (name == "ALLOW_UNAUTHENTICATED").then(|| "true".to_owned()))
            .expect("valid");
    let body = json!({"jsonrpc": "2.0", "id": 1, "method": method, "params": params});
    let response = handle(
        &config,
        &Request {
            method: "POST".into(),
            path: "/mcp/".into(),
            headers: vec![
                ("content-type".into(), "application/json".into()),
                (
                    "accept".into(),
                    "application/json, text/event-stream".into(),
                ),
                ("mcp-protocol-version".into(), "2025-11-25".into()),
            ],
            body: Body::Bytes(body.to_string().into_bytes()),
            ..Request::default()
        },
        1_800_000_000,
    );
    serde_json::from_slice(&response.body).expect("a JSON body")
}

#[test]
fn the_view_is_listed_and_read_with_its_meta() {
    let listed = rpc("resources/list", json!({}));
    let resources = listed["result"]["resources"].as_array().unwrap();
    assert_eq!(resources.len(), 1);
    assert_eq!(resources[0]["uri"], VIEW);
    assert_eq!(resources[0]["mimeType"], "text/html;profile=mcp-app");
    let read = rpc("resources/read", json!({"uri": VIEW}));
    let contents = &read["result"]["contents"][0];
    assert!(contents["text"]
        .as_str()
        .unwrap()
        .starts_with("<!doctype html>"));
    assert_eq!(contents["_meta"], resources[0]["_meta"]);
    assert_eq!(
        contents["_meta"]["ui"]["csp"],
        json!({"connectDomains": [], "resourceDomains": []})
    );
}

#[test]
fn without_templates_or_prompts_templates_list_empty_and_prompts_do_not_exist() {
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
    let dice = &tools["result"]["tools"][0];
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
