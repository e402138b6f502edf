//! The list results and what they list: tool, resource, template and prompt
//! definitions with the fields each revision defines, and the icons and annotations
//! they carry.

use serde::ser::{Serialize, SerializeMap, Serializer};
use serde_json::Value;
use std::sync::Arc;

use super::{Object, Shape};
use crate::protocol::version::Version;

/// A page of a list: the items under `key`, the next cursor, and in 2026-07-28 the
/// caching hints every list carries (server/utilities/caching).
pub struct List<T> {
    pub key: &'static str,
    pub items: Vec<T>,
    pub next: Option<String>,
    pub ttl_ms: u64,
}

impl<T: Serialize> Shape for List<T> {
    fn members(&self, out: &mut Object<'_>) {
        out.member(self.key, &self.items);
        out.some("nextCursor", self.next.as_deref());
        // The same for every caller.
        out.cache_hint(self.ttl_ms, "public");
    }
}

/// A cacheable result of one member (`skills/get`'s `skill`).
pub struct Cached<T> {
    pub key: &'static str,
    pub value: T,
    pub ttl_ms: u64,
}

impl<T: Serialize> Shape for Cached<T> {
    fn members(&self, out: &mut Object<'_>) {
        out.member(self.key, &self.value);
        out.cache_hint(self.ttl_ms, "public");
    }
}

/// A tool definition: `title` and `outputSchema` from 2025-06-18, `annotations` from
/// 2025-03-26; ChatGPT's `securitySchemes` (OpenAI Apps SDK, "Authentication") and the
/// MCP Apps `_meta` in every revision (clients that do not know them ignore them).
pub struct Tool<'a> {
    pub name: &'a str,
    pub title: Option<&'a str>,
    pub description: &'a str,
    pub input_schema: &'a Value,
    pub output_schema: Option<&'a Value>,
    pub annotations: Option<&'a Value>,
    /// `Some((required, own))`: signing in with OAuth 2 grants the scopes every token
    /// needs (`REQUIRED_SCOPES`) and the tool's own, listed once each; `None`: a server
    /// without tokens (`noauth`).
    pub scopes: Option<(Arc<[String]>, &'a [&'a str])>,
    pub meta: Option<&'a Value>,
    pub version: Version,
}

impl Serialize for Tool<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let v = self.version;
        let mut map = s.serialize_map(None)?;
        map.serialize_entry("name", self.name)?;
        if let Some(t) = self.title.filter(|_| v.has_structured_output()) {
            map.serialize_entry("title", t)?;
        }
        map.serialize_entry("description", self.description)?;
        map.serialize_entry("inputSchema", self.input_schema)?;
        if let Some(o) = self.output_schema.filter(|_| v.has_structured_output()) {
            map.serialize_entry("outputSchema", o)?;
        }
        if let Some(a) = self.annotations.filter(|_| v.has_tool_annotations()) {
            map.serialize_entry("annotations", a)?;
        }
        let scopes = self.scopes.as_ref().map(|(r, own)| (&r[..], *own));
        map.serialize_entry("securitySchemes", &[SecurityScheme(scopes)])?;
        if let Some(m) = self.meta {
            map.serialize_entry("_meta", m)?;
        }
        map.end()
    }
}

struct SecurityScheme<'a>(Option<(&'a [String], &'a [&'a str])>);

/// The required scopes, then the tool's own that are not among them.
struct Scopes<'a>(&'a [String], &'a [&'a str]);

impl Serialize for Scopes<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let Scopes(required, own) = *self;
        let extra = own.iter().filter(|o| !required.iter().any(|r| r == *o));
        s.collect_seq(required.iter().map(String::as_str).chain(extra.copied()))
    }
}

impl Serialize for SecurityScheme<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(None)?;
        match self.0 {
            Some((required, own)) => {
                map.serialize_entry("type", "oauth2")?;
                map.serialize_entry("scopes", &Scopes(required, own))?;
            }
            None => map.serialize_entry("type", "noauth")?,
        }
        map.end()
    }
}

/// A resource (`key` is `uri`) or resource template (`uriTemplate`) definition:
/// `title` from 2025-06-18, `size` from 2025-03-26, `icons` from 2025-11-25.
#[derive(Clone)]
pub struct Resource<'a> {
    pub key: &'static str,
    pub uri: &'a str,
    pub name: &'a str,
    pub title: Option<&'a str>,
    pub description: Option<&'a str>,
    pub mime_type: Option<&'a str>,
    pub size: Option<u64>,
    pub annotations: Annotations,
    pub icons: &'a [Icon],
    pub meta: Option<Value>,
    pub version: Version,
}

impl Serialize for Resource<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let v = self.version;
        let mut map = s.serialize_map(None)?;
        map.serialize_entry(self.key, self.uri)?;
        map.serialize_entry("name", self.name)?;
        if let Some(t) = self.title.filter(|_| v.has_structured_output()) {
            map.serialize_entry("title", t)?;
        }
        if let Some(d) = self.description.filter(|d| !d.is_empty()) {
            map.serialize_entry("description", d)?;
        }
        if let Some(m) = self.mime_type {
            map.serialize_entry("mimeType", m)?;
        }
        if let Some(size) = self.size.filter(|_| v >= Version::V2025_03_26) {
            map.serialize_entry("size", &size)?;
        }
        if !self.annotations.is_empty(v) {
            map.serialize_entry("annotations", &Annotated(&self.annotations, v))?;
        }
        if let Some(icons) = icons(self.icons, v) {
            map.serialize_entry("icons", icons)?;
        }
        if let Some(m) = &self.meta {
            map.serialize_entry("_meta", m)?;
        }
        map.end()
    }
}

/// A prompt definition: `title` (its own and its arguments') from 2025-06-18, `icons`
/// from 2025-11-25.
pub struct Prompt<'a> {
    pub name: &'a str,
    pub title: Option<&'a str>,
    pub description: &'a str,
    pub arguments: Vec<PromptArgument<'a>>,
    pub icons: &'a [Icon],
    pub version: Version,
}

pub struct PromptArgument<'a> {
    pub name: &'a str,
    pub title: Option<&'a str>,
    pub description: &'a str,
    pub required: bool,
}

impl Serialize for Prompt<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let v = self.version;
        let mut map = s.serialize_map(None)?;
        map.serialize_entry("name", self.name)?;
        if let Some(t) = self.title.filter(|_| v.has_structured_output()) {
            map.serialize_entry("title", t)?;
        }
        if !self.description.is_empty() {
            map.serialize_entry("description", self.description)?;
        }
        if !self.arguments.is_empty() {
            let args: Vec<_> = self.arguments.iter().map(|a| Argument(a, v)).collect();
            map.serialize_entry("arguments", &args)?;
        }
        if let Some(icons) = icons(self.icons, v) {
            map.serialize_entry("icons", icons)?;
        }
        map.end()
    }
}

struct Argument<'a>(&'a PromptArgument<'a>, Version);

impl Serialize for Argument<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let Argument(a, v) = self;
        let mut map = s.serialize_map(None)?;
        map.serialize_entry("name", a.name)?;
        if let Some(t) = a.title.filter(|_| v.has_structured_output()) {
            map.serialize_entry("title", t)?;
        }
        if !a.description.is_empty() {
            map.serialize_entry("description", a.description)?;
        }
        map.serialize_entry("required", &a.required)?;
        map.end()
    }
}

/// `icons`, from 2025-11-25 on (SEP-973).
fn icons(icons: &[Icon], v: Version) -> Option<&[Icon]> {
    (!icons.is_empty() && v >= Version::V2025_11_25).then_some(icons)
}

/// Who a resource or content is meant for (`Role` in the schema).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    /// The person using the client.
    User,
    /// The model.
    Assistant,
}

impl Role {
    /// The name the schema gives the role (`"user"`, `"assistant"`).
    pub fn as_str(self) -> &'static str {
        match self {
            Role::User => "user",
            Role::Assistant => "assistant",
        }
    }
}

impl Serialize for Role {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

/// Hints for clients about a resource or template: who it is for, how important it is,
/// when it last changed (server/resources "Annotations"). `last_modified` is an ISO 8601
/// timestamp, sent from 2025-06-18 on.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Annotations {
    /// Whom it is meant for; empty says nothing.
    pub audience: &'static [Role],
    /// 0.0 (entirely optional) to 1.0 (effectively required).
    pub priority: Option<f64>,
    /// When it last changed, as an ISO 8601 timestamp.
    pub last_modified: Option<&'static str>,
}

impl Annotations {
    /// No annotations (none are sent).
    pub const NONE: Annotations = Annotations {
        audience: &[],
        priority: None,
        last_modified: None,
    };

    fn last_modified(&self, v: Version) -> Option<&'static str> {
        self.last_modified.filter(|_| v.has_structured_output())
    }

    /// Nothing of it is sent in `v`.
    fn is_empty(&self, v: Version) -> bool {
        self.audience.is_empty() && self.priority.is_none() && self.last_modified(v).is_none()
    }

    /// The `annotations` object for `version`, or `None` when nothing is set.
    pub fn to_json(&self, version: Version) -> Option<Value> {
        (!self.is_empty(version))
            .then(|| serde_json::to_value(Annotated(self, version)).unwrap_or_default())
    }
}

struct Annotated<'a>(&'a Annotations, Version);

impl Serialize for Annotated<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let Annotated(a, v) = self;
        let mut map = s.serialize_map(None)?;
        if !a.audience.is_empty() {
            map.serialize_entry("audience", a.audience)?;
        }
        if let Some(p) = a.priority {
            map.serialize_entry("priority", &p)?;
        }
        if let Some(t) = a.last_modified(*v) {
            map.serialize_entry("lastModified", t)?;
        }
        map.end()
    }
}

/// An icon clients may show beside a resource, template or prompt (sent from 2025-11-25
/// on, `Icon` in the schema).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Icon {
    /// An `https:` or `data:` URI.
    pub src: &'static str,
    /// The image's MIME type, when the URI does not say it.
    pub mime_type: Option<&'static str>,
    /// Sizes such as `"48x48"` or `"any"`.
    pub sizes: &'static [&'static str],
    /// `"light"` or `"dark"`: the theme the icon is drawn for.
    pub theme: Option<&'static str>,
}

impl Icon {
    /// An icon at `src`, with no MIME type, sizes or theme.
    pub const fn new(src: &'static str) -> Self {
        Icon {
            src,
            mime_type: None,
            sizes: &[],
            theme: None,
        }
    }

    /// The icon as the protocol's `Icon` object.
    pub fn to_json(&self) -> Value {
        serde_json::to_value(self).unwrap_or_default()
    }
}

impl Serialize for Icon {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(None)?;
        map.serialize_entry("src", self.src)?;
        if let Some(m) = self.mime_type {
            map.serialize_entry("mimeType", m)?;
        }
        if !self.sizes.is_empty() {
            map.serialize_entry("sizes", self.sizes)?;
        }
        if let Some(t) = self.theme {
            map.serialize_entry("theme", t)?;
        }
        map.end()
    }
}

/// An entry of `resources/directory/read` (SEP-2640): a file or folder of a skill.
pub struct DirectoryEntry {
    pub uri: String,
    pub name: String,
    pub mime_type: &'static str,
}

impl Serialize for DirectoryEntry {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(None)?;
        map.serialize_entry("uri", &self.uri)?;
        map.serialize_entry("name", &self.name)?;
        map.serialize_entry("mimeType", self.mime_type)?;
        map.end()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn tool(v: Version) -> Value {
        let input = json!({"type": "object"});
        let output = json!({"type": "object", "properties": {}});
        let annotations = json!({"readOnlyHint": true});
        serde_json::to_value(Tool {
            name: "t",
            title: Some("T"),
            description: "d",
            input_schema: &input,
            output_schema: Some(&output),
            annotations: Some(&annotations),
            scopes: Some((Arc::from(Vec::new()), &["a"])),
            meta: None,
            version: v,
        })
        .unwrap()
    }

    #[test]
    fn a_tool_gains_annotations_in_2025_03_26_and_title_and_output_in_2025_06_18() {
        let old = tool(Version::V2024_11_05);
        assert_eq!(
            old,
            json!({"name": "t", "description": "d", "inputSchema": {"type": "object"},
                "securitySchemes": [{"type": "oauth2", "scopes": ["a"]}]})
        );
        let mid = tool(Version::V2025_03_26);
        assert_eq!(mid["annotations"], json!({"readOnlyHint": true}));
        assert!(mid.get("title").is_none() && mid.get("outputSchema").is_none());
        for v in [
            Version::V2025_06_18,
            Version::V2025_11_25,
            Version::V2026_07_28,
        ] {
            let new = tool(v);
            assert_eq!(new["title"], "T");
            assert_eq!(new["outputSchema"]["type"], "object");
        }
    }

    fn resource(v: Version) -> Value {
        const ICONS: &[Icon] = &[Icon::new("https://x.example/i.png")];
        const ANNOTATIONS: Annotations = Annotations {
            audience: &[Role::User],
            priority: None,
            last_modified: Some("2025-01-01T00:00:00Z"),
        };
        serde_json::to_value(Resource {
            key: "uri",
            uri: "test://r",
            name: "r",
            title: Some("R"),
            description: Some(""),
            mime_type: Some("text/plain"),
            size: Some(3),
            annotations: ANNOTATIONS,
            icons: ICONS,
            meta: None,
            version: v,
        })
        .unwrap()
    }

    #[test]
    fn a_resource_per_revision() {
        assert_eq!(
            resource(Version::V2024_11_05),
            json!({"uri": "test://r", "name": "r", "mimeType": "text/plain", "annotations": {"audience": ["user"]}})
        );
        let v2025_06 = resource(Version::V2025_06_18);
        assert_eq!(v2025_06["size"], 3);
        assert_eq!(v2025_06["title"], "R");
        assert_eq!(
            v2025_06["annotations"]["lastModified"],
            "2025-01-01T00:00:00Z"
        );
        assert!(v2025_06.get("icons").is_none());
        assert_eq!(
            resource(Version::V2025_11_25)["icons"],
            json!([{"src": "https://x.example/i.png"}])
        );
        assert_eq!(
            resource(Version::V2026_07_28),
            resource(Version::V2025_11_25)
        );
    }

    #[test]
    fn a_list_carries_cache_hints_only_in_2026_07_28() {
        let list = List {
            key: "prompts",
            items: vec![Prompt {
                name: "p",
                title: Some("P"),
                description: "",
                arguments: vec![PromptArgument {
                    name: "a",
                    title: Some("A"),
                    description: "",
                    required: true,
                }],
                icons: &[],
                version: Version::V2025_03_26,
            }],
            next: Some("p50".into()),
            ttl_ms: 5,
        };
        assert_eq!(
            super::super::to_value(&list, Version::V2025_03_26),
            json!({"prompts": [{"name": "p", "arguments": [{"name": "a", "required": true}]}], "nextCursor": "p50"})
        );
        let modern = super::super::to_value(&list, Version::V2026_07_28);
        assert_eq!(
            (&modern["ttlMs"], &modern["cacheScope"]),
            (&json!(5), &json!("public"))
        );
    }
}
