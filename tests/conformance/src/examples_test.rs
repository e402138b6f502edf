//! Host tests of the example resource, template and prompt (examples/resources,
//! examples/prompts), written as the docs tell an author to (docs/resources-prompts.md).

use crate::dice_rules::DiceRules;
use crate::roll_for::RollFor;
use crate::whoami::WhoAmI;
use dice_mcp::auth::Principal;
use dice_mcp::resources::{Registry, ResourceBody, ResourceTemplate};
use dice_mcp::testing::{
    complete, get_prompt, read_resource, read_resource_with, Refused, TestPlatform,
};
use serde_json::json;
use std::rc::Rc;

static RESOURCES: Registry = Registry::new(&[&WhoAmI], &[&DiceRules]);

#[test]
fn the_example_server_is_valid() {
    crate::example_server::SERVER.resources.assert_valid();
    crate::example_server::SERVER.prompts.assert_valid();
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
