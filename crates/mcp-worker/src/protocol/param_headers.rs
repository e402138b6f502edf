//! 2026-07-28 custom headers from tool parameters (basic/transports/streamable-http
//! "Custom Headers from Tool Parameters", server/tools "x-mcp-header").
//!
//! A tool's input schema may mark a property with `"x-mcp-header": "Region"`; a client then
//! mirrors that argument into an `Mcp-Param-Region` header, so that proxies can route on it
//! without reading the body. The server checks the declaration once per isolate
//! ([`from_schema`]) and, on each 2026-07-28 `tools/call` of such a tool, that every header
//! agrees with the body ([`check`]). A tool without the annotation costs nothing per call.

use serde_json::{Map, Value};

use super::headers::decode_header_value;
use super::jsonrpc::{echo, RpcError};

const KEYWORD: &str = "x-mcp-header";
const PREFIX: &str = "mcp-param-";

/// The primitive types a mirrored parameter may have ("Schema Extension": integer, string,
/// boolean; `number` is not permitted).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ParamType {
    String,
    Integer,
    Boolean,
}

/// One mirrored parameter of a tool.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParamHeader {
    /// The `x-mcp-header` value as declared, e.g. `Region`.
    pub name: String,
    /// The property path from the arguments' root, e.g. `["options", "region"]`.
    pub path: Vec<String>,
    pub kind: ParamType,
    /// `mcp-param-region`: the header to look up (header names are case-insensitive).
    header: String,
}

impl ParamHeader {
    /// The HTTP header a client sends, e.g. `Mcp-Param-Region`.
    pub fn header_name(&self) -> String {
        format!("Mcp-Param-{}", self.name)
    }
}

/// The mirrored parameters an input schema declares (in the order of the parsed schema's
/// keys), or what is wrong with the declaration (each rule of server/tools "x-mcp-header").
pub fn from_schema(schema: &Value) -> Result<Vec<ParamHeader>, String> {
    let mut found = Vec::new();
    walk(schema, &mut Vec::new(), true, &mut found)?;
    for (i, p) in found.iter().enumerate() {
        if let Some(q) = found[..i].iter().find(|q| q.header == p.header) {
            return Err(format!(
                "x-mcp-header {:?} (at {}) and {:?} (at {}) name the same header; the names must be unique, ignoring case",
                q.name,
                q.path.join("."),
                p.name,
                p.path.join(".")
            ));
        }
    }
    Ok(found)
}

/// Schema keywords whose values are instance data, not subschemas: an `x-mcp-header` key
/// inside them is not an annotation.
const DATA_KEYWORDS: [&str; 4] = ["default", "const", "enum", "examples"];

/// Visits every subschema. `path` holds the property names from the root while the chain
/// is made of `properties` steps only (`reachable`); an annotation anywhere else makes the
/// definition invalid ("statically reachable").
fn walk(
    node: &Value,
    path: &mut Vec<String>,
    reachable: bool,
    found: &mut Vec<ParamHeader>,
) -> Result<(), String> {
    match node {
        Value::Object(obj) => {
            if let Some(value) = obj.get(KEYWORD) {
                found.push(annotation(obj, value, path, reachable)?);
            }
            for (key, child) in obj {
                if DATA_KEYWORDS.contains(&key.as_str()) {
                    continue;
                }
                if key == "properties" && reachable {
                    if let Value::Object(props) = child {
                        for (name, sub) in props {
                            path.push(name.clone());
                            let r = walk(sub, path, true, found);
                            path.pop();
                            r?;
                        }
                        continue;
                    }
                }
                walk(child, path, false, found)?;
            }
            Ok(())
        }
        Value::Array(items) => items
            .iter()
            .try_for_each(|item| walk(item, path, false, found)),
        _ => Ok(()),
    }
}

fn annotation(
    schema: &Map<String, Value>,
    value: &Value,
    path: &[String],
    reachable: bool,
) -> Result<ParamHeader, String> {
    let at = if path.is_empty() {
        "the schema root".to_owned()
    } else {
        format!("property {}", path.join("."))
    };
    if !reachable || path.is_empty() {
        return Err(format!(
            "x-mcp-header at {at} is not on a property reached from the root through `properties` alone (not through items, oneOf/anyOf/allOf/not, if/then/else or $ref)"
        ));
    }
    let Value::String(name) = value else {
        return Err(format!("x-mcp-header of {at} must be a string"));
    };
    if name.is_empty() || !name.bytes().all(is_tchar) {
        return Err(format!(
            "x-mcp-header {:?} of {at} must be a non-empty HTTP token: letters, digits and !#$%&'*+-.^_`|~",
            echo(name)
        ));
    }
    let kind = match schema.get("type").and_then(Value::as_str) {
        Some("string") => ParamType::String,
        Some("integer") => ParamType::Integer,
        Some("boolean") => ParamType::Boolean,
        other => {
            return Err(format!(
                "x-mcp-header {name:?} is on {at}, whose type is {}; only \"string\", \"integer\" and \"boolean\" parameters can be mirrored",
                other.map_or_else(|| "not a single type name".to_owned(), |t| format!("{t:?}"))
            ))
        }
    };
    Ok(ParamHeader {
        header: format!("{PREFIX}{}", name.to_ascii_lowercase()),
        name: name.clone(),
        path: path.to_vec(),
        kind,
    })
}

/// RFC 9110 section 5.6.2 `tchar`.
fn is_tchar(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

/// Checks the `Mcp-Param-*` headers of one `tools/call` against its arguments
/// ("Server Behavior for Custom Headers"): a value in the body needs its header, a header
/// needs its value, and the two must agree after decoding. `header` looks a header up by
/// its lower-case name. Every failure is a `HeaderMismatch` (-32020), sent with 400.
pub fn check<'h>(
    params: &[ParamHeader],
    header: impl Fn(&str) -> Option<&'h str>,
    arguments: Option<&Map<String, Value>>,
) -> Result<(), RpcError> {
    for p in params {
        let body = arguments.and_then(|args| value_at(args, &p.path));
        let sent = header(&p.header);
        match (sent, body) {
            (None, None) => {}
            (None, Some(_)) => {
                return Err(RpcError::header_mismatch(format!(
                    "the {} header is missing; this tool mirrors arguments.{} into it",
                    p.header_name(),
                    p.path.join(".")
                )))
            }
            (Some(_), None) => {
                return Err(RpcError::header_mismatch(format!(
                    "the {} header is sent but arguments.{} is absent; send both or neither",
                    p.header_name(),
                    p.path.join(".")
                )))
            }
            (Some(raw), Some(value)) => compare(p, raw, value)?,
        }
    }
    Ok(())
}

/// The argument at `path`; `null` counts as absent (the client omits the header then).
fn value_at<'a>(args: &'a Map<String, Value>, path: &[String]) -> Option<&'a Value> {
    let (last, parents) = path.split_last()?;
    let mut obj = args;
    for key in parents {
        obj = obj.get(key)?.as_object()?;
    }
    obj.get(last).filter(|v| !v.is_null())
}

fn compare(p: &ParamHeader, raw: &str, body: &Value) -> Result<(), RpcError> {
    // Optional whitespace around a field value is not part of it (RFC 9110 section 5.5).
    let raw = raw.trim_matches([' ', '\t']);
    super::headers::plain_value(&p.header_name(), raw)?;
    let Some(decoded) = decode_header_value(raw) else {
        return Err(RpcError::header_mismatch(format!(
            "the {} header has a malformed =?base64?…?= value (padded standard Base64 of UTF-8 is expected)",
            p.header_name()
        )));
    };
    let agrees = match (p.kind, body) {
        (ParamType::Integer, Value::Number(n)) => same_integer(&decoded, n),
        (ParamType::Boolean, Value::Bool(b)) => decoded == if *b { "true" } else { "false" },
        (_, Value::String(s)) => decoded == *s,
        // A value of another type fails the argument check later, with its own message;
        // the header is compared with the value as a client would have written it.
        (_, other) => {
            let written = other.to_string();
            decoded == written
        }
    };
    if agrees {
        return Ok(());
    }
    Err(RpcError::header_mismatch(format!(
        "the {} header '{}' does not match arguments.{} ({})",
        p.header_name(),
        echo(&decoded),
        p.path.join("."),
        echo(&body.to_string())
    )))
}

/// Integers compare numerically: `42`, `+42` and `42.0` are one value (2026-07-28 "Server
/// Validation" note). Written by hand: parsing the header as a float would link the
/// float parser into every server for this one comparison.
fn same_integer(header: &str, body: &serde_json::Number) -> bool {
    let Some(body) = body.as_i64() else {
        // Not an integer in the body (a fraction, or beyond i64): the argument check
        // refuses it; only the same text matches.
        return header == body.to_string();
    };
    let whole = match header.split_once('.') {
        Some((whole, zeros)) if !zeros.is_empty() && zeros.bytes().all(|b| b == b'0') => whole,
        Some(_) => return false,
        None => header,
    };
    let digits = whole.strip_prefix(['+', '-']).unwrap_or(whole);
    !digits.is_empty()
        && digits.bytes().all(|b| b.is_ascii_digit())
        && whole.parse::<i64>().is_ok_and(|h| h == body)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::jsonrpc::HEADER_MISMATCH;
    use serde_json::json;

    fn region_schema() -> Value {
        json!({
            "type": "object",
            "properties": {
                "region": {"type": "string", "x-mcp-header": "Region"},
                "limit": {"type": "integer", "x-mcp-header": "Limit"},
                "dry_run": {"type": "boolean", "x-mcp-header": "Dry-Run"},
                "options": {
                    "type": "object",
                    "properties": {"tenant": {"type": "string", "x-mcp-header": "Tenant"}}
                },
                "query": {"type": "string"}
            },
            "required": ["region"]
        })
    }

    #[test]
    fn a_schema_without_the_annotation_declares_nothing() {
        let schema = json!({"type": "object", "properties": {"n": {"type": "integer"}}});
        assert_eq!(from_schema(&schema), Ok(vec![]));
    }

    #[test]
    fn annotations_are_found_with_their_paths() {
        let params = from_schema(&region_schema()).unwrap();
        let found: Vec<(&str, String, ParamType)> = params
            .iter()
            .map(|p| (p.name.as_str(), p.path.join("."), p.kind))
            .collect();
        assert_eq!(
            found,
            [
                ("Dry-Run", "dry_run".into(), ParamType::Boolean),
                ("Limit", "limit".into(), ParamType::Integer),
                ("Tenant", "options.tenant".into(), ParamType::String),
                ("Region", "region".into(), ParamType::String),
            ]
        );
        assert_eq!(params[3].header_name(), "Mcp-Param-Region");
    }

    #[test]
    fn bad_declarations_are_refused_with_the_rule_they_break() {
        let prop = |p: Value| json!({"type": "object", "properties": {"a": p}});
        let cases = [
            (
                prop(json!({"type": "string", "x-mcp-header": ""})),
                "non-empty HTTP token",
            ),
            (
                prop(json!({"type": "string", "x-mcp-header": "A B"})),
                "HTTP token",
            ),
            (
                prop(json!({"type": "string", "x-mcp-header": "A\r\nB"})),
                "HTTP token",
            ),
            (
                prop(json!({"type": "string", "x-mcp-header": "Ré"})),
                "HTTP token",
            ),
            (
                prop(json!({"type": "string", "x-mcp-header": 7})),
                "must be a string",
            ),
            (
                prop(json!({"type": "number", "x-mcp-header": "N"})),
                "\"number\"",
            ),
            (
                prop(json!({"type": "object", "x-mcp-header": "O"})),
                "\"object\"",
            ),
            (prop(json!({"x-mcp-header": "U"})), "not a single type name"),
            (
                json!({"type": "object", "properties": {
                    "a": {"type": "string", "x-mcp-header": "Same"},
                    "b": {"type": "string", "x-mcp-header": "same"}
                }}),
                "unique",
            ),
            (
                json!({"type": "object", "properties": {"a": {"type": "array",
                    "items": {"type": "string", "x-mcp-header": "I"}}}}),
                "not on a property reached",
            ),
            (
                json!({"type": "object", "anyOf": [{"properties":
                    {"a": {"type": "string", "x-mcp-header": "A"}}}]}),
                "not on a property reached",
            ),
            (
                json!({"type": "object", "$defs": {"d": {"type": "string", "x-mcp-header": "D"}}}),
                "not on a property reached",
            ),
            (
                json!({"type": "object", "x-mcp-header": "Root"}),
                "the schema root",
            ),
        ];
        for (schema, expected) in cases {
            let err = from_schema(&schema).unwrap_err();
            assert!(err.contains(expected), "{schema}: {err}");
        }
    }

    #[test]
    fn instance_data_is_not_an_annotation() {
        let schema = json!({"type": "object", "properties": {
            "a": {"type": "object", "default": {"x-mcp-header": "NotOne"}}
        }});
        assert_eq!(from_schema(&schema), Ok(vec![]));
    }

    fn run(headers: &[(&str, &str)], args: Value) -> Result<(), RpcError> {
        let params = from_schema(&region_schema()).unwrap();
        let lookup = |name: &str| {
            headers
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(name))
                .map(|(_, v)| *v)
        };
        check(&params, lookup, args.as_object())
    }

    #[test]
    fn matching_headers_pass() {
        assert_eq!(
            run(
                &[("mcp-param-region", "us-west1")],
                json!({"region": "us-west1"})
            ),
            Ok(())
        );
        // 2026-07-28 "Value Encoding" examples.
        assert_eq!(
            run(
                &[("Mcp-Param-Region", "=?base64?SGVsbG8sIOS4lueVjA==?=")],
                json!({"region": "Hello, 世界"})
            ),
            Ok(())
        );
        assert_eq!(
            run(
                &[("mcp-param-region", "=?base64?IHBhZGRlZCA=?=")],
                json!({"region": " padded "})
            ),
            Ok(())
        );
        // Without both markers a value is literal.
        assert_eq!(
            run(
                &[("mcp-param-region", "SGVsbG8=")],
                json!({"region": "SGVsbG8="})
            ),
            Ok(())
        );
        assert_eq!(
            run(
                &[("mcp-param-region", "=?base64?SGVsbG8=")],
                json!({"region": "=?base64?SGVsbG8="})
            ),
            Ok(())
        );
        // Whitespace around a field value is not part of it.
        assert_eq!(
            run(&[("mcp-param-region", "  eu  ")], json!({"region": "eu"})),
            Ok(())
        );
        assert_eq!(
            run(
                &[
                    ("mcp-param-region", "eu"),
                    ("mcp-param-limit", "42.0"),
                    ("mcp-param-dry-run", "false"),
                    ("mcp-param-tenant", "acme")
                ],
                json!({"region": "eu", "limit": 42, "dry_run": false, "options": {"tenant": "acme"}})
            ),
            Ok(())
        );
        assert_eq!(
            run(&[("mcp-param-limit", "-7")], json!({"limit": -7})),
            Ok(())
        );
    }

    #[test]
    fn integers_compare_as_integers_not_as_floats() {
        for header in [
            "4.2e1", "42.5", "42.", ".42", "0x2a", "4 2", "", "+", "42.0.0",
        ] {
            let err = run(&[("mcp-param-limit", header)], json!({"limit": 42})).unwrap_err();
            assert_eq!(err.code, HEADER_MISMATCH, "{header:?}");
        }
        assert_eq!(
            run(&[("mcp-param-limit", "0042")], json!({"limit": 42})),
            Ok(())
        );
    }

    #[test]
    fn absent_and_null_values_expect_no_header() {
        assert_eq!(run(&[], json!({})), Ok(()));
        assert_eq!(run(&[], json!({"region": null, "options": {}})), Ok(()));
        assert_eq!(run(&[], json!({"options": "not an object"})), Ok(()));
    }

    #[test]
    fn every_disagreement_is_a_header_mismatch() {
        type Case<'a> = (&'a [(&'a str, &'a str)], Value, &'a str);
        let cases: [Case; 11] = [
            (&[], json!({"region": "eu"}), "header is missing"),
            (
                &[],
                json!({"options": {"tenant": "acme"}}),
                "arguments.options.tenant",
            ),
            (&[("mcp-param-region", "eu")], json!({}), "is absent"),
            (
                &[("mcp-param-region", "us")],
                json!({"region": "eu"}),
                "does not match",
            ),
            (
                &[("mcp-param-region", "EU")],
                json!({"region": "eu"}),
                "does not match",
            ),
            (
                &[("mcp-param-region", "=?base64?SGVsbG8?=")],
                json!({"region": "Hello"}),
                "malformed",
            ),
            (
                &[("mcp-param-region", "=?base64?SGVs!!!bG8=?=")],
                json!({"region": "Hello"}),
                "malformed",
            ),
            (
                &[("mcp-param-region", "Hé")],
                json!({"region": "Hé"}),
                "may not carry",
            ),
            (
                &[("mcp-param-limit", "43")],
                json!({"limit": 42}),
                "does not match",
            ),
            (
                &[("mcp-param-limit", "1e400")],
                json!({"limit": 42}),
                "does not match",
            ),
            (
                &[("mcp-param-dry-run", "False")],
                json!({"dry_run": false}),
                "does not match",
            ),
        ];
        for (headers, args, expected) in cases {
            let err = run(headers, args.clone()).unwrap_err();
            assert_eq!(err.code, HEADER_MISMATCH, "{headers:?} {args}");
            assert!(
                err.message.contains(expected),
                "{headers:?} {args}: {}",
                err.message
            );
        }
    }
}
