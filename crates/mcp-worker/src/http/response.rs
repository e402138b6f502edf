//! An answer: its status, headers and body, the headers every answer carries, and the
//! one mapping from JSON-RPC errors to HTTP status codes.

use super::*;

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
    pub(crate) fn new(status: u16) -> Self {
        Response {
            status,
            headers: Vec::new(),
            body: Vec::new(),
            stream: None,
            log: RequestLog::default(),
        }
    }

    pub(crate) fn json(status: u16, body: &Value) -> Self {
        Response::new(status)
            .with("content-type", "application/json")
            // Straight into bytes: `Value`'s Display goes through a fmt adapter that costs
            // about twice as much (native core_native under callgrind).
            .with_body(serde_json::to_vec(body).unwrap_or_default())
    }

    /// A JSON-RPC answer, already written.
    pub(crate) fn message(status: u16, body: Message) -> Self {
        Response::new(status)
            .with("content-type", "application/json")
            .with_body(body.into_bytes())
    }

    pub(crate) fn with(mut self, name: &'static str, value: impl Into<Cow<'static, str>>) -> Self {
        self.headers.push((name, value.into()));
        self
    }

    pub(crate) fn with_body(mut self, body: Vec<u8>) -> Self {
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
pub(crate) fn transport_error(status: u16, message: &str, era: Era) -> Response {
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

pub(crate) fn with_common_headers(mut response: Response, origin: Option<&str>) -> Response {
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
