//! JSON-RPC 2.0 as MCP constrains it: ids and error codes. The envelopes are written in
//! [`super::wire`].

use serde_json::{json, Value};
use std::fmt;

use super::version::Version;

pub const PARSE_ERROR: i64 = -32700;
pub const INVALID_REQUEST: i64 = -32600;
pub const METHOD_NOT_FOUND: i64 = -32601;
pub const INVALID_PARAMS: i64 = -32602;
pub const INTERNAL_ERROR: i64 = -32603;
/// 2026-07-28 basic/index "Error Codes".
pub const HEADER_MISMATCH: i64 = -32020;
/// 2026-07-28 `MissingRequiredClientCapabilityError`.
pub const MISSING_CLIENT_CAPABILITY: i64 = -32021;
pub const UNSUPPORTED_PROTOCOL_VERSION: i64 = -32022;

/// A JSON-RPC error object. `message` is written for the person reading a client's log:
/// what was wrong and what to send instead.
#[derive(Clone, Debug, PartialEq)]
pub struct RpcError {
    pub code: i64,
    pub message: String,
    pub data: Option<Value>,
}

impl RpcError {
    fn new(code: i64, message: impl Into<String>) -> Self {
        RpcError {
            code,
            message: message.into(),
            data: None,
        }
    }

    pub fn parse_error(detail: impl fmt::Display) -> Self {
        Self::new(
            PARSE_ERROR,
            format!("Parse error: the body is not valid JSON ({detail})"),
        )
    }

    pub fn invalid_request(detail: impl Into<String>) -> Self {
        Self::new(
            INVALID_REQUEST,
            format!("Invalid request: {}", detail.into()),
        )
    }

    pub fn method_not_found(method: &str, version: Version) -> Self {
        Self::new(
            METHOD_NOT_FOUND,
            format!("Method not found: '{method}' is not a method of protocol version {version}"),
        )
    }

    pub fn invalid_params(detail: impl Into<String>) -> Self {
        Self::new(INVALID_PARAMS, format!("Invalid params: {}", detail.into()))
    }

    pub fn internal() -> Self {
        Self::new(INTERNAL_ERROR, "Internal error")
    }

    pub fn header_mismatch(detail: impl Into<String>) -> Self {
        Self::new(
            HEADER_MISMATCH,
            format!("Header mismatch: {}", detail.into()),
        )
    }

    /// The call needs client capabilities the request's `clientCapabilities` did not
    /// declare (2026-07-28; HTTP 400).
    pub fn missing_capability(required: &serde_json::Map<String, Value>) -> Self {
        let names: Vec<&str> = required.keys().map(String::as_str).collect();
        RpcError {
            code: MISSING_CLIENT_CAPABILITY,
            message: format!(
                "This tool needs the client capability {}; declare it in _meta clientCapabilities if the client supports it",
                names.join(", ")
            ),
            data: Some(json!({ "requiredCapabilities": required })),
        }
    }

    pub fn unsupported_version(requested: &str) -> Self {
        RpcError {
            code: UNSUPPORTED_PROTOCOL_VERSION,
            message: format!(
                "Unsupported protocol version '{}'; use one of: {}",
                truncate(requested, 64),
                Version::supported_list().join(", ")
            ),
            data: Some(json!({
                "supported": Version::supported_list(),
                "requested": requested,
            })),
        }
    }
}

impl fmt::Display for RpcError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({})", self.message, self.code)
    }
}

/// A request id as MCP allows it: a string or an integer, never null (basic/index "Requests").
/// Kept as the JSON value received so that it is echoed byte for byte.
#[derive(Clone, Debug, PartialEq)]
pub struct Id(Value);

impl Id {
    pub fn from_value(v: &Value) -> Option<Id> {
        match v {
            Value::String(_) => Some(Id(v.clone())),
            Value::Number(n) if n.is_i64() || n.is_u64() => Some(Id(v.clone())),
            _ => None,
        }
    }

    pub fn as_value(&self) -> &Value {
        &self.0
    }
}

/// The most characters of what a client sent that any answer repeats back
/// (docs/bad-input.md promises it).
pub const ECHO_CHARS: usize = 64;

/// A client-supplied string as an answer may repeat it: at most [`ECHO_CHARS`]
/// characters. Every echo in an error message goes through this one function.
pub fn echo(s: &str) -> String {
    truncate(s, ECHO_CHARS)
}

/// Cuts a string on a character boundary (for the log's own limits; answers use [`echo`]).
pub fn truncate(s: &str, max_chars: usize) -> String {
    // No more bytes than `max_chars` means no more characters: nothing to count.
    if s.len() <= max_chars {
        return s.to_owned();
    }
    match s.char_indices().nth(max_chars) {
        Some((i, _)) => format!("{}…", &s[..i]),
        None => s.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_strings_or_integers() {
        assert!(Id::from_value(&json!("abc")).is_some());
        assert!(Id::from_value(&json!(7)).is_some());
        assert!(Id::from_value(&json!(-7)).is_some());
        assert!(Id::from_value(&json!(u64::MAX)).is_some());
        assert!(Id::from_value(&json!(1.5)).is_none());
        assert!(Id::from_value(&Value::Null).is_none());
        assert!(Id::from_value(&json!({"a": 1})).is_none());
        assert!(Id::from_value(&json!([1])).is_none());
    }

    #[test]
    fn unsupported_version_lists_what_is_supported() {
        let err = RpcError::unsupported_version("1900-01-01");
        let data = err.data.unwrap();
        assert_eq!(data["requested"], "1900-01-01");
        assert_eq!(data["supported"][0], "2026-07-28");
        assert_eq!(data["supported"].as_array().unwrap().len(), 5);
    }

    #[test]
    fn truncate_respects_char_boundaries() {
        assert_eq!(truncate("ééééé", 2), "éé…");
        assert_eq!(truncate("abc", 5), "abc");
        assert_eq!(truncate("abc", 3), "abc");
        assert_eq!(truncate("éé", 2), "éé");
        assert_eq!(truncate("abcd", 3), "abc…");
    }
}
