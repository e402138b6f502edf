//! What tools, resources and prompts share: the [`Context`] every handler gets (the
//! caller, variables and secrets, `fetch`, progress, logging, input requests) and the
//! [`Platform`] behind it; the errors ([`ToolError`] for a tool, [`Error`] for a resource
//! or prompt); icons, annotations, the cache hint of a read, and paging. The bottom of
//! the primitives' API: it imports none of them. Each primitive's module re-exports what
//! its authors need (`tools::Context` is this `Context`).

use std::fmt;

use serde_json::{Map, Value};

use crate::protocol::jsonrpc::RpcError;

pub(crate) mod context;
pub(crate) mod input;
pub(crate) mod registry;

pub use context::{
    BoxFuture, Caller, Context, FetchError, FetchRequest, FetchResponse, LogLevel, Platform,
    MAX_FETCH_BYTES,
};
pub use input::{InputKind, InputRequest};
// What a context is made of and hands out, for the docs to show beside it.
pub use crate::auth::Principal;
pub use crate::protocol::version::Version;

/// A failure the caller (usually a model) can correct or report: bad arguments, an unmet
/// condition, an upstream service that failed. The text is shown to the model.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ToolError(pub String);

impl ToolError {
    /// A tool error with this message.
    pub fn new(message: impl Into<String>) -> Self {
        ToolError(message.into())
    }
}

impl fmt::Display for ToolError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ToolError {}

/// The cursor a client sent is not one this server issued.
#[derive(Debug, PartialEq, Eq)]
pub struct InvalidCursor;

/// The items of one page of a list of `len` items, and the cursor of the next page.
/// Cursors are the offset of the next page, as `p<offset>`; opaque to clients, and only
/// offsets this server would issue are accepted (server/utilities/pagination). Every
/// list (`tools/list`, `resources/list`, `resources/templates/list`, `prompts/list`) pages
/// with this one function.
pub(crate) fn page(
    len: usize,
    page_size: usize,
    cursor: Option<&str>,
) -> Result<(std::ops::Range<usize>, Option<String>), InvalidCursor> {
    let start = match cursor {
        None => 0,
        Some(c) => {
            let offset: usize = c
                .strip_prefix('p')
                .filter(|d| !d.is_empty() && d.bytes().all(|b| b.is_ascii_digit()))
                .and_then(|d| d.parse().ok())
                .ok_or(InvalidCursor)?;
            if offset == 0 || page_size == 0 || offset % page_size != 0 || offset >= len {
                return Err(InvalidCursor);
            }
            offset
        }
    };
    let end = (start + page_size).min(len);
    Ok((start..end, (end < len).then(|| format!("p{end}"))))
}

/// The schema's `Role`, `Annotations` and `Icon`: plain protocol values, written by
/// `protocol::wire::lists`.
pub use crate::protocol::wire::lists::{Annotations, Icon, Role};

/// How long a client may keep what a read returned, and whether a shared cache may
/// (2026-07-28 server/utilities/caching). Sent only in 2026-07-28.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CacheHint {
    /// How long a client may keep it, in milliseconds (`ttlMs`); 0: fetch it again every
    /// time.
    pub ttl_ms: u64,
    /// `true`: the same for every caller (`cacheScope: "public"`); `false`: it may depend
    /// on who asks (`"private"`).
    pub public: bool,
}

impl CacheHint {
    /// Fetch again every time; keep it for this caller only. The default for a read.
    pub const NONE: CacheHint = CacheHint {
        ttl_ms: 0,
        public: false,
    };

    /// Kept for `ttl_ms` milliseconds, the same for every caller (`cacheScope: "public"`).
    pub const fn public(ttl_ms: u64) -> Self {
        CacheHint {
            ttl_ms,
            public: true,
        }
    }

    /// Kept for `ttl_ms` milliseconds, for this caller only (`cacheScope: "private"`).
    pub const fn private(ttl_ms: u64) -> Self {
        CacheHint {
            ttl_ms,
            public: false,
        }
    }

    /// The `cacheScope` the hint sends: `"public"` or `"private"`.
    pub fn scope(&self) -> &'static str {
        if self.public {
            "public"
        } else {
            "private"
        }
    }
}

/// Why a resource read or a prompt failed, as the client is told: a JSON-RPC error whose
/// message says what went wrong and what to do. The message is shown to the client: name
/// the problem, never a secret.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Error {
    kind: ErrorKind,
    message: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum ErrorKind {
    NotFound,
    InvalidParams,
    Internal,
}

/// What a resource's or template's `read` returns on failure.
pub type ResourceError = Error;
/// What a prompt's `get` returns on failure.
pub type PromptError = Error;

impl Error {
    /// The work failed (an upstream service, a missing secret): `-32603`.
    pub fn new(message: impl Into<String>) -> Self {
        Error {
            kind: ErrorKind::Internal,
            message: message.into(),
        }
    }

    /// What was asked for does not exist (a template's URI naming nothing): the
    /// revision's "resource not found" error, with this message.
    pub fn not_found(message: impl Into<String>) -> Self {
        Error {
            kind: ErrorKind::NotFound,
            message: message.into(),
        }
    }

    /// The arguments or variables are wrong in a way the caller can fix: `-32602`.
    pub fn invalid(message: impl Into<String>) -> Self {
        Error {
            kind: ErrorKind::InvalidParams,
            message: message.into(),
        }
    }

    /// The message the client is told.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// Whether it says that what was asked for does not exist ([`Error::not_found`]).
    pub fn is_not_found(&self) -> bool {
        self.kind == ErrorKind::NotFound
    }

    /// The JSON-RPC error for a request in `version` about `uri` (for resources).
    pub(crate) fn into_rpc(self, version: Version, uri: Option<&str>) -> RpcError {
        match self.kind {
            ErrorKind::NotFound => resource_not_found(version, uri.unwrap_or(""), self.message),
            ErrorKind::InvalidParams => RpcError::invalid_params(self.message),
            ErrorKind::Internal => RpcError {
                code: crate::protocol::jsonrpc::INTERNAL_ERROR,
                message: self.message,
                data: None,
            },
        }
    }
}

/// "Resource not found" as each revision says it: `-32602` in 2026-07-28 (SEP-2164,
/// server/resources "Error Handling"), `-32002` before (2025-11-25 and earlier
/// server/resources "Error Handling"); the URI in `data` in both, cut to 64 characters
/// as every echo of what a client sent.
pub(crate) fn resource_not_found(version: Version, uri: &str, detail: String) -> RpcError {
    let code = if version >= Version::V2026_07_28 {
        crate::protocol::jsonrpc::INVALID_PARAMS
    } else {
        RESOURCE_NOT_FOUND
    };
    let mut data = Map::new();
    data.insert("uri".into(), crate::protocol::jsonrpc::echo(uri).into());
    RpcError {
        code,
        message: format!("Resource not found: {detail}"),
        data: Some(Value::Object(data)),
    }
}

/// The code earlier revisions give a resource that does not exist.
pub const RESOURCE_NOT_FOUND: i64 = -32002;

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Error {}

/// Lets `?` pass on what context helpers return (`ctx.secret`, `ctx.input`).
impl From<ToolError> for Error {
    fn from(e: ToolError) -> Self {
        Error::new(e.0)
    }
}

/// Cursors the server never issues for 5 items in pages of 2: empty, malformed, not on a
/// page boundary, past the end, too large. Every registry's paging test refuses them all.
#[cfg(test)]
pub(crate) const FOREIGN_CURSORS: &[&str] = &[
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
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_cover_every_item_once_and_refuse_foreign_cursors() {
        assert_eq!(page(5, 2, None), Ok((0..2, Some("p2".into()))));
        assert_eq!(page(5, 2, Some("p4")), Ok((4..5, None)));
        assert_eq!(page(0, 2, None), Ok((0..0, None)));
        for &bad in FOREIGN_CURSORS {
            assert_eq!(page(5, 2, Some(bad)), Err(InvalidCursor), "{bad:?}");
        }
    }

    #[test]
    fn not_found_is_the_code_of_each_revision() {
        let e = Error::not_found("x").into_rpc(Version::V2026_07_28, Some("a://b"));
        assert_eq!(
            (e.code, e.data.unwrap()["uri"].clone()),
            (-32602, "a://b".into())
        );
        let e = Error::not_found("x").into_rpc(Version::V2025_11_25, Some("a://b"));
        assert_eq!(e.code, -32002);
    }

    #[test]
    fn last_modified_only_from_2025_06_18() {
        let a = Annotations {
            audience: &[Role::User],
            priority: Some(0.5),
            last_modified: Some("2025-01-12T15:00:58Z"),
        };
        assert!(a.to_json(Version::V2025_06_18).unwrap()["lastModified"].is_string());
        assert!(a
            .to_json(Version::V2025_03_26)
            .unwrap()
            .get("lastModified")
            .is_none());
        assert_eq!(Annotations::NONE.to_json(Version::V2026_07_28), None);
    }
}
