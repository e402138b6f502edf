//! The JSON-RPC envelope of one message: read straight from the body for the common
//! case, classified from a `Value` tree for the rest.

use serde_json::{Map, Value};

use crate::protocol::from_value::refuse_other_values;
use crate::protocol::jsonrpc::{Id, RpcError};

pub(super) fn parse(body: &[u8]) -> Result<Value, RpcError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err(RpcError::parse_error("the body is empty"));
    }
    // serde_json rejects invalid UTF-8 and nesting deeper than 128 levels.
    serde_json::from_slice(body).map_err(RpcError::parse_error)
}

/// A request or notification whose envelope is what MCP requires: `jsonrpc` "2.0", a
/// `method` string, an `id` (when present) that is a string or an integer, `params` (when
/// present) an object or null. Read straight from the body, without a `Value` tree for
/// the envelope: 8,000 fewer instructions for a cached `tools/call` in workerd.
#[derive(Default)]
pub(super) struct Envelope<'a> {
    jsonrpc: Option<&'a str>,
    /// `null` stays `Some(Null)`, which [`Id::from_value`] refuses.
    id: Option<Value>,
    method: Option<&'a str>,
    params: Option<Value>,
}

/// Reads only an object, each member once; a member it does not use is read as a `Value`
/// and dropped, so that what this takes the full path takes too.
/// Written by hand: serde's derive also reads a struct from an array, which this never
/// needs (the derived reader cost 3.3 KiB of the gzipped upload, this one 2.9 at first
/// and about 2 since it reads unused members as `Value`s and checks UTF-8 once).
/// Every read goes through `deserialize_any`, and each visitor answers every kind of value
/// serde_json hands one: serde_json's typed reads (`deserialize_map`, `deserialize_str`)
/// and serde's default answers describe a wrong value with serde_json's error, whose
/// words for a float link core's float formatting into the upload
/// ([`from_value`](crate::protocol::from_value)).
impl<'de> serde::Deserialize<'de> for Envelope<'de> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(Members)
    }
}

/// A value of the kind a visitor does not take: the answer is thrown away (a message that
/// does not parse here takes the full path, which says what is wrong).
const WRONG: &str = "not a JSON-RPC envelope";

fn wrong<E: serde::de::Error, T>() -> Result<T, E> {
    Err(E::custom(WRONG))
}

struct Members;

impl<'de> serde::de::Visitor<'de> for Members {
    type Value = Envelope<'de>;
    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a JSON-RPC message")
    }
    refuse_other_values!(WRONG; visit_unit(), visit_bool(bool), visit_i64(i64), visit_u64(u64),
        visit_f64(f64), visit_str(&str));
    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, _: A) -> Result<Self::Value, A::Error> {
        wrong()
    }
    fn visit_map<M: serde::de::MapAccess<'de>>(self, mut m: M) -> Result<Envelope<'de>, M::Error> {
        let mut e = Envelope::default();
        while let Some(key) = m.next_key_seed(Borrowed)? {
            let fresh = match key {
                "jsonrpc" => e.jsonrpc.replace(m.next_value_seed(Borrowed)?).is_none(),
                "id" => e.id.replace(m.next_value()?).is_none(),
                "method" => e.method.replace(m.next_value_seed(Borrowed)?).is_none(),
                "params" => e.params.replace(m.next_value()?).is_none(),
                // Read as the full path reads it, not skipped: a skip checks
                // less (a number out of range passes it; found by the fuzzer).
                _ => {
                    m.next_value::<Value>()?;
                    true
                }
            };
            if !fresh {
                return wrong();
            }
        }
        Ok(e)
    }
}

/// A string read in place: an escaped one (which would need a copy) is refused, so an
/// escaped method name takes the full path.
struct Borrowed;

impl<'de> serde::de::DeserializeSeed<'de> for Borrowed {
    type Value = &'de str;
    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<&'de str, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> serde::de::Visitor<'de> for Borrowed {
    type Value = &'de str;
    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a string")
    }
    refuse_other_values!(WRONG; visit_unit(), visit_bool(bool), visit_i64(i64), visit_u64(u64),
        visit_f64(f64), visit_str(&str));
    fn visit_borrowed_str<E: serde::de::Error>(self, s: &'de str) -> Result<&'de str, E> {
        Ok(s)
    }
    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, _: A) -> Result<Self::Value, A::Error> {
        wrong()
    }
    fn visit_map<A: serde::de::MapAccess<'de>>(self, _: A) -> Result<Self::Value, A::Error> {
        wrong()
    }
}

/// What [`Envelope::parse`] gives: only the messages it is sure of.
pub(super) struct ValidEnvelope<'a> {
    pub(super) id: Option<Id>,
    pub(super) method: &'a str,
    pub(super) params: Option<Map<String, Value>>,
}

impl<'a> Envelope<'a> {
    /// `None` for anything but one well-formed request or notification: a batch, a
    /// response, a field of the wrong type, a repeated field, an escaped method name.
    pub(super) fn parse(body: &'a [u8]) -> Option<ValidEnvelope<'a>> {
        // UTF-8 first: serde_json checks the strings it reads, but not those it skips, and
        // the full path refuses a body that is not UTF-8 anywhere (RFC 8259 section 8.1).
        // Read from a `str`, it checks no string twice.
        let envelope: Envelope = serde_json::from_str(std::str::from_utf8(body).ok()?).ok()?;
        let id = match &envelope.id {
            None => None,
            Some(raw) => Some(Id::from_value(raw)?),
        };
        let params = match envelope.params {
            None | Some(Value::Null) => None,
            Some(Value::Object(p)) => Some(p),
            Some(_) => return None,
        };
        match (envelope.jsonrpc, envelope.method) {
            (Some("2.0"), Some(method)) => Some(ValidEnvelope { id, method, params }),
            _ => None,
        }
    }
}

#[cfg(any(test, feature = "unstable"))]
/// A request or notification as [`read_envelope`] gives it: id, method, params.
pub type EnvelopeRead = (Option<Id>, String, Option<Map<String, Value>>);

#[cfg(any(test, feature = "unstable"))]
/// A request or notification as one of the two readers sees it: the envelope's reader
/// (`fast`) or the full path's, for the fuzz check that both agree. `None`: not a request
/// or notification that reader would run (for the full path: an error or a response).
pub fn read_envelope(body: &[u8], fast: bool) -> Option<EnvelopeRead> {
    if fast {
        let m = Envelope::parse(body)?;
        return Some((m.id, m.method.to_owned(), m.params));
    }
    let Ok(Value::Object(obj)) = parse(body) else {
        return None;
    };
    match classify(&obj) {
        Ok(Incoming::Request { id, method, params }) => {
            Some((Some(id), method.to_owned(), params.cloned()))
        }
        Ok(Incoming::Notification) => Some((
            None,
            obj.get("method")?.as_str()?.to_owned(),
            obj.get("params").and_then(Value::as_object).cloned(),
        )),
        _ => None,
    }
}

pub(super) fn expects_reply(obj: &Map<String, Value>) -> bool {
    obj.contains_key("method") && obj.contains_key("id")
}

/// A message, once its envelope has been checked.
pub(super) enum Incoming<'a> {
    Request {
        id: Id,
        method: &'a str,
        params: Option<&'a Map<String, Value>>,
    },
    Notification,
    Response,
}

pub(super) fn classify(obj: &Map<String, Value>) -> Result<Incoming<'_>, (Option<Id>, RpcError)> {
    let raw_id = obj.get("id");
    let id = raw_id.and_then(Id::from_value);
    if obj.get("jsonrpc").and_then(Value::as_str) != Some("2.0") {
        return Err((id, RpcError::invalid_request("'jsonrpc' must be \"2.0\"")));
    }
    let Some(method) = obj.get("method") else {
        let is_response = (obj.contains_key("result") ^ obj.contains_key("error")) && id.is_some();
        return if is_response {
            Ok(Incoming::Response)
        } else {
            Err((
                id,
                RpcError::invalid_request(
                    "a message needs 'method' (a request or notification), or 'id' with 'result' or 'error' (a response)",
                ),
            ))
        };
    };
    let Some(method) = method.as_str() else {
        return Err((id, RpcError::invalid_request("'method' must be a string")));
    };
    let params = match obj.get("params") {
        None | Some(Value::Null) => None,
        Some(Value::Object(p)) => Some(p),
        Some(_) => {
            return Err((
                id,
                RpcError::invalid_params("'params' must be an object (MCP uses named parameters)"),
            ))
        }
    };
    match (raw_id, id) {
        (None, _) => Ok(Incoming::Notification),
        (Some(_), Some(id)) => Ok(Incoming::Request { id, method, params }),
        (Some(raw), None) => Err((
            None,
            RpcError::invalid_request(match raw {
                Value::Null => "'id' must be a string or an integer; MCP does not allow null",
                Value::Number(_) => "'id' must be a string or an integer that fits in 64 bits",
                _ => "'id' must be a string or an integer",
            }),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The envelope's reader takes only what the full path would run, and reads it the
    /// same; the rest it leaves to the full path, whose errors say what is wrong.
    #[test]
    fn the_envelope_reader_agrees_with_the_full_path() {
        let taken = [
            r#"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"my_tool","arguments":{"count":3}}}"#,
            r#" {"method":"ping","jsonrpc":"2.0","id":"a\"b"} "#,
            r#"{"jsonrpc":"2.0","id":-7,"method":"ping","params":null}"#,
            r#"{"jsonrpc":"2.0","id":18446744073709551615,"method":"ping","extra":[1,{"x":2}]}"#,
            r#"{"jsonrpc":"2.0","method":"notifications/initialized"}"#,
            r#"{"jsonrpc":"2.0","id":1,"method":"x","result":{}}"#,
        ];
        for body in taken {
            let fast = read_envelope(body.as_bytes(), true);
            assert!(fast.is_some(), "{body}");
            assert_eq!(fast, read_envelope(body.as_bytes(), false), "{body}");
        }
        let left = [
            "",
            "  ",
            "[]",
            r#"[{"jsonrpc":"2.0","id":1,"method":"ping"}]"#,
            r#"["2.0",1,"ping"]"#,
            r#"{"jsonrpc":"2.0","id":null,"method":"ping"}"#,
            r#"{"jsonrpc":"2.0","id":1.5,"method":"ping"}"#,
            r#"{"jsonrpc":"2.0","id":18446744073709551616,"method":"ping"}"#,
            r#"{"jsonrpc":"2.0","id":[1],"method":"ping"}"#,
            r#"{"jsonrpc":"2.0","id":1,"method":7}"#,
            r#"{"jsonrpc":"2.0","id":1,"method":null}"#,
            r#"{"jsonrpc":"2.0","id":1,"method":"p\u0069ng"}"#,
            r#"{"jsonrpc":"1.0","id":1,"method":"ping"}"#,
            r#"{"jsonrpc":null,"id":1,"method":"ping"}"#,
            r#"{"id":1,"method":"ping"}"#,
            r#"{"jsonrpc":"2.0","id":1,"method":"ping","params":[1]}"#,
            r#"{"jsonrpc":"2.0","id":1,"method":"ping","params":"x"}"#,
            r#"{"jsonrpc":"2.0","id":1,"id":2,"method":"ping"}"#,
            r#"{"jsonrpc":"2.0","id":1,"result":{}}"#,
            r#"{"jsonrpc":"2.0","id":1,"method":"ping"} x"#,
            r#"{"jsonrpc":"2.0","id":1,"method":"ping""#,
        ];
        for body in left {
            assert_eq!(read_envelope(body.as_bytes(), true), None, "{body}");
        }
        // Found by the fuzzer: bytes that are not UTF-8, and a number out of range, in a
        // member the reader does not use.
        for other in [
            &b"{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\",\"x\":\"\xff\"}"[..],
            br#"{"jsonrpc":"2.0","id":1,"method":"ping","x":{"n":1e99999}}"#,
        ] {
            assert_eq!(read_envelope(other, true), None);
            assert_eq!(read_envelope(other, false), None);
        }
        // Where the full path runs one of those, it reads it as the first table would.
        assert_eq!(
            read_envelope(br#"{"jsonrpc":"2.0","id":1,"id":2,"method":"ping"}"#, false)
                .unwrap()
                .0,
            Id::from_value(&serde_json::json!(2))
        );
    }
}
