//! What a tool sees besides its arguments: who is calling, the worker's variables and
//! secrets, outbound HTTP, and a way to report progress and log to the client.
//!
//! The platform behind a [`Context`] is a trait, so the same tool runs in the worker (the
//! adapter in `src/adapter/platform.rs` implements it with workers-rs) and in a host unit test
//! ([`crate::testing::TestPlatform`]). Bindings (KV, D1, R2, Durable Objects, service
//! bindings) are typed methods of the context (`src/bindings.rs`): in the worker they
//! give the binding, in a host test an error that names it.

use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::sync::Arc;

use serde::de::DeserializeOwned;
use serde_json::{json, Value};

use super::input::{Exchange, InputKind, InputRequest};
use crate::auth::Principal;
use crate::protocol::version::{Era, Version};

/// A boxed future that need not be `Send`: a worker's futures hold JavaScript values.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + 'a>>;

/// Who made the request: the verified token's subject, scopes and claims.
pub type Caller = Principal;

/// The outside world a handler reaches, as the runtime provides it: the worker's
/// variables and secrets, outbound HTTP and its bindings. The worker's adapter gives one
/// to every request; on the host, `mcp_worker::testing::TestPlatform` stands in, so the same
/// tool runs in both. A handler reaches it through its [`Context`] (`ctx.var(…)`,
/// `ctx.fetch(…)`, `ctx.kv(…)` and the other bindings).
pub trait Platform {
    /// A variable or secret of the worker (`[vars]`, `wrangler secret put`, `.dev.vars`).
    fn var(&self, name: &str) -> Option<String>;
    /// Sends an HTTP request and reads the whole answer.
    fn fetch<'a>(
        &'a self,
        request: FetchRequest,
    ) -> BoxFuture<'a, Result<FetchResponse, FetchError>>;
    /// The worker's bindings (KV, D1, R2, Durable Objects, services…), as workers-rs's
    /// `Env`; `None` where there are none (host tests).
    fn env(&self) -> Option<&worker::Env> {
        None
    }
}

/// The severity of a log message sent to the client (RFC 5424 levels, as MCP names them).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum LogLevel {
    /// `debug`: detail for debugging.
    Debug,
    /// `info`: informational messages.
    Info,
    /// `notice`: normal but significant events.
    Notice,
    /// `warning`: warning conditions.
    Warning,
    /// `error`: error conditions.
    Error,
    /// `critical`: critical conditions.
    Critical,
    /// `alert`: action must be taken at once.
    Alert,
    /// `emergency`: the system is unusable.
    Emergency,
}

impl LogLevel {
    /// Every level, from the least severe to the most.
    pub const ALL: [LogLevel; 8] = [
        LogLevel::Debug,
        LogLevel::Info,
        LogLevel::Notice,
        LogLevel::Warning,
        LogLevel::Error,
        LogLevel::Critical,
        LogLevel::Alert,
        LogLevel::Emergency,
    ];

    /// The level's name as MCP writes it (`"debug"` to `"emergency"`).
    pub fn as_str(self) -> &'static str {
        match self {
            LogLevel::Debug => "debug",
            LogLevel::Info => "info",
            LogLevel::Notice => "notice",
            LogLevel::Warning => "warning",
            LogLevel::Error => "error",
            LogLevel::Critical => "critical",
            LogLevel::Alert => "alert",
            LogLevel::Emergency => "emergency",
        }
    }

    /// The level MCP names `s` (as `logging/setLevel` and a request's `_meta` send it);
    /// `None` for any other string.
    pub fn parse(s: &str) -> Option<LogLevel> {
        LogLevel::ALL.into_iter().find(|l| l.as_str() == s)
    }
}

/// Notifications a tool emitted and the transport has not sent yet.
pub type Outbox = Rc<RefCell<VecDeque<Value>>>;

/// Input requests, answers and state of one call, shared with the server.
pub type SharedExchange = Rc<RefCell<Exchange>>;

/// Everything a tool's handler gets besides its arguments. It owns what it refers to, so
/// a tool can go on running while its answer streams to the client.
pub struct Context {
    caller: Option<Arc<Caller>>,
    platform: Rc<dyn Platform>,
    version: Version,
    progress_token: Option<Value>,
    log_level: Option<LogLevel>,
    /// Notifications can reach the client (it accepts a stream); otherwise they are
    /// dropped as they are made, not kept until the tool ends.
    streams: bool,
    outbox: Outbox,
    exchange: SharedExchange,
    /// Set when the call runs as a task (`crate::tasks`).
    task: Option<Rc<TaskSignals>>,
}

/// What a tool running as a task shares with the object that runs it: its latest
/// status message, and whether the client cancelled it.
#[derive(Debug, Default)]
pub struct TaskSignals {
    status: RefCell<Option<String>>,
    status_changed: Cell<bool>,
    cancelled: Cell<bool>,
    waker: RefCell<Option<std::task::Waker>>,
}

impl TaskSignals {
    /// Marks the task cancelled and wakes its run, which then drops the tool's future.
    pub fn cancel(&self) {
        self.cancelled.set(true);
        if let Some(w) = self.waker.borrow_mut().take() {
            w.wake();
        }
    }
    pub fn is_cancelled(&self) -> bool {
        self.cancelled.get()
    }
    pub fn set_waker(&self, waker: &std::task::Waker) {
        *self.waker.borrow_mut() = Some(waker.clone());
    }
    pub fn status(&self) -> Option<String> {
        self.status.borrow().clone()
    }
    /// Whether the status message changed since the last call.
    pub fn take_status_changed(&self) -> bool {
        self.status_changed.replace(false)
    }
    fn set_status(&self, message: String) {
        *self.status.borrow_mut() = Some(message);
        self.status_changed.set(true);
    }
}

impl Context {
    /// A context for a request in `version` from `caller` (`None` without authentication)
    /// on `platform`: no progress token, no log messages, notifications on, input off.
    pub fn new(caller: Option<Arc<Caller>>, platform: Rc<dyn Platform>, version: Version) -> Self {
        Context {
            caller,
            platform,
            version,
            progress_token: None,
            log_level: None,
            streams: true,
            outbox: Outbox::default(),
            exchange: Rc::new(RefCell::new(Exchange {
                modern: version.era() == Era::Modern,
                ..Exchange::default()
            })),
            task: None,
        }
    }

    /// The call runs as a task: progress becomes its status message, and cancellation
    /// is visible through [`Context::is_cancelled`].
    pub(crate) fn with_task(mut self, signals: Rc<TaskSignals>) -> Self {
        self.task = Some(signals);
        self
    }

    /// The call runs as a task (`io.modelcontextprotocol/tasks`), outliving the request.
    pub fn in_task(&self) -> bool {
        self.task.is_some()
    }

    /// The client cancelled the task this call runs as (`tasks/cancel`). The run also
    /// stops the tool at its next `await`; a tool that computes for long between awaits
    /// checks this.
    pub fn is_cancelled(&self) -> bool {
        self.task.as_ref().is_some_and(|t| t.is_cancelled())
    }

    /// Ends the call with a JSON-RPC error instead of a result, for a failure that is
    /// the protocol's, not the tool's (a task then ends `failed`; SEP-2663 "Task
    /// Execution Errors"). Return the value it gives: `Err(ctx.protocol_error(…))`.
    pub fn protocol_error(&self, code: i64, message: impl Into<String>) -> super::ToolError {
        let message = message.into();
        self.exchange.borrow_mut().failed = Some(crate::protocol::jsonrpc::RpcError {
            code,
            message: message.clone(),
            data: None,
        });
        super::ToolError::new(message)
    }

    /// What the server and the tool share about input for this call.
    pub(crate) fn exchange(&self) -> SharedExchange {
        self.exchange.clone()
    }

    /// Asks the client for input, or returns its answer (2026-07-28).
    ///
    /// The first time, the client has not answered: the request is recorded and this
    /// returns `Err`, which the tool passes on with `?`; the call is then answered
    /// `input_required` with every request recorded so far, and the client retries it
    /// with the answers. The tool runs again from the top, and this returns the answer
    /// (for an elicitation `{"action": "accept", "content": {...}}`, for sampling the
    /// model's message, for roots `{"roots": [...]}`). Several requests in one round:
    /// call `input` for each before using `?` on any.
    ///
    /// A client that did not declare the capability a request needs gets `-32021`
    /// (check [`Context::can_ask`] first to offer another way); a client speaking an
    /// older revision gets a tool error saying it needs 2026-07-28.
    pub fn input(&self, key: &str, request: InputRequest) -> Result<Value, super::ToolError> {
        let kind = request.kind().capability();
        let mut ex = self.exchange.borrow_mut();
        if !ex.enabled {
            ex.undeclared = true;
            return Err(super::ToolError::new(
                "This handler asks for input but does not declare it: its author must set `const ASKS_FOR_INPUT: bool = true;`.",
            ));
        }
        let refusal = if !ex.modern {
            Some(format!(
                "This needs to ask the client for input ({kind}), which takes MCP protocol 2026-07-28; this client speaks {}. Use a client that speaks 2026-07-28.",
                self.version
            ))
        } else if ex.unbound {
            Some(format!(
                "This needs to ask the client for input ({kind}), and an input round belongs to the token's subject ('sub') or, without one, its client ('client_id' or 'azp'); this token names neither. Use a token that does."
            ))
        } else {
            None
        };
        if let Some(why) = refusal {
            ex.refusal = Some(why.clone());
            return Err(super::ToolError::new(why));
        }
        if let Some(answer) = ex.responses.get(key).cloned() {
            if !request.accepts(&answer) {
                ex.invalid = Some(format!(
                    "inputResponses.{} is not a {kind} result",
                    crate::protocol::jsonrpc::echo(key)
                ));
                return Err(super::ToolError::new("invalid input response"));
            }
            ex.used.insert(key.to_owned(), answer.clone());
            return Ok(answer);
        }
        if !ex.declares(request.kind()) {
            ex.missing.insert(kind.to_owned(), json!({}));
            return Err(super::ToolError::new(format!(
                "the client did not declare {kind}"
            )));
        }
        ex.requests.insert(key.to_owned(), request.to_json());
        Err(super::ToolError::new("waiting for the client's input"))
    }

    /// Can this request's client be asked for this kind of input?
    pub fn can_ask(&self, kind: InputKind) -> bool {
        let ex = self.exchange.borrow();
        ex.modern && ex.declares(kind)
    }

    /// What this tool kept from an earlier round of the same call with
    /// [`Context::set_state`].
    pub fn state(&self) -> Option<Value> {
        self.exchange.borrow().state.clone()
    }

    /// Keeps `state` for the next round of this call (it travels, signed but readable,
    /// in `requestState`: keep no secrets in it).
    pub fn set_state(&self, state: Value) {
        self.exchange.borrow_mut().next_state = Some(state);
    }

    /// The request asked for progress with this token (`_meta.progressToken`).
    pub fn with_progress_token(mut self, token: Option<Value>) -> Self {
        self.progress_token = token;
        self
    }

    /// Log messages at this level and above go to the client; `None` sends none.
    pub fn with_log_level(mut self, level: Option<LogLevel>) -> Self {
        self.log_level = level;
        self
    }

    /// Whether the tool's notifications can reach the client (`false`: a JSON-only client,
    /// or a batch).
    pub(crate) fn with_streaming(mut self, streams: bool) -> Self {
        self.streams = streams;
        self
    }

    /// The tool may ask the client for input (it declared `ASKS_FOR_INPUT`).
    pub(crate) fn with_input(self, enabled: bool) -> Self {
        self.exchange.borrow_mut().enabled = enabled;
        self
    }

    /// Where the tool's notifications wait for the transport.
    pub(crate) fn outbox(&self) -> Outbox {
        self.outbox.clone()
    }

    /// The verified caller; `None` when the server runs without authentication
    /// (`ALLOW_UNAUTHENTICATED=true`).
    pub fn caller(&self) -> Option<&Caller> {
        self.caller.as_deref()
    }

    /// A variable or secret of the worker; `None` when unset or blank.
    pub fn var(&self, name: &str) -> Option<String> {
        self.platform.var(name).filter(|v| !v.trim().is_empty())
    }

    /// A secret the tool cannot work without: a tool error naming it when it is unset,
    /// so the operator learns which `wrangler secret put` is missing.
    pub fn secret(&self, name: &str) -> Result<String, super::ToolError> {
        self.var(name).ok_or_else(|| {
            super::ToolError::new(format!(
                "This tool is not configured: the server has no {name} secret. The operator sets it with `wrangler secret put {name}`."
            ))
        })
    }

    /// Sends an HTTP request from the worker and reads the answer (at most
    /// [`MAX_FETCH_BYTES`]).
    pub async fn fetch(&self, request: FetchRequest) -> Result<FetchResponse, FetchError> {
        self.platform.fetch(request).await
    }

    /// Tells the client how far the work has come, when it asked for progress; a no-op
    /// otherwise. `progress` must grow from one call to the next; `total` is optional.
    /// The notification leaves at once on the request's event stream.
    pub fn progress(&self, progress: f64, total: Option<f64>, message: Option<&str>) {
        // A task reports progress as its status message (SEP-2663: notifications are
        // not sent for tasks).
        if let Some(task) = &self.task {
            task.set_status(match (message, total) {
                (Some(m), _) => m.to_owned(),
                (None, Some(t)) => format!("{progress} of {t}"),
                (None, None) => format!("{progress}"),
            });
            return;
        }
        let Some(token) = &self.progress_token else {
            return;
        };
        let mut params = json!({ "progressToken": token, "progress": progress });
        if let Some(t) = total {
            params["total"] = t.into();
        }
        // `message` exists from 2025-03-26 on.
        if let Some(m) = message.filter(|_| self.version >= Version::V2025_03_26) {
            params["message"] = m.into();
        }
        self.notify("notifications/progress", params);
    }

    /// Sends a log message to the client, if it asked for messages at this level
    /// (`notifications/message`). `data` is any JSON: a string or an object.
    pub fn log(&self, level: LogLevel, data: impl Into<Value>) {
        if self.log_level.is_some_and(|min| level >= min) {
            let params = json!({ "level": level.as_str(), "data": data.into() });
            self.notify("notifications/message", params);
        }
    }

    /// `log(LogLevel::Info, …)`.
    pub fn info(&self, data: impl Into<Value>) {
        self.log(LogLevel::Info, data);
    }

    fn notify(&self, method: &str, params: Value) {
        if !self.streams {
            return;
        }
        let message = json!({ "jsonrpc": "2.0", "method": method, "params": params });
        self.outbox.borrow_mut().push_back(message);
    }

    /// The protocol revision the request speaks.
    pub fn protocol_version(&self) -> &'static str {
        self.version.as_str()
    }

    /// The platform itself.
    pub fn platform(&self) -> &dyn Platform {
        &*self.platform
    }
}

/// The largest answer body [`Context::fetch`] reads (8 MiB).
pub const MAX_FETCH_BYTES: usize = 8 << 20;

/// An outbound HTTP request.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FetchRequest {
    /// The HTTP method: `GET`, `POST`…
    pub method: String,
    /// The URL to send it to.
    pub url: String,
    /// Header names and values, in order.
    pub headers: Vec<(String, String)>,
    /// The body, if any.
    pub body: Option<Vec<u8>>,
}

impl FetchRequest {
    /// A GET of `url`, with no headers and no body.
    pub fn get(url: impl Into<String>) -> Self {
        FetchRequest {
            method: "GET".into(),
            url: url.into(),
            ..Self::default()
        }
    }

    /// A POST with a JSON body.
    pub fn post_json(url: impl Into<String>, body: &serde_json::Value) -> Self {
        FetchRequest {
            method: "POST".into(),
            url: url.into(),
            headers: vec![("content-type".into(), "application/json".into())],
            body: Some(body.to_string().into_bytes()),
        }
    }

    /// Adds a header.
    pub fn header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.headers.push((name.into(), value.into()));
        self
    }
}

/// The answer to a [`FetchRequest`].
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FetchResponse {
    /// The HTTP status code.
    pub status: u16,
    /// Header names in lower case.
    pub headers: Vec<(String, String)>,
    /// The body's bytes.
    pub body: Vec<u8>,
}

impl FetchResponse {
    /// The first value of header `name`, compared case-insensitively.
    pub fn header(&self, name: &str) -> Option<&str> {
        crate::protocol::find_header(&self.headers, name)
    }

    /// The body as text (invalid UTF-8 replaced).
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// The body parsed as JSON and read as `T`, by serde's rules for a parsed JSON value:
    /// a repeated member counts its last value, an integer beyond 64 bits reads as a
    /// float, and an error for a value of the wrong type names no line or column. (Read
    /// through a tree so that the worker links none of serde_json's typed readers:
    /// `crate::protocol::from_value` says why.)
    pub fn json<T: DeserializeOwned>(&self) -> Result<T, FetchError> {
        crate::protocol::from_value::from_value(&self.tree()?).map_err(not_expected)
    }

    /// The body parsed as a JSON tree: what [`FetchResponse::json`] reads from, for a
    /// caller that wants the tree itself (read into a `Value` it would be built twice).
    pub(crate) fn tree(&self) -> Result<Value, FetchError> {
        serde_json::from_slice(&self.body).map_err(not_expected)
    }
}

fn not_expected(e: impl fmt::Display) -> FetchError {
    FetchError(format!("the answer is not the JSON expected: {e}"))
}

/// Why an outbound request failed (the network, a refused URL, a body over the limit).
/// The message is safe to show the model: it names the problem, not secrets.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FetchError(pub String);

impl fmt::Display for FetchError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for FetchError {}

impl From<FetchError> for super::ToolError {
    fn from(e: FetchError) -> Self {
        super::ToolError::new(format!("An outbound request failed: {e}"))
    }
}

impl From<FetchError> for super::Error {
    fn from(e: FetchError) -> Self {
        super::Error::new(format!("An outbound request failed: {e}"))
    }
}
