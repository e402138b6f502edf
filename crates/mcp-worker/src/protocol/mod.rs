//! The protocol: what MCP puts on the wire, below every other layer. JSON-RPC ids and
//! codes ([`jsonrpc`]), the revisions and their eras ([`version`]), every answer's shape
//! and envelope, written for each revision ([`wire`]), and the rules for MCP's request
//! headers ([`headers`], [`param_headers`]). It imports nothing else of the crate: the
//! primitives' API, the server and HTTP build on it.

pub mod from_value;
pub mod headers;
pub mod jsonrpc;
pub mod param_headers;
pub mod uri;
pub mod version;
pub mod wire;

/// The MCP request headers, as the transport read them (absent when not sent).
#[derive(Clone, Copy, Debug)]
pub struct McpHeaders<'a> {
    /// `MCP-Protocol-Version`.
    pub protocol_version: Option<&'a str>,
    /// `Mcp-Method` (2026-07-28).
    pub method: Option<&'a str>,
    /// `Mcp-Name` (2026-07-28), possibly in the `=?base64?…?=` form.
    pub name: Option<&'a str>,
    /// The request's headers as the worker took them (the ones the server reads; the
    /// `Mcp-Param-*` ones only for a 2026-07-28 request): read only for a `tools/call` of
    /// a tool that mirrors arguments into `Mcp-Param-{Name}` headers (2026-07-28).
    pub all: &'a Headers,
}

impl Default for McpHeaders<'_> {
    fn default() -> Self {
        static NONE: Headers = Headers::new();
        McpHeaders {
            protocol_version: None,
            method: None,
            name: None,
            all: &NONE,
        }
    }
}

/// A request's headers in one buffer, with where each name and value lies in it: a
/// `String` pair per header cost two allocations each, 14 for the bench's cached
/// `tools/call` in workerd. Names are lower case as the runtime gives them
/// (the HTTP layer's `read_head` reads them from the adapter's head); built from pairs
/// for tests: `vec![("accept", "application/json")].into()`.
#[derive(Clone, Default)]
pub struct Headers {
    text: String,
    /// Per header: where its name starts and ends, and where its value ends (it starts
    /// one byte after the name's end).
    spans: Vec<[usize; 3]>,
}

impl Headers {
    pub const fn new() -> Self {
        Headers {
            text: String::new(),
            spans: Vec::new(),
        }
    }

    /// The headers of `lines`, `(name \n value \n)*`, copied once into one buffer; a
    /// last pair without both its line breaks is dropped.
    pub fn read(lines: &str) -> Self {
        let bytes = lines.as_bytes();
        let mut spans = Vec::with_capacity(16);
        let mut at = 0;
        while let Some(end) = words::find_newline(&bytes[at..]).map(|i| at + i) {
            let Some(value_end) = words::find_newline(&bytes[end + 1..]).map(|i| end + 1 + i)
            else {
                break;
            };
            spans.push([at, end, value_end]);
            at = value_end + 1;
        }
        Headers {
            text: lines[..at].to_owned(),
            spans,
        }
    }

    /// Adds a header (its name as the runtime would give it: lower case).
    pub fn push(&mut self, name: &str, value: &str) {
        let start = self.text.len();
        self.text.push_str(name);
        self.text.push('\n');
        self.text.push_str(value);
        self.spans
            .push([start, start + name.len(), self.text.len()]);
        self.text.push('\n');
    }

    /// Every header, in the order given.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> + '_ {
        self.spans.iter().map(|&span| self.at(span))
    }

    /// The name and value a span gives.
    fn at(&self, [start, end, value_end]: [usize; 3]) -> (&str, &str) {
        // SAFETY: every span's bounds are where `text` starts or ends or beside one of
        // its line breaks (`push` and `read` make the only spans), which are ASCII, so
        // char boundaries; and within `text`, which never shrinks.
        // Checked slicing here, once per header and lookup, measured about 6,000
        // instructions a cached `tools/call` in workerd.
        unsafe {
            (
                self.text.get_unchecked(start..end),
                self.text.get_unchecked(end + 1..value_end),
            )
        }
    }

    /// The first value of header `name`, compared byte for byte (names are lower case).
    pub fn get(&self, name: &str) -> Option<&str> {
        let text = self.text.as_bytes();
        self.spans
            .iter()
            .find(|&&[start, end, _]| text.get(start..end) == Some(name.as_bytes()))
            .map(|&span| self.at(span).1)
    }

    /// The first value of header `name`, compared case-insensitively.
    pub fn find(&self, name: &str) -> Option<&str> {
        self.iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v)
    }

    #[cfg(any(test, feature = "unstable"))]
    pub fn len(&self) -> usize {
        self.spans.len()
    }

    #[cfg(any(test, feature = "unstable"))]
    pub fn is_empty(&self) -> bool {
        self.spans.is_empty()
    }
}

impl PartialEq for Headers {
    fn eq(&self, other: &Self) -> bool {
        self.iter().eq(other.iter())
    }
}

impl Eq for Headers {}

impl std::fmt::Debug for Headers {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

impl<K: AsRef<str>, V: AsRef<str>> FromIterator<(K, V)> for Headers {
    fn from_iter<I: IntoIterator<Item = (K, V)>>(pairs: I) -> Self {
        let mut headers = Headers::new();
        for (name, value) in pairs {
            headers.push(name.as_ref(), value.as_ref());
        }
        headers
    }
}

impl<K: AsRef<str>, V: AsRef<str>> From<Vec<(K, V)>> for Headers {
    fn from(pairs: Vec<(K, V)>) -> Self {
        pairs.into_iter().collect()
    }
}

/// The first value of header `name` (compared case-insensitively) in a header list.
pub fn find_header<'a, K: AsRef<str>>(headers: &'a [(K, String)], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(k, _)| k.as_ref().eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

/// Byte scans eight bytes a step: wasm has 64-bit integers but here no SIMD. The request
/// head's line ends (`http`) and JSON's escapes ([`wire::write_str`]) are
/// found so; byte by byte, each cost several times more in workerd.
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

    /// Where the first `\n` of `bytes` is, eight bytes a step: the adapter scans every
    /// request's head with it, a bearer token included, and a byte-by-byte loop measured
    /// 9,000 instructions a request in workerd.
    pub fn find_newline(bytes: &[u8]) -> Option<usize> {
        let rest = from_first_hit(bytes, |w| has(w, b'\n'));
        let i = bytes.len() - rest.len();
        rest.iter().position(|&b| b == b'\n').map(|p| i + p)
    }
}
