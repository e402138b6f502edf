//! What the server says about itself (`initialize`, `server/discover`, capabilities) and
//! the results that are neither content nor lists: `input_required` rounds and
//! completions.

use serde::ser::{Serialize, SerializeMap, Serializer};
use serde_json::{Map, Value};

use super::{Implementation, Object, ServerInfo, Shape};
use crate::protocol::version::Version;

/// What a server offers. `resources`, `prompts` and `completions` only when it has some;
/// `listChanged` and `subscribe` false: a stateless server holds no stream to send a
/// change on (docs/resources-prompts.md).
#[derive(Clone, Debug, Default)]
pub struct Capabilities {
    pub logging: bool,
    pub resources: bool,
    pub prompts: bool,
    pub completions: bool,
    /// Extensions by identifier, each with its settings (SEP-2133).
    pub extensions: Vec<(&'static str, Value)>,
}

impl Serialize for Capabilities {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let empty = Map::new();
        let mut map = s.serialize_map(None)?;
        map.serialize_entry("tools", &ListChanged(None))?;
        if self.logging {
            map.serialize_entry("logging", &empty)?;
        }
        if self.resources {
            map.serialize_entry("resources", &ListChanged(Some(false)))?;
        }
        if self.prompts {
            map.serialize_entry("prompts", &ListChanged(None))?;
        }
        if self.completions {
            map.serialize_entry("completions", &empty)?;
        }
        if !self.extensions.is_empty() {
            map.serialize_entry("extensions", &Extensions(&self.extensions))?;
        }
        map.end()
    }
}

/// `{"listChanged": false}`, with `subscribe` when given.
struct ListChanged(Option<bool>);

impl Serialize for ListChanged {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(None)?;
        map.serialize_entry("listChanged", &false)?;
        if let Some(sub) = self.0 {
            map.serialize_entry("subscribe", &sub)?;
        }
        map.end()
    }
}

struct Extensions<'a>(&'a [(&'static str, Value)]);

impl Serialize for Extensions<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(Some(self.0.len()))?;
        for (id, settings) in self.0 {
            map.serialize_entry(id, settings)?;
        }
        map.end()
    }
}

/// The legacy handshake's answer (`InitializeResult`), in the revision it agreed on.
pub struct Initialize {
    pub version: Version,
    pub capabilities: Capabilities,
    pub server: ServerInfo<'static>,
    pub instructions: &'static str,
}

impl Shape for Initialize {
    fn members(&self, out: &mut Object<'_>) {
        out.member("protocolVersion", self.version.as_str());
        out.member("capabilities", &self.capabilities);
        // The revision agreed on, not the one the request was read in.
        out.member("serverInfo", &Implementation(&self.server, self.version));
        out.member("instructions", self.instructions);
    }
}

/// `server/discover` (2026-07-28): the revisions, capabilities and instructions,
/// cacheable by anyone.
pub struct Discover {
    pub capabilities: Capabilities,
    pub instructions: &'static str,
    pub ttl_ms: u64,
}

impl Shape for Discover {
    fn members(&self, out: &mut Object<'_>) {
        out.member("supportedVersions", &Version::ALL.map(Version::as_str));
        out.member("capabilities", &self.capabilities);
        out.member("instructions", self.instructions);
        out.cache_hint(self.ttl_ms, "public");
    }
}

/// A 2026-07-28 `input_required` result: what the client must ask its user or model,
/// and the sealed state to send back with the answers (basic/utilities/input).
pub struct InputRequired {
    pub requests: Map<String, Value>,
    pub request_state: String,
}

impl Shape for InputRequired {
    fn members(&self, out: &mut Object<'_>) {
        out.member("inputRequests", &self.requests);
        out.member("requestState", &self.request_state);
    }

    fn result_type(&self) -> super::ResultKind {
        super::ResultKind::InputRequired
    }
}

/// The `completion` of a `CompleteResult`: at most a hundred values, `total` and
/// `hasMore` (server/utilities/completion).
pub fn complete_result(
    out: &mut Object<'_>,
    values: &[String],
    total: Option<usize>,
    has_more: bool,
) {
    struct Completion<'a>(&'a [String], Option<usize>, bool);
    impl Serialize for Completion<'_> {
        fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
            let mut map = s.serialize_map(None)?;
            map.serialize_entry("values", self.0)?;
            if let Some(t) = self.1 {
                map.serialize_entry("total", &t)?;
            }
            map.serialize_entry("hasMore", &self.2)?;
            map.end()
        }
    }
    out.member("completion", &Completion(values, total, has_more));
}

#[cfg(test)]
mod tests {
    use super::super::to_value;
    use super::*;
    use serde_json::json;

    const INFO: ServerInfo = ServerInfo {
        name: "s",
        title: "S",
        version: "1",
    };

    #[test]
    fn initialize_names_the_server_as_the_agreed_revision_does() {
        for (v, titled) in [(Version::V2024_11_05, false), (Version::V2025_06_18, true)] {
            let init = Initialize {
                version: v,
                capabilities: Capabilities::default(),
                server: INFO,
                instructions: "i",
            };
            let out = to_value(&init, v);
            assert_eq!(out["protocolVersion"], v.as_str());
            assert_eq!(
                out["capabilities"],
                json!({"tools": {"listChanged": false}})
            );
            assert_eq!(out["serverInfo"].get("title").is_some(), titled, "{v}");
        }
    }

    #[test]
    fn capabilities_name_only_what_the_server_has() {
        let all = Capabilities {
            logging: true,
            resources: true,
            prompts: true,
            completions: true,
            extensions: vec![("x/y", json!({"a": true}))],
        };
        assert_eq!(
            serde_json::to_value(&all).unwrap(),
            json!({"tools": {"listChanged": false}, "logging": {},
                "resources": {"listChanged": false, "subscribe": false},
                "prompts": {"listChanged": false}, "completions": {},
                "extensions": {"x/y": {"a": true}}})
        );
    }

    #[test]
    fn discover_is_cacheable_and_lists_every_revision() {
        let d = Discover {
            capabilities: Capabilities::default(),
            instructions: "i",
            ttl_ms: 7,
        };
        let out = to_value(&d, Version::V2026_07_28);
        assert_eq!(out["supportedVersions"][0], "2026-07-28");
        assert_eq!(out["supportedVersions"].as_array().unwrap().len(), 5);
        assert_eq!(
            (&out["ttlMs"], &out["cacheScope"]),
            (&json!(7), &json!("public"))
        );
    }

    #[test]
    fn input_required_says_so_in_its_result_type() {
        let ir = InputRequired {
            requests: Map::new(),
            request_state: "s".into(),
        };
        let m = super::super::result(
            &crate::protocol::jsonrpc::Id::from_value(&json!(1)).unwrap(),
            &ir,
            &INFO,
            Version::V2026_07_28,
        );
        assert_eq!(m["result"]["resultType"], "input_required");
        assert_eq!(m["result"]["requestState"], "s");
    }
}
