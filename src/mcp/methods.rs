//! The methods this server answers, shaped for the revision each request speaks.

use serde_json::{json, Map, Value};

use super::jsonrpc::{truncate, RpcError};
use super::version::{Era, Version};
use super::{Request, Server};
use crate::tools::{Context, Definition, DynTool};

/// How long clients may cache `tools/list` and `server/discover` (2026-07-28 `CacheableResult`).
const CACHE_TTL_MS: u64 = 300_000;

type Params<'a> = Option<&'a Map<String, Value>>;

/// Runs one request. `in_batch` is true inside a 2025-03-26 batch.
pub async fn dispatch(
    server: &Server,
    request: &Request<'_>,
    method: &str,
    params: Params<'_>,
    version: Version,
    in_batch: bool,
) -> Result<Value, RpcError> {
    let result = match (version.era(), method) {
        (Era::Legacy, "initialize") if in_batch => Err(RpcError::invalid_request(
            "initialize must not be part of a JSON-RPC batch",
        )),
        (Era::Legacy, "initialize") => initialize(server, params),
        (Era::Legacy, "ping") => Ok(json!({})),
        (Era::Modern, "server/discover") => Ok(discover(server)),
        (_, "tools/list") => tools_list(server, params, version),
        (_, "tools/call") => tools_call(server, request, params, version).await,
        _ => Err(RpcError::method_not_found(&truncate(method, 64), version)),
    }?;
    Ok(finish(server, result, version))
}

/// The scopes a `tools/call` needs that the caller's token does not grant, if any
/// (2025-11-25 basic/authorization "Scope Challenge Handling"). Without authentication
/// there is no token to ask for more; `tools_call` answers that case.
pub fn missing_scopes(
    server: &Server,
    request: &Request<'_>,
    method: &str,
    params: Params<'_>,
) -> Option<&'static [&'static str]> {
    if method != "tools/call" {
        return None;
    }
    let caller = request.caller?;
    let name = params?.get("name")?.as_str()?;
    let (tool, _) = server.tools.get(name)?;
    let scopes = tool.scopes();
    scopes
        .iter()
        .any(|s| !caller.scopes.iter().any(|g| g == s))
        .then_some(scopes)
}

/// 2026-07-28 results carry `resultType` and name the server in `_meta`
/// (basic/index "Result Responses" and "Per-response protocol fields").
fn finish(server: &Server, mut result: Value, version: Version) -> Value {
    if version.era() == Era::Modern {
        if let Some(obj) = result.as_object_mut() {
            obj.insert("resultType".into(), "complete".into());
            obj.insert(
                "_meta".into(),
                json!({ "io.modelcontextprotocol/serverInfo": server_info(server, version) }),
            );
        }
    }
    result
}

fn server_info(server: &Server, version: Version) -> Value {
    let mut info = json!({ "name": server.name, "version": server.version });
    if version.has_structured_output() {
        info["title"] = server.title.into();
    }
    info
}

fn capabilities() -> Value {
    json!({ "tools": { "listChanged": false } })
}

/// Legacy handshake: answer with the version asked for when we speak it, else with our
/// newest legacy version (2025-11-25 basic/lifecycle "Version Negotiation"). Nothing is
/// remembered: every later request says its version in the header.
fn initialize(server: &Server, params: Params) -> Result<Value, RpcError> {
    let requested = params
        .and_then(|p| p.get("protocolVersion"))
        .and_then(Value::as_str)
        .ok_or_else(|| {
            RpcError::invalid_params(
                "initialize needs params.protocolVersion, a string such as \"2025-11-25\"",
            )
        })?;
    let version = Version::parse(requested)
        .filter(|v| v.era() == Era::Legacy)
        .unwrap_or(Version::LATEST_LEGACY);
    Ok(json!({
        "protocolVersion": version.as_str(),
        "capabilities": capabilities(),
        "serverInfo": server_info(server, version),
        "instructions": server.instructions,
    }))
}

fn discover(server: &Server) -> Value {
    json!({
        "supportedVersions": Version::supported_list(),
        "capabilities": capabilities(),
        "instructions": server.instructions,
        "ttlMs": CACHE_TTL_MS,
        "cacheScope": "public",
    })
}

fn tools_list(server: &Server, params: Params, version: Version) -> Result<Value, RpcError> {
    let cursor = match params.and_then(|p| p.get("cursor")) {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => Some(s.as_str()),
        Some(_) => return Err(RpcError::invalid_params("'cursor' must be a string")),
    };
    let page = server.tools.page(cursor).map_err(|_| {
        RpcError::invalid_params("unknown cursor; list again without a cursor to start over")
    })?;
    let tools: Vec<Value> = page
        .tools
        .iter()
        .map(|(tool, def)| describe(*tool, def, version))
        .collect();
    let mut result = json!({ "tools": tools });
    if let Some(next) = page.next_cursor {
        result["nextCursor"] = next.into();
    }
    if version.era() == Era::Modern {
        result["ttlMs"] = CACHE_TTL_MS.into();
        result["cacheScope"] = "public".into();
    }
    Ok(result)
}

/// A tool definition with only the fields the request's revision defines.
fn describe(tool: &dyn DynTool, def: &Definition, version: Version) -> Value {
    let mut out = json!({
        "name": tool.name(),
        "description": tool.description(),
        "inputSchema": def.input_schema,
    });
    if version.has_structured_output() {
        if let Some(title) = tool.title() {
            out["title"] = title.into();
        }
        if let Some(schema) = &def.output_schema {
            out["outputSchema"] = schema.clone();
        }
    }
    if version.has_tool_annotations() {
        if let Some(annotations) = &def.annotations {
            out["annotations"] = annotations.clone();
        }
    }
    out
}

async fn tools_call(
    server: &Server,
    request: &Request<'_>,
    params: Params<'_>,
    version: Version,
) -> Result<Value, RpcError> {
    let name = params
        .and_then(|p| p.get("name"))
        .and_then(Value::as_str)
        .ok_or_else(|| RpcError::invalid_params("tools/call needs params.name, the tool's name"))?;
    let args = match params.and_then(|p| p.get("arguments")) {
        None | Some(Value::Null) => Map::new(),
        Some(Value::Object(a)) => a.clone(),
        Some(_) => return Err(RpcError::invalid_params("'arguments' must be an object")),
    };
    let (tool, def) = server.tools.get(name).ok_or_else(|| {
        let known: Vec<_> = server.tools.all().iter().map(|t| t.name()).collect();
        RpcError::invalid_params(format!(
            "Unknown tool: '{}'. Available tools: {}",
            truncate(name, 64),
            known.join(", ")
        ))
    })?;
    if request.caller.is_none() && !tool.scopes().is_empty() {
        return Ok(crate::tools::CallResult::error(format!(
            "This tool needs the scope {}, and this server runs without authentication (ALLOW_UNAUTHENTICATED=true), so no caller can hold it. The operator must configure token verification to offer it.",
            tool.scopes().join(" ")
        ))
        .to_json(version));
    }
    let ctx = Context::new(request.caller, request.platform, version);
    let result = tool.run(args, &def.input_schema, &ctx).await;
    Ok(result.to_json(version))
}
