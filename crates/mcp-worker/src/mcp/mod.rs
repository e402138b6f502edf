//! MCP over JSON-RPC: parse one POST body, decide the protocol revision, dispatch, answer.
//!
//! Nothing here knows HTTP beyond the three request headers MCP mirrors from the body; the
//! transport layer (`crate::http`) turns a [`PostOutcome`] into a status code and a body.

mod completion;
// `pub` (hidden) rather than `pub(crate)`: only the host helpers read all of `ScopeRefusal`.
#[doc(hidden)]
pub mod methods;
pub(crate) mod primitives;
mod prompts;
mod resources;
pub(crate) mod skills;
pub(crate) mod state;
pub(crate) mod stream;
pub mod tasks;

use serde_json::{Map, Value};

use crate::protocol::jsonrpc::{truncate, Id, RpcError};
use crate::protocol::version::{Era, Version};
use crate::protocol::wire::{self, Message, ServerInfo};
use crate::protocol::{headers, param_headers, McpHeaders};

use std::rc::Rc;
use std::sync::Arc;

use methods::Answer;
use stream::Streaming;

use crate::tools::{Caller, Platform, Registry};

/// A server: what it says about itself and what it offers. Built in a `static` with
/// [`Server::new`] and its `const` builder methods, so that a field added later breaks
/// no server:
///
/// ```
/// use mcp_worker::mcp::Server;
/// use mcp_worker::tools::Registry;
///
/// static TOOLS: Registry = Registry::new(&[]);
/// static SERVER: Server = Server::new("my-server", "1.0.0")
///     .title("My server")
///     .instructions("What the model should know about using it.")
///     .tools(&TOOLS);
/// ```
pub struct Server {
    pub(crate) name: &'static str,
    pub(crate) title: &'static str,
    pub(crate) version: &'static str,
    pub(crate) instructions: &'static str,
    pub(crate) tools: &'static Registry,
    pub(crate) resources: &'static crate::resources::Registry,
    pub(crate) prompts: &'static crate::prompts::Registry,
    pub(crate) skills: &'static crate::skills::Skills,
    pub(crate) logging: bool,
    pub(crate) tasks: Option<&'static dyn tasks::Backend>,
    pub(crate) audience: Option<&'static str>,
}

static NO_TOOLS: Registry = Registry::new(&[]);
static NO_RESOURCES: crate::resources::Registry = crate::resources::Registry::EMPTY;
static NO_PROMPTS: crate::prompts::Registry = crate::prompts::Registry::EMPTY;

impl Server {
    /// A server named `name` (its `serverInfo.name`, and the name its log lines and
    /// sealed states carry) at `version`, offering nothing yet.
    pub const fn new(name: &'static str, version: &'static str) -> Server {
        Server {
            name,
            title: name,
            version,
            instructions: "",
            tools: &NO_TOOLS,
            resources: &NO_RESOURCES,
            prompts: &NO_PROMPTS,
            skills: &crate::skills::NONE,
            logging: false,
            tasks: None,
            audience: None,
        }
    }

    /// A human-readable name (sent from 2025-06-18 on, and the RFC 9728 metadata's
    /// `resource_name`); the name by default.
    pub const fn title(mut self, title: &'static str) -> Server {
        self.title = title;
        self
    }

    /// What the model is told about using the server.
    pub const fn instructions(mut self, instructions: &'static str) -> Server {
        self.instructions = instructions;
        self
    }

    /// The tools.
    pub const fn tools(mut self, tools: &'static Registry) -> Server {
        self.tools = tools;
        self
    }

    /// Resources and resource templates (app views among them).
    pub const fn resources(mut self, resources: &'static crate::resources::Registry) -> Server {
        self.resources = resources;
        self
    }

    /// Prompts.
    pub const fn prompts(mut self, prompts: &'static crate::prompts::Registry) -> Server {
        self.prompts = prompts;
        self
    }

    /// Agent Skills (the SEP-2640 extension), served as `skill://` resources.
    pub const fn skills(mut self, skills: &'static crate::skills::Skills) -> Server {
        self.skills = skills;
        self
    }

    /// Declares the `logging` capability and sends tools' log messages to clients that
    /// ask for them (`logging/setLevel`, `_meta` `logLevel`). Off by default.
    pub const fn logging(mut self, logging: bool) -> Server {
        self.logging = logging;
        self
    }

    /// Where tool calls that outlive the request are kept (`io.modelcontextprotocol/tasks`;
    /// docs/tasks.md). Without one no tool runs as a task.
    pub const fn tasks(mut self, tasks: &'static dyn tasks::Backend) -> Server {
        self.tasks = Some(tasks);
        self
    }

    /// The audience a token must name (`aud`) when the operator sets neither
    /// `JWT_AUDIENCE` nor an authorization server; the server's name by default. With an
    /// authorization server, tokens name this server's URL instead (RFC 8707).
    pub const fn audience(mut self, audience: &'static str) -> Server {
        self.audience = Some(audience);
        self
    }

    /// The audience tokens must name by default: [`Server::audience`], else the name.
    pub fn token_audience(&self) -> &'static str {
        self.audience.unwrap_or(self.name)
    }

    /// The server's name.
    pub fn name(&self) -> &'static str {
        self.name
    }

    /// The tools it offers.
    pub fn tool_registry(&self) -> &'static Registry {
        self.tools
    }

    /// The resources and templates it offers.
    pub fn resource_registry(&self) -> &'static crate::resources::Registry {
        self.resources
    }

    /// The prompts it offers.
    pub fn prompt_registry(&self) -> &'static crate::prompts::Registry {
        self.prompts
    }
}

impl Server {
    /// The server's name as answers carry it (`serverInfo`).
    pub fn info(&self) -> ServerInfo<'static> {
        ServerInfo {
            name: self.name,
            title: self.title,
            version: self.version,
        }
    }

    /// Every scope a tool, resource, template or prompt requires, each once, in that
    /// order: what `scopes_supported` lists.
    pub fn scopes(&self) -> Vec<&'static str> {
        let mut all = self.tools.scopes();
        for s in self.resources.scopes().chain(self.prompts.scopes()) {
            if !all.contains(&s) {
                all.push(s);
            }
        }
        all
    }

    /// Some tool, resource or prompt may ask the client for input: the server then needs
    /// the `INPUT_STATE_KEY` secret.
    pub fn asks_for_input(&self) -> bool {
        self.tools.asks_for_input()
            || self.resources.asks_for_input()
            || self.prompts.asks_for_input()
    }

    /// The code that serves resources, prompts and completion, when the server registers
    /// any of them (see `mcp::primitives::Methods`). A prompts registry always links all of
    /// it; a resources registry without templates links only what fixed resources need.
    pub fn primitives(&self) -> Option<&'static primitives::Methods> {
        // The fullest dispatch any registry carries: prompts and skills link all of it.
        self.prompts
            .methods()
            .or(self.skills.primitives())
            .or(self.resources.methods())
    }

    /// The server answers `completion/complete`: it has a prompt or a template.
    pub fn completes(&self) -> bool {
        !self.prompts.is_empty() || !self.resources.templates().is_empty()
    }

    /// Checks each registry (tools, resources, prompts, skills), and that every view a
    /// tool names is served among the resources, as hosts will ask for it. The worker
    /// runs it before serving any request, and refuses to serve when it fails.
    pub fn check(&self) -> Result<(), String> {
        self.tools.check()?;
        self.resources.check()?;
        self.prompts.check()?;
        self.skills.check()?;
        for tool in self.tools.all() {
            let Some(view) = tool.ui().view else { continue };
            let served =
                self.resources.resources().iter().any(|r| {
                    r.uri() == view.uri && r.info().mime_type == Some(crate::apps::MIME_TYPE)
                });
            if !served {
                return Err(format!(
                    "{}: its view {} is not among the server's resources; register it: resources::Registry::new(&[&VIEW, …], …)",
                    tool.name(),
                    view.uri
                ));
            }
        }
        Ok(())
    }

    /// [`Server::check`] for a unit test of each server: panics with the problem.
    pub fn assert_valid(&self) {
        if let Err(problem) = self.check() {
            panic!("{problem}");
        }
    }
}

#[doc(hidden)]
/// One POST as the server sees it besides its body: who sent it, the platform, whether
/// the answer may stream, the time, the requestState key. Built by `crate::http`.
#[derive(Clone)]
pub struct Post {
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

#[doc(hidden)]
/// The most messages one 2025-03-26 batch may carry.
pub const MAX_BATCH: usize = 100;

#[doc(hidden)]
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

#[doc(hidden)]
/// The scopes of a tool (or resource, or prompt), and those of them the caller's token
/// lacks.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MissingScopes {
    /// All the scopes the tool, resource or prompt requires.
    pub tool: &'static [&'static str],
    pub missing: Vec<&'static str>,
}

#[doc(hidden)]
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

#[doc(hidden)]
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

#[doc(hidden)]
/// Handles one POST body. `can_reply` is false when the client's `Accept` allows neither
/// JSON nor SSE: then a body that needs an answer is refused before anything runs.
pub async fn handle(
    server: &'static Server,
    request: &Post,
    body: &[u8],
    headers: &McpHeaders<'_>,
    can_reply: bool,
) -> Handled {
    handle_body(server, request, PostBody::new(body), headers, can_reply).await
}

#[doc(hidden)]
/// [`handle`] for a body whose envelope may have been read already (by
/// [`PostBody::calls_a_tool`], for the rate limit): it is not read again.
pub async fn handle_body(
    server: &'static Server,
    request: &Post,
    body: PostBody<'_>,
    headers: &McpHeaders<'_>,
    can_reply: bool,
) -> Handled {
    let mut summary = Summary::default();
    let outcome = handle_message(server, request, body, headers, can_reply, &mut summary).await;
    Handled { outcome, summary }
}

#[doc(hidden)]
/// A POST body and, once read, its envelope: the envelope is read at most once per
/// request, by whichever asks first, the per-caller rate limit (does it call a tool?) or
/// the server. Reading it twice measured 21,000 instructions per cached `tools/call` in
/// workerd. A body the envelope's reader does not take (a batch, an odd body)
/// is parsed as a tree once for each question.
pub struct PostBody<'a> {
    bytes: &'a [u8],
    envelope: std::cell::OnceCell<Option<Checked<'a>>>,
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
    fn into_envelope(self) -> Option<Checked<'a>> {
        match self.envelope.into_inner() {
            Some(read) => read,
            None => Envelope::parse(self.bytes),
        }
    }
}

#[doc(hidden)]
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
    request: &Post,
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

fn parse(body: &[u8]) -> Result<Value, RpcError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err(RpcError::parse_error("the body is empty"));
    }
    // serde_json rejects invalid UTF-8 and nesting deeper than 128 levels.
    serde_json::from_slice(body).map_err(RpcError::parse_error)
}

/// A request or notification whose envelope is what MCP requires: `jsonrpc` "2.0", a
/// `method` string, an `id` (when present) that is a string or an integer, `params` (when
/// present) an object or null. Read straight from the body, without a `Value` tree for
/// the envelope: 8,000 fewer instructions for a cached `tools/call` in workerd.
#[derive(Default)]
struct Envelope<'a> {
    jsonrpc: Option<&'a str>,
    /// `null` stays `Some(Null)`, which [`Id::from_value`] refuses.
    id: Option<Value>,
    method: Option<&'a str>,
    params: Option<Value>,
}

/// Reads only an object, each member once; a member it does not use is read as a `Value`
/// and dropped, so that what this takes the full path takes too.
/// Written by hand: serde's derive also reads a struct from an array, which this never
/// needs (the derived reader cost 3.3 KiB of the gzipped upload, this one 2.9 at first
/// and about 2 since it reads unused members as `Value`s and checks UTF-8 once).
impl<'de> serde::Deserialize<'de> for Envelope<'de> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Members;
        impl<'de> serde::de::Visitor<'de> for Members {
            type Value = Envelope<'de>;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a JSON-RPC message")
            }
            fn visit_map<M: serde::de::MapAccess<'de>>(
                self,
                mut m: M,
            ) -> Result<Envelope<'de>, M::Error> {
                let mut e = Envelope::default();
                while let Some(key) = m.next_key::<&'de str>()? {
                    let fresh = match key {
                        "jsonrpc" => e.jsonrpc.replace(m.next_value()?).is_none(),
                        "id" => e.id.replace(m.next_value()?).is_none(),
                        "method" => e.method.replace(m.next_value()?).is_none(),
                        "params" => e.params.replace(m.next_value()?).is_none(),
                        // Read as the full path reads it, not skipped: a skip checks
                        // less (a number out of range passes it; found by the fuzzer).
                        _ => {
                            m.next_value::<Value>()?;
                            true
                        }
                    };
                    if !fresh {
                        return Err(serde::de::Error::custom("a repeated member"));
                    }
                }
                Ok(e)
            }
        }
        d.deserialize_map(Members)
    }
}

/// What [`Envelope::parse`] gives: only the messages it is sure of.
struct Checked<'a> {
    id: Option<Id>,
    method: &'a str,
    params: Option<Map<String, Value>>,
}

impl<'a> Envelope<'a> {
    /// `None` for anything but one well-formed request or notification: a batch, a
    /// response, a field of the wrong type, a repeated field, an escaped method name.
    fn parse(body: &'a [u8]) -> Option<Checked<'a>> {
        // UTF-8 first: serde_json checks the strings it reads, but not those it skips, and
        // the full path refuses a body that is not UTF-8 anywhere (RFC 8259 section 8.1).
        // Read from a `str`, it checks no string twice.
        let envelope: Envelope = serde_json::from_str(std::str::from_utf8(body).ok()?).ok()?;
        let id = match &envelope.id {
            None => None,
            Some(raw) => Some(Id::from_value(raw)?),
        };
        let params = match envelope.params {
            None | Some(Value::Null) => None,
            Some(Value::Object(p)) => Some(p),
            Some(_) => return None,
        };
        match (envelope.jsonrpc, envelope.method) {
            (Some("2.0"), Some(method)) => Some(Checked { id, method, params }),
            _ => None,
        }
    }
}

#[doc(hidden)]
/// A request or notification as [`read_envelope`] gives it: id, method, params.
pub type EnvelopeRead = (Option<Id>, String, Option<Map<String, Value>>);

#[doc(hidden)]
/// A request or notification as one of the two readers sees it: the envelope's reader
/// (`fast`) or the full path's, for the fuzz check that both agree. `None`: not a request
/// or notification that reader would run (for the full path: an error or a response).
pub fn read_envelope(body: &[u8], fast: bool) -> Option<EnvelopeRead> {
    if fast {
        let m = Envelope::parse(body)?;
        return Some((m.id, m.method.to_owned(), m.params));
    }
    let Ok(Value::Object(obj)) = parse(body) else {
        return None;
    };
    match classify(&obj) {
        Ok(Incoming::Request { id, method, params }) => {
            Some((Some(id), method.to_owned(), params.cloned()))
        }
        Ok(Incoming::Notification) => Some((
            None,
            obj.get("method")?.as_str()?.to_owned(),
            obj.get("params").and_then(Value::as_object).cloned(),
        )),
        _ => None,
    }
}

fn expects_reply(obj: &Map<String, Value>) -> bool {
    obj.contains_key("method") && obj.contains_key("id")
}

/// A message, once its envelope has been checked.
enum Incoming<'a> {
    Request {
        id: Id,
        method: &'a str,
        params: Option<&'a Map<String, Value>>,
    },
    Notification,
    Response,
}

fn classify(obj: &Map<String, Value>) -> Result<Incoming<'_>, (Option<Id>, RpcError)> {
    let raw_id = obj.get("id");
    let id = raw_id.and_then(Id::from_value);
    if obj.get("jsonrpc").and_then(Value::as_str) != Some("2.0") {
        return Err((id, RpcError::invalid_request("'jsonrpc' must be \"2.0\"")));
    }
    let Some(method) = obj.get("method") else {
        let is_response = (obj.contains_key("result") ^ obj.contains_key("error")) && id.is_some();
        return if is_response {
            Ok(Incoming::Response)
        } else {
            Err((
                id,
                RpcError::invalid_request(
                    "a message needs 'method' (a request or notification), or 'id' with 'result' or 'error' (a response)",
                ),
            ))
        };
    };
    let Some(method) = method.as_str() else {
        return Err((id, RpcError::invalid_request("'method' must be a string")));
    };
    let params = match obj.get("params") {
        None | Some(Value::Null) => None,
        Some(Value::Object(p)) => Some(p),
        Some(_) => {
            return Err((
                id,
                RpcError::invalid_params("'params' must be an object (MCP uses named parameters)"),
            ))
        }
    };
    match (raw_id, id) {
        (None, _) => Ok(Incoming::Notification),
        (Some(_), Some(id)) => Ok(Incoming::Request { id, method, params }),
        (Some(raw), None) => Err((
            None,
            RpcError::invalid_request(match raw {
                Value::Null => "'id' must be a string or an integer; MCP does not allow null",
                Value::Number(_) => "'id' must be a string or an integer that fits in 64 bits",
                _ => "'id' must be a string or an integer",
            }),
        )),
    }
}

async fn handle_single(
    server: &'static Server,
    request: &Post,
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
    request: &Post,
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
    if method == "tools/call" {
        summary.tool = params
            .and_then(|p| p.get("name"))
            .and_then(Value::as_str)
            .map(|t| truncate(t, 64));
    }
    let version = match headers::request_version(header_version, params) {
        Ok(v) => v,
        Err(err) => return Some(PostOutcome::error(Some(&id), err, header_era)),
    };
    summary.version = Some(version);
    let era = version.era();
    if era == Era::Modern {
        if let Err(err) = headers::check_modern(headers, method, params)
            .and_then(|()| check_param_headers(server, headers, method, params))
        {
            return Some(PostOutcome::error(Some(&id), err, era));
        }
    }
    if let Some(scopes) = methods::missing_scopes(server, request, method, params) {
        return Some(PostOutcome::ScopeRequired(scopes));
    }
    Some(
        match methods::dispatch(server, request, &id, method, params, version, false).await {
            Ok(Answer::Stream(s)) => PostOutcome::Stream(s),
            Ok(Answer::Result(result)) => {
                summary.tool_error = result.is_tool_error();
                summary.input_required = result.result_type() == "input_required";
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
        },
    )
}

/// The `Mcp-Param-{Name}` headers of a 2026-07-28 `tools/call`, for a tool that declares
/// some; a tool without `x-mcp-header` parameters costs a lookup.
fn check_param_headers(
    server: &Server,
    headers: &McpHeaders<'_>,
    method: &str,
    params: Option<&Map<String, Value>>,
) -> Result<(), RpcError> {
    if method != "tools/call" {
        return Ok(());
    }
    let Some((_, definition)) = params
        .and_then(|p| p.get("name"))
        .and_then(Value::as_str)
        .and_then(|name| server.tools.get(name))
    else {
        return Ok(());
    };
    if definition.param_headers.is_empty() {
        return Ok(());
    }
    let arguments = params
        .and_then(|p| p.get("arguments"))
        .and_then(Value::as_object);
    let lookup = |name: &str| headers.all.find(name);
    param_headers::check(&definition.param_headers, lookup, arguments)
}

async fn handle_batch(
    server: &'static Server,
    request: &Post,
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
            if let Some(scopes) = methods::missing_scopes(server, request, method, params) {
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
                match methods::dispatch(server, request, &id, method, params, version, true).await {
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
    use crate::resources::{self, Resource, ResourceError, ResourceTemplate};
    use crate::tools::{Context, Schema};
    use serde::Deserialize;

    struct Doc;
    impl Resource for Doc {
        const URI: &'static str = "docs://readme";
        const NAME: &'static str = "readme";
        const DESCRIPTION: &'static str = "";
        type Output = &'static str;
        async fn read(&self, _: &Context) -> Result<&'static str, ResourceError> {
            Ok("hi")
        }
    }

    #[derive(Deserialize)]
    struct Q {
        #[allow(dead_code)]
        q: String,
    }
    impl Schema for Q {
        fn schema() -> Value {
            serde_json::json!({"type": "object", "properties": {"q": {"type": "string"}}})
        }
    }
    /// `{?q}` is an operator the matcher does not support.
    struct Search;
    impl ResourceTemplate for Search {
        const URI_TEMPLATE: &'static str = "docs://search{?q}";
        const NAME: &'static str = "search";
        const DESCRIPTION: &'static str = "";
        type Vars = Q;
        type Output = &'static str;
        async fn read(&self, _: &str, _: Q, _: &Context) -> Result<&'static str, ResourceError> {
            Ok("found")
        }
    }

    const fn server(
        resources: &'static resources::Registry,
        prompts: &'static crate::prompts::Registry,
        tools: &'static Registry,
    ) -> Server {
        Server::new("t", "0")
            .tools(tools)
            .resources(resources)
            .prompts(prompts)
    }
    static NO_TOOLS: Registry = Registry::new(&[]);

    #[test]
    fn tokens_name_the_servers_audience_or_else_its_name() {
        static NAMED: Server = Server::new("my-server", "1");
        static SET: Server = Server::new("my-server", "1").audience("api://mine");
        assert_eq!(NAMED.token_audience(), "my-server");
        assert_eq!(SET.token_audience(), "api://mine");
        assert_eq!(SET.name(), "my-server");
    }

    /// A tool that names a view no registry here serves.
    struct Drawn;
    static DRAWING: crate::apps::View = crate::apps::View {
        uri: "ui://t/drawing.html",
        name: "drawing",
        title: None,
        description: "draws",
        html: "<!doctype html><p>drawn</p>",
        csp: crate::apps::Csp::NONE,
        prefers_border: false,
    };
    impl crate::tools::Tool for Drawn {
        const NAME: &'static str = "drawn";
        const DESCRIPTION: &'static str = "has a view";
        const VIEW: Option<&'static crate::apps::View> = Some(&DRAWING);
        type Args = crate::tools::NoArgs;
        type Output = String;
        async fn call(
            &self,
            _: crate::tools::NoArgs,
            _: &crate::tools::Context,
        ) -> Result<String, crate::tools::ToolError> {
            Ok(String::new())
        }
    }
    static VIEWLESS: Registry = Registry::new(&[&Drawn]);
    static EMPTY_PROMPTS: crate::prompts::Registry = crate::prompts::Registry::EMPTY;

    /// The rate limit's question, for bodies of every kind: the envelope's reader answers
    /// the well-formed ones, a `Value` tree the rest, and the tree's answer is the rule.
    #[test]
    fn a_tool_call_is_found_alone_or_in_a_batch() {
        for (body, call) in [
            (
                r#"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"roll_dice"}}"#,
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

    /// The envelope's reader takes only what the full path would run, and reads it the
    /// same; the rest it leaves to the full path, whose errors say what is wrong.
    #[test]
    fn the_envelope_reader_agrees_with_the_full_path() {
        let taken = [
            r#"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"roll_dice","arguments":{"n_dice":3}}}"#,
            r#" {"method":"ping","jsonrpc":"2.0","id":"a\"b"} "#,
            r#"{"jsonrpc":"2.0","id":-7,"method":"ping","params":null}"#,
            r#"{"jsonrpc":"2.0","id":18446744073709551615,"method":"ping","extra":[1,{"x":2}]}"#,
            r#"{"jsonrpc":"2.0","method":"notifications/initialized"}"#,
            r#"{"jsonrpc":"2.0","id":1,"method":"x","result":{}}"#,
        ];
        for body in taken {
            let fast = read_envelope(body.as_bytes(), true);
            assert!(fast.is_some(), "{body}");
            assert_eq!(fast, read_envelope(body.as_bytes(), false), "{body}");
        }
        let left = [
            "",
            "  ",
            "[]",
            r#"[{"jsonrpc":"2.0","id":1,"method":"ping"}]"#,
            r#"["2.0",1,"ping"]"#,
            r#"{"jsonrpc":"2.0","id":null,"method":"ping"}"#,
            r#"{"jsonrpc":"2.0","id":1.5,"method":"ping"}"#,
            r#"{"jsonrpc":"2.0","id":18446744073709551616,"method":"ping"}"#,
            r#"{"jsonrpc":"2.0","id":[1],"method":"ping"}"#,
            r#"{"jsonrpc":"2.0","id":1,"method":7}"#,
            r#"{"jsonrpc":"2.0","id":1,"method":null}"#,
            r#"{"jsonrpc":"2.0","id":1,"method":"p\u0069ng"}"#,
            r#"{"jsonrpc":"1.0","id":1,"method":"ping"}"#,
            r#"{"jsonrpc":null,"id":1,"method":"ping"}"#,
            r#"{"id":1,"method":"ping"}"#,
            r#"{"jsonrpc":"2.0","id":1,"method":"ping","params":[1]}"#,
            r#"{"jsonrpc":"2.0","id":1,"method":"ping","params":"x"}"#,
            r#"{"jsonrpc":"2.0","id":1,"id":2,"method":"ping"}"#,
            r#"{"jsonrpc":"2.0","id":1,"result":{}}"#,
            r#"{"jsonrpc":"2.0","id":1,"method":"ping"} x"#,
            r#"{"jsonrpc":"2.0","id":1,"method":"ping""#,
        ];
        for body in left {
            assert_eq!(read_envelope(body.as_bytes(), true), None, "{body}");
        }
        // Found by the fuzzer: bytes that are not UTF-8, and a number out of range, in a
        // member the reader does not use.
        for other in [
            &b"{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\",\"x\":\"\xff\"}"[..],
            br#"{"jsonrpc":"2.0","id":1,"method":"ping","x":{"n":1e99999}}"#,
        ] {
            assert_eq!(read_envelope(other, true), None);
            assert_eq!(read_envelope(other, false), None);
        }
        // Where the full path runs one of those, it reads it as the first table would.
        assert_eq!(
            read_envelope(br#"{"jsonrpc":"2.0","id":1,"id":2,"method":"ping"}"#, false)
                .unwrap()
                .0,
            Id::from_value(&serde_json::json!(2))
        );
    }

    /// What the worker checks before serving: every registry and the views, not only the
    /// tools and skills.
    #[test]
    fn the_start_up_check_covers_resources_prompts_and_views() {
        static BAD_TEMPLATE: resources::Registry = resources::Registry::new(&[&Doc], &[&Search]);
        static TWICE: resources::Registry = resources::Registry::new(&[&Doc, &Doc], &[]);
        static PAGE_0: resources::Registry =
            resources::Registry::new(&[&Doc], &[]).with_page_size(0);
        static NO_VIEW: resources::Registry = resources::Registry::new(&[&Doc], &[]);
        static PROMPTS_0: crate::prompts::Registry =
            crate::prompts::Registry::EMPTY.with_page_size(0);
        static OK: resources::Registry = resources::Registry::new(&[&Doc], &[]);
        for (server, says) in [
            (
                server(&BAD_TEMPLATE, &EMPTY_PROMPTS, &NO_TOOLS),
                "not supported",
            ),
            (server(&TWICE, &EMPTY_PROMPTS, &NO_TOOLS), "two resources"),
            (server(&PAGE_0, &EMPTY_PROMPTS, &NO_TOOLS), "page size"),
            (server(&OK, &PROMPTS_0, &NO_TOOLS), "page size"),
            (server(&NO_VIEW, &EMPTY_PROMPTS, &VIEWLESS), "its view"),
        ] {
            // Each registry alone passes its own check: only the server-wide one sees these.
            assert_eq!(server.tools.check(), Ok(()));
            assert!(server.skills.check().is_ok());
            let err = server.check().unwrap_err();
            assert!(err.contains(says), "{err}");
            let check = std::panic::AssertUnwindSafe(|| server.assert_valid());
            let panic = std::panic::catch_unwind(check).unwrap_err();
            assert_eq!(panic.downcast_ref::<String>(), Some(&err));
        }
        assert_eq!(server(&OK, &EMPTY_PROMPTS, &NO_TOOLS).check(), Ok(()));
    }
}
