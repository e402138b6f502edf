//! One structured line per request for the operator: what was asked, what was answered,
//! and why a request was refused. Visible in `wrangler dev` and `wrangler tail`.
//!
//! Never holds a token, a key or a body. The few client-supplied strings it carries (a
//! method or tool name, the reason a token was refused) are cut short, and serialising
//! them as JSON escapes anything that could forge a second line.

use serde_json::{Map, Value};

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
    pub fn to_line(&self, http_method: &str, path: &str, duration_ms: Option<u64>) -> String {
        let mut line = Map::new();
        let mut put = |k: &str, v: Value| {
            line.insert(k.to_owned(), v);
        };
        put("http", truncate(http_method, 16).into());
        put("path", truncate(path, 128).into());
        put("status", self.status.into());
        put("auth", self.auth.as_str().into());
        if let Some(m) = &self.method {
            put("method", m.as_str().into());
        }
        if let Some(t) = &self.tool {
            put("tool", t.as_str().into());
        }
        if let Some(p) = self.protocol {
            put("protocol", p.into());
        }
        if let Some(c) = self.rpc_error {
            put("rpc_error", c.into());
        }
        if self.tool_error {
            put("tool_error", true.into());
        }
        if let Some(n) = self.batch {
            put("batch", n.into());
        }
        if let Some(r) = &self.reason {
            put("reason", truncate(r, 300).into());
        }
        if self.remembered {
            put("remembered", true.into());
        }
        if let Some(limit) = self.rate_limited {
            put("rate_limited", limit.into());
        }
        if self.input_required {
            put("input_required", true.into());
        }
        if self.streamed {
            put("streamed", true.into());
        }
        if self.cancelled {
            put("cancelled", true.into());
        }
        if let Some(ms) = duration_ms {
            put("ms", ms.into());
        }
        // Serialising a `Value` cannot fail; to_string skips Display's fmt adapter.
        serde_json::to_string(&Value::Object(line)).unwrap_or_default()
    }
}

fn truncate(s: &str, max_chars: usize) -> String {
    crate::protocol::jsonrpc::truncate(s, max_chars)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_line_is_one_json_object_with_only_the_fields_that_apply() {
        let log = RequestLog {
            status: 200,
            auth: AuthOutcome::Cached,
            method: Some("tools/call".into()),
            tool: Some("roll_dice".into()),
            protocol: Some("2025-11-25"),
            ..RequestLog::default()
        };
        let line = log.to_line("POST", "/mcp/", Some(3));
        let v: Value = serde_json::from_str(&line).unwrap();
        assert_eq!(
            v,
            serde_json::json!({"http": "POST", "path": "/mcp/", "status": 200, "auth": "cached",
                "method": "tools/call", "tool": "roll_dice", "protocol": "2025-11-25", "ms": 3})
        );
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
