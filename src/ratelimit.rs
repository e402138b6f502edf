//! Which Cloudflare rate limit a request must pass before it is served. The core decides
//! (this module); the adapter asks the binding (`Env::rate_limiter`) and, when the limit
//! refuses, answers with [`crate::http::rate_limited`].
//!
//! Two limits, each a `[[ratelimits]]` binding in `wrangler.toml`:
//! - per client address (`CF-Connecting-IP`), on every request whose token would need a
//!   signature verification (not in the verified-token cache, not remembered as refused),
//!   checked before that work: a flood costs a limiter call, not RSA;
//! - per caller (the verified token's `sub`), on requests that call a tool.
//!
//! An unbound limit limits nothing (the adapter says so once in the log).

use std::fmt;

use serde_json::Value;

use crate::auth::Cost;
use crate::config::{Auth, Config};
use crate::http::{Body, Request, MCP_PATHS};

/// What a limited client is told to wait, in seconds: the longest period the binding
/// supports (it counts in fixed windows of 10 or 60 s), so it is never too short.
pub const RETRY_AFTER_SECS: u32 = 60;

/// The key used when the runtime gives no client address (never the case behind
/// Cloudflare, which sets `CF-Connecting-IP` on every request).
const UNKNOWN_ADDRESS: &str = "unknown";

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Limit {
    /// Token verifications per client address.
    Address,
    /// Tool calls per token subject.
    Caller,
}

impl Limit {
    pub const ALL: [Limit; 2] = [Limit::Address, Limit::Caller];

    /// The `[[ratelimits]]` binding that enforces it.
    pub fn binding(self) -> &'static str {
        match self {
            Limit::Address => "ADDRESS_RATE_LIMIT",
            Limit::Caller => "CALLER_RATE_LIMIT",
        }
    }

    /// Its name in the request log and in the answer's `data`.
    pub fn as_str(self) -> &'static str {
        match self {
            Limit::Address => "address",
            Limit::Caller => "caller",
        }
    }
}

/// What a limited client reads: what happened and what to do.
impl fmt::Display for Limit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Limit::Address => write!(
                f,
                "Too many requests from this address carried a token this server had not verified yet; wait up to {RETRY_AFTER_SECS} seconds. Send the same token on every request rather than a new one each time: a token already verified is not limited."
            ),
            Limit::Caller => write!(
                f,
                "Too many tool calls for this token's subject; wait up to {RETRY_AFTER_SECS} seconds before calling again."
            ),
        }
    }
}

/// One question for a limiter: may `key` go on under `limit`?
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Check {
    pub limit: Limit,
    pub key: String,
}

/// The limit this request must pass before it is served, if any. Cheap: a hash of the
/// token and, for a known caller, a scan of the body for the method.
pub fn check(config: &Config, req: &Request, now: i64) -> Option<Check> {
    let Auth::Bearer(auth) = &config.auth else {
        return None;
    };
    // Only requests that reach authentication: the MCP endpoint's POSTs from an allowed
    // Origin (anything else is refused or answered without a token).
    let origin_ok = req
        .header("origin")
        .is_none_or(|o| config.origins.allows(o));
    if req.method != "POST" || !MCP_PATHS.contains(&req.path.as_str()) || !origin_ok {
        return None;
    }
    match auth.cost(req.header("authorization"), now) {
        Cost::Cheap => None,
        Cost::Verification => Some(Check {
            limit: Limit::Address,
            key: req
                .header("cf-connecting-ip")
                .map_or(UNKNOWN_ADDRESS, str::trim)
                .to_owned(),
        }),
        Cost::Known(principal) => {
            let subject = principal.subject.as_ref()?;
            calls_a_tool(&req.body).then(|| Check {
                limit: Limit::Caller,
                key: subject.clone(),
            })
        }
    }
}

/// Whether a body is a `tools/call`, or a batch holding one (which counts once). Anything
/// that does not parse is not: the core refuses it without running a tool. Parsed into a
/// `Value` (already linked for the core) rather than a struct of its own: measured 2 KiB
/// less to upload.
fn calls_a_tool(body: &Body) -> bool {
    let Body::Bytes(bytes) = body else {
        return false;
    };
    let is_call = |m: &Value| m.get("method").and_then(Value::as_str) == Some("tools/call");
    match serde_json::from_slice::<Value>(bytes) {
        Ok(Value::Array(batch)) => batch.iter().any(is_call),
        Ok(message) => is_call(&message),
        Err(_) => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bytes(s: &str) -> Body {
        Body::Bytes(s.as_bytes().to_vec())
    }

    #[test]
    fn a_tool_call_is_found_alone_or_in_a_batch() {
        let call =
            r#"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"roll_dice"}}"#;
        assert!(calls_a_tool(&bytes(call)));
        assert!(calls_a_tool(&bytes(&format!(
            r#" [{{"jsonrpc":"2.0","method":"ping","id":2}}, {call}]"#
        ))));
        assert!(!calls_a_tool(&bytes(
            r#"{"jsonrpc":"2.0","id":1,"method":"tools/list"}"#
        )));
        assert!(!calls_a_tool(&bytes(r#"{"method": 5}"#)));
        assert!(!calls_a_tool(&bytes(&"[".repeat(10_000))));
        assert!(!calls_a_tool(&bytes("")));
        assert!(!calls_a_tool(&Body::TooLarge));
    }

    #[test]
    fn every_answer_says_what_to_do() {
        for limit in Limit::ALL {
            let text = limit.to_string();
            assert!(text.contains("wait up to 60 seconds"), "{text}");
        }
    }
}
