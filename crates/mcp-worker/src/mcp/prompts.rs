//! `prompts/list` and `prompts/get`, shaped for the revision each request speaks. The one
//! place a prompt definition is written.

use serde_json::{Map, Value};

use super::methods::{self, Call, Params, Reply};
use super::Server;
use crate::prompts::{DynPrompt, Info};
use crate::protocol::jsonrpc::{echo, RpcError};
use crate::protocol::version::Version;
use crate::protocol::wire::lists;
use crate::tools::Context;

/// A prompt's definition as `protocol::wire::lists::Prompt` writes it.
fn describe(info: &Info, version: Version) -> lists::Prompt<'static> {
    lists::Prompt {
        name: info.name,
        title: info.title,
        description: info.description,
        arguments: info
            .arguments
            .iter()
            .map(|a| lists::PromptArgument {
                name: a.name,
                title: a.title,
                description: a.description,
                required: a.required,
            })
            .collect(),
        icons: info.icons,
        version,
    }
}

pub(super) fn list(server: &Server, params: Params, version: Version) -> Result<Reply, RpcError> {
    let reg = server.prompts;
    let all = reg.all();
    let (range, next) = methods::page_of(all.len(), reg.page_size(), params)?;
    let items: Vec<_> = all[range]
        .iter()
        .map(|p| describe(&p.info(), version))
        .collect();
    Ok(methods::list_result("prompts", items, next))
}

/// The prompt `params.name` names, or `-32602` saying which exist.
pub(super) fn named(
    server: &Server,
    name: Option<&str>,
) -> Result<&'static dyn DynPrompt, RpcError> {
    let name = name.ok_or_else(|| {
        RpcError::invalid_params(
            "prompts/get needs params.name, the name of a prompt from prompts/list",
        )
    })?;
    server.prompts.get(name).ok_or_else(|| {
        let known: Vec<_> = server.prompts.all().iter().map(|p| p.info().name).collect();
        RpcError::invalid_params(format!(
            "Unknown prompt: '{}'. Available prompts: {}",
            echo(name),
            if known.is_empty() {
                "none".to_owned()
            } else {
                known.join(", ")
            }
        ))
    })
}

pub(super) async fn get(call: Call<'_>) -> Result<Reply, RpcError> {
    let Call {
        server,
        request,
        params,
        version,
        ..
    } = call;
    let prompt = named(
        server,
        params.and_then(|p| p.get("name")).and_then(Value::as_str),
    )?;
    let args = match params.and_then(|p| p.get("arguments")) {
        None | Some(Value::Null) => Map::new(),
        Some(Value::Object(a)) => a.clone(),
        Some(_) => {
            return Err(RpcError::invalid_params(
                "'arguments' must be an object mapping each argument's name to a string",
            ))
        }
    };
    let info = prompt.info();
    if request.caller.is_none() && !info.scopes.is_empty() {
        return Err(methods::unauthenticated_scopes(info.scopes));
    }
    let ctx = Context::new(request.caller.clone(), request.platform.clone(), version)
        .with_streaming(false)
        .with_input(info.asks_for_input);
    let exchange = ctx.exchange();
    let input = methods::InputCall {
        key: format!("prompt:{}", info.name),
        arguments: Value::Object(args.clone()),
        asks: info.asks_for_input,
    };
    let work = async move {
        prompt
            .get(args, ctx)
            .await
            .map(|r| Box::new(r) as Reply)
            .map_err(|e| e.into_rpc(version, None))
    };
    methods::run_with_input(call, input, exchange, work).await
}
