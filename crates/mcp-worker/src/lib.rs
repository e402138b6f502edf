//! mcp-worker: stateless Model Context Protocol servers for Cloudflare Workers, in Rust.
//!
//! # Writing a server
//!
//! A tool, a resource or a prompt is a type in one file, registered in one line; the core
//! does listing, paging, argument checks, revision shaping, scope challenges and errors
//! for all of them. What an author uses:
//!
//! - [`tools`]: the [`Tool`](tools::Tool) trait, [`ToolError`](tools::ToolError), typed
//!   arguments ([`Schema`](tools::Schema)), results ([`Json`](tools::Json),
//!   [`Content`](tools::Content)), the [`Registry`](tools::Registry); a tool's
//!   [`TaskSupport`](tools::TaskSupport) for calls that outlive the request (docs/tasks.md).
//! - [`resources`] and [`prompts`]: the [`Resource`](resources::Resource),
//!   [`ResourceTemplate`](resources::ResourceTemplate) and [`Prompt`](prompts::Prompt)
//!   traits and their registries; [`completion`] for their arguments and variables.
//! - [`primitives`]: what every handler gets and shares: the
//!   [`Context`](primitives::Context) (the caller, variables and secrets, `fetch`,
//!   progress, logging, input requests), errors, icons, cache hints. Each primitive's
//!   module re-exports what it needs (`tools::Context` is this `Context`).
//! - [`apps`] (MCP Apps views) and [`skills`] (Agent Skills, SEP-2640).
//! - [`mcp::Server`]: a server's name, instructions and registries, built in a `static`.
//! - [`tasks`]: where a server keeps tool calls that outlive the request
//!   ([`TaskStore`](tasks::TaskStore); docs/tasks.md).
//! - [`bindings`]: the worker's bindings, typed, as methods of the `Context`
//!   (`ctx.kv("NOTES")?`, `ctx.d1(…)`, `ctx.bucket(…)`, `ctx.durable_object(…)`,
//!   `ctx.service(…)`, `ctx.env()`); on the host they answer an error naming the binding.
//! - [`vars`]: the names of the worker variables and secrets the library reads.
//! - In the worker (wasm32, so not on this host-built page): `adapter::serve` answers a
//!   request for a `Server` (for a worker entry of your own), and `durable::Binding` with
//!   `task_object!` keep tasks in a Durable Object.
//! - `testing` (on the host only, so not on a wasm32-built page): helpers to run a tool,
//!   resource or prompt in `cargo test`, and a `testing::Client` that calls a whole
//!   server (docs/testing.md).
//! - [`alloc`]: an allocator for a worker's many small, short-lived blocks, which an app
//!   may install as its `#[global_allocator]`.
//!
//! The other modules (`protocol`, `auth`, `config`, `ratelimit`, `log`, `http`, and a
//! few inside the ones above) are the library's own: crate-private, and public (hidden
//! from these docs) only with the `unstable` feature, which this repository's host tests,
//! benchmarks and fuzz targets turn on. They change in any release. An app never needs
//! the feature.
//!
//! `adapter` is the module that knows workers-rs: it turns the runtime's request into the
//! pipeline's, hands the pipeline the platform, and turns the answer back. Everything else
//! is plain Rust, tested on the host with `cargo test` (`bindings` names workers-rs's
//! binding types for tools, and `durable` is the Durable Object's face).
//!
//! # Layers
//!
//! A module imports only the ones below it. From the bottom:
//! 0. `alloc`: the worker's allocator, which imports nothing of the crate.
//! 1. `protocol`: the JSON-RPC envelope and codes, the revisions, MCP's header rules.
//! 2. The primitives' API, in this order: `primitives` (what they all share: the
//!    handler's context, input requests, errors, paging), `apps`, `completion`, `tools`,
//!    `resources`, `prompts`, `skills`, `tasks` (the task record, the task object).
//! 3. The server, `mcp`: capabilities, dispatch, streaming, input rounds, `tasks/*`.
//! 4. `auth`, `config`, `ratelimit` and `log`, composed with the server by `http`, the
//!    pipeline.
//! 5. `adapter` and `durable`, the workers-rs faces; `bindings`, a tool's typed way to
//!    the worker's bindings; `testing`, the host helpers.
//!
//! `tests/layers.rs` holds this order and fails on a use that points up. What still
//! points upward, and why (docs/layout.md says more):
//! - A registry points at the server code that serves it: `resources::Registry`,
//!   `prompts::Registry` and `skills::Skills` hold a reference to `mcp`'s methods for
//!   them, set by their `new` and absent from `EMPTY` and `NONE`. A server that registers
//!   none of them links none of that code: a deliberate size trade.
//! - The context holds the caller as an `auth::Principal`, a plain value; `auth`
//!   imports only `protocol`, so this makes no circle.

#![deny(missing_docs)]

// Lets the crate's own macros and doc examples name it `mcp_worker` from inside too.
extern crate self as mcp_worker;

/// Declares the worker's fetch handler: every request goes to `$server`, a `static`
/// [`mcp::Server`]. One line in an app's `lib.rs`:
///
/// ```ignore
/// mcp_worker::entry!(SERVER);
/// ```
///
/// It expands to workers-rs's `#[event(fetch)]` on wasm32 (so the app depends on
/// `worker` too) and to nothing on the host, where `cargo test` runs. It hands the
/// runtime's own request to the server and its answer back, without workers-rs's
/// `Request` and `Response` wrappers (which would copy the head and the answer once more).
#[macro_export]
macro_rules! entry {
    ($server:path) => {
        #[cfg(target_arch = "wasm32")]
        #[::worker::event(fetch)]
        async fn fetch(
            req: ::worker::web_sys::Request,
            env: ::worker::Env,
            _ctx: ::worker::Context,
        ) -> ::worker::Result<::worker::web_sys::Response> {
            $crate::adapter::serve(&$server, req, env).await
        }
    };
}

// The author's API, documented.
pub mod alloc;
pub mod apps;
pub mod bindings;
pub mod completion;
pub mod mcp;
pub mod primitives;
pub mod prompts;
pub mod resources;
pub mod skills;
pub mod tasks;
pub mod tools;
pub mod vars;

#[cfg(target_arch = "wasm32")]
pub mod adapter;
#[cfg(target_arch = "wasm32")]
pub mod durable;
#[cfg(not(target_arch = "wasm32"))]
pub mod testing;

// The library's own modules (docs/layout.md "What is public"): crate-private, and public
// (hidden from the docs) only with the `unstable` feature, which this repository's host
// tests, benchmarks and fuzz targets turn on; an app that turns it on builds on what any
// release may change. Each is declared twice, once per case, so that rustfmt (which
// follows `mod` items, not macros) formats it. On the host, what only the worker's
// adapter uses looks dead without the feature; the wasm32 lint sees every use.
#[cfg(feature = "unstable")]
#[doc(hidden)]
pub mod auth;
#[cfg(not(feature = "unstable"))]
#[cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]
pub(crate) mod auth;
#[cfg(feature = "unstable")]
#[doc(hidden)]
pub mod config;
#[cfg(not(feature = "unstable"))]
#[cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]
pub(crate) mod config;
#[cfg(feature = "unstable")]
#[doc(hidden)]
pub mod http;
#[cfg(not(feature = "unstable"))]
#[cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]
pub(crate) mod http;
#[cfg(feature = "unstable")]
#[doc(hidden)]
pub mod log;
#[cfg(not(feature = "unstable"))]
#[cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]
pub(crate) mod log;
#[cfg(feature = "unstable")]
#[doc(hidden)]
pub mod protocol;
#[cfg(not(feature = "unstable"))]
#[cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]
pub(crate) mod protocol;
#[cfg(feature = "unstable")]
#[doc(hidden)]
pub mod ratelimit;
#[cfg(not(feature = "unstable"))]
#[cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]
pub(crate) mod ratelimit;

#[cfg(feature = "oauth")]
pub mod oauth;
