//! OAuth 2.0 Protected Resource Metadata (RFC 9728), which tells clients how to get a
//! token for this server (MCP 2025-11-25 basic/authorization "Authorization Server Discovery").

use serde_json::{json, Value};

/// Where the metadata documents are served. The path-inserted forms describe the MCP
/// endpoint; the bare one describes the host.
pub const WELL_KNOWN: &str = "/.well-known/oauth-protected-resource";

/// The resource a well-known path describes, as the path after [`WELL_KNOWN`]
/// (`""`, `"/mcp"` or `"/mcp/"`), if it is one this server serves.
pub fn resource_path(path: &str) -> Option<&str> {
    let rest = path.strip_prefix(WELL_KNOWN)?;
    matches!(rest, "" | "/mcp" | "/mcp/").then_some(rest)
}

/// The metadata document for `resource` (an absolute URL).
pub fn document(resource: &str, authorization_servers: &[String], scopes: &[String]) -> Value {
    let mut doc = json!({
        "resource": resource,
        "bearer_methods_supported": ["header"],
        "resource_name": "Dice Roller",
    });
    if !authorization_servers.is_empty() {
        doc["authorization_servers"] = json!(authorization_servers);
    }
    if !scopes.is_empty() {
        doc["scopes_supported"] = json!(scopes);
    }
    doc
}
