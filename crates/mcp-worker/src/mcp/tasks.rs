//! The tasks extension's methods (SEP-2663, protocol 2026-07-28): a `tools/call` answered
//! with a task, and `tasks/get`, `tasks/update`, `tasks/cancel`. Where the tasks live is
//! the server's [`TaskStore`]; what a task does is [`crate::tasks::object`].

use std::rc::Rc;

use serde_json::{json, Map, Value};

use super::methods::{self, Answer, Call};
use super::Request;
use crate::protocol::jsonrpc::RpcError;
use crate::protocol::version::{Era, Version};
use crate::tasks::record::{self, Record, Status};
use crate::tasks::{self, TaskChannel, TaskStore, TaskSupport};
use crate::tools::{BoxFuture, CallResult, Context, Definition, DynTool, TaskTool};

type Params<'a> = Option<&'a Map<String, Value>>;

/// A `tools/call` of a tool with task support: what the call knows when it may become a
/// task.
pub(crate) struct TaskCall<'a> {
    pub call: Call<'a>,
    pub tool: &'static dyn DynTool,
    pub task_tool: &'static dyn TaskTool,
    pub def: &'static Definition,
    pub args: &'a Map<String, Value>,
}

/// The extension's code, reached only through a server's tasks
/// ([`Server::tasks`](super::Server::tasks) points at [`METHODS`]), so a server that keeps
/// no tasks links none of it.
pub(crate) struct Methods {
    /// A `tools/call` of a tool with task support. `None`: answer it in the request as
    /// any other call (the client or the server cannot do tasks, and the tool allows it).
    pub call: for<'a> fn(&'a dyn TaskStore, TaskCall<'a>) -> BoxFuture<'a, CallAnswer>,
    /// `tasks/get`, `tasks/update` and `tasks/cancel`; `None` for other methods.
    pub method: for<'a> fn(MethodCall<'a>) -> BoxFuture<'a, MethodAnswer>,
}

/// What [`Methods::call`] answers: `None` to answer in the request.
pub(crate) type CallAnswer = Option<Result<Answer, RpcError>>;

/// What [`Methods::method`] answers: `None` for a method that is not the extension's.
pub(crate) type MethodAnswer = Option<Result<Value, RpcError>>;

/// A `tasks/*` request, for [`Methods::method`].
pub(crate) struct MethodCall<'a> {
    pub store: &'a dyn TaskStore,
    pub call: Call<'a>,
    pub method: &'a str,
}

pub(crate) static METHODS: Methods = Methods {
    call: |store, call| {
        Box::pin(async move {
            let channel = store.open(&call.call.request.platform);
            self::call(call, channel, store.binding()).await
        })
    },
    method: |call| {
        Box::pin(async move {
            let MethodCall {
                store,
                call:
                    Call {
                        request,
                        params,
                        version,
                        ..
                    },
                method,
            } = call;
            if !matches!(method, "tasks/get" | "tasks/update" | "tasks/cancel")
                || version.era() != Era::Modern
            {
                return None;
            }
            let channel = store.open(&request.platform);
            Some(run_method(request, method, params, version, channel).await)
        })
    },
};

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

async fn call(
    call: TaskCall<'_>,
    store: Option<Rc<dyn TaskChannel>>,
    binding: &str,
) -> Option<Result<Answer, RpcError>> {
    let TaskCall {
        call:
            Call {
                request,
                params,
                version,
                ..
            },
        task_tool,
        ..
    } = call;
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
    if record::owner_of(request.caller.as_deref()).is_none() {
        // Nobody could be told apart from this caller, so no task may be theirs.
        if !required {
            return None;
        }
        return refused("This tool runs only as a task, and a task belongs to the token's subject ('sub') or, without one, its client ('client_id' or 'azp'); this token names neither. Use a token that does.");
    }
    Some(create(call, &*store).await)
}

/// A task-only tool that cannot run as a task for this call: a tool error saying why.
fn refused(why: impl Into<String>) -> Option<Result<Answer, RpcError>> {
    Some(Ok(Answer::Result(Box::new(CallResult::error(why.into())))))
}

async fn create(call: TaskCall<'_>, store: &dyn TaskChannel) -> Result<Answer, RpcError> {
    let TaskCall {
        call,
        tool,
        task_tool,
        def,
        args,
    } = call;
    let Call {
        request, version, ..
    } = call;
    let ctx = Context::new(request.caller.clone(), request.platform.clone(), version)
        .with_streaming(false)
        .with_input(tool.asks_for_input());
    let finish = methods::begin_input(call, tool.asks_for_input(), &ctx.exchange(), || {
        (tool.name().into(), Value::Object(args.clone()))
    })?;
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
        let stopped = stopped.unwrap_or_default();
        return finish.apply(Ok(Box::new(stopped))).map(Answer::Result);
    }
    let (responses, client_capabilities) = {
        let ex = exchange.borrow();
        let mut responses = ex.responses.clone();
        responses.extend(ex.used.clone());
        (responses, ex.client_capabilities.clone())
    };
    let now_ms = u64::try_from(request.now).unwrap_or(0).saturating_mul(1000);
    let id = record::new_id().map_err(|_| RpcError::internal())?;
    let record = Record {
        id: id.clone(),
        owner: record::owner_of(request.caller.as_deref()).ok_or_else(RpcError::internal)?,
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
    request: &Request,
    method: &str,
    params: Params<'_>,
    version: Version,
    store: Option<Rc<dyn TaskChannel>>,
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
    let owner = record::owner_of(request.caller.as_deref()).ok_or_else(unknown_task)?;
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
    if !record::is_well_formed_id(id) {
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
