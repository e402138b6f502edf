//! Fixture tools that ask the client for input (2026-07-28 input_required), as the
//! conformance suite's `input-required-result-*` and `server-stateless` scenarios call them.

use mcp_worker::tools::{Context, InputKind, InputRequest, NoArgs, Tool, ToolError};
use serde_json::{json, Value};

fn name_form(message: &str) -> InputRequest {
    InputRequest::elicit(
        message,
        json!({ "type": "object", "properties": { "name": { "type": "string" } }, "required": ["name"] }),
    )
}

fn confirm_form() -> InputRequest {
    InputRequest::elicit(
        "Please confirm",
        json!({ "type": "object", "properties": { "ok": { "type": "boolean" } }, "required": ["ok"] }),
    )
}

/// The text of a sampling result (`content` is one block or a list of them).
fn sampled_text(answer: &Value) -> String {
    let content = &answer["content"];
    let block = if content.is_array() {
        &content[0]
    } else {
        content
    };
    block["text"].as_str().unwrap_or_default().to_owned()
}

/// Declares the common parts of a fixture tool that asks for input.
macro_rules! asking_tool {
    ($ty:ident, $name:literal, $description:literal, |$ctx:ident| $body:block) => {
        pub struct $ty;

        impl Tool for $ty {
            const NAME: &'static str = $name;
            const DESCRIPTION: &'static str = $description;
            const ASKS_FOR_INPUT: bool = true;
            type Args = NoArgs;
            type Output = String;

            async fn call(&self, _: NoArgs, $ctx: &Context) -> Result<String, ToolError> $body
        }
    };
}

asking_tool!(
    Elicitation,
    "test_input_required_result_elicitation",
    "Asks the user's name with an elicitation form",
    |ctx| {
        let answer = ctx.input("user_name", name_form("What is your name?"))?;
        let name = answer["content"]["name"].as_str().unwrap_or("stranger");
        Ok(format!("Hello, {name}!"))
    }
);

asking_tool!(
    Sampling,
    "test_input_required_result_sampling",
    "Asks the client's model a question",
    |ctx| {
        let answer = ctx.input(
            "capital_question",
            InputRequest::sample_text("What is the capital of France?", 100),
        )?;
        Ok(format!("The model said: {}", sampled_text(&answer)))
    }
);

asking_tool!(
    ListRoots,
    "test_input_required_result_list_roots",
    "Asks for the client's roots",
    |ctx| {
        let answer = ctx.input("client_roots", InputRequest::list_roots())?;
        let count = answer["roots"].as_array().map_or(0, Vec::len);
        Ok(format!("The client has {count} root(s)."))
    }
);

asking_tool!(
    RequestState,
    "test_input_required_result_request_state",
    "Keeps state across rounds",
    |ctx| {
        if ctx.state().is_none() {
            ctx.set_state(json!({ "asked": "confirm" }));
        }
        let answer = ctx.input("confirm", confirm_form())?;
        let state_ok = ctx.state() == Some(json!({ "asked": "confirm" }));
        let ok = answer["content"]["ok"] == true;
        Ok(format!(
            "{} confirmed={ok}",
            if state_ok { "state-ok" } else { "state-lost" }
        ))
    }
);

asking_tool!(
    MultipleInputs,
    "test_input_required_result_multiple_inputs",
    "Asks for three inputs in one round",
    |ctx| {
        // Each request is recorded before `?` stops the tool: all three go out together.
        let name = ctx.input("user_name", name_form("What is your name?"));
        let greeting = ctx.input(
            "greeting",
            InputRequest::sample_text("Generate a greeting", 50),
        );
        let roots = ctx.input("client_roots", InputRequest::list_roots());
        let (name, greeting, roots) = (name?, greeting?, roots?);
        Ok(format!(
            "{} {}, with {} root(s)",
            sampled_text(&greeting),
            name["content"]["name"].as_str().unwrap_or("stranger"),
            roots["roots"].as_array().map_or(0, Vec::len)
        ))
    }
);

asking_tool!(
    MultiRound,
    "test_input_required_result_multi_round",
    "Asks two questions, one round each",
    |ctx| {
        let name = ctx.input("step1", name_form("Step 1: What is your name?"))?;
        let color = ctx.input(
        "step2",
        InputRequest::elicit(
            "Step 2: What is your favorite color?",
            json!({ "type": "object", "properties": { "color": { "type": "string" } }, "required": ["color"] }),
        ),
    )?;
        Ok(format!(
            "{} likes {}.",
            name["content"]["name"].as_str().unwrap_or("Someone"),
            color["content"]["color"].as_str().unwrap_or("nothing")
        ))
    }
);

asking_tool!(
    TamperedState,
    "test_input_required_result_tampered_state",
    "Issues a requestState the client must return unchanged",
    |ctx| {
        ctx.set_state(json!({ "round": 1 }));
        let answer = ctx.input("confirm", confirm_form())?;
        Ok(format!("confirmed={}", answer["content"]["ok"] == true))
    }
);

asking_tool!(
    Capabilities,
    "test_input_required_result_capabilities",
    "Asks only for kinds of input the client declared",
    |ctx| {
        if ctx.can_ask(InputKind::Elicitation) {
            let answer = ctx.input("user_name", name_form("What is your name?"))?;
            return Ok(format!(
                "Hello, {}!",
                answer["content"]["name"].as_str().unwrap_or("stranger")
            ));
        }
        let answer = ctx.input(
            "user_name",
            InputRequest::sample_text("Suggest a name for a user.", 50),
        )?;
        Ok(format!("Hello, {}!", sampled_text(&answer)))
    }
);

asking_tool!(
    MissingCapability,
    "test_missing_capability",
    "Needs sampling: a client without it gets -32021",
    |ctx| {
        let answer = ctx.input("question", InputRequest::sample_text("Say hello.", 20))?;
        Ok(sampled_text(&answer))
    }
);

asking_tool!(
    StreamingElicitation,
    "test_streaming_elicitation",
    "Asks for input as an input_required answer, never as a request on the stream",
    |ctx| {
        let answer = ctx.input("user_name", name_form("What is your name?"))?;
        Ok(format!(
            "Hello, {}!",
            answer["content"]["name"].as_str().unwrap_or("stranger")
        ))
    }
);
