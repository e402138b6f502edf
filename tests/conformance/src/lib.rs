//! The conformance fixture worker: dice-mcp's core serving the tools the official MCP
//! conformance suite calls (`test_simple_text`, `test_image_content`…), plus the docs'
//! example tool, which awaits `fetch`, reads a secret and answers with the caller's `sub`.
//! Test-only: the product's upload carries none of this.

mod fixtures;
mod headers;
mod input;
mod primitives;
mod skills;
mod tasks;

#[path = "../../../examples/tools/ask_upstream.rs"]
pub mod ask_upstream;
#[path = "../../../examples/resources/dice_rules.rs"]
pub mod dice_rules;
#[path = "../../../examples/registries/server.rs"]
pub mod example_server;
#[cfg(test)]
mod examples_test;
#[path = "../../../examples/tools/export_report.rs"]
pub mod export_report;
#[path = "../../../examples/apps/greeting.rs"]
pub mod greeting;
#[path = "../../../examples/tools/notes.rs"]
pub mod notes;
#[path = "../../../examples/prompts/roll_for.rs"]
pub mod roll_for;
#[cfg(test)]
mod schemas_test;
#[path = "../../../examples/resources/whoami.rs"]
pub mod whoami;

use dice_mcp::dice::{self, RollDice};
use mcp_worker::mcp::Server;
use mcp_worker::tools::Registry;
use mcp_worker::{prompts, resources};

pub static TOOLS: Registry = Registry::new(&[
    &fixtures::SimpleText,
    &fixtures::ImageContent,
    &fixtures::AudioContent,
    &fixtures::EmbeddedResource,
    &fixtures::MultipleContentTypes,
    &fixtures::ErrorHandling,
    &fixtures::JsonSchema202012,
    &fixtures::ToolWithProgress,
    &fixtures::ToolWithLogging,
    &fixtures::LoggingTool,
    &fixtures::ProgressThenWait,
    &input::Elicitation,
    &input::Sampling,
    &input::ListRoots,
    &input::RequestState,
    &input::MultipleInputs,
    &input::MultiRound,
    &input::TamperedState,
    &input::Capabilities,
    &input::MissingCapability,
    &input::StreamingElicitation,
    &ask_upstream::AskUpstream,
    &notes::SaveNote,
    &notes::ListNotes,
    &tasks::Greet,
    &tasks::SlowCompute,
    &tasks::FailingJob,
    &tasks::ProtocolErrorJob,
    &tasks::ConfirmDelete,
    &tasks::MultiInput,
    &tasks::ToolWithTask,
    &tasks::AwaitUpstream,
    &tasks::ShortLived,
    &export_report::ExportReport,
    &RollDice,
    &greeting::Greet,
    &greeting::Shout,
    &headers::HeaderRoute,
]);

pub static RESOURCES: resources::Registry = resources::Registry::new(
    &[
        &primitives::StaticText,
        &primitives::StaticBinary,
        &primitives::WatchedResource,
        &whoami::WhoAmI,
        &dice::VIEW,
        &greeting::GREETING_VIEW,
        &primitives::ScopedPlans,
        &primitives::ConfirmedResource,
    ],
    &[
        &primitives::TemplateData,
        &dice_rules::DiceRules,
        &primitives::DiceNotation,
        &primitives::FilePath,
        &primitives::ManualSection,
    ],
);

pub static PROMPTS: prompts::Registry = prompts::Registry::new(&[
    &primitives::SimplePrompt,
    &primitives::PromptWithArguments,
    &primitives::PromptWithEmbeddedResource,
    &primitives::PromptWithImage,
    &primitives::InputRequiredPrompt,
    &primitives::ScopedBriefing,
    &roll_for::RollFor,
]);

pub static SERVER: Server = Server::new("dice-mcp-conformance", env!("CARGO_PKG_VERSION"))
    .title("dice-mcp conformance fixtures")
    // The tests' tokens name the dice server's audience.
    .audience("dice-server")
    .instructions("Fixture tools for the MCP conformance suite.")
    .tools(&TOOLS)
    .skills(&skills::SKILLS)
    .resources(&RESOURCES)
    .prompts(&PROMPTS)
    .logging(true)
    .tasks(&TASKS)
    .authorization_server(&AUTHORIZATION);

/// The authorization server in the worker (docs/authorization-server.md): off until the
/// tests that sign in set its `OAUTH_*` variables.
static AUTHORIZATION: mcp_worker::oauth::AuthorizationServer =
    mcp_worker::oauth::AuthorizationServer::new("OAUTH_GRANTS");

/// Tasks live in the Durable Object class below, bound as `TASKS` in wrangler.toml.
#[cfg(target_arch = "wasm32")]
static TASKS: mcp_worker::durable::Binding = mcp_worker::durable::Binding("TASKS");
/// On the host, where `cargo test` runs, in memory: a test runs them with
/// `MemoryTasks::run_alarms()`.
#[cfg(not(target_arch = "wasm32"))]
static TASKS: mcp_worker::testing::MemoryTasks = mcp_worker::testing::MemoryTasks {
    tools: &TOOLS,
    bound: true,
};

#[cfg(target_arch = "wasm32")]
mcp_worker::task_object!(TaskObject, SERVER);

#[cfg(target_arch = "wasm32")]
mcp_worker::grant_object!(GrantObject);

mcp_worker::entry!(SERVER);

// docs/tools.md's excerpts, compiled and tested here.
#[cfg(test)]
#[path = "../../../examples/snippets/tools.rs"]
mod snippets;

#[cfg(test)]
mod tests {
    use super::*;
    use mcp_worker::testing::{
        call_tool, call_tool_with, caller, TestPlatform, INSUFFICIENT_SCOPE,
    };
    use mcp_worker::tools::{Content, FetchResponse};
    use serde_json::json;
    use std::rc::Rc;

    /// A task tool as a 2026-07-28 client that declares the extension calls it: the call
    /// answers a task, which works until its alarm runs, then holds the result.
    #[test]
    fn a_task_runs_when_its_alarm_does() {
        use mcp_worker::testing::{Client, MemoryTasks};
        // The fixture has tools that ask for input, so it needs the key that seals them.
        let client = Client::new(&SERVER)
            .protocol("2026-07-28")
            .var("INPUT_STATE_KEY", "0123456789abcdef0123456789abcdef");
        let meta = json!({
            "io.modelcontextprotocol/clientCapabilities": {
                "extensions": { "io.modelcontextprotocol/tasks": {} }
            }
        });
        let created = client.call(
            "tools/call",
            json!({"name": "slow_compute", "arguments": {"seconds": 1}, "_meta": meta}),
        );
        assert_eq!(created.result()["resultType"], "task");
        let id = created.result()["taskId"].as_str().unwrap().to_owned();
        let get = || client.call("tasks/get", json!({"taskId": id, "_meta": meta}));
        assert_eq!(get().result()["status"], "working");
        MemoryTasks::run_alarms();
        let done = get();
        assert_eq!(done.result()["status"], "completed");
        assert!(!done.result()["result"]["content"]
            .as_array()
            .unwrap()
            .is_empty());
    }

    #[test]
    fn the_registry_is_valid() {
        TOOLS.assert_valid();
        let skills = skills::SKILLS.check().unwrap();
        assert_eq!(skills[0].uri(), "skill://pdf-processing/SKILL.md");
        RESOURCES.assert_valid();
        PROMPTS.assert_valid();
    }

    #[test]
    fn the_docs_excerpts_are_tools_that_run() {
        static SNIPPETS: Registry = Registry::new(&[&snippets::FetchAll, &snippets::BookTable]);
        SNIPPETS.assert_valid();
        let out = call_tool(&snippets::FetchAll, json!({ "items": [] }));
        assert!(!out.is_error);
        assert!(matches!(&out.content[0], Content::Text(t) if t == "all done"));
    }

    #[test]
    fn every_view_a_tool_names_is_served() {
        SERVER.assert_valid();
    }

    #[test]
    fn the_example_app_names_its_view_and_hides_shout_from_the_model() {
        let greet = TOOLS.get("say_hello").unwrap().1.meta.clone().unwrap();
        assert_eq!(
            greet["ui"]["resourceUri"],
            "ui://dice-mcp-examples/greeting-v1.html"
        );
        assert_eq!(greet["openai/outputTemplate"], greet["ui"]["resourceUri"]);
        let shout = TOOLS.get("shout").unwrap().1.meta.clone().unwrap();
        assert_eq!(shout["ui"]["visibility"], json!(["app"]));
        assert_eq!(shout["openai/visibility"], "private");
        let out = call_tool(&greeting::Shout, json!({"text": "Hello, Ada!"}));
        assert_eq!(out.structured, Some(json!({"text": "HELLO, ADA!"})));
        let out = call_tool(&greeting::Greet, json!({"name": "Ada"}));
        assert_eq!(out.structured, Some(json!({"greeting": "Hello, Ada!"})));
    }

    #[test]
    fn progress_goes_out_only_when_the_request_asked_for_it() {
        use mcp_worker::testing::call_tool_in;
        use mcp_worker::tools::Context;
        let ctx = |token: Option<serde_json::Value>| {
            Context::new(
                None,
                Rc::new(TestPlatform::default()),
                mcp_worker::protocol::version::Version::V2025_11_25,
            )
            .with_progress_token(token)
        };
        let (_, sent) = call_tool_in(
            &fixtures::ToolWithProgress,
            json!({}),
            ctx(Some(json!("p-1"))),
        );
        let progress: Vec<_> = sent
            .iter()
            .map(|n| n["params"]["progress"].clone())
            .collect();
        assert_eq!(progress, vec![json!(0.0), json!(50.0), json!(100.0)]);
        assert!(sent
            .iter()
            .all(|n| n["method"] == "notifications/progress"
                && n["params"]["progressToken"] == "p-1"));
        let (_, sent) = call_tool_in(&fixtures::ToolWithProgress, json!({}), ctx(None));
        assert!(sent.is_empty());
    }

    #[test]
    fn log_messages_go_out_at_the_level_asked_for() {
        use mcp_worker::testing::call_tool_in;
        use mcp_worker::tools::{Context, LogLevel};
        let ctx = |level| {
            Context::new(
                None,
                Rc::new(TestPlatform::default()),
                mcp_worker::protocol::version::Version::V2026_07_28,
            )
            .with_log_level(level)
        };
        let (_, sent) = call_tool_in(
            &fixtures::ToolWithLogging,
            json!({}),
            ctx(Some(LogLevel::Debug)),
        );
        assert_eq!(sent.len(), 3);
        assert_eq!(
            sent[0]["params"],
            json!({"level": "info", "data": "Tool execution started"})
        );
        let (_, sent) = call_tool_in(
            &fixtures::ToolWithLogging,
            json!({}),
            ctx(Some(LogLevel::Warning)),
        );
        assert!(sent.is_empty());
        let (_, sent) = call_tool_in(&fixtures::ToolWithLogging, json!({}), ctx(None));
        assert!(sent.is_empty());
    }

    #[test]
    fn ask_upstream_sends_the_key_and_answers_for_the_caller() {
        let platform = Rc::new(
            TestPlatform::default()
                .with_var("UPSTREAM_API_KEY", "k-123")
                .with_var("UPSTREAM_URL", "http://upstream.test/answer")
                .answering(|_| {
                    Ok(FetchResponse {
                        status: 200,
                        body: br#"{"answer":"42"}"#.to_vec(),
                        ..FetchResponse::default()
                    })
                }),
        );
        let out = call_tool_with(
            &ask_upstream::AskUpstream,
            json!({"question": "why?"}),
            Some(caller(Some("user-7"), &["upstream:ask"])),
            platform.clone(),
        );
        assert!(!out.is_error, "{out:?}");
        assert_eq!(
            out.structured,
            Some(json!({"answer": "42", "asked_by": "user-7"}))
        );
        let sent = platform.sent();
        assert_eq!(sent.len(), 1);
        assert_eq!(sent[0].url, "http://upstream.test/answer");
        assert!(sent[0]
            .headers
            .contains(&("authorization".into(), "Bearer k-123".into())));
    }

    #[test]
    fn notes_need_a_caller_with_a_subject_and_check_the_text_first() {
        let out = call_tool(&notes::SaveNote, json!({"text": ""}));
        assert_eq!(
            out.content,
            vec![Content::text(
                "'text' must be 1 to 1000 characters long; got 0."
            )]
        );
        let out = call_tool(&notes::ListNotes, json!({}));
        let Content::Text(text) = &out.content[0] else {
            panic!()
        };
        assert!(text.contains("subject"), "{text}");
    }

    #[test]
    fn on_the_host_the_notes_binding_is_an_error_that_names_it() {
        let out = call_tool_with(
            &notes::SaveNote,
            json!({"text": "buy milk"}),
            Some(caller(Some("u"), &["notes:write"])),
            Rc::new(TestPlatform::default()),
        );
        assert!(out.is_error);
        let Content::Text(text) = &out.content[0] else {
            panic!()
        };
        assert!(
            text.contains("Workers KV namespace NOTES") && text.contains("only the worker"),
            "{text}"
        );
    }

    #[test]
    fn export_report_starts_a_job_and_follows_it_to_its_link() {
        use std::cell::Cell;
        let polls = Rc::new(Cell::new(0));
        let seen = polls.clone();
        let platform = Rc::new(
            TestPlatform::default()
                .with_var("EXPORT_API_URL", "http://jobs.test")
                .answering(move |req| {
                    let body = match (req.method.as_str(), req.url.as_str()) {
                        ("POST", "http://jobs.test/exports") => json!({"id": "j1"}),
                        ("GET", "http://jobs.test/exports/j1?wait=30") => {
                            seen.set(seen.get() + 1);
                            if seen.get() < 3 {
                                json!({"state": "running", "progress": 40})
                            } else {
                                json!({"state": "done", "url": "https://files.test/j1.csv"})
                            }
                        }
                        other => panic!("unexpected request {other:?}"),
                    };
                    Ok(FetchResponse {
                        status: 200,
                        body: body.to_string().into_bytes(),
                        ..FetchResponse::default()
                    })
                }),
        );
        let out = call_tool_with(
            &export_report::ExportReport,
            json!({"query": "sales 2026"}),
            None,
            platform.clone(),
        );
        assert_eq!(
            out.content,
            vec![Content::text(
                "The report is ready: https://files.test/j1.csv"
            )]
        );
        assert_eq!(polls.get(), 3);
        assert_eq!(
            platform.sent()[0].body.as_deref(),
            Some(br#"{"query":"sales 2026"}"#.as_slice())
        );
        let out = call_tool(&export_report::ExportReport, json!({"query": "q"}));
        assert!(out.is_error);
    }

    #[test]
    fn ask_upstream_names_the_missing_secret() {
        let out = call_tool(&ask_upstream::AskUpstream, json!({"question": "why?"}));
        assert!(out.is_error);
        let Content::Text(text) = &out.content[0] else {
            panic!()
        };
        assert!(text.contains("UPSTREAM_API_KEY"), "{text}");
    }

    #[test]
    fn ask_upstream_reports_an_upstream_failure() {
        let platform = TestPlatform::default()
            .with_var("UPSTREAM_API_KEY", "k")
            .answering(|_| {
                Ok(FetchResponse {
                    status: 503,
                    ..FetchResponse::default()
                })
            });
        let out = call_tool_with(
            &ask_upstream::AskUpstream,
            json!({"question": "q"}),
            Some(caller(None, &["upstream:ask"])),
            Rc::new(platform),
        );
        assert!(out.is_error);
        assert_eq!(
            out.content,
            vec![Content::text(
                "The upstream service answered HTTP 503; try again later."
            )]
        );
    }

    #[test]
    fn the_host_helpers_apply_a_tools_scopes_as_the_server_does() {
        let platform = || Rc::new(TestPlatform::default());
        // A token without the scope: the server answers 403 and the tool never runs.
        let out = call_tool_with(
            &notes::SaveNote,
            json!({"text": "hi"}),
            Some(caller(Some("u"), &["notes:read"])),
            platform(),
        );
        assert!(out.is_error);
        let Content::Text(text) = &out.content[0] else {
            panic!()
        };
        assert!(text.starts_with(INSUFFICIENT_SCOPE), "{text}");
        assert!(text.contains("notes:write"), "{text}");
        // No authentication at all: the server's answer for a scoped tool.
        let out = call_tool_with(&notes::SaveNote, json!({"text": "hi"}), None, platform());
        let Content::Text(text) = &out.content[0] else {
            panic!()
        };
        assert!(text.contains("ALLOW_UNAUTHENTICATED"), "{text}");
        // A tool without scopes runs for any caller, and for none.
        let out = call_tool_with(&RollDice, json!({"n_dice": 2}), None, platform());
        assert!(!out.is_error, "{out:?}");
    }
}

/// The server's answers to the new methods, on the host: the whole MCP core as the worker
/// runs it, minus HTTP.
#[cfg(test)]
mod primitives_flow {
    use super::*;
    use mcp_worker::mcp::post::{handle, PostOutcome, Request};
    use mcp_worker::protocol::McpHeaders;
    use mcp_worker::testing::{block_on, TestPlatform};
    use serde_json::{json, Value};
    use std::rc::Rc;

    const KEY: &[u8] = b"0123456789abcdef0123456789abcdef";

    fn request() -> Request {
        Request {
            caller: None,
            platform: Rc::new(TestPlatform::default()),
            sse: false,
            now: 1_800_000_000,
            input_state_key: Some(std::sync::Arc::from(KEY)),
            required_scopes: None,
        }
    }

    /// Sends `method` with `params` at `version` and returns the reply body.
    fn send(version: &str, method: &str, params: Value) -> Value {
        send_as(None, version, method, params)
    }

    /// A verified caller with these claims (`sub` taken from them).
    fn principal(claims: Value) -> mcp_worker::auth::Principal {
        let claims = claims.as_object().cloned().unwrap_or_default();
        mcp_worker::auth::Principal {
            subject: claims.get("sub").and_then(Value::as_str).map(str::to_owned),
            scopes: Vec::new(),
            claims,
        }
    }

    /// [`send`] as `caller`.
    fn send_as(
        caller: Option<mcp_worker::auth::Principal>,
        version: &str,
        method: &str,
        mut params: Value,
    ) -> Value {
        let modern = version == "2026-07-28";
        if modern {
            params["_meta"] = json!({
                "io.modelcontextprotocol/protocolVersion": version,
                "io.modelcontextprotocol/clientCapabilities": {"elicitation": {}},
            });
        }
        let name = params
            .get("name")
            .or(params.get("uri"))
            .and_then(Value::as_str)
            .map(str::to_owned);
        let body = json!({"jsonrpc": "2.0", "id": 1, "method": method, "params": params});
        let headers = McpHeaders {
            protocol_version: Some(version),
            method: modern.then_some(method),
            name: name.as_deref().filter(|_| modern),
            ..McpHeaders::default()
        };
        let req = Request {
            caller: caller.map(std::sync::Arc::new),
            ..request()
        };
        let handled = block_on(handle(
            &SERVER,
            &req,
            body.to_string().as_bytes(),
            &headers,
            true,
        ));
        match handled.outcome {
            PostOutcome::Reply { body, .. } => body.into_value(),
            other => panic!("{other:?}"),
        }
    }

    const ASKING_PROMPT: &str = "test_input_required_result_prompt";

    fn answered(state: &str) -> Value {
        json!({
            "name": ASKING_PROMPT,
            "requestState": state,
            "inputResponses": {"user_context": {"action": "accept", "content": {"context": "dice"}}},
        })
    }

    /// 2026-07-28 basic/patterns/mrtr: state presented by another principal is refused.
    /// A principal is issuer and subject, or issuer and client, as for tasks.
    #[test]
    fn an_input_round_belongs_to_the_principal_that_started_it() {
        let alice = || principal(json!({"iss": "https://one.example", "sub": "alice"}));
        let first = send_as(
            Some(alice()),
            "2026-07-28",
            "prompts/get",
            json!({"name": ASKING_PROMPT}),
        );
        let state = first["result"]["requestState"].as_str().unwrap().to_owned();
        for other in [
            json!({"iss": "https://two.example", "sub": "alice"}),
            json!({"iss": "https://one.example", "sub": "bob"}),
            json!({"iss": "https://one.example", "client_id": "alice"}),
        ] {
            let r = send_as(
                Some(principal(other.clone())),
                "2026-07-28",
                "prompts/get",
                answered(&state),
            );
            assert_eq!(r["error"]["code"], -32602, "{other}: {r}");
            assert!(r["error"]["message"]
                .as_str()
                .unwrap()
                .contains("belongs to another"));
        }
        // Without authentication nobody is told apart: the state is the caller-less one's.
        let r = send("2026-07-28", "prompts/get", answered(&state));
        assert_eq!(r["error"]["code"], -32602, "{r}");
        let r = send_as(Some(alice()), "2026-07-28", "prompts/get", answered(&state));
        assert_eq!(
            r["result"]["messages"][0]["content"]["text"], "Use this context: dice",
            "{r}"
        );
        // Tokens without `sub` are told apart by issuer and client.
        let app = |iss: &str| principal(json!({"iss": iss, "client_id": "app"}));
        let first = send_as(
            Some(app("https://one.example")),
            "2026-07-28",
            "prompts/get",
            json!({"name": ASKING_PROMPT}),
        );
        let state = first["result"]["requestState"].as_str().unwrap().to_owned();
        let r = send_as(
            Some(app("https://two.example")),
            "2026-07-28",
            "prompts/get",
            answered(&state),
        );
        assert_eq!(r["error"]["code"], -32602, "{r}");
        let r = send_as(
            Some(app("https://one.example")),
            "2026-07-28",
            "prompts/get",
            answered(&state),
        );
        assert!(r["result"]["messages"].is_array(), "{r}");
    }

    /// A token that names neither subject nor client could be anyone's: no input round is
    /// started for it, and no state is accepted from it.
    #[test]
    fn a_token_naming_nobody_gets_no_input_round() {
        let nobody = || Some(principal(json!({"iss": "https://one.example"})));
        let r = send_as(
            nobody(),
            "2026-07-28",
            "prompts/get",
            json!({"name": ASKING_PROMPT}),
        );
        assert_eq!(r["error"]["code"], -32602, "{r}");
        assert!(r["error"]["message"]
            .as_str()
            .unwrap()
            .contains("this token names neither"));
        let r = send_as(
            nobody(),
            "2026-07-28",
            "tools/call",
            json!({"name": "test_input_required_result_elicitation", "arguments": {}}),
        );
        assert_eq!(r["result"]["isError"], true, "{r}");
        assert!(r["result"]["content"][0]["text"]
            .as_str()
            .unwrap()
            .contains("this token names neither"));
        let issued = send("2026-07-28", "prompts/get", json!({"name": ASKING_PROMPT}));
        let state = issued["result"]["requestState"]
            .as_str()
            .unwrap()
            .to_owned();
        let r = send_as(nobody(), "2026-07-28", "prompts/get", answered(&state));
        assert_eq!(r["error"]["code"], -32602, "{r}");
        assert!(r["error"]["message"]
            .as_str()
            .unwrap()
            .contains("names neither"));
    }

    /// Before 2026-07-28 no client can be asked: a read or a prompt that asks says which
    /// revision it takes, as a client error (`-32602`, never `-32603` and a 500).
    #[test]
    fn an_older_client_asked_for_input_gets_a_client_error_naming_the_revision() {
        for (method, params) in [
            ("prompts/get", json!({"name": ASKING_PROMPT})),
            ("resources/read", json!({"uri": "test://confirmed"})),
        ] {
            for version in ["2025-11-25", "2025-06-18", "2024-11-05"] {
                let r = send(version, method, params.clone());
                assert_eq!(r["error"]["code"], -32602, "{method} {version}: {r}");
                let message = r["error"]["message"].as_str().unwrap();
                assert!(
                    message.contains("takes MCP protocol 2026-07-28"),
                    "{message}"
                );
                assert!(message.contains(version), "{message}");
            }
        }
        // The resource asks, and reads once answered.
        let first = send(
            "2026-07-28",
            "resources/read",
            json!({"uri": "test://confirmed"}),
        );
        let state = first["result"]["requestState"].as_str().unwrap();
        let second = send(
            "2026-07-28",
            "resources/read",
            json!({"uri": "test://confirmed", "requestState": state,
                   "inputResponses": {"confirm": {"action": "accept", "content": {"ok": true}}}}),
        );
        assert_eq!(second["result"]["contents"][0]["text"], "confirmed content");
        // No revision lets a completion ask: a client error, not a 500.
        for version in ["2025-11-25", "2026-07-28"] {
            let r = send(
                version,
                "completion/complete",
                json!({"ref": {"type": "ref/resource", "uri": "test://manual{#section}"},
                       "argument": {"name": "section", "value": ""}}),
            );
            assert_eq!(r["error"]["code"], -32602, "{version}: {r}");
            assert!(r["error"]["message"]
                .as_str()
                .unwrap()
                .contains("completion/complete cannot carry"));
        }
    }

    /// docs/bad-input.md: no answer repeats more than 64 characters of what the client
    /// sent, whichever method repeats it.
    #[test]
    fn every_echo_is_cut_to_64_characters() {
        let long = "x".repeat(300);
        let too_much = "x".repeat(65);
        for version in ["2025-11-25", "2026-07-28"] {
            for (method, params) in [
                (
                    "skills/get",
                    json!({"uri": format!("skill://{long}/SKILL.md")}),
                ),
                (
                    "resources/directory/read",
                    json!({"uri": format!("skill://{long}")}),
                ),
                ("resources/read", json!({"uri": format!("test://{long}")})),
                ("prompts/get", json!({"name": long})),
                ("tools/call", json!({"name": long, "arguments": {}})),
                (
                    "tools/call",
                    json!({"name": "roll_dice", "arguments": {"n_dice": 1, long.clone(): 1}}),
                ),
                (long.as_str(), json!({})),
            ] {
                let r = send(version, method, params.clone());
                let refused = r["error"].is_object() || r["result"]["isError"] == true;
                assert!(refused, "{method}: {r}");
                assert!(
                    !r.to_string().contains(&too_much),
                    "{version} {method}: {r}"
                );
            }
        }
    }

    #[test]
    fn templates_with_typed_reserved_and_fragment_variables() {
        let read = |uri: &str| send("2025-11-25", "resources/read", json!({ "uri": uri }));
        let r = read("test://dice/3d6");
        let body: Value =
            serde_json::from_str(r["result"]["contents"][0]["text"].as_str().unwrap()).unwrap();
        assert_eq!(body, json!({"count": 3, "sides": 6, "min": 3, "max": 18}));
        // Typed: not an integer, or out of range, is the template's -32602.
        for bad in [
            "test://dice/xd6",
            "test://dice/0d6",
            "test://dice/3d1",
            "test://dice/1.5d6",
        ] {
            let r = read(bad);
            assert_eq!(r["error"]["code"], -32602, "{bad}: {r}");
        }
        // {+path} takes slashes and percent-escapes; `..` is refused by the read.
        let r = read("test://files/a/b%20c/d.txt");
        assert_eq!(
            r["result"]["contents"][0]["text"], "path: a/b c/d.txt",
            "{r}"
        );
        let r = read("test://files/a/../../etc");
        assert_eq!(r["error"]["code"], -32602, "{r}");
        // {#section}: after the '#'.
        let r = read("test://manual#rolling/dice");
        assert_eq!(
            r["result"]["contents"][0]["text"], "section: rolling/dice",
            "{r}"
        );
        // Without the '#' nothing matches: the revision's not-found.
        let r = read("test://manualrolling");
        assert_eq!(r["error"]["code"], -32002, "{r}");
    }

    #[test]
    fn resources_list_and_read_in_every_revision() {
        for v in ["2024-11-05", "2025-06-18", "2025-11-25", "2026-07-28"] {
            let list = send(v, "resources/list", json!({}));
            assert_eq!(
                list["result"]["resources"][0]["uri"], "test://static-text",
                "{v}"
            );
            let read = send(v, "resources/read", json!({"uri": "test://static-text"}));
            assert_eq!(
                read["result"]["contents"][0]["text"],
                "This is the content of the static text resource."
            );
            let t = send(
                v,
                "resources/read",
                json!({"uri": "test://template/42/data"}),
            );
            let text = t["result"]["contents"][0]["text"].as_str().unwrap();
            assert!(text.contains("Data for ID: 42"), "{text}");
        }
        let list = send("2025-03-26", "resources/list", json!({}));
        let first = &list["result"]["resources"][0];
        assert!(first.get("title").is_none() && first.get("icons").is_none());
        assert_eq!(first["size"], 48);
        assert_eq!(
            first["annotations"],
            json!({"audience": ["user", "assistant"], "priority": 0.5})
        );
        let list = send("2024-11-05", "resources/list", json!({}));
        assert!(list["result"]["resources"][0].get("size").is_none());
        let list = send("2025-11-25", "resources/list", json!({}));
        let first = &list["result"]["resources"][0];
        assert_eq!(first["icons"][0]["sizes"], json!(["16x16"]));
        assert_eq!(first["annotations"]["lastModified"], "2026-01-01T00:00:00Z");
        let list = send("2026-07-28", "resources/list", json!({}));
        assert_eq!(list["result"]["resources"][0]["title"], "Static text");
        assert_eq!(list["result"]["cacheScope"], "public");
        let read = send(
            "2026-07-28",
            "resources/read",
            json!({"uri": "test://static-text"}),
        );
        assert_eq!(read["result"]["ttlMs"], 60_000);
        assert_eq!(read["result"]["resultType"], "complete");
        let templates = send("2025-11-25", "resources/templates/list", json!({}));
        assert_eq!(
            templates["result"]["resourceTemplates"][0]["uriTemplate"],
            "test://template/{id}/data"
        );
    }

    #[test]
    fn an_unknown_resource_is_the_not_found_of_each_revision() {
        let old = send(
            "2025-11-25",
            "resources/read",
            json!({"uri": "test://nope"}),
        );
        assert_eq!(old["error"]["code"], -32002);
        assert_eq!(old["error"]["data"]["uri"], "test://nope");
        let new = send(
            "2026-07-28",
            "resources/read",
            json!({"uri": "test://nope"}),
        );
        assert_eq!(new["error"]["code"], -32602);
        assert!(new["error"]["message"]
            .as_str()
            .unwrap()
            .contains("resources/templates/list"));
        let bad = send("2025-11-25", "resources/read", json!({"uri": 7}));
        assert_eq!(bad["error"]["code"], -32602);
    }

    #[test]
    fn prompts_check_their_arguments_and_name_what_is_wrong() {
        let ok = send(
            "2025-11-25",
            "prompts/get",
            json!({"name": "test_prompt_with_arguments", "arguments": {"arg1": "a", "arg2": "b"}}),
        );
        assert_eq!(
            ok["result"]["messages"][0]["content"]["text"],
            "Prompt with arguments: arg1='a', arg2='b'"
        );
        let missing = send(
            "2025-11-25",
            "prompts/get",
            json!({"name": "test_prompt_with_arguments", "arguments": {"arg1": "a"}}),
        );
        assert_eq!(missing["error"]["code"], -32602);
        assert!(missing["error"]["message"]
            .as_str()
            .unwrap()
            .contains("'arg2'"));
        let unknown = send("2025-11-25", "prompts/get", json!({"name": "nope"}));
        assert!(unknown["error"]["message"]
            .as_str()
            .unwrap()
            .contains("Unknown prompt: 'nope'. Available prompts: test_simple_prompt"));
        let list = send("2025-11-25", "prompts/list", json!({}));
        assert_eq!(
            list["result"]["prompts"][1]["arguments"][0],
            json!({"name": "arg1", "description": "First test argument", "required": true})
        );
    }

    #[test]
    fn a_prompt_asks_for_input_and_takes_the_answer() {
        let first = send(
            "2026-07-28",
            "prompts/get",
            json!({"name": "test_input_required_result_prompt"}),
        );
        let result = &first["result"];
        assert_eq!(result["resultType"], "input_required", "{first}");
        assert_eq!(
            result["inputRequests"]["user_context"]["method"],
            "elicitation/create"
        );
        let state = result["requestState"].as_str().unwrap();
        let second = send(
            "2026-07-28",
            "prompts/get",
            json!({
                "name": "test_input_required_result_prompt",
                "requestState": state,
                "inputResponses": {"user_context": {"action": "accept", "content": {"context": "dice"}}},
            }),
        );
        assert_eq!(
            second["result"]["messages"][0]["content"]["text"],
            "Use this context: dice"
        );
        // The state of a prompt is not one for a tool of the same arguments.
        let legacy = send(
            "2025-11-25",
            "prompts/get",
            json!({"name": "test_input_required_result_prompt"}),
        );
        assert!(legacy["error"]["message"]
            .as_str()
            .unwrap()
            .contains("2026-07-28"));
    }

    // Its Args were NoArgs beside a declared `topic`: a get with a topic failed in serde.
    #[test]
    fn the_scoped_prompt_takes_its_argument() {
        let caller = mcp_worker::testing::caller(None, &["brief"]);
        let platform = std::rc::Rc::new(mcp_worker::testing::TestPlatform::default());
        let args = json!({"topic": "dice"});
        let got = mcp_worker::testing::get_prompt_with(
            &primitives::ScopedBriefing,
            args,
            Some(caller),
            platform,
        );
        assert!(got.is_ok());
    }

    fn as_caller(scopes: &[&str], method: &str, params: Value) -> PostOutcome {
        let caller = mcp_worker::auth::Principal {
            subject: Some("s".into()),
            scopes: scopes.iter().map(|s| s.to_string()).collect(),
            ..Default::default()
        };
        let req = Request {
            caller: Some(std::sync::Arc::new(caller)),
            ..request()
        };
        let body = json!({"jsonrpc": "2.0", "id": 1, "method": method, "params": params});
        let headers = McpHeaders {
            protocol_version: Some("2025-11-25"),
            ..McpHeaders::default()
        };
        block_on(handle(
            &SERVER,
            &req,
            body.to_string().as_bytes(),
            &headers,
            true,
        ))
        .outcome
    }

    #[test]
    fn scopes_on_resources_prompts_and_completion_step_up_as_tools_do() {
        let read = json!({"uri": "test://scoped/plans"});
        let PostOutcome::ScopeRequired(m) = as_caller(&[], "resources/read", read.clone()) else {
            panic!("a read without the scope runs")
        };
        assert_eq!(
            (m.tool, m.missing),
            (&["plans:read"][..], vec!["plans:read"])
        );
        assert!(matches!(
            as_caller(&["plans:read"], "resources/read", read),
            PostOutcome::Reply { error: None, .. }
        ));
        let get = json!({"name": "test_scoped_prompt"});
        assert!(matches!(
            as_caller(&[], "prompts/get", get),
            PostOutcome::ScopeRequired(_)
        ));
        let complete = json!({"ref": {"type": "ref/prompt", "name": "test_scoped_prompt"}, "argument": {"name": "topic", "value": ""}});
        assert!(matches!(
            as_caller(&["mcp"], "completion/complete", complete.clone()),
            PostOutcome::ScopeRequired(_)
        ));
        assert!(matches!(
            as_caller(&["brief"], "completion/complete", complete),
            PostOutcome::Reply { error: None, .. }
        ));
        // The lists show everything to everyone.
        assert!(matches!(
            as_caller(&[], "resources/list", json!({})),
            PostOutcome::Reply { error: None, .. }
        ));
        // scopes_supported lists them beside the tools' scopes.
        let all = SERVER.scopes();
        assert!(
            all.contains(&"plans:read") && all.contains(&"brief") && all.contains(&"upstream:ask"),
            "{all:?}"
        );
        // The host helpers enforce them too.
        use mcp_worker::testing::{get_prompt, read_resource, Refused};
        assert_eq!(
            read_resource(&RESOURCES, "test://scoped/plans"),
            Err(Refused::MissingScopes(vec!["plans:read"]))
        );
        assert_eq!(
            get_prompt(&primitives::ScopedBriefing, json!({})),
            Err(Refused::MissingScopes(vec!["brief"]))
        );
    }

    /// The request is well formed; what it names cannot be served here. So not -32600
    /// (a malformed request, `400` in every revision) but -32602 naming the scope, which
    /// travels as a tool's refusal does: in a `200` before 2026-07-28.
    #[test]
    fn without_authentication_a_scoped_read_says_why_it_cannot_run() {
        for (method, params) in [
            ("resources/read", json!({"uri": "test://scoped/plans"})),
            ("prompts/get", json!({"name": "test_scoped_prompt"})),
            (
                "completion/complete",
                json!({"ref": {"type": "ref/prompt", "name": "test_scoped_prompt"}, "argument": {"name": "topic", "value": ""}}),
            ),
        ] {
            let body = json!({"jsonrpc": "2.0", "id": 1, "method": method, "params": params});
            let headers = McpHeaders {
                protocol_version: Some("2025-11-25"),
                ..McpHeaders::default()
            };
            let out = block_on(handle(
                &SERVER,
                &request(),
                body.to_string().as_bytes(),
                &headers,
                true,
            ))
            .outcome;
            let PostOutcome::Reply { body, error, .. } = out else {
                panic!("{method}")
            };
            assert_eq!(error, Some(-32602), "{method}: {body}");
            let message = body["error"]["message"].as_str().unwrap();
            assert!(message.contains("ALLOW_UNAUTHENTICATED"), "{body}");
            assert!(message.contains("the scope"), "{body}");
        }
    }

    #[test]
    fn completion_filters_and_refuses_unknown_arguments() {
        let c = send(
            "2025-11-25",
            "completion/complete",
            json!({"ref": {"type": "ref/prompt", "name": "test_prompt_with_arguments"}, "argument": {"name": "arg1", "value": "par"}}),
        );
        assert_eq!(
            c["result"]["completion"],
            json!({"values": ["paris", "park", "party"], "total": 3, "hasMore": false})
        );
        let bad = send(
            "2025-11-25",
            "completion/complete",
            json!({"ref": {"type": "ref/prompt", "name": "test_prompt_with_arguments"}, "argument": {"name": "arg9", "value": ""}}),
        );
        assert!(bad["error"]["message"]
            .as_str()
            .unwrap()
            .contains("has no argument 'arg9'. Its arguments: arg1, arg2"));
        let t = send(
            "2026-07-28",
            "completion/complete",
            json!({"ref": {"type": "ref/resource", "uri": "test://template/{id}/data"}, "argument": {"name": "id", "value": "4"}}),
        );
        assert_eq!(t["result"]["completion"]["values"], json!(["456"]));
    }
}
