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

/// Byte scans eight bytes a step: wasm has 64-bit integers but here no SIMD. The request
/// head's line ends and ASCII check (`http`) and JSON's escapes ([`wire::write_str`]) are
/// found so; byte by byte, each cost several times more in workerd (issue 19).
pub mod words {
    /// A one in every byte.
    pub const ONES: u64 = 0x0101_0101_0101_0101;
    /// The high bit of every byte.
    pub const HIGHS: u64 = 0x8080_8080_8080_8080;

    /// Whether a byte of `w` is below `n` (exact for `n` up to 128); below 1 is zero, so
    /// `below(w ^ ONES * b, 1)` asks whether a byte equals `b`.
    #[inline(always)]
    pub fn below(w: u64, n: u8) -> bool {
        w.wrapping_sub(ONES * u64::from(n)) & !w & HIGHS != 0
    }

    /// Whether a byte of `w` equals `b`.
    #[inline(always)]
    pub fn has(w: u64, b: u8) -> bool {
        below(w ^ (ONES * u64::from(b)), 1)
    }

    /// `bytes` from the first eight-byte word where `hit` holds, else its last bytes
    /// (fewer than eight): the caller checks those byte by byte.
    #[inline(always)]
    pub fn from_first_hit(bytes: &[u8], hit: impl Fn(u64) -> bool) -> &[u8] {
        let mut rest = bytes;
        // `split_first_chunk`, not a `get(i..i + 8)` copied into a word: at opt-level z
        // that cost 2,600 more instructions a request in workerd.
        while let Some((word, tail)) = rest.split_first_chunk::<8>() {
            if hit(u64::from_le_bytes(*word)) {
                break;
            }
            rest = tail;
        }
        rest
    }
}
