//! Tasks: tool calls that outlive the request (the `io.modelcontextprotocol/tasks`
//! extension, SEP-2663, on protocol 2026-07-28).
//!
//! A task-supporting tool called by a client that declares the extension is answered
//! `resultType: "task"` with a handle; the work runs elsewhere (on Workers, in a Durable
//! Object, see `src/durable.rs`) and the client polls `tasks/get`, answers input with
//! `tasks/update` and stops it with `tasks/cancel`.
//!
//! A server names where its tasks are kept with [`Server::tasks`](crate::mcp::Server::tasks):
//! a [`TaskStore`]. On Workers that is a Durable Object namespace
//! (`mcp_worker::durable::Binding`, with `task_object!` declaring the class); in host
//! tests, memory (`mcp_worker::testing::MemoryTasks`). Everything else (the task record,
//! the object's logic, the extension's methods) is the library's own, plain Rust tested
//! on the host.

// Public only with the `unstable` feature (see the crate root).
#[cfg(feature = "unstable")]
#[doc(hidden)]
pub mod object;
#[cfg(not(feature = "unstable"))]
#[cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]
pub(crate) mod object;
#[cfg(feature = "unstable")]
#[doc(hidden)]
pub mod record;
#[cfg(not(feature = "unstable"))]
#[cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]
pub(crate) mod record;

use std::rc::Rc;

use serde_json::Value;

use crate::primitives::{BoxFuture, Platform};
pub use crate::tools::TaskSupport;

/// The extension's identifier (SEP-2663 "Extension Identifier").
pub const EXTENSION: &str = "io.modelcontextprotocol/tasks";

/// The polling interval suggested to clients (`pollIntervalMs`): 5 s, as in SEP-2663's
/// examples. Each `tasks/get` is a Durable Object request the operator pays for, and
/// tasks are for work that takes minutes; docs/tasks.md "Cost per task" counts with it.
pub const POLL_INTERVAL_MS: u64 = 5_000;
/// A run that did not finish this many times (the object was evicted, hit its wall-time
/// limit or crashed) fails the task instead of starting again.
pub const MAX_RUNS: u32 = 3;

/// Only this crate's stores implement the traits below: the messages they carry and the
/// object at the other end are the library's own.
pub(crate) mod sealed {
    pub trait Sealed {}
}

/// Where a server keeps its tasks: a way to reach, for one request, the object that
/// keeps each task. The stores are the library's: `mcp_worker::durable::Binding` in the
/// worker, and `mcp_worker::testing::MemoryTasks` in host tests.
pub trait TaskStore: sealed::Sealed + Sync {
    /// The binding's name, for the operator's messages.
    fn binding(&self) -> &'static str;
    /// The channel to the tasks for this request, or `None` when the binding is not
    /// configured (the extension is then not offered).
    fn open(&self, platform: &Rc<dyn Platform>) -> Option<Rc<dyn TaskChannel>>;
}

/// One request's way to the objects that keep its tasks (what a [`TaskStore`] opens).
pub trait TaskChannel: sealed::Sealed {
    /// Sends `message` to the object that keeps task `task_id` and returns its answer.
    /// The messages are the library's own; a channel carries them as they are. Errors
    /// are for the operator's log, never the client.
    fn send<'a>(&'a self, task_id: &'a str, message: Value)
        -> BoxFuture<'a, Result<Value, String>>;
}
