//! The protocol: what MCP puts on the wire, below every other layer. JSON-RPC ids and
//! codes ([`jsonrpc`]), the revisions and their eras ([`version`]), every answer's shape
//! and envelope, written for each revision ([`wire`]), and the rules for MCP's request
//! headers ([`headers`], [`param_headers`]). It imports nothing else of the crate: the
//! primitives' API, the server and HTTP build on it.

pub mod headers;
pub mod jsonrpc;
pub mod param_headers;
pub mod version;
pub mod wire;

/// The MCP request headers, as the transport read them (absent when not sent).
#[derive(Clone, Copy, Debug, Default)]
pub struct McpHeaders<'a> {
    /// `MCP-Protocol-Version`.
    pub protocol_version: Option<&'a str>,
    /// `Mcp-Method` (2026-07-28).
    pub method: Option<&'a str>,
    /// `Mcp-Name` (2026-07-28), possibly in the `=?base64?…?=` form.
    pub name: Option<&'a str>,
    /// Every header of the request, names in any case: read only for a `tools/call` of a
    /// tool that mirrors arguments into `Mcp-Param-{Name}` headers (2026-07-28).
    pub all: &'a [(String, String)],
}

/// The first value of header `name` (compared case-insensitively) in a header list.
pub fn find_header<'a, K: AsRef<str>>(headers: &'a [(K, String)], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(k, _)| k.as_ref().eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}
