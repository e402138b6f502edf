//! The methods this server answers, shaped for the revision each request speaks.

use serde_json::{json, Map, Value};

use super::state;
use super::stream::{self, Started, Streaming};
use super::{Request, Server};
use crate::protocol::jsonrpc::{echo, Id, RpcError};
use crate::protocol::version::{Era, Version};
use crate::protocol::wire::lists::{self, List};
use crate::protocol::wire::server::{Capabilities, Discover, Initialize, InputRequired};
use crate::protocol::wire::{Empty, Shape};
use crate::tools::{
    BoxFuture, CallResult, Caller, Context, Definition, DynTool, LogLevel, SharedExchange,
};

/// How long clients may cache `tools/list` and `server/discover` (2026-07-28 `CacheableResult`).
pub(super) const CACHE_TTL_MS: u64 = 300_000;

pub(super) type Params<'a> = Option<&'a Map<String, Value>>;

/// A method's result, typed until the server writes it (`protocol::wire::result`).
pub type Reply = Box<dyn Shape>;

/// What a handler's run gives: its result, or the protocol error it ran into.
pub(super) type ReplyOrError = Result<Reply, RpcError>;

/// One request as the methods see it: the server, what came with the POST besides the
/// body, the request's params, and the revision it is answered in.
#[derive(Clone, Copy)]
pub struct Call<'a> {
    pub server: &'static Server,
    pub request: &'a Request,
    pub params: Params<'a>,
    pub version: Version,
    /// A `tools/call`'s params, when the server has read them already.
    pub tools_call: Option<&'a ToolsCall<'a>>,
}

/// A `tools/call`'s params, read once: the operator's log, the `Mcp-Name` and
/// `Mcp-Param-*` checks, the scope check and the call itself all look at the same tool.
pub struct ToolsCall<'a> {
    /// `params.name`, when it is a string.
    pub name: Option<&'a str>,
    /// The tool of that name, with its definition, when the server has one.
    pub tool: Option<(&'static dyn DynTool, &'static Definition)>,
    /// `params.arguments`, as sent.
    pub arguments: Option<&'a Value>,
}

impl<'a> ToolsCall<'a> {
    /// Reads a `tools/call`'s params (`None` when it has none).
    pub fn read(server: &'static Server, params: Params<'a>) -> ToolsCall<'a> {
        let name = params.and_then(|p| p.get("name")).and_then(Value::as_str);
        ToolsCall {
            name,
            tool: name.and_then(|n| server.tools.get(n)),
            arguments: params.and_then(|p| p.get("arguments")),
        }
    }
}

/// The answer to one request.
pub enum Answer {
    Result(Reply),
    /// A tool call whose notifications and result stream to the client.
    Stream(Streaming),
}

/// Runs one request. `in_batch` is true inside a 2025-03-26 batch, where nothing streams.
pub async fn dispatch(
    call: Call<'_>,
    id: &Id,
    method: &str,
    in_batch: bool,
) -> Result<Answer, RpcError> {
    let Call {
        server,
        request,
        params,
        version,
        ..
    } = call;
    let result: Reply = match (version.era(), method) {
        (Era::Legacy, "initialize") if in_batch => Err(RpcError::invalid_request(
            "initialize must not be part of a JSON-RPC batch",
        )),
        (Era::Legacy, "initialize") => initialize(server, params),
        (Era::Legacy, "ping") => Ok(Box::new(Empty) as Reply),
        (Era::Legacy, "logging/setLevel") if server.logging => set_level(params),
        (Era::Modern, "server/discover") => Ok(discover(server, request)),
        (_, "tools/list") => tools_list(server, request, params, version),
        (_, "tools/call") => {
            let stream = request.sse && !in_batch;
            return tools_call(call, id, stream).await;
        }
        // After tools/call: the hot path compares no more names than before.
        (_, m) if super::primitive_methods::PRIMITIVE_METHOD_NAMES.contains(&m) => {
            match server.primitives() {
                Some(p) => (p.dispatch)(call, m).await,
                None => Err(super::primitive_methods::none_registered(m, version)),
            }
        }
        (_, m) if super::skills::SKILL_METHOD_NAMES.contains(&m) => match server.skills.serve() {
            Some(serve) => (serve.dispatch)(server, m, params, version),
            None => Err(RpcError::method_not_found(&echo(m), version)),
        },
        _ => {
            if let Some((store, tasks)) = server.tasks {
                let call = super::tasks::MethodCall {
                    store,
                    call,
                    method,
                };
                if let Some(answer) = (tasks.method)(call).await {
                    return answer.map(|task| Answer::Result(Box::new(task)));
                }
            }
            Err(RpcError::method_not_found(&echo(method), version))
        }
    }?;
    Ok(Answer::Result(result))
}

/// `logging/setLevel` (2025-03-26 to 2025-11-25). A stateless server keeps nothing
/// between requests, so the level cannot apply to later ones; it is checked and
/// acknowledged, and legacy requests get messages at `info` and above (see docs/tools.md).
fn set_level(params: Params) -> Result<Reply, RpcError> {
    let level = params.and_then(|p| p.get("level")).and_then(Value::as_str);
    match level.and_then(LogLevel::parse) {
        Some(_) => Ok(Box::new(Empty)),
        None => Err(RpcError::invalid_params(
            "logging/setLevel needs params.level: debug, info, notice, warning, error, critical, alert or emergency",
        )),
    }
}

/// What a `tools/call` needs that the caller's token does not grant, if anything
/// (2025-11-25 basic/authorization "Scope Challenge Handling"). Without authentication
/// there is no token to ask for more; `tools_call` answers that case.
pub fn missing_scopes(
    server: &'static Server,
    request: &Request,
    method: &str,
    params: Params<'_>,
    tools_call: Option<&ToolsCall<'_>>,
) -> Option<super::MissingScopes> {
    let caller = request.caller.as_deref()?;
    // Resources, templates and prompts need their scopes as tools do, and so does the
    // completion of a prompt's argument or a template's variable.
    let scopes = match method {
        "tools/call" => match tools_call {
            Some(t) => t.tool?.0.scopes(),
            None => ToolsCall::read(server, params).tool?.0.scopes(),
        },
        m => (server.primitives()?.scopes)(server, m, params)?,
    };
    lacking(scopes, caller)
}

/// The scopes of `scopes` that `caller`'s token does not grant, if any.
fn lacking(scopes: &'static [&'static str], caller: &Caller) -> Option<super::MissingScopes> {
    let missing: Vec<&'static str> = scopes
        .iter()
        .copied()
        .filter(|s| !caller.has_scope(s))
        .collect();
    (!missing.is_empty()).then_some(super::MissingScopes {
        tool: scopes,
        missing,
    })
}

/// Why `caller` may not run `tool`, if it may not: the server's rule, which the host
/// helpers (`crate::testing::call_tool_with`) apply too.
pub enum ScopeRefusal {
    /// The token lacks some of the tool's scopes: `403` with an `insufficient_scope`
    /// challenge, before the tool runs.
    Missing(#[cfg_attr(target_arch = "wasm32", allow(dead_code))] super::MissingScopes),
    /// The server runs without authentication and the tool needs a scope: a tool error.
    Unauthenticated(CallResult),
}

pub fn scope_refusal(tool: &dyn DynTool, caller: Option<&Caller>) -> Option<ScopeRefusal> {
    let scopes = tool.scopes();
    if scopes.is_empty() {
        return None;
    }
    match caller {
        None => Some(ScopeRefusal::Unauthenticated(CallResult::error(format!(
            "This tool needs the scope {}, and this server runs without authentication (ALLOW_UNAUTHENTICATED=true), so no caller can hold it. The operator must configure token verification to offer it.",
            scopes.join(" ")
        )))),
        Some(caller) => lacking(scopes, caller).map(ScopeRefusal::Missing),
    }
}

/// What the server offers: `resources`, `prompts` and `completions` only when it has
/// some (see [`Capabilities`]).
fn capabilities(server: &Server) -> Capabilities {
    let mut extensions = Vec::new();
    if !server.skills.is_empty() {
        extensions.push(super::skills::capability());
    }
    Capabilities {
        logging: server.logging,
        resources: !server.resources.is_empty() || !server.skills.is_empty(),
        prompts: !server.prompts.is_empty(),
        completions: server.completes(),
        extensions,
    }
}

/// The revision an `initialize` agrees on: the one asked for when we speak it, else our
/// newest legacy one (2025-11-25 basic/lifecycle "Version Negotiation").
pub(super) fn negotiate(params: Params) -> Result<Version, RpcError> {
    let requested = params
        .and_then(|p| p.get("protocolVersion"))
        .and_then(Value::as_str)
        .ok_or_else(|| {
            RpcError::invalid_params(
                "initialize needs params.protocolVersion, a string such as \"2025-11-25\"",
            )
        })?;
    Ok(Version::parse(requested)
        .filter(|v| v.era() == Era::Legacy)
        .unwrap_or(Version::LATEST_LEGACY))
}

/// Legacy handshake. Nothing is remembered: every later request says its version in the
/// header.
fn initialize(server: &'static Server, params: Params) -> Result<Reply, RpcError> {
    Ok(Box::new(Initialize {
        version: negotiate(params)?,
        capabilities: capabilities(server),
        server: server.info(),
        instructions: server.instructions,
    }))
}

fn discover(server: &Server, request: &Request) -> Reply {
    let mut capabilities = capabilities(server);
    // Advertised only when tasks can be kept (SEP-2663 "Capability Negotiation").
    if server
        .tasks
        .is_some_and(|(store, _)| store.open(&request.platform).is_some())
    {
        // Beside any extension `capabilities` already declares (skills; SEP-2133).
        capabilities
            .extensions
            .push((crate::tasks::EXTENSION, json!({})));
    }
    Box::new(Discover {
        capabilities,
        instructions: server.instructions,
        ttl_ms: CACHE_TTL_MS,
    })
}

/// `params.cursor` of a list request.
fn cursor(params: Params<'_>) -> Result<Option<&str>, RpcError> {
    match params.and_then(|p| p.get("cursor")) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.as_str())),
        Some(_) => Err(RpcError::invalid_params("'cursor' must be a string")),
    }
}

fn unknown_cursor(_: crate::primitives::InvalidCursor) -> RpcError {
    RpcError::invalid_params("unknown cursor; list again without a cursor to start over")
}

/// The items of the page `params.cursor` asks for, out of `len`, and the next cursor.
pub(super) fn page_of(
    len: usize,
    page_size: usize,
    params: Params,
) -> Result<(std::ops::Range<usize>, Option<String>), RpcError> {
    crate::primitives::page(len, page_size, cursor(params)?).map_err(unknown_cursor)
}

/// A list result: the items under `key`, the next cursor, and in 2026-07-28 the caching
/// hints every list carries.
pub(super) fn list_result<T: serde::Serialize + 'static>(
    key: &'static str,
    items: Vec<T>,
    next: Option<String>,
) -> Reply {
    Box::new(List {
        key,
        items,
        next,
        ttl_ms: CACHE_TTL_MS,
    })
}

fn tools_list(
    server: &'static Server,
    request: &Request,
    params: Params,
    version: Version,
) -> Result<Reply, RpcError> {
    let page = server.tools.page(cursor(params)?).map_err(unknown_cursor)?;
    // Without a caller the server runs without authentication: `noauth`.
    // The configuration's own list, shared by every tool of the page.
    let required = request
        .caller
        .as_ref()
        .and_then(|_| request.required_scopes.clone());
    let tools: Vec<lists::Tool<'static>> = page
        .tools
        .iter()
        .map(|(tool, def)| describe(*tool, def, version, required.clone()))
        .collect();
    Ok(list_result("tools", tools, page.next_cursor))
}

/// A resource, prompt or completion that needs scopes, on a server without
/// authentication: no caller can hold them. The request is well formed, so not -32600
/// (`400` in every revision); -32602 travels as a tool's refusal does, in a legacy `200`.
pub(super) fn unauthenticated_scopes(scopes: &[&str]) -> RpcError {
    RpcError::invalid_params(format!(
        "This needs the scope {}, and this server runs without authentication (ALLOW_UNAUTHENTICATED=true), so no caller can hold it. The operator must configure token verification to offer it.",
        scopes.join(" ")
    ))
}

/// How a resource read or prompt takes part in 2026-07-28 input rounds: the key its
/// `requestState` is bound to (`prompt:<name>`, `resource:<uri>`; no tool name has a
/// `:`), the arguments it is bound to, and whether it may ask at all.
pub(super) struct InputCall {
    pub key: String,
    pub arguments: Value,
    pub asks: bool,
}

/// Runs `work` (a read or a prompt, not started yet) with the input machinery tools use:
/// the retry's answers and state go into its exchange first, and what it asked for
/// becomes `input_required` after.
pub(super) async fn run_with_input(
    call: Call<'_>,
    input: InputCall,
    exchange: SharedExchange,
    work: impl std::future::Future<Output = Result<Reply, RpcError>>,
) -> Result<Reply, RpcError> {
    let InputCall {
        key,
        arguments,
        asks,
    } = input;
    let finish = begin_input(call, asks, &exchange, move || (key, arguments))?;
    if !asks {
        return work.await;
    }
    let result = work.await;
    // A read or prompt whose client cannot take input is told what would work, as a
    // client error: the request is well formed, but this client cannot be asked.
    if let Some(why) = exchange.borrow_mut().refusal.take() {
        return Err(RpcError::invalid_params(why));
    }
    finish.apply(result)
}

/// How a handler's answer is finished once it has run ([`begin_input`]).
pub(super) enum Finish<F> {
    /// The handler asks for no input: its answer, unless it ran into a protocol error
    /// (a tool's `ctx.protocol_error`; a read or a prompt says its protocol errors with
    /// its own `Error`, so [`run_with_input`] answers those without a finish).
    Plain(SharedExchange),
    /// The handler may ask: `input_required` when it asked for input not yet given.
    Round(F),
}

impl<F: FnOnce(ReplyOrError) -> ReplyOrError> Finish<F> {
    /// The answer, from what the handler gave.
    pub(super) fn apply(self, result: ReplyOrError) -> ReplyOrError {
        match self {
            Finish::Plain(exchange) => {
                if let Some(e) = exchange.borrow_mut().failed.take() {
                    return Err(e);
                }
                result
            }
            Finish::Round(finish) => finish(result),
        }
    }
}

/// Starts the input round of a tool call, a read or a prompt, before the handler runs
/// (2026-07-28 basic/patterns/mrtr), the one way all three take part: one that never asks
/// refuses a `requestState` (none can be for it) and checks `inputResponses`; one that
/// may ask gets the retry's answers and carried state in its `exchange`, checked against
/// what `bind` names (the key its `requestState` is bound to, and the arguments), and
/// its answer is finished into `input_required` when it asked for more. Before
/// 2026-07-28 there is no round: nothing is read, and a handler that asks is refused by
/// its context.
pub(super) fn begin_input(
    call: Call<'_>,
    asks: bool,
    exchange: &SharedExchange,
    bind: impl FnOnce() -> (String, Value),
) -> Result<Finish<impl FnOnce(ReplyOrError) -> ReplyOrError + 'static>, RpcError> {
    let modern = call.version.era() == Era::Modern;
    if !asks {
        if modern {
            refuse_input(call.params)?;
        }
        return Ok(Finish::Plain(exchange.clone()));
    }
    let (key, arguments) = bind();
    if modern {
        let meta = call.params.and_then(|p| p.get("_meta"));
        prepare_input(
            call.server,
            call.request,
            call.params,
            meta,
            &key,
            &arguments,
            exchange,
        )?;
    }
    Ok(Finish::Round(input_outcome(
        call.server,
        call.request,
        key,
        arguments,
        exchange,
    )))
}

/// A tool's definition as `protocol::wire::lists::Tool` writes it for `version`, with
/// ChatGPT's `securitySchemes` (OpenAI Apps SDK, "Authentication"): what signing in for
/// the tool needs, the scopes every token needs (`required`) and its own, as a scope
/// challenge names them; `noauth` only on a server without tokens (`required` `None`).
fn describe(
    tool: &'static dyn DynTool,
    def: &'static Definition,
    version: Version,
    required: Option<std::sync::Arc<[String]>>,
) -> lists::Tool<'static> {
    lists::Tool {
        name: tool.name(),
        title: tool.title(),
        description: tool.description(),
        input_schema: &def.input_schema,
        output_schema: def.output_schema.as_ref(),
        annotations: def.annotations.as_ref(),
        scopes: required.map(|r| (r, tool.scopes())),
        meta: def.meta.as_ref(),
        version,
    }
}

async fn tools_call(call: Call<'_>, id: &Id, stream: bool) -> Result<Answer, RpcError> {
    let Call {
        server,
        request,
        params,
        version,
        ..
    } = call;
    let read;
    let tools_call = match call.tools_call {
        Some(t) => t,
        None => {
            read = ToolsCall::read(server, params);
            &read
        }
    };
    let name = tools_call
        .name
        .ok_or_else(|| RpcError::invalid_params("tools/call needs params.name, the tool's name"))?;
    let args = match tools_call.arguments {
        None | Some(Value::Null) => Map::new(),
        Some(Value::Object(a)) => a.clone(),
        Some(_) => return Err(RpcError::invalid_params("'arguments' must be an object")),
    };
    let (tool, def) = tools_call.tool.ok_or_else(|| {
        let known: Vec<_> = server.tools.all().iter().map(|t| t.name()).collect();
        RpcError::invalid_params(format!(
            "Unknown tool: '{}'. Available tools: {}",
            echo(name),
            known.join(", ")
        ))
    })?;
    let done = |result: CallResult| Ok(Answer::Result(Box::new(result)));
    if request.caller.is_none() {
        if let Some(ScopeRefusal::Unauthenticated(refusal)) = scope_refusal(tool, None) {
            return done(refusal);
        }
    }
    match (tool.task(), server.tasks) {
        (Some(task_tool), Some((store, tasks))) => {
            let call = super::tasks::TaskCall {
                call,
                tool,
                task_tool,
                def,
                args: &args,
            };
            if let Some(answer) = (tasks.call)(store, call).await {
                return answer;
            }
        }
        (Some(t), None) if t.support() == crate::tasks::TaskSupport::Required => {
            return done(CallResult::error(
                "This tool runs only as a task, and this server keeps no tasks (its mcp::Server names no task store with `.tasks(..)`; see docs/tasks.md).",
            ));
        }
        _ => {}
    }
    let meta = params.and_then(|p| p.get("_meta"));
    let ctx = Context::new(request.caller.clone(), request.platform.clone(), version)
        .with_progress_token(progress_token(meta))
        .with_log_level(log_level(server, meta, version))
        .with_streaming(stream)
        .with_input(tool.asks_for_input());
    let outbox = ctx.outbox();
    let finish = begin_input(call, tool.asks_for_input(), &ctx.exchange(), || {
        (tool.name().into(), Value::Object(args.clone()))
    })?;
    let run = tool.run(crate::tools::RunCall {
        args,
        input_schema: &def.input_schema,
        ctx,
    });
    let future: BoxFuture<'static, Result<Reply, RpcError>> =
        Box::pin(async move { finish.apply(Ok(Box::new(run.await))) });
    if !stream {
        return future.await.map(Answer::Result);
    }
    match stream::start(id.clone(), version, server.info(), outbox, future).await {
        Started::Done(result) => result.map(Answer::Result),
        Started::Streaming(s) => Ok(Answer::Stream(s)),
    }
}

/// Reads a 2026-07-28 retry's `inputResponses` and `requestState` into the tool's
/// context, refusing a state that is not this server's, this call's, or current
/// before the tool runs.
fn prepare_input(
    server: &Server,
    request: &Request,
    params: Params<'_>,
    meta: Option<&Value>,
    tool: &str,
    arguments: &Value,
    exchange: &SharedExchange,
) -> Result<(), RpcError> {
    let mut ex = exchange.borrow_mut();
    ex.client_capabilities = meta
        .and_then(|m| m.get("io.modelcontextprotocol/clientCapabilities"))
        .cloned()
        .unwrap_or_default();
    let owner = crate::tasks::record::owner_of(request.caller.as_deref());
    ex.unbound = owner.is_none();
    if let Some(sealed) = params.and_then(|p| p.get("requestState")) {
        let sealed = sealed
            .as_str()
            .ok_or_else(|| RpcError::invalid_params("'requestState' must be a string"))?;
        let key = request.input_state_key.as_deref().ok_or_else(|| {
            RpcError::invalid_params(
                "'requestState' was not issued by this server, which asks for no input",
            )
        })?;
        let owner = owner.ok_or_else(|| {
            RpcError::invalid_params(
                "'requestState' cannot be this caller's: an input round belongs to the token's subject ('sub') or, without one, its client ('client_id' or 'azp'), and this token names neither",
            )
        })?;
        let binding = state::Binding {
            server: server.name,
            tool,
            arguments,
            owner: &owner,
        };
        let carried = state::open(key, &binding, sealed, request.now)
            .map_err(|e| RpcError::invalid_params(e.to_string()))?;
        ex.responses = carried.responses;
        ex.state = carried.tool_state;
        // A retry answers the requests it was asked, and only those: an answer the state
        // already holds is never replaced, and other keys are ignored.
        if let Some(answers) = input_responses(params)? {
            for key in carried.pending {
                if let Some(answer) = answers.get(&key) {
                    ex.responses.entry(key).or_insert_with(|| answer.clone());
                }
            }
        }
        return Ok(());
    }
    // Without a state nothing was asked before: the answers stand for themselves.
    if let Some(answers) = input_responses(params)? {
        ex.responses
            .extend(answers.iter().map(|(k, v)| (k.clone(), v.clone())));
    }
    Ok(())
}

/// The retry's `inputResponses`, which must be an object when present.
fn input_responses(params: Params<'_>) -> Result<Option<&Map<String, Value>>, RpcError> {
    match params.and_then(|p| p.get("inputResponses")) {
        None => Ok(None),
        Some(Value::Object(answers)) => Ok(Some(answers)),
        Some(_) => Err(RpcError::invalid_params(
            "'inputResponses' must be an object mapping each input request's key to the client's result",
        )),
    }
}

/// For a tool that asks for no input: no state can be for it, and the answers are checked
/// as for any tool.
fn refuse_input(params: Params<'_>) -> Result<(), RpcError> {
    if params.is_some_and(|p| p.contains_key("requestState")) {
        return Err(RpcError::invalid_params(
            "'requestState' was not issued for this tool, which asks for no input",
        ));
    }
    input_responses(params).map(|_| ())
}

/// Turns what the tool (or read, or prompt) returned into the answer: a protocol error it ran into (`-32021`, `-32602`), `input_required` when
/// it asked for input nobody has given yet, else its result.
fn input_outcome(
    server: &'static Server,
    request: &Request,
    tool: String,
    arguments: Value,
    exchange: &SharedExchange,
) -> impl FnOnce(Result<Reply, RpcError>) -> Result<Reply, RpcError> + 'static {
    let exchange = exchange.clone();
    let key = request.input_state_key.clone();
    let now = request.now;
    let caller = request.caller.clone();
    move |result: Result<Reply, RpcError>| {
        let mut ex = exchange.borrow_mut();
        if let Some(err) = ex.error() {
            return Err(err);
        }
        if ex.requests.is_empty() {
            return result;
        }
        // Fails closed earlier (http::handle) when a tool may ask and no key is set, and
        // `Context::input` asks nothing for a caller without an owner. The owner is worked
        // out only here, for a round that is sealed.
        let owner = crate::tasks::record::owner_of(caller.as_deref());
        let (Some(key), Some(owner)) = (key, owner) else {
            return Err(RpcError::internal());
        };
        let binding = state::Binding {
            server: server.name,
            tool: &tool,
            arguments: &arguments,
            owner: &owner,
        };
        let carried = state::Carried {
            responses: std::mem::take(&mut ex.used),
            pending: ex.requests.keys().cloned().collect(),
            tool_state: ex.next_state.take().or_else(|| ex.state.take()),
        };
        Ok(Box::new(InputRequired {
            requests: std::mem::take(&mut ex.requests),
            request_state: state::seal(&key, &binding, &carried, now),
        }))
    }
}

/// `_meta.progressToken`, a string or an integer (basic/utilities/progress).
fn progress_token(meta: Option<&Value>) -> Option<Value> {
    meta?
        .get("progressToken")
        .filter(|t| t.is_string() || t.is_i64() || t.is_u64())
        .cloned()
}

/// The level from which a tool's log messages reach the client. 2026-07-28: only when
/// the request's `_meta` asks, at the level it names (basic/index, `logLevel`: without it
/// the server MUST NOT send any). Legacy: `info`, since `logging/setLevel` cannot carry
/// over to later requests of a stateless server.
fn log_level(server: &Server, meta: Option<&Value>, version: Version) -> Option<LogLevel> {
    if !server.logging {
        return None;
    }
    match version.era() {
        Era::Modern => meta?
            .get("io.modelcontextprotocol/logLevel")?
            .as_str()
            .and_then(LogLevel::parse),
        Era::Legacy => Some(LogLevel::Info),
    }
}
