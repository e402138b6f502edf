//! The conformance fixture worker: dice-mcp's core serving the tools the official MCP
//! conformance suite calls (`test_simple_text`, `test_image_content`…), plus the docs'
//! example tool, which awaits `fetch`, reads a secret and answers with the caller's `sub`.
//! Test-only: the product's upload carries none of this.

mod fixtures;
mod input;
mod tasks;

#[path = "../../../examples/tools/ask_upstream.rs"]
pub mod ask_upstream;
#[path = "../../../examples/tools/export_report.rs"]
pub mod export_report;
#[path = "../../../examples/tools/notes.rs"]
pub mod notes;

use dice_mcp::mcp::Server;
use dice_mcp::tools::{dice::RollDice, Registry};

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
]);

pub static SERVER: Server = Server {
    name: "dice-mcp-conformance",
    title: "dice-mcp conformance fixtures",
    version: env!("CARGO_PKG_VERSION"),
    instructions: "Fixture tools for the MCP conformance suite.",
    tools: &TOOLS,
    logging: true,
    tasks: TASKS,
};

/// Tasks live in the Durable Object class below, bound as `TASKS` in wrangler.toml.
#[cfg(target_arch = "wasm32")]
const TASKS: Option<&'static dyn dice_mcp::mcp::tasks::Backend> =
    Some(&dice_mcp::durable::Binding("TASKS"));
#[cfg(not(target_arch = "wasm32"))]
const TASKS: Option<&'static dyn dice_mcp::mcp::tasks::Backend> = None;

#[cfg(target_arch = "wasm32")]
dice_mcp::task_object!(TaskObject, SERVER);

#[cfg(target_arch = "wasm32")]
#[worker::event(fetch)]
async fn fetch(
    req: worker::Request,
    env: worker::Env,
    _ctx: worker::Context,
) -> worker::Result<worker::Response> {
    dice_mcp::adapter::serve(&SERVER, req, env).await
}

// docs/tools.md's excerpts, compiled and tested here.
#[cfg(test)]
#[path = "../../../examples/snippets/tools.rs"]
mod snippets;

#[cfg(test)]
mod tests {
    use super::*;
    use dice_mcp::auth::Principal;
    use dice_mcp::testing::{call_tool, call_tool_with, TestPlatform};
    use dice_mcp::tools::{Content, FetchResponse};
    use serde_json::json;
    use std::rc::Rc;

    #[test]
    fn the_registry_is_valid() {
        TOOLS.assert_valid();
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
    fn progress_goes_out_only_when_the_request_asked_for_it() {
        use dice_mcp::testing::call_tool_in;
        use dice_mcp::tools::Context;
        let ctx = |token: Option<serde_json::Value>| {
            Context::new(
                None,
                Rc::new(TestPlatform::default()),
                dice_mcp::mcp::version::Version::V2025_11_25,
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
        use dice_mcp::testing::call_tool_in;
        use dice_mcp::tools::{Context, LogLevel};
        let ctx = |level| {
            Context::new(
                None,
                Rc::new(TestPlatform::default()),
                dice_mcp::mcp::version::Version::V2026_07_28,
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
        let caller = Principal {
            subject: Some("user-7".into()),
            ..Principal::default()
        };
        let out = call_tool_with(
            &ask_upstream::AskUpstream,
            json!({"question": "why?"}),
            Some(caller),
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
            None,
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
}
