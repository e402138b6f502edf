// tests/recipe_tool.rs: the host tests a new tool needs (docs/testing.md shows this file).
// `save_note` from examples/tools stands for your tool: it needs the scope notes:write.

#[path = "../examples/tools/notes.rs"]
mod notes;

use mcp_worker::derived_schema;
use mcp_worker::testing::{
    assert_tool_schemas_match, call_tool, call_tool_with, caller, no_args_derived, TestPlatform,
    INSUFFICIENT_SCOPE,
};
use mcp_worker::tools::{Content, Registry};
use serde_json::json;
use std::rc::Rc;

// The registry your server serves, checked as the worker checks it before serving.
static TOOLS: Registry = Registry::new(&[
    &dice_mcp::dice::RollDice,
    &notes::SaveNote,
    &notes::ListNotes,
]);

#[test]
fn the_registry_is_valid() {
    TOOLS.assert_valid();
}

// The schemas the tools publish (written by hand) agree with their Rust types: schemars,
// a dev-dependency, derives a schema from each `#[cfg_attr(test, derive(schemars::JsonSchema))]`.
#[test]
fn the_schemas_match_the_types() {
    assert_tool_schemas_match(
        &notes::SaveNote,
        derived_schema!(notes::NewNote),
        derived_schema!(output notes::Notes),
    );
    assert_tool_schemas_match(
        &notes::ListNotes,
        no_args_derived(),
        derived_schema!(output notes::Notes),
    );
}

fn text(content: &[Content]) -> &str {
    match content.first() {
        Some(Content::Text(t)) => t,
        other => panic!("expected text, got {other:?}"),
    }
}

#[test]
fn bad_arguments_get_a_message_the_model_can_act_on() {
    // call_tool runs as a caller holding exactly the tool's scopes.
    let out = call_tool(&notes::SaveNote, json!({"text": ""}));
    assert!(out.is_error);
    assert_eq!(
        text(&out.content),
        "'text' must be 1 to 1000 characters long; got 0."
    );
}

#[test]
fn a_token_without_the_scope_is_refused_before_the_tool_runs() {
    let out = call_tool_with(
        &notes::SaveNote,
        json!({"text": "hello"}),
        Some(caller(Some("user-1"), &["notes:read"])),
        Rc::new(TestPlatform::default()),
    );
    assert!(text(&out.content).starts_with(INSUFFICIENT_SCOPE));
}
