//! The conformance fixture worker: dice-mcp's core serving the tools the official MCP
//! conformance suite calls (`test_simple_text`, `test_image_content`…), plus the README's
//! example tool, which awaits `fetch`, reads a secret and answers with the caller's `sub`.
//! Test-only: the product's upload carries none of this.

mod fixtures;
mod headers;
mod input;

#[path = "../../../examples/tools/ask_upstream.rs"]
pub mod ask_upstream;
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
    &RollDice,
    &headers::HeaderRoute,
]);

pub static SERVER: Server = Server {
    name: "dice-mcp-conformance",
    title: "dice-mcp conformance fixtures",
    version: env!("CARGO_PKG_VERSION"),
    instructions: "Fixture tools for the MCP conformance suite.",
    tools: &TOOLS,
    logging: true,
};

#[cfg(target_arch = "wasm32")]
#[worker::event(fetch)]
async fn fetch(
    req: worker::Request,
    env: worker::Env,
    _ctx: worker::Context,
) -> worker::Result<worker::Response> {
    dice_mcp::adapter::serve(&SERVER, req, env).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use dice_mcp::testing::{call_tool, call_tool_with, caller, TestPlatform, INSUFFICIENT_SCOPE};
    use dice_mcp::tools::{Content, FetchResponse};
    use serde_json::json;
    use std::rc::Rc;

    #[test]
    fn the_registry_is_valid() {
        TOOLS.assert_valid();
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
