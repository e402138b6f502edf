//! Reading the authorization server's own JSON back into its types: the grants' stored
//! records, the messages to and from their objects, and the sealed sign-in session.
//!
//! Each type's `Serialize` is derived; its reader is written here by hand with
//! [`FromJson`]. Serde's derived readers instantiate its `Value` deserializer once per
//! type and once per kind of list, which made up about a sixth of what the authorization
//! server adds to the upload; a reader over [`Value`] is a few field lookups. What is read
//! here was written by the server itself (or sealed by it), so a reader says only whether
//! the value is usable, not why not.

use serde_json::{Map, Value};

/// A type read from the JSON its `Serialize` writes. `None`: not a value of the type.
pub trait FromJson: Sized {
    fn from_json(v: &Value) -> Option<Self>;
}

impl FromJson for String {
    fn from_json(v: &Value) -> Option<Self> {
        v.as_str().map(str::to_owned)
    }
}

impl FromJson for bool {
    fn from_json(v: &Value) -> Option<Self> {
        v.as_bool()
    }
}

impl FromJson for u64 {
    fn from_json(v: &Value) -> Option<Self> {
        v.as_u64()
    }
}

impl FromJson for u32 {
    fn from_json(v: &Value) -> Option<Self> {
        v.as_u64().and_then(|n| u32::try_from(n).ok())
    }
}

impl FromJson for i64 {
    fn from_json(v: &Value) -> Option<Self> {
        v.as_i64()
    }
}

/// `null` or an absent field is `None`, as serde reads an `Option`.
impl<T: FromJson> FromJson for Option<T> {
    fn from_json(v: &Value) -> Option<Self> {
        match v {
            Value::Null => Some(None),
            v => T::from_json(v).map(Some),
        }
    }
}

impl<T: FromJson> FromJson for Vec<T> {
    fn from_json(v: &Value) -> Option<Self> {
        v.as_array()?.iter().map(T::from_json).collect()
    }
}

/// An object.
impl FromJson for Map<String, Value> {
    fn from_json(v: &Value) -> Option<Self> {
        v.as_object().cloned()
    }
}

/// Any JSON, as it is: for a value its user reads further itself.
impl FromJson for Value {
    fn from_json(v: &Value) -> Option<Self> {
        Some(v.clone())
    }
}

/// A pair, written as a two-element array.
impl<A: FromJson, B: FromJson> FromJson for (A, B) {
    fn from_json(v: &Value) -> Option<Self> {
        match v.as_array()?.as_slice() {
            [a, b] => Some((A::from_json(a)?, B::from_json(b)?)),
            _ => None,
        }
    }
}

/// The fields of a JSON object, for a struct's reader.
pub struct Fields<'a>(&'a Map<String, Value>);

impl<'a> Fields<'a> {
    /// The fields of `v`, if it is an object.
    pub fn of(v: &'a Value) -> Option<Self> {
        v.as_object().map(Fields)
    }

    /// The fields of `v`, if it is an object with no field outside `names` (serde's
    /// `deny_unknown_fields`).
    pub fn only(v: &'a Value, names: &[&str]) -> Option<Self> {
        let map = v.as_object()?;
        map.keys()
            .all(|k| names.contains(&k.as_str()))
            .then_some(Fields(map))
    }

    /// The field `name` read as a `T`; an absent field reads as `null`.
    pub fn get<T: FromJson>(&self, name: &str) -> Option<T> {
        T::from_json(self.0.get(name).unwrap_or(&Value::Null))
    }

    /// The field `name` read as a `T`, or `T`'s default when it is absent: for a field
    /// that is not written when empty (serde's `default`).
    pub fn get_or_default<T: FromJson + Default>(&self, name: &str) -> Option<T> {
        self.0.get(name).map_or(Some(T::default()), T::from_json)
    }
}

/// The reader of a struct whose every field is written under its own name: `Some` of the
/// struct when each field reads, as [`Fields::get`] reads it. `only` refuses any other
/// field (serde's `deny_unknown_fields`). One list of names, so a key cannot drift from
/// its field.
macro_rules! read_struct {
    ($v:expr, $ty:ident { $($field:ident),* $(,)? }) => {{
        let f = $crate::oauth::json::Fields::of($v)?;
        Some($ty { $($field: f.get(stringify!($field))?),* })
    }};
    (only $v:expr, $ty:ident { $($field:ident),* $(,)? }) => {{
        let f = $crate::oauth::json::Fields::only($v, &[$(stringify!($field)),*])?;
        Some($ty { $($field: f.get(stringify!($field))?),* })
    }};
}
pub(crate) use read_struct;

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn scalars_lists_and_options_read_what_serde_writes() {
        assert_eq!(String::from_json(&json!("a")), Some("a".to_owned()));
        assert_eq!(String::from_json(&json!(1)), None);
        assert_eq!(u64::from_json(&json!(7)), Some(7));
        assert_eq!(u64::from_json(&json!(-1)), None);
        assert_eq!(u32::from_json(&json!(u64::from(u32::MAX) + 1)), None);
        assert_eq!(i64::from_json(&json!(-3)), Some(-3));
        assert_eq!(bool::from_json(&json!("true")), None);
        assert_eq!(Option::<u64>::from_json(&Value::Null), Some(None));
        assert_eq!(Option::<u64>::from_json(&json!("x")), None);
        assert_eq!(
            Vec::<String>::from_json(&json!(["a", "b"])),
            Some(vec!["a".to_owned(), "b".to_owned()])
        );
        assert_eq!(Vec::<String>::from_json(&json!(["a", 1])), None);
        assert_eq!(Vec::<String>::from_json(&Value::Null), None);
        assert_eq!(
            <(i64, String)>::from_json(&json!([1, "v"])),
            Some((1, "v".to_owned()))
        );
        assert_eq!(<(i64, String)>::from_json(&json!([1, "v", 2])), None);
        assert_eq!(Map::from_json(&Value::Null), None);
        assert_eq!(Map::from_json(&json!([])), None);
    }

    #[derive(Debug, PartialEq)]
    struct Pair {
        a: String,
        n: u64,
    }

    impl FromJson for Pair {
        fn from_json(v: &Value) -> Option<Self> {
            read_struct!(v, Pair { a, n })
        }
    }

    #[test]
    fn a_struct_reads_each_field_by_its_name() {
        let pair = Pair {
            a: "x".into(),
            n: 2,
        };
        assert_eq!(Pair::from_json(&json!({ "a": "x", "n": 2 })), Some(pair));
        assert_eq!(Pair::from_json(&json!({ "a": "x" })), None);
        assert_eq!(Pair::from_json(&json!({ "a": "x", "n": "2" })), None);
        let strict = |v: &Value| -> Option<Pair> { read_struct!(only v, Pair { a, n }) };
        assert!(strict(&json!({ "a": "x", "n": 2 })).is_some());
        assert!(strict(&json!({ "a": "x", "n": 2, "b": 1 })).is_none());
    }

    #[test]
    fn fields_read_by_name_and_may_refuse_unknown_ones() {
        let v = json!({ "a": "x", "n": 2 });
        let f = Fields::of(&v).unwrap();
        assert_eq!(f.get::<String>("a").as_deref(), Some("x"));
        assert_eq!(f.get::<Option<String>>("missing"), Some(None));
        assert_eq!(f.get::<String>("missing"), None);
        assert_eq!(
            f.get_or_default::<Map<String, Value>>("missing"),
            Some(Map::new())
        );
        assert_eq!(f.get_or_default::<u64>("n"), Some(2));
        let null = json!({ "m": null });
        assert_eq!(
            Fields::of(&null)
                .unwrap()
                .get_or_default::<Map<String, Value>>("m"),
            None
        );
        assert!(Fields::only(&v, &["a", "n"]).is_some());
        assert!(Fields::only(&v, &["a"]).is_none());
        assert!(Fields::of(&json!([])).is_none());
    }
}
