//! The skills extension's methods (`io.modelcontextprotocol/skills`, SEP-2640):
//! `skills/list`, `skills/get` and `resources/directory/read`, and the skill files as
//! resources in `resources/list` and `resources/read`. A server without skills answers
//! none of the three methods (`-32601`) and lists no skill file.

use serde_json::{json, Map, Value};

use super::methods::{self, Params};
use super::Server;
use crate::protocol::jsonrpc::{truncate, RpcError};
use crate::protocol::version::{Era, Version};
use crate::resources::ResourceContents;
use crate::skills::{self, Loaded};

/// The methods of the extension, served only by a server with skills.
pub(crate) const METHOD_NAMES: [&str; 3] =
    ["skills/list", "skills/get", "resources/directory/read"];

/// The entry points into this code. `Skills::new` holds a reference to [`METHODS`] and
/// `skills::NONE` none, so a server without skills (the dice server) links none of it.
pub struct Methods {
    pub(crate) dispatch: fn(&Server, &str, Params<'_>, Version) -> Result<Value, RpcError>,
    pub(crate) load: fn(&[&'static skills::Skill]) -> Result<Vec<Loaded>, String>,
    /// Skill files are resources: the code that lists and reads resources.
    pub(crate) resources: &'static super::primitives::Methods,
}

pub const METHODS: Methods = Methods {
    dispatch,
    load: skills::load_all,
    resources: &super::primitives::METHODS,
};

fn dispatch(
    server: &Server,
    method: &str,
    params: Params<'_>,
    v: Version,
) -> Result<Value, RpcError> {
    match method {
        "skills/list" => list(server, params, v),
        "skills/get" => get(server, params, v),
        "resources/directory/read" => directory_read(server, params, v),
        _ => Err(RpcError::method_not_found(&truncate(method, 64), v)),
    }
}

/// How many entries one page of `skills/list` or `resources/directory/read` holds.
const PAGE_SIZE: usize = 50;

/// The capability: settings inline under the identifier (SEP-2133), `directoryRead` on.
pub(super) fn capability() -> (&'static str, Value) {
    (skills::EXTENSION, json!({ "directoryRead": true }))
}

fn uri<'a>(params: Params<'a>, method: &str) -> Result<&'a str, RpcError> {
    params
        .and_then(|p| p.get("uri"))
        .and_then(Value::as_str)
        .ok_or_else(|| {
            RpcError::invalid_params(format!(
                "{method} needs params.uri, a skill:// URI from skills/list"
            ))
        })
}

/// 2026-07-28 results are cacheable: the same for every caller (server/utilities/caching).
fn cacheable(mut result: Map<String, Value>, version: Version) -> Value {
    if version.era() == Era::Modern {
        result.insert("ttlMs".into(), methods::CACHE_TTL_MS.into());
        result.insert("cacheScope".into(), "public".into());
    }
    Value::Object(result)
}

fn list(server: &Server, params: Params, version: Version) -> Result<Value, RpcError> {
    let all = server.skills.all();
    // A skill is one entry, never split across pages.
    let (range, next) = methods::page_of(all.len(), PAGE_SIZE, params)?;
    let items = all[range].iter().map(Loaded::entry).collect();
    Ok(methods::list_result("skills", items, next, version))
}

fn get(server: &Server, params: Params, version: Version) -> Result<Value, RpcError> {
    let uri = uri(params, "skills/get")?;
    let skill = server.skills.by_uri(uri).ok_or_else(|| {
        RpcError::invalid_params(format!(
            "no skill has the URI '{}'; a skill's URI is skill://<name>/SKILL.md, as skills/list gives it",
            truncate(uri, 256)
        ))
    })?;
    let mut result = Map::new();
    result.insert("skill".into(), skill.entry());
    Ok(cacheable(result, version))
}

fn directory_read(server: &Server, params: Params, version: Version) -> Result<Value, RpcError> {
    let uri = uri(params, "resources/directory/read")?;
    let children = server.skills.directory(uri).ok_or_else(|| {
        RpcError::invalid_params(format!(
            "'{}' is not a directory of a skill; directories are skill://<name> and the folders below it",
            truncate(uri, 256)
        ))
    })?;
    let (range, next) = methods::page_of(children.len(), PAGE_SIZE, params)?;
    let items: Vec<Value> = children[range]
        .iter()
        .map(|c| json!({ "uri": c.uri, "name": c.name, "mimeType": c.mime_type }))
        .collect();
    let mut result = Map::new();
    result.insert("resources".into(), Value::Array(items));
    if let Some(next) = next {
        result.insert("nextCursor".into(), next.into());
    }
    Ok(cacheable(result, version))
}

/// Every skill file as `resources/list` shows it: `SKILL.md` named and described by its
/// frontmatter (SEP-2640 "Resource Metadata"), the other files by their path.
pub(super) fn listed(server: &Server) -> Vec<Value> {
    let mut out = Vec::new();
    for skill in server.skills.all() {
        for (i, f) in skill.files.iter().enumerate() {
            let mut r = json!({ "uri": f.uri, "mimeType": f.mime_type, "size": f.text.len() });
            if i == 0 {
                r["name"] = skill.name.as_str().into();
                r["description"] = skill.description.as_str().into();
            } else {
                let path = &f.uri[skill.root().len() + 1..];
                r["name"] = path.into();
            }
            out.push(r);
        }
    }
    out
}

/// `resources/read` of a skill file, if `uri` is one.
pub(super) fn read(server: &Server, uri: &str, version: Version) -> Option<Value> {
    let file = server.skills.file(uri)?;
    let contents = ResourceContents::text(&file.uri, Some(file.mime_type), file.text).into_json();
    let mut result = Map::new();
    result.insert("contents".into(), Value::Array(vec![contents]));
    Some(cacheable(result, version))
}
