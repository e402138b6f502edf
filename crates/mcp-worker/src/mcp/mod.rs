//! The server: what it offers ([`Server`]), and MCP over JSON-RPC for one POST body
//! (the library's own `post`): parse, decide the protocol revision, dispatch, answer.
//!
//! Nothing here knows HTTP beyond the three request headers MCP mirrors from the body; the
//! transport layer (`crate::http`) turns a POST's outcome into a status code and a body.

mod completion;
pub(crate) mod primitive_methods;
mod prompts;
mod resources;
mod server;
pub(crate) mod skills;
pub(crate) mod state;
// The worker's adapter (wasm32) reads a stream; on the host, only tests do.
#[cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]
pub(crate) mod stream;
mod tasks;

// Public only with the `unstable` feature (see the crate root).
#[cfg(feature = "unstable")]
#[doc(hidden)]
pub mod envelope;
#[cfg(not(feature = "unstable"))]
#[cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]
pub(crate) mod envelope;
#[cfg(feature = "unstable")]
#[doc(hidden)]
pub mod methods;
#[cfg(not(feature = "unstable"))]
#[cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]
pub(crate) mod methods;
#[cfg(feature = "unstable")]
#[doc(hidden)]
pub mod post;
#[cfg(not(feature = "unstable"))]
#[cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]
pub(crate) mod post;

// Named as `oauth::AuthorizationServer`, beside the rest of the authorization server.
#[cfg(feature = "oauth")]
#[doc(hidden)]
pub use server::AuthorizationServer;
pub use server::Server;

// What the rest of the library names from one POST's answer.
pub(crate) use post::{MissingScopes, PostOutcome, Request};
