//! Content blocks and the results made of them, as each revision defines them.
//!
//! Text, images and embedded resources exist in every revision; audio from 2025-03-26;
//! resource links and `structuredContent` from 2025-06-18 (each revision's server/tools
//! "Tool Result"). A block a revision lacks is written as a text block that says what it
//! was, so an older client still learns of it.

use serde::ser::{Serialize, SerializeMap, SerializeSeq, Serializer};
use serde_json::Value;

use super::{seq, Object};
use crate::protocol::version::Version;

/// One content block, borrowed from whoever holds it.
#[derive(Clone, Copy, Debug)]
pub enum Block<'a> {
    Text(&'a str),
    /// Base64 data and its MIME type.
    Image {
        data: &'a str,
        mime_type: &'a str,
    },
    Audio {
        data: &'a str,
        mime_type: &'a str,
    },
    Resource(Contents<'a>),
    Link {
        uri: &'a str,
        name: &'a str,
        title: Option<&'a str>,
        description: Option<&'a str>,
        mime_type: Option<&'a str>,
    },
}

/// What holds a content block: the primitives' own `Content`.
pub trait AsBlock {
    fn block(&self) -> Block<'_>;
}

/// `TextResourceContents` or `BlobResourceContents`, the same in every revision.
#[derive(Clone, Copy, Debug)]
pub struct Contents<'a> {
    pub uri: &'a str,
    pub mime_type: Option<&'a str>,
    /// Text, or base64 bytes.
    pub body: Body<'a>,
    pub meta: Option<&'a Value>,
}

#[derive(Clone, Copy, Debug)]
pub enum Body<'a> {
    Text(&'a str),
    /// Base64.
    Blob(&'a str),
}

impl Serialize for Contents<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(None)?;
        map.serialize_entry("uri", self.uri)?;
        if let Some(m) = self.mime_type {
            map.serialize_entry("mimeType", m)?;
        }
        match self.body {
            Body::Text(t) => map.serialize_entry("text", t)?,
            Body::Blob(b) => map.serialize_entry("blob", b)?,
        }
        if let Some(m) = self.meta {
            map.serialize_entry("_meta", m)?;
        }
        map.end()
    }
}

/// A block as `version` defines it, or the text block that stands in for it.
pub struct Shaped<'a>(pub Block<'a>, pub Version);

impl Serialize for Shaped<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let Shaped(block, version) = *self;
        // What stands in for a block the revision lacks.
        let fallback = match block {
            Block::Audio { data, mime_type } if version < Version::V2025_03_26 => Some(format!(
                "[The tool returned {mime_type} audio ({} bytes of base64), which protocol {version} cannot carry; it needs 2025-03-26 or later.]",
                data.len()
            )),
            Block::Link {
                uri,
                name,
                description,
                ..
            } if !version.has_structured_output() => {
                let mut text = format!("Resource: {name} <{uri}>");
                if let Some(d) = description {
                    text.push_str(" - ");
                    text.push_str(d);
                }
                Some(text)
            }
            _ => None,
        };
        let block = fallback.as_deref().map_or(block, Block::Text);
        let mut map = s.serialize_map(None)?;
        match block {
            Block::Text(text) => {
                map.serialize_entry("type", "text")?;
                map.serialize_entry("text", text)?;
            }
            Block::Image { data, mime_type } | Block::Audio { data, mime_type } => {
                let kind = if matches!(block, Block::Image { .. }) {
                    "image"
                } else {
                    "audio"
                };
                map.serialize_entry("type", kind)?;
                map.serialize_entry("data", data)?;
                map.serialize_entry("mimeType", mime_type)?;
            }
            Block::Resource(contents) => {
                map.serialize_entry("type", "resource")?;
                map.serialize_entry("resource", &contents)?;
            }
            Block::Link {
                uri,
                name,
                title,
                description,
                mime_type,
            } => {
                map.serialize_entry("type", "resource_link")?;
                map.serialize_entry("uri", uri)?;
                map.serialize_entry("name", name)?;
                for (key, value) in [
                    ("title", title),
                    ("description", description),
                    ("mimeType", mime_type),
                ] {
                    if let Some(v) = value {
                        map.serialize_entry(key, v)?;
                    }
                }
            }
        }
        map.end()
    }
}

/// Content blocks as `version` defines them.
pub struct Blocks<'a, C>(pub &'a [C], pub Version);

impl<C: AsBlock> Serialize for Blocks<'_, C> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut seq = s.serialize_seq(Some(self.0.len()))?;
        for c in self.0 {
            seq.serialize_element(&Shaped(c.block(), self.1))?;
        }
        seq.end()
    }
}

/// `[{"type":"text","text":…},…]` for blocks that are all text (the caller checks; any
/// other block would be left out).
fn write_text_blocks<C: AsBlock>(w: &mut Vec<u8>, content: &[C]) {
    w.push(b'[');
    for (i, c) in content.iter().enumerate() {
        if i > 0 {
            w.push(b',');
        }
        if let Block::Text(text) = c.block() {
            w.extend_from_slice(br#"{"type":"text","text":"#);
            super::write_str(w, text);
            w.push(b'}');
        }
    }
    w.push(b']');
}

/// `CallToolResult`: the content, `isError`, and from 2025-06-18 `structuredContent`.
pub fn call_tool_result<C: AsBlock>(
    out: &mut Object<'_>,
    content: &[C],
    structured: Option<&Value>,
    is_error: bool,
) {
    let version = out.version();
    if content.iter().all(|c| matches!(c.block(), Block::Text(_))) {
        // Text alone, the common answer, without serde's serializer: its string escaper
        // makes an out-of-line call per byte at opt-level z, and a tool's text is often
        // its structured result as JSON, quotes and all (measured). The bytes are the
        // ones `Blocks` writes (a host test holds that).
        out.raw("content", |w| write_text_blocks(w, content));
    } else {
        out.member("content", &Blocks(content, version));
    }
    if let Some(s) = structured.filter(|_| version.has_structured_output()) {
        out.value("structuredContent", s);
    }
    out.member("isError", &is_error);
}

/// What holds resource contents: the primitives' own `ResourceContents`.
pub trait AsContents {
    fn contents(&self) -> Contents<'_>;
}

struct ContentsList<'a, C>(&'a [C]);

impl<C: AsContents> Serialize for ContentsList<'_, C> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut seq = s.serialize_seq(Some(self.0.len()))?;
        for c in self.0 {
            seq.serialize_element(&c.contents())?;
        }
        seq.end()
    }
}

/// `ReadResourceResult`: the contents, and in 2026-07-28 how long they may be cached.
pub fn read_resource_result<C: AsContents>(
    out: &mut Object<'_>,
    contents: &[C],
    ttl_ms: u64,
    cache_scope: &str,
) {
    out.member("contents", &ContentsList(contents));
    out.cache_hint(ttl_ms, cache_scope);
}

/// One message of a prompt: its role and content.
pub struct PromptMessage<'a> {
    pub role: &'a str,
    pub content: Block<'a>,
}

/// `GetPromptResult`: the description and the messages, each message's content shaped
/// as tool content is.
pub fn get_prompt_result<'a>(
    out: &mut Object<'_>,
    description: Option<&str>,
    messages: impl ExactSizeIterator<Item = PromptMessage<'a>>,
) {
    let version = out.version();
    out.some("description", description);
    let messages = messages.map(|m| Message(m, version));
    out.member("messages", &seq(messages));
}

struct Message<'a>(PromptMessage<'a>, Version);

impl Serialize for Message<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(None)?;
        map.serialize_entry("role", self.0.role)?;
        map.serialize_entry("content", &Shaped(self.0.content, self.1))?;
        map.end()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn at(block: Block<'_>, v: Version) -> Value {
        serde_json::to_value(Shaped(block, v)).unwrap()
    }

    const AUDIO: Block = Block::Audio {
        data: "UklGRg==",
        mime_type: "audio/wav",
    };
    const LINK: Block = Block::Link {
        uri: "https://x.example/a.txt",
        name: "a.txt",
        title: Some("A"),
        description: Some("the a"),
        mime_type: None,
    };

    /// Text blocks written by hand are the bytes serde writes for them, escapes and all.
    #[test]
    fn text_blocks_are_written_as_serde_writes_them() {
        struct T(&'static str);
        impl AsBlock for T {
            fn block(&self) -> Block<'_> {
                Block::Text(self.0)
            }
        }
        let cases: [&[T]; 4] = [
            &[],
            &[T("{\"result\":[3,1,4]}")],
            &[T("a\nb\u{1}\\"), T(""), T("\u{e9}\u{1F3B2}")],
            &[T("plain")],
        ];
        for content in cases {
            let mut ours = Vec::new();
            write_text_blocks(&mut ours, content);
            let theirs = serde_json::to_vec(&Blocks(content, Version::V2025_11_25)).unwrap();
            assert_eq!(
                String::from_utf8(ours).unwrap(),
                String::from_utf8(theirs).unwrap()
            );
        }
    }

    #[test]
    fn audio_from_2025_03_26_and_text_before() {
        assert_eq!(
            at(AUDIO, Version::V2025_03_26),
            json!({"type": "audio", "data": "UklGRg==", "mimeType": "audio/wav"})
        );
        let old = at(AUDIO, Version::V2024_11_05);
        assert_eq!(old["type"], "text");
        assert!(old["text"]
            .as_str()
            .unwrap()
            .contains("audio/wav audio (8 bytes"));
    }

    #[test]
    fn resource_links_from_2025_06_18_and_text_before() {
        for v in [
            Version::V2025_06_18,
            Version::V2025_11_25,
            Version::V2026_07_28,
        ] {
            assert_eq!(
                at(LINK, v),
                json!({"type": "resource_link", "uri": "https://x.example/a.txt", "name": "a.txt", "title": "A", "description": "the a"})
            );
        }
        assert_eq!(
            at(LINK, Version::V2025_03_26),
            json!({"type": "text", "text": "Resource: a.txt <https://x.example/a.txt> - the a"})
        );
    }

    #[test]
    fn embedded_contents_are_the_same_in_every_revision() {
        let meta = json!({"ui": {}});
        let block = Block::Resource(Contents {
            uri: "test://r",
            mime_type: Some("text/plain"),
            body: Body::Blob("AAEC"),
            meta: Some(&meta),
        });
        for v in Version::ALL {
            assert_eq!(
                at(block, v),
                json!({"type": "resource", "resource": {"uri": "test://r", "mimeType": "text/plain", "blob": "AAEC", "_meta": {"ui": {}}}})
            );
        }
    }
}
