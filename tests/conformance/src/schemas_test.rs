//! Each fixture with typed arguments or variables: the schema it publishes (written by
//! hand) against the one schemars derives from its type.

use crate::{fixtures, headers, primitives, tasks};
use mcp_worker::derived_schema;
use mcp_worker::testing::{
    assert_prompt_arguments_match, assert_template_schema_matches, assert_tool_schemas_match,
    no_args_derived, NoOutput,
};

#[test]
fn json_schema_2020_12_tool() {
    let contact = derived_schema!(fixtures::Contact);
    assert_tool_schemas_match(&fixtures::JsonSchema202012, contact, NoOutput);
}

#[test]
fn progress_then_wait() {
    let args = derived_schema!(fixtures::WaitArgs);
    assert_tool_schemas_match(&fixtures::ProgressThenWait, args, NoOutput);
}

#[test]
fn test_header_route() {
    let args = derived_schema!(headers::RouteArgs);
    assert_tool_schemas_match(&headers::HeaderRoute, args, NoOutput);
}

#[test]
fn greet() {
    assert_tool_schemas_match(&tasks::Greet, derived_schema!(tasks::Name), NoOutput);
}

#[test]
fn slow_compute() {
    let args = derived_schema!(tasks::Compute);
    assert_tool_schemas_match(&tasks::SlowCompute, args, NoOutput);
}

#[test]
fn confirm_delete() {
    let args = derived_schema!(tasks::File);
    assert_tool_schemas_match(&tasks::ConfirmDelete, args, NoOutput);
}

#[test]
fn await_upstream() {
    assert_tool_schemas_match(&tasks::AwaitUpstream, derived_schema!(tasks::Url), NoOutput);
}

#[test]
fn template_data() {
    let vars = derived_schema!(primitives::IdVars);
    assert_template_schema_matches(&primitives::TemplateData, vars);
}

#[test]
fn test_prompt_with_arguments() {
    let args = derived_schema!(primitives::TwoArgs);
    assert_prompt_arguments_match(&primitives::PromptWithArguments, args);
}

#[test]
fn test_prompt_with_embedded_resource() {
    let args = derived_schema!(primitives::ResourceArg);
    assert_prompt_arguments_match(&primitives::PromptWithEmbeddedResource, args);
}

/// A prompt whose `Args` is `NoArgs` must declare no `ARGUMENTS`.
#[test]
fn the_prompts_without_arguments() {
    assert_prompt_arguments_match(&primitives::SimplePrompt, no_args_derived());
    assert_prompt_arguments_match(&primitives::PromptWithImage, no_args_derived());
    assert_prompt_arguments_match(&primitives::InputRequiredPrompt, no_args_derived());
}

#[test]
fn typed_reserved_and_fragment_templates() {
    let notation = derived_schema!(primitives::Notation);
    assert_template_schema_matches(&primitives::DiceNotation, notation);
    assert_template_schema_matches(&primitives::FilePath, derived_schema!(primitives::PathVar));
    let section = derived_schema!(primitives::SectionVar);
    assert_template_schema_matches(&primitives::ManualSection, section);
}

#[test]
fn test_scoped_prompt() {
    let topic = derived_schema!(primitives::Topic);
    assert_prompt_arguments_match(&primitives::ScopedBriefing, topic);
}
