//! A typed value read from a parsed JSON [`Value`]: what `T::deserialize(&value)` does
//! with serde_json's own reader, with the same results and messages, and an error type
//! of this crate.
//!
//! Why not serde_json's: its error type describes an unexpected value through serde's
//! `Unexpected` display, whose float case links core's float *formatting* (Grisu and
//! Dragon4 with their tables, about 8.6 KiB of the gzipped upload) for a message that
//! JSON floats never reach. Every typed read from JSON in the worker goes through here
//! (tool, prompt and template arguments, task records, fetched bodies), or through
//! `deserialize_any` visitors that override what they meet (the JSON-RPC envelope);
//! with none of serde_json's typed readers linked, that code is not linked either.
//!
//! What it accepts is serde_json's rule for `&Value`, checked against it by the tests
//! here and by the `typed_args` fuzz target: a struct from an object or an array, an
//! enum from a string (unit variant) or an object of one member, an option from `null`
//! or anything else, map keys that are integers or booleans from their text. Not read:
//! a float map key (which serde_json parses; `f64` is no key type), serde_json's
//! `RawValue`, and, should an app turn on serde_json's `arbitrary_precision`, a number
//! no `f64` holds (an error, not a guess).

use std::fmt;

use serde::de::{
    self, DeserializeSeed, EnumAccess, Expected, MapAccess, SeqAccess, Unexpected, VariantAccess,
    Visitor,
};
use serde::Deserialize;
use serde_json::{Map, Number, Value};

/// Why a value does not fit the type: serde's words (`invalid type: string "x",
/// expected u8`, `missing field `sides``), as serde_json says them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ValueError(String);

impl fmt::Display for ValueError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ValueError {}

impl de::Error for ValueError {
    fn custom<T: fmt::Display>(msg: T) -> Self {
        ValueError(msg.to_string())
    }

    fn invalid_type(unexp: Unexpected, exp: &dyn Expected) -> Self {
        ValueError(format!(
            "invalid type: {}, expected {exp}",
            Described(unexp)
        ))
    }

    fn invalid_value(unexp: Unexpected, exp: &dyn Expected) -> Self {
        ValueError(format!(
            "invalid value: {}, expected {exp}",
            Described(unexp)
        ))
    }
}

/// An unexpected value in serde_json's words. Written out rather than handed to
/// `Unexpected`'s own `Display`, which formats floats with core's formatter.
struct Described<'a>(Unexpected<'a>);

impl fmt::Display for Described<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Unexpected::Bool(b) => write!(f, "boolean `{b}`"),
            Unexpected::Unsigned(n) => write!(f, "integer `{n}`"),
            Unexpected::Signed(n) => write!(f, "integer `{n}`"),
            // serde_json's float text (a JSON float is finite), as it writes floats.
            Unexpected::Float(x) => match Number::from_f64(x) {
                Some(n) => write!(f, "floating point `{n}`"),
                None => f.write_str("floating point"),
            },
            Unexpected::Char(c) => write!(f, "character `{c}`"),
            Unexpected::Str(s) => write!(f, "string {s:?}"),
            Unexpected::Bytes(_) => f.write_str("byte array"),
            Unexpected::Unit => f.write_str("null"),
            Unexpected::Option => f.write_str("Option value"),
            Unexpected::NewtypeStruct => f.write_str("newtype struct"),
            Unexpected::Seq => f.write_str("sequence"),
            Unexpected::Map => f.write_str("map"),
            Unexpected::Enum => f.write_str("enum"),
            Unexpected::UnitVariant => f.write_str("unit variant"),
            Unexpected::NewtypeVariant => f.write_str("newtype variant"),
            Unexpected::TupleVariant => f.write_str("tuple variant"),
            Unexpected::StructVariant => f.write_str("struct variant"),
            Unexpected::Other(other) => f.write_str(other),
        }
    }
}

/// Reads `T` from `value`.
pub fn from_value<'de, T: Deserialize<'de>>(value: &'de Value) -> Result<T, ValueError> {
    T::deserialize(Reader(value))
}

/// Parses `bytes` as JSON and reads `T` from it: serde_json's parser for the tree, this
/// reader for the type. Read from the tree rather than from the text, a repeated member
/// counts its last value (a derived reader of the text refuses it), an integer beyond
/// 64 bits is a float, and an error names no line or column.
pub fn from_slice<T: de::DeserializeOwned>(bytes: &[u8]) -> Result<T, ValueError> {
    let value: Value = serde_json::from_slice(bytes).map_err(|e| ValueError(e.to_string()))?;
    from_value(&value)
}

/// The `Visitor` methods serde_json's `deserialize_any` calls but for maps, each refusing
/// its value with `$error` (a `&str`): a visitor that reads through `deserialize_any`
/// writes the ones it takes itself and these for the rest. (serde's defaults would
/// describe the value with serde_json's error, whose words link float formatting.)
macro_rules! refuse_other_values {
    ($error:expr; $($method:ident($($arg:ty)?)),*) => {
        $(
            fn $method<E: serde::de::Error>(self $(, _: $arg)?) -> Result<Self::Value, E> {
                Err(E::custom($error))
            }
        )*
    };
}
pub(crate) use refuse_other_values;

/// Parses `bytes` as one JSON object, as `serde_json::from_slice::<Value>` parses it (a
/// repeated member counts its last value), and names the members that were repeated.
/// `None` when `bytes` is not JSON or not an object.
pub fn object_and_repeats(bytes: &[u8]) -> Option<(Map<String, Value>, Vec<String>)> {
    struct Object;
    impl<'de> Visitor<'de> for Object {
        type Value = (Map<String, Value>, Vec<String>);
        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str("a JSON object")
        }
        refuse_other_values!("not an object"; visit_unit(), visit_bool(bool), visit_i64(i64),
            visit_u64(u64), visit_f64(f64), visit_str(&str));
        fn visit_seq<A: SeqAccess<'de>>(self, _: A) -> Result<Self::Value, A::Error> {
            Err(de::Error::custom("not an object"))
        }
        fn visit_map<M: MapAccess<'de>>(self, mut m: M) -> Result<Self::Value, M::Error> {
            let mut object = Map::new();
            let mut repeats = Vec::new();
            while let Some(name) = m.next_key_seed(Name)? {
                let value: Value = m.next_value()?;
                if object.insert(name.clone(), value).is_some() && !repeats.contains(&name) {
                    repeats.push(name);
                }
            }
            Ok((object, repeats))
        }
    }
    /// A member's name, read through `deserialize_any`.
    struct Name;
    impl<'de> DeserializeSeed<'de> for Name {
        type Value = String;
        fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<String, D::Error> {
            d.deserialize_any(self)
        }
    }
    impl<'de> Visitor<'de> for Name {
        type Value = String;
        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str("a member's name")
        }
        fn visit_str<E: de::Error>(self, s: &str) -> Result<String, E> {
            Ok(s.to_owned())
        }
    }
    let mut parser = serde_json::Deserializer::from_slice(bytes);
    let read = de::Deserializer::deserialize_any(&mut parser, Object).ok()?;
    parser.end().ok()?;
    Some(read)
}

fn unexpected(v: &Value) -> Unexpected<'_> {
    match v {
        Value::Null => Unexpected::Unit,
        Value::Bool(b) => Unexpected::Bool(*b),
        Value::Number(n) => number_unexpected(n),
        Value::String(s) => Unexpected::Str(s),
        Value::Array(_) => Unexpected::Seq,
        Value::Object(_) => Unexpected::Map,
    }
}

/// A number as serde_json hands it to a visitor: `u64` when it fits, else `i64`, else
/// `f64` (`Other` only under serde_json's `arbitrary_precision`, for a number no `f64`
/// holds).
fn number_unexpected(n: &Number) -> Unexpected<'static> {
    if let Some(u) = n.as_u64() {
        Unexpected::Unsigned(u)
    } else if let Some(i) = n.as_i64() {
        Unexpected::Signed(i)
    } else if let Some(x) = n.as_f64() {
        Unexpected::Float(x)
    } else {
        Unexpected::Other("number")
    }
}

fn refuse<'de, V: Visitor<'de>, T>(value: &Value, visitor: &V) -> Result<T, ValueError> {
    Err(de::Error::invalid_type(unexpected(value), visitor))
}

fn number<'de, V: Visitor<'de>>(n: &Number, visitor: V) -> Result<V::Value, ValueError> {
    match number_unexpected(n) {
        Unexpected::Unsigned(u) => visitor.visit_u64(u),
        Unexpected::Signed(i) => visitor.visit_i64(i),
        Unexpected::Float(x) => visitor.visit_f64(x),
        _ => Err(de::Error::custom("number out of range")),
    }
}

fn items<'de, V: Visitor<'de>>(items: &'de [Value], visitor: V) -> Result<V::Value, ValueError> {
    let mut seq = Items(items.iter());
    let out = visitor.visit_seq(&mut seq)?;
    match seq.0.len() {
        0 => Ok(out),
        _ => Err(de::Error::invalid_length(
            items.len(),
            &"fewer elements in array",
        )),
    }
}

fn members<'de, V: Visitor<'de>>(
    members: &'de Map<String, Value>,
    visitor: V,
) -> Result<V::Value, ValueError> {
    let mut map = Members {
        iter: members.iter(),
        value: None,
    };
    let out = visitor.visit_map(&mut map)?;
    match map.iter.len() {
        0 => Ok(out),
        _ => Err(de::Error::invalid_length(
            members.len(),
            &"fewer elements in map",
        )),
    }
}

/// The typed reads: each takes only the JSON types serde_json's takes for it.
macro_rules! typed {
    ($($method:ident)* => |$value:ident, $visitor:ident| $read:expr) => {
        $(
            fn $method<V: Visitor<'de>>(self, $visitor: V) -> Result<V::Value, ValueError> {
                let $value: &'de Value = self.0;
                $read
            }
        )*
    };
}

#[derive(Clone, Copy)]
struct Reader<'de>(&'de Value);

impl<'de> de::Deserializer<'de> for Reader<'de> {
    type Error = ValueError;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, ValueError> {
        match self.0 {
            Value::Null => visitor.visit_unit(),
            Value::Bool(b) => visitor.visit_bool(*b),
            Value::Number(n) => number(n, visitor),
            Value::String(s) => visitor.visit_borrowed_str(s),
            Value::Array(a) => items(a, visitor),
            Value::Object(m) => members(m, visitor),
        }
    }

    typed! { deserialize_bool => |value, visitor| match value {
        Value::Bool(b) => visitor.visit_bool(*b),
        _ => refuse(value, &visitor),
    } }

    typed! {
        deserialize_i8 deserialize_i16 deserialize_i32 deserialize_i64 deserialize_i128
        deserialize_u8 deserialize_u16 deserialize_u32 deserialize_u64 deserialize_u128
        deserialize_f32 deserialize_f64 => |value, visitor| match value {
            Value::Number(n) => number(n, visitor),
            _ => refuse(value, &visitor),
        }
    }

    typed! {
        deserialize_char deserialize_str deserialize_string deserialize_identifier
        => |value, visitor| match value {
            Value::String(s) => visitor.visit_borrowed_str(s),
            _ => refuse(value, &visitor),
        }
    }

    typed! { deserialize_bytes deserialize_byte_buf => |value, visitor| match value {
        Value::String(s) => visitor.visit_borrowed_str(s),
        Value::Array(a) => items(a, visitor),
        _ => refuse(value, &visitor),
    } }

    typed! { deserialize_unit => |value, visitor| match value {
        Value::Null => visitor.visit_unit(),
        _ => refuse(value, &visitor),
    } }

    typed! { deserialize_seq => |value, visitor| match value {
        Value::Array(a) => items(a, visitor),
        _ => refuse(value, &visitor),
    } }

    typed! { deserialize_map => |value, visitor| match value {
        Value::Object(m) => members(m, visitor),
        _ => refuse(value, &visitor),
    } }

    fn deserialize_unit_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, ValueError> {
        self.deserialize_unit(visitor)
    }

    fn deserialize_tuple<V: Visitor<'de>>(
        self,
        _len: usize,
        visitor: V,
    ) -> Result<V::Value, ValueError> {
        self.deserialize_seq(visitor)
    }

    fn deserialize_tuple_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _len: usize,
        visitor: V,
    ) -> Result<V::Value, ValueError> {
        self.deserialize_seq(visitor)
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, ValueError> {
        match self.0 {
            Value::Array(a) => items(a, visitor),
            Value::Object(m) => members(m, visitor),
            other => refuse(other, &visitor),
        }
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, ValueError> {
        match self.0 {
            Value::Null => visitor.visit_none(),
            _ => visitor.visit_some(self),
        }
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, ValueError> {
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, ValueError> {
        match self.0 {
            Value::String(name) => visitor.visit_enum(Variant { name, value: None }),
            Value::Object(members) => {
                let mut iter = members.iter();
                match (iter.next(), iter.next()) {
                    (Some((name, value)), None) => visitor.visit_enum(Variant {
                        name,
                        value: Some(value),
                    }),
                    _ => Err(de::Error::invalid_value(
                        Unexpected::Map,
                        &"map with a single key",
                    )),
                }
            }
            other => Err(de::Error::invalid_type(unexpected(other), &"string or map")),
        }
    }

    fn deserialize_ignored_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, ValueError> {
        visitor.visit_unit()
    }
}

struct Items<'de>(std::slice::Iter<'de, Value>);

impl<'de> SeqAccess<'de> for Items<'de> {
    type Error = ValueError;

    fn next_element_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, ValueError> {
        self.0
            .next()
            .map(|v| seed.deserialize(Reader(v)))
            .transpose()
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.0.len())
    }
}

struct Members<'de> {
    iter: serde_json::map::Iter<'de>,
    value: Option<&'de Value>,
}

impl<'de> MapAccess<'de> for Members<'de> {
    type Error = ValueError;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, ValueError> {
        match self.iter.next() {
            Some((key, value)) => {
                self.value = Some(value);
                seed.deserialize(Key(key)).map(Some)
            }
            None => Ok(None),
        }
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(
        &mut self,
        seed: V,
    ) -> Result<V::Value, ValueError> {
        match self.value.take() {
            Some(value) => seed.deserialize(Reader(value)),
            None => Err(de::Error::custom("value is missing")),
        }
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.iter.len())
    }
}

/// An object member's name: a string, or the integer or boolean it spells when the
/// type's keys are those, as serde_json reads them (a float key is not read).
#[derive(Clone, Copy)]
struct Key<'de>(&'de str);

impl<'de> Key<'de> {
    /// Whether the key is a JSON integer, `-?(0|[1-9][0-9]*)`, as serde_json requires of a
    /// key read as a number.
    fn is_integer(self) -> bool {
        let digits = self.0.strip_prefix('-').unwrap_or(self.0);
        match digits.as_bytes() {
            [b'0'] => true,
            [b'1'..=b'9', rest @ ..] => rest.iter().all(u8::is_ascii_digit),
            _ => false,
        }
    }

    fn not_a_number<T>() -> Result<T, ValueError> {
        Err(de::Error::custom(
            "invalid value: expected key to be a number in quotes",
        ))
    }

    /// The key read as a number for a type of at most 64 bits, handed to `visitor` as
    /// serde_json hands it: `u64` when it fits, else `i64`, and `-0` as a float.
    fn integer<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, ValueError> {
        if !self.is_integer() {
            return Self::not_a_number();
        }
        if self.0 == "-0" {
            return visitor.visit_f64(-0.0);
        }
        if let Ok(u) = self.0.parse::<u64>() {
            visitor.visit_u64(u)
        } else if let Ok(i) = self.0.parse::<i64>() {
            visitor.visit_i64(i)
        } else {
            Err(de::Error::custom("number out of range"))
        }
    }

    /// The key read for `i128`, as serde_json reads it: any integer in range.
    fn integer_i128<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, ValueError> {
        if !self.is_integer() {
            return Self::not_a_number();
        }
        match self.0.parse::<i128>() {
            Ok(i) => visitor.visit_i128(i),
            Err(_) => Err(de::Error::custom("number out of range")),
        }
    }

    /// The key read for `u128`, as serde_json reads it: a sign is out of range.
    fn integer_u128<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, ValueError> {
        if self.0.starts_with('-') {
            return Err(de::Error::custom("number out of range"));
        }
        if !self.is_integer() {
            return Self::not_a_number();
        }
        match self.0.parse::<u128>() {
            Ok(u) => visitor.visit_u128(u),
            Err(_) => Err(de::Error::custom("number out of range")),
        }
    }
}

macro_rules! integer_key {
    ($($method:ident => $read:ident),*) => {
        $(
            fn $method<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, ValueError> {
                self.$read(visitor)
            }
        )*
    };
}

impl<'de> de::Deserializer<'de> for Key<'de> {
    type Error = ValueError;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, ValueError> {
        visitor.visit_borrowed_str(self.0)
    }

    integer_key! {
        deserialize_i8 => integer, deserialize_i16 => integer, deserialize_i32 => integer,
        deserialize_i64 => integer, deserialize_u8 => integer, deserialize_u16 => integer,
        deserialize_u32 => integer, deserialize_u64 => integer,
        deserialize_i128 => integer_i128, deserialize_u128 => integer_u128
    }

    fn deserialize_bool<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, ValueError> {
        match self.0 {
            "true" => visitor.visit_bool(true),
            "false" => visitor.visit_bool(false),
            _ => Err(de::Error::invalid_type(Unexpected::Str(self.0), &visitor)),
        }
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, ValueError> {
        visitor.visit_some(self)
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, ValueError> {
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, ValueError> {
        visitor.visit_enum(Variant {
            name: self.0,
            value: None,
        })
    }

    serde::forward_to_deserialize_any! {
        f32 f64 char str string bytes byte_buf unit unit_struct seq tuple tuple_struct
        map struct identifier ignored_any
    }
}

/// An enum's variant: its name, and the object member's value when it came as one.
struct Variant<'de> {
    name: &'de str,
    value: Option<&'de Value>,
}

impl<'de> EnumAccess<'de> for Variant<'de> {
    type Error = ValueError;
    type Variant = VariantValue<'de>;

    fn variant_seed<S: DeserializeSeed<'de>>(
        self,
        seed: S,
    ) -> Result<(S::Value, VariantValue<'de>), ValueError> {
        let name = de::value::BorrowedStrDeserializer::<ValueError>::new(self.name);
        Ok((seed.deserialize(name)?, VariantValue(self.value)))
    }
}

/// What follows a variant's name: nothing (it came as a string), or its member's value.
struct VariantValue<'de>(Option<&'de Value>);

impl<'de> VariantAccess<'de> for VariantValue<'de> {
    type Error = ValueError;

    fn unit_variant(self) -> Result<(), ValueError> {
        match self.0 {
            Some(value) => <()>::deserialize(Reader(value)),
            None => Ok(()),
        }
    }

    fn newtype_variant_seed<S: DeserializeSeed<'de>>(
        self,
        seed: S,
    ) -> Result<S::Value, ValueError> {
        match self.0 {
            Some(value) => seed.deserialize(Reader(value)),
            None => Err(de::Error::invalid_type(
                Unexpected::UnitVariant,
                &"newtype variant",
            )),
        }
    }

    fn tuple_variant<V: Visitor<'de>>(
        self,
        _len: usize,
        visitor: V,
    ) -> Result<V::Value, ValueError> {
        match self.0 {
            Some(Value::Array(a)) if a.is_empty() => visitor.visit_unit(),
            Some(Value::Array(a)) => items(a, visitor),
            Some(other) => Err(de::Error::invalid_type(unexpected(other), &"tuple variant")),
            None => Err(de::Error::invalid_type(
                Unexpected::UnitVariant,
                &"tuple variant",
            )),
        }
    }

    fn struct_variant<V: Visitor<'de>>(
        self,
        _fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, ValueError> {
        match self.0 {
            Some(Value::Object(m)) => members(m, visitor),
            Some(other) => Err(de::Error::invalid_type(
                unexpected(other),
                &"struct variant",
            )),
            None => Err(de::Error::invalid_type(
                Unexpected::UnitVariant,
                &"struct variant",
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use serde::Deserialize;
    use serde_json::{json, Value};

    use super::from_value;

    #[derive(Debug, PartialEq, Eq, PartialOrd, Ord, Deserialize)]
    enum Shape {
        Unit,
        Newtype(u8),
        Tuple(u8, String),
        Struct { side: u16 },
    }

    #[derive(Debug, PartialEq, Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Args {
        n: u8,
        big: i64,
        ratio: f64,
        name: String,
        flag: bool,
        #[serde(default)]
        maybe: Option<u32>,
        #[serde(default)]
        list: Vec<i16>,
        #[serde(default)]
        by_number: BTreeMap<u32, String>,
        #[serde(default)]
        by_flag: BTreeMap<bool, u8>,
        #[serde(default)]
        shape: Option<Shape>,
        #[serde(default)]
        pair: Option<(u8, char)>,
    }

    #[derive(Debug, PartialEq, Deserialize)]
    #[serde(untagged)]
    enum Loose {
        Number(i32),
        Text(String),
        Many(Vec<Loose>),
    }

    #[derive(Debug, PartialEq, Deserialize)]
    #[serde(tag = "kind")]
    enum Tagged {
        Roll { dice: u8 },
        Flip,
    }

    #[derive(Debug, PartialEq, Deserialize)]
    struct Borrowing<'a> {
        word: &'a str,
    }

    #[derive(Debug, PartialEq, Deserialize)]
    struct Outer {
        id: u64,
        #[serde(flatten)]
        rest: BTreeMap<String, Value>,
    }

    #[derive(Debug, PartialEq, Deserialize)]
    struct Newtype(Vec<u8>);

    #[derive(Debug, PartialEq, Deserialize)]
    struct Unit;

    /// Whether an object in `v` has a key that starts as a number does: read for an
    /// integer type, such keys are taken by both readers alike but may be refused in other
    /// words (serde_json parses them as JSON text, with its syntax errors).
    fn numeric_keys(v: &Value) -> bool {
        match v {
            Value::Array(a) => a.iter().any(numeric_keys),
            Value::Object(m) => m.iter().any(|(k, v)| {
                k.starts_with(|c: char| c == '-' || c.is_ascii_digit()) || numeric_keys(v)
            }),
            _ => false,
        }
    }

    /// Reads `T` from `v` with both readers, and requires the same value or the same
    /// words.
    fn same<'de, T>(v: &'de Value)
    where
        T: Deserialize<'de> + PartialEq + std::fmt::Debug,
    {
        agree::<T>(v, false)
    }

    /// [`same`] for a type with integer map keys: where `v` has numeric keys, the same
    /// value or both refuse.
    fn same_keyed<'de, T>(v: &'de Value)
    where
        T: Deserialize<'de> + PartialEq + std::fmt::Debug,
    {
        agree::<T>(v, true)
    }

    fn agree<'de, T>(v: &'de Value, integer_keys: bool)
    where
        T: Deserialize<'de> + PartialEq + std::fmt::Debug,
    {
        // serde_json reads a numeric key with its text parser, whose errors end with the
        // key's own line and column; the words before are what must agree.
        let theirs = T::deserialize(v).map_err(|e| {
            let text = e.to_string();
            match text.rfind(" at line ") {
                Some(at) if e.line() > 0 => text[..at].to_owned(),
                _ => text,
            }
        });
        let ours = from_value::<T>(v).map_err(|e| e.to_string());
        match (&ours, &theirs) {
            (Err(_), Err(_)) if integer_keys && numeric_keys(v) => {}
            _ => assert_eq!(ours, theirs, "{v}"),
        }
    }

    fn all_types(v: &Value) {
        same_keyed::<Args>(v);
        same::<Shape>(v);
        same::<Loose>(v);
        same::<Tagged>(v);
        same::<Borrowing>(v);
        same::<Outer>(v);
        same::<Newtype>(v);
        same::<Unit>(v);
        same::<()>(v);
        same::<u8>(v);
        same::<i8>(v);
        same::<u64>(v);
        same::<i128>(v);
        same::<f32>(v);
        same::<f64>(v);
        same::<bool>(v);
        same::<char>(v);
        same::<String>(v);
        same::<Option<String>>(v);
        same::<Option<Option<u8>>>(v);
        same::<Vec<Value>>(v);
        same::<(u8, u8)>(v);
        same::<[bool; 2]>(v);
        same::<BTreeMap<String, u8>>(v);
        same_keyed::<BTreeMap<i8, bool>>(v);
        same_keyed::<BTreeMap<u64, Value>>(v);
        same::<BTreeMap<bool, String>>(v);
        same_keyed::<BTreeMap<u128, u8>>(v);
        same_keyed::<BTreeMap<i128, u8>>(v);
        same::<BTreeMap<Shape, u8>>(v);
        same::<Value>(v);
    }

    #[test]
    fn agrees_with_serde_json_on_each_case() {
        let full = json!({
            "n": 7, "big": -9_000_000_000_i64, "ratio": 0.5, "name": "x", "flag": true,
            "maybe": 3, "list": [1, -2], "by_number": {"1": "a", "20": "b"},
            "by_flag": {"true": 1, "false": 0}, "shape": {"Struct": {"side": 6}},
            "pair": [1, "c"]
        });
        let mut cases = vec![
            full.clone(),
            json!(null),
            json!(true),
            json!(0),
            json!(255),
            json!(256),
            json!(-1),
            json!(-129),
            json!(u64::MAX),
            json!(i64::MIN),
            json!(1.5),
            json!(-0.0),
            json!(1e300),
            json!(2.0),
            json!(""),
            json!("a"),
            json!("ab"),
            json!("Unit"),
            json!("Newtype"),
            json!("Nope"),
            json!("with \"quotes\" and \u{7} and é"),
            json!([]),
            json!([1]),
            json!([1, 2]),
            json!([1, 2, 3]),
            json!([true, false]),
            json!([1, "c"]),
            json!([[1], "x", 3]),
            json!({}),
            json!({"Unit": null}),
            json!({"Unit": 1}),
            json!({"Newtype": 300}),
            json!({"Newtype": null}),
            json!({"Tuple": [1, "a"]}),
            json!({"Tuple": []}),
            json!({"Tuple": [1]}),
            json!({"Tuple": [1, "a", 2]}),
            json!({"Tuple": 1}),
            json!({"Struct": {"side": 4}}),
            json!({"Struct": [4]}),
            json!({"Struct": {"side": 4, "other": 1}}),
            json!({"Struct": {}}),
            json!({"Unit": null, "Newtype": 1}),
            json!({"kind": "Roll", "dice": 2}),
            json!({"kind": "Flip"}),
            json!({"kind": "Other"}),
            json!({"dice": 2}),
            json!({"word": "plain"}),
            json!({"word": 3}),
            json!({"id": 1, "a": [1], "b": {"c": null}}),
            json!({"id": "1"}),
            json!({"1": 1, "-2": 2, "x": 3}),
            json!({"0": true, "-0": false}),
            json!({"-0": 1}),
            json!({"-1": 1}),
            json!({"0": 1}),
            json!({"01": 1}),
            json!({"+1": 1}),
            json!({"1.5": 1}),
            json!({"1e3": 1}),
            json!({"99999999999999999999": 1}),
            json!({"-9223372036854775809": 1}),
            json!({"18446744073709551615": null}),
            json!({"340282366920938463463374607431768211455": 1}),
            json!({"-170141183460469231731687303715884105728": 1}),
            json!({"true": "t", "false": "f"}),
            json!({"yes": "t"}),
            json!({"Unit": 1, "Newtype": 2}),
        ];
        for (field, bad) in [
            ("n", json!(300)),
            ("n", json!("7")),
            ("n", json!(7.0)),
            ("big", json!(1.5)),
            ("ratio", json!("half")),
            ("ratio", json!(3)),
            ("name", json!(null)),
            ("flag", json!(1)),
            ("maybe", json!(null)),
            ("maybe", json!(-1)),
            ("list", json!([1, 40000])),
            ("list", json!({"0": 1})),
            ("by_number", json!({"a": "x"})),
            ("by_number", json!({"-1": "x"})),
            ("by_flag", json!({"maybe": 1})),
            ("shape", json!("Unit")),
            ("shape", json!({"Newtype": 9})),
            ("shape", json!({"Tuple": [1, 2]})),
            ("shape", json!(4)),
            ("pair", json!([1, "cc"])),
            ("pair", json!([1])),
            ("unknown", json!(1)),
        ] {
            let mut v = full.clone();
            v[field] = bad;
            cases.push(v);
        }
        let mut missing = full.clone();
        missing.as_object_mut().unwrap().remove("name");
        cases.push(missing);
        for v in &cases {
            all_types(v);
        }
    }

    /// A small deterministic generator of JSON trees, keys among them that spell numbers
    /// and booleans, for the readers to disagree on if they can.
    fn tree(seed: &mut u64, depth: u32) -> Value {
        fn next(seed: &mut u64, n: u64) -> u64 {
            *seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (*seed >> 33) % n
        }
        const KEYS: [&str; 14] = [
            "n", "word", "kind", "Roll", "Unit", "Newtype", "Tuple", "Struct", "1", "-3", "true",
            "id", "dice", "side",
        ];
        const TEXTS: [&str; 8] = ["", "a", "Unit", "Flip", "Roll", "ab", "7", "x\"y"];
        match next(seed, if depth == 0 { 6 } else { 8 }) {
            0 => Value::Null,
            1 => Value::Bool(next(seed, 2) == 0),
            2 => json!(next(seed, 600) as i64 - 300),
            3 => json!([0.5, -2.25, 1e20, 3.0][next(seed, 4) as usize]),
            4 => json!([u64::MAX, i64::MIN as u64][next(seed, 2) as usize]),
            5 => json!(TEXTS[next(seed, 8) as usize]),
            6 => {
                let len = next(seed, 4);
                Value::Array((0..len).map(|_| tree(seed, depth - 1)).collect())
            }
            _ => {
                let len = next(seed, 4);
                let mut m = serde_json::Map::new();
                for _ in 0..len {
                    let k = KEYS[next(seed, KEYS.len() as u64) as usize];
                    m.insert(k.to_owned(), tree(seed, depth - 1));
                }
                Value::Object(m)
            }
        }
    }

    #[test]
    fn agrees_with_serde_json_on_generated_trees() {
        let mut seed = 7;
        for _ in 0..3000 {
            let v = tree(&mut seed, 3);
            all_types(&v);
        }
    }

    #[test]
    fn an_object_is_read_as_serde_json_reads_it_and_its_repeats_are_named() {
        let (m, repeats) =
            super::object_and_repeats(br#"{"a":1,"a":2,"b":[{"a":0,"a":0}],"a":3}"#).unwrap();
        assert_eq!(Value::Object(m), json!({"a": 3, "b": [{"a": 0}]}));
        assert_eq!(repeats, ["a"], "named once, and only at the top");
        for not_one in [&b"[1]"[..], b"\"x\"", b"null", b"{} {}", b"{\"a\":}", b""] {
            assert!(super::object_and_repeats(not_one).is_none());
        }
    }

    #[test]
    fn float_words_are_serde_jsons() {
        let e = from_value::<u8>(&json!(1.5)).unwrap_err();
        assert_eq!(
            e.to_string(),
            "invalid type: floating point `1.5`, expected u8"
        );
        let e = from_value::<String>(&json!(null)).unwrap_err();
        assert_eq!(e.to_string(), "invalid type: null, expected a string");
    }
}
