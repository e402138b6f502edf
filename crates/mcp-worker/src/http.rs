//! The pipeline: one request, top to bottom. Routes and methods, Origin and CORS, then
//! for the MCP endpoint the rate limits, authentication (the key set fetched when due, the
//! token checked, a forged one counted against its address), content negotiation and
//! size limits, MCP, and the one mapping from MCP outcomes to HTTP status codes.
//!
//! Everything outside the process is reached through the [`Platform`] the adapter hands
//! [`handle`]: the limiter bindings, the key set fetch, the signature check, the console.
//! So the whole pipeline runs on the host with a fake platform.

use std::borrow::Cow;

use serde_json::{json, Value};

use crate::auth::{metadata, AuthError, Authenticated, Authenticator, Cost, Credentials};
use crate::config::{Auth, Config, ConfigError};
use crate::log::{AuthOutcome, RequestLog};
use crate::mcp::stream::Streaming;
use crate::mcp::{self, PostOutcome, Server};
use crate::primitives::context::{Limiter, Severity};
use crate::protocol::jsonrpc::{
    self, RpcError, HEADER_MISMATCH, INTERNAL_ERROR, INVALID_REQUEST, METHOD_NOT_FOUND,
    PARSE_ERROR, UNSUPPORTED_PROTOCOL_VERSION,
};
use crate::protocol::version::{Era, Version};
use crate::protocol::wire::{self, Message, WithMeta};
pub use crate::protocol::words::find_newline;
pub use crate::protocol::Headers;
use crate::protocol::McpHeaders;
use crate::ratelimit::{self, Check, Limit, RETRY_AFTER_SECS};
use crate::tools::{CallResult, Platform};
use std::rc::Rc;

/// The JSON-RPC code of a rate-limited answer: the first of the implementation-defined
/// server errors (JSON-RPC 2.0 section 5.1); the HTTP status and `data.limit` say more.
pub const RATE_LIMITED: i64 = -32000;

/// The largest request body read (1 MiB). Larger bodies get `413`.
pub const MAX_BODY_BYTES: usize = 1 << 20;

/// The MCP endpoint. `/mcp/` (the seed's path) is served too, without a redirect:
/// some clients do not follow one on POST.
pub const MCP_PATHS: [&str; 2] = ["/mcp", "/mcp/"];

const ALLOW: &str = "POST, OPTIONS";
const ALLOWED_REQUEST_HEADERS: &str = "Authorization, Content-Type, Accept, MCP-Protocol-Version, Mcp-Method, Mcp-Name, Mcp-Session-Id, Last-Event-ID";

/// A request as the core sees it. Header names are lower-case (as the runtime gives them;
/// [`HttpRequest::header`] relies on it).
#[derive(Clone, Debug, Default)]
pub struct HttpRequest {
    pub method: String,
    /// `scheme://host[:port]` of the URL the request was sent to.
    pub base_url: String,
    pub path: String,
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
    HeaderNames {
        every: READ_HEADERS.iter().copied().filter(|n| !later(n)).collect(),
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
            READ_HEADERS.contains(&name),
            "{name} is not in http::READ_HEADERS: the worker would never receive it"
        );
        self.headers.get(name)
    }
}

#[derive(Debug, PartialEq)]
pub struct Response {
    pub status: u16,
    /// Most values are constants: borrowed, not a fresh `String` each (measured).
    pub headers: Vec<(&'static str, Cow<'static, str>)>,
    pub body: Vec<u8>,
    /// An answer that streams: SSE events still being produced, sent after `body`
    /// (see [`sse_event`] for the framing).
    /// Boxed: inline it made every `Response` 416 bytes (natively), moved into and out of
    /// each builder call on every answer (measured).
    pub stream: Option<Box<Streaming>>,
    /// What the operator's log says about this request (never a token or key).
    pub log: RequestLog,
}

impl Response {
    fn new(status: u16) -> Self {
        Response {
            status,
            headers: Vec::new(),
            body: Vec::new(),
            stream: None,
            log: RequestLog::default(),
        }
    }

    fn json(status: u16, body: &Value) -> Self {
        Response::new(status)
            .with("content-type", "application/json")
            // Straight into bytes: `Value`'s Display goes through a fmt adapter that costs
            // about twice as much (native core_native under callgrind).
            .with_body(serde_json::to_vec(body).unwrap_or_default())
    }

    /// A JSON-RPC answer, already written.
    fn message(status: u16, body: Message) -> Self {
        Response::new(status)
            .with("content-type", "application/json")
            .with_body(body.into_bytes())
    }

    fn with(mut self, name: &'static str, value: impl Into<Cow<'static, str>>) -> Self {
        self.headers.push((name, value.into()));
        self
    }

    fn with_body(mut self, body: Vec<u8>) -> Self {
        self.body = body;
        self
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_ref())
    }
}

/// Reads the configuration for `server` from the platform's variables, and checks the
/// server's registries against it: what the adapter keeps for the isolate's life. What
/// an operator should know goes to the console once, here: warnings, a missing rate
/// limiter binding, or the error that makes every request a 500.
pub fn configure(server: &Server, platform: &dyn Platform) -> Result<Config, ConfigError> {
    let loaded = Config::from_vars(server.token_audience(), |name| platform.var(name))
        .and_then(|c| c.require_input_key(server.asks_for_input()))
        .and_then(|c| server.check().map(|()| c).map_err(ConfigError::server));
    match &loaded {
        Ok(c) => {
            for w in &c.warnings {
                platform.console(Severity::Warning, w);
            }
        }
        Err(e) => platform.console(
            Severity::Error,
            &format!("{e}. Every request gets 500 until it is fixed."),
        ),
    }
    for limit in Limit::ALL {
        if !platform.has_rate_limiter(limit.binding()) {
            platform.console(
                Severity::Warning,
                &format!(
                    "no {} binding ([[ratelimits]] in wrangler.toml): requests are not rate-limited per {}",
                    limit.binding(),
                    limit.as_str()
                ),
            );
        }
    }
    loaded
}

/// Serves one request for `server`. `now` is the current Unix time in seconds; `platform`
/// is the outside world, for the pipeline and for the tools (which may hold it after the
/// answer, while it streams).
pub async fn handle(
    server: &'static Server,
    config: &Config,
    req: &HttpRequest,
    now: i64,
    platform: Rc<dyn Platform>,
) -> Response {
    let mut response = route(server, config, req, now, platform).await;
    response.log.status = response.status;
    response
}

async fn route(
    server: &'static Server,
    config: &Config,
    req: &HttpRequest,
    now: i64,
    platform: Rc<dyn Platform>,
) -> Response {
    let origin = req.header("origin");
    // Protected resource metadata is public and read by browser-based clients from any
    // origin before they hold a token.
    if let Some(resource) = metadata::resource_path(&req.path) {
        return with_common_headers(
            protected_resource_metadata(server, config, req, resource),
            None,
        )
        .with("access-control-allow-origin", "*");
    }
    // DNS-rebinding protection (basic/transports "Security Warning", 2025-11-25 and later):
    // a browser page from an origin we do not know gets 403 whatever it asks for.
    if let Some(o) = origin {
        if !config.origins.allows(o) {
            return transport_error(
                403,
                &format!(
                    "Origin '{}' is not allowed; add it to ALLOWED_ORIGINS to let browser pages from it call this server",
                    crate::protocol::jsonrpc::echo(o)
                ),
                request_era(req),
            );
        }
    }
    let response = if MCP_PATHS.contains(&req.path.as_str()) {
        mcp_endpoint(server, config, req, now, platform).await
    } else {
        Response::json(
            404,
            &json!({
                "error": "not_found",
                "error_description": format!("Nothing is served at this path. The MCP endpoint is {}.", MCP_PATHS[1]),
            }),
        )
    };
    with_common_headers(response, origin)
}

fn base_url<'a>(config: &'a Config, req: &'a HttpRequest) -> &'a str {
    config.public_url.as_deref().unwrap_or(&req.base_url)
}

fn protected_resource_metadata(
    server: &Server,
    config: &Config,
    req: &HttpRequest,
    resource_path: &str,
) -> Response {
    let Auth::Bearer(auth) = &config.auth else {
        return Response::json(
            404,
            &json!({
                "error": "not_found",
                "error_description": "This server does not require authorization (ALLOW_UNAUTHENTICATED=true).",
            }),
        );
    };
    match req.method.as_str() {
        "GET" | "HEAD" => {
            let resource = format!("{}{}", base_url(config, req), resource_path);
            let doc = metadata::document(
                &resource,
                server.title,
                &config.authorization_servers,
                &all_scopes(&auth.policy.required_scopes, &server.scopes()),
            );
            Response::json(200, &doc).with("cache-control", "public, max-age=3600")
        }
        "OPTIONS" => Response::new(204)
            .with("allow", "GET, HEAD, OPTIONS")
            .with("access-control-allow-methods", "GET, HEAD, OPTIONS")
            .with("access-control-max-age", "86400"),
        _ => Response::json(405, &json!({"error": "method_not_allowed"}))
            .with("allow", "GET, HEAD, OPTIONS"),
    }
}

/// The scopes every token needs followed by `more`, each once.
fn all_scopes(required: &[String], more: &[&str]) -> Vec<String> {
    let mut all = required.to_vec();
    for s in more {
        if !all.iter().any(|a| a == s) {
            all.push((*s).to_owned());
        }
    }
    all
}

/// The `401`/`403`/`503` for a refused request, with the RFC 6750 challenge pointing at
/// the protected resource metadata (RFC 9728 section 5.1).
fn auth_failure(
    config: &Config,
    req: &HttpRequest,
    err: &AuthError,
    scopes: &[String],
) -> Response {
    // The metadata of the path the client used, so that its `resource` is the URL the
    // user typed (2025-11-25 basic/authorization "Protected Resource Metadata Discovery
    // Requirements"; Claude compares the two exactly).
    let path = if MCP_PATHS.contains(&req.path.as_str()) {
        req.path.as_str()
    } else {
        MCP_PATHS[1]
    };
    let mut challenge = format!(
        "Bearer resource_metadata=\"{}\"",
        metadata::url_for(base_url(config, req), path)
    );
    // A quoted-string may not hold quotes, backslashes or control characters, and a header
    // value must be ASCII: client-supplied text in a reason is folded to '?'.
    let quoted = |s: &str| -> String {
        s.chars()
            .map(|c| match c {
                '"' | '\\' => '\'',
                c if c == ' ' || c.is_ascii_graphic() => c,
                _ => '?',
            })
            .collect()
    };
    let (status, code) = match err {
        AuthError::Missing | AuthError::WrongScheme => (401, "invalid_request"),
        AuthError::Invalid(_) => (401, "invalid_token"),
        AuthError::InsufficientScope { .. } => (403, "insufficient_scope"),
        AuthError::KeysUnavailable | AuthError::VerifierFailed => (503, "temporarily_unavailable"),
    };
    if !scopes.is_empty() {
        challenge.push_str(&format!(", scope=\"{}\"", quoted(&scopes.join(" "))));
    }
    // RFC 6750 section 3.1: no error code when the request carried no credentials.
    if matches!(
        err,
        AuthError::Invalid(_) | AuthError::InsufficientScope { .. }
    ) {
        challenge.push_str(&format!(
            ", error=\"{code}\", error_description=\"{}\"",
            quoted(&err.to_string())
        ));
    }
    let mut response = Response::json(
        status,
        &json!({ "error": code, "error_description": err.to_string() }),
    )
    .with("www-authenticate", challenge);
    if status == 503 {
        response = response.with("retry-after", "10");
    }
    response.log.auth = AuthOutcome::Refused(code);
    response.log.reason = Some(err.to_string());
    response
}

/// Rate limits, then the token, for a POST to the MCP endpoint from an allowed origin
/// (see [`crate::ratelimit`]): the limit its cost calls for, the key set when one is due,
/// the check, and a forged token counted against its address. The token is hashed once,
/// for the limiter's question and the check alike.
async fn authenticate(
    config: &Config,
    auth: &Authenticator,
    req: &HttpRequest,
    body: Option<&mcp::PostBody<'_>>,
    now: i64,
    platform: &dyn Platform,
) -> Result<Authenticated, Response> {
    let authorization = req.header("authorization");
    let credentials = Credentials::read(authorization);
    let cost = auth.cost(&credentials, now);
    let calls_a_tool = || body.is_some_and(mcp::PostBody::calls_a_tool);
    let check = ratelimit::check(&cost, req.header("cf-connecting-ip"), calls_a_tool);
    if let Some(check) = &check {
        let refused = match check.limit {
            // No binding call: a valid token must not be counted.
            Limit::Address => ratelimit::is_blocked(&check.key, now),
            Limit::Caller => refused_by(platform, check).await,
        };
        if refused {
            return Err(rate_limited(req, check.limit));
        }
    }
    refresh_keys(auth, authorization, now, platform).await;
    let checked = match cost {
        Cost::Known(principal) => auth.check_known(principal),
        _ => {
            auth.check_credentials(&credentials, now, platform.verifier())
                .await
        }
    };
    let refusal = match checked {
        Ok(authenticated) => return Ok(authenticated),
        Err(r) => r,
    };
    if let Some(check) = check.filter(|c| refusal.forged && c.limit == Limit::Address) {
        // Counted after the fact (the binding cannot be asked without counting): once it
        // refuses, this address's next new tokens are refused before any verification.
        if refused_by(platform, &check).await {
            ratelimit::block(&check.key, now);
        }
    }
    let mut response = auth_failure(config, req, &refusal.error, &auth.policy.required_scopes);
    response.log.remembered = refusal.remembered;
    Err(response)
}

/// Counts `check.key` in its binding; true when the binding refuses it. A missing
/// binding limits nothing (said once, when the configuration is read); a failing one lets
/// the request through: the limit saves cost, it is not access control.
async fn refused_by(platform: &dyn Platform, check: &Check) -> bool {
    match platform.rate_limit(check.limit.binding(), &check.key).await {
        Limiter::Refused => true,
        Limiter::Allowed | Limiter::Unbound => false,
        Limiter::Failed(e) => {
            platform.console(
                Severity::Error,
                &format!(
                    "the {} rate limiter failed, request served unlimited: {e}",
                    check.limit.binding()
                ),
            );
            false
        }
    }
}

/// Fetches the identity provider's key set when the authenticator says one is due.
async fn refresh_keys(
    auth: &Authenticator,
    authorization: Option<&str>,
    now: i64,
    platform: &dyn Platform,
) {
    let Some(url) = auth.jwks_fetch_due(authorization, now) else {
        return;
    };
    let result = platform.fetch_key_set(&url).await;
    for line in auth.jwks_fetched(result, now) {
        platform.console(Severity::Warning, &line);
    }
}

/// The `429` for a request a rate limit refused (see [`crate::ratelimit`]): a JSON-RPC
/// error that says what to do, and `Retry-After`.
fn rate_limited(req: &HttpRequest, limit: Limit) -> Response {
    let message = limit.to_string();
    let err = RpcError {
        code: RATE_LIMITED,
        message: message.clone(),
        data: Some(json!({ "limit": limit.as_str(), "retryAfterSeconds": RETRY_AFTER_SECS })),
    };
    let body = wire::error(None, &err, request_era(req));
    let mut response =
        Response::message(429, body).with("retry-after", RETRY_AFTER_SECS.to_string());
    response.log.rpc_error = Some(RATE_LIMITED);
    response.log.rate_limited = Some(limit.as_str());
    response.log.auth = match limit {
        Limit::Address => AuthOutcome::RateLimited,
        // Only a token verified earlier meets the per-caller limit.
        Limit::Caller => AuthOutcome::Cached,
    };
    response.log.reason = Some(message);
    response
}

/// The answer when configuration could not be read: every request fails closed.
pub fn config_error(err: &ConfigError) -> Response {
    let mut response = Response::json(
        500,
        &json!({
            "error": "server_misconfigured",
            "error_description": format!("The server's {err}. The operator must fix it and redeploy."),
        }),
    )
    .with("cache-control", "no-store");
    response.log.status = response.status;
    response.log.reason = Some(err.to_string());
    response
}

fn with_common_headers(mut response: Response, origin: Option<&str>) -> Response {
    response = response.with("x-content-type-options", "nosniff");
    if response.header("cache-control").is_none() {
        response = response.with("cache-control", "no-store");
    }
    if let Some(o) = origin {
        response = response
            .with("access-control-allow-origin", o.to_owned())
            .with(
                "access-control-expose-headers",
                "WWW-Authenticate, Retry-After",
            )
            .with("vary", "Origin");
    }
    response
}

async fn mcp_endpoint(
    server: &'static Server,
    config: &Config,
    req: &HttpRequest,
    now: i64,
    platform: Rc<dyn Platform>,
) -> Response {
    match req.method.as_str() {
        "POST" => {
            // Read once, by the rate limit or the server, whichever asks first.
            let body = match &req.body {
                Body::Bytes(bytes) => Some(mcp::PostBody::new(bytes)),
                Body::TooLarge => None,
            };
            // Every POST needs a token; OPTIONS (the CORS preflight) does not.
            let (outcome, caller) = match &config.auth {
                Auth::Disabled => (AuthOutcome::Disabled, None),
                Auth::Bearer(auth) => {
                    match authenticate(config, auth, req, body.as_ref(), now, &*platform).await {
                        Ok(a) => (outcome_of(&a), Some(a.principal)),
                        Err(refused) => return refused,
                    }
                }
            };
            let accept = accepted(req.header("accept"));
            let call = mcp::Post {
                caller,
                platform,
                sse: accept.1 > 0.0,
                now,
                // Shared with the configuration, not copied per request.
                input_state_key: config.input_state_key.clone(),
                required_scopes: match &config.auth {
                    Auth::Bearer(auth) => Some(auth.policy.required_scopes.clone()),
                    Auth::Disabled => None,
                },
            };
            let mut response = post(server, config, req, body, &call, format_of(accept)).await;
            if response.log.auth == AuthOutcome::NotRequired {
                response.log.auth = outcome;
            }
            response
        }
        "OPTIONS" => preflight(req),
        method => {
            // A request without a valid token gets the 401 challenge whatever its method
            // (2025-11-25 basic/authorization "Token Handling", "Error Handling"): a client that opens
            // with a GET (mcp-remote does) must learn where the metadata is from it.
            let mut outcome = AuthOutcome::NotRequired;
            if let Auth::Bearer(auth) = &config.auth {
                match authenticate(config, auth, req, None, now, &*platform).await {
                    Ok(a) => outcome = outcome_of(&a),
                    Err(refused) => return refused,
                }
            }
            // No standalone SSE stream (GET) and no sessions to end (DELETE): this server
            // is stateless (2025-11-25 basic/transports "Listening for Messages";
            // 2026-07-28 "Backward Compatibility").
            let mut response = transport_error(
                405,
                &format!(
                    "{} is not supported on the MCP endpoint; send JSON-RPC messages with POST",
                    crate::protocol::jsonrpc::echo(method)
                ),
                request_era(req),
            )
            .with("allow", ALLOW);
            response.log.auth = outcome;
            response
        }
    }
}

/// What the log says of a request that passed authentication.
fn outcome_of(authenticated: &Authenticated) -> AuthOutcome {
    if authenticated.cached {
        AuthOutcome::Cached
    } else {
        AuthOutcome::Verified
    }
}

fn preflight(req: &HttpRequest) -> Response {
    // Echo what the browser asks for only when it is a plain list of header names: any
    // other byte would be refused by the runtime as a header value (found by fuzzing).
    let requested = req
        .header("access-control-request-headers")
        .filter(|h| h.len() <= 1024 && is_header_name_list(h))
        .unwrap_or(ALLOWED_REQUEST_HEADERS);
    Response::new(204)
        .with("allow", ALLOW)
        .with("access-control-allow-methods", ALLOW)
        .with("access-control-allow-headers", requested.to_owned())
        .with("access-control-max-age", "86400")
}

/// `body` is `None` when it was too large to read.
async fn post(
    server: &'static Server,
    config: &Config,
    req: &HttpRequest,
    body: Option<mcp::PostBody<'_>>,
    call: &mcp::Post,
    format: Option<Format>,
) -> Response {
    let era = request_era(req);
    if !is_json_content_type(req.header("content-type")) {
        return transport_error(
            415,
            "Content-Type must be application/json: the body is one JSON-RPC message",
            era,
        );
    }
    let Some(body) = body else {
        return transport_error(
            413,
            &format!("The body is larger than {MAX_BODY_BYTES} bytes"),
            era,
        );
    };
    let bytes = body.bytes();
    let headers = McpHeaders {
        protocol_version: req.header("mcp-protocol-version"),
        method: req.header("mcp-method"),
        name: req.header("mcp-name"),
        all: &req.headers,
    };
    let handled = mcp::handle_body(server, call, body, &headers, format.is_some()).await;
    let mut response = match handled.outcome {
        PostOutcome::ScopeRequired(scopes) => {
            let challenge = scope_challenge(config, req, &scopes);
            match chatgpt_tool_call(bytes) {
                Some(id) => scope_tool_error(server, req, challenge, &id, format),
                None => challenge,
            }
        }
        PostOutcome::Accepted => Response::new(202),
        PostOutcome::NotAcceptable => transport_error(
            406,
            "Accept must allow application/json or text/event-stream",
            era,
        ),
        PostOutcome::Stream(stream) => {
            let mut r = sse_headers(Response::new(200));
            r.stream = Some(Box::new(stream));
            r.log.streamed = true;
            r
        }
        PostOutcome::Reply { body, era, error } => {
            let status = status_for(era, error);
            let mut r = match format {
                Some(Format::Sse) => sse(status, &body),
                _ => Response::message(status, body),
            };
            r.log.rpc_error = error;
            r
        }
    };
    let summary = handled.summary;
    let log = &mut response.log;
    log.method = summary.method;
    log.tool = summary.tool;
    log.protocol = summary.version.map(Version::as_str);
    log.tool_error = summary.tool_error;
    log.input_required = summary.input_required;
    log.batch = summary.batch;
    response
}

/// The `403` for a call whose tool needs scopes the token lacks. The challenge names the
/// scopes every token needs plus the tool's, so that a client stepping up keeps what it
/// had (2025-11-25 basic/authorization "Scope Challenge Handling", recommended approach).
fn scope_challenge(config: &Config, req: &HttpRequest, scopes: &mcp::MissingScopes) -> Response {
    let required = match &config.auth {
        Auth::Bearer(auth) => &auth.policy.required_scopes[..],
        Auth::Disabled => &[],
    };
    let err = AuthError::InsufficientScope {
        missing: scopes.missing.join(" "),
    };
    auth_failure(config, req, &err, &all_scopes(required, scopes.tool))
}

/// The id of a `tools/call` sent by ChatGPT, which marks its calls with `openai/…` keys
/// in `params._meta` (`openai/userAgent`, `openai/locale`: OpenAI Apps SDK reference,
/// "_meta fields the client provides"). Only a single message, never a batch.
fn chatgpt_tool_call(body: &[u8]) -> Option<jsonrpc::Id> {
    let message: Value = serde_json::from_slice(body).ok()?;
    if message.get("method")?.as_str()? != "tools/call" {
        return None;
    }
    let meta = message.get("params")?.get("_meta")?.as_object()?;
    if !meta.keys().any(|k| k.starts_with("openai/")) {
        return None;
    }
    jsonrpc::Id::from_value(message.get("id")?)
}

/// ChatGPT asks the user to link the account again, with more scopes, when a tool's
/// *result* is an error carrying the challenge in `_meta["mcp/www_authenticate"]`
/// (OpenAI Apps SDK, "Triggering authentication UI"); MCP clients step up on the 403
/// itself (2025-11-25 basic/authorization "Scope Challenge Handling"). So ChatGPT gets
/// this tool error, with the same challenge, and every other client the 403.
fn scope_tool_error(
    server: &Server,
    req: &HttpRequest,
    challenge: Response,
    id: &jsonrpc::Id,
    format: Option<Format>,
) -> Response {
    let value = challenge
        .header("www-authenticate")
        .unwrap_or("")
        .to_owned();
    let version = req
        .header("mcp-protocol-version")
        .and_then(Version::parse)
        .unwrap_or(Version::LATEST_LEGACY);
    let text = format!(
        "{}. Sign in again and grant it to use this tool.",
        challenge
            .log
            .reason
            .as_deref()
            .unwrap_or("a scope is missing")
    );
    let mut meta = serde_json::Map::new();
    meta.insert("mcp/www_authenticate".into(), json!([value]));
    let result = WithMeta(&CallResult::error(text), meta);
    let body = wire::result(id, &result, &server.info(), version);
    let mut response = match format {
        Some(Format::Sse) => sse(200, &body),
        _ => Response::message(200, body),
    };
    response.log = challenge.log;
    response.log.tool_error = true;
    response
}

/// The HTTP status for a JSON-RPC answer. Transport-level failures are 400 in every
/// revision; 2026-07-28 also gives method-not-found 404 and other request errors 400
/// (basic/transports/streamable-http "Protocol Version Header"); legacy revisions carry
/// the remaining JSON-RPC errors in a 200, where clients read them as protocol errors.
pub fn status_for(era: Era, error: Option<i64>) -> u16 {
    match (era, error) {
        (_, None) => 200,
        (
            _,
            Some(PARSE_ERROR | INVALID_REQUEST | HEADER_MISMATCH | UNSUPPORTED_PROTOCOL_VERSION),
        ) => 400,
        (_, Some(INTERNAL_ERROR)) => 500,
        (Era::Modern, Some(METHOD_NOT_FOUND)) => 404,
        (Era::Modern, Some(_)) => 400,
        (Era::Legacy, Some(_)) => 200,
    }
}

/// Errors the transport raises before MCP sees the body, as a JSON-RPC error without id.
fn transport_error(status: u16, message: &str, era: Era) -> Response {
    let err = RpcError {
        code: INVALID_REQUEST,
        message: message.to_owned(),
        data: None,
    };
    let body = wire::error(None, &err, era);
    let mut response = Response::message(status, body);
    response.log.rpc_error = Some(INVALID_REQUEST);
    response.log.reason = Some(message.to_owned());
    response
}

/// The era the request's header names, for shaping errors raised before the body is read.
fn request_era(req: &HttpRequest) -> Era {
    req.header("mcp-protocol-version")
        .and_then(Version::parse)
        .map_or(Era::Legacy, Version::era)
}

/// Header names (RFC 9110 tokens) separated by commas and spaces.
fn is_header_name_list(value: &str) -> bool {
    value
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~, \t".contains(&b))
}

fn is_json_content_type(value: Option<&str>) -> bool {
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

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Json,
    Sse,
}

/// Picks the response format from `Accept`: JSON when allowed (or when the header is
/// absent), else a one-event SSE stream when only that is allowed, else none (406).
pub fn negotiate(accept: Option<&str>) -> Option<Format> {
    format_of(accepted(accept))
}

fn format_of((json, sse): (f32, f32)) -> Option<Format> {
    if json > 0.0 {
        Some(Format::Json)
    } else if sse > 0.0 {
        Some(Format::Sse)
    } else {
        None
    }
}

/// The `Accept` of nearly every POST: [`accepted`] knows its answer.
const COMMON_ACCEPT: &str = "application/json, text/event-stream";

/// The q-values `Accept` gives `application/json` and `text/event-stream`, each from its
/// most specific matching range, in one pass. No (or a blank) header accepts JSON only.
fn accepted(accept: Option<&str>) -> (f32, f32) {
    // What the MCP SDKs and OpenAI's client send (2025-11-25 basic/transports: a POST lists
    // both types), answered without parsing: the full parse cost 4,000 instructions per
    // request in workerd. A unit test holds that both give the same answer.
    if accept == Some(COMMON_ACCEPT) {
        return (1.0, 1.0);
    }
    parse_accept(accept)
}

/// [`accepted`], parsed.
fn parse_accept(accept: Option<&str>) -> (f32, f32) {
    let Some(accept) = accept.filter(|a| !a.trim().is_empty()) else {
        return (1.0, 0.0);
    };
    // (specificity, q) of the best range so far, for JSON and for SSE.
    let mut best: [Option<(u8, f32)>; 2] = [None, None];
    for range in accept.split(',') {
        let mut parts = range.split(';');
        let media = parts.next().unwrap_or("").trim();
        let Some((t, s)) = media.split_once('/') else {
            continue;
        };
        let mut q = None;
        for (i, (ty, subtype)) in [("application", "json"), ("text", "event-stream")]
            .into_iter()
            .enumerate()
        {
            let specificity = match (t, s) {
                _ if t.eq_ignore_ascii_case(ty) && s.eq_ignore_ascii_case(subtype) => 2,
                _ if t.eq_ignore_ascii_case(ty) && s == "*" => 1,
                ("*", "*") => 0,
                _ => continue,
            };
            if best[i].is_none_or(|(spec, _)| specificity > spec) {
                let q = *q.get_or_insert_with(|| {
                    parts
                        .clone()
                        .filter_map(|p| p.trim().strip_prefix("q="))
                        .find_map(|q| q.trim().parse::<f32>().ok())
                        .unwrap_or(1.0)
                });
                best[i] = Some((specificity, q));
            }
        }
    }
    let q = |b: Option<(u8, f32)>| b.map_or(0.0, |(_, q)| q);
    (q(best[0]), q(best[1]))
}

/// One SSE event carrying one JSON-RPC message.
pub fn sse_event(message: &Message) -> Vec<u8> {
    let bytes = message.bytes();
    let mut event = Vec::with_capacity(bytes.len() + 23);
    event.extend_from_slice(b"event: message\ndata: ");
    event.extend_from_slice(bytes);
    event.extend_from_slice(b"\n\n");
    event
}

fn sse_headers(response: Response) -> Response {
    response
        .with("content-type", "text/event-stream")
        .with("cache-control", "no-cache")
        // Proxies must pass each event on at once (2026-07-28 basic/transports).
        .with("x-accel-buffering", "no")
}

fn sse(status: u16, message: &Message) -> Response {
    sse_headers(Response::new(status)).with_body(sse_event(message))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accept_negotiation() {
        assert_eq!(negotiate(None), Some(Format::Json));
        assert_eq!(
            negotiate(Some("application/json, text/event-stream")),
            Some(Format::Json)
        );
        assert_eq!(negotiate(Some("text/event-stream")), Some(Format::Sse));
        assert_eq!(negotiate(Some("*/*")), Some(Format::Json));
        assert_eq!(negotiate(Some("application/*")), Some(Format::Json));
        assert_eq!(negotiate(Some("text/html")), None);
        assert_eq!(
            negotiate(Some("application/json;q=0, text/event-stream")),
            Some(Format::Sse)
        );
        assert_eq!(
            negotiate(Some("*/*;q=0.1, application/json;q=0")),
            Some(Format::Sse)
        );
        assert_eq!(negotiate(Some("garbage")), None);
    }

    /// The values nearly every client sends are answered without parsing, as parsing
    /// them answers.
    #[test]
    fn the_common_headers_are_answered_as_parsed() {
        assert_eq!(
            accepted(Some(COMMON_ACCEPT)),
            parse_accept(Some(COMMON_ACCEPT))
        );
        assert_eq!(accepted(Some(COMMON_ACCEPT)), (1.0, 1.0));
        assert!(is_json_content_type(Some("application/json")));
        assert!(is_json_content_type(Some(
            " Application/JSON ; charset=utf-8"
        )));
        assert!(!is_json_content_type(Some("application/jsonl")));
    }

    #[test]
    fn only_plain_header_name_lists_are_echoed_in_a_preflight() {
        assert!(is_header_name_list("authorization, mcp-protocol-version"));
        assert!(!is_header_name_list("authorization\u{1}"));
        assert!(!is_header_name_list("mcp-protocol\u{fffd}version"));
        assert!(!is_header_name_list("a\"b"));
    }

    /// What the worker asks the runtime for: every header the pipeline reads, and each
    /// `Mcp-Param-*` header a tool declares, once and in lower case.
    #[test]
    fn the_header_names_are_the_pipeline_s_and_the_tools_mirrored_ones() {
        use crate::tools::{Context, NoArgs, Registry, Tool, ToolError};
        struct Mirrors;
        impl Tool for Mirrors {
            const NAME: &'static str = "mirrors";
            const DESCRIPTION: &'static str = "mirrors two arguments into headers";
            type Args = NoArgs;
            type Output = String;
            fn input_schema() -> serde_json::Value {
                json!({"type": "object", "properties": {
                    "region": {"type": "string", "x-mcp-header": "Region"},
                    "dry": {"type": "boolean", "x-mcp-header": "Dry-Run"}
                }})
            }
            async fn call(&self, _: NoArgs, _: &Context) -> Result<String, ToolError> {
                Ok(String::new())
            }
        }
        static TOOLS: Registry = Registry::new(&[&Mirrors, &Mirrors]);
        let server = Server::new("mirrors", "0").tools(&TOOLS);
        let names = request_header_names(&server);
        assert_eq!(
            names.modern,
            [
                "mcp-method",
                "mcp-name",
                "mcp-param-dry-run",
                "mcp-param-region"
            ]
        );
        static PLAIN: Server = Server::new("plain", "0");
        let plain = request_header_names(&PLAIN);
        assert_eq!(plain.modern, MODERN_HEADERS);
        // Every name the pipeline reads is asked for at one of the moments.
        let mut all: Vec<&str> = plain.every.clone();
        all.push("mcp-protocol-version");
        all.extend(&plain.preflight);
        all.extend(plain.modern.iter().map(String::as_str));
        all.sort_unstable();
        assert_eq!(all, READ_HEADERS);
        assert_eq!(
            plain.legacy_versions,
            ["2025-11-25", "2025-06-18", "2025-03-26", "2024-11-05"]
        );
    }

    #[test]
    fn the_origin_is_what_precedes_the_path() {
        for (url, origin) in [
            ("https://dice.example.com/mcp/", "https://dice.example.com"),
            ("http://127.0.0.1:8787/mcp", "http://127.0.0.1:8787"),
            ("http://[::1]:8787/.well-known/x", "http://[::1]:8787"),
            ("https://a.example?q=1", "https://a.example"),
            ("https://a.example#f", "https://a.example"),
            ("https://a.example", "https://a.example"),
        ] {
            assert_eq!(origin_of(url), origin, "{url}");
        }
    }

    #[test]
    fn a_newline_is_found_wherever_it_is() {
        for len in 0..40 {
            let mut bytes = vec![b'a'; len];
            assert_eq!(find_newline(&bytes), None, "{len}");
            for at in 0..len {
                bytes.fill(0xff);
                bytes[at] = b'\n';
                if at + 1 < len {
                    bytes[at + 1] = b'\n';
                }
                assert_eq!(find_newline(&bytes), Some(at), "{len} {at}");
            }
        }
        // Bytes next to 0x0a (0x0b, 0x8a) are not line ends.
        assert_eq!(
            find_newline(&[0x0b, 0x8a, 0x09, 0x0b, 0x8a, 0x09, 0x0b, 0x8a, 0x0a]),
            Some(8)
        );
    }

    #[test]
    fn a_head_gives_method_url_and_header_pairs() {
        let (m, u, h) = read_head("POST\nhttp://a/mcp/\naccept\napplication/json\nx-empty\n\n");
        assert_eq!((m, u), ("POST", "http://a/mcp/"));
        assert_eq!(
            h.iter().collect::<Vec<_>>(),
            [("accept", "application/json"), ("x-empty", "")]
        );
        assert_eq!(
            h,
            vec![("accept", "application/json"), ("x-empty", "")].into()
        );
        assert_eq!(h.get("x-empty"), Some(""));
        assert_eq!(h.get("Accept"), None, "names are compared byte for byte");
        assert_eq!(h.find("Accept"), Some("application/json"));
        let (m, u, h) = read_head("GET\nhttp://a/\nlonely\n");
        assert_eq!(
            (m, u, h.len()),
            ("GET", "http://a/", 0),
            "a name without a value is dropped"
        );
        assert_eq!(read_head(""), ("", "", Headers::new()));
        let (_, _, h) = read_head("GET\nhttp://a/\nx\n1\nlonely\n");
        assert_eq!(
            h,
            vec![("x", "1")].into(),
            "a name without a value is dropped"
        );
    }

    #[test]
    fn the_path_runs_from_the_host_to_the_query() {
        for (url, path) in [
            ("https://dice.example.com/mcp/", "/mcp/"),
            ("http://127.0.0.1:8787/mcp?x=/y", "/mcp"),
            ("http://[::1]:8787/.well-known/x#a/b", "/.well-known/x"),
            ("https://a.example/a%3Fb/c", "/a%3Fb/c"),
            ("https://a.example?q=/1", "/"),
            ("https://a.example#/f", "/"),
            ("https://a.example", "/"),
            ("https://a.example/", "/"),
        ] {
            assert_eq!(path_of(url), path, "{url}");
        }
    }

    #[test]
    fn content_type_must_be_json() {
        assert!(is_json_content_type(Some("application/json")));
        assert!(is_json_content_type(Some(
            "Application/JSON; charset=utf-8"
        )));
        assert!(!is_json_content_type(Some("text/plain")));
        assert!(!is_json_content_type(Some("application/jsonx")));
        assert!(!is_json_content_type(None));
    }

    #[test]
    fn status_mapping() {
        assert_eq!(status_for(Era::Modern, Some(METHOD_NOT_FOUND)), 404);
        assert_eq!(status_for(Era::Legacy, Some(METHOD_NOT_FOUND)), 200);
        assert_eq!(status_for(Era::Legacy, Some(PARSE_ERROR)), 400);
        assert_eq!(status_for(Era::Modern, Some(-32602)), 400);
        assert_eq!(status_for(Era::Legacy, Some(-32602)), 200);
        assert_eq!(status_for(Era::Legacy, None), 200);
    }
}
