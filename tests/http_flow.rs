//! Whole conversations through the HTTP core on the host, as a client would hold them:
//! the same code the worker runs, minus workers-rs.

use mcp_worker::config::Config;
use mcp_worker::http::{Body, HttpRequest, Response};
use mcp_worker::testing::handle;
use serde_json::{json, Value};

const NOW: i64 = 1_800_000_000;

fn config() -> Config {
    Config::from_vars(&dice_mcp::SERVER, |name| {
        (name == "ALLOW_UNAUTHENTICATED").then(|| "true".to_owned())
    })
    .expect("valid")
}

fn post(body: Value, headers: &[(&str, &str)]) -> Response {
    let mut all = vec![
        ("content-type".to_owned(), "application/json".to_owned()),
        (
            "accept".to_owned(),
            "application/json, text/event-stream".to_owned(),
        ),
    ];
    all.extend(headers.iter().map(|(k, v)| (k.to_string(), v.to_string())));
    handle(
        &dice_mcp::SERVER,
        &config(),
        &HttpRequest {
            method: "POST".into(),
            path: "/mcp/".into(),
            headers: all.into(),
            body: Body::Bytes(body.to_string().into_bytes()),
            ..HttpRequest::default()
        },
        NOW,
    )
}

/// A POST to /mcp with the given body and only a JSON content type.
fn raw(body: Body) -> Response {
    raw_with_type("application/json", body)
}

/// A POST to /mcp with the given body and only this content type.
fn raw_with_type(content_type: &str, body: Body) -> Response {
    handle(
        &dice_mcp::SERVER,
        &config(),
        &HttpRequest {
            method: "POST".into(),
            path: "/mcp".into(),
            headers: vec![("content-type", content_type)].into(),
            body,
            ..HttpRequest::default()
        },
        NOW,
    )
}

fn json_of(r: &Response) -> Value {
    serde_json::from_slice(&r.body).expect("a JSON body")
}

#[test]
fn a_2025_11_25_conversation_from_initialize_to_a_roll() {
    let init = post(
        json!({"jsonrpc": "2.0", "id": 0, "method": "initialize",
               "params": {"protocolVersion": "2025-11-25", "capabilities": {},
                          "clientInfo": {"name": "t", "version": "1"}}}),
        &[],
    );
    assert_eq!(init.status, 200);
    let version = json_of(&init)["result"]["protocolVersion"].clone();
    assert_eq!(version, "2025-11-25");
    assert!(init.header("mcp-session-id").is_none());

    let h = [("mcp-protocol-version", "2025-11-25")];
    let note = post(
        json!({"jsonrpc": "2.0", "method": "notifications/initialized"}),
        &h,
    );
    assert_eq!((note.status, note.body.len()), (202, 0));

    let list = json_of(&post(
        json!({"jsonrpc": "2.0", "id": 1, "method": "tools/list"}),
        &h,
    ));
    assert_eq!(list["result"]["tools"][0]["name"], "roll_dice");

    let call = json_of(&post(
        json!({"jsonrpc": "2.0", "id": 2, "method": "tools/call",
               "params": {"name": "roll_dice", "arguments": {"n_dice": 3}}}),
        &h,
    ));
    assert_eq!(call["id"], 2);
    assert_eq!(
        call["result"]["structuredContent"]["result"]
            .as_array()
            .unwrap()
            .len(),
        3
    );
}

#[test]
fn a_2026_07_28_call_needs_no_handshake() {
    let r = post(
        json!({"jsonrpc": "2.0", "id": "a", "method": "tools/call",
               "params": {"name": "roll_dice", "arguments": {"n_dice": 2},
                          "_meta": {"io.modelcontextprotocol/protocolVersion": "2026-07-28",
                                    "io.modelcontextprotocol/clientCapabilities": {}}}}),
        &[
            ("mcp-protocol-version", "2026-07-28"),
            ("mcp-method", "tools/call"),
            ("mcp-name", "roll_dice"),
        ],
    );
    assert_eq!(r.status, 200);
    let v = json_of(&r);
    assert_eq!(v["result"]["resultType"], "complete");
    assert_eq!(
        v["result"]["_meta"]["io.modelcontextprotocol/serverInfo"]["name"],
        "dice-mcp"
    );
}

#[test]
fn a_body_marked_too_large_is_413_before_parsing() {
    let r = raw(Body::TooLarge);
    assert_eq!(r.status, 413);
}

#[test]
fn deep_nesting_is_a_parse_error_not_a_crash() {
    let deep = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
    let r = raw(Body::Bytes(deep.into_bytes()));
    assert_eq!(r.status, 400);
    assert_eq!(json_of(&r)["error"]["code"], -32700);
}

#[test]
fn invalid_utf8_is_a_parse_error() {
    let r = raw(Body::Bytes(
        b"{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"\xff\"}".to_vec(),
    ));
    assert_eq!(r.status, 400);
    assert_eq!(json_of(&r)["error"]["code"], -32700);
}

#[test]
fn the_log_record_says_what_was_asked_and_how_it_ended() {
    let init = post(
        json!({"jsonrpc": "2.0", "id": 1, "method": "initialize",
               "params": {"protocolVersion": "2024-11-05", "capabilities": {},
                          "clientInfo": {"name": "t", "version": "1"}}}),
        &[],
    );
    assert_eq!(init.log.method.as_deref(), Some("initialize"));
    assert_eq!(
        init.log.protocol,
        Some("2024-11-05"),
        "the negotiated revision"
    );

    let bad_args = post(
        json!({"jsonrpc": "2.0", "id": 2, "method": "tools/call",
               "params": {"name": "roll_dice", "arguments": {"n_dice": 0}}}),
        &[("mcp-protocol-version", "2025-11-25")],
    );
    let log = &bad_args.log;
    assert_eq!(log.status, 200);
    assert_eq!(log.tool.as_deref(), Some("roll_dice"));
    assert!(log.tool_error);
    assert_eq!(log.rpc_error, None);

    let unknown = post(
        json!({"jsonrpc": "2.0", "id": 3, "method": "nope"}),
        &[("mcp-protocol-version", "2025-11-25")],
    );
    assert_eq!(unknown.log.rpc_error, Some(-32601));

    let batch = post(
        json!([{"jsonrpc": "2.0", "id": 4, "method": "ping"},
               {"jsonrpc": "2.0", "method": "notifications/initialized"}]),
        &[],
    );
    assert_eq!(
        (batch.log.batch, batch.log.method.as_deref()),
        (Some(2), None)
    );

    let wrong_type = raw_with_type("text/plain", Body::Bytes(b"{}".to_vec()));
    assert_eq!(wrong_type.log.status, 415);
    assert!(wrong_type
        .log
        .reason
        .as_deref()
        .unwrap()
        .contains("Content-Type"));
}

/// `testing::Client`, the host client any app's tests can use, through this server.
#[test]
fn the_testing_client_speaks_each_revision_through_the_whole_pipeline() {
    use mcp_worker::testing::Client;
    let roll = json!({"name": "roll_dice", "arguments": {"n_dice": 3}});
    for version in ["2025-11-25", "2026-07-28"] {
        let client = Client::new(&dice_mcp::SERVER).protocol(version);
        let answer = client.call("tools/call", roll.clone());
        assert_eq!(answer.status, 200, "{version}: {answer:?}");
        let dice = answer.result()["structuredContent"]["result"].clone();
        assert_eq!(
            dice.as_array().map(Vec::len),
            Some(3),
            "{version}: {answer:?}"
        );
    }
    // 2026-07-28 errors carry their HTTP status.
    let unknown = Client::new(&dice_mcp::SERVER)
        .protocol("2026-07-28")
        .call("tools/call", json!({"name": "nope", "arguments": {}}));
    assert_eq!((unknown.status, unknown.error_code()), (400, Some(-32602)));
    // Authentication back on, and no key: the worker's fail-closed 500.
    let keyless = Client::new(&dice_mcp::SERVER)
        .var("ALLOW_UNAUTHENTICATED", "")
        .call("tools/list", json!({}));
    assert_eq!(keyless.status, 500, "{keyless:?}");
    assert_eq!(keyless.body["error"], "server_misconfigured");
}
