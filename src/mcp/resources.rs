//! `resources/list`, `resources/templates/list` and `resources/read`, shaped for the
//! revision each request speaks. The one place a resource or template definition and a
//! read's result are written.

use serde_json::{Map, Value};

use super::methods::{self, Params};
use super::{Post, Server};
use crate::primitives::{resource_not_found, CacheHint};
use crate::protocol::jsonrpc::{truncate, RpcError};
use crate::protocol::version::{Era, Version};
use crate::resources::{Found, Info, Registry};
use crate::tools::Context;

/// A resource or template definition with the fields `version` defines. `key` is `uri`
/// or `uriTemplate`.
fn describe(key: &'static str, uri: &str, info: &Info, meta: Option<Value>, v: Version) -> Value {
    let mut out = Map::new();
    out.insert(key.into(), uri.into());
    out.insert("name".into(), info.name.into());
    if let Some(t) = info.title.filter(|_| v.has_structured_output()) {
        out.insert("title".into(), t.into());
    }
    if !info.description.is_empty() {
        out.insert("description".into(), info.description.into());
    }
    if let Some(m) = info.mime_type {
        out.insert("mimeType".into(), m.into());
    }
    if let Some(s) = info.size.filter(|_| v >= Version::V2025_03_26) {
        out.insert("size".into(), s.into());
    }
    if let Some(a) = info.annotations.to_json(v) {
        out.insert("annotations".into(), a);
    }
    if let Some(icons) = icons(info.icons, v) {
        out.insert("icons".into(), icons);
    }
    if let Some(m) = meta {
        out.insert("_meta".into(), m);
    }
    Value::Object(out)
}

/// `icons`, from 2025-11-25 on (SEP-973).
pub(super) fn icons(icons: &[crate::primitives::Icon], v: Version) -> Option<Value> {
    (!icons.is_empty() && v >= Version::V2025_11_25)
        .then(|| Value::Array(icons.iter().map(|i| i.to_json()).collect()))
}

pub(super) fn list(server: &Server, params: Params, version: Version) -> Result<Value, RpcError> {
    let reg = server.resources;
    let all = reg.resources();
    // Skill files (SEP-2640) follow the registry's resources; a server without skills
    // lists none.
    let skill_files = super::skills::listed(server);
    let total = all.len() + skill_files.len();
    let (range, next) = methods::page_of(total, reg.page_size(), params)?;
    let items = range
        .map(|i| match all.get(i) {
            Some(r) => describe("uri", r.uri(), &r.info(), r.meta(), version),
            None => skill_files[i - all.len()].clone(),
        })
        .collect();
    Ok(methods::list_result("resources", items, next, version))
}

pub(super) fn templates_list(
    server: &Server,
    params: Params,
    version: Version,
) -> Result<Value, RpcError> {
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
    Ok(methods::list_result(
        "resourceTemplates",
        items,
        next,
        version,
    ))
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

pub(super) async fn read(
    server: &'static Server,
    request: &Post,
    params: Params<'_>,
    version: Version,
) -> Result<Value, RpcError> {
    read_found(server, request, params, version, Registry::find).await
}

/// `resources/read` for a registry without templates: only fixed URIs are looked up.
pub(super) async fn read_fixed(
    server: &'static Server,
    request: &Post,
    params: Params<'_>,
    version: Version,
) -> Result<Value, RpcError> {
    read_found(server, request, params, version, Registry::find_resource).await
}

async fn read_found(
    server: &'static Server,
    request: &Post,
    params: Params<'_>,
    version: Version,
    find: impl Fn(&Registry, &str) -> Option<Found>,
) -> Result<Value, RpcError> {
    let uri = uri_param(params)?;
    let Some(found) = find(server.resources, uri) else {
        if let Some(file) = super::skills::read(server, uri, version) {
            return Ok(file);
        }
        return Err(resource_not_found(
            version,
            uri,
            format!(
                "no resource has the URI '{}' and no template matches it; list resources/list and resources/templates/list for the URIs this server serves",
                truncate(uri, 64)
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
    let shape = move |contents: Vec<crate::resources::ResourceContents>| {
        let contents = contents.into_iter().map(|c| c.into_json()).collect();
        let mut out = Map::new();
        out.insert("contents".into(), Value::Array(contents));
        if version.era() == Era::Modern {
            out.insert("ttlMs".into(), cache.ttl_ms.into());
            out.insert("cacheScope".into(), cache.scope().into());
        }
        Value::Object(out)
    };
    let key = format!("resource:{uri}");
    let arguments = Value::Object(Map::new());
    let exchange = ctx.exchange();
    let work = async move {
        match run(ctx).await {
            Ok(contents) => Ok(shape(contents)),
            Err(e) => Err(e.into_rpc(version, Some(uri))),
        }
    };
    let input = methods::InputCall {
        key,
        arguments,
        asks: info.asks_for_input,
    };
    methods::run_with_input(server, request, params, version, input, exchange, work).await
}
