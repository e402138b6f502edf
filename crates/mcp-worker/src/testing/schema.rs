//! Checks a hand-written JSON Schema against one derived from its Rust type, so the two
//! cannot drift apart unnoticed.
//!
//! The server publishes schemas written by hand (`impl Schema for …`, a prompt's
//! `ARGUMENTS`): they cost nothing in the upload. A host test derives a second schema from
//! the type with `schemars` (a dev-dependency: derive `JsonSchema` under
//! `#[cfg_attr(test, derive(schemars::JsonSchema))]`, get the schema with
//! [`derived_schema!`](crate::derived_schema)) and hands it with the primitive to
//! [`assert_tool_schemas_match`], [`assert_template_schema_matches`] or
//! [`assert_prompt_arguments_match`], which take the primitive's own types only.
//!
//! Not byte equality: schemars writes `$schema`, `title`, `format`, `$defs` and more that
//! a client does not act on. What is compared, at the top level and in every nested object
//! and array item (`$ref`s followed):
//!
//! - **Property names**: the same set, wherever the type names its fields (a struct; a map
//!   or `Value` names none, and then the schema may list what it likes).
//! - **`required`**: the same set. The type requires a field that is neither an `Option`
//!   nor `#[serde(default)]`.
//! - **`additionalProperties: false`**: in both or in neither (`#[serde(deny_unknown_fields)]`,
//!   or `schemars(deny_unknown_fields)` for a type that leaves it to the schema's check).
//! - **`type`**: an input's schema admits no type its Rust type refuses (it may refuse
//!   `null` where the field is an `Option`); an output's schema admits every type its Rust
//!   type produces (`null` for an `Option`). `integer` counts as a `number`.
//! - **`enum`**: where the type has a fixed set of values (a Rust enum), the same set. A
//!   schema may restrict a plain `String` to an `enum` of its own.
//! - **Bounds** (`minimum`, `maximum`, `minLength`, `maxLength`, `minItems`, `maxItems`):
//!   one the type states (`#[schemars(range(min = 1, max = MAX))]`, `length(…)`) must be the
//!   schema's. The limits of an integer type (`u8`: 0 to 255) need not be written, but a
//!   schema's bound must lie within them. A bound only the schema states is its own.
//! - **Descriptions**: a field with a doc comment must have a `description` in the schema
//!   (the texts may differ; a model reads the schema's).
//!
//! Not compared: `title`, `$schema`, `format`, `default`, `examples`, `const`, `pattern`,
//! the exclusive bounds, `anyOf`/`allOf`/`oneOf`/`if` written in the hand schema, `x-…`
//! keywords, and the top level's description.

use std::marker::PhantomData;

use serde_json::{Map, Value};

use crate::prompts::{Argument, Prompt};
use crate::resources::{DynTemplate, ResourceTemplate};
use crate::tools::{DynTool, Json, NoArgs, Tool};

/// The schema `schemars` derives from a type, in JSON Schema 2020-12.
/// `derived_schema!(T)` is what `T` accepts (deserialization: arguments, template
/// variables, prompt arguments), a [`Derived<T>`]; `derived_schema!(output T)` is what it
/// produces (serialization: a structured result), a [`DerivedOutput<T>`]. The calling
/// crate needs `schemars` 1.x as a dev-dependency and `T: schemars::JsonSchema`.
#[macro_export]
macro_rules! derived_schema {
    (output $t:ty) => {
        $crate::testing::DerivedOutput::<$t>::new(
            ::schemars::generate::SchemaSettings::draft2020_12()
                .for_serialize()
                .into_generator()
                .into_root_schema_for::<$t>()
                .to_value(),
        )
    };
    ($t:ty) => {
        $crate::testing::Derived::<$t>::new(
            ::schemars::generate::SchemaSettings::draft2020_12()
                .for_deserialize()
                .into_generator()
                .into_root_schema_for::<$t>()
                .to_value(),
        )
    };
}

/// What a type accepts, as schemars derives it ([`derived_schema!`](crate::derived_schema)).
/// The type parameter lets the compiler check it is the primitive's own `Args` or `Vars`.
pub struct Derived<T: ?Sized> {
    /// The schema schemars derived.
    pub schema: Value,
    of: PhantomData<fn() -> T>,
}

/// What a type produces, as schemars derives it (`derived_schema!(output T)`).
pub struct DerivedOutput<T: ?Sized> {
    /// The schema schemars derived.
    pub schema: Value,
    of: PhantomData<fn() -> T>,
}

impl<T: ?Sized> Derived<T> {
    /// Called by [`derived_schema!`](crate::derived_schema).
    pub fn new(schema: Value) -> Self {
        Derived {
            schema,
            of: PhantomData,
        }
    }
}

impl<T: ?Sized> DerivedOutput<T> {
    /// Called by `derived_schema!(output T)`.
    pub fn new(schema: Value) -> Self {
        DerivedOutput {
            schema,
            of: PhantomData,
        }
    }
}

/// What `derived_schema!(NoArgs)` gives, for a tool or prompt that takes no arguments:
/// [`NoArgs`] derives `JsonSchema` only in this crate's own tests (one of them checks
/// that this is what it derives).
pub fn no_args_derived() -> Derived<NoArgs> {
    Derived::new(serde_json::json!({ "type": "object", "additionalProperties": false }))
}

/// The third argument of [`assert_tool_schemas_match`] for a tool whose result is not
/// `Json<T>`, and which so publishes no `outputSchema`.
pub struct NoOutput;

/// What [`assert_tool_schemas_match`] takes as the tool's output: [`NoOutput`], or
/// `derived_schema!(output T)` for a tool whose `Output` is `Json<T>`.
pub trait OutputOf<T: Tool> {
    /// The output's derived schema; `None` for a tool that publishes no `outputSchema`.
    fn schema(self) -> Option<Value>;
}

impl<T: Tool> OutputOf<T> for NoOutput {
    fn schema(self) -> Option<Value> {
        None
    }
}

impl<T: Tool<Output = Json<O>>, O> OutputOf<T> for DerivedOutput<O> {
    fn schema(self) -> Option<Value> {
        Some(self.schema)
    }
}

/// Which way values flow through the schema: it decides the `type` rule.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Flow {
    /// The client sends it (arguments, variables): the schema must admit nothing the type
    /// refuses.
    Input,
    /// The server sends it (a structured result): the schema must admit all the type
    /// produces.
    Output,
}

/// Panics, naming every difference and how to mend it, unless `tool`'s published
/// `inputSchema` agrees with the schema derived from its `Args`, and its `outputSchema`
/// with the one derived from `T` of its `Json<T>` result (the compiler holds you to
/// those types):
///
/// `assert_tool_schemas_match(&Add, derived_schema!(AddArgs), derived_schema!(output Sum))`
///
/// A tool whose result is a `String`, `Content` or `CallResult` passes [`NoOutput`].
#[track_caller]
pub fn assert_tool_schemas_match<T: Tool>(
    tool: &T,
    input: Derived<T::Args>,
    output: impl OutputOf<T>,
) {
    let name = tool.name();
    let definition = tool.definition();
    let what = format!("{name} inputSchema");
    assert_input_schema_matches(&what, &definition.input_schema, &input.schema);
    match (definition.output_schema, output.schema()) {
        (Some(hand), Some(derived)) => {
            assert_output_schema_matches(&format!("{name} outputSchema"), &hand, &derived)
        }
        (None, None) => {}
        (Some(_), None) => panic!(
            "{name} publishes an outputSchema: pass derived_schema!(output T), T the type of its result"
        ),
        (None, Some(_)) => panic!(
            "{name} publishes no outputSchema (its output_schema() returns None): pass NoOutput"
        ),
    }
}

/// As [`assert_tool_schemas_match`], for a resource template's variables and the schema
/// derived from its `Vars` type.
#[track_caller]
pub fn assert_template_schema_matches<T: ResourceTemplate>(template: &T, vars: Derived<T::Vars>) {
    let what = format!("template {} variables", T::URI_TEMPLATE);
    assert_input_schema_matches(&what, &template.vars_schema(), &vars.schema);
}

/// As [`assert_tool_schemas_match`], for a prompt's declared `ARGUMENTS` and the schema
/// derived from its `Args` type: the same names, required flags and descriptions, and
/// every field a string (prompt arguments are strings on the wire). Unknown arguments are
/// always refused for a prompt, so `additionalProperties` is not compared.
#[track_caller]
pub fn assert_prompt_arguments_match<P: Prompt>(_prompt: &P, args: Derived<P::Args>) {
    let what = format!("prompt {} ARGUMENTS", P::NAME);
    fail_on(&what, prompt_drift(P::ARGUMENTS, &args.schema));
}

/// Panics, naming every difference and how to mend it, unless the hand-written input
/// schema `hand` agrees with `derived` on what a client acts on (see the module's
/// documentation). `what` names the schema in the message: `"add inputSchema"`.
#[track_caller]
pub fn assert_input_schema_matches(what: &str, hand: &Value, derived: &Value) {
    fail_on(what, schema_drift(hand, derived, Flow::Input));
}

/// As [`assert_input_schema_matches`], for an output schema and
/// `derived_schema!(output T)`.
#[track_caller]
pub fn assert_output_schema_matches(what: &str, hand: &Value, derived: &Value) {
    fail_on(what, schema_drift(hand, derived, Flow::Output));
}

fn prompt_drift(arguments: &[Argument], derived: &Value) -> Vec<String> {
    let mut hand = crate::prompts::arguments_schema(arguments);
    for a in arguments.iter().filter(|a| !a.description.is_empty()) {
        if let Some(p) = hand["properties"][a.name].as_object_mut() {
            p.insert("description".into(), a.description.into());
        }
    }
    let mut derived = derived.clone();
    for schema in [&mut hand, &mut derived] {
        if let Some(s) = schema.as_object_mut() {
            s.remove("additionalProperties");
        }
    }
    let mut drift = Vec::new();
    let root = Node::at(&derived, &derived);
    for (name, field) in root.properties().into_iter().flatten() {
        let field = Node::at(&derived, field);
        if !field.types().is_none_or(|t| t.contains(&"string")) {
            drift.push(format!(
                "argument '{name}': prompt arguments arrive as strings, but the type's field is {}; make the field a String (or Option<String>) and parse it in `get`",
                field.type_words()
            ));
        }
    }
    if drift.is_empty() {
        drift = schema_drift(&hand, &derived, Flow::Input);
    }
    drift
}

#[track_caller]
fn fail_on(what: &str, drift: Vec<String>) {
    if !drift.is_empty() {
        panic!(
            "{what} has drifted from its Rust type ({} difference{}):\n- {}",
            drift.len(),
            if drift.len() == 1 { "" } else { "s" },
            drift.join("\n- ")
        );
    }
}

/// Every difference between `hand` and `derived` that [`assert_input_schema_matches`]
/// reports, one sentence each; empty when they agree.
pub fn schema_drift(hand: &Value, derived: &Value, flow: Flow) -> Vec<String> {
    let mut out = Vec::new();
    compare(
        Node::at(hand, hand),
        Node::at(derived, derived),
        flow,
        &Place::Top,
        &mut out,
    );
    out
}

/// Where in the schema a difference is, for messages.
enum Place<'a> {
    Top,
    Property(&'a Place<'a>, &'a str),
    Items(&'a Place<'a>),
}

impl std::fmt::Display for Place<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        fn path(p: &Place, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            match p {
                Place::Top => Ok(()),
                Place::Property(Place::Top, name) => f.write_str(name),
                Place::Property(parent, name) => {
                    path(parent, f)?;
                    write!(f, ".{name}")
                }
                Place::Items(parent) => {
                    path(parent, f)?;
                    f.write_str("[]")
                }
            }
        }
        match self {
            Place::Top => f.write_str("the top level"),
            Place::Property(..) | Place::Items(..) => {
                f.write_str("property '")?;
                path(self, f)?;
                f.write_str("'")
            }
        }
    }
}

/// One schema object in its document, with `$ref`s (`#/…` pointers) and the
/// `anyOf: [X, {type: null}]` schemars writes for an `Option` looked through.
#[derive(Clone, Copy)]
struct Node<'a> {
    root: &'a Value,
    /// The schema as written at this place (its description lives here).
    raw: &'a Value,
    /// The schema that says what the value is, after `$ref` and `Option` wrappers.
    body: &'a Value,
    /// A wrapper admitted `null`.
    nullable: bool,
}

impl<'a> Node<'a> {
    fn at(root: &'a Value, raw: &'a Value) -> Self {
        let mut body = raw;
        let mut nullable = false;
        for _ in 0..16 {
            let Some(s) = body.as_object() else { break };
            if let Some(Value::String(r)) = s.get("$ref") {
                match r.strip_prefix('#').and_then(|p| root.pointer(p)) {
                    Some(target) => body = target,
                    None => break,
                }
            } else if let Some(Value::Array(branches)) = s.get("anyOf").or_else(|| s.get("oneOf")) {
                let is_null = |b: &Value| b.get("type") == Some(&Value::from("null"));
                let others: Vec<&Value> = branches.iter().filter(|b| !is_null(b)).collect();
                if others.len() == 1 && others.len() < branches.len() && s.get("type").is_none() {
                    nullable = true;
                    body = others[0];
                } else {
                    break;
                }
            } else {
                break;
            }
        }
        Node {
            root,
            raw,
            body,
            nullable,
        }
    }

    fn get(&self, key: &str) -> Option<&'a Value> {
        self.body.get(key)
    }

    fn properties(&self) -> Option<&'a Map<String, Value>> {
        self.get("properties").and_then(Value::as_object)
    }

    /// The fields a derived object names: its `properties`, or none at all for an empty
    /// struct (schemars writes no `properties` then). A map names none (`None`): its
    /// `additionalProperties` is a schema or `true`.
    fn fields(&self) -> Option<&'a Map<String, Value>> {
        static NONE: std::sync::OnceLock<Map<String, Value>> = std::sync::OnceLock::new();
        if let Some(p) = self.properties() {
            return Some(p);
        }
        let object = self.get("type") == Some(&Value::from("object"));
        let open = self
            .get("additionalProperties")
            .is_some_and(|a| a != &Value::Bool(false));
        (object && !open).then(|| NONE.get_or_init(Map::new))
    }

    fn required(&self) -> Vec<&'a str> {
        let list = self.get("required").and_then(Value::as_array);
        list.into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .collect()
    }

    fn closed(&self) -> bool {
        self.get("additionalProperties") == Some(&Value::Bool(false))
    }

    /// The JSON types it admits; `None` for any (no `type`, no `enum`).
    fn types(&self) -> Option<Vec<&'static str>> {
        const ALL: [&str; 7] = [
            "null", "boolean", "object", "array", "number", "string", "integer",
        ];
        let named = |t: &str| ALL.iter().copied().find(|a| *a == t);
        let mut types: Vec<&'static str> = match self.get("type") {
            Some(Value::String(t)) => named(t).into_iter().collect(),
            Some(Value::Array(ts)) => ts
                .iter()
                .filter_map(Value::as_str)
                .filter_map(named)
                .collect(),
            _ => match self.values() {
                Some(values) => values.iter().map(json_type).collect(),
                None => return None,
            },
        };
        if self.nullable {
            types.push("null");
        }
        types.sort_unstable();
        types.dedup();
        Some(types)
    }

    fn type_words(&self) -> String {
        match self.types() {
            None => "of any type".into(),
            Some(t) => t.join(" or "),
        }
    }

    /// The values an `enum` (or a `oneOf` of `const`s, as schemars writes a documented
    /// Rust enum) allows.
    fn values(&self) -> Option<Vec<Value>> {
        if let Some(Value::Array(v)) = self.get("enum") {
            return Some(v.clone());
        }
        let branches = self.get("oneOf")?.as_array()?;
        branches.iter().map(|b| b.get("const").cloned()).collect()
    }

    fn number(&self, key: &str) -> Option<f64> {
        self.get(key).and_then(Value::as_f64)
    }

    /// Described here or where its `$ref` points.
    fn described(&self) -> bool {
        [self.raw, self.body]
            .iter()
            .any(|v| v.get("description").and_then(Value::as_str).is_some())
    }

    /// Described at this place: for a derived schema, a doc comment on the field itself
    /// (not the one on the field's type).
    fn described_here(&self) -> bool {
        self.raw
            .get("description")
            .and_then(Value::as_str)
            .is_some()
    }

    fn items(&self) -> Option<Node<'a>> {
        self.get("items")
            .filter(|i| i.is_object())
            .map(|i| Node::at(self.root, i))
    }
}

fn json_type(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(n) if n.is_i64() || n.is_u64() => "integer",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// What an integer `format` (as schemars writes it) holds.
fn integer_limits(format: Option<&str>) -> (Option<f64>, Option<f64>) {
    match format {
        Some("uint8") => (Some(0.0), Some(u8::MAX as f64)),
        Some("uint16") => (Some(0.0), Some(u16::MAX as f64)),
        Some("uint32") => (Some(0.0), Some(u32::MAX as f64)),
        Some("uint64" | "uint" | "uint128") => (Some(0.0), None),
        Some("int8") => (Some(i8::MIN as f64), Some(i8::MAX as f64)),
        Some("int16") => (Some(i16::MIN as f64), Some(i16::MAX as f64)),
        Some("int32") => (Some(i32::MIN as f64), Some(i32::MAX as f64)),
        _ => (None, None),
    }
}

fn compare(hand: Node, derived: Node, flow: Flow, at: &Place, out: &mut Vec<String>) {
    compare_types(&hand, &derived, flow, at, out);
    compare_values(&hand, &derived, at, out);
    compare_bounds(&hand, &derived, at, out);
    if let Some(fields) = derived.fields() {
        compare_object(&hand, &derived, fields, flow, at, out);
    }
    if let (Some(h), Some(d)) = (hand.items(), derived.items()) {
        compare(h, d, flow, &Place::Items(at), out);
    } else if let (None, Some(_)) = (hand.items(), derived.items()) {
        if hand.types().is_some_and(|t| t.contains(&"array")) {
            out.push(format!(
                "{at}: the type says what its items are, the schema has no \"items\"; add one"
            ));
        }
    }
}

fn compare_types(hand: &Node, derived: &Node, flow: Flow, at: &Place, out: &mut Vec<String>) {
    let (h, d) = (hand.types(), derived.types());
    // `inner` admits every type of `outer`: `None` is any type; an integer is a number.
    let within = |inner: &Option<Vec<&str>>, outer: &Option<Vec<&str>>| -> Vec<&'static str> {
        let Some(outer) = outer else {
            return Vec::new();
        };
        let all = [
            "null", "boolean", "object", "array", "number", "string", "integer",
        ];
        let inner: Vec<&str> = inner.clone().unwrap_or(all.to_vec());
        all.into_iter()
            .filter(|t| inner.contains(t))
            .filter(|t| {
                let admitted = outer.contains(t) || (*t == "integer" && outer.contains(&"number"));
                !admitted
            })
            .collect()
    };
    match flow {
        Flow::Input => {
            let extra = within(&h, &d);
            if !extra.is_empty() {
                out.push(format!(
                    "{at}: the schema admits {} but the type accepts only {}; set the schema's \"type\" to {}",
                    extra.join(" or "),
                    derived.type_words(),
                    suggest(&d, Flow::Input)
                ));
            }
        }
        Flow::Output => {
            let extra = within(&d, &h);
            if !extra.is_empty() {
                out.push(format!(
                    "{at}: the type may produce {} but the schema admits only {}; set the schema's \"type\" to {}",
                    extra.join(" or "),
                    hand.type_words(),
                    suggest(&d, Flow::Output)
                ));
            }
        }
    }
}

/// The `type` to write for what the type derives to: an input may leave out `null`.
fn suggest(types: &Option<Vec<&str>>, flow: Flow) -> String {
    let Some(types) = types else {
        return "what the type holds".into();
    };
    let keep: Vec<&str> = types
        .iter()
        .copied()
        .filter(|t| flow == Flow::Output || *t != "null" || types.len() == 1)
        .collect();
    match keep.as_slice() {
        [one] => format!("\"{one}\""),
        many => serde_json::to_string(many).unwrap_or_default(),
    }
}

fn compare_values(hand: &Node, derived: &Node, at: &Place, out: &mut Vec<String>) {
    let Some(d) = derived.values() else { return };
    let h = hand.values().unwrap_or_default();
    let missing: Vec<String> = d
        .iter()
        .filter(|v| !h.contains(v) && !v.is_null())
        .map(Value::to_string)
        .collect();
    let extra: Vec<String> = h
        .iter()
        .filter(|v| !d.contains(v))
        .map(Value::to_string)
        .collect();
    if missing.is_empty() && extra.is_empty() {
        return;
    }
    let mut fix = Vec::new();
    if !missing.is_empty() {
        fix.push(format!(
            "add {} to the schema's \"enum\"",
            missing.join(", ")
        ));
    }
    if !extra.is_empty() {
        fix.push(format!(
            "drop {} from it (the type has no such value)",
            extra.join(", ")
        ));
    }
    out.push(format!(
        "{at}: the type's values are {}; {}",
        d.iter()
            .map(Value::to_string)
            .collect::<Vec<_>>()
            .join(", "),
        fix.join(", and ")
    ));
}

fn compare_bounds(hand: &Node, derived: &Node, at: &Place, out: &mut Vec<String>) {
    let format = derived.get("format").and_then(Value::as_str);
    let (lowest, highest) = integer_limits(format);
    let held = format.unwrap_or("the type");
    for (key, limit, is_min) in [
        ("minimum", lowest, true),
        ("maximum", highest, false),
        ("minLength", None, true),
        ("maxLength", None, false),
        ("minItems", None, true),
        ("maxItems", None, false),
    ] {
        // schemars leaves out some limits of an integer type (i32's): they hold anyway.
        let (h, d) = (hand.number(key), derived.number(key).or(limit));
        let implied = d.is_some() && d == limit;
        match (h, d) {
            (Some(h), Some(d)) if implied => {
                let beyond = if is_min { h < d } else { h > d };
                if beyond {
                    out.push(format!(
                        "{at}: the schema's {key} {h} is beyond what {held} holds ({d}); change the bound, or the field's type"
                    ));
                }
            }
            (Some(h), Some(d)) if h != d => out.push(format!(
                "{at}: the schema says {key} {h}, the type says {d}; make them one value (a const both use)"
            )),
            (None, Some(d)) if !implied => out.push(format!(
                "{at}: the type says {key} {d} (a schemars range or length attribute), the schema has no {key}; add \"{key}\": {d}"
            )),
            _ => {}
        }
    }
}

fn compare_object(
    hand: &Node,
    derived: &Node,
    fields: &Map<String, Value>,
    flow: Flow,
    at: &Place,
    out: &mut Vec<String>,
) {
    let empty = Map::new();
    let props = hand.properties().unwrap_or(&empty);
    let names = match fields.keys().cloned().collect::<Vec<_>>().join(", ") {
        none if none.is_empty() => "it has none".to_owned(),
        some => format!("its fields: {some}"),
    };
    for name in props.keys().filter(|k| !fields.contains_key(*k)) {
        out.push(format!(
            "{}: in the schema, but the type has no such field ({names}); rename the property to the field's name as serde spells it, or add the field",
            Place::Property(at, name),
        ));
    }
    for name in fields.keys().filter(|k| !props.contains_key(*k)) {
        out.push(format!(
            "{}: a field of the type, missing from the schema's \"properties\"; add it there",
            Place::Property(at, name)
        ));
    }
    let (h_req, d_req) = (hand.required(), derived.required());
    for name in d_req.iter().filter(|n| !h_req.contains(n)) {
        out.push(format!(
            "{}: the type requires it (neither an Option nor #[serde(default)]), the schema's \"required\" lacks it; add it there, or make the field optional",
            Place::Property(at, name)
        ));
    }
    for name in h_req.iter().filter(|n| !d_req.contains(n)) {
        out.push(format!(
            "{}: the schema requires it, the type has it optional (an Option or #[serde(default)]); drop it from \"required\", or make the field required",
            Place::Property(at, name)
        ));
    }
    match (hand.closed(), derived.closed()) {
        (true, false) => out.push(format!(
            "{at}: the schema says \"additionalProperties\": false, the type accepts unknown fields; add #[serde(deny_unknown_fields)] to the type (or #[cfg_attr(test, schemars(deny_unknown_fields))]), or drop it from the schema"
        )),
        (false, true) => out.push(format!(
            "{at}: the type refuses unknown fields (deny_unknown_fields), the schema does not say so; add \"additionalProperties\": false"
        )),
        _ => {}
    }
    for (name, field) in fields {
        let Some(prop) = props.get(name) else {
            continue;
        };
        let here = Place::Property(at, name);
        let (h, d) = (Node::at(hand.root, prop), Node::at(derived.root, field));
        if d.described_here() && !h.described() {
            out.push(format!(
                "{here}: the field has a doc comment, the schema gives no \"description\"; add one (the model reads the schema's)"
            ));
        }
        compare(h, d, flow, &here, out);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::{Deserialize, Serialize};
    use serde_json::json;

    const MAX: u8 = 100;

    /// A type as a tool's arguments would be: bounds stated where they matter.
    #[derive(Deserialize, schemars::JsonSchema)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Args {
        /// How many.
        #[schemars(range(min = 1, max = MAX))]
        count: u8,
        mode: Mode,
        label: Option<String>,
        tags: Vec<Tag>,
    }

    #[derive(Deserialize, Serialize, schemars::JsonSchema)]
    #[serde(rename_all = "lowercase")]
    #[allow(dead_code)]
    enum Mode {
        Fast,
        Slow,
    }

    #[derive(Deserialize, schemars::JsonSchema)]
    #[allow(dead_code)]
    struct Tag {
        #[schemars(length(max = 8))]
        name: String,
        weight: Option<u32>,
    }

    fn good() -> Value {
        json!({
            "type": "object",
            "properties": {
                "count": { "type": "integer", "minimum": 1, "maximum": 100, "description": "How many pages." },
                "mode": { "type": "string", "enum": ["fast", "slow"] },
                "label": { "type": "string", "maxLength": 20 },
                "tags": {
                    "type": "array",
                    "maxItems": 3,
                    "items": {
                        "type": "object",
                        "properties": {
                            "name": { "type": "string", "maxLength": 8 },
                            "weight": { "type": "integer", "minimum": 0 }
                        },
                        "required": ["name"]
                    }
                }
            },
            "required": ["count", "mode", "tags"],
            "additionalProperties": false
        })
    }

    fn drift(hand: Value) -> Vec<String> {
        schema_drift(&hand, &crate::derived_schema!(Args).schema, Flow::Input)
    }

    /// `good()` with the value at `pointer` replaced (`None`: removed).
    fn with(pointer: &str, value: Option<Value>) -> Value {
        let mut s = good();
        let (parent, key) = pointer.rsplit_once('/').unwrap();
        let parent = s.pointer_mut(parent).unwrap();
        match (parent, value) {
            (Value::Object(m), Some(v)) => {
                m.insert(key.into(), v);
            }
            (Value::Object(m), None) => {
                m.remove(key);
            }
            (Value::Array(a), Some(v)) => a[key.parse::<usize>().unwrap()] = v,
            _ => panic!("no such place"),
        }
        s
    }

    #[test]
    fn no_args_derived_is_what_schemars_derives_and_what_no_args_publishes() {
        use crate::tools::{NoArgs, Schema};
        let mut derived = crate::derived_schema!(NoArgs).schema;
        let derived = derived.as_object_mut().unwrap();
        derived.retain(|k, _| !["$schema", "title", "description"].contains(&k.as_str()));
        assert_eq!(Value::Object(derived.clone()), no_args_derived().schema);
        assert_input_schema_matches("NoArgs", &NoArgs::schema(), &no_args_derived().schema);
    }

    #[test]
    fn a_schema_that_agrees_with_its_type_passes() {
        assert_eq!(drift(good()), Vec::<String>::new());
        assert_input_schema_matches("good", &good(), &crate::derived_schema!(Args).schema);
    }

    #[test]
    fn each_kind_of_drift_is_named_with_its_place_and_its_fix() {
        let cases = [
            (
                // The spelling of a property, the drift this check was first made for.
                with("/properties/count", None),
                vec![
                    "property 'count': a field of the type, missing from the schema's \"properties\"; add it there",
                ],
            ),
            (
                with("/required", Some(json!(["count", "mode", "tags", "label"]))),
                vec!["property 'label': the schema requires it, the type has it optional (an Option or #[serde(default)]); drop it from \"required\", or make the field required"],
            ),
            (
                with("/required", Some(json!(["mode", "tags"]))),
                vec!["property 'count': the type requires it (neither an Option nor #[serde(default)]), the schema's \"required\" lacks it; add it there, or make the field optional"],
            ),
            (
                with("/additionalProperties", None),
                vec!["the top level: the type refuses unknown fields (deny_unknown_fields), the schema does not say so; add \"additionalProperties\": false"],
            ),
            (
                with("/properties/count/maximum", Some(json!(50))),
                vec!["property 'count': the schema says maximum 50, the type says 100; make them one value (a const both use)"],
            ),
            (
                with("/properties/count/minimum", None),
                vec!["property 'count': the type says minimum 1 (a schemars range or length attribute), the schema has no minimum; add \"minimum\": 1"],
            ),
            (
                with("/properties/count/type", Some(json!("number"))),
                vec!["property 'count': the schema admits number but the type accepts only integer; set the schema's \"type\" to \"integer\""],
            ),
            (
                with("/properties/count/description", None),
                vec!["property 'count': the field has a doc comment, the schema gives no \"description\"; add one (the model reads the schema's)"],
            ),
            (
                with("/properties/mode/enum", Some(json!(["fast", "medium"]))),
                vec!["property 'mode': the type's values are \"fast\", \"slow\"; add \"slow\" to the schema's \"enum\", and drop \"medium\" from it (the type has no such value)"],
            ),
            (
                with("/properties/label/type", Some(json!(["string", "integer"]))),
                vec!["property 'label': the schema admits integer but the type accepts only null or string; set the schema's \"type\" to \"string\""],
            ),
            (
                with("/properties/tags/items/properties/name/maxLength", Some(json!(16))),
                vec!["property 'tags[].name': the schema says maxLength 16, the type says 8; make them one value (a const both use)"],
            ),
            (
                with("/properties/tags/items/properties/weight/minimum", Some(json!(-1))),
                vec!["property 'tags[].weight': the schema's minimum -1 is beyond what uint32 holds (0); change the bound, or the field's type"],
            ),
            (
                with("/properties/tags/items/properties/wieght", Some(json!({"type": "integer"}))),
                vec!["property 'tags[].wieght': in the schema, but the type has no such field (its fields: name, weight); rename the property to the field's name as serde spells it, or add the field"],
            ),
        ];
        for (hand, expected) in cases {
            assert_eq!(drift(hand), expected);
        }
    }

    #[test]
    #[should_panic(
        expected = "count inputSchema has drifted from its Rust type (1 difference):\n- property 'count': the schema says maximum 50"
    )]
    fn the_assertion_fails_on_drift() {
        let hand = with("/properties/count/maximum", Some(json!(50)));
        assert_input_schema_matches(
            "count inputSchema",
            &hand,
            &crate::derived_schema!(Args).schema,
        );
    }

    #[derive(Serialize, schemars::JsonSchema)]
    #[allow(dead_code)]
    struct Out {
        total: u32,
        by: Option<String>,
        mode: Mode,
    }

    #[test]
    fn an_output_schema_must_admit_all_the_type_produces() {
        let derived = crate::derived_schema!(output Out).schema;
        let hand = json!({
            "type": "object",
            "properties": {
                "total": { "type": "number", "minimum": 1 },
                "by": { "type": ["string", "null"] },
                "mode": { "enum": ["fast", "slow"] }
            },
            "required": ["total", "by", "mode"]
        });
        assert_eq!(
            schema_drift(&hand, &derived, Flow::Output),
            Vec::<String>::new()
        );
        let mut narrow = hand.clone();
        narrow["properties"]["by"]["type"] = json!("string");
        assert_eq!(
            schema_drift(&narrow, &derived, Flow::Output),
            vec!["property 'by': the type may produce null but the schema admits only string; set the schema's \"type\" to [\"null\",\"string\"]"]
        );
    }

    #[derive(Deserialize, schemars::JsonSchema)]
    #[allow(dead_code)]
    struct PromptArgs {
        /// What to do.
        action: String,
        times: Option<u8>,
    }

    #[test]
    fn a_prompt_argument_must_be_a_string_field() {
        let arguments = [
            Argument::required("action", "What to do"),
            Argument::optional("times", "How often"),
        ];
        assert_eq!(
            prompt_drift(&arguments, &crate::derived_schema!(PromptArgs).schema),
            vec!["argument 'times': prompt arguments arrive as strings, but the type's field is integer or null; make the field a String (or Option<String>) and parse it in `get`"]
        );
    }

    #[derive(Deserialize, schemars::JsonSchema)]
    #[allow(dead_code)]
    struct Named {
        /// What to do.
        action: String,
        pages: Option<String>,
    }

    #[test]
    fn an_argument_declared_for_a_type_without_fields_is_drift() {
        assert_eq!(
            prompt_drift(&[Argument::optional("topic", "")], &no_args_derived().schema),
            vec!["property 'topic': in the schema, but the type has no such field (it has none); rename the property to the field's name as serde spells it, or add the field"]
        );
    }

    #[test]
    fn prompt_arguments_are_compared_by_name_required_and_description() {
        let derived = crate::derived_schema!(Named).schema;
        let ok = [
            Argument::required("action", "What to do"),
            Argument::optional("pages", "How many"),
        ];
        assert_eq!(prompt_drift(&ok, &derived), Vec::<String>::new());
        let drifted = [
            Argument::optional("action", ""),
            Argument::optional("page", "How many"),
        ];
        assert_eq!(
            prompt_drift(&drifted, &derived),
            vec![
                "property 'page': in the schema, but the type has no such field (its fields: action, pages); rename the property to the field's name as serde spells it, or add the field",
                "property 'pages': a field of the type, missing from the schema's \"properties\"; add it there",
                "property 'action': the type requires it (neither an Option nor #[serde(default)]), the schema's \"required\" lacks it; add it there, or make the field optional",
                "property 'action': the field has a doc comment, the schema gives no \"description\"; add one (the model reads the schema's)",
            ]
        );
    }
}
