//! The tasks extension (SEP-2663) through the MCP core on the host: the same server logic
//! and task object the worker runs, with tasks kept in memory
//! (`mcp_worker::testing::MemoryTasks`), alarms fired and the clock moved by the test.

use std::rc::Rc;
use std::sync::Arc;

use mcp_worker::auth::Principal;
use mcp_worker::mcp::post::{self, PostOutcome};
use mcp_worker::mcp::Server;
use mcp_worker::protocol::McpHeaders;
use mcp_worker::testing::{block_on, set_clock_ms, MemoryTasks, TestPlatform};
use mcp_worker::tools::{Context, InputRequest, NoArgs, Registry, TaskSupport, Tool, ToolError};
use serde_json::{json, Value};

const NOW: i64 = 1_800_000_000;
const TASKS_EXT: &str = "io.modelcontextprotocol/tasks";

struct Quick;
impl Tool for Quick {
    const NAME: &'static str = "quick";
    const DESCRIPTION: &'static str = "answers at once, as a task when it can";
    const TASK_SUPPORT: TaskSupport = TaskSupport::Optional;
    type Args = NoArgs;
    type Output = String;
    async fn call(&self, _: NoArgs, ctx: &Context) -> Result<String, ToolError> {
        Ok(format!("in task: {}", ctx.in_task()))
    }
}

struct Approve;
impl Tool for Approve {
    const NAME: &'static str = "approve";
    const DESCRIPTION: &'static str = "asks two questions, as a task only";
    const TASK_SUPPORT: TaskSupport = TaskSupport::Required;
    const ASKS_FOR_INPUT: bool = true;
    type Args = NoArgs;
    type Output = String;
    async fn call(&self, _: NoArgs, ctx: &Context) -> Result<String, ToolError> {
        let form = || InputRequest::elicit("ok?", json!({"type": "object", "properties": {}}));
        let a = ctx.input("a", form());
        let b = ctx.input("b", form());
        let (a, b) = (a?, b?);
        Ok(format!("{} {}", a["action"], b["action"]))
    }
}

struct Broken;
impl Tool for Broken {
    const NAME: &'static str = "broken";
    const DESCRIPTION: &'static str = "a protocol error";
    const TASK_SUPPORT: TaskSupport = TaskSupport::Optional;
    type Args = NoArgs;
    type Output = String;
    async fn call(&self, _: NoArgs, ctx: &Context) -> Result<String, ToolError> {
        Err(ctx.protocol_error(-32603, "it broke"))
    }
}

struct Whoami;
impl Tool for Whoami {
    const NAME: &'static str = "whoami";
    const DESCRIPTION: &'static str = "the caller's subject, from a task";
    const TASK_SUPPORT: TaskSupport = TaskSupport::Required;
    const TASK_TTL_MS: u64 = 10_000;
    type Args = NoArgs;
    type Output = String;
    async fn call(&self, _: NoArgs, ctx: &Context) -> Result<String, ToolError> {
        let sub = ctx.caller().and_then(|c| c.subject.clone());
        Ok(sub.unwrap_or_default())
    }
}

/// Refuses in `prepare`, the check a tool makes before any work starts.
struct Guarded;
impl Tool for Guarded {
    const NAME: &'static str = "guarded";
    const DESCRIPTION: &'static str = "refused before it starts";
    const TASK_SUPPORT: TaskSupport = TaskSupport::Optional;
    type Args = NoArgs;
    type Output = String;
    async fn prepare(&self, _: &NoArgs, _: &Context) -> Result<(), ToolError> {
        Err(ToolError::new("not approved"))
    }
    async fn call(&self, _: NoArgs, _: &Context) -> Result<String, ToolError> {
        Ok("ran without its check".into())
    }
}

/// Waits for ever: a run of it only ends by being cut short.
struct Stuck;
impl Tool for Stuck {
    const NAME: &'static str = "stuck";
    const DESCRIPTION: &'static str = "never finishes";
    const TASK_SUPPORT: TaskSupport = TaskSupport::Required;
    type Args = NoArgs;
    type Output = String;
    async fn call(&self, _: NoArgs, _: &Context) -> Result<String, ToolError> {
        std::future::pending::<()>().await;
        Ok("unreachable".into())
    }
}

static TOOLS: Registry = Registry::new(&[&Quick, &Approve, &Broken, &Whoami, &Guarded, &Stuck]);
static BOUND: MemoryTasks = MemoryTasks {
    tools: &TOOLS,
    bound: true,
};
static UNBOUND: MemoryTasks = MemoryTasks {
    tools: &TOOLS,
    bound: false,
};
static SERVER: Server = Server::new("tasks-test", "0").tools(&TOOLS).tasks(&BOUND);
static NO_TASKS: Server = Server::new("tasks-test", "0").tools(&TOOLS);
static NO_BINDING: Server = Server::new("tasks-test", "0").tools(&TOOLS).tasks(&UNBOUND);

fn caller(sub: &str) -> Option<Arc<Principal>> {
    Some(Arc::new(Principal {
        subject: Some(sub.into()),
        ..Principal::default()
    }))
}

/// A caller whose token has no `sub`, only these claims (a client-credentials token).
fn token(claims: Value) -> Option<Arc<Principal>> {
    Some(Arc::new(Principal {
        subject: None,
        claims: claims.as_object().cloned().unwrap_or_default(),
        ..Principal::default()
    }))
}

/// Sends one 2026-07-28 request; `declare` puts the extension in its capabilities.
/// Answers the result, or `Err((code, error))`.
fn send(
    server: &'static Server,
    who: Option<Arc<Principal>>,
    method: &str,
    mut params: Value,
    declare: bool,
) -> Result<Value, (i64, Value)> {
    let caps = if declare {
        json!({ "extensions": { TASKS_EXT: {} }, "elicitation": {} })
    } else {
        json!({ "elicitation": {} })
    };
    params["_meta"] = json!({
        "io.modelcontextprotocol/protocolVersion": "2026-07-28",
        "io.modelcontextprotocol/clientCapabilities": caps,
    });
    let name = params
        .get("name")
        .or(params.get("taskId"))
        .and_then(Value::as_str)
        .map(str::to_owned);
    let body = json!({ "jsonrpc": "2.0", "id": 1, "method": method, "params": params });
    let request = post::Request {
        caller: who,
        platform: Rc::new(TestPlatform::default()),
        sse: false,
        now: NOW,
        input_state_key: Some(std::sync::Arc::from(
            &b"0123456789abcdef0123456789abcdef"[..],
        )),
        required_scopes: None,
    };
    let headers = McpHeaders {
        protocol_version: Some("2026-07-28"),
        method: Some(method),
        name: name.as_deref(),
        ..McpHeaders::default()
    };
    let handled = block_on(post::handle(
        server,
        &request,
        body.to_string().as_bytes(),
        &headers,
        true,
    ));
    let PostOutcome::Reply { body, .. } = handled.outcome else {
        panic!("a plain reply, got {:?}", handled.outcome);
    };
    match body.get("error") {
        Some(e) => Err((e["code"].as_i64().unwrap(), e.clone())),
        None => Ok(body["result"].clone()),
    }
}

fn start(who: &str, tool: &str) -> String {
    set_clock_ms(NOW as u64 * 1000);
    let created = send(
        &SERVER,
        caller(who),
        "tools/call",
        json!({"name": tool, "arguments": {}}),
        true,
    )
    .expect("a task");
    assert_eq!(created["resultType"], "task", "{created}");
    created["taskId"].as_str().unwrap().to_owned()
}

fn get(who: &str, id: &str) -> Result<Value, (i64, Value)> {
    send(
        &SERVER,
        caller(who),
        "tasks/get",
        json!({ "taskId": id }),
        true,
    )
}

#[test]
fn a_task_is_readable_at_once_and_completes_when_its_alarm_runs() {
    let id = start("alice", "quick");
    let working = get("alice", &id).unwrap();
    assert_eq!(working["status"], "working");
    assert_eq!(working["resultType"], "complete");
    assert!(working.get("result").is_none());
    MemoryTasks::run_alarms();
    let done = get("alice", &id).unwrap();
    assert_eq!(done["status"], "completed");
    assert_eq!(done["result"]["content"][0]["text"], "in task: true");
    assert_eq!(done["ttlMs"], 3_600_000);
    assert!(done["createdAt"]
        .as_str()
        .unwrap()
        .starts_with("2027-01-15T"));
}

#[test]
fn the_same_tool_answers_in_the_request_for_a_client_without_the_extension() {
    let r = send(
        &SERVER,
        caller("alice"),
        "tools/call",
        json!({"name": "quick", "arguments": {}}),
        false,
    )
    .unwrap();
    assert_eq!(r["resultType"], "complete");
    assert_eq!(r["content"][0]["text"], "in task: false");
    // Required: -32021 naming the extension.
    let (code, e) = send(
        &SERVER,
        caller("alice"),
        "tools/call",
        json!({"name": "approve", "arguments": {}}),
        false,
    )
    .unwrap_err();
    assert_eq!(code, -32021);
    assert!(e["data"]["requiredCapabilities"]["extensions"][TASKS_EXT].is_object());
}

#[test]
fn input_is_asked_through_the_task_and_answers_resume_it() {
    let id = start("alice", "approve");
    MemoryTasks::run_alarms();
    let waiting = get("alice", &id).unwrap();
    assert_eq!(waiting["status"], "input_required");
    let keys: Vec<&String> = waiting["inputRequests"]
        .as_object()
        .unwrap()
        .keys()
        .collect();
    assert_eq!(keys, ["a", "b"]);
    assert_eq!(
        waiting["inputRequests"]["a"]["method"],
        "elicitation/create"
    );
    let answer = |key: &str| {
        send(
            &SERVER,
            caller("alice"),
            "tasks/update",
            json!({"taskId": id, "inputResponses": { key: {"action": "accept", "content": {}}, "never-asked": {}}}),
            true,
        )
        .unwrap()
    };
    let ack = answer("a");
    assert_eq!(ack["resultType"], "complete");
    assert!(ack.get("status").is_none() && ack.get("taskId").is_none());
    MemoryTasks::run_alarms();
    let partial = get("alice", &id).unwrap();
    assert_eq!(partial["status"], "input_required");
    assert_eq!(
        partial["inputRequests"]
            .as_object()
            .unwrap()
            .keys()
            .collect::<Vec<_>>(),
        ["b"]
    );
    answer("b");
    assert_eq!(get("alice", &id).unwrap()["status"], "working");
    MemoryTasks::run_alarms();
    let done = get("alice", &id).unwrap();
    assert_eq!(done["status"], "completed");
    assert_eq!(
        done["result"]["content"][0]["text"],
        "\"accept\" \"accept\""
    );
}

#[test]
fn another_caller_is_told_the_task_is_unknown() {
    let id = start("alice", "approve");
    MemoryTasks::run_alarms();
    for method in ["tasks/get", "tasks/cancel", "tasks/update"] {
        let (code, e) = send(
            &SERVER,
            caller("bob"),
            method,
            json!({"taskId": id, "inputResponses": {"a": {"action": "accept"}}}),
            true,
        )
        .unwrap_err();
        assert_eq!(code, -32602, "{method}");
        assert!(!e.to_string().contains("elicitation"), "{e}");
    }
    // Nothing bob sent reached the task.
    let still = get("alice", &id).unwrap();
    assert_eq!(still["status"], "input_required");
    assert_eq!(still["inputRequests"].as_object().unwrap().len(), 2);
    // The tool saw its creator.
    let id = start("alice", "whoami");
    MemoryTasks::run_alarms();
    assert_eq!(
        get("alice", &id).unwrap()["result"]["content"][0]["text"],
        "alice"
    );
}

#[test]
fn cancelling_settles_to_cancelled_and_is_idempotent() {
    let id = start("alice", "approve");
    MemoryTasks::run_alarms();
    let cancel = || {
        send(
            &SERVER,
            caller("alice"),
            "tasks/cancel",
            json!({"taskId": id}),
            true,
        )
        .unwrap()
    };
    let ack = cancel();
    assert_eq!(ack["resultType"], "complete");
    assert!(ack.get("status").is_none() && ack.get("taskId").is_none());
    let t = get("alice", &id).unwrap();
    assert_eq!(t["status"], "cancelled");
    assert!(t.get("inputRequests").is_none());
    cancel();
    MemoryTasks::run_alarms();
    assert_eq!(get("alice", &id).unwrap()["status"], "cancelled");
}

#[test]
fn after_its_ttl_a_task_and_its_data_are_deleted() {
    let id = start("alice", "whoami");
    MemoryTasks::run_alarms();
    assert!(MemoryTasks::stored(&id).is_some());
    // The expiry alarm is due 10 s after creation.
    set_clock_ms(NOW as u64 * 1000 + 9_999);
    MemoryTasks::run_alarms();
    assert_eq!(get("alice", &id).unwrap()["status"], "completed");
    set_clock_ms(NOW as u64 * 1000 + 10_000);
    MemoryTasks::run_alarms();
    assert_eq!(MemoryTasks::stored(&id), None);
    assert_eq!(get("alice", &id).unwrap_err().0, -32602);
}

#[test]
fn an_expired_task_is_deleted_when_read_even_before_its_alarm() {
    let id = start("alice", "whoami");
    set_clock_ms(NOW as u64 * 1000 + 10_000);
    assert_eq!(get("alice", &id).unwrap_err().0, -32602);
    assert_eq!(MemoryTasks::stored(&id), None);
}

#[test]
fn a_task_survives_its_object_being_evicted() {
    let id = start("alice", "approve");
    MemoryTasks::evict_all(&TOOLS);
    MemoryTasks::run_alarms();
    MemoryTasks::evict_all(&TOOLS);
    assert_eq!(get("alice", &id).unwrap()["status"], "input_required");
}

#[test]
fn protocol_errors_fail_the_task_and_tool_errors_complete_it() {
    let id = start("alice", "broken");
    MemoryTasks::run_alarms();
    let t = get("alice", &id).unwrap();
    assert_eq!(t["status"], "failed");
    assert_eq!(t["error"]["code"], -32603);
    assert_eq!(t["error"]["message"], "it broke");
    assert!(t.get("result").is_none());
    // The same tool without a task: the request's JSON-RPC error.
    let (code, _) = send(
        &SERVER,
        caller("alice"),
        "tools/call",
        json!({"name": "broken", "arguments": {}}),
        false,
    )
    .unwrap_err();
    assert_eq!(code, -32603);
}

#[test]
fn task_methods_need_the_extension_and_a_known_id() {
    let id = start("alice", "quick");
    for method in ["tasks/get", "tasks/update", "tasks/cancel"] {
        let params = json!({"taskId": id, "inputResponses": {}});
        let (code, _) = send(&SERVER, caller("alice"), method, params, false).unwrap_err();
        assert_eq!(code, -32021, "{method}");
    }
    for bad in [
        "tasks-conformance-nonexistent-12345",
        "",
        "AAAAAAAAAAAAAAAAAAAAAA",
    ] {
        let (code, _) = get("alice", bad).unwrap_err();
        assert_eq!(code, -32602, "{bad:?}");
    }
    let (code, _) = send(&SERVER, caller("alice"), "tasks/get", json!({}), true).unwrap_err();
    assert_eq!(code, -32602);
    let params = json!({"taskId": id, "inputResponses": 5});
    let (code, _) = send(&SERVER, caller("alice"), "tasks/update", params, true).unwrap_err();
    assert_eq!(code, -32602);
    for removed in ["tasks/list", "tasks/result"] {
        let (code, _) = send(
            &SERVER,
            caller("alice"),
            removed,
            json!({"taskId": id}),
            true,
        )
        .unwrap_err();
        assert_eq!(code, -32601, "{removed}");
    }
}

#[test]
fn the_extension_is_advertised_only_with_a_binding() {
    let discover = |server: &'static Server| {
        send(server, None, "server/discover", json!({}), true).unwrap()["capabilities"].clone()
    };
    assert!(discover(&SERVER)["extensions"][TASKS_EXT].is_object());
    assert!(discover(&NO_BINDING).get("extensions").is_none());
    // Without it, a task-only tool names the binding; an optional one answers at once.
    let r = send(
        &NO_BINDING,
        None,
        "tools/call",
        json!({"name": "whoami", "arguments": {}}),
        true,
    )
    .unwrap();
    assert_eq!(r["isError"], true);
    assert!(r["content"][0]["text"].as_str().unwrap().contains("TASKS"));
    let r = send(
        &NO_BINDING,
        None,
        "tools/call",
        json!({"name": "quick", "arguments": {}}),
        true,
    )
    .unwrap();
    assert_eq!(r["content"][0]["text"], "in task: false");
}

#[test]
fn a_server_without_a_task_backend_refuses_task_only_tools() {
    let r = send(
        &NO_TASKS,
        None,
        "tools/call",
        json!({"name": "whoami", "arguments": {}}),
        true,
    )
    .unwrap();
    assert_eq!(r["isError"], true);
    assert!(r["content"][0]["text"]
        .as_str()
        .unwrap()
        .contains("keeps no tasks"));
    let (code, _) = send(&NO_TASKS, None, "tasks/get", json!({"taskId": "x"}), true).unwrap_err();
    assert_eq!(code, -32601);
}

#[test]
fn prepare_runs_before_call_when_a_task_tool_answers_in_the_request() {
    // With the extension the call stops in `prepare` and creates no task; without it,
    // or without a place to keep tasks, the call is answered in the request and
    // `prepare` still runs first.
    for (server, declare) in [
        (&SERVER, true),
        (&SERVER, false),
        (&NO_TASKS, true),
        (&NO_BINDING, true),
    ] {
        let r = send(
            server,
            caller("alice"),
            "tools/call",
            json!({"name": "guarded", "arguments": {}}),
            declare,
        )
        .unwrap();
        assert_eq!(r["isError"], true, "{r}");
        assert_eq!(r["content"][0]["text"], "not approved", "{r}");
    }
}

#[test]
fn callers_without_a_subject_are_told_apart_by_issuer_and_client() {
    set_clock_ms(NOW as u64 * 1000);
    let create = |who: Option<Arc<Principal>>, tool: &str| {
        send(
            &SERVER,
            who,
            "tools/call",
            json!({"name": tool, "arguments": {}}),
            true,
        )
        .unwrap()
    };
    let get_as = |who: Option<Arc<Principal>>, id: &str| {
        send(&SERVER, who, "tasks/get", json!({ "taskId": id }), true)
    };
    let a = || token(json!({"iss": "https://as.example", "client_id": "reports"}));
    let b = || token(json!({"iss": "https://as.example", "client_id": "billing"}));
    let b_azp = || token(json!({"iss": "https://as.example", "azp": "billing"}));
    let a_elsewhere = || token(json!({"iss": "https://other.example", "client_id": "reports"}));
    let created = create(a(), "whoami");
    let id = created["taskId"].as_str().expect("a task").to_owned();
    assert_eq!(get_as(a(), &id).unwrap()["status"], "working");
    for (who, other) in [(b(), "another client"), (a_elsewhere(), "another issuer")] {
        let (code, _) = get_as(who, &id).unwrap_err();
        assert_eq!(code, -32602, "{other}");
    }
    // `azp` names the client when `client_id` is absent.
    let id = create(b(), "whoami")["taskId"].as_str().unwrap().to_owned();
    assert_eq!(get_as(b_azp(), &id).unwrap()["status"], "working");
    // The same `sub` from another issuer is another owner.
    let alice = |iss: &str| {
        Some(Arc::new(Principal {
            subject: Some("alice".into()),
            claims: json!({"iss": iss}).as_object().cloned().unwrap(),
            ..Principal::default()
        }))
    };
    let id = create(alice("https://as.example"), "whoami")["taskId"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(
        get_as(alice("https://other.example"), &id).unwrap_err().0,
        -32602
    );
    // A token naming neither a subject nor a client owns no task: a task-only tool says
    // so, an optional one answers in the request, and no task is theirs to read.
    let nobody = || token(json!({"iss": "https://as.example"}));
    let r = create(nobody(), "whoami");
    assert_eq!(r["isError"], true, "{r}");
    assert!(
        r["content"][0]["text"]
            .as_str()
            .unwrap()
            .contains("client_id"),
        "{r}"
    );
    let r = create(nobody(), "quick");
    assert_eq!(r["content"][0]["text"], "in task: false", "{r}");
    assert_eq!(get_as(nobody(), &id).unwrap_err().0, -32602);
}

#[test]
fn a_task_only_tool_tells_a_legacy_client_the_revision_it_needs() {
    for version in ["2025-11-25", "2025-06-18", "2024-11-05"] {
        let body = json!({
            "jsonrpc": "2.0", "id": 1, "method": "tools/call",
            "params": {"name": "whoami", "arguments": {}},
        });
        let request = post::Request {
            caller: caller("alice"),
            platform: Rc::new(TestPlatform::default()),
            sse: false,
            now: NOW,
            input_state_key: None,
            required_scopes: None,
        };
        let headers = McpHeaders {
            protocol_version: Some(version),
            ..McpHeaders::default()
        };
        let handled = block_on(post::handle(
            &SERVER,
            &request,
            body.to_string().as_bytes(),
            &headers,
            true,
        ));
        let PostOutcome::Reply { body, .. } = handled.outcome else {
            panic!("a plain reply, got {:?}", handled.outcome);
        };
        // Not -32021: that code and the _meta it asks for do not exist before 2026-07-28.
        let r = &body["result"];
        assert_eq!(r["isError"], true, "{version}: {body}");
        let text = r["content"][0]["text"].as_str().unwrap();
        assert!(
            text.contains("2026-07-28") && text.contains(TASKS_EXT),
            "{text}"
        );
        assert!(text.contains(version), "{text}");
    }
}

#[test]
fn the_poll_interval_sent_is_the_one_the_cost_docs_count() {
    let poll = mcp_worker::tasks::POLL_INTERVAL_MS;
    let created = send(
        &SERVER,
        caller("alice"),
        "tools/call",
        json!({"name": "quick", "arguments": {}}),
        true,
    )
    .unwrap();
    assert_eq!(created["pollIntervalMs"], poll);
    // SEP-2663's examples suggest 5 s; a hint much shorter multiplies each task's
    // Durable Object requests (one per tasks/get) for clients that honour it.
    assert!((2_000..=5_000).contains(&poll), "{poll} ms");
    let docs = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/tasks.md"))
        .unwrap()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    let polls = 60_000 / poll;
    for claim in [
        format!("`pollIntervalMs: {poll}`"),
        format!("polls a one-minute job {polls} times"),
        format!("{} requests in all", polls + 3),
    ] {
        assert!(docs.contains(&claim), "docs/tasks.md should say {claim:?}");
    }
}

#[test]
fn after_three_runs_that_did_not_finish_the_task_ends_failed() {
    let id = start("alice", "stuck");
    // Each run is cut short while the tool waits; the alarm is retried, and the task
    // stays working for the next run.
    for run in 1..=mcp_worker::tasks::MAX_RUNS {
        MemoryTasks::cut_short_alarms(&TOOLS);
        let t = get("alice", &id).unwrap();
        assert_eq!(t["status"], "working", "after run {run}: {t}");
        let stored: Value = serde_json::from_str(&MemoryTasks::stored(&id).unwrap()).unwrap();
        assert_eq!(stored["unfinished_runs"], run, "{stored}");
    }
    // The fourth alarm does not start the work again: the task fails.
    MemoryTasks::run_alarms();
    let t = get("alice", &id).unwrap();
    assert_eq!(t["status"], "failed", "{t}");
    assert_eq!(t["error"]["code"], -32603);
    assert!(
        t["error"]["message"]
            .as_str()
            .unwrap()
            .contains("cut short 3 times"),
        "{t}"
    );
    assert!(t.get("result").is_none());
}
