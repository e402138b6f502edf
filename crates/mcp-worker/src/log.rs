//! One structured line per request for the operator: what was asked, what was answered,
//! and why a request was refused. Visible in `wrangler dev` and `wrangler tail`.
//!
//! Never holds a token, a key or a body. The few client-supplied strings it carries (a
//! method or tool name, the reason a token was refused) are cut short, and serialising
//! them as JSON escapes anything that could forge a second line.

use crate::protocol::jsonrpc::truncate;
use crate::protocol::wire::Members;

/// How authentication went for one request.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum AuthOutcome {
    /// Nothing here needs a token: a preflight, the metadata, an unknown path, a refusal
    /// made before authentication (Origin), or a misconfigured server.
    #[default]
    NotRequired,
    /// `ALLOW_UNAUTHENTICATED=true`: the endpoint answers without a token.
    Disabled,
    /// A token verified now, with a full signature check.
    Verified,
    /// A token verified earlier in this isolate (no signature check).
    Cached,
    /// Refused: 401, 403 or 503; the log line carries the reason.
    Refused(&'static str),
    /// Not checked: the per-address rate limit refused the request first.
    RateLimited,
}

impl AuthOutcome {
    fn as_str(self) -> &'static str {
        match self {
            AuthOutcome::NotRequired => "not_required",
            AuthOutcome::Disabled => "disabled",
            AuthOutcome::Verified => "verified",
            AuthOutcome::Cached => "cached",
            AuthOutcome::Refused(code) => code,
            AuthOutcome::RateLimited => "rate_limited",
        }
    }
}

/// What the core knows about one request when it answers it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RequestLog {
    pub status: u16,
    pub auth: AuthOutcome,
    /// The JSON-RPC method, for a single message.
    pub method: Option<String>,
    /// The tool a `tools/call` named.
    pub tool: Option<String>,
    /// The protocol revision the request was answered in.
    pub protocol: Option<&'static str>,
    /// The JSON-RPC error code of a single error answer.
    pub rpc_error: Option<i64>,
    /// A `tools/call` answered with `isError: true`.
    pub tool_error: bool,
    /// The number of messages in a batch.
    pub batch: Option<usize>,
    /// Why the request was refused, in words safe to log.
    pub reason: Option<String>,
    /// The token was refused earlier in this isolate: answered from memory, no signature
    /// checked.
    pub remembered: bool,
    /// The rate limit that refused the request (`address` or `caller`).
    pub rate_limited: Option<&'static str>,
    /// A `tools/call` answered `input_required` (2026-07-28): the tool waits for input.
    pub input_required: bool,
    /// The answer streamed (SSE, a tool's notifications before its result).
    pub streamed: bool,
    /// The client went away before a streamed answer ended; the tool was stopped.
    pub cancelled: bool,
}

impl RequestLog {
    /// The line to log. `http_method` and `path` come from the request; `duration_ms` is
    /// measured by the adapter (`None` where no clock is at hand).
    ///
    /// Written straight into the line, keys in alphabetical order (the order the line had
    /// when it was built as a `serde_json::Value` map, which cost about 36,000 of a cached
    /// call's instructions in workerd).
    pub fn to_line(&self, http_method: &str, path: &str, duration_ms: Option<u64>) -> String {
        let mut out = Vec::with_capacity(192);
        let mut line = Members::new(&mut out);
        line.str("auth", self.auth.as_str());
        if let Some(n) = self.batch {
            line.member("batch", &n);
        }
        if self.cancelled {
            line.member("cancelled", &true);
        }
        line.str("http", &truncate(http_method, 16));
        if self.input_required {
            line.member("input_required", &true);
        }
        if let Some(m) = &self.method {
            line.str("method", m);
        }
        if let Some(ms) = duration_ms {
            line.member("ms", &ms);
        }
        line.str("path", &truncate(path, 128));
        if let Some(p) = self.protocol {
            line.str("protocol", p);
        }
        if let Some(limit) = self.rate_limited {
            line.str("rate_limited", limit);
        }
        if let Some(r) = &self.reason {
            line.str("reason", &truncate(r, 300));
        }
        if self.remembered {
            line.member("remembered", &true);
        }
        if let Some(c) = self.rpc_error {
            line.member("rpc_error", &c);
        }
        line.member("status", &self.status);
        if self.streamed {
            line.member("streamed", &true);
        }
        if let Some(t) = &self.tool {
            line.str("tool", t);
        }
        if self.tool_error {
            line.member("tool_error", &true);
        }
        line.end();
        // Only `str`s and serde_json's output went in: UTF-8.
        String::from_utf8(out).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Value;

    #[test]
    fn a_line_is_one_json_object_with_only_the_fields_that_apply() {
        let log = RequestLog {
            status: 200,
            auth: AuthOutcome::Cached,
            method: Some("tools/call".into()),
            tool: Some("my_tool".into()),
            protocol: Some("2025-11-25"),
            ..RequestLog::default()
        };
        let line = log.to_line("POST", "/mcp/", Some(3));
        let v: Value = serde_json::from_str(&line).unwrap();
        assert_eq!(
            v,
            serde_json::json!({"http": "POST", "path": "/mcp/", "status": 200, "auth": "cached",
                "method": "tools/call", "tool": "my_tool", "protocol": "2025-11-25", "ms": 3})
        );
    }

    /// The line built as a `Value` map and serialised: the reference the writer is tested against.
    fn reference_line(log: &RequestLog, http: &str, path: &str, ms: Option<u64>) -> String {
        let mut m = serde_json::Map::new();
        let mut put = |k: &str, v: Value| {
            m.insert(k.to_owned(), v);
        };
        put("http", truncate(http, 16).into());
        put("path", truncate(path, 128).into());
        put("status", log.status.into());
        put("auth", log.auth.as_str().into());
        if let Some(x) = &log.method {
            put("method", x.as_str().into());
        }
        if let Some(x) = &log.tool {
            put("tool", x.as_str().into());
        }
        if let Some(x) = log.protocol {
            put("protocol", x.into());
        }
        if let Some(x) = log.rpc_error {
            put("rpc_error", x.into());
        }
        if log.tool_error {
            put("tool_error", true.into());
        }
        if let Some(x) = log.batch {
            put("batch", x.into());
        }
        if let Some(x) = &log.reason {
            put("reason", truncate(x, 300).into());
        }
        if log.remembered {
            put("remembered", true.into());
        }
        if let Some(x) = log.rate_limited {
            put("rate_limited", x.into());
        }
        if log.input_required {
            put("input_required", true.into());
        }
        if log.streamed {
            put("streamed", true.into());
        }
        if log.cancelled {
            put("cancelled", true.into());
        }
        if let Some(x) = ms {
            put("ms", x.into());
        }
        serde_json::to_string(&Value::Object(m)).unwrap()
    }

    #[test]
    fn the_line_is_byte_for_byte_what_the_value_map_wrote() {
        for bits in 0u32..(1 << 12) {
            let on = |i: u32| bits & (1 << i) != 0;
            let log = RequestLog {
                status: if on(0) { 200 } else { 503 },
                auth: if on(1) {
                    AuthOutcome::Refused("invalid_token")
                } else {
                    AuthOutcome::Cached
                },
                method: on(2).then(|| "tools/\"call\"\u{7}".into()),
                tool: on(3).then(|| if on(0) { "my_tool" } else { "a\\b\u{7f}é/" }.into()),
                protocol: on(4).then_some("2025-11-25"),
                rpc_error: on(5).then_some(-32602),
                tool_error: on(6),
                batch: on(7).then_some(3),
                reason: on(8).then(|| "é\n".repeat(200)),
                remembered: on(9),
                rate_limited: on(10).then_some("caller"),
                input_required: on(11),
                streamed: on(2) && on(9),
                cancelled: on(3) && on(10),
            };
            let ms = on(4).then_some(12);
            let path = if on(5) { "/mcp/" } else { "/\u{0}x" };
            assert_eq!(
                log.to_line("POST", path, ms),
                reference_line(&log, "POST", path, ms),
                "{bits:b}"
            );
        }
    }

    #[test]
    fn client_text_cannot_break_the_line() {
        let log = RequestLog {
            status: 401,
            auth: AuthOutcome::Refused("invalid_token"),
            method: Some("x\n{\"forged\":true}".into()),
            reason: Some("é".repeat(1000)),
            ..RequestLog::default()
        };
        let line = log.to_line("POST", "/mcp\r\n", None);
        assert!(!line.contains('\n') && !line.contains('\r'));
        let v: Value = serde_json::from_str(&line).unwrap();
        assert_eq!(v["method"], "x\n{\"forged\":true}");
        assert!(v["reason"].as_str().unwrap().chars().count() <= 301);
        assert!(v.get("ms").is_none());
    }
}
