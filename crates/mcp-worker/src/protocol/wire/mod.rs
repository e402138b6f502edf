//! What MCP writes on the wire, each shape in one place, for every revision.
//!
//! A shape is written straight into the answer's bytes, envelope included: no
//! `serde_json::Value` tree is built for an answer and then serialised (that tree was
//! about a third of a cached `tools/call`'s instructions; docs/benchmarks.md). The layers
//! above hand over typed values ([`Shape`]); the server picks the shape and writes it
//! once with [`result`] or [`error`]. `Value` stays where it is the honest type: tool
//! arguments, `structuredContent` and `_meta` an author gives, schemas, task records.
//!
//! - this file: the written [`Message`], the result object a shape fills ([`Object`],
//!   [`Shape`]), the JSON-RPC envelopes and 2026-07-28's per-response fields;
//! - [`content`]: content blocks, resource contents, `CallToolResult`, `GetPromptResult`;
//! - [`lists`]: the list results and the definitions they list (tools, resources,
//!   templates, prompts), icons and annotations;
//! - [`server`]: `initialize`, `server/discover`, capabilities, `input_required`,
//!   `completion/complete`.

pub mod content;
pub mod lists;
pub mod server;

use std::cell::OnceCell;
use std::fmt;

use serde::ser::{Serialize, SerializeMap, SerializeSeq, Serializer};
use serde_json::{Map, Value};

use super::jsonrpc::{Id, RpcError};
use super::version::{Era, Version};
use super::words;

/// One JSON-RPC message as written (or a 2025-03-26 batch's array of them).
///
/// The server only ever sends its bytes. Reading it as a [`Value`] (`message["result"]`,
/// as host tests and fuzz checks do) parses the bytes once, on first use.
pub struct Message {
    bytes: Vec<u8>,
    parsed: OnceCell<Value>,
}

impl Message {
    fn new(bytes: Vec<u8>) -> Self {
        Message {
            bytes,
            parsed: OnceCell::new(),
        }
    }

    /// Any serialisable message, such as a notification a tool emitted.
    pub fn of(message: &impl Serialize) -> Self {
        // Our shapes and `Value`s serialise without error (no map has non-string keys).
        Message::new(serde_json::to_vec(message).unwrap_or_default())
    }

    /// A batch's replies as one JSON array.
    pub fn batch(replies: &[Message]) -> Self {
        let mut bytes = Vec::with_capacity(replies.iter().map(|r| r.bytes.len() + 1).sum());
        bytes.push(b'[');
        for (i, r) in replies.iter().enumerate() {
            if i > 0 {
                bytes.push(b',');
            }
            bytes.extend_from_slice(&r.bytes);
        }
        bytes.push(b']');
        Message::new(bytes)
    }

    pub fn bytes(&self) -> &[u8] {
        &self.bytes
    }

    pub fn into_bytes(self) -> Vec<u8> {
        self.bytes
    }

    #[cfg(any(test, feature = "unstable"))]
    /// The message read back as JSON (for tests and checks; the server sends bytes).
    pub fn into_value(self) -> Value {
        match self.parsed.into_inner() {
            Some(v) => v,
            None => serde_json::from_slice(&self.bytes).unwrap_or_default(),
        }
    }
}

impl std::ops::Deref for Message {
    type Target = Value;

    fn deref(&self) -> &Value {
        self.parsed
            .get_or_init(|| serde_json::from_slice(&self.bytes).unwrap_or_default())
    }
}

impl fmt::Display for Message {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Written by serde_json: always UTF-8.
        f.write_str(std::str::from_utf8(&self.bytes).unwrap_or_default())
    }
}

impl fmt::Debug for Message {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Message({self})")
    }
}

impl PartialEq for Message {
    fn eq(&self, other: &Self) -> bool {
        self.bytes == other.bytes
    }
}

/// Writes `s` as a JSON string, byte for byte what serde_json writes (a host test holds
/// that): serde_json escapes only `"`, `\` and control characters, so a string without
/// them is written as it is, and one with them as runs copied whole between escapes.
/// serde_json's own escaper steps through a string one out-of-line call per byte at
/// opt-level z; a tool's text result (its structured result as JSON text) is most of the
/// escaping of a `tools/call` (measured).
pub fn write_str(out: &mut Vec<u8>, s: &str) {
    let bytes = s.as_bytes();
    let first = escape_at(bytes);
    if first == bytes.len() {
        return quoted(out, bytes);
    }
    out.reserve(bytes.len() + 8);
    out.push(b'"');
    let (mut run, mut rest) = bytes.split_at(first);
    loop {
        out.extend_from_slice(run);
        let Some((&b, tail)) = rest.split_first() else {
            break;
        };
        match b {
            b'"' => out.extend_from_slice(b"\\\""),
            b'\\' => out.extend_from_slice(b"\\\\"),
            b'\n' => out.extend_from_slice(b"\\n"),
            b'\r' => out.extend_from_slice(b"\\r"),
            b'\t' => out.extend_from_slice(b"\\t"),
            0x08 => out.extend_from_slice(b"\\b"),
            0x0c => out.extend_from_slice(b"\\f"),
            _ => {
                const HEX: &[u8; 16] = b"0123456789abcdef";
                out.extend_from_slice(b"\\u00");
                out.push(HEX[usize::from(b >> 4)]);
                out.push(HEX[usize::from(b & 0xf)]);
            }
        }
        (run, rest) = tail.split_at(escape_at(tail));
    }
    out.push(b'"');
}

/// Where the first byte JSON escapes is in `bytes` (`"`, `\` or a control character),
/// or its length: eight bytes a step (`protocol::words`), the byte-by-byte check cost
/// about 36 instructions a byte in workerd.
fn escape_at(bytes: &[u8]) -> usize {
    let hit = |w| words::below(w, 0x20) || words::has(w, b'"') || words::has(w, b'\\');
    let rest = words::from_first_hit(bytes, hit);
    let at = bytes.len() - rest.len();
    at + rest
        .iter()
        .position(|&b| b < 0x20 || b == b'"' || b == b'\\')
        .unwrap_or(rest.len())
}

/// Appends `bytes` between quotes with one capacity check: at opt-level z `Vec::push`
/// and `extend_from_slice` stay out-of-line calls that each check capacity again, about
/// 140 instructions a string in workerd, where [`write_str`] runs some twenty times a
/// `tools/call` (measured).
fn quoted(out: &mut Vec<u8>, bytes: &[u8]) {
    let n = bytes.len();
    out.reserve(n + 2);
    let len = out.len();
    // SAFETY: `reserve` made room for `n + 2` more bytes past `len`; all of them are
    // written before the length covers them, and `bytes` cannot overlap `out`'s spare
    // capacity (it is borrowed while `out` is borrowed mutably).
    unsafe {
        let end = out.as_mut_ptr().add(len);
        end.write(b'"');
        std::ptr::copy_nonoverlapping(bytes.as_ptr(), end.add(1), n);
        end.add(n + 1).write(b'"');
        out.set_len(len + n + 2);
    }
}

/// Whether a byte of `bytes` is one that JSON escapes.
#[cfg(test)]
fn needs_escape(bytes: &[u8]) -> bool {
    escape_at(bytes) < bytes.len()
}

/// Writes `v` as compact JSON, byte for byte what `serde_json::to_writer` writes (a host
/// test holds that), without serde's serializer per value: for a tool's small structured
/// result that was about 3,900 instructions in workerd, twice a call (its text and its
/// `structuredContent`). Strings go through [`write_str`]; numbers through
/// serde_json, which formats them.
pub fn write_value(out: &mut Vec<u8>, v: &Value) {
    match v {
        Value::Null => out.extend_from_slice(b"null"),
        Value::Bool(true) => out.extend_from_slice(b"true"),
        Value::Bool(false) => out.extend_from_slice(b"false"),
        Value::Number(n) => {
            let _ = serde_json::to_writer(&mut *out, n);
        }
        Value::String(s) => write_str(out, s),
        Value::Array(items) => {
            out.push(b'[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_value(out, item);
            }
            out.push(b']');
        }
        Value::Object(map) => {
            let mut members = Members::new(out);
            for (key, value) in map {
                members.key(key);
                write_value(members.out, value);
            }
            members.end();
        }
    }
}

/// A JSON object written straight into bytes as serde_json's compact map writes it: `{`
/// before the first key, `,` before the others, `:` after each, no space; keys through
/// [`write_str`]. The result object below and the request log line (`crate::log`) are
/// written with it.
pub struct Members<'s> {
    out: &'s mut Vec<u8>,
    first: bool,
}

impl<'s> Members<'s> {
    pub fn new(out: &'s mut Vec<u8>) -> Self {
        Members { out, first: true }
    }

    #[inline(always)]
    fn key(&mut self, key: &str) {
        self.out.push(if std::mem::take(&mut self.first) {
            b'{'
        } else {
            b','
        });
        write_str(self.out, key);
        self.out.push(b':');
    }

    /// One member, its value written by serde_json. Keys go in the order given.
    // Inlined: a wrapper per value type would cost the upload more than the calls do.
    #[inline(always)]
    pub fn member<T: Serialize + ?Sized>(&mut self, key: &str, value: &T) {
        self.key(key);
        // Writing into a Vec cannot fail, nor can our shapes or a `Value` (string keys).
        let _ = value.serialize(&mut serde_json::Serializer::new(&mut *self.out));
    }

    /// One member whose value is a string, through [`write_str`].
    pub fn str(&mut self, key: &str, value: &str) {
        self.key(key);
        write_str(self.out, value);
    }

    /// One member whose value is a `Value`, through [`write_value`].
    pub fn value(&mut self, key: &str, value: &Value) {
        self.key(key);
        write_value(self.out, value);
    }

    /// Closes the object (`{}` when it has no member).
    pub fn end(self) {
        if self.first {
            self.out.push(b'{');
        }
        self.out.push(b'}');
    }
}

/// The result object being written: a [`Shape`] adds its members, for the revision the
/// request speaks ([`Object::version`]).
pub struct Object<'s> {
    members: Members<'s>,
    version: Version,
}

impl Object<'_> {
    pub fn version(&self) -> Version {
        self.version
    }

    /// Writes one member. Keys are written in the order given, each once.
    #[inline(always)]
    pub fn member<T: Serialize + ?Sized>(&mut self, key: &str, value: &T) {
        self.members.member(key, value);
    }

    /// Writes a member whose value is a `Value` ([`write_value`]).
    #[inline(always)]
    pub fn value(&mut self, key: &str, value: &Value) {
        self.members.value(key, value);
    }

    /// Writes a member whose value `write` writes, as JSON, straight into the bytes.
    pub fn raw(&mut self, key: &str, write: impl FnOnce(&mut Vec<u8>)) {
        self.members.key(key);
        write(self.members.out);
    }

    /// Writes `key` when `value` is there.
    #[inline(always)]
    pub fn some<T: Serialize>(&mut self, key: &str, value: Option<T>) {
        if let Some(v) = value {
            self.member(key, &v);
        }
    }

    /// 2026-07-28's caching hints of a cacheable result (server/utilities/caching).
    pub fn cache_hint(&mut self, ttl_ms: u64, scope: &str) {
        if self.version.era() == Era::Modern {
            self.member("ttlMs", &ttl_ms);
            self.member("cacheScope", scope);
        }
    }
}

/// Items written as they come, as one JSON array, with no collection in between.
pub fn seq<I: ExactSizeIterator<Item: Serialize>>(items: I) -> impl Serialize {
    struct Items<I>(std::cell::Cell<Option<I>>);
    impl<I: ExactSizeIterator<Item: Serialize>> Serialize for Items<I> {
        fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
            let items = self.0.take();
            let mut seq = s.serialize_seq(items.as_ref().map(ExactSizeIterator::len))?;
            for item in items.into_iter().flatten() {
                seq.serialize_element(&item)?;
            }
            seq.end()
        }
    }
    Items(std::cell::Cell::new(Some(items)))
}

/// Writes one object into `out`, letting `fill` add its members ([`Members`]).
fn write_object(out: &mut Vec<u8>, version: Version, fill: impl FnOnce(&mut Object<'_>)) {
    let mut object = Object {
        members: Members::new(out),
        version,
    };
    fill(&mut object);
    object.members.end();
}

/// What kind of result a result is: its `resultType` (2026-07-28 basic/index "Result
/// Responses"; `task` from the tasks extension, SEP-2663).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ResultKind {
    /// The method's own result.
    Complete,
    /// The server needs input from the client first (`inputRequests`, `requestState`).
    InputRequired,
    /// A handle to a task that runs on.
    Task,
}

impl ResultKind {
    /// The kind as `resultType` writes it.
    pub fn as_str(self) -> &'static str {
        match self {
            ResultKind::Complete => "complete",
            ResultKind::InputRequired => "input_required",
            ResultKind::Task => "task",
        }
    }
}

/// A result: what a method answers, as the members of the `result` object.
pub trait Shape {
    /// Adds the result's members for `out.version()`. Not `resultType` or `_meta`:
    /// [`result`] writes those.
    fn members(&self, out: &mut Object<'_>);

    /// `resultType` (2026-07-28 basic/index "Result Responses").
    fn result_type(&self) -> ResultKind {
        ResultKind::Complete
    }

    /// The result's own `_meta` members, if it has any.
    fn meta(&self) -> Option<&Map<String, Value>> {
        None
    }

    /// A `CallToolResult` with `isError: true`, for the operator's log.
    fn is_tool_error(&self) -> bool {
        false
    }
}

/// A result already held as JSON: a task record from the store, `{}`. Its `resultType`
/// and `_meta` are written where every result's are.
impl Shape for Value {
    fn members(&self, out: &mut Object<'_>) {
        for (k, v) in self.as_object().into_iter().flatten() {
            if k != "resultType" && k != "_meta" {
                out.member(k, v);
            }
        }
    }

    fn result_type(&self) -> ResultKind {
        // Only the server's own values get here (a task record says "task").
        match self.get("resultType").and_then(Value::as_str) {
            Some("task") => ResultKind::Task,
            Some("input_required") => ResultKind::InputRequired,
            _ => ResultKind::Complete,
        }
    }

    fn meta(&self) -> Option<&Map<String, Value>> {
        self.get("_meta")?.as_object()
    }

    fn is_tool_error(&self) -> bool {
        self.get("isError") == Some(&Value::Bool(true))
    }
}

/// A result with `_meta` members of its own (ChatGPT's `mcp/www_authenticate` on a tool
/// error, for one).
pub struct WithMeta<'a>(pub &'a dyn Shape, pub Map<String, Value>);

impl Shape for WithMeta<'_> {
    fn members(&self, out: &mut Object<'_>) {
        self.0.members(out);
    }

    fn result_type(&self) -> ResultKind {
        self.0.result_type()
    }

    fn meta(&self) -> Option<&Map<String, Value>> {
        Some(&self.1)
    }

    fn is_tool_error(&self) -> bool {
        self.0.is_tool_error()
    }
}

/// `{}`: `ping`, `logging/setLevel`, `tasks/update`.
pub struct Empty;

impl Shape for Empty {
    fn members(&self, _: &mut Object<'_>) {}
}

/// Who answers: the server's `serverInfo` (`Implementation`), `title` from 2025-06-18.
#[derive(Clone, Copy, Debug)]
pub struct ServerInfo<'a> {
    pub name: &'a str,
    pub title: &'a str,
    pub version: &'a str,
}

/// [`ServerInfo`] as `version` defines it.
pub struct Implementation<'a>(pub &'a ServerInfo<'a>, pub Version);

impl Serialize for Implementation<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let Implementation(info, version) = self;
        let mut map = s.serialize_map(None)?;
        map.serialize_entry("name", info.name)?;
        if version.has_structured_output() {
            map.serialize_entry("title", info.title)?;
        }
        map.serialize_entry("version", info.version)?;
        map.end()
    }
}

/// The `_meta` of a result: its own members, and in 2026-07-28 the server's name
/// (basic/index "Per-response protocol fields").
struct Meta<'a> {
    own: Option<&'a Map<String, Value>>,
    server: Option<Implementation<'a>>,
}

impl Serialize for Meta<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(None)?;
        if let Some(server) = &self.server {
            map.serialize_entry("io.modelcontextprotocol/serverInfo", server)?;
        }
        for (k, v) in self.own.into_iter().flatten() {
            if self.server.is_none() || k != "io.modelcontextprotocol/serverInfo" {
                map.serialize_entry(k, v)?;
            }
        }
        map.end()
    }
}

/// The success envelope and its result, for `version`: 2026-07-28 results also carry
/// `resultType` and the server's name in `_meta` (basic/index "Result Responses").
pub fn result(id: &Id, shape: &dyn Shape, server: &ServerInfo<'_>, version: Version) -> Message {
    let mut out = Vec::with_capacity(256);
    out.extend_from_slice(br#"{"jsonrpc":"2.0","id":"#);
    let _ = serde_json::to_writer(&mut out, id.as_value());
    out.extend_from_slice(br#","result":"#);
    write_object(&mut out, version, |obj| {
        shape.members(obj);
        let modern = version.era() == Era::Modern;
        let result_type = shape.result_type();
        if modern || result_type != ResultKind::Complete {
            obj.member("resultType", result_type.as_str());
        }
        let meta = Meta {
            own: shape.meta(),
            server: modern.then_some(Implementation(server, version)),
        };
        if meta.server.is_some() || meta.own.is_some() {
            obj.member("_meta", &meta);
        }
    });
    out.push(b'}');
    Message::new(out)
}

/// The members of `shape` alone, as JSON: for what keeps a result as data (a task's
/// stored result) and for tests.
pub fn to_value(shape: &dyn Shape, version: Version) -> Value {
    let mut out = Vec::with_capacity(128);
    write_object(&mut out, version, |obj| shape.members(obj));
    serde_json::from_slice(&out).unwrap_or_default()
}

/// The error envelope. With no readable id, legacy revisions get `"id": null` (JSON-RPC
/// 2.0 section 5) and 2026-07-28 omits the member (its schema types `id` as optional,
/// never null).
pub struct ErrorEnvelope<'a> {
    pub id: Option<&'a Id>,
    pub error: &'a RpcError,
    pub era: Era,
}

impl Serialize for ErrorEnvelope<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(None)?;
        map.serialize_entry("jsonrpc", "2.0")?;
        match (self.id, self.era) {
            (Some(id), _) => map.serialize_entry("id", id.as_value())?,
            (None, Era::Legacy) => map.serialize_entry("id", &())?,
            (None, Era::Modern) => {}
        }
        map.serialize_entry("error", &ErrorObject(self.error))?;
        map.end()
    }
}

/// A JSON-RPC error object: also a failed task's `error`.
pub struct ErrorObject<'a>(pub &'a RpcError);

impl Serialize for ErrorObject<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(None)?;
        map.serialize_entry("code", &self.0.code)?;
        map.serialize_entry("message", &self.0.message)?;
        if let Some(data) = &self.0.data {
            map.serialize_entry("data", data)?;
        }
        map.end()
    }
}

/// The error envelope, written.
pub fn error(id: Option<&Id>, error: &RpcError, era: Era) -> Message {
    Message::of(&ErrorEnvelope { id, error, era })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `write_value` writes what serde_json writes, for values of every kind.
    #[test]
    fn write_value_matches_serde_json() {
        let values = [
            serde_json::json!(null),
            serde_json::json!({}),
            serde_json::json!([]),
            serde_json::json!({"result": [3, 1, 4], "total": 8}),
            serde_json::json!([
                true,
                false,
                null,
                0,
                -1,
                1.5,
                -0.0,
                1e300,
                2.5e-8,
                u64::MAX,
                i64::MIN
            ]),
            serde_json::json!({"a\"b": "c\\d\n", "é": "ü\u{1F3B2}", "ctl": "\u{1}\u{1f}\u{7f}"}),
            serde_json::json!({"nested": {"deeper": [{"x": [[], {}]}, "s"]}, "": ""}),
            serde_json::json!(0.1),
            serde_json::json!(f64::MAX),
            serde_json::json!(123456789012345678u64),
        ];
        for v in values {
            let mut ours = Vec::new();
            write_value(&mut ours, &v);
            assert_eq!(
                String::from_utf8(ours).unwrap(),
                serde_json::to_string(&v).unwrap(),
                "{v:?}"
            );
        }
    }

    /// Strings are written as serde_json writes them: every character below 0x80 (each
    /// escape, and the bytes that need none) at each position of short strings and among
    /// runs of other text, and text beyond ASCII.
    #[test]
    fn write_str_writes_what_serde_json_writes() {
        let serde = |s: &str| serde_json::to_string(s).unwrap();
        let ours = |s: &str| {
            let mut out = b"x".to_vec();
            write_str(&mut out, s);
            String::from_utf8(out[1..].to_vec()).unwrap()
        };
        let mut cases: Vec<String> = vec![
            String::new(),
            "{\"result\":[3,1,4]}".into(),
            "\u{e9}\"\u{1F3B2}\\".into(),
            "\"".repeat(40),
            "ab\ncd\r\tef\u{8}\u{c}\u{0}\u{1f}\u{7f}".into(),
        ];
        for c in 0u8..0x80 {
            let c = char::from(c);
            for at in 0..10 {
                let mut s: String = "abcdefghi".into();
                s.insert(at, c);
                cases.push(s);
            }
            cases.push(format!("{c}{c}{c}"));
            cases.push(format!("{}{c}{}", "é".repeat(5), "long run ".repeat(3)));
        }
        for s in &cases {
            assert_eq!(ours(s), serde(s), "{s:?}");
        }
    }

    /// The word-at-a-time check agrees with the byte-by-byte one: every byte value at every
    /// position of every length up to 17, beside bytes that need no escape (ASCII and
    /// not), and pairs of bytes whose borrows could mislead it.
    #[test]
    fn needs_escape_agrees_with_the_plain_check() {
        let plain = |b: &[u8]| b.iter().any(|&b| b < 0x20 || b == b'"' || b == b'\\');
        for filler in [b'a', 0x7f, 0x80, 0xff, b' ', 0x21, 0x5d] {
            for len in 0..=17 {
                for at in 0..len {
                    for byte in 0..=255u8 {
                        let mut bytes = vec![filler; len];
                        bytes[at] = byte;
                        assert_eq!(needs_escape(&bytes), plain(&bytes), "{bytes:?}");
                    }
                }
            }
        }
        for a in 0..=255u8 {
            for b in 0..=255u8 {
                let bytes = [b'x', a, b, b'x', b'x', b'x', b'x', b'x', b'x'];
                assert_eq!(needs_escape(&bytes), plain(&bytes), "{bytes:?}");
            }
        }
    }
    use serde_json::json;

    const SERVER: ServerInfo = ServerInfo {
        name: "s",
        title: "S",
        version: "1",
    };

    /// The hand-written object and strings are the bytes serde_json writes for the
    /// same value, keys that need escapes included.
    #[test]
    fn objects_and_strings_are_written_as_serde_json_writes_them() {
        for s in [
            "",
            "text",
            "a\"b",
            "back\\slash",
            "line\nend",
            "\u{0}\u{1f}\u{7f}",
            "é✓",
            "/",
        ] {
            let mut out = Vec::new();
            write_str(&mut out, s);
            assert_eq!(out, serde_json::to_vec(s).unwrap(), "{s:?}");
        }
        for value in [
            json!({}),
            json!({"a": 1}),
            json!({"content": [{"type": "text", "text": "{\"x\":1}"}], "isError": false}),
            json!({"we\"ird\nkey": {"k\\": [null, true, 1.5, "s"]}, "": ""}),
        ] {
            let mut out = Vec::new();
            write_object(&mut out, Version::LATEST_LEGACY, |obj| value.members(obj));
            assert_eq!(out, serde_json::to_vec(&value).unwrap(), "{value}");
        }
    }

    fn id(v: Value) -> Id {
        Id::from_value(&v).unwrap()
    }

    #[test]
    fn legacy_results_are_bare_and_2026_results_carry_the_per_response_fields() {
        let old = result(&id(json!(1)), &Empty, &SERVER, Version::V2025_11_25);
        assert_eq!(old.to_string(), r#"{"jsonrpc":"2.0","id":1,"result":{}}"#);
        let new = result(&id(json!("a")), &Empty, &SERVER, Version::V2026_07_28);
        assert_eq!(
            *new,
            json!({"jsonrpc": "2.0", "id": "a", "result": {"resultType": "complete",
                "_meta": {"io.modelcontextprotocol/serverInfo": {"name": "s", "title": "S", "version": "1"}}}})
        );
    }

    #[test]
    fn server_info_has_a_title_from_2025_06_18() {
        let at = |v| serde_json::to_value(Implementation(&SERVER, v)).unwrap();
        assert_eq!(
            at(Version::V2025_03_26),
            json!({"name": "s", "version": "1"})
        );
        assert_eq!(at(Version::V2025_06_18)["title"], "S");
    }

    #[test]
    fn a_json_result_keeps_its_meta_beside_the_server_name() {
        let value = json!({"isError": true, "_meta": {"mcp/www_authenticate": ["x"]}});
        let legacy = result(&id(json!(2)), &value, &SERVER, Version::V2025_06_18);
        assert_eq!(
            legacy["result"],
            json!({"isError": true, "_meta": {"mcp/www_authenticate": ["x"]}})
        );
        let modern = result(&id(json!(2)), &value, &SERVER, Version::V2026_07_28);
        let meta = &modern["result"]["_meta"];
        assert_eq!(meta["mcp/www_authenticate"], json!(["x"]));
        assert_eq!(meta["io.modelcontextprotocol/serverInfo"]["name"], "s");
        assert!(value.is_tool_error());
    }

    #[test]
    fn unknown_id_is_null_for_legacy_and_absent_for_modern() {
        let err = RpcError::parse_error("eof");
        let legacy = error(None, &err, Era::Legacy);
        assert_eq!(legacy["id"], Value::Null);
        let modern = error(None, &err, Era::Modern);
        assert!(modern.get("id").is_none());
        assert_eq!(modern["error"]["code"], super::super::jsonrpc::PARSE_ERROR);
    }

    #[test]
    fn a_batch_is_an_array_of_its_replies() {
        let one = result(&id(json!(1)), &Empty, &SERVER, Version::V2025_03_26);
        let two = error(Some(&id(json!(2))), &RpcError::internal(), Era::Legacy);
        let batch = Message::batch(&[one, two]);
        assert_eq!(batch[0]["id"], 1);
        assert_eq!(batch[1]["error"]["code"], -32603);
    }
}
