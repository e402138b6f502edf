//! The skills extension's methods (`io.modelcontextprotocol/skills`, SEP-2640):
//! `skills/list`, `skills/get` and `resources/directory/read`, and the skill files as
//! resources in `resources/list` and `resources/read`. A server without skills answers
//! none of the three methods (`-32601`) and lists no skill file.

use serde_json::{json, Value};

use super::methods::{self, Params, Reply};
use super::Server;
use crate::primitives::CacheHint;
use crate::protocol::jsonrpc::{echo, RpcError};
use crate::protocol::version::Version;
use crate::protocol::wire::lists::{self, Cached, DirectoryEntry};
use crate::resources::ResourceContents;
use crate::skills::{self, Loaded};

/// The methods of the extension, served only by a server with skills.
pub(crate) const SKILL_METHOD_NAMES: [&str; 3] =
    ["skills/list", "skills/get", "resources/directory/read"];

/// The entry points into this code. `Skills::new` holds a reference to [`METHODS`] and
/// `skills::NONE` none, so a server without skills links none of it.
pub struct Methods {
    pub(crate) dispatch: fn(&'static Server, &str, Params<'_>, Version) -> Result<Reply, RpcError>,
    pub(crate) load: fn(&[&'static skills::Skill]) -> Result<Vec<Loaded>, String>,
    /// Skill files are resources: the code that lists and reads resources.
    pub(crate) resources: &'static super::primitive_methods::Methods,
    /// The skill files `resources/list` lists after the registry's resources.
    listed: fn(&'static Server, Version) -> Vec<lists::Resource<'static>>,
    /// The skill file `resources/read` answers for a URI no resource has.
    read: fn(&Server, &str) -> Option<Reply>,
}

pub const METHODS: Methods = Methods {
    dispatch,
    load: skills::load_all,
    resources: &super::primitive_methods::METHODS,
    listed: list_files,
    read: read_file,
};

fn dispatch(
    server: &'static Server,
    method: &str,
    params: Params<'_>,
    v: Version,
) -> Result<Reply, RpcError> {
    match method {
        "skills/list" => list(server, params),
        "skills/get" => get(server, params),
        "resources/directory/read" => directory_read(server, params),
        _ => Err(RpcError::method_not_found(&echo(method), v)),
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

fn list(server: &Server, params: Params) -> Result<Reply, RpcError> {
    let all = server.skills.all();
    // A skill is one entry, never split across pages.
    let (range, next) = methods::page_of(all.len(), PAGE_SIZE, params)?;
    let items: Vec<Value> = all[range].iter().map(Loaded::entry).collect();
    Ok(methods::list_result("skills", items, next))
}

fn get(server: &Server, params: Params) -> Result<Reply, RpcError> {
    let uri = uri(params, "skills/get")?;
    let skill = server.skills.by_uri(uri).ok_or_else(|| {
        RpcError::invalid_params(format!(
            "no skill has the URI '{}'; a skill's URI is skill://<name>/SKILL.md, as skills/list gives it",
            echo(uri)
        ))
    })?;
    Ok(Box::new(Cached {
        key: "skill",
        value: skill.entry(),
        ttl_ms: methods::CACHE_TTL_MS,
    }))
}

fn directory_read(server: &Server, params: Params) -> Result<Reply, RpcError> {
    let uri = uri(params, "resources/directory/read")?;
    let children = server.skills.directory(uri).ok_or_else(|| {
        RpcError::invalid_params(format!(
            "'{}' is not a directory of a skill; directories are skill://<name> and the folders below it",
            echo(uri)
        ))
    })?;
    let (range, next) = methods::page_of(children.len(), PAGE_SIZE, params)?;
    let items: Vec<DirectoryEntry> = children
        .into_iter()
        .skip(range.start)
        .take(range.len())
        .map(|c| DirectoryEntry {
            uri: c.uri,
            name: c.name,
            mime_type: c.mime_type,
        })
        .collect();
    Ok(methods::list_result("resources", items, next))
}

/// The skill files `resources/list` shows; none without skills. Reached through the
/// set's [`Methods`], so a server without skills links none of [`list_files`].
pub(super) fn listed(server: &'static Server, version: Version) -> Vec<lists::Resource<'static>> {
    server
        .skills
        .serve()
        .map_or_else(Vec::new, |m| (m.listed)(server, version))
}

/// Every skill file as `resources/list` shows it: `SKILL.md` named and described by its
/// frontmatter (SEP-2640 "Resource Metadata"), the other files by their path.
fn list_files(server: &'static Server, version: Version) -> Vec<lists::Resource<'static>> {
    let mut out = Vec::new();
    for skill in server.skills.all() {
        for (i, f) in skill.files.iter().enumerate() {
            let (name, description) = if i == 0 {
                (skill.name.as_str(), Some(skill.description.as_str()))
            } else {
                (&f.uri[skill.root().len() + 1..], None)
            };
            out.push(lists::Resource {
                key: "uri",
                uri: &f.uri,
                name,
                title: None,
                description,
                mime_type: Some(f.mime_type),
                size: Some(f.text.len() as u64),
                annotations: crate::primitives::Annotations::NONE,
                icons: &[],
                meta: None,
                version,
            });
        }
    }
    out
}

/// `resources/read` of a skill file, if `uri` is one; `None` without skills (then
/// [`read_file`] is not linked, as for [`listed`]).
pub(super) fn read(server: &Server, uri: &str) -> Option<Reply> {
    (server.skills.serve()?.read)(server, uri)
}

fn read_file(server: &Server, uri: &str) -> Option<Reply> {
    let file = server.skills.file(uri)?;
    let contents = ResourceContents::text(&file.uri, Some(file.mime_type), file.text);
    Some(Box::new(super::resources::Read {
        contents: vec![contents],
        cache: CacheHint::public(methods::CACHE_TTL_MS),
    }))
}
