//! `completion/complete` (server/utilities/completion): suggestions for a prompt's
//! argument or a template's variable, from the completer its author gave.

use serde_json::{Map, Value};

use super::methods::{Call, Params, Reply};
use super::{prompts, Server};
use crate::completion::{Completer, CompletionRequest};
use crate::protocol::jsonrpc::{echo, RpcError};
use crate::resources::{DynTemplate, UriTemplate};
use crate::tools::Context;

/// What a completion request refers to.
pub(super) enum Target {
    Prompt(&'static dyn crate::prompts::DynPrompt),
    Template(&'static dyn DynTemplate),
}

impl Target {
    pub(super) fn scopes(&self) -> &'static [&'static str] {
        match self {
            Target::Prompt(p) => p.info().scopes,
            Target::Template(t) => t.info().scopes,
        }
    }
}

/// The prompt or template `params.ref` names.
pub(super) fn target(server: &Server, params: Params) -> Result<Target, RpcError> {
    let reference = params
        .and_then(|p| p.get("ref"))
        .and_then(Value::as_object)
        .ok_or_else(|| {
            RpcError::invalid_params(
                "completion/complete needs params.ref: {\"type\": \"ref/prompt\", \"name\": …} or {\"type\": \"ref/resource\", \"uri\": <a uriTemplate>}",
            )
        })?;
    let text = |k: &str| reference.get(k).and_then(Value::as_str);
    match text("type") {
        Some("ref/prompt") => prompts::named(server, text("name")).map(Target::Prompt),
        Some("ref/resource") => {
            let uri = text("uri").ok_or_else(|| {
                RpcError::invalid_params(
                    "a ref/resource needs uri, a uriTemplate from resources/templates/list",
                )
            })?;
            server
                .resources
                .template(uri)
                .map(Target::Template)
                .ok_or_else(|| {
                    let known: Vec<_> = server
                        .resources
                        .templates()
                        .iter()
                        .map(|t| t.uri_template())
                        .collect();
                    RpcError::invalid_params(format!(
                        "No resource template is '{}'. Templates: {}",
                        echo(uri),
                        if known.is_empty() {
                            "none".to_owned()
                        } else {
                            known.join(", ")
                        }
                    ))
                })
        }
        _ => Err(RpcError::invalid_params(
            "params.ref.type must be \"ref/prompt\" or \"ref/resource\"",
        )),
    }
}

pub(super) async fn complete(call: Call<'_>) -> Result<Reply, RpcError> {
    let Call {
        server,
        request,
        params,
        version,
        ..
    } = call;
    let target = target(server, params)?;
    let argument = params
        .and_then(|p| p.get("argument"))
        .and_then(Value::as_object);
    let field = |k: &str| argument.and_then(|a| a.get(k)).and_then(Value::as_str);
    let (Some(name), Some(value)) = (field("name"), field("value")) else {
        return Err(RpcError::invalid_params(
            "completion/complete needs params.argument: {\"name\": <the argument>, \"value\": <what the user typed>}",
        ));
    };
    let completer: Completer = match &target {
        Target::Prompt(p) => {
            let info = p.info();
            if !info.arguments.iter().any(|a| a.name == name) {
                let known: Vec<_> = info.arguments.iter().map(|a| a.name).collect();
                return Err(RpcError::invalid_params(format!(
                    "The prompt {} has no argument '{}'. Its arguments: {}",
                    info.name,
                    echo(name),
                    if known.is_empty() {
                        "none".to_owned()
                    } else {
                        known.join(", ")
                    }
                )));
            }
            p.completer(name)
        }
        Target::Template(t) => {
            let raw = t.uri_template();
            let vars: Vec<String> = UriTemplate::parse(raw)
                .map(|p| p.variables().map(str::to_owned).collect())
                .unwrap_or_default();
            if !vars.iter().any(|v| v == name) {
                return Err(RpcError::invalid_params(format!(
                    "The template {raw} has no variable '{}'. Its variables: {}",
                    echo(name),
                    vars.join(", ")
                )));
            }
            t.completer(name)
        }
    };
    if request.caller.is_none() && !target.scopes().is_empty() {
        return Err(super::methods::unauthenticated_scopes(target.scopes()));
    }
    // `context.arguments` exists from 2025-06-18 on; older requests have none.
    let context: Map<String, Value> = params
        .filter(|_| version.has_structured_output())
        .and_then(|p| p.get("context"))
        .and_then(|c| c.get("arguments"))
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default();
    let req = CompletionRequest {
        argument: name.to_owned(),
        value: value.to_owned(),
        context,
    };
    let ctx = Context::new(request.caller.clone(), request.platform.clone(), version)
        .with_streaming(false);
    let exchange = ctx.exchange();
    let completion = completer.complete(&req, &ctx).await.map_err(|e| {
        // No revision lets a completion ask for input (2026-07-28 basic/patterns/mrtr
        // names tools/call, resources/read and prompts/get): not the client's fault, and
        // no reason for a 5xx either; the client can still fill the argument by hand.
        if exchange.borrow().undeclared {
            RpcError::invalid_params(
                "This completer asks the client for input, which completion/complete cannot carry in any MCP revision; it has no suggestions for this argument",
            )
        } else {
            e.into_rpc(version, None)
        }
    })?;
    Ok(Box::new(completion))
}
