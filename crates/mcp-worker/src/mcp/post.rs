//! One POST body, answered: its messages read, each request dispatched, the outcome
//! given to the transport (`crate::http`) to turn into a status code and a body.

use serde_json::{Map, Value};

use crate::protocol::jsonrpc::{truncate, Id, RpcError};
use crate::protocol::version::{Era, Version};
use crate::protocol::wire::{self, Message};
use crate::protocol::{headers, param_headers, McpHeaders};

use std::rc::Rc;
use std::sync::Arc;

use super::envelope::{classify, expects_reply, parse, Envelope, Incoming, ValidEnvelope};
use super::methods::{self, Answer};
use super::stream::Streaming;
use super::Server;
use crate::tools::{Caller, Platform};

/// One POST as the server sees it besides its body: who sent it, the platform, whether
/// the answer may stream, the time, the requestState key. Built by `crate::http`.
#[derive(Clone)]
pub struct Request {
    /// The verified caller; `None` only when the server runs without authentication.
    pub caller: Option<Arc<Caller>>,
    pub platform: Rc<dyn Platform>,
    /// The client accepts an SSE stream, so a tool's notifications can reach it.
    pub sse: bool,
    /// Unix seconds.
    pub now: i64,
    /// Seals and opens `requestState` (`INPUT_STATE_KEY`), when configured.
    pub input_state_key: Option<Arc<[u8]>>,
    /// The scopes every token must hold (`REQUIRED_SCOPES`), which a tool's
    /// `securitySchemes` lists beside its own; `None` without authentication.
    pub required_scopes: Option<Arc<[String]>>,
}

/// The most messages one 2025-03-26 batch may carry.
pub const MAX_BATCH: usize = 100;

/// What to send back for one POST.
#[derive(Debug, PartialEq)]
pub enum PostOutcome {
    /// The body held only notifications or responses: `202 Accepted`, no body.
    Accepted,
    /// A JSON-RPC response (an array for a batch), written. `error` is the code when the
    /// reply is a single error; `era` is the protocol era it was answered in.
    Reply {
        body: Message,
        era: Era,
        error: Option<i64>,
    },
    /// The body holds a request but the client accepts no format we answer in. Nothing ran.
    NotAcceptable,
    /// A `tools/call` (or `resources/read`, `prompts/get`, `completion/complete`) needs
    /// scopes the caller's token lacks. Nothing ran.
    ScopeRequired(MissingScopes),
    /// A `tools/call` whose notifications and result stream as SSE.
    Stream(Streaming),
}

/// The scopes of a tool (or resource, or prompt), and those of them the caller's token
/// lacks.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MissingScopes {
    /// All the scopes the tool, resource or prompt requires.
    pub tool: &'static [&'static str],
    pub missing: Vec<&'static str>,
}

/// What one POST asked for, for the operator's log. Client-supplied names are cut to
/// 64 characters.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Summary {
    /// The JSON-RPC method of a single message.
    pub method: Option<String>,
    /// The tool a `tools/call` named.
    pub tool: Option<String>,
    /// The revision the message was answered in, once known.
    pub version: Option<Version>,
    /// A `tools/call` whose result has `isError: true`.
    pub tool_error: bool,
    /// A `tools/call` answered `resultType: "input_required"`.
    pub input_required: bool,
    /// The number of messages in a 2025-03-26 batch.
    pub batch: Option<usize>,
}

/// The answer to one POST and what it was about.
#[derive(Debug, PartialEq)]
pub struct Handled {
    pub outcome: PostOutcome,
    pub summary: Summary,
}

impl PostOutcome {
    fn error(id: Option<&Id>, err: RpcError, era: Era) -> PostOutcome {
        PostOutcome::Reply {
            body: wire::error(id, &err, era),
            era,
            error: Some(err.code),
        }
    }
}

#[cfg(any(test, feature = "unstable"))]
/// Handles one POST body. `can_reply` is false when the client's `Accept` allows neither
/// JSON nor SSE: then a body that needs an answer is refused before anything runs.
pub async fn handle(
    server: &'static Server,
    request: &Request,
    body: &[u8],
    headers: &McpHeaders<'_>,
    can_reply: bool,
) -> Handled {
    handle_body(server, request, PostBody::new(body), headers, can_reply).await
}

/// [`handle`] for a body whose envelope may have been read already (by
/// [`PostBody::calls_a_tool`], for the rate limit): it is not read again.
pub async fn handle_body(
    server: &'static Server,
    request: &Request,
    body: PostBody<'_>,
    headers: &McpHeaders<'_>,
    can_reply: bool,
) -> Handled {
    let mut summary = Summary::default();
    let outcome = handle_message(server, request, body, headers, can_reply, &mut summary).await;
    Handled { outcome, summary }
}

/// A POST body and, once read, its envelope: the envelope is read at most once per
/// request, by whichever asks first, the per-caller rate limit (does it call a tool?) or
/// the server. Reading it twice measured 21,000 instructions per cached `tools/call` in
/// workerd. A body the envelope's reader does not take (a batch, an odd body)
/// is parsed as a tree once for each question.
pub struct PostBody<'a> {
    bytes: &'a [u8],
    envelope: std::cell::OnceCell<Option<ValidEnvelope<'a>>>,
}

impl<'a> PostBody<'a> {
    pub fn new(bytes: &'a [u8]) -> Self {
        PostBody {
            bytes,
            envelope: std::cell::OnceCell::new(),
        }
    }

    pub fn bytes(&self) -> &'a [u8] {
        self.bytes
    }

    /// Whether the body is a `tools/call`, or a batch holding one (which counts once).
    /// A body that does not parse is not: the server refuses it without running a tool.
    pub fn calls_a_tool(&self) -> bool {
        if let Some(message) = self.envelope.get_or_init(|| Envelope::parse(self.bytes)) {
            return message.method == "tools/call";
        }
        // Anything but one well-formed message (a batch, an escaped method name) is rare:
        // it is read as a tree, as the server's full path reads it.
        calls_a_tool_by_tree(self.bytes)
    }

    /// The envelope, read now unless it was already.
    fn into_envelope(self) -> Option<ValidEnvelope<'a>> {
        match self.envelope.into_inner() {
            Some(read) => read,
            None => Envelope::parse(self.bytes),
        }
    }
}

/// The rule [`PostBody::calls_a_tool`] answers, on a `Value` tree of the whole body: a
/// `tools/call`, or a batch holding one; a body that does not parse is not. The envelope's
/// reader must agree with it (its unit test and the `calls_a_tool` fuzz target).
pub fn calls_a_tool_by_tree(body: &[u8]) -> bool {
    let is_call = |m: &Value| m.get("method").and_then(Value::as_str) == Some("tools/call");
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Array(batch)) => batch.iter().any(is_call),
        Ok(message) => is_call(&message),
        Err(_) => false,
    }
}

async fn handle_message(
    server: &'static Server,
    request: &Request,
    body: PostBody<'_>,
    headers: &McpHeaders<'_>,
    can_reply: bool,
    summary: &mut Summary,
) -> PostOutcome {
    // The era to answer in before the body says more: modern only if the header says so.
    let header_version = headers.protocol_version.and_then(Version::parse);
    let header_era = header_version.map_or(Era::Legacy, Version::era);

    // The common case, a well-formed request or notification, skips the `Value` tree of
    // its envelope; anything else (a batch, a response, a bad field) takes the full path
    // below, which says what is wrong.
    let bytes = body.bytes();
    if headers.protocol_version.is_none() || header_version.is_some() {
        if let Some(message) = body.into_envelope() {
            summary.version = header_version;
            summary.method = Some(truncate(message.method, 64));
            if !can_reply && message.id.is_some() {
                return PostOutcome::NotAcceptable;
            }
            let incoming = match message.id {
                Some(id) => Incoming::Request {
                    id,
                    method: message.method,
                    params: message.params.as_ref(),
                },
                None => Incoming::Notification,
            };
            return handle_request(
                server,
                request,
                Ok(incoming),
                headers,
                header_version,
                summary,
            )
            .await
            .unwrap_or(PostOutcome::Accepted);
        }
    }
    let message: Value = match parse(bytes) {
        Ok(v) => v,
        Err(err) => return PostOutcome::error(None, err, header_era),
    };
    if let (Some(raw), None) = (headers.protocol_version, header_version) {
        let id = message.get("id").and_then(Id::from_value);
        let err = headers::unsupported_header(raw, &message);
        return PostOutcome::error(id.as_ref(), err, header_era);
    }
    summary.version = header_version;
    match message {
        Value::Object(obj) => {
            summary.method = obj
                .get("method")
                .and_then(Value::as_str)
                .map(|m| truncate(m, 64));
            if !can_reply && expects_reply(&obj) {
                return PostOutcome::NotAcceptable;
            }
            handle_single(server, request, &obj, headers, header_version, summary)
                .await
                .unwrap_or(PostOutcome::Accepted)
        }
        Value::Array(items) => {
            summary.batch = Some(items.len());
            summary.version = Some(header_version.unwrap_or(Version::HEADERLESS_DEFAULT));
            handle_batch(server, request, &items, header_version, can_reply).await
        }
        _ => PostOutcome::error(
            None,
            RpcError::invalid_request("the body must be one JSON-RPC message (a JSON object)"),
            header_era,
        ),
    }
}

async fn handle_single(
    server: &'static Server,
    request: &Request,
    obj: &Map<String, Value>,
    headers: &McpHeaders<'_>,
    header_version: Option<Version>,
    summary: &mut Summary,
) -> Option<PostOutcome> {
    handle_request(
        server,
        request,
        classify(obj),
        headers,
        header_version,
        summary,
    )
    .await
}

/// One message, once classified: a request runs, a notification or response is taken.
async fn handle_request(
    server: &'static Server,
    request: &Request,
    message: Result<Incoming<'_>, (Option<Id>, RpcError)>,
    headers: &McpHeaders<'_>,
    header_version: Option<Version>,
    summary: &mut Summary,
) -> Option<PostOutcome> {
    let header_era = header_version.map_or(Era::Legacy, Version::era);
    let (id, method, params) = match message {
        Ok(Incoming::Request { id, method, params }) => (id, method, params),
        // 2026-07-28 defines no client notifications over HTTP; the transport still takes
        // them with 202 (basic/transports/streamable-http "Sending Messages").
        Ok(Incoming::Notification) => return None,
        Ok(Incoming::Response) if header_era == Era::Legacy => return None,
        Ok(Incoming::Response) => {
            return Some(PostOutcome::error(
                None,
                RpcError::invalid_request("clients must not send JSON-RPC responses in 2026-07-28"),
                header_era,
            ))
        }
        Err((id, err)) => return Some(PostOutcome::error(id.as_ref(), err, header_era)),
    };
    let tools_call = (method == "tools/call").then(|| methods::ToolsCall::read(server, params));
    if let Some(t) = &tools_call {
        summary.tool = t.name.map(|name| truncate(name, 64));
    }
    let version = match headers::request_version(header_version, params) {
        Ok(v) => v,
        Err(err) => return Some(PostOutcome::error(Some(&id), err, header_era)),
    };
    summary.version = Some(version);
    let era = version.era();
    if era == Era::Modern {
        if let Err(err) = headers::check_modern(headers, method, params)
            .and_then(|()| check_param_headers(headers, tools_call.as_ref()))
        {
            return Some(PostOutcome::error(Some(&id), err, era));
        }
    }
    if let Some(scopes) =
        methods::missing_scopes(server, request, method, params, tools_call.as_ref())
    {
        return Some(PostOutcome::ScopeRequired(scopes));
    }
    let call = methods::Call {
        server,
        request,
        params,
        version,
        tools_call: tools_call.as_ref(),
    };
    Some(match methods::dispatch(call, &id, method, false).await {
        Ok(Answer::Stream(s)) => PostOutcome::Stream(s),
        Ok(Answer::Result(result)) => {
            summary.tool_error = result.is_tool_error();
            summary.input_required = result.result_type() == wire::ResultKind::InputRequired;
            // The handshake's answer names the revision the client will speak from now on.
            if method == "initialize" {
                summary.version = methods::negotiate(params).ok();
            }
            PostOutcome::Reply {
                body: wire::result(&id, &*result, &server.info(), version),
                era,
                error: None,
            }
        }
        Err(err) => PostOutcome::error(Some(&id), err, era),
    })
}

/// The `Mcp-Param-{Name}` headers of a 2026-07-28 `tools/call`, for a tool that declares
/// some; a tool without `x-mcp-header` parameters costs a lookup.
fn check_param_headers(
    headers: &McpHeaders<'_>,
    tools_call: Option<&methods::ToolsCall<'_>>,
) -> Result<(), RpcError> {
    let Some((_, definition)) = tools_call.and_then(|t| t.tool) else {
        return Ok(());
    };
    if definition.param_headers.is_empty() {
        return Ok(());
    }
    let arguments = tools_call.and_then(|t| t.arguments?.as_object());
    let lookup = |name: &str| headers.all.find(name);
    param_headers::check(&definition.param_headers, lookup, arguments)
}

async fn handle_batch(
    server: &'static Server,
    request: &Request,
    items: &[Value],
    header_version: Option<Version>,
    can_reply: bool,
) -> PostOutcome {
    let version = header_version.unwrap_or(Version::HEADERLESS_DEFAULT);
    let era = version.era();
    if !version.allows_batches() {
        return PostOutcome::error(
            None,
            RpcError::invalid_request(format!(
                "JSON-RPC batches exist only in protocol version 2025-03-26, not {version}; send one message per POST"
            )),
            era,
        );
    }
    if items.is_empty() {
        return PostOutcome::error(None, RpcError::invalid_request("the batch is empty"), era);
    }
    if items.len() > MAX_BATCH {
        return PostOutcome::error(
            None,
            RpcError::invalid_request(format!(
                "the batch has {} messages; at most {MAX_BATCH} are accepted",
                items.len()
            )),
            era,
        );
    }
    let needs_reply = items
        .iter()
        .any(|m| m.as_object().is_some_and(expects_reply));
    if needs_reply && !can_reply {
        return PostOutcome::NotAcceptable;
    }
    // A call the token may not make refuses the whole batch before any member runs.
    for obj in items.iter().filter_map(Value::as_object) {
        if let Ok(Incoming::Request { method, params, .. }) = classify(obj) {
            if let Some(scopes) = methods::missing_scopes(server, request, method, params, None) {
                return PostOutcome::ScopeRequired(scopes);
            }
        }
    }
    let mut replies = Vec::new();
    for item in items {
        let Some(obj) = item.as_object() else {
            replies.push(wire::error(
                None,
                &RpcError::invalid_request("each batch member must be a JSON object"),
                era,
            ));
            continue;
        };
        let reply = match classify(obj) {
            Ok(Incoming::Request { id, method, params }) => Some(
                match methods::dispatch(
                    methods::Call {
                        server,
                        request,
                        params,
                        version,
                        tools_call: None,
                    },
                    &id,
                    method,
                    true,
                )
                .await
                {
                    Ok(Answer::Result(result)) => {
                        wire::result(&id, &*result, &server.info(), version)
                    }
                    // Nothing streams inside a batch (dispatch is told so).
                    Ok(Answer::Stream(_)) => wire::error(Some(&id), &RpcError::internal(), era),
                    Err(err) => wire::error(Some(&id), &err, era),
                },
            ),
            Ok(Incoming::Notification | Incoming::Response) => None,
            Err((id, err)) => Some(wire::error(id.as_ref(), &err, era)),
        };
        replies.extend(reply);
    }
    if replies.is_empty() {
        PostOutcome::Accepted
    } else {
        PostOutcome::Reply {
            body: Message::batch(&replies),
            era,
            error: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The rate limit's question, for bodies of every kind: the envelope's reader answers
    /// the well-formed ones, a `Value` tree the rest, and the tree's answer is the rule.
    #[test]
    fn a_tool_call_is_found_alone_or_in_a_batch() {
        for (body, call) in [
            (
                r#"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"my_tool"}}"#,
                true,
            ),
            (
                r#" [{"jsonrpc":"2.0","method":"ping","id":2}, {"jsonrpc":"2.0","id":1,"method":"tools/call"}]"#,
                true,
            ),
            (r#"{"jsonrpc":"2.0","id":1,"method":"tools/list"}"#, false),
            (r#"{"jsonrpc":"2.0","method":"tools/call"}"#, true),
            (r#"{"jsonrpc":"1.0","id":1,"method":"tools/call"}"#, true),
            (r#"{"jsonrpc":"2.0","id":1,"method":"tools\/call"}"#, true),
            (r#"{"meth\u006fd":"tools/c\u0061ll"}"#, true),
            (r#"{"method":"tools/call","method":"ping"}"#, false),
            (r#"{"method":"ping","method":"tools/call"}"#, true),
            (
                r#"{"params":{"method":"tools/call"},"method":"ping"}"#,
                false,
            ),
            (r#"{"method":{"method":"tools/call"}}"#, false),
            (r#"[[{"method":"tools/call"}]]"#, false),
            (r#"[1,"tools/call",null,{"method":"tools/call"}]"#, true),
            (
                r#"{"jsonrpc":"2.0","id":1,"method":"tools/call","x":1e999}"#,
                false,
            ),
            (
                r#"{"jsonrpc":"2.0","id":1,"method":"tools/call"} {}"#,
                false,
            ),
            (r#"{"method": 5}"#, false),
            (r#""tools/call""#, false),
            ("[]", false),
            ("", false),
        ] {
            assert_eq!(
                PostBody::new(body.as_bytes()).calls_a_tool(),
                call,
                "{body}"
            );
            assert_eq!(
                calls_a_tool_by_tree(body.as_bytes()),
                call,
                "the Value tree disagrees about {body}"
            );
        }
        assert!(!PostBody::new("[".repeat(10_000).as_bytes()).calls_a_tool());
    }

    /// Asked first by the rate limit, the envelope is not read again: the server's
    /// answer is the same.
    #[test]
    fn an_envelope_read_for_the_rate_limit_serves_the_answer() {
        let body = br#"{"jsonrpc":"2.0","id":7,"method":"ping"}"#;
        let read = PostBody::new(body);
        assert!(!read.calls_a_tool());
        assert!(read.envelope.get().is_some_and(Option::is_some));
        let envelope = read.into_envelope().expect("a well-formed request");
        assert_eq!(envelope.method, "ping");
        assert_eq!(envelope.id, Id::from_value(&serde_json::json!(7)));
    }
}
