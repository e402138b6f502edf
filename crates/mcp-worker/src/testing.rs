//! Host-side helpers for testing tools and the server with `cargo test`: a platform whose
//! variables, outbound HTTP, rate limiters and key set a test controls (and which keeps
//! what the core asked of it and wrote to the console), and a way to run a tool or the
//! HTTP core to completion without a runtime.

use std::cell::RefCell;
use std::collections::HashMap;
use std::future::Future;
use std::pin::pin;
use std::rc::Rc;
use std::sync::Arc;
use std::task::{Context as TaskContext, Poll, Waker};

use serde_json::Value;

use crate::http::{Host, KeySetFetch, Limiter, Severity};
use crate::mcp::methods::ScopeRefusal;
use crate::protocol::version::Version;
use crate::tools::{
    CallResult, Caller, Context, DynTool, FetchError, FetchRequest, FetchResponse, Platform,
};

mod schema;
pub use schema::{
    assert_input_schema_matches, assert_output_schema_matches, assert_prompt_arguments_match,
    assert_template_schema_matches, assert_tool_schemas_match, no_args_derived, schema_drift,
    Derived, DerivedOutput, Flow, NoOutput, OutputOf,
};

/// Runs a future that completes without waiting on anything outside the process, as
/// every future does on the host with [`TestPlatform`]. Panics if it would wait.
pub fn block_on<F: Future>(future: F) -> F::Output {
    let mut future = pin!(future);
    let mut cx = TaskContext::from_waker(Waker::noop());
    match future.as_mut().poll(&mut cx) {
        Poll::Ready(v) => v,
        Poll::Pending => panic!("the future waited on something the host test cannot wake"),
    }
}

type Responder = Box<dyn Fn(&FetchRequest) -> Result<FetchResponse, FetchError>>;
type LimiterFn = Box<dyn Fn(&str, &str) -> Limiter>;
type KeySetFn = Box<dyn Fn(&str) -> KeySetFetch>;

/// A platform for host tests: variables from a map, outbound requests answered by a
/// function the test gives, and every request remembered; likewise the rate limiter
/// bindings and the key set (`JWT_JWKS_URL`) the HTTP pipeline asks for, and the lines it
/// writes to the console. It has no bindings: [`Context::kv`] and the rest answer an
/// error naming the binding.
#[derive(Default)]
pub struct TestPlatform {
    /// The worker's variables and secrets, by name.
    pub vars: HashMap<String, String>,
    responder: Option<Responder>,
    sent: RefCell<Vec<FetchRequest>>,
    limiter: Option<LimiterFn>,
    limited: RefCell<Vec<(String, String)>>,
    key_set: Option<KeySetFn>,
    key_set_fetches: RefCell<Vec<String>>,
    console: RefCell<Vec<(Severity, String)>>,
}

impl TestPlatform {
    /// Sets the variable or secret `name` to `value`.
    pub fn with_var(mut self, name: &str, value: &str) -> Self {
        self.vars.insert(name.into(), value.into());
        self
    }

    /// Answers every outbound request with `respond`.
    pub fn answering(
        mut self,
        respond: impl Fn(&FetchRequest) -> Result<FetchResponse, FetchError> + 'static,
    ) -> Self {
        self.responder = Some(Box::new(respond));
        self
    }

    /// The outbound requests made so far.
    pub fn sent(&self) -> Vec<FetchRequest> {
        self.sent.borrow().clone()
    }

    #[cfg(any(test, feature = "unstable"))]
    #[doc(hidden)]
    /// Binds both rate limiters: `limit(binding, key)` answers each question. Without
    /// this, no limiter is bound.
    pub fn limiting(mut self, limit: impl Fn(&str, &str) -> Limiter + 'static) -> Self {
        self.limiter = Some(Box::new(limit));
        self
    }

    #[cfg(any(test, feature = "unstable"))]
    #[doc(hidden)]
    /// The limiter questions asked so far, in order: `(binding, key)`.
    pub fn limited(&self) -> Vec<(String, String)> {
        self.limited.borrow().clone()
    }

    #[cfg(any(test, feature = "unstable"))]
    #[doc(hidden)]
    /// Answers key set fetches with `serve(url)`: the body and its max-age, or an error.
    pub fn serving_key_set(mut self, serve: impl Fn(&str) -> KeySetFetch + 'static) -> Self {
        self.key_set = Some(Box::new(serve));
        self
    }

    #[cfg(any(test, feature = "unstable"))]
    #[doc(hidden)]
    /// The key set URLs fetched so far.
    pub fn key_set_fetches(&self) -> Vec<String> {
        self.key_set_fetches.borrow().clone()
    }

    #[cfg(any(test, feature = "unstable"))]
    #[doc(hidden)]
    /// The console lines written so far.
    pub fn console_lines(&self) -> Vec<(Severity, String)> {
        self.console.borrow().clone()
    }
}

impl Platform for TestPlatform {
    fn var(&self, name: &str) -> Option<String> {
        self.vars.get(name).cloned()
    }

    fn fetch<'a>(
        &'a self,
        request: FetchRequest,
    ) -> crate::tools::BoxFuture<'a, Result<FetchResponse, FetchError>> {
        let answer = match &self.responder {
            Some(respond) => respond(&request),
            None => Err(FetchError("this test platform has no network".into())),
        };
        self.sent.borrow_mut().push(request);
        Box::pin(async move { answer })
    }
}

impl Host for TestPlatform {
    fn has_rate_limiter(&self, _: &str) -> bool {
        self.limiter.is_some()
    }

    fn rate_limit<'a>(
        &'a self,
        binding: &'static str,
        key: &'a str,
    ) -> crate::tools::BoxFuture<'a, Limiter> {
        let answer = match &self.limiter {
            Some(limit) => {
                self.limited
                    .borrow_mut()
                    .push((binding.to_owned(), key.to_owned()));
                limit(binding, key)
            }
            None => Limiter::Unbound,
        };
        Box::pin(std::future::ready(answer))
    }

    fn fetch_key_set<'a>(&'a self, url: &'a str) -> crate::tools::BoxFuture<'a, KeySetFetch> {
        self.key_set_fetches.borrow_mut().push(url.to_owned());
        let answer = match &self.key_set {
            Some(serve) => serve(url),
            None => Err("this test platform has no network".into()),
        };
        Box::pin(std::future::ready(answer))
    }

    fn console(&self, severity: Severity, line: &str) {
        self.console.borrow_mut().push((severity, line.to_owned()));
    }
}

/// Calls `tool` with `args` (a JSON object) on an empty platform, in the newest revision,
/// as a caller holding exactly the tool's scopes (`SCOPES`) and no subject. To test what
/// another caller gets, or no caller at all, use [`call_tool_with`].
pub fn call_tool(tool: &'static dyn DynTool, args: Value) -> CallResult {
    let caller = caller(None, tool.scopes());
    call_tool_with(tool, args, Some(caller), Rc::new(TestPlatform::default()))
}

/// A caller as a verified token would make it: `sub` and the granted scopes.
pub fn caller(subject: Option<&str>, scopes: &[&str]) -> Caller {
    Caller {
        subject: subject.map(str::to_owned),
        scopes: scopes.iter().map(|s| (*s).to_owned()).collect(),
        ..Caller::default()
    }
}

/// What the server answers when a token lacks a tool's scopes: `403` with an
/// `insufficient_scope` challenge, and the tool does not run. [`call_tool_with`] returns
/// it as a tool error whose text starts with this.
pub const INSUFFICIENT_SCOPE: &str = "403 insufficient_scope";

/// Calls `tool` with `args` as `caller` (`None`: a server without authentication) on
/// `platform` (keep an `Rc` of your [`TestPlatform`] to look at what the tool sent).
/// The tool's scopes apply as the server applies them: a caller without them gets an
/// error starting with [`INSUFFICIENT_SCOPE`] (over HTTP, a `403`); no caller gets the
/// server's answer for a scoped tool without authentication.
pub fn call_tool_with(
    tool: &'static dyn DynTool,
    args: Value,
    caller: Option<Caller>,
    platform: Rc<dyn Platform>,
) -> CallResult {
    let ctx = Context::new(caller.map(Arc::new), platform, Version::ALL[0])
        .with_input(tool.asks_for_input());
    call_tool_in(tool, args, ctx).0
}

/// Calls `tool` with `args` in a context you built (for example
/// `.with_progress_token(Some(json!("t")))` or `.with_log_level(Some(LogLevel::Debug))`),
/// and returns the result with the notifications the tool sent, in order. The tool's
/// scopes apply to the context's caller as in [`call_tool_with`].
pub fn call_tool_in(
    tool: &'static dyn DynTool,
    args: Value,
    ctx: Context,
) -> (CallResult, Vec<Value>) {
    match crate::mcp::methods::scope_refusal(tool, ctx.caller()) {
        Some(ScopeRefusal::Unauthenticated(refusal)) => return (refusal, Vec::new()),
        Some(ScopeRefusal::Missing(m)) => {
            let refusal = CallResult::error(format!(
                "{INSUFFICIENT_SCOPE}: the token lacks the scope {} (this tool needs {}); the tool did not run",
                m.missing.join(" "),
                m.tool.join(" ")
            ));
            return (refusal, Vec::new());
        }
        None => {}
    }
    let Value::Object(args) = args else {
        panic!("tool arguments are a JSON object");
    };
    // `run` borrows the schema for the life of the tool's future, as a registry's
    // definitions live: each distinct schema is kept once per thread, not leaked per call.
    let input_schema = tool.definition().input_schema;
    let schema: &'static Value = SCHEMAS.with_borrow_mut(|schemas| {
        *schemas
            .entry(input_schema.to_string())
            .or_insert_with(|| Box::leak(Box::new(input_schema)))
    });
    let outbox = ctx.outbox();
    let result = block_on(tool.run(crate::tools::RunCall {
        args,
        input_schema: schema,
        ctx,
    }));
    let sent = outbox.borrow_mut().drain(..).collect();
    (result, sent)
}

/// Serves `req` with `server` on an empty platform: the whole HTTP core, as the worker
/// runs it, minus workers-rs. The library's own (its `unstable` feature): an app's
/// tests use [`Client`].
#[cfg(any(test, feature = "unstable"))]
#[doc(hidden)]
pub fn handle(
    server: &'static crate::mcp::Server,
    config: &crate::config::Config,
    req: &crate::http::HttpRequest,
    now: i64,
) -> crate::http::Response {
    handle_on(server, config, req, now, Rc::new(TestPlatform::default()))
}

/// [`handle`] on a platform of the test's (keep an `Rc` of your [`TestPlatform`] to look
/// at what the pipeline asked of it).
#[cfg(any(test, feature = "unstable"))]
#[doc(hidden)]
pub fn handle_on(
    server: &'static crate::mcp::Server,
    config: &crate::config::Config,
    req: &crate::http::HttpRequest,
    now: i64,
    platform: Rc<dyn Host>,
) -> crate::http::Response {
    block_on(crate::http::handle(server, config, req, now, platform))
}

/// Tasks kept in memory, for host tests of servers with task-supporting tools: the same
/// object logic the Durable Object runs (the `tasks::object::Object`), with alarms
/// that fire only when the test calls [`MemoryTasks::run_alarms`] and a clock the test
/// sets ([`set_clock_ms`]). One set of tasks per thread (each test has its own).
pub struct MemoryTasks {
    /// The tools the tasks run: the server's tool registry.
    pub tools: &'static crate::tools::Registry,
    /// `false` behaves as a missing Durable Object binding.
    pub bound: bool,
}

type MemoryObject = (Rc<crate::tasks::object::Object>, Rc<MemoryStorage>);

thread_local! {
    static SCHEMAS: RefCell<HashMap<String, &'static Value>> = RefCell::new(HashMap::new());
    static OBJECTS: RefCell<HashMap<String, MemoryObject>> = RefCell::new(HashMap::new());
    static CLOCK_MS: std::cell::Cell<u64> = const { std::cell::Cell::new(0) };
}

/// The time the memory tasks' objects see, in milliseconds since the epoch.
pub fn set_clock_ms(ms: u64) {
    CLOCK_MS.with(|c| c.set(ms));
}

fn clock_ms() -> u64 {
    CLOCK_MS.with(|c| c.get())
}

/// One object's storage and alarm, in memory.
#[derive(Default)]
pub struct MemoryStorage {
    record: RefCell<Option<String>>,
    alarm: std::cell::Cell<Option<u64>>,
}

impl crate::tasks::object::Storage for MemoryStorage {
    fn load(&self) -> crate::tools::BoxFuture<'_, Result<Option<String>, String>> {
        let stored = self.record.borrow().clone();
        Box::pin(async move { Ok(stored) })
    }
    fn save(&self, record: String) -> crate::tools::BoxFuture<'_, Result<(), String>> {
        *self.record.borrow_mut() = Some(record);
        Box::pin(async { Ok(()) })
    }
    fn delete_all(&self) -> crate::tools::BoxFuture<'_, Result<(), String>> {
        *self.record.borrow_mut() = None;
        self.alarm.set(None);
        Box::pin(async { Ok(()) })
    }
    fn set_alarm(&self, at_ms: u64) -> crate::tools::BoxFuture<'_, Result<(), String>> {
        self.alarm.set(Some(at_ms));
        Box::pin(async { Ok(()) })
    }
}

impl MemoryTasks {
    /// Fires every alarm that is due, as the runtime would, until none is.
    pub fn run_alarms() {
        loop {
            let due: Vec<MemoryObject> = OBJECTS.with(|o| {
                o.borrow()
                    .values()
                    .filter(|(_, s)| s.alarm.get().is_some_and(|at| at <= clock_ms()))
                    .cloned()
                    .collect()
            });
            if due.is_empty() {
                return;
            }
            for (object, storage) in due {
                storage.alarm.set(None);
                block_on(object.alarm()).expect("the alarm runs");
            }
        }
    }

    /// Fires every alarm that is due, but cuts each run short where the tool waits, as an
    /// eviction, the wall-time limit or a crash would: the alarm's future is dropped and
    /// so is the object, and the alarm stays due, since the runtime retries an alarm that
    /// did not complete. An alarm that completes without waiting runs as in
    /// [`MemoryTasks::run_alarms`].
    pub fn cut_short_alarms(tools: &'static crate::tools::Registry) {
        let due: Vec<(String, MemoryObject)> = OBJECTS.with(|o| {
            o.borrow()
                .iter()
                .filter(|(_, (_, s))| s.alarm.get().is_some_and(|at| at <= clock_ms()))
                .map(|(id, entry)| (id.clone(), entry.clone()))
                .collect()
        });
        for (id, (object, storage)) in due {
            let at = storage.alarm.take();
            let mut alarm = Box::pin(object.alarm());
            let mut cx = TaskContext::from_waker(Waker::noop());
            match alarm.as_mut().poll(&mut cx) {
                Poll::Ready(done) => done.expect("the alarm runs"),
                Poll::Pending => {
                    drop(alarm);
                    storage.alarm.set(at);
                    OBJECTS.with(|o| {
                        if let Some(entry) = o.borrow_mut().get_mut(&id) {
                            entry.0 = Rc::new(new_object(storage.clone(), tools));
                        }
                    });
                }
            }
        }
    }

    /// Drops every object but keeps their storage: an eviction, or a restart.
    pub fn evict_all(tools: &'static crate::tools::Registry) {
        OBJECTS.with(|o| {
            for (object, storage) in o.borrow_mut().values_mut() {
                *object = Rc::new(new_object(storage.clone(), tools));
            }
        });
    }

    /// The stored record of a task, if any: what storage still holds.
    pub fn stored(task_id: &str) -> Option<String> {
        OBJECTS.with(|o| {
            o.borrow()
                .get(task_id)
                .and_then(|(_, s)| s.record.borrow().clone())
        })
    }
}

fn new_object(
    storage: Rc<MemoryStorage>,
    tools: &'static crate::tools::Registry,
) -> crate::tasks::object::Object {
    crate::tasks::object::Object::new(storage, tools, Rc::new(TestPlatform::default()), clock_ms)
}

struct MemoryStore {
    tools: &'static crate::tools::Registry,
}

impl crate::tasks::sealed::Sealed for MemoryStore {}

impl crate::tasks::TaskChannel for MemoryStore {
    fn send<'a>(
        &'a self,
        task_id: &'a str,
        op: Value,
    ) -> crate::tools::BoxFuture<'a, Result<Value, String>> {
        let (object, _) = OBJECTS.with(|o| {
            o.borrow_mut()
                .entry(task_id.to_owned())
                .or_insert_with(|| {
                    let storage = Rc::new(MemoryStorage::default());
                    (Rc::new(new_object(storage.clone(), self.tools)), storage)
                })
                .clone()
        });
        Box::pin(async move { object.handle(op).await })
    }
}

impl crate::tasks::sealed::Sealed for MemoryTasks {}

impl crate::tasks::TaskStore for MemoryTasks {
    fn binding(&self) -> &'static str {
        "TASKS"
    }
    fn open(&self, _: &Rc<dyn Platform>) -> Option<Rc<dyn crate::tasks::TaskChannel>> {
        self.bound.then(|| {
            Rc::new(MemoryStore { tools: self.tools }) as Rc<dyn crate::tasks::TaskChannel>
        })
    }
}

/// Why a host read or prompt did not produce a result.
#[derive(Debug, PartialEq)]
#[non_exhaustive]
pub enum Refused {
    /// The caller's token lacks these scopes: the server answers `403` with a challenge.
    /// Without a caller (no authentication), every scope is missing.
    MissingScopes(Vec<&'static str>),
    /// Nothing in the registry has this URI or name.
    NotFound,
    /// The handler, or the check of the arguments or variables, failed.
    Error(crate::primitives::Error),
}

fn check_scopes(scopes: &'static [&'static str], caller: Option<&Caller>) -> Result<(), Refused> {
    let missing: Vec<&'static str> = scopes
        .iter()
        .copied()
        .filter(|s| !caller.is_some_and(|c| c.has_scope(s)))
        .collect();
    if missing.is_empty() {
        Ok(())
    } else {
        Err(Refused::MissingScopes(missing))
    }
}

/// Reads `uri` from `registry` as the server would for `caller` (its scopes enforced),
/// on `platform`, in the newest revision: a resource with that URI, else the first
/// template that matches it.
pub fn read_resource_with(
    registry: &'static crate::resources::Registry,
    uri: &str,
    caller: Option<Caller>,
    platform: Rc<dyn Platform>,
) -> Result<Vec<crate::resources::ResourceContents>, Refused> {
    use crate::resources::Found;
    let found = registry.find(uri).ok_or(Refused::NotFound)?;
    check_scopes(found.info().scopes, caller.as_ref())?;
    let ctx = Context::new(caller.map(Arc::new), platform, Version::ALL[0])
        .with_input(found.info().asks_for_input);
    let read = match found {
        Found::Resource(r) => r.read(ctx),
        Found::Template(t, vars) => t.read(uri.to_owned(), vars, ctx),
    };
    block_on(read).map_err(Refused::Error)
}

/// [`read_resource_with`] as an unauthenticated caller on an empty platform: a resource
/// that needs scopes is refused.
pub fn read_resource(
    registry: &'static crate::resources::Registry,
    uri: &str,
) -> Result<Vec<crate::resources::ResourceContents>, Refused> {
    read_resource_with(registry, uri, None, Rc::new(TestPlatform::default()))
}

/// Gets `prompt` with `args` (a JSON object of strings) as the server would for `caller`
/// (its scopes enforced, its arguments checked), in the newest revision.
pub fn get_prompt_with(
    prompt: &'static dyn crate::prompts::DynPrompt,
    args: Value,
    caller: Option<Caller>,
    platform: Rc<dyn Platform>,
) -> Result<crate::prompts::PromptResult, Refused> {
    let Value::Object(args) = args else {
        panic!("prompt arguments are a JSON object");
    };
    let info = prompt.info();
    check_scopes(info.scopes, caller.as_ref())?;
    let ctx = Context::new(caller.map(Arc::new), platform, Version::ALL[0])
        .with_input(info.asks_for_input);
    block_on(prompt.get(args, ctx)).map_err(Refused::Error)
}

/// [`get_prompt_with`] as an unauthenticated caller on an empty platform.
pub fn get_prompt(
    prompt: &'static dyn crate::prompts::DynPrompt,
    args: Value,
) -> Result<crate::prompts::PromptResult, Refused> {
    get_prompt_with(prompt, args, None, Rc::new(TestPlatform::default()))
}

/// The suggestions `completer` gives for `value`, with `context` the arguments already
/// filled in.
pub fn complete(
    completer: crate::completion::Completer,
    argument: &str,
    value: &str,
    context: Value,
) -> Result<crate::completion::Completion, crate::primitives::Error> {
    let req = crate::completion::CompletionRequest {
        argument: argument.to_owned(),
        value: value.to_owned(),
        context: context.as_object().cloned().unwrap_or_default(),
    };
    let ctx = Context::new(None, Rc::new(TestPlatform::default()), Version::ALL[0]);
    block_on(completer.complete(&req, &ctx))
}

/// A client for host tests of a whole server: each request goes through the same HTTP
/// pipeline the worker runs (routing, limits, authentication, MCP, the answer's shape),
/// minus workers-rs, on a [`TestPlatform`]. Without authentication unless variables say
/// otherwise.
///
/// ```ignore
/// let client = mcp_worker::testing::Client::new(&SERVER);
/// let answer = client.call("tools/call", json!({"name": "add", "arguments": {"a": 1, "b": 2}}));
/// assert_eq!(answer.result()["content"][0]["text"], "3");
/// ```
pub struct Client {
    server: &'static crate::mcp::Server,
    version: &'static str,
    platform: Rc<TestPlatform>,
}

/// What a [`Client`] request was answered.
#[derive(Clone, Debug, PartialEq)]
pub struct Answer {
    /// The HTTP status.
    pub status: u16,
    /// The JSON-RPC answer (or, for a refusal before MCP, the JSON error body); `Null`
    /// when there was none (a `202` to a notification).
    pub body: Value,
}

impl Answer {
    /// The JSON-RPC `result`; panics, showing the answer, when there is none.
    #[track_caller]
    pub fn result(&self) -> &Value {
        match self.body.get("result") {
            Some(r) => r,
            None => panic!("no result in the answer ({}): {}", self.status, self.body),
        }
    }

    /// The JSON-RPC error's code, if the answer is an error.
    pub fn error_code(&self) -> Option<i64> {
        self.body.get("error")?.get("code")?.as_i64()
    }
}

impl Client {
    /// A client of `server`, speaking protocol 2025-11-25, to a worker without
    /// authentication (`ALLOW_UNAUTHENTICATED=true`).
    pub fn new(server: &'static crate::mcp::Server) -> Client {
        Client {
            server,
            version: "2025-11-25",
            platform: Rc::new(TestPlatform::default().with_var("ALLOW_UNAUTHENTICATED", "true")),
        }
    }

    /// The worker's variable or secret `name` set to `value` (as `wrangler.toml`'s
    /// `[vars]` or `wrangler secret put` would); `("ALLOW_UNAUTHENTICATED", "")` turns
    /// authentication back on.
    pub fn var(mut self, name: &str, value: &str) -> Client {
        Rc::get_mut(&mut self.platform)
            .expect("set variables before sharing the platform")
            .vars
            .insert(name.to_owned(), value.to_owned());
        self
    }

    /// Speaks `version` (`"2024-11-05"` to `"2026-07-28"`): 2026-07-28 requests carry the
    /// `_meta` fields and the `Mcp-Method`/`Mcp-Name` headers that revision requires. A
    /// `_meta` in the params you pass is kept, and `protocolVersion` and an empty
    /// `clientCapabilities` are added to it when absent: pass `clientCapabilities` to
    /// declare some (an extension, elicitation).
    pub fn protocol(mut self, version: &'static str) -> Client {
        self.version = version;
        self
    }

    /// Serves on `platform` instead: its variables (all of them: set
    /// `ALLOW_UNAUTHENTICATED` there for no authentication), its `fetch` answers, and
    /// what the server asked of it.
    pub fn platform(mut self, platform: Rc<TestPlatform>) -> Client {
        self.platform = platform;
        self
    }

    /// Sends one JSON-RPC request (`id` 1) and returns the answer. A bad configuration
    /// (a variable the worker would refuse) is answered `500`, as in the worker.
    pub fn call(&self, method: &str, params: Value) -> Answer {
        self.send(method, params, None)
    }

    /// [`Client::call`] with `Authorization: Bearer <token>`.
    pub fn call_with_token(&self, token: &str, method: &str, params: Value) -> Answer {
        self.send(method, params, Some(token))
    }

    fn send(&self, method: &str, mut params: Value, token: Option<&str>) -> Answer {
        let modern = self.version == "2026-07-28";
        let mut headers = vec![
            ("content-type".to_owned(), "application/json".to_owned()),
            (
                "accept".to_owned(),
                "application/json, text/event-stream".to_owned(),
            ),
            ("mcp-protocol-version".to_owned(), self.version.to_owned()),
        ];
        if let Some(t) = token {
            headers.push(("authorization".to_owned(), format!("Bearer {t}")));
        }
        if modern {
            if !params.is_object() {
                params = Value::Object(Default::default());
            }
            let meta = params
                .as_object_mut()
                .map(|p| p.entry("_meta").or_insert_with(|| serde_json::json!({})));
            if let Some(Value::Object(meta)) = meta {
                meta.entry("io.modelcontextprotocol/protocolVersion")
                    .or_insert_with(|| self.version.into());
                meta.entry("io.modelcontextprotocol/clientCapabilities")
                    .or_insert_with(|| serde_json::json!({}));
            }
            headers.push(("mcp-method".to_owned(), method.to_owned()));
            let name = crate::protocol::headers::name_field(method)
                .and_then(|field| params.get(field))
                .and_then(Value::as_str);
            if let Some(name) = name {
                headers.push(("mcp-name".to_owned(), name.to_owned()));
            }
        }
        let body =
            serde_json::json!({"jsonrpc": "2.0", "id": 1, "method": method, "params": params});
        let req = crate::http::HttpRequest {
            method: "POST".into(),
            base_url: "http://127.0.0.1:8787".into(),
            path: format!("{}/", self.server.endpoint_path()),
            #[cfg(feature = "oauth")]
            query: String::new(),
            headers: headers.into(),
            body: crate::http::Body::Bytes(body.to_string().into_bytes()),
        };
        // The configuration as the worker reads it, with the server's own checks: a bad
        // variable, or a server that fails its check, answers every request 500.
        let response = match crate::http::configure(self.server, &*self.platform) {
            Ok(config) => {
                let now = std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map_or(0, |d| d.as_secs() as i64);
                block_on(crate::http::handle(
                    self.server,
                    &config,
                    &req,
                    now,
                    self.platform.clone(),
                ))
            }
            Err(e) => crate::http::config_error(&e),
        };
        let text = String::from_utf8_lossy(&response.body);
        // An SSE answer carries its JSON-RPC message in the last event's data.
        let json = text
            .rsplit("data: ")
            .next()
            .filter(|_| text.starts_with("event:") || text.starts_with("data:"))
            .unwrap_or(&text);
        Answer {
            status: response.status,
            body: serde_json::from_str(json.trim()).unwrap_or(Value::Null),
        }
    }
}
