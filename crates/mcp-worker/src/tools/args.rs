//! Typed arguments: checked against the tool's declared input schema with messages a model
//! can act on, then deserialized into the tool's own type.
//!
//! The checks cover the JSON Schema keywords arguments are usually described with:
//! `type`, `enum`, `const`, `minimum`/`maximum` (and the exclusive forms),
//! `minLength`/`maxLength`, `items`, `minItems`/`maxItems`, `properties`, `required` and
//! `additionalProperties: false`, at any depth. Other keywords (`$ref`, `allOf`,
//! `pattern`…) are published as declared but not checked here; serde's deserialization
//! into the tool's type still refuses what does not fit, and says so.

use serde::de::DeserializeOwned;
use serde::Deserialize;
use serde_json::{json, Map, Number, Value};

use super::ToolError;
use crate::protocol::jsonrpc::echo;

/// A type with its JSON Schema (2020-12) declared beside it: a tool's arguments or its
/// structured result. The schema is published exactly as this returns it.
pub trait Schema {
    /// The JSON Schema, exactly as it is published.
    fn schema() -> Value;
}

/// The arguments of a tool that takes none.
#[derive(Clone, Copy, Debug, Default, Deserialize, PartialEq, Eq)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct NoArgs {}

impl Schema for NoArgs {
    fn schema() -> Value {
        json!({ "type": "object", "properties": {}, "additionalProperties": false })
    }
}

/// Checks a tool's `args` against `schema` and deserializes them into `T`.
pub fn parse<T: DeserializeOwned>(
    args: Map<String, Value>,
    schema: &Value,
) -> Result<T, ToolError> {
    parse_for(Noun::Tool, args, schema)
}

/// What the arguments are given to, as the messages name it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Noun {
    Tool,
    Prompt,
    /// A resource template, whose arguments are the URI's variables.
    Template,
}

impl Noun {
    fn this(self) -> &'static str {
        match self {
            Noun::Tool => "this tool",
            Noun::Prompt => "this prompt",
            Noun::Template => "this template",
        }
    }

    /// What the arguments must fit, and where the caller sees it.
    fn declared(self) -> (&'static str, &'static str) {
        match self {
            Noun::Tool => ("this tool's inputSchema", "list the tools to see it"),
            Noun::Prompt => ("this prompt's arguments", "list the prompts to see them"),
            Noun::Template => (
                "this template's variables",
                "list the resource templates to see them",
            ),
        }
    }
}

/// [`parse`] for the arguments of a tool, a prompt or a template (`noun`), with
/// messages that name it.
pub fn parse_for<T: DeserializeOwned>(
    noun: Noun,
    args: Map<String, Value>,
    schema: &Value,
) -> Result<T, ToolError> {
    let mut value = Value::Object(args);
    check(&mut value, schema, &Path::Root, noun)?;
    crate::protocol::from_value::from_value::<T>(&value).map_err(|e| {
        let (what, hint) = noun.declared();
        ToolError::new(format!("The arguments do not fit {what} ({e}); {hint}."))
    })
}

/// Where a value sits in the arguments, for messages.
enum Path<'a> {
    Root,
    Field(&'a Path<'a>, &'a str),
    Item(&'a Path<'a>, usize),
}

impl std::fmt::Display for Path<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Path::Root => f.write_str("arguments"),
            Path::Field(Path::Root, name) => f.write_str(&echo(name)),
            Path::Field(parent, name) => write!(f, "{parent}.{}", echo(name)),
            Path::Item(parent, i) => write!(f, "{parent}[{i}]"),
        }
    }
}

/// The keywords of one schema object that the checks use, read in one pass over it (a
/// lookup per keyword would search the map a dozen times for every value).
#[derive(Default)]
struct Keywords<'a> {
    ty: Option<&'a Value>,
    options: Option<&'a Vec<Value>>,
    constant: Option<&'a Value>,
    min_length: Option<u64>,
    max_length: Option<u64>,
    min_items: Option<u64>,
    max_items: Option<u64>,
    minimum: Option<f64>,
    maximum: Option<f64>,
    exclusive_minimum: Option<f64>,
    exclusive_maximum: Option<f64>,
    items: Option<&'a Value>,
    properties: Option<&'a Map<String, Value>>,
    required: Option<&'a Vec<Value>>,
    closed: bool,
}

impl<'a> Keywords<'a> {
    fn of(s: &'a Map<String, Value>) -> Self {
        let mut k = Keywords::default();
        for (name, v) in s {
            match name.as_str() {
                "type" => k.ty = Some(v),
                "enum" => k.options = v.as_array(),
                "const" => k.constant = Some(v),
                "minLength" => k.min_length = v.as_u64(),
                "maxLength" => k.max_length = v.as_u64(),
                "minItems" => k.min_items = v.as_u64(),
                "maxItems" => k.max_items = v.as_u64(),
                "minimum" => k.minimum = v.as_f64(),
                "maximum" => k.maximum = v.as_f64(),
                "exclusiveMinimum" => k.exclusive_minimum = v.as_f64(),
                "exclusiveMaximum" => k.exclusive_maximum = v.as_f64(),
                "items" => k.items = Some(v),
                "properties" => k.properties = v.as_object(),
                "required" => k.required = v.as_array(),
                "additionalProperties" => k.closed = *v == Value::Bool(false),
                _ => {}
            }
        }
        k
    }
}

fn check(value: &mut Value, schema: &Value, path: &Path, noun: Noun) -> Result<(), ToolError> {
    let Some(s) = schema.as_object() else {
        return Ok(());
    };
    let k = Keywords::of(s);
    let fits = k.ty.is_none_or(|ty| matches_type(value, ty))
        && k.options.is_none_or(|o| o.contains(value))
        && k.constant.is_none_or(|c| c == value);
    if !fits {
        return Err(ToolError::new(format!(
            "'{path}' must be {}; got {}.",
            expected(schema),
            describe(value)
        )));
    }
    // Length bounds of a string (in characters) or an array (in items).
    let (len, lo, hi, unit) = match &*value {
        Value::String(t) => (
            t.chars().count(),
            k.min_length,
            k.max_length,
            "characters long",
        ),
        Value::Array(a) => (a.len(), k.min_items, k.max_items, "items long"),
        _ => (0, None, None, ""),
    };
    let len = len as u64;
    if lo.is_some_and(|lo| len < lo) || hi.is_some_and(|hi| len > hi) {
        return Err(ToolError::new(format!(
            "'{path}' must be {}; got {len}.",
            bounds(unit, lo, hi)
        )));
    }
    match value {
        Value::Number(n) => check_range(n, &k, s, path),
        Value::Array(items) => {
            if let Some(item_schema) = k.items {
                for (i, item) in items.iter_mut().enumerate() {
                    check(item, item_schema, &Path::Item(path, i), noun)?;
                }
            }
            Ok(())
        }
        Value::Object(fields) => check_object(fields, &k, path, noun),
        _ => Ok(()),
    }
}

fn check_object(
    fields: &mut Map<String, Value>,
    k: &Keywords,
    path: &Path,
    noun: Noun,
) -> Result<(), ToolError> {
    let empty = Map::new();
    let properties = k.properties.unwrap_or(&empty);
    if k.closed {
        if let Some(stray) = fields.keys().find(|k| !properties.contains_key(*k)) {
            let stray = echo(stray);
            let known: Vec<&str> = properties.keys().map(String::as_str).collect();
            let known = known.join(", ");
            return Err(ToolError::new(match (path, known.is_empty()) {
                (Path::Root, true) => {
                    format!(
                        "Unknown argument '{stray}'; {} takes no arguments.",
                        noun.this()
                    )
                }
                (Path::Root, false) => {
                    format!(
                        "Unknown argument '{stray}'; {} takes only: {known}.",
                        noun.this()
                    )
                }
                (_, true) => format!("Unknown field in '{path}': '{stray}'; it takes none."),
                (_, false) => {
                    format!("Unknown field in '{path}': '{stray}'; it takes only: {known}.")
                }
            }));
        }
    }
    for name in k.required.into_iter().flatten().filter_map(Value::as_str) {
        if !fields.contains_key(name) {
            let sub = properties.get(name).unwrap_or(&Value::Null);
            return Err(ToolError::new(format!(
                "Missing required argument '{}': pass {}.",
                Path::Field(path, name),
                expected(sub)
            )));
        }
    }
    for (name, value) in fields.iter_mut() {
        if let Some(sub) = properties.get(name) {
            check(value, sub, &Path::Field(path, name), noun)?;
        }
    }
    Ok(())
}

fn check_range(
    n: &Number,
    k: &Keywords,
    s: &Map<String, Value>,
    path: &Path,
) -> Result<(), ToolError> {
    let Some(x) = n.as_f64() else {
        return Ok(());
    };
    let ok = k.minimum.is_none_or(|m| x >= m)
        && k.maximum.is_none_or(|m| x <= m)
        && k.exclusive_minimum.is_none_or(|m| x > m)
        && k.exclusive_maximum.is_none_or(|m| x < m);
    if ok {
        return Ok(());
    }
    Err(ToolError::new(format!(
        "'{path}' must be {}; got {n}.",
        range_words(s).trim_start().trim_start_matches("of ")
    )))
}

/// " from 1 to 100", " of at least 1", "" …: the numeric bounds a schema sets.
fn range_words(s: &Map<String, Value>) -> String {
    let get = |k: &str| s.get(k).filter(|v| v.is_number());
    let mut words = String::new();
    for (key, phrase) in [
        ("minimum", " at least"),
        ("exclusiveMinimum", " greater than"),
        ("maximum", " at most"),
        ("exclusiveMaximum", " less than"),
    ] {
        if let Some(v) = get(key) {
            let joint = if words.is_empty() { " of" } else { " and" };
            words.push_str(&format!("{joint}{phrase} {v}"));
        }
    }
    if let (Some(lo), Some(hi)) = (get("minimum"), get("maximum")) {
        words = format!(" from {lo} to {hi}");
    }
    words
}

fn bounds(unit: &str, lo: Option<u64>, hi: Option<u64>) -> String {
    match (lo, hi) {
        (Some(lo), Some(hi)) => format!("{lo} to {hi} {unit}"),
        (Some(lo), None) => format!("at least {lo} {unit}"),
        (None, Some(hi)) => format!("at most {hi} {unit}"),
        (None, None) => unit.to_owned(),
    }
}

/// Does `value` have (one of) the JSON Schema type(s) `ty`? An integral number counts as
/// an integer, as in JSON Schema, and is rewritten as one so that serde reads it into an
/// integer type.
fn matches_type(value: &mut Value, ty: &Value) -> bool {
    match ty {
        Value::String(t) => matches_one(value, t),
        Value::Array(ts) => ts
            .iter()
            .filter_map(Value::as_str)
            .any(|t| matches_one(value, t)),
        _ => true,
    }
}

fn matches_one(value: &mut Value, ty: &str) -> bool {
    match (ty, &*value) {
        ("integer", Value::Number(n)) => {
            if n.is_i64() || n.is_u64() {
                return true;
            }
            // Beyond 2^53 a float no longer says which integer it is.
            match n.as_f64().filter(|f| f.fract() == 0.0 && f.abs() < 9.0e15) {
                Some(f) => {
                    *value = Value::from(f as i64);
                    true
                }
                None => false,
            }
        }
        ("number", Value::Number(_))
        | ("string", Value::String(_))
        | ("boolean", Value::Bool(_))
        | ("array", Value::Array(_))
        | ("object", Value::Object(_))
        | ("null", Value::Null) => true,
        _ => false,
    }
}

/// What a schema asks for, in words: "an integer from 1 to 100", "one of \"a\", \"b\"".
fn expected(schema: &Value) -> String {
    let Some(s) = schema.as_object() else {
        return "a value".into();
    };
    if let Some(c) = s.get("const") {
        return c.to_string();
    }
    if let Some(Value::Array(options)) = s.get("enum") {
        let list: Vec<String> = options.iter().map(Value::to_string).collect();
        return format!("one of {}", list.join(", "));
    }
    let one = |t: &str| -> String {
        match t {
            "integer" => format!("an integer{}", range_words(s)),
            "number" => format!("a number{}", range_words(s)),
            "string" => "a string".into(),
            "boolean" => "true or false".into(),
            "array" => "an array".into(),
            "object" => "an object".into(),
            "null" => "null".into(),
            other => format!("a value of type {other}"),
        }
    };
    match s.get("type") {
        Some(Value::String(t)) => one(t),
        Some(Value::Array(ts)) => ts
            .iter()
            .filter_map(Value::as_str)
            .map(one)
            .collect::<Vec<_>>()
            .join(" or "),
        _ => "a value".into(),
    }
}

fn describe(v: &Value) -> String {
    match v {
        Value::Null => "null".into(),
        Value::Bool(b) => format!("the boolean {b}"),
        Value::Number(n) => format!("the number {n}"),
        Value::String(s) => format!("the string \"{}\"", echo(s)),
        Value::Array(_) => "an array".into(),
        Value::Object(_) => "an object".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Deserialize, PartialEq)]
    struct Count {
        count: u8,
    }

    fn count_schema() -> Value {
        json!({
            "type": "object",
            "properties": { "count": { "type": "integer", "minimum": 1, "maximum": 100 } },
            "required": ["count"],
            "additionalProperties": false
        })
    }

    fn parse_count(v: Value) -> Result<Count, String> {
        parse(v.as_object().unwrap().clone(), &count_schema()).map_err(|e| e.0)
    }

    #[test]
    fn integers_and_integral_floats_deserialize() {
        assert_eq!(parse_count(json!({"count": 3})), Ok(Count { count: 3 }));
        assert_eq!(parse_count(json!({"count": 3.0})), Ok(Count { count: 3 }));
    }

    #[test]
    fn messages_say_what_to_send() {
        assert_eq!(
            parse_count(json!({"count": 0})).unwrap_err(),
            "'count' must be from 1 to 100; got 0."
        );
        assert_eq!(
            parse_count(json!({"count": "3"})).unwrap_err(),
            "'count' must be an integer from 1 to 100; got the string \"3\"."
        );
        assert_eq!(
            parse_count(json!({})).unwrap_err(),
            "Missing required argument 'count': pass an integer from 1 to 100."
        );
        assert_eq!(
            parse_count(json!({"count": 2, "sides": 20})).unwrap_err(),
            "Unknown argument 'sides'; this tool takes only: count."
        );
        for bad in [
            json!(2.5),
            json!(null),
            json!(true),
            json!([3]),
            json!({}),
            json!(1e20),
        ] {
            let err = parse_count(json!({ "count": bad })).unwrap_err();
            assert!(err.contains("must be an integer from 1 to 100"), "{err}");
        }
    }

    #[test]
    fn nested_values_are_checked_with_their_path() {
        let schema = json!({
            "type": "object",
            "properties": {
                "points": {
                    "type": "array", "maxItems": 2,
                    "items": {
                        "type": "object",
                        "properties": { "x": { "type": "number", "minimum": 0 } },
                        "required": ["x"], "additionalProperties": false
                    }
                },
                "mode": { "enum": ["fast", "slow"] },
                "name": { "type": "string", "maxLength": 3 }
            }
        });
        let check =
            |v: Value| parse::<Value>(v.as_object().unwrap().clone(), &schema).map_err(|e| e.0);
        assert!(check(json!({"points": [{"x": 1}], "mode": "fast", "name": "abc"})).is_ok());
        assert_eq!(
            check(json!({"points": [{"x": 1}, {"x": -1}]})).unwrap_err(),
            "'points[1].x' must be at least 0; got -1."
        );
        assert_eq!(
            check(json!({"points": [{}]})).unwrap_err(),
            "Missing required argument 'points[0].x': pass a number of at least 0."
        );
        assert_eq!(
            check(json!({"points": [{"x": 1, "y": 2}]})).unwrap_err(),
            "Unknown field in 'points[0]': 'y'; it takes only: x."
        );
        assert_eq!(
            check(json!({"points": [{"x": 1}, {"x": 1}, {"x": 1}]})).unwrap_err(),
            "'points' must be at most 2 items long; got 3."
        );
        assert_eq!(
            check(json!({"mode": "medium"})).unwrap_err(),
            "'mode' must be one of \"fast\", \"slow\"; got the string \"medium\"."
        );
        assert_eq!(
            check(json!({"name": "abcd"})).unwrap_err(),
            "'name' must be at most 3 characters long; got 4."
        );
    }

    #[test]
    fn no_args_refuses_any_argument() {
        assert!(parse::<NoArgs>(Map::new(), &NoArgs::schema()).is_ok());
        let err = parse::<NoArgs>(
            json!({"x": 1}).as_object().unwrap().clone(),
            &NoArgs::schema(),
        )
        .unwrap_err();
        assert_eq!(err.0, "Unknown argument 'x'; this tool takes no arguments.");
    }

    #[test]
    fn what_serde_refuses_is_explained() {
        #[derive(Debug, Deserialize)]
        #[allow(dead_code)]
        struct Named {
            name: String,
        }
        // No schema to check against: serde's own words, with what to do.
        let err = parse::<Named>(json!({"name": 5}).as_object().unwrap().clone(), &json!({}))
            .unwrap_err();
        assert!(
            err.0
                .starts_with("The arguments do not fit this tool's inputSchema"),
            "{err}"
        );
        assert!(err.0.contains("list the tools"), "{err}");
    }
}
