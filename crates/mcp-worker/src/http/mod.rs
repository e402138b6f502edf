//! The pipeline: one request, top to bottom. Routes and methods, Origin and CORS, then
//! for the MCP endpoint the rate limits, authentication (the key set fetched when due, the
//! token checked, a forged one counted against its address), content negotiation and
//! size limits, MCP, and the one mapping from MCP outcomes to HTTP status codes.
//!
//! Everything outside the process is reached through the [`Host`] the adapter hands
//! [`handle`]: variables, the limiter bindings, the key set fetch, the signature check, the
//! console.
//! So the whole pipeline runs on the host with a fake platform.

use std::borrow::Cow;

use serde_json::{json, Value};

use crate::auth::{metadata, AuthError, Authenticated, Authenticator, Cost, Credentials};
use crate::config::{Auth, Config, ConfigError};
use crate::log::{AuthOutcome, RequestLog};
use crate::mcp::stream::Streaming;
use crate::mcp::{self, PostOutcome, Server};
use crate::protocol::jsonrpc::{
    self, RpcError, HEADER_MISMATCH, INTERNAL_ERROR, INVALID_REQUEST, METHOD_NOT_FOUND,
    PARSE_ERROR, UNSUPPORTED_PROTOCOL_VERSION,
};
use crate::protocol::version::{Era, Version};
use crate::protocol::wire::{self, Message, WithMeta};
use crate::protocol::McpHeaders;
use crate::ratelimit::{self, Check, Limit, RETRY_AFTER_SECS};
use crate::tools::CallResult;
use std::rc::Rc;

mod access;
#[cfg(all(feature = "oauth", feature = "unstable"))]
#[doc(hidden)]
pub mod authorization;
#[cfg(all(feature = "oauth", not(feature = "unstable")))]
mod authorization;
mod host;
mod negotiate;
mod request;
mod response;

pub use crate::protocol::words::find_newline;
pub use crate::protocol::Headers;
use access::*;
pub use host::*;
pub use negotiate::*;
pub use request::*;
pub use response::*;

/// The JSON-RPC code of a rate-limited answer: the first of the implementation-defined
/// server errors (JSON-RPC 2.0 section 5.1); the HTTP status and `data.limit` say more.
pub const RATE_LIMITED: i64 = -32000;

/// The largest request body read (1 MiB). Larger bodies get `413`.
pub const MAX_BODY_BYTES: usize = 1 << 20;

const ALLOW: &str = "POST, OPTIONS";

const ALLOWED_REQUEST_HEADERS: &str = "Authorization, Content-Type, Accept, MCP-Protocol-Version, Mcp-Method, Mcp-Name, Mcp-Session-Id, Last-Event-ID";

/// Reads the configuration for `server` from the platform's variables, and checks the
/// server's registries against it: what the adapter keeps for the isolate's life. What
/// an operator should know goes to the console once, here: warnings, a missing rate
/// limiter binding, or the error that makes every request a 500.
pub fn configure(server: &Server, platform: &dyn Host) -> Result<Config, ConfigError> {
    #[cfg(not(feature = "oauth"))]
    let loaded = Config::from_vars(server, |name| platform.var(name))
        .and_then(|c| c.require_input_key(server.asks_for_input()))
        .and_then(|c| server.check().map(|()| c).map_err(ConfigError::server));
    #[cfg(feature = "oauth")]
    let loaded = Config::from_vars(server, |name| platform.var(name))
        .and_then(|c| c.require_input_key(server.asks_for_input()))
        .and_then(|c| check_grant_store(c, platform))
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

/// A configured authorization server needs its grants' Durable Object binding.
#[cfg(feature = "oauth")]
fn check_grant_store(config: Config, platform: &dyn Host) -> Result<Config, ConfigError> {
    if let Some(settings) = &config.oauth {
        if platform.grants(settings.grants_binding).is_none() {
            return Err(ConfigError {
                var: settings.grants_binding,
                reason: format!("the authorization server keeps its grants in a Durable Object namespace bound as {0}, and there is none. Declare the class with mcp_worker::grant_object! and bind it in wrangler.toml ([[durable_objects.bindings]] name = \"{0}\"; docs/authorization-server.md)", settings.grants_binding),
            });
        }
    }
    Ok(config)
}

/// Serves one request for `server`. `now` is the current Unix time in seconds; `platform`
/// is the outside world, for the pipeline and for the tools (which may hold it after the
/// answer, while it streams).
pub async fn handle(
    server: &'static Server,
    config: &Config,
    req: &HttpRequest,
    now: i64,
    platform: Rc<dyn Host>,
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
    platform: Rc<dyn Host>,
) -> Response {
    let origin = req.header("origin");
    // The authorization server's endpoints answer browsers and clients from anywhere:
    // each keeps its own rules on where a request may come from.
    #[cfg(feature = "oauth")]
    if let Some(settings) = &config.oauth {
        if let Some(r) = authorization::serve(server, settings, req, now, &*platform).await {
            return with_common_headers(r, None);
        }
    }
    // Protected resource metadata is public and read by browser-based clients from any
    // origin before they hold a token.
    if let Some(resource) = metadata::resource_path(&req.path, server.endpoint_path()) {
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
    let response = if server.serves(&req.path) {
        mcp_endpoint(server, config, req, now, platform).await
    } else {
        Response::json(
            404,
            &json!({
                "error": "not_found",
                "error_description": format!("Nothing is served at this path. The MCP endpoint is {}/.", server.endpoint_path()),
            }),
        )
    };
    with_common_headers(response, origin)
}

async fn mcp_endpoint(
    server: &'static Server,
    config: &Config,
    req: &HttpRequest,
    now: i64,
    platform: Rc<dyn Host>,
) -> Response {
    match req.method.as_str() {
        "POST" => {
            // Read once, by the rate limit or the server, whichever asks first.
            let body = match &req.body {
                Body::Bytes(bytes) => Some(mcp::post::PostBody::new(bytes)),
                Body::TooLarge => None,
            };
            // Every POST needs a token; OPTIONS (the CORS preflight) does not.
            let (outcome, caller) = match &config.auth {
                Auth::Disabled => (AuthOutcome::Disabled, None),
                Auth::Bearer(auth) => {
                    match authenticate(server, config, auth, req, body.as_ref(), now, &*platform)
                        .await
                    {
                        Ok(a) => (outcome_of(&a), Some(a.principal)),
                        Err(refused) => return refused,
                    }
                }
            };
            let accept = accepted(req.header("accept"));
            let request = mcp::Request {
                caller,
                platform,
                sse: accept.1,
                now,
                // Shared with the configuration, not copied per request.
                input_state_key: config.input_state_key.clone(),
                required_scopes: match &config.auth {
                    Auth::Bearer(auth) => Some(auth.policy.required_scopes.clone()),
                    Auth::Disabled => None,
                },
            };
            let mut response = post(server, config, req, body, &request, format_of(accept)).await;
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
                match authenticate(server, config, auth, req, None, now, &*platform).await {
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
    body: Option<mcp::post::PostBody<'_>>,
    request: &mcp::Request,
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
    let handled = mcp::post::handle_body(server, request, body, &headers, format.is_some()).await;
    let mut response = match handled.outcome {
        PostOutcome::ScopeRequired(scopes) => {
            let challenge = scope_challenge(server, config, req, &scopes);
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

    /// Every string of up to six characters from the ones a q-value is made of: those
    /// `q_is_positive` takes are exactly RFC 9110's qvalues, and it says what their
    /// numeric value says.
    #[test]
    fn q_values_are_read_as_rfc_9110_writes_them() {
        let alphabet = ['0', '1', '2', '9', '.', '-', '+', 'e', ' '];
        let mut strings = vec![String::new()];
        let mut checked = 0;
        for _ in 0..6 {
            let mut longer = Vec::new();
            for s in &strings {
                for c in alphabet {
                    longer.push(format!("{s}{c}"));
                }
            }
            for q in &longer {
                let grammar = match q.split_once('.') {
                    Some((i, f)) => {
                        (i == "0" && f.len() <= 3 && f.bytes().all(|b| b.is_ascii_digit()))
                            || (i == "1" && f.len() <= 3 && f.bytes().all(|b| b == b'0'))
                    }
                    None => q == "0" || q == "1",
                };
                let read = q_is_positive(q);
                assert_eq!(read.is_some(), grammar, "{q:?}");
                if let Some(positive) = read {
                    assert_eq!(positive, q.parse::<f64>().unwrap() > 0.0, "{q:?}");
                }
                checked += 1;
            }
            strings = longer;
        }
        assert!(checked > 500_000);
        assert_eq!(q_is_positive("0.001"), Some(true));
        assert_eq!(q_is_positive("0."), Some(false));
        assert_eq!(q_is_positive("1.000"), Some(true));
        assert_eq!(q_is_positive(".5"), None);
        assert_eq!(q_is_positive("0.0001"), None);
        assert_eq!(
            negotiate(Some("application/json;q=-1")),
            Some(Format::Json),
            "a malformed q-value counts as none"
        );
        assert_eq!(
            negotiate(Some("application/json;q=0.000, text/event-stream;q=0.001")),
            Some(Format::Sse)
        );
        assert_eq!(
            negotiate(Some("application/json; Q=0, text/event-stream")),
            Some(Format::Sse),
            "the parameter's name in any case"
        );
    }

    /// The values nearly every client sends are answered without parsing, as parsing
    /// them answers.
    #[test]
    fn the_common_headers_are_answered_as_parsed() {
        assert_eq!(
            accepted(Some(COMMON_ACCEPT)),
            parse_accept(Some(COMMON_ACCEPT))
        );
        assert_eq!(accepted(Some(COMMON_ACCEPT)), (true, true));
        assert!(is_json_content_type(Some("application/json")));
        assert!(is_json_content_type(Some(
            " Application/JSON ; charset=utf-8"
        )));
        assert!(!is_json_content_type(Some("application/jsonl")));
    }

    /// A server at an endpoint of its own: MCP there (with or without a `/` after), its
    /// metadata and challenges name it, and the default path is nothing.
    #[test]
    fn the_endpoint_is_the_server_s() {
        use rsa::pkcs8::{EncodePublicKey, LineEnding};
        static API: Server = Server::new("api", "0").endpoint("/api/mcp");
        let pem = crate::auth::keys::tests::test_keys()
            .0
            .to_public_key()
            .to_public_key_pem(LineEnding::LF)
            .unwrap();
        let keyed = Config::from_vars(&API, |name| {
            (name == crate::vars::JWT_PUBLIC_KEY).then(|| pem.clone())
        })
        .unwrap();
        let open = Config::from_vars(&API, |name| {
            (name == crate::vars::ALLOW_UNAUTHENTICATED).then(|| "true".into())
        })
        .unwrap();
        let get = |path: &str, config: &Config| {
            let headers = vec![
                ("accept".to_owned(), "application/json".to_owned()),
                ("content-type".to_owned(), "application/json".to_owned()),
            ];
            let body = r#"{"jsonrpc":"2.0","id":1,"method":"ping"}"#;
            let req = HttpRequest {
                method: if path.starts_with("/.well-known") {
                    "GET"
                } else {
                    "POST"
                }
                .into(),
                base_url: "https://api.example".into(),
                path: path.into(),
                #[cfg(feature = "oauth")]
                query: String::new(),
                headers: headers.into(),
                body: Body::Bytes(body.into()),
            };
            crate::testing::handle(&API, config, &req, 1_800_000_000)
        };
        let metadata = get("/.well-known/oauth-protected-resource/api/mcp", &keyed);
        assert_eq!(metadata.status, 200);
        let doc: Value = serde_json::from_slice(&metadata.body).unwrap();
        assert_eq!(doc["resource"], "https://api.example/api/mcp");
        assert_eq!(
            get("/.well-known/oauth-protected-resource/mcp", &keyed).status,
            404
        );
        for path in ["/api/mcp", "/api/mcp/"] {
            let refused = get(path, &keyed);
            assert_eq!(refused.status, 401, "{path}");
            let challenge = refused.header("www-authenticate").unwrap();
            assert!(
                challenge.contains(&format!(
                    "https://api.example/.well-known/oauth-protected-resource{path}\""
                )),
                "{challenge}"
            );
        }
        let elsewhere = get("/mcp/", &keyed);
        assert_eq!(elsewhere.status, 404);
        assert!(String::from_utf8_lossy(&elsewhere.body).contains("The MCP endpoint is /api/mcp/."));
        assert_eq!(get("/api/mcp", &open).status, 200);
        assert_eq!(get("/mcp", &open).status, 404);
        let bad = std::panic::catch_unwind(|| Server::new("bad", "0").endpoint("/mcp/"));
        assert!(bad.is_err());
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
            ("https://mcp.example.com/mcp/", "https://mcp.example.com"),
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
            ("https://mcp.example.com/mcp/", "/mcp/"),
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
