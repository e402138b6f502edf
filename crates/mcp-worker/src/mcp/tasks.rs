//! The tasks extension's methods (SEP-2663, protocol 2026-07-28): a `tools/call` answered
//! with a task, and `tasks/get`, `tasks/update`, `tasks/cancel`. Where the tasks live is
//! the server's [`Backend`]; what a task does is [`crate::tasks::object`].

use std::rc::Rc;

use serde_json::{json, Map, Value};

use super::methods::{self, Answer};
use super::{Post, Server};
use crate::protocol::jsonrpc::RpcError;
use crate::protocol::version::{Era, Version};
use crate::tasks::{self, Record, Status, Store, TaskSupport};
use crate::tools::{BoxFuture, CallResult, Context, Definition, DynTool, Platform, TaskTool};

type Params<'a> = Option<&'a Map<String, Value>>;

/// Where a server keeps its tasks: on Workers, a Durable Object namespace binding
/// (`mcp_worker::durable::Binding`); in host tests, memory
/// (`mcp_worker::testing::MemoryTasks`).
///
/// The provided methods hold the extension's logic. They are reached only through a
/// server's backend, so a server without one links none of it.
pub trait Backend: Sync {
    /// The binding's name, for the operator's messages.
    fn binding(&self) -> &'static str;
    /// The store for this request, or `None` when the binding is not configured.
    fn open(&self, platform: &Rc<dyn Platform>) -> Option<Rc<dyn Store>>;

    /// A `tools/call` of a tool with task support. `None`: answer it in the request as
    /// any other call (the client or the server cannot do tasks, and the tool allows it).
    #[allow(clippy::too_many_arguments)]
    fn call<'a>(
        &'a self,
        server: &'static Server,
        request: &'a Post,
        params: Params<'a>,
        version: Version,
        tool: &'static dyn DynTool,
        task_tool: &'static dyn TaskTool,
        def: &'static Definition,
        args: &'a Map<String, Value>,
    ) -> BoxFuture<'a, Option<Result<Answer, RpcError>>> {
        let store = self.open(&request.platform);
        let binding = self.binding();
        Box::pin(call(
            server, request, params, version, tool, task_tool, def, args, store, binding,
        ))
    }

    /// `tasks/get`, `tasks/update` and `tasks/cancel`; `None` for other methods.
    fn method<'a>(
        &'a self,
        _server: &'static Server,
        request: &'a Post,
        method: &'a str,
        params: Params<'a>,
        version: Version,
    ) -> BoxFuture<'a, Option<Result<Value, RpcError>>> {
        Box::pin(async move {
            if !matches!(method, "tasks/get" | "tasks/update" | "tasks/cancel")
                || version.era() != Era::Modern
            {
                return None;
            }
            let store = self.open(&request.platform);
            Some(run_method(request, method, params, version, store).await)
        })
    }
}

/// Did this request's `clientCapabilities` declare the extension? Only 2026-07-28
/// requests can (SEP-2663 "Backward Compatibility": not defined for 2025-11-25).
pub fn declared(params: Params<'_>, version: Version) -> bool {
    version.era() == Era::Modern
        && params
            .and_then(|p| p.get("_meta"))
            .and_then(|m| m.get("io.modelcontextprotocol/clientCapabilities"))
            .and_then(|c| c.get("extensions"))
            .and_then(|e| e.get(tasks::EXTENSION))
            .is_some_and(Value::is_object)
}

fn missing_extension() -> RpcError {
    let mut required = Map::new();
    required.insert("extensions".into(), json!({ tasks::EXTENSION: {} }));
    RpcError {
        message: format!(
            "This needs the client capability extensions[\"{}\"]; declare it in _meta clientCapabilities if the client supports tasks",
            tasks::EXTENSION
        ),
        ..RpcError::missing_capability(&required)
    }
}

fn unknown_task() -> RpcError {
    // SEP-2663 "Protocol Errors": -32602 for an unknown task, and one answer whether the
    // task never existed, expired, or is another caller's.
    RpcError::invalid_params(
        "Failed to retrieve task: Task not found (unknown, expired, or not yours)",
    )
}

#[allow(clippy::too_many_arguments)]
async fn call(
    server: &'static Server,
    request: &Post,
    params: Params<'_>,
    version: Version,
    tool: &'static dyn DynTool,
    task_tool: &'static dyn TaskTool,
    def: &'static Definition,
    args: &Map<String, Value>,
    store: Option<Rc<dyn Store>>,
    binding: &str,
) -> Option<Result<Answer, RpcError>> {
    let required = task_tool.support() == TaskSupport::Required;
    let Some(store) = store else {
        if !required {
            return None;
        }
        return refused(format!(
            "This tool runs only as a task, and this server has no Durable Object binding {binding} to keep tasks in. The operator must add it to wrangler.toml (see docs/tasks.md)."
        ));
    };
    if required && version.era() == Era::Legacy {
        // SEP-2663 "Backward Compatibility": the extension, its -32021 and the _meta
        // that declares it are not defined before 2026-07-28, so say what would work.
        return refused(format!(
            "This tool runs only as a task, which takes MCP protocol 2026-07-28 with the {} extension; this client speaks {version}. Use a client that speaks 2026-07-28 and supports tasks.",
            tasks::EXTENSION
        ));
    }
    if !declared(params, version) {
        // SEP-2663 "Capability Negotiation": a tool that can only answer with a task
        // refuses a client that cannot take one.
        return required.then(|| Err(missing_extension()));
    }
    if tasks::owner_of(request.caller.as_deref()).is_none() {
        // Nobody could be told apart from this caller, so no task may be theirs.
        if !required {
            return None;
        }
        return refused("This tool runs only as a task, and a task belongs to the token's subject ('sub') or, without one, its client ('client_id' or 'azp'); this token names neither. Use a token that does.");
    }
    Some(
        create(
            server, request, params, version, tool, task_tool, def, args, &*store,
        )
        .await,
    )
}

/// A task-only tool that cannot run as a task for this call: a tool error saying why.
fn refused(why: impl Into<String>) -> Option<Result<Answer, RpcError>> {
    Some(Ok(Answer::Result(Box::new(CallResult::error(why.into())))))
}

#[allow(clippy::too_many_arguments)]
async fn create(
    server: &'static Server,
    request: &Post,
    params: Params<'_>,
    version: Version,
    tool: &'static dyn DynTool,
    task_tool: &'static dyn TaskTool,
    def: &'static Definition,
    args: &Map<String, Value>,
    store: &dyn Store,
) -> Result<Answer, RpcError> {
    let meta = params.and_then(|p| p.get("_meta"));
    let arguments = Value::Object(args.clone());
    let ctx = Context::new(request.caller.clone(), request.platform.clone(), version)
        .with_streaming(false)
        .with_input(tool.asks_for_input());
    if tool.asks_for_input() {
        methods::prepare_input(
            server,
            request,
            params,
            meta,
            tool.name(),
            &arguments,
            &ctx.exchange(),
        )?;
    } else {
        methods::refuse_input(params)?;
    }
    // What must be settled before the work is handed off is settled here, in
    // input_required rounds of this call (SEP-2663 "Composition with Multi Round-Trip
    // Requests": resolved synchronously before the task is created).
    let stopped = task_tool.prepare(args, &def.input_schema, &ctx).await;
    let exchange = ctx.exchange();
    let pending = {
        let ex = exchange.borrow();
        !ex.requests.is_empty() || ex.error().is_some()
    };
    if stopped.is_some() || pending {
        let finalize =
            methods::input_outcome(server, request, tool.name().into(), arguments, &exchange);
        let stopped = stopped.unwrap_or_default();
        return finalize(Ok(Box::new(stopped))).map(Answer::Result);
    }
    let (responses, client_capabilities) = {
        let ex = exchange.borrow();
        let mut responses = ex.responses.clone();
        responses.extend(ex.used.clone());
        (responses, ex.client_capabilities.clone())
    };
    let now_ms = u64::try_from(request.now).unwrap_or(0).saturating_mul(1000);
    let id = tasks::new_id().map_err(|_| RpcError::internal())?;
    let record = Record {
        id: id.clone(),
        owner: tasks::owner_of(request.caller.as_deref()).ok_or_else(RpcError::internal)?,
        tool: tool.name().into(),
        arguments: args.clone(),
        caller: request.caller.as_deref().map(Into::into),
        client_capabilities,
        status: Status::Working,
        status_message: None,
        created_ms: now_ms,
        updated_ms: now_ms,
        ttl_ms: task_tool.ttl_ms(),
        responses,
        input_requests: Map::new(),
        result: None,
        error: None,
        unfinished_runs: 0,
    };
    let op = json!({ "op": "create", "task": record });
    let reply = store
        .send(&id, op)
        .await
        .map_err(|_| RpcError::internal())?;
    let created = reply.get("task").cloned().ok_or_else(RpcError::internal)?;
    Ok(Answer::Result(Box::new(created)))
}

async fn run_method(
    request: &Post,
    method: &str,
    params: Params<'_>,
    version: Version,
    store: Option<Rc<dyn Store>>,
) -> Result<Value, RpcError> {
    // SEP-2663 "Protocol Errors": -32021 for clients that did not declare the extension.
    if !declared(params, version) {
        return Err(missing_extension());
    }
    let id = params
        .and_then(|p| p.get("taskId"))
        .and_then(Value::as_str)
        .ok_or_else(|| {
            RpcError::invalid_params(format!(
                "{method} needs params.taskId, the id tools/call returned"
            ))
        })?;
    let op_name = &method["tasks/".len()..];
    // A caller who can own no task has none to see (and an op without an owner would
    // see every task).
    let owner = tasks::owner_of(request.caller.as_deref()).ok_or_else(unknown_task)?;
    let mut op = json!({ "op": op_name, "owner": owner });
    if method == "tasks/update" {
        match params.and_then(|p| p.get("inputResponses")) {
            Some(Value::Object(answers)) => op["inputResponses"] = Value::Object(answers.clone()),
            _ => {
                return Err(RpcError::invalid_params(
                    "'inputResponses' must be an object mapping each input request's key to the client's result",
                ))
            }
        }
    }
    if !tasks::is_well_formed_id(id) {
        return Err(unknown_task());
    }
    let store = store.ok_or_else(unknown_task)?;
    let reply = store.send(id, op).await.map_err(|_| RpcError::internal())?;
    if reply.get("unknown").is_some() {
        return Err(unknown_task());
    }
    // A task record as the store wrote it: JSON already, written as it is.
    Ok(match reply.get("task") {
        Some(task) if method == "tasks/get" => task.clone(),
        _ => json!({}),
    })
}
