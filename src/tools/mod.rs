//! Tools: each is data (name, description, schemas) plus one function.
//!
//! To add a tool, write `src/tools/my_tool.rs` with a `pub static TOOL: Tool` and add
//! `&my_tool::TOOL` to [`REGISTRY`]. Nothing else in the server changes.

use serde_json::{Map, Value};
use std::fmt;

pub mod dice;

/// Every tool this server offers, in the order `tools/list` returns them.
pub static REGISTRY: Registry = Registry::new(&[&dice::TOOL]);

/// The arguments of one call: the `arguments` object of `tools/call`.
pub type Args = Map<String, Value>;

/// One tool.
pub struct Tool {
    /// Unique, 1 to 128 characters of `A-Za-z0-9_-.` (2025-11-25 server/tools "Tool Names").
    pub name: &'static str,
    /// A short human-readable name (sent from 2025-06-18 on).
    pub title: &'static str,
    /// What the model reads to decide when and how to call the tool.
    pub description: &'static str,
    /// JSON Schema (2020-12) of the arguments.
    pub input_schema: fn() -> Value,
    /// JSON Schema of the structured result (sent from 2025-06-18 on).
    pub output_schema: fn() -> Value,
    /// Behaviour hints such as `readOnlyHint` (sent from 2025-03-26 on).
    pub annotations: fn() -> Value,
    /// Does the work. `Ok` is the structured result, which must match `output_schema`;
    /// `Err` becomes a result with `isError: true` that the model can read and act on.
    pub run: fn(&Args) -> Result<Value, ToolError>,
}

/// A failure the caller (usually a model) can correct: bad arguments, an unmet condition.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ToolError(pub String);

impl fmt::Display for ToolError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Reads a required integer argument and checks its range. Integral floats such as `3.0`
/// count as integers, as in JSON Schema; strings such as `"3"` do not.
pub fn integer_arg(
    args: &Args,
    name: &str,
    range: std::ops::RangeInclusive<i64>,
) -> Result<i64, ToolError> {
    let (lo, hi) = (*range.start(), *range.end());
    let value = args.get(name).ok_or_else(|| {
        ToolError(format!(
            "Missing required argument '{name}': pass an integer from {lo} to {hi}."
        ))
    })?;
    let as_int = match value {
        Value::Number(n) => n.as_i64().or_else(|| {
            n.as_f64()
                .filter(|f| f.fract() == 0.0 && f.abs() < 9.0e15)
                .map(|f| f as i64)
        }),
        _ => None,
    };
    match as_int {
        Some(i) if range.contains(&i) => Ok(i),
        Some(i) => Err(ToolError(format!(
            "'{name}' must be from {lo} to {hi}; got {i}."
        ))),
        None => Err(ToolError(format!(
            "'{name}' must be an integer from {lo} to {hi}; got {}.",
            describe(value)
        ))),
    }
}

/// Refuses arguments the tool does not define, so a typo is reported rather than ignored.
pub fn only_known_args(args: &Args, known: &[&str]) -> Result<(), ToolError> {
    match args.keys().find(|k| !known.contains(&k.as_str())) {
        None => Ok(()),
        Some(k) => Err(ToolError(format!(
            "Unknown argument '{}'; this tool takes only: {}.",
            crate::mcp::jsonrpc::truncate(k, 64),
            known.join(", ")
        ))),
    }
}

fn describe(v: &Value) -> String {
    match v {
        Value::Null => "null".into(),
        Value::Bool(b) => format!("the boolean {b}"),
        Value::Number(n) => format!("the number {n}"),
        Value::String(s) => format!("the string \"{}\"", crate::mcp::jsonrpc::truncate(s, 32)),
        Value::Array(_) => "an array".into(),
        Value::Object(_) => "an object".into(),
    }
}

/// The tools in a fixed order, served in pages.
pub struct Registry {
    tools: &'static [&'static Tool],
    page_size: usize,
}

/// One page of `tools/list`.
pub struct Page<'a> {
    pub tools: &'a [&'static Tool],
    pub next_cursor: Option<String>,
}

/// The cursor a client sent is not one this server issued.
#[derive(Debug, PartialEq, Eq)]
pub struct InvalidCursor;

impl Registry {
    pub const PAGE_SIZE: usize = 50;

    pub const fn new(tools: &'static [&'static Tool]) -> Self {
        Self::with_page_size(tools, Self::PAGE_SIZE)
    }

    pub const fn with_page_size(tools: &'static [&'static Tool], page_size: usize) -> Self {
        Registry { tools, page_size }
    }

    pub fn get(&self, name: &str) -> Option<&'static Tool> {
        self.tools.iter().copied().find(|t| t.name == name)
    }

    pub fn all(&self) -> &'static [&'static Tool] {
        self.tools
    }

    /// Cursors are the offset of the next page, as `p<offset>`; opaque to clients, and only
    /// offsets this server would issue are accepted (server/utilities/pagination).
    pub fn page(&self, cursor: Option<&str>) -> Result<Page<'_>, InvalidCursor> {
        let start = match cursor {
            None => 0,
            Some(c) => {
                let offset: usize = c
                    .strip_prefix('p')
                    .filter(|d| !d.is_empty() && d.bytes().all(|b| b.is_ascii_digit()))
                    .and_then(|d| d.parse().ok())
                    .ok_or(InvalidCursor)?;
                if offset == 0 || offset % self.page_size != 0 || offset >= self.tools.len() {
                    return Err(InvalidCursor);
                }
                offset
            }
        };
        let end = (start + self.page_size).min(self.tools.len());
        Ok(Page {
            tools: &self.tools[start..end],
            next_cursor: (end < self.tools.len()).then(|| format!("p{end}")),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn args(v: Value) -> Args {
        v.as_object().unwrap().clone()
    }

    #[test]
    fn integer_arg_accepts_integers_and_integral_floats() {
        assert_eq!(integer_arg(&args(json!({"n": 3})), "n", 1..=100), Ok(3));
        assert_eq!(integer_arg(&args(json!({"n": 3.0})), "n", 1..=100), Ok(3));
    }

    #[test]
    fn integer_arg_refuses_wrong_types_with_a_message_that_says_what_to_send() {
        for bad in [
            json!("3"),
            json!(2.5),
            json!(null),
            json!(true),
            json!([3]),
            json!({}),
        ] {
            let err = integer_arg(&args(json!({ "n": bad })), "n", 1..=100).unwrap_err();
            assert!(err.0.contains("must be an integer from 1 to 100"), "{err}");
        }
    }

    #[test]
    fn integer_arg_refuses_out_of_range_and_missing() {
        let err = integer_arg(&args(json!({"n": 0})), "n", 1..=100).unwrap_err();
        assert_eq!(err.0, "'n' must be from 1 to 100; got 0.");
        let err = integer_arg(&args(json!({"n": 1e300})), "n", 1..=100).unwrap_err();
        assert!(err.0.contains("must be an integer"), "{err}");
        let err = integer_arg(&args(json!({})), "n", 1..=100).unwrap_err();
        assert!(err.0.starts_with("Missing required argument 'n'"), "{err}");
    }

    #[test]
    fn only_known_args_names_the_stray_argument() {
        assert!(only_known_args(&args(json!({"n": 1})), &["n"]).is_ok());
        let err = only_known_args(&args(json!({"n": 1, "sides": 20})), &["n"]).unwrap_err();
        assert!(err.0.contains("'sides'"), "{err}");
    }

    static T: Tool = Tool {
        name: "t",
        title: "T",
        description: "test",
        input_schema: || json!({"type": "object"}),
        output_schema: || json!({"type": "object"}),
        annotations: || json!({}),
        run: |_| Ok(json!({})),
    };
    static FIVE: [&Tool; 5] = [&T, &T, &T, &T, &T];

    #[test]
    fn pages_walk_every_tool_once() {
        let reg = Registry::with_page_size(&FIVE, 2);
        let mut seen = 0;
        let mut cursor: Option<String> = None;
        let mut pages = 0;
        loop {
            let page = reg.page(cursor.as_deref()).unwrap();
            seen += page.tools.len();
            pages += 1;
            match page.next_cursor {
                Some(c) => cursor = Some(c),
                None => break,
            }
        }
        assert_eq!((seen, pages), (5, 3));
    }

    #[test]
    fn cursors_not_issued_by_the_server_are_refused() {
        let reg = Registry::with_page_size(&FIVE, 2);
        for bad in [
            "",
            "p",
            "p0",
            "p1",
            "p6",
            "p-2",
            "2",
            "p+2",
            "p2x",
            "p99999999999999999999999",
        ] {
            assert_eq!(reg.page(Some(bad)).err(), Some(InvalidCursor), "{bad:?}");
        }
        assert!(reg.page(Some("p2")).is_ok());
        assert!(reg.page(Some("p4")).is_ok());
    }

    #[test]
    fn the_real_registry_has_unique_valid_names_and_parseable_schemas() {
        let names: Vec<_> = REGISTRY.all().iter().map(|t| t.name).collect();
        let mut dedup = names.clone();
        dedup.sort();
        dedup.dedup();
        assert_eq!(names.len(), dedup.len(), "duplicate tool names");
        for t in REGISTRY.all() {
            assert!((1..=128).contains(&t.name.len()));
            assert!(t
                .name
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"_-.".contains(&b)));
            assert_eq!((t.input_schema)()["type"], "object", "{}", t.name);
            assert!((t.output_schema)().is_object());
        }
        assert!(REGISTRY.page(None).unwrap().next_cursor.is_none());
    }
}
