//! Host tests of the example resource, template and prompt (examples/resources,
//! examples/prompts), written as the docs tell an author to (docs/resources-prompts.md),
//! and of every example's schemas against its types.

use crate::dice_rules::{DiceRules, Game};
use crate::roll_for::{RollFor, RollForArgs};
use crate::whoami::WhoAmI;
use crate::{ask_upstream, export_report, greeting, snippets};
use mcp_worker::derived_schema;
use mcp_worker::primitives::Principal;
use mcp_worker::resources::{Registry, ResourceBody, ResourceTemplate};
use mcp_worker::testing::{
    assert_prompt_arguments_match, assert_template_schema_matches, assert_tool_schemas_match,
    complete, get_prompt, read_resource, read_resource_with, NoOutput, Refused, TestPlatform,
};
use serde_json::json;
use std::rc::Rc;

static RESOURCES: Registry = Registry::new(&[&WhoAmI], &[&DiceRules]);

#[test]
fn the_example_server_is_valid() {
    crate::example_server::SERVER
        .resource_registry()
        .assert_valid();
    crate::example_server::SERVER
        .prompt_registry()
        .assert_valid();
    RESOURCES.assert_valid();
}

#[test]
fn dice_rules_reads_a_game_and_refuses_others() {
    let contents = read_resource(&RESOURCES, "rules://dice/craps").unwrap();
    assert_eq!(contents[0].uri, "rules://dice/craps");
    assert!(matches!(&contents[0].body, ResourceBody::Text(t) if t.contains("7 or 11")));
    let Err(Refused::Error(e)) = read_resource(&RESOURCES, "rules://dice/poker") else {
        panic!("poker has no rules")
    };
    assert!(e.is_not_found());
    let games = complete(DiceRules::completer("game"), "game", "ya", json!({})).unwrap();
    assert_eq!(games.values, vec!["yahtzee"]);
}

#[test]
fn whoami_answers_for_the_caller() {
    let caller = Principal {
        subject: Some("alice".into()),
        scopes: vec!["mcp".into()],
        ..Principal::default()
    };
    let platform = Rc::new(TestPlatform::default());
    let contents =
        read_resource_with(&RESOURCES, "whoami://caller", Some(caller), platform).unwrap();
    assert!(
        matches!(&contents[0].body, ResourceBody::Text(t) if t == "subject: alice\nscopes: mcp")
    );
}

#[test]
fn roll_for_fills_in_its_arguments() {
    let result = get_prompt(&RollFor, json!({"action": "climb the wall"})).unwrap();
    assert_eq!(
        result.description.as_deref(),
        Some("Roll 2 dice for: climb the wall")
    );
    let Err(Refused::Error(e)) = get_prompt(&RollFor, json!({})) else {
        panic!("action is required")
    };
    assert!(
        e.message().contains("Missing required argument 'action'"),
        "{e}"
    );
}

#[test]
fn dice_rules_variables_match_their_type() {
    assert_template_schema_matches(&DiceRules, derived_schema!(Game));
}

#[test]
fn roll_for_arguments_match_their_type() {
    assert_prompt_arguments_match(&RollFor, derived_schema!(RollForArgs));
}

// tests/recipe_tool.rs checks examples/tools/notes.rs the same way.
#[test]
fn ask_upstream_schemas_match_their_types() {
    assert_tool_schemas_match(
        &ask_upstream::AskUpstream,
        derived_schema!(ask_upstream::Question),
        derived_schema!(output ask_upstream::Answer),
    );
}

#[test]
fn export_report_schema_matches_its_type() {
    let args = derived_schema!(export_report::ExportArgs);
    assert_tool_schemas_match(&export_report::ExportReport, args, NoOutput);
}

#[test]
fn the_greeting_app_schemas_match_their_types() {
    assert_tool_schemas_match(
        &greeting::Greet,
        derived_schema!(greeting::Name),
        derived_schema!(output greeting::Greeting),
    );
    assert_tool_schemas_match(
        &greeting::Shout,
        derived_schema!(greeting::Text),
        derived_schema!(output greeting::Text),
    );
}

#[test]
fn the_docs_snippets_schemas_match_their_types() {
    let batch = derived_schema!(snippets::Batch);
    assert_tool_schemas_match(&snippets::FetchAll, batch, NoOutput);
    let booking = derived_schema!(snippets::Booking);
    assert_tool_schemas_match(&snippets::BookTable, booking, NoOutput);
}
