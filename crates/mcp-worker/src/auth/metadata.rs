//! OAuth 2.0 Protected Resource Metadata (RFC 9728), which tells clients how to get a
//! token for this server (MCP 2025-11-25 basic/authorization "Authorization Server Discovery").

use serde_json::{json, Value};

/// Where the metadata documents are served. The path-inserted forms describe the MCP
/// endpoint; the bare one describes the host.
pub const WELL_KNOWN: &str = "/.well-known/oauth-protected-resource";

/// The resource a well-known path describes, as the path after [`WELL_KNOWN`] (`""`, the
/// endpoint's path, or it with a `/` after), if it is one this server serves.
pub fn resource_path<'a>(path: &'a str, endpoint: &str) -> Option<&'a str> {
    let rest = path.strip_prefix(WELL_KNOWN)?;
    (rest.is_empty() || rest.strip_suffix('/').unwrap_or(rest) == endpoint).then_some(rest)
}

/// Every resource identifier this server publishes for `base` (its public origin): the
/// MCP endpoint (`endpoint`, its path) with a `/` after and without (each document's `resource` is the URL the
/// client typed, which Claude compares exactly), and the origin (the root document's),
/// also as `{base}/`: a URL library normalises an origin to that form (WHATWG URL's
/// `href`), and a client that sends it asks for that resource (RFC 8707).
/// By default a token must be for one of them, and for nothing else.
pub fn resources(base: &str, endpoint: &str) -> [String; 4] {
    [
        format!("{base}{endpoint}/"),
        format!("{base}{endpoint}"),
        base.to_owned(),
        format!("{base}/"),
    ]
}

/// The metadata URL that describes the resource at `path` of `base` (RFC 9728 section
/// 3.1: the well-known suffix goes between the host and the path).
pub fn url_for(base: &str, path: &str) -> String {
    format!("{base}{WELL_KNOWN}{path}")
}

/// The metadata document for `resource` (an absolute URL), named `name` for people
/// (the server's title).
pub fn document(
    resource: &str,
    name: &str,
    authorization_servers: &[String],
    scopes: &[String],
) -> Value {
    let mut doc = json!({
        "resource": resource,
        "bearer_methods_supported": ["header"],
        "resource_name": name,
    });
    if !authorization_servers.is_empty() {
        doc["authorization_servers"] = json!(authorization_servers);
    }
    if !scopes.is_empty() {
        doc["scopes_supported"] = json!(scopes);
    }
    doc
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_origin_is_a_resource_with_or_without_its_slash() {
        let all = resources("https://mcp.example", "/api/mcp");
        for name in [
            "https://mcp.example/api/mcp/",
            "https://mcp.example/api/mcp",
            "https://mcp.example",
            "https://mcp.example/",
        ] {
            assert!(all.iter().any(|r| r == name), "{name}");
        }
    }

    #[test]
    fn the_well_known_paths_are_the_origin_and_the_endpoint() {
        for (path, resource) in [
            ("/.well-known/oauth-protected-resource", Some("")),
            (
                "/.well-known/oauth-protected-resource/api/mcp",
                Some("/api/mcp"),
            ),
            (
                "/.well-known/oauth-protected-resource/api/mcp/",
                Some("/api/mcp/"),
            ),
            ("/.well-known/oauth-protected-resource/mcp", None),
            ("/.well-known/oauth-protected-resource/api/mcp//", None),
            ("/.well-known/oauth-protected-resource/api", None),
            ("/.well-known/oauth-protected-resourcex", None),
        ] {
            assert_eq!(resource_path(path, "/api/mcp"), resource, "{path}");
        }
    }
}
