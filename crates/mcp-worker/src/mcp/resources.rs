//! `resources/list`, `resources/templates/list` and `resources/read`, shaped for the
//! revision each request speaks. The one place a resource or template definition and a
//! read's result are written.

use serde_json::{Map, Value};

use super::methods::{self, Call, Params, Reply};
use super::Server;
use crate::primitives::{resource_not_found, CacheHint};
use crate::protocol::jsonrpc::{echo, RpcError};
use crate::protocol::version::Version;
use crate::protocol::wire::content::read_resource_result;
use crate::protocol::wire::lists;
use crate::protocol::wire::{Object, Shape};
use crate::resources::{Found, Info, Registry, ResourceContents};
use crate::tools::Context;

/// A resource or template definition as `protocol::wire::lists::Resource` writes it.
/// `key` is `uri` or `uriTemplate`.
fn describe(
    key: &'static str,
    uri: &'static str,
    info: &Info,
    meta: Option<Value>,
    version: Version,
) -> lists::Resource<'static> {
    lists::Resource {
        key,
        uri,
        name: info.name,
        title: info.title,
        description: Some(info.description),
        mime_type: info.mime_type,
        size: info.size,
        annotations: info.annotations,
        icons: info.icons,
        meta,
        version,
    }
}

pub(super) fn list(
    server: &'static Server,
    params: Params,
    version: Version,
) -> Result<Reply, RpcError> {
    let reg = server.resources;
    let all = reg.resources();
    // Skill files (SEP-2640) follow the registry's resources; a server without skills
    // lists none.
    let skill_files = super::skills::listed(server, version);
    let total = all.len() + skill_files.len();
    let (range, next) = methods::page_of(total, reg.page_size(), params)?;
    let items = range
        .map(|i| match all.get(i) {
            Some(r) => describe("uri", r.uri(), &r.info(), r.meta(), version),
            None => skill_files[i - all.len()].clone(),
        })
        .collect();
    Ok(methods::list_result("resources", items, next))
}

pub(super) fn templates_list(
    server: &'static Server,
    params: Params,
    version: Version,
) -> Result<Reply, RpcError> {
    let reg = server.resources;
    let all = reg.templates();
    let (range, next) = methods::page_of(all.len(), reg.page_size(), params)?;
    let items = all[range]
        .iter()
        .map(|t| {
            describe(
                "uriTemplate",
                t.uri_template(),
                &t.info(),
                t.meta(),
                version,
            )
        })
        .collect();
    Ok(methods::list_result("resourceTemplates", items, next))
}

/// `params.uri`, which every `resources/*` request and scope check needs.
pub(super) fn uri_param<'a>(params: Params<'a>) -> Result<&'a str, RpcError> {
    params
        .and_then(|p| p.get("uri"))
        .and_then(Value::as_str)
        .ok_or_else(|| {
            RpcError::invalid_params("resources/read needs params.uri, the URI of a resource from resources/list or one matching a template from resources/templates/list")
        })
}

pub(super) async fn read(call: Call<'_>) -> Result<Reply, RpcError> {
    read_found(call, Registry::find).await
}

/// `resources/read` for a registry without templates: only fixed URIs are looked up.
pub(super) async fn read_fixed(call: Call<'_>) -> Result<Reply, RpcError> {
    read_found(call, Registry::find_resource).await
}

async fn read_found(
    call: Call<'_>,
    find: impl Fn(&Registry, &str) -> Option<Found>,
) -> Result<Reply, RpcError> {
    let Call {
        server,
        request,
        params,
        version,
        ..
    } = call;
    let uri = uri_param(params)?;
    let Some(found) = find(server.resources, uri) else {
        if let Some(file) = super::skills::read(server, uri) {
            return Ok(file);
        }
        return Err(resource_not_found(
            version,
            uri,
            format!(
                "no resource has the URI '{}' and no template matches it; list resources/list and resources/templates/list for the URIs this server serves",
                echo(uri)
            ),
        ));
    };
    let info = found.info();
    if request.caller.is_none() && !info.scopes.is_empty() {
        return Err(methods::unauthenticated_scopes(info.scopes));
    }
    let ctx = Context::new(request.caller.clone(), request.platform.clone(), version)
        .with_streaming(false)
        .with_input(info.asks_for_input);
    let retried =
        params.is_some_and(|p| p.contains_key("inputResponses") || p.contains_key("requestState"));
    let cache = if retried { CacheHint::NONE } else { info.cache };
    let run = |ctx: Context| match found {
        Found::Resource(r) => r.read(ctx),
        Found::Template(t, vars) => t.read(uri.to_owned(), vars, ctx),
    };
    let exchange = ctx.exchange();
    let work = async move {
        match run(ctx).await {
            Ok(contents) => Ok(Box::new(Read { contents, cache }) as Reply),
            Err(e) => Err(e.into_rpc(version, Some(uri))),
        }
    };
    let input = methods::InputCall {
        key: format!("resource:{uri}"),
        arguments: Value::Object(Map::new()),
        asks: info.asks_for_input,
    };
    methods::run_with_input(call, input, exchange, work).await
}

/// A `resources/read` result: the contents, and how long they may be cached.
pub(super) struct Read {
    pub contents: Vec<ResourceContents>,
    pub cache: CacheHint,
}

impl Shape for Read {
    fn members(&self, out: &mut Object<'_>) {
        read_resource_result(out, &self.contents, self.cache.ttl_ms, self.cache.scope());
    }
}
