//! Asking the client for input in the middle of a tool call (2026-07-28 "Multi Round-Trip"):
//! an elicitation form, a sampling request, or the client's roots.
//!
//! The server keeps no session, so a tool that needs input stops, the answer says
//! `resultType: "input_required"` with the requests and a sealed `requestState`, and the
//! client retries the same call with `inputResponses`. The tool then runs again from the
//! top: `ctx.input(key, …)` returns the answers of this and every earlier round.

use serde_json::{json, Map, Value};

use crate::protocol::jsonrpc::RpcError;

/// The kinds of input, by the client capability each needs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum InputKind {
    /// A form for the user to fill in (`elicitation/create`).
    Elicitation,
    /// A message from the client's model (`sampling/createMessage`).
    Sampling,
    /// The client's roots (`roots/list`).
    Roots,
}

impl InputKind {
    /// The capability's name in `clientCapabilities`.
    pub fn capability(self) -> &'static str {
        match self {
            InputKind::Elicitation => "elicitation",
            InputKind::Sampling => "sampling",
            InputKind::Roots => "roots",
        }
    }

    fn method(self) -> &'static str {
        match self {
            InputKind::Elicitation => "elicitation/create",
            InputKind::Sampling => "sampling/createMessage",
            InputKind::Roots => "roots/list",
        }
    }
}

/// One request to the client.
#[derive(Clone, Debug, PartialEq)]
pub struct InputRequest {
    kind: InputKind,
    params: Value,
}

impl InputRequest {
    /// Asks the user to fill in a form: `requested_schema` is a flat JSON Schema object
    /// (`{"type": "object", "properties": {...}, "required": [...]}`).
    pub fn elicit(message: impl Into<String>, requested_schema: Value) -> Self {
        InputRequest {
            kind: InputKind::Elicitation,
            params: json!({ "message": message.into(), "requestedSchema": requested_schema }),
        }
    }

    /// Asks the client's model: `messages` as `sampling/createMessage` takes them.
    pub fn sample(messages: Value, max_tokens: u32) -> Self {
        InputRequest {
            kind: InputKind::Sampling,
            params: json!({ "messages": messages, "maxTokens": max_tokens }),
        }
    }

    /// Asks the client's model one question.
    pub fn sample_text(prompt: impl Into<String>, max_tokens: u32) -> Self {
        let messages =
            json!([{ "role": "user", "content": { "type": "text", "text": prompt.into() } }]);
        Self::sample(messages, max_tokens)
    }

    /// Asks for the client's roots (the folders or URIs it works in).
    pub fn list_roots() -> Self {
        InputRequest {
            kind: InputKind::Roots,
            params: json!({}),
        }
    }

    /// The kind of input it asks for.
    pub fn kind(&self) -> InputKind {
        self.kind
    }

    pub(crate) fn to_json(&self) -> Value {
        json!({ "method": self.kind.method(), "params": self.params })
    }

    /// Does `answer` have the shape of this kind's result?
    pub(crate) fn accepts(&self, answer: &Value) -> bool {
        match self.kind {
            InputKind::Elicitation => answer["action"]
                .as_str()
                .is_some_and(|a| ["accept", "decline", "cancel"].contains(&a)),
            InputKind::Sampling => answer["role"].is_string() && !answer["content"].is_null(),
            InputKind::Roots => answer["roots"].is_array(),
        }
    }
}

/// What the server and a running tool share about input for one call.
#[derive(Debug, Default)]
pub struct Exchange {
    /// The tool declared `ASKS_FOR_INPUT`: the server handles its requests.
    pub enabled: bool,
    /// The request speaks 2026-07-28, where input can be asked for.
    pub modern: bool,
    /// The client's `clientCapabilities` for this request.
    pub client_capabilities: Value,
    /// Answers known to this round: carried over from earlier rounds, plus this retry's
    /// `inputResponses`.
    pub responses: Map<String, Value>,
    /// The answers the tool read this round: carried to the next one.
    pub used: Map<String, Value>,
    /// Requests the tool made this round and that are not answered yet.
    pub requests: Map<String, Value>,
    /// What the tool kept from its earlier rounds, and what it keeps for the next.
    pub state: Option<Value>,
    pub next_state: Option<Value>,
    /// Capabilities the tool needed and the client did not declare (`-32021`).
    pub missing: Map<String, Value>,
    /// An answer of the wrong shape (`-32602`).
    pub invalid: Option<String>,
    /// A protocol error the tool ended with (`Context::protocol_error`).
    pub failed: Option<RpcError>,
    /// The caller's token names neither a subject nor a client, so no input round can be
    /// bound to it (see `tasks::record::owner_of`): asking for input is refused.
    pub unbound: bool,
    /// Why this request cannot carry input, when a handler asked anyway: its revision is
    /// older than 2026-07-28, or its caller cannot be bound. The client can fix it, so a
    /// prompt or a resource read answers it as `-32602`; a tool, as a tool error.
    pub refusal: Option<String>,
    /// A handler whose request cannot take input in any revision asked for it (a
    /// completer: 2026-07-28 carries input only in tools, reads and prompts).
    pub undeclared: bool,
}

impl Exchange {
    pub fn declares(&self, kind: InputKind) -> bool {
        let Some(declared) = self
            .client_capabilities
            .get(kind.capability())
            .and_then(Value::as_object)
        else {
            return false;
        };
        // Elicitation comes in modes (2026-07-28): these requests are forms, which an
        // empty object also declares.
        kind != InputKind::Elicitation || declared.is_empty() || declared.contains_key("form")
    }

    /// The JSON-RPC error to answer instead of a result, if the call cannot go on.
    pub fn error(&self) -> Option<RpcError> {
        if let Some(e) = &self.failed {
            return Some(e.clone());
        }
        if let Some(message) = &self.invalid {
            return Some(RpcError::invalid_params(message.clone()));
        }
        (!self.missing.is_empty()).then(|| RpcError::missing_capability(&self.missing))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn caps(v: Value) -> Exchange {
        Exchange {
            client_capabilities: v,
            ..Exchange::default()
        }
    }

    #[test]
    fn elicitation_forms_need_the_form_mode_or_a_plain_declaration() {
        assert!(caps(json!({"elicitation": {}})).declares(InputKind::Elicitation));
        assert!(caps(json!({"elicitation": {"form": {}}})).declares(InputKind::Elicitation));
        assert!(!caps(json!({"elicitation": {"url": {}}})).declares(InputKind::Elicitation));
        assert!(!caps(json!({})).declares(InputKind::Elicitation));
        assert!(caps(json!({"sampling": {}})).declares(InputKind::Sampling));
        assert!(!caps(json!({"sampling": true})).declares(InputKind::Sampling));
    }
}
