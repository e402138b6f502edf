//! dice-mcp: a stateless MCP server with a `roll_dice` tool, for Cloudflare Workers, and a
//! base for MCP servers of your own.
//!
//! `src/adapter.rs` is the file that knows workers-rs: it turns a `worker::Request` into
//! an [`http::Request`], hands [`http::handle`] the platform, and turns the answer back.
//! Everything else is plain Rust, tested on the host with `cargo test` (`bindings` names
//! workers-rs's binding types for tools, and `durable` is the Durable Object's face).
//!
//! # Layers
//!
//! A module imports only the ones below it. From the bottom:
//! 1. `protocol`: the JSON-RPC envelope and codes, the revisions, MCP's header rules.
//! 2. The primitives' API: `tools`, `resources`, `prompts`, `completion`, `primitives`
//!    (what they share), `apps`, `skills`, `tasks` (the task record, the task object).
//! 3. The server, `mcp`: capabilities, dispatch, streaming, input rounds, `tasks/*`.
//! 4. `auth`, `config`, `ratelimit` and `log`, composed with the server by `http`, the
//!    pipeline.
//! 5. `adapter` and `durable`, the workers-rs faces; `bindings`, a tool's typed way to
//!    the worker's bindings; `testing`, the host helpers.
//!
//! What still points upward, and why (docs/layout.md says more):
//! - A registry points at the server code that serves it: `resources::Registry`,
//!   `prompts::Registry` and `skills::Skills` hold a reference to `mcp`'s methods for
//!   them, set by their `new` and absent from `EMPTY` and `NONE`. A server that registers
//!   none of them links none of that code: a deliberate size trade (the dice server has
//!   one resource, no prompt and no skill).
//! - `tools::Context` holds the caller as an `auth::Principal`, a plain value; `auth`
//!   imports only `protocol`, so this makes no circle.
//! - Within the primitives' API, `tools` uses `primitives` and `tasks`, and both use it
//!   back (errors and paging; task support and the tool's context). Not mended yet.

// Lets a tool file say `use dice_mcp::tools::…` whether it is compiled in this crate or in
// one built on it (the docs' example tools are compiled in both ways).
extern crate self as dice_mcp;

pub mod apps;
pub mod auth;
pub mod bindings;
pub mod completion;
pub mod config;
pub mod http;
pub mod log;
pub mod mcp;
pub mod primitives;
pub mod prompts;
pub mod protocol;
pub mod ratelimit;
pub mod resources;
pub mod skills;
pub mod tasks;
pub mod tools;

#[cfg(target_arch = "wasm32")]
pub mod adapter;
#[cfg(target_arch = "wasm32")]
pub mod durable;
#[cfg(not(target_arch = "wasm32"))]
pub mod testing;

/// The product: the dice server and its tools (`tools::REGISTRY`).
pub static SERVER: mcp::Server = mcp::Server {
    name: "dice-mcp",
    title: "Dice Roller",
    version: env!("CARGO_PKG_VERSION"),
    instructions: "Call roll_dice with n_dice (1 to 100) to roll fair six-sided dice; the results come back as a list of integers.",
    tools: &tools::REGISTRY,
    // roll_dice's view (MCP Apps) is the one resource.
    resources: &resources::Registry::new(&[&tools::dice::VIEW], &[]),
    skills: &skills::NONE,
    prompts: &prompts::Registry::EMPTY,
    // roll_dice sends no log messages.
    logging: false,
    // roll_dice answers at once.
    tasks: None,
};

/// The product's worker entry. A crate that builds its own server from this one (the
/// conformance fixture worker) turns the `entry` feature off and calls
/// [`adapter::serve`] from an entry of its own.
#[cfg(all(target_arch = "wasm32", feature = "entry"))]
#[worker::event(fetch)]
async fn fetch(
    req: worker::Request,
    env: worker::Env,
    _ctx: worker::Context,
) -> worker::Result<worker::Response> {
    adapter::serve(&SERVER, req, env).await
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_product_server_is_valid_and_serves_roll_dice_s_view() {
        super::SERVER.assert_valid();
    }
}
