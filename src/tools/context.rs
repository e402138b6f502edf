//! What a tool sees besides its arguments: who is calling, the worker's variables and
//! secrets, and outbound HTTP.
//!
//! The platform behind a [`Context`] is a trait, so the same tool runs in the worker (the
//! adapter in `src/adapter.rs` implements it with workers-rs) and in a host unit test
//! ([`crate::testing::TestPlatform`]). Bindings that only exist in a worker (KV, D1, R2,
//! service bindings) are reached through `dice_mcp::adapter::WorkerEnv::env` on wasm32.

use std::any::Any;
use std::fmt;
use std::future::Future;
use std::pin::Pin;

use serde::de::DeserializeOwned;

use crate::auth::Principal;
use crate::mcp::version::Version;

/// A boxed future that need not be `Send`: a worker's futures hold JavaScript values.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + 'a>>;

/// Who made the request: the verified token's subject, scopes and claims.
pub type Caller = Principal;

/// The outside world, as the runtime provides it.
pub trait Platform {
    /// A variable or secret of the worker (`[vars]`, `wrangler secret put`, `.dev.vars`).
    fn var(&self, name: &str) -> Option<String>;
    /// Sends an HTTP request and reads the whole answer.
    fn fetch<'a>(
        &'a self,
        request: FetchRequest,
    ) -> BoxFuture<'a, Result<FetchResponse, FetchError>>;
    /// The concrete platform, for adapters that offer more than this trait (the worker's
    /// bindings).
    fn as_any(&self) -> &dyn Any;
}

/// Everything a tool's handler gets besides its arguments.
pub struct Context<'a> {
    caller: Option<&'a Caller>,
    platform: &'a dyn Platform,
    version: Version,
}

impl<'a> Context<'a> {
    pub fn new(caller: Option<&'a Caller>, platform: &'a dyn Platform, version: Version) -> Self {
        Context {
            caller,
            platform,
            version,
        }
    }

    /// The verified caller; `None` when the server runs without authentication
    /// (`ALLOW_UNAUTHENTICATED=true`).
    pub fn caller(&self) -> Option<&'a Caller> {
        self.caller
    }

    /// A variable or secret of the worker; `None` when unset or blank.
    pub fn var(&self, name: &str) -> Option<String> {
        self.platform.var(name).filter(|v| !v.trim().is_empty())
    }

    /// A secret the tool cannot work without: a tool error naming it when it is unset,
    /// so the operator learns which `wrangler secret put` is missing.
    pub fn secret(&self, name: &str) -> Result<String, super::ToolError> {
        self.var(name).ok_or_else(|| {
            super::ToolError::new(format!(
                "This tool is not configured: the server has no {name} secret. The operator sets it with `wrangler secret put {name}`."
            ))
        })
    }

    /// Sends an HTTP request from the worker and reads the answer (at most
    /// [`MAX_FETCH_BYTES`]).
    pub async fn fetch(&self, request: FetchRequest) -> Result<FetchResponse, FetchError> {
        self.platform.fetch(request).await
    }

    /// The protocol revision the request speaks.
    pub fn protocol_version(&self) -> &'static str {
        self.version.as_str()
    }

    /// The platform itself, for adapters' extension traits.
    pub fn platform(&self) -> &'a dyn Platform {
        self.platform
    }
}

/// The largest answer body [`Context::fetch`] reads (8 MiB).
pub const MAX_FETCH_BYTES: usize = 8 << 20;

/// An outbound HTTP request.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FetchRequest {
    pub method: String,
    pub url: String,
    pub headers: Vec<(String, String)>,
    pub body: Option<Vec<u8>>,
}

impl FetchRequest {
    pub fn get(url: impl Into<String>) -> Self {
        FetchRequest {
            method: "GET".into(),
            url: url.into(),
            ..Self::default()
        }
    }

    /// A POST with a JSON body.
    pub fn post_json(url: impl Into<String>, body: &serde_json::Value) -> Self {
        FetchRequest {
            method: "POST".into(),
            url: url.into(),
            headers: vec![("content-type".into(), "application/json".into())],
            body: Some(body.to_string().into_bytes()),
        }
    }

    pub fn header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.headers.push((name.into(), value.into()));
        self
    }
}

/// The answer to a [`FetchRequest`].
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FetchResponse {
    pub status: u16,
    /// Header names in lower case.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl FetchResponse {
    pub fn header(&self, name: &str) -> Option<&str> {
        crate::http::find_header(&self.headers, name)
    }

    /// The body as text (invalid UTF-8 replaced).
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// The body parsed as JSON.
    pub fn json<T: DeserializeOwned>(&self) -> Result<T, FetchError> {
        serde_json::from_slice(&self.body)
            .map_err(|e| FetchError(format!("the answer is not the JSON expected: {e}")))
    }
}

/// Why an outbound request failed (the network, a refused URL, a body over the limit).
/// The message is safe to show the model: it names the problem, not secrets.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FetchError(pub String);

impl fmt::Display for FetchError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for FetchError {}

impl From<FetchError> for super::ToolError {
    fn from(e: FetchError) -> Self {
        super::ToolError::new(format!("An outbound request failed: {e}"))
    }
}
