//! Which revision a request speaks, and the 2026-07-28 rules that tie headers to the body
//! (basic/transports/streamable-http "Request Metadata" and "Server Validation").

use serde_json::{Map, Value};

use super::jsonrpc::{echo, RpcError};
use super::version::{Era, Version};
use super::McpHeaders;

const META: &str = "_meta";
const META_VERSION: &str = "io.modelcontextprotocol/protocolVersion";
const META_CAPABILITIES: &str = "io.modelcontextprotocol/clientCapabilities";

/// Decides the revision of one request from the `MCP-Protocol-Version` header (already
/// known to be supported when present) and the body's `_meta` protocol version.
pub fn request_version(
    header: Option<Version>,
    params: Option<&Map<String, Value>>,
) -> Result<Version, RpcError> {
    let meta = match params.and_then(|p| p.get(META)) {
        None => None,
        Some(Value::Object(m)) => Some(m),
        Some(_) => return Err(RpcError::invalid_params("'params._meta' must be an object")),
    };
    let in_body = match meta.and_then(|m| m.get(META_VERSION)) {
        None => None,
        Some(Value::String(s)) => Some(s.as_str()),
        Some(_) => {
            return Err(RpcError::invalid_params(format!(
                "'_meta.{META_VERSION}' must be a string"
            )))
        }
    };
    // A header that disagrees with the body is a mismatch whether or not either names a
    // revision we speak (2026-07-28 basic/transports/streamable-http "Server Validation");
    // only agreeing values are then checked for support.
    if let (Some(h), Some(s)) = (header, in_body) {
        if h.as_str() != s {
            return Err(mismatch(h.as_str(), s));
        }
    }
    let body_version = match in_body {
        None => None,
        Some(s) => Some(Version::parse(s).ok_or_else(|| RpcError::unsupported_version(s))?),
    };
    match (header, body_version) {
        (Some(h), Some(b)) if h != b => Err(mismatch(h.as_str(), b.as_str())),
        (None, Some(b)) if b.era() == Era::Modern => Err(RpcError::header_mismatch(format!(
            "the MCP-Protocol-Version header is missing; send 'MCP-Protocol-Version: {b}'"
        ))),
        (Some(h), _) => Ok(h),
        (None, _) => Ok(Version::HEADERLESS_DEFAULT),
    }
}

fn mismatch(header: &str, body: &str) -> RpcError {
    RpcError::header_mismatch(format!(
        "MCP-Protocol-Version header '{}' does not match _meta protocol version '{}'",
        echo(header),
        echo(body)
    ))
}

/// The `_meta` protocol version a message's params carry, if any, as sent.
pub fn meta_version(message: &Value) -> Option<&str> {
    message
        .get("params")?
        .get(META)?
        .get(META_VERSION)?
        .as_str()
}

/// The error for a `MCP-Protocol-Version` header naming a revision we do not speak:
/// a mismatch when the body names another one, else unsupported.
pub fn unsupported_header(raw: &str, message: &Value) -> RpcError {
    match meta_version(message) {
        Some(body) if body != raw => mismatch(raw, body),
        _ => RpcError::unsupported_version(raw),
    }
}

/// The 2026-07-28 checks for a request: the `_meta` fields every request must carry, and
/// `Mcp-Method`/`Mcp-Name` equal to the body's values.
pub fn check_modern(
    headers: &McpHeaders,
    method: &str,
    params: Option<&Map<String, Value>>,
) -> Result<(), RpcError> {
    if let Some(raw) = headers.method {
        plain_value("Mcp-Method", raw)?;
    }
    if let Some(raw) = headers.name {
        plain_value("Mcp-Name", raw)?;
    }
    match headers.method {
        None => {
            return Err(RpcError::header_mismatch(format!(
                "the Mcp-Method header is missing; send 'Mcp-Method: {}'",
                echo(method)
            )))
        }
        Some(h) if h != method => {
            return Err(RpcError::header_mismatch(format!(
                "Mcp-Method header '{}' does not match body method '{}'",
                echo(h),
                echo(method)
            )))
        }
        Some(_) => {}
    }
    if let Some(field) = name_field(method) {
        let body_name = params.and_then(|p| p.get(field)).and_then(Value::as_str);
        if let Some(body_name) = body_name {
            let header = headers.name.ok_or_else(|| {
                RpcError::header_mismatch(format!(
                    "the Mcp-Name header is missing; send 'Mcp-Name' with the value of params.{field}"
                ))
            })?;
            let decoded = decode_header_value(header).ok_or_else(|| {
                RpcError::header_mismatch("the Mcp-Name header has a malformed =?base64?…?= value")
            })?;
            if decoded != body_name {
                return Err(RpcError::header_mismatch(format!(
                    "Mcp-Name header '{}' does not match body value '{}'",
                    echo(&decoded),
                    echo(body_name)
                )));
            }
        }
    }
    let meta = params.and_then(|p| p.get(META)).and_then(Value::as_object);
    if meta.and_then(|m| m.get(META_VERSION)).is_none() {
        return Err(RpcError::invalid_params(format!(
            "2026-07-28 requests must carry params._meta[\"{META_VERSION}\"]"
        )));
    }
    if !meta
        .and_then(|m| m.get(META_CAPABILITIES))
        .is_some_and(Value::is_object)
    {
        return Err(RpcError::invalid_params(format!(
            "2026-07-28 requests must carry params._meta[\"{META_CAPABILITIES}\"] (an object; {{}} if none)"
        )));
    }
    Ok(())
}

/// A routing header's value must be visible ASCII, spaces and tabs: 2026-07-28
/// basic/transports/streamable-http lists invalid characters in a header value among the
/// failures answered `400`, `-32020`; other values travel as `=?base64?…?=`. Raw bytes
/// past ASCII reach the worker as non-ASCII characters, so they fail here too.
pub fn plain_value(name: &str, raw: &str) -> Result<(), RpcError> {
    if raw.bytes().all(|b| b == b'\t' || (0x20..0x7f).contains(&b)) {
        return Ok(());
    }
    Err(RpcError::header_mismatch(format!(
        "the {name} header holds characters a header may not carry; send such values as =?base64?…?="
    )))
}

/// The body field that `Mcp-Name` mirrors, for the methods that have one.
pub(crate) fn name_field(method: &str) -> Option<&'static str> {
    match method {
        "tools/call" | "prompts/get" => Some("name"),
        "resources/read" => Some("uri"),
        // SEP-2663 "Streamable HTTP: Routing Headers".
        "tasks/get" | "tasks/update" | "tasks/cancel" => Some("taskId"),
        _ => None,
    }
}

/// A header value as sent, or decoded from the `=?base64?…?=` form ("Value Encoding").
/// `None` when the encoded form is malformed: standard Base64 with its padding, of UTF-8
/// (SEP-2243's test cases reject `=?base64?SGVsbG8?=`, "Hello" without its `=`).
pub fn decode_header_value(v: &str) -> Option<String> {
    use base64ct::{Base64, Encoding};
    match v
        .strip_prefix("=?base64?")
        .and_then(|r| r.strip_suffix("?="))
    {
        None => Some(v.to_owned()),
        Some(encoded) => String::from_utf8(Base64::decode_vec(encoded).ok()?).ok(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::jsonrpc::{HEADER_MISMATCH, INVALID_PARAMS, UNSUPPORTED_PROTOCOL_VERSION};
    use serde_json::json;

    fn params(v: Value) -> Map<String, Value> {
        v.as_object().unwrap().clone()
    }

    #[test]
    fn base64_sentinel_values_decode() {
        // Examples from 2026-07-28 basic/transports/streamable-http "Value Encoding".
        assert_eq!(decode_header_value("us-west1").unwrap(), "us-west1");
        assert_eq!(
            decode_header_value("=?base64?SGVsbG8sIOS4lueVjA==?=").unwrap(),
            "Hello, 世界"
        );
        assert_eq!(
            decode_header_value("=?base64?IHBhZGRlZCA=?=").unwrap(),
            " padded "
        );
        assert_eq!(
            decode_header_value("=?base64?PT9iYXNlNjQ/bGl0ZXJhbD89?=").unwrap(),
            "=?base64?literal?="
        );
        assert_eq!(
            decode_header_value("=?base64?bXlfdG9vbA==?=").unwrap(),
            "my_tool"
        );
        assert!(decode_header_value("=?base64?not base64!?=").is_none());
        assert!(
            decode_header_value("=?base64?SGVsbG8?=").is_none(),
            "padding is required"
        );
        assert!(decode_header_value("=?base64?A?=").is_none());
        assert!(
            decode_header_value("=?base64?/w==?=").is_none(),
            "not UTF-8"
        );
    }

    #[test]
    fn header_and_meta_versions_must_agree() {
        let p = params(json!({"_meta": {META_VERSION: "2026-07-28"}}));
        let err = request_version(Some(Version::V2025_11_25), Some(&p)).unwrap_err();
        assert_eq!(err.code, HEADER_MISMATCH);
        let err = request_version(None, Some(&p)).unwrap_err();
        assert_eq!(err.code, HEADER_MISMATCH);
        assert_eq!(
            request_version(Some(Version::V2026_07_28), Some(&p)),
            Ok(Version::V2026_07_28)
        );
    }

    #[test]
    fn unknown_meta_version_is_unsupported_unless_the_header_disagrees() {
        let p = params(json!({"_meta": {META_VERSION: "2099-01-01"}}));
        let err = request_version(None, Some(&p)).unwrap_err();
        assert_eq!(err.code, UNSUPPORTED_PROTOCOL_VERSION);
        assert_eq!(err.data.unwrap()["requested"], "2099-01-01");
        // The conformance suite's server-stateless probe: header 2026-07-28, body v999.
        let err = request_version(Some(Version::V2026_07_28), Some(&p)).unwrap_err();
        assert_eq!(err.code, HEADER_MISMATCH);
    }

    #[test]
    fn an_unknown_header_is_a_mismatch_when_the_body_names_another_version() {
        let body = json!({"params": {"_meta": {META_VERSION: "2026-07-28"}}});
        assert_eq!(unsupported_header("v999", &body).code, HEADER_MISMATCH);
        let same = json!({"params": {"_meta": {META_VERSION: "v999"}}});
        assert_eq!(
            unsupported_header("v999", &same).code,
            UNSUPPORTED_PROTOCOL_VERSION
        );
        assert_eq!(
            unsupported_header("v999", &json!({})).code,
            UNSUPPORTED_PROTOCOL_VERSION
        );
    }

    #[test]
    fn no_header_means_2025_03_26() {
        assert_eq!(request_version(None, None), Ok(Version::V2025_03_26));
    }

    /// Raw bytes past ASCII arrive as non-ASCII characters: refused as `-32020` on every
    /// routing header, even where they decode to the body's value (2026-07-28
    /// basic/transports/streamable-http: such values travel base64-encoded).
    #[test]
    fn routing_headers_carry_visible_ascii_only() {
        let body = params(json!({
            "name": "dé",
            "_meta": {META_VERSION: "2026-07-28", META_CAPABILITIES: {}}
        }));
        let hdr = |method, name| McpHeaders {
            protocol_version: Some("2026-07-28"),
            method: Some(method),
            name: Some(name),
            ..McpHeaders::default()
        };
        for (method, name) in [
            ("tools/call", "dé"),
            ("tools/call", "d\u{0}"),
            ("tools/call", "d\u{7f}"),
            ("tools/call\u{a0}", "=?base64?ZMOp?="),
        ] {
            let err = check_modern(&hdr(method, name), "tools/call", Some(&body)).unwrap_err();
            assert_eq!(err.code, HEADER_MISMATCH, "{method:?} {name:?}");
            assert!(
                err.message.contains("characters a header may not carry"),
                "{err}"
            );
        }
        assert_eq!(
            check_modern(
                &hdr("tools/call", "=?base64?ZMOp?="),
                "tools/call",
                Some(&body)
            ),
            Ok(())
        );
    }

    #[test]
    fn modern_requests_need_method_name_and_meta() {
        let good = params(json!({
            "name": "my_tool",
            "_meta": {META_VERSION: "2026-07-28", META_CAPABILITIES: {}}
        }));
        let hdr = McpHeaders {
            protocol_version: Some("2026-07-28"),
            method: Some("tools/call"),
            name: Some("my_tool"),
            ..McpHeaders::default()
        };
        assert_eq!(check_modern(&hdr, "tools/call", Some(&good)), Ok(()));

        let cases = [
            (
                McpHeaders {
                    method: None,
                    ..hdr
                },
                HEADER_MISMATCH,
            ),
            (
                McpHeaders {
                    method: Some("tools/list"),
                    ..hdr
                },
                HEADER_MISMATCH,
            ),
            (McpHeaders { name: None, ..hdr }, HEADER_MISMATCH),
            (
                McpHeaders {
                    name: Some("other"),
                    ..hdr
                },
                HEADER_MISMATCH,
            ),
        ];
        for (h, code) in cases {
            assert_eq!(
                check_modern(&h, "tools/call", Some(&good))
                    .unwrap_err()
                    .code,
                code
            );
        }
        let encoded = McpHeaders {
            name: Some("=?base64?bXlfdG9vbA==?="),
            ..hdr
        };
        assert_eq!(check_modern(&encoded, "tools/call", Some(&good)), Ok(()));

        let no_caps = params(json!({"name": "my_tool", "_meta": {META_VERSION: "2026-07-28"}}));
        let err = check_modern(&hdr, "tools/call", Some(&no_caps)).unwrap_err();
        assert_eq!(err.code, INVALID_PARAMS);
    }
}
