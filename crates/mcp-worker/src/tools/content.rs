//! What a tool returns: content blocks and structured content. How each is written for
//! the revision a request speaks is `protocol::wire::content`'s (a block a revision lacks
//! becomes a text block that says what it was).

use base64ct::{Base64, Encoding};
use serde::Serialize;
use serde_json::Value;

use super::args::Schema;
use super::ToolError;
use crate::protocol::version::Version;
use crate::protocol::wire::content::{self as wire, AsBlock, AsContents, Block, Shaped};
use crate::protocol::wire::{self as protocol_wire, Object, Shape};

/// One content block of a tool result.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum Content {
    /// A text block.
    Text(String),
    /// Base64 data and its MIME type, e.g. `image/png`.
    Image {
        /// The image, base64-encoded.
        data: String,
        /// Its MIME type.
        mime_type: String,
    },
    /// Base64 data and its MIME type, e.g. `audio/wav`.
    Audio {
        /// The audio, base64-encoded.
        data: String,
        /// Its MIME type.
        mime_type: String,
    },
    /// A resource's contents carried in the result.
    Resource(ResourceContents),
    /// A pointer to a resource the client may read or fetch.
    ResourceLink(ResourceLink),
}

/// The contents of a resource: text or base64 bytes, with its URI and MIME type. What
/// `resources/read` returns, and what an embedded resource block carries.
#[derive(Clone, Debug, PartialEq)]
pub struct ResourceContents {
    /// The resource's URI.
    pub uri: String,
    /// Its MIME type, if known.
    pub mime_type: Option<String>,
    /// Its text or base64 bytes.
    pub body: ResourceBody,
    /// `_meta` of the contents (MCP Apps put `ui` here, for example).
    pub meta: Option<Value>,
}

impl ResourceContents {
    /// Text contents.
    pub fn text(uri: impl Into<String>, mime_type: Option<&str>, text: impl Into<String>) -> Self {
        ResourceContents {
            uri: uri.into(),
            mime_type: mime_type.map(str::to_owned),
            body: ResourceBody::Text(text.into()),
            meta: None,
        }
    }

    /// Binary contents from their bytes (encoded here).
    pub fn blob(uri: impl Into<String>, mime_type: Option<&str>, bytes: &[u8]) -> Self {
        ResourceContents {
            uri: uri.into(),
            mime_type: mime_type.map(str::to_owned),
            body: ResourceBody::Blob(Base64::encode_string(bytes)),
            meta: None,
        }
    }

    /// Sets the contents' `_meta`.
    pub fn with_meta(mut self, meta: Value) -> Self {
        self.meta = Some(meta);
        self
    }

    /// `TextResourceContents` or `BlobResourceContents`, the same in every revision.
    pub fn into_json(self) -> Value {
        serde_json::to_value(self.wire()).unwrap_or_default()
    }

    /// The contents as the wire writes them, borrowed.
    pub fn wire(&self) -> wire::Contents<'_> {
        self.contents()
    }
}

impl AsContents for ResourceContents {
    fn contents(&self) -> wire::Contents<'_> {
        wire::Contents {
            uri: &self.uri,
            mime_type: self.mime_type.as_deref(),
            body: match &self.body {
                ResourceBody::Text(t) => wire::Body::Text(t),
                ResourceBody::Blob(b) => wire::Body::Blob(b),
            },
            meta: self.meta.as_ref(),
        }
    }
}

/// The body of [`ResourceContents`]: `text`, or bytes as a base64 `blob`.
#[derive(Clone, Debug, PartialEq)]
pub enum ResourceBody {
    /// Text, sent as `text`.
    Text(String),
    /// Base64.
    Blob(String),
}

/// A resource link (2025-06-18 `ResourceLink`).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ResourceLink {
    /// The linked resource's URI.
    pub uri: String,
    /// The name clients show.
    pub name: String,
    /// A human-readable name, if any.
    pub title: Option<String>,
    /// A description of the resource, if any.
    pub description: Option<String>,
    /// Its MIME type, if known.
    pub mime_type: Option<String>,
}

impl Content {
    /// A text block.
    pub fn text(text: impl Into<String>) -> Self {
        Content::Text(text.into())
    }

    /// An image from its bytes (encoded here).
    pub fn image(bytes: &[u8], mime_type: impl Into<String>) -> Self {
        Content::Image {
            data: Base64::encode_string(bytes),
            mime_type: mime_type.into(),
        }
    }

    /// An image already encoded in base64.
    pub fn image_base64(data: impl Into<String>, mime_type: impl Into<String>) -> Self {
        Content::Image {
            data: data.into(),
            mime_type: mime_type.into(),
        }
    }

    /// Audio from its bytes (encoded here).
    pub fn audio(bytes: &[u8], mime_type: impl Into<String>) -> Self {
        Content::Audio {
            data: Base64::encode_string(bytes),
            mime_type: mime_type.into(),
        }
    }

    /// Audio already encoded in base64.
    pub fn audio_base64(data: impl Into<String>, mime_type: impl Into<String>) -> Self {
        Content::Audio {
            data: data.into(),
            mime_type: mime_type.into(),
        }
    }

    /// An embedded text resource.
    pub fn resource_text(
        uri: impl Into<String>,
        mime_type: impl Into<String>,
        text: impl Into<String>,
    ) -> Self {
        Content::Resource(ResourceContents::text(uri, Some(&mime_type.into()), text))
    }

    /// An embedded binary resource from its bytes (encoded here).
    pub fn resource_blob(
        uri: impl Into<String>,
        mime_type: impl Into<String>,
        bytes: &[u8],
    ) -> Self {
        Content::Resource(ResourceContents::blob(uri, Some(&mime_type.into()), bytes))
    }

    /// A link to a resource, with the name clients show for it.
    pub fn resource_link(uri: impl Into<String>, name: impl Into<String>) -> Self {
        Content::ResourceLink(ResourceLink {
            uri: uri.into(),
            name: name.into(),
            ..ResourceLink::default()
        })
    }

    /// The block as `version` defines it, or the text block that stands in for it.
    pub fn to_json(&self, version: Version) -> Value {
        serde_json::to_value(Shaped(self.block(), version)).unwrap_or_default()
    }

    /// As [`Content::to_json`].
    pub fn into_json(self, version: Version) -> Value {
        self.to_json(version)
    }
}

impl AsBlock for Content {
    fn block(&self) -> Block<'_> {
        match self {
            Content::Text(text) => Block::Text(text),
            Content::Image { data, mime_type } => Block::Image { data, mime_type },
            Content::Audio { data, mime_type } => Block::Audio { data, mime_type },
            Content::Resource(r) => Block::Resource(r.wire()),
            Content::ResourceLink(link) => Block::Link {
                uri: &link.uri,
                name: &link.name,
                title: link.title.as_deref(),
                description: link.description.as_deref(),
                mime_type: link.mime_type.as_deref(),
            },
        }
    }
}

/// A whole tool result.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct CallResult {
    /// The content blocks (`content`).
    pub content: Vec<Content>,
    /// The structured result (2025-06-18 `structuredContent`), matching the tool's
    /// output schema.
    pub structured: Option<Value>,
    /// The tool failed in a way the model can read and act on.
    pub is_error: bool,
}

impl CallResult {
    /// A result of these blocks.
    pub fn new(content: Vec<Content>) -> Self {
        CallResult {
            content,
            ..Self::default()
        }
    }

    /// A result of one text block.
    pub fn text(text: impl Into<String>) -> Self {
        Self::new(vec![Content::text(text)])
    }

    /// A structured result and, for clients that read only content, its JSON as text
    /// (2025-06-18 server/tools "Structured Content").
    pub fn structured(value: Value) -> Self {
        let mut text = Vec::with_capacity(64);
        protocol_wire::write_value(&mut text, &value);
        CallResult {
            // `write_value` writes only UTF-8.
            content: vec![Content::Text(String::from_utf8(text).unwrap_or_default())],
            structured: Some(value),
            is_error: false,
        }
    }

    /// Adds a block.
    pub fn with(mut self, block: Content) -> Self {
        self.content.push(block);
        self
    }

    /// A tool error (`isError: true`) whose one text block is `message`.
    pub fn error(message: impl Into<String>) -> Self {
        CallResult {
            is_error: true,
            ..Self::text(message)
        }
    }

    /// The `CallToolResult` for `version`, as JSON (a task keeps its result so).
    pub fn to_json(&self, version: Version) -> Value {
        protocol_wire::to_value(self, version)
    }

    /// As [`CallResult::to_json`].
    pub fn into_json(self, version: Version) -> Value {
        self.to_json(version)
    }
}

/// Written straight into the answer by `protocol::wire::content::call_tool_result`.
impl Shape for CallResult {
    fn members(&self, out: &mut Object<'_>) {
        wire::call_tool_result(out, &self.content, self.structured.as_ref(), self.is_error);
    }

    fn is_tool_error(&self) -> bool {
        self.is_error
    }
}

impl From<ToolError> for CallResult {
    fn from(e: ToolError) -> Self {
        CallResult::error(e.0)
    }
}

/// What a tool's handler may return.
pub trait IntoCallResult {
    /// The result to send.
    fn into_call_result(self) -> CallResult;
    /// The JSON Schema of `structuredContent`, when the result has one.
    fn output_schema() -> Option<Value> {
        None
    }
}

impl IntoCallResult for CallResult {
    fn into_call_result(self) -> CallResult {
        self
    }
}

impl IntoCallResult for Content {
    fn into_call_result(self) -> CallResult {
        CallResult::new(vec![self])
    }
}

impl IntoCallResult for Vec<Content> {
    fn into_call_result(self) -> CallResult {
        CallResult::new(self)
    }
}

impl IntoCallResult for String {
    fn into_call_result(self) -> CallResult {
        CallResult::text(self)
    }
}

impl IntoCallResult for &'static str {
    fn into_call_result(self) -> CallResult {
        CallResult::text(self)
    }
}

/// A structured result: `T` serialised as `structuredContent` (and as text), with `T`'s
/// schema published as the tool's `outputSchema`.
#[derive(Clone, Debug, PartialEq)]
pub struct Json<T>(pub T);

impl<T: Serialize + Schema> IntoCallResult for Json<T> {
    fn into_call_result(self) -> CallResult {
        match serde_json::to_value(&self.0) {
            Ok(value) => CallResult::structured(value),
            // Only a map with non-string keys fails here: a bug in the tool, not the
            // caller's doing.
            Err(e) => CallResult::error(format!("The tool built a result it cannot send: {e}")),
        }
    }

    fn output_schema() -> Option<Value> {
        Some(T::schema())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn blocks_a_revision_lacks_become_text() {
        let audio = Content::audio(b"RIFF", "audio/wav");
        assert_eq!(audio.to_json(Version::V2025_03_26)["type"], "audio");
        let old = audio.to_json(Version::V2024_11_05);
        assert_eq!(old["type"], "text");
        assert!(old["text"].as_str().unwrap().contains("audio/wav"));

        let link = Content::resource_link("https://x.example/a.txt", "a.txt");
        assert_eq!(link.to_json(Version::V2025_06_18)["type"], "resource_link");
        let old = link.to_json(Version::V2025_03_26);
        assert_eq!(old["text"], "Resource: a.txt <https://x.example/a.txt>");
    }

    #[test]
    fn structured_content_only_from_2025_06_18_but_the_text_copy_always() {
        let r = CallResult::structured(json!({"result": [1, 2]}));
        let new = r.to_json(Version::V2025_06_18);
        assert_eq!(new["structuredContent"], json!({"result": [1, 2]}));
        assert_eq!(new["content"][0]["text"], r#"{"result":[1,2]}"#);
        let old = r.to_json(Version::V2025_03_26);
        assert!(old.get("structuredContent").is_none());
        assert_eq!(old["content"][0]["text"], r#"{"result":[1,2]}"#);
    }

    #[test]
    fn embedded_resources_carry_text_or_blob() {
        let t =
            Content::resource_text("test://r", "text/plain", "hi").to_json(Version::V2024_11_05);
        assert_eq!(
            t,
            json!({"type": "resource", "resource": {"uri": "test://r", "mimeType": "text/plain", "text": "hi"}})
        );
        let b = Content::resource_blob("test://b", "application/octet-stream", &[0, 1, 2])
            .to_json(Version::V2025_11_25);
        assert_eq!(b["resource"]["blob"], "AAEC");
    }
}
