//! A request as the pipeline sees it: its head read from the text the adapter passes,
//! its path and origin, and the header names the worker takes from the runtime.

use super::*;

/// A request as the core sees it. Header names are lower-case (as the runtime gives them;
/// [`HttpRequest::header`] relies on it).
#[derive(Clone, Debug, Default)]
pub struct HttpRequest {
    pub method: String,
    /// `scheme://host[:port]` of the URL the request was sent to.
    pub base_url: String,
    pub path: String,
    /// The URL's query, without its `?`: empty when it has none. Only the authorization
    /// server reads it, so only its feature has it.
    #[cfg(feature = "oauth")]
    pub query: String,
    pub headers: Headers,
    pub body: Body,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Body {
    Bytes(Vec<u8>),
    /// The body was longer than [`MAX_BODY_BYTES`]; reading stopped there.
    TooLarge,
}

impl Default for Body {
    fn default() -> Self {
        Body::Bytes(Vec::new())
    }
}

/// `scheme://host[:port]` of an absolute, serialised URL: everything before its path,
/// query or fragment.
pub fn origin_of(url: &str) -> &str {
    let host_start = host_start(url);
    &url[..find_byte(url, host_start, |b| matches!(b, b'/' | b'?' | b'#'))]
}

/// The first byte at or after `from` that `stop` takes (an ASCII byte), or the end. A
/// byte loop: `str::find` with a char array measured 5,000 instructions a request in
/// workerd, and a `contains` on a byte set calls `memchr` for every byte.
fn find_byte(s: &str, from: usize, stop: impl Fn(u8) -> bool) -> usize {
    s.as_bytes()[from..]
        .iter()
        .position(|&b| stop(b))
        .map_or(s.len(), |i| from + i)
}

/// Where the host begins: after the first `://`, or at 0 without one. A byte scan, not
/// `str::find`, whose substring searcher costs more to set up than this whole scan.
fn host_start(url: &str) -> usize {
    let b = url.as_bytes();
    (0..b.len().saturating_sub(2))
        .find(|&i| b[i] == b':' && b[i + 1] == b'/' && b[i + 2] == b'/')
        .map_or(0, |i| i + 3)
}

/// The path of an already serialised (WHATWG) URL, as the runtime gives it: what follows
/// [`origin_of`] up to the query or fragment, `/` when there is none. The serialisation
/// never leaves a `?` or `#` unencoded inside the path.
pub fn path_of(url: &str) -> &str {
    let rest = &url[origin_of(url).len()..];
    if !rest.starts_with('/') {
        return "/";
    }
    &rest[..find_byte(rest, 0, |b| matches!(b, b'?' | b'#'))]
}

/// The query of an already serialised URL, without its `?`, before any fragment.
#[cfg_attr(not(feature = "oauth"), allow(dead_code))]
pub fn query_of(url: &str) -> &str {
    let Some(start) = url.find('?') else {
        return "";
    };
    let rest = &url[start + 1..];
    &rest[..rest.find('#').unwrap_or(rest.len())]
}

/// The adapter's request head, `method \n url \n (name \n value \n)*` as its JavaScript
/// glue writes it (the Fetch API allows no line break in any of them): the method, the
/// URL and the headers, these copied once into one buffer ([`Headers`]). A line without
/// its pair is dropped. Scanned with [`find_newline`]: `str::split` measured several times
/// dearer in wasm.
pub fn read_head(head: &str) -> (&str, &str, Headers) {
    let mut rest = head;
    let mut line = || {
        let i = find_newline(rest.as_bytes())?;
        let l = &rest[..i];
        rest = &rest[i + 1..];
        Some(l)
    };
    let method = line().unwrap_or_default();
    let url = line().unwrap_or_default();
    (method, url, Headers::read(rest))
}

/// Every request header the server reads, in lower case, besides the `Mcp-Param-*`
/// headers its tools declare ([`request_header_names`]). The worker takes only these
/// from the runtime, and three of them only when they can matter ([`PREFLIGHT_HEADERS`],
/// [`MODERN_HEADERS`]): asking for each by name costs the same whatever else the request
/// carries, where copying every header cost more with each one a proxy or client adds
/// (measured). [`HttpRequest::header`] refuses, in debug builds, a name not listed here.
pub const READ_HEADERS: &[&str] = &[
    "accept",
    "access-control-request-headers",
    "authorization",
    "cf-connecting-ip",
    "content-length",
    "content-type",
    "mcp-method",
    "mcp-name",
    "mcp-protocol-version",
    "origin",
];

/// The headers a server with an authorization server reads besides [`READ_HEADERS`]: the
/// sign-in session's cookie, and where a consent form came from.
pub const OAUTH_HEADERS: &[&str] = &["cookie", "sec-fetch-site"];

/// Of [`READ_HEADERS`], the one only a CORS preflight (`OPTIONS`) reads: the worker asks
/// for it on no other request.
pub const PREFLIGHT_HEADERS: &[&str] = &["access-control-request-headers"];

/// Of [`READ_HEADERS`], those only a 2026-07-28 request reads (`headers::check_modern`;
/// the `Mcp-Param-*` headers join them). The worker asks for them only when
/// `MCP-Protocol-Version` is there and names no earlier revision: a request that names
/// one is answered in it or refused as a mismatch (`headers::request_version`), and a
/// 2026-07-28 request without the header is refused for that (`headers::request_version`;
/// tests/e2e/http-rules.test.mjs holds both). Each name asked for and absent cost about
/// 2,500 instructions in workerd.
pub const MODERN_HEADERS: &[&str] = &["mcp-method", "mcp-name"];

/// The request headers the worker asks the runtime for, by when it asks. The glue
/// reads `mcp-protocol-version` first, on every request, and decides by it.
#[derive(Debug, PartialEq, Eq)]
pub struct HeaderNames {
    /// On every request, besides `mcp-protocol-version`.
    pub every: Vec<&'static str>,
    /// Only on `OPTIONS`.
    pub preflight: Vec<&'static str>,
    /// When `MCP-Protocol-Version` is there and is not exactly one of `legacy_versions`.
    pub modern: Vec<String>,
    /// The revisions before 2026-07-28, as a header names them.
    pub legacy_versions: Vec<&'static str>,
}

impl HeaderNames {
    #[cfg(any(test, feature = "unstable"))]
    /// Whether the worker takes header `name` (lower case) from a request with this
    /// method and `MCP-Protocol-Version`: the rule the adapter's glue follows in
    /// JavaScript, stated here for the fuzz check that such a request is answered as the
    /// whole one is.
    pub fn takes(&self, method: &str, version: Option<&str>, name: &str) -> bool {
        name == "mcp-protocol-version"
            || self.every.contains(&name)
            || (method == "OPTIONS" && self.preflight.contains(&name))
            || (version.is_some_and(|v| !self.legacy_versions.contains(&v))
                && self.modern.iter().any(|m| m == name))
    }
}

/// The request headers `server` reads: [`READ_HEADERS`], and the `Mcp-Param-*` header of
/// every parameter its tools mirror (2026-07-28), each once, in lower case.
pub fn request_header_names(server: &Server) -> HeaderNames {
    let later = |n: &&str| {
        *n == "mcp-protocol-version" || PREFLIGHT_HEADERS.contains(n) || MODERN_HEADERS.contains(n)
    };
    let mut modern: Vec<String> = MODERN_HEADERS.iter().map(|n| (*n).to_owned()).collect();
    for p in server.tools.param_headers() {
        let name = p.header_name().to_ascii_lowercase();
        if !modern.contains(&name) {
            modern.push(name);
        }
    }
    #[allow(unused_mut)]
    let mut every: Vec<&'static str> = READ_HEADERS.iter().copied().filter(|n| !later(n)).collect();
    #[cfg(feature = "oauth")]
    if server.authorization.is_some() {
        every.extend_from_slice(OAUTH_HEADERS);
    }
    HeaderNames {
        every,
        preflight: PREFLIGHT_HEADERS.to_vec(),
        modern,
        legacy_versions: Version::ALL
            .iter()
            .filter(|v| v.era() == Era::Legacy)
            .map(|v| v.as_str())
            .collect(),
    }
}

impl HttpRequest {
    /// The first value of header `name`, given in lower case as the names are: compared
    /// byte for byte, not case-insensitively (the pipeline asks for about ten headers a
    /// request).
    pub fn header(&self, name: &str) -> Option<&str> {
        debug_assert!(!name.bytes().any(|b| b.is_ascii_uppercase()), "{name}");
        debug_assert!(
            READ_HEADERS.contains(&name) || OAUTH_HEADERS.contains(&name),
            "{name} is not in http::READ_HEADERS: the worker would never receive it"
        );
        self.headers.get(name)
    }
}

/// The era the request's header names, for shaping errors raised before the body is read.
pub(super) fn request_era(req: &HttpRequest) -> Era {
    req.header("mcp-protocol-version")
        .and_then(Version::parse)
        .map_or(Era::Legacy, Version::era)
}

/// Header names (RFC 9110 tokens) separated by commas and spaces.
pub(super) fn is_header_name_list(value: &str) -> bool {
    value
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~, \t".contains(&b))
}

pub(super) fn is_json_content_type(value: Option<&str>) -> bool {
    value.is_some_and(|v| {
        // What every MCP client sends, answered without splitting (measured).
        v == "application/json"
            || v.split(';')
                .next()
                .unwrap_or("")
                .trim()
                .eq_ignore_ascii_case("application/json")
    })
}
