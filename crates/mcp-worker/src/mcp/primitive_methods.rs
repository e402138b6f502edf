//! Where the methods of resources, templates, prompts and completion are reached.
//!
//! Their code comes with the registries that need it: `resources::Registry::new` and
//! `prompts::Registry::new` hold a reference to [`METHODS`], `Registry::EMPTY` holds none,
//! so a server that registers no resource and no prompt links none of
//! it and uploads none of it; it answers [`none_registered`] instead.

use super::methods::{Call, Params, Reply};
use super::{completion, prompts, resources, Server};
use crate::protocol::jsonrpc::{echo, RpcError};
use crate::protocol::version::Version;
use crate::tools::BoxFuture;

/// The methods served here.
pub const PRIMITIVE_METHOD_NAMES: [&str; 6] = [
    "resources/list",
    "resources/templates/list",
    "resources/read",
    "prompts/list",
    "prompts/get",
    "completion/complete",
];

type Dispatch = for<'a> fn(Call<'a>, &'a str) -> BoxFuture<'a, Result<Reply, RpcError>>;

type Scopes = fn(&Server, &str, Params<'_>) -> Option<&'static [&'static str]>;

type CheckTemplates = fn(&crate::resources::Registry, &mut Vec<&'static str>) -> Result<(), String>;

type CheckPrompts = fn(&[&'static dyn crate::prompts::DynPrompt]) -> Result<(), String>;

/// The entry points into that code.
pub struct Methods {
    pub(crate) dispatch: Dispatch,
    pub(crate) scopes: Scopes,
    /// The start-up check of a registry's templates (`resources::Registry::check`).
    pub(crate) check_templates: CheckTemplates,
    /// The start-up check of a registry's prompts (`prompts::Registry::check`).
    pub(crate) check_prompts: CheckPrompts,
}

/// What a registry with something in it links.
pub const METHODS: Methods = Methods {
    dispatch,
    scopes,
    check_templates: crate::resources::check_templates,
    check_prompts: crate::prompts::check_prompts,
};

fn dispatch<'a>(call: Call<'a>, method: &'a str) -> BoxFuture<'a, Result<Reply, RpcError>> {
    let Call {
        server,
        params,
        version,
        ..
    } = call;
    Box::pin(async move {
        match method {
            "resources/list" => resources::list(server, params, version),
            "resources/templates/list" => resources::templates_list(server, params, version),
            "resources/read" => resources::read(call).await,
            "prompts/list" => prompts::list(server, params, version),
            "prompts/get" => prompts::get(call).await,
            "completion/complete" if server.completes() => completion::complete(call).await,
            _ => Err(RpcError::method_not_found(&echo(method), version)),
        }
    })
}

/// What a registry of resources without templates links when the server has no prompts
/// (a server whose one resource is a tool's view): listing and reading fixed URIs, and an empty template
/// list (hosts such as Claude ask for it; connectors.md). Prompts and completion do not
/// exist there.
pub const RESOURCES_ONLY: Methods = Methods {
    dispatch: dispatch_resources,
    scopes: scopes_resources,
    // A registry without templates has none to check.
    check_templates: |_, _| Ok(()),
    // Prompts are served by `METHODS` only.
    check_prompts: |_| Ok(()),
};

fn dispatch_resources<'a>(
    call: Call<'a>,
    method: &'a str,
) -> BoxFuture<'a, Result<Reply, RpcError>> {
    let Call {
        server,
        params,
        version,
        ..
    } = call;
    Box::pin(async move {
        match method {
            "resources/list" => resources::list(server, params, version),
            "resources/templates/list" => resources::templates_list(server, params, version),
            "resources/read" => resources::read_fixed(call).await,
            _ => Err(none_registered(method, version)),
        }
    })
}

fn scopes_resources(
    server: &Server,
    method: &str,
    params: Params<'_>,
) -> Option<&'static [&'static str]> {
    if method != "resources/read" {
        return None;
    }
    let uri = resources::uri_param(params).ok()?;
    Some(server.resources.find_resource(uri)?.info().scopes)
}

/// The scopes the resource, prompt or completion target of a request needs.
fn scopes(server: &Server, method: &str, params: Params<'_>) -> Option<&'static [&'static str]> {
    match method {
        "resources/read" => {
            let uri = resources::uri_param(params).ok()?;
            Some(server.resources.find(uri)?.info().scopes)
        }
        "prompts/get" => {
            let name = params?.get("name")?.as_str()?;
            Some(server.prompts.get(name)?.info().scopes)
        }
        "completion/complete" => Some(completion::target(server, params).ok()?.scopes()),
        _ => None,
    }
}

/// The answer of a server with no resource, template or prompt: the methods do not
/// exist there (`-32601`), as the conformance suite's
/// `server-stateless` wants of a server that declares no `resources` or `prompts`.
pub(super) fn none_registered(method: &str, version: Version) -> RpcError {
    RpcError::method_not_found(&echo(method), version)
}
