//! The methods this server answers, shaped for the revision each request speaks.

use serde_json::{json, Map, Value};

use super::jsonrpc::{truncate, RpcError};
use super::version::{Era, Version};
use crate::tools::{Tool, REGISTRY};

pub const SERVER_NAME: &str = "dice-mcp";
pub const SERVER_TITLE: &str = "Dice Roller";
pub const SERVER_VERSION: &str = env!("CARGO_PKG_VERSION");
const INSTRUCTIONS: &str =
    "Call roll_dice with n_dice (1 to 100) to roll fair six-sided dice; the results come back as a list of integers.";
/// How long clients may cache `tools/list` and `server/discover` (2026-07-28 `CacheableResult`).
const CACHE_TTL_MS: u64 = 300_000;

type Params<'a> = Option<&'a Map<String, Value>>;

/// Runs one request. `in_batch` is true inside a 2025-03-26 batch.
pub fn dispatch(
    method: &str,
    params: Params,
    version: Version,
    in_batch: bool,
) -> Result<Value, RpcError> {
    let result = match (version.era(), method) {
        (Era::Legacy, "initialize") if in_batch => Err(RpcError::invalid_request(
            "initialize must not be part of a JSON-RPC batch",
        )),
        (Era::Legacy, "initialize") => initialize(params),
        (Era::Legacy, "ping") => Ok(json!({})),
        (Era::Modern, "server/discover") => Ok(discover()),
        (_, "tools/list") => tools_list(params, version),
        (_, "tools/call") => tools_call(params, version),
        _ => Err(RpcError::method_not_found(&truncate(method, 64), version)),
    }?;
    Ok(finish(result, version))
}

/// 2026-07-28 results carry `resultType` and name the server in `_meta`
/// (basic/index "Result Responses" and "Per-response protocol fields").
fn finish(mut result: Value, version: Version) -> Value {
    if version.era() == Era::Modern {
        if let Some(obj) = result.as_object_mut() {
            obj.insert("resultType".into(), "complete".into());
            obj.insert(
                "_meta".into(),
                json!({ "io.modelcontextprotocol/serverInfo": server_info(version) }),
            );
        }
    }
    result
}

fn server_info(version: Version) -> Value {
    let mut info = json!({ "name": SERVER_NAME, "version": SERVER_VERSION });
    if version.has_structured_output() {
        info["title"] = SERVER_TITLE.into();
    }
    info
}

fn capabilities() -> Value {
    json!({ "tools": { "listChanged": false } })
}

/// Legacy handshake: answer with the version asked for when we speak it, else with our
/// newest legacy version (2025-11-25 basic/lifecycle "Version Negotiation"). Nothing is
/// remembered: every later request says its version in the header.
fn initialize(params: Params) -> Result<Value, RpcError> {
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
        "serverInfo": server_info(version),
        "instructions": INSTRUCTIONS,
    }))
}

fn discover() -> Value {
    json!({
        "supportedVersions": Version::supported_list(),
        "capabilities": capabilities(),
        "instructions": INSTRUCTIONS,
        "ttlMs": CACHE_TTL_MS,
        "cacheScope": "public",
    })
}

fn tools_list(params: Params, version: Version) -> Result<Value, RpcError> {
    let cursor = match params.and_then(|p| p.get("cursor")) {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => Some(s.as_str()),
        Some(_) => return Err(RpcError::invalid_params("'cursor' must be a string")),
    };
    let page = REGISTRY.page(cursor).map_err(|_| {
        RpcError::invalid_params("unknown cursor; list again without a cursor to start over")
    })?;
    let tools: Vec<Value> = page.tools.iter().map(|t| describe(t, version)).collect();
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
fn describe(tool: &Tool, version: Version) -> Value {
    let mut def = json!({
        "name": tool.name,
        "description": tool.description,
        "inputSchema": (tool.input_schema)(),
    });
    if version.has_structured_output() {
        def["title"] = tool.title.into();
        def["outputSchema"] = (tool.output_schema)();
    }
    if version.has_tool_annotations() {
        def["annotations"] = (tool.annotations)();
    }
    def
}

fn tools_call(params: Params, version: Version) -> Result<Value, RpcError> {
    let name = params
        .and_then(|p| p.get("name"))
        .and_then(Value::as_str)
        .ok_or_else(|| RpcError::invalid_params("tools/call needs params.name, the tool's name"))?;
    let empty = Map::new();
    let args = match params.and_then(|p| p.get("arguments")) {
        None | Some(Value::Null) => &empty,
        Some(Value::Object(a)) => a,
        Some(_) => return Err(RpcError::invalid_params("'arguments' must be an object")),
    };
    let tool = REGISTRY.get(name).ok_or_else(|| {
        let known: Vec<_> = REGISTRY.all().iter().map(|t| t.name).collect();
        RpcError::invalid_params(format!(
            "Unknown tool: '{}'. Available tools: {}",
            truncate(name, 64),
            known.join(", ")
        ))
    })?;
    Ok(match (tool.run)(args) {
        Ok(structured) => {
            let text = structured.to_string();
            let mut result = json!({
                "content": [{ "type": "text", "text": text }],
                "isError": false,
            });
            if version.has_structured_output() {
                result["structuredContent"] = structured;
            }
            result
        }
        Err(e) => json!({
            "content": [{ "type": "text", "text": e.0 }],
            "isError": true,
        }),
    })
}
