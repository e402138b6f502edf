//! The worker's bindings, typed, as methods of a tool's [`Context`]: `ctx.kv("NOTES")?`,
//! `ctx.d1(…)`, `ctx.bucket(…)`, `ctx.durable_object(…)`, `ctx.service(…)`, and
//! `ctx.env()` (workers-rs's `Env`) for any other kind. Each answers workers-rs's own
//! type, so its documentation applies as is (worker 0.8.7 here).
//!
//! A missing binding is a tool error that names it and the `wrangler.toml` section that
//! declares it, also written to the operator's console. On the host, where `cargo test`
//! runs, the platform has no bindings: the same methods compile there and answer an error
//! saying so, so a tool that uses bindings needs no stand-in to be tested up to them.
//! Besides `adapter` and `durable.rs`, the one file that names workers-rs.

use worker::{Bucket, D1Database, Env, Fetcher, KvStore, ObjectNamespace};

use crate::primitives::Error;
use crate::tools::{Context, ToolError};

/// A kind of binding: what the model and the operator are told it is, and where
/// `wrangler.toml` declares it (with its key for the binding's name).
struct Kind {
    what: &'static str,
    section: &'static str,
    key: &'static str,
}

const KV: Kind = Kind {
    what: "Workers KV namespace",
    section: "[[kv_namespaces]]",
    key: "binding",
};
const D1: Kind = Kind {
    what: "D1 database",
    section: "[[d1_databases]]",
    key: "binding",
};
const R2: Kind = Kind {
    what: "R2 bucket",
    section: "[[r2_buckets]]",
    key: "binding",
};
const DURABLE_OBJECT: Kind = Kind {
    what: "Durable Object namespace",
    section: "[[durable_objects.bindings]]",
    key: "name",
};
const SERVICE: Kind = Kind {
    what: "service binding",
    section: "[[services]]",
    key: "binding",
};

impl Context {
    /// The worker's `Env`, for bindings without a method here (queues, AI, Hyperdrive…):
    /// `ctx.env()?.queue("JOBS")?`.
    pub fn env(&self) -> Result<&Env, ToolError> {
        self.platform().env().ok_or_else(|| {
            ToolError::new(
                "The worker's bindings are not available here: only the worker has them (this platform, a host test's, has none).",
            )
        })
    }

    /// The Workers KV namespace bound as `name` (`[[kv_namespaces]]`).
    pub fn kv(&self, name: &str) -> Result<KvStore, ToolError> {
        self.binding(name, &KV, |env| env.kv(name))
    }

    /// The D1 database bound as `name` (`[[d1_databases]]`).
    pub fn d1(&self, name: &str) -> Result<D1Database, ToolError> {
        self.binding(name, &D1, |env| env.d1(name))
    }

    /// The R2 bucket bound as `name` (`[[r2_buckets]]`).
    pub fn bucket(&self, name: &str) -> Result<Bucket, ToolError> {
        self.binding(name, &R2, |env| env.bucket(name))
    }

    /// The Durable Object namespace bound as `name` (`[[durable_objects.bindings]]`).
    pub fn durable_object(&self, name: &str) -> Result<ObjectNamespace, ToolError> {
        self.binding(name, &DURABLE_OBJECT, |env| env.durable_object(name))
    }

    /// The worker bound as `name` (`[[services]]`): `fetch` it like any origin.
    pub fn service(&self, name: &str) -> Result<Fetcher, ToolError> {
        self.binding(name, &SERVICE, |env| env.service(name))
    }

    fn binding<T>(
        &self,
        name: &str,
        kind: &Kind,
        get: impl FnOnce(&Env) -> worker::Result<T>,
    ) -> Result<T, ToolError> {
        let Some(env) = self.platform().env() else {
            return Err(ToolError::new(format!(
                "This tool needs the {} {name}, and only the worker has bindings (this platform, a host test's, has none).",
                kind.what
            )));
        };
        // workers-rs says "undefined" or names the type it found; either way the fix is
        // the same declaration.
        get(env).map_err(|_| {
            let fix = format!(
                "This tool needs the {} {name}, which this worker does not have: the operator declares it in wrangler.toml under {} with {} = \"{name}\".",
                kind.what, kind.section, kind.key
            );
            #[cfg(target_arch = "wasm32")]
            worker::console_error!("{}: {fix}", crate::adapter::log_name());
            ToolError::new(fix)
        })
    }
}

/// Errors from workers-rs (a failed D1 query or R2 read) as the model sees them, so that
/// `?` works on them in a tool.
impl From<worker::Error> for ToolError {
    fn from(e: worker::Error) -> Self {
        // The runtime's words may name tables, keys or URLs: they go to the operator's
        // log, and the model learns where to look.
        #[cfg(target_arch = "wasm32")]
        worker::console_error!(
            "{}: a tool's platform call failed: {e}",
            crate::adapter::log_name()
        );
        #[cfg(not(target_arch = "wasm32"))]
        eprintln!("a tool's platform call failed: {e}");
        ToolError::new("The platform refused the operation; the server's log has the details.")
    }
}

/// Workers KV has an error type of its own.
impl From<worker::KvError> for ToolError {
    fn from(e: worker::KvError) -> Self {
        ToolError::from(worker::Error::from(e))
    }
}

/// The same for a resource's `read` and a prompt's `get` (`ResourceError` and
/// `PromptError` are this `Error`): `?` on a binding's call works there too, with the
/// same words for the client and the log.
impl From<worker::Error> for Error {
    fn from(e: worker::Error) -> Self {
        Error::from(ToolError::from(e))
    }
}

impl From<worker::KvError> for Error {
    fn from(e: worker::KvError) -> Self {
        Error::from(ToolError::from(e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn workers_rs_errors_convert_for_every_primitive_with_the_same_words() {
        fn read() -> Result<(), Error> {
            Err(worker::Error::RustError("table notes is missing".into()))?
        }
        fn get() -> Result<(), Error> {
            Err(worker::KvError::InvalidKvStore("NOTES".into()))?
        }
        for e in [read().unwrap_err(), get().unwrap_err()] {
            assert_eq!(
                e.message(),
                "The platform refused the operation; the server's log has the details."
            );
        }
    }
}
