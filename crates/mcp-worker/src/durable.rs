//! Tasks on Cloudflare Durable Objects: the workers-rs face of [`crate::tasks`]. Besides
//! `adapter`, the one module that knows workers-rs.
//!
//! One Durable Object per task, named by the task id (`id_from_name`): the object's
//! storage holds the task's record, its one alarm first runs the tool, then deletes the
//! task when its TTL has passed. The worker reaches the object through the namespace
//! binding ([`Binding`]); a server declares the object class with [`task_object!`](crate::task_object!) and
//! binds it in `wrangler.toml` (docs/tasks.md).
//!
//! The tool runs in the alarm handler, not in `waitUntil`: an alarm is durable (the
//! runtime delivers it again, with backoff, if the object is evicted or the handler fails
//! or runs past its limit), and it keeps the object alive while the tool awaits.
//! Cloudflare's limits for it (docs/tasks.md "Limits"): the CPU limit per invocation (30 s
//! by default), a wall-time bound per alarm invocation, retries with backoff.

use std::rc::Rc;
use std::sync::Once;

use serde_json::Value;
use worker::{Env, Request, Response, Result};

use crate::adapter::WorkersPlatform;
use crate::mcp::Server;
#[doc(hidden)]
pub use crate::tasks::object::Object;
use crate::tasks::object::Storage;
use crate::tasks::{TaskChannel, TaskStore};
use crate::tools::{BoxFuture, Platform};

/// A Durable Object namespace binding that keeps a server's tasks:
/// `.tasks(&mcp_worker::durable::Binding("TASKS"))` on the `mcp::Server`.
pub struct Binding(pub &'static str);

impl crate::tasks::sealed::Sealed for Binding {}

impl TaskStore for Binding {
    fn binding(&self) -> &'static str {
        self.0
    }

    fn open(&self, platform: &Rc<dyn Platform>) -> Option<Rc<dyn TaskChannel>> {
        static MISSING_LOGGED: Once = Once::new();
        match platform.env()?.durable_object(self.0) {
            Ok(namespace) => Some(Rc::new(Namespace(namespace))),
            Err(_) => {
                MISSING_LOGGED.call_once(|| {
                    worker::console_warn!(
                        "{}: no Durable Object binding {} ([[durable_objects.bindings]] in wrangler.toml): the tasks extension is not offered, and tools that need tasks are refused", crate::adapter::log_name(),
                        self.0
                    )
                });
                None
            }
        }
    }
}

struct Namespace(worker::ObjectNamespace);

impl crate::tasks::sealed::Sealed for Namespace {}

impl TaskChannel for Namespace {
    fn send<'a>(
        &'a self,
        task_id: &'a str,
        op: Value,
    ) -> BoxFuture<'a, std::result::Result<Value, String>> {
        Box::pin(async move {
            crate::adapter::ask_object(&self.0, task_id, &op)
                .await
                .map_err(|e| {
                    worker::console_error!(
                        "{}: the task object failed: {e}",
                        crate::adapter::log_name()
                    );
                    e
                })
        })
    }
}

/// A Durable Object's storage and alarm as [`Storage`].
struct ObjectStorage(worker::Storage);

const KEY: &str = "task";

impl Storage for ObjectStorage {
    fn load(&self) -> BoxFuture<'_, std::result::Result<Option<String>, String>> {
        Box::pin(stored_string(&self.0, KEY))
    }

    fn save(&self, record: String) -> BoxFuture<'_, std::result::Result<(), String>> {
        Box::pin(async move {
            self.0
                .put_raw(KEY, worker::wasm_bindgen::JsValue::from_str(&record))
                .await
                .map_err(|e| e.to_string())
        })
    }

    fn delete_all(&self) -> BoxFuture<'_, std::result::Result<(), String>> {
        Box::pin(async move {
            self.0.delete_alarm().await.map_err(|e| e.to_string())?;
            self.0.delete_all().await.map_err(|e| e.to_string())
        })
    }

    fn set_alarm(&self, at_ms: u64) -> BoxFuture<'_, std::result::Result<(), String>> {
        Box::pin(async move {
            let at = worker::js_sys::Date::new(&(at_ms as f64).into());
            self.0
                .set_alarm(worker::ScheduledTime::new(at))
                .await
                .map_err(|e| e.to_string())
        })
    }
}

fn now_ms() -> u64 {
    worker::js_sys::Date::now() as u64
}

/// The string stored under `key`, if any. The records are strings, so this reads the
/// value as one: `Storage::get` would take it through a serde deserializer of JS values.
async fn stored_string(
    storage: &worker::Storage,
    key: &str,
) -> std::result::Result<Option<String>, String> {
    let shown = |e: worker::wasm_bindgen::JsValue| worker::Error::from(e).to_string();
    let promise = storage.as_raw().get(key).map_err(shown)?;
    let value = worker::wasm_bindgen_futures::JsFuture::from(promise)
        .await
        .map_err(shown)?;
    if value.is_undefined() {
        return Ok(None);
    }
    value
        .as_string()
        .map(Some)
        .ok_or_else(|| format!("the stored {key} is not a string"))
}

/// The object's logic for a new instance of the class (see [`task_object!`](crate::task_object!)).
pub fn object(state: worker::State, env: Env, server: &'static Server) -> Object {
    crate::adapter::name_logs(server);
    let storage = Rc::new(ObjectStorage(state.storage()));
    let platform = Rc::new(WorkersPlatform { env });
    Object::new(storage, server.tools, platform, now_ms)
}

/// The object's `fetch`: one operation from the worker, as JSON.
pub async fn fetch(object: &Object, mut req: Request) -> Result<Response> {
    let op: Value = match serde_json::from_str(&req.text().await?) {
        Ok(v) => v,
        Err(_) => return Response::error("the body must be one task operation (JSON)", 400),
    };
    match object.handle(op).await {
        Ok(answer) => Response::ok(answer.to_string()),
        Err(e) => Response::error(e, 500),
    }
}

/// The object's alarm: the tool's run, or the task's deletion.
pub async fn alarm(object: &Object) -> Result<Response> {
    match object.alarm().await {
        Ok(()) => Response::empty(),
        // An error makes the runtime deliver the alarm again, with backoff.
        Err(e) => {
            worker::console_error!("{}: a task's alarm failed: {e}", crate::adapter::log_name());
            Err(worker::Error::RustError(e))
        }
    }
}

/// Declares the Durable Object class that keeps a server's tasks, for the worker's
/// `wrangler.toml` to bind:
///
/// ```ignore
/// mcp_worker::task_object!(TaskObject, SERVER);
/// ```
///
/// ```toml
/// [[durable_objects.bindings]]
/// name = "TASKS"
/// class_name = "TaskObject"
/// [[migrations]]
/// tag = "v1"
/// new_sqlite_classes = ["TaskObject"]
/// ```
#[macro_export]
macro_rules! task_object {
    ($class:ident, $server:path) => {
        #[::worker::durable_object(alarm)]
        pub struct $class {
            object: $crate::durable::Object,
        }

        impl ::worker::DurableObject for $class {
            fn new(state: ::worker::State, env: ::worker::Env) -> Self {
                $class {
                    object: $crate::durable::object(state, env, &$server),
                }
            }

            async fn fetch(&self, req: ::worker::Request) -> ::worker::Result<::worker::Response> {
                $crate::durable::fetch(&self.object, req).await
            }

            async fn alarm(&self) -> ::worker::Result<::worker::Response> {
                $crate::durable::alarm(&self.object).await
            }
        }
    };
}

/// A grant's Durable Object's storage: one record and one alarm.
#[cfg(feature = "oauth")]
struct GrantStorage(worker::Storage);

#[cfg(feature = "oauth")]
const GRANT_KEY: &str = "grant";

#[cfg(feature = "oauth")]
impl crate::oauth::grant::Storage for GrantStorage {
    fn get(&self) -> BoxFuture<'_, std::result::Result<Option<String>, String>> {
        Box::pin(stored_string(&self.0, GRANT_KEY))
    }

    fn put(&self, record: String) -> BoxFuture<'_, std::result::Result<(), String>> {
        Box::pin(async move {
            self.0
                .put_raw(GRANT_KEY, worker::wasm_bindgen::JsValue::from_str(&record))
                .await
                .map_err(|e| e.to_string())
        })
    }

    fn delete(&self) -> BoxFuture<'_, std::result::Result<(), String>> {
        Box::pin(async move { self.0.delete_all().await.map_err(|e| e.to_string()) })
    }

    fn set_alarm(&self, at_ms: u64) -> BoxFuture<'_, std::result::Result<(), String>> {
        Box::pin(async move {
            let at = worker::js_sys::Date::new(&(at_ms as f64).into());
            self.0
                .set_alarm(worker::ScheduledTime::new(at))
                .await
                .map_err(|e| e.to_string())
        })
    }

    fn delete_alarm(&self) -> BoxFuture<'_, std::result::Result<(), String>> {
        Box::pin(async move { self.0.delete_alarm().await.map_err(|e| e.to_string()) })
    }
}

#[cfg(feature = "oauth")]
#[doc(hidden)]
pub use crate::oauth::grant::Object as GrantObject;

/// The logic of a new instance of a grant's object (see [`grant_object!`](crate::grant_object!)).
#[cfg(feature = "oauth")]
#[doc(hidden)]
pub fn grant_object(state: worker::State) -> GrantObject {
    GrantObject::new(Rc::new(GrantStorage(state.storage())))
}

/// A grant object's `fetch`: one operation from the worker, as JSON.
#[cfg(feature = "oauth")]
#[doc(hidden)]
pub async fn grant_fetch(object: &GrantObject, mut req: Request) -> Result<Response> {
    let op: Value = match serde_json::from_str(&req.text().await?) {
        Ok(v) => v,
        Err(_) => return Response::error("the body must be one grant operation (JSON)", 400),
    };
    Response::ok(
        crate::oauth::objects::dispatch(object, &op, now_ms())
            .await
            .to_string(),
    )
}

/// A grant object's alarm: the grant's end, when its time has come.
#[cfg(feature = "oauth")]
#[doc(hidden)]
pub async fn grant_alarm(object: &GrantObject) -> Result<Response> {
    match object.alarm(now_ms()).await {
        Ok(()) => Response::empty(),
        Err(e) => {
            worker::console_error!(
                "{}: a grant's alarm failed: {e}",
                crate::adapter::log_name()
            );
            Err(worker::Error::RustError(e.to_string()))
        }
    }
}

/// Declares the Durable Object class that keeps an authorization server's grants (the
/// `oauth` feature; docs/authorization-server.md), one object per grant:
///
/// ```ignore
/// mcp_worker::grant_object!(GrantObject);
/// ```
///
/// ```toml
/// [[durable_objects.bindings]]
/// name = "OAUTH_GRANTS"
/// class_name = "GrantObject"
/// [[migrations]]
/// tag = "v1"
/// new_sqlite_classes = ["GrantObject"]
/// ```
#[cfg(feature = "oauth")]
#[macro_export]
macro_rules! grant_object {
    ($class:ident) => {
        #[::worker::durable_object(alarm)]
        pub struct $class {
            object: $crate::durable::GrantObject,
        }

        impl ::worker::DurableObject for $class {
            fn new(state: ::worker::State, _env: ::worker::Env) -> Self {
                $class {
                    object: $crate::durable::grant_object(state),
                }
            }

            async fn fetch(&self, req: ::worker::Request) -> ::worker::Result<::worker::Response> {
                $crate::durable::grant_fetch(&self.object, req).await
            }

            async fn alarm(&self) -> ::worker::Result<::worker::Response> {
                $crate::durable::grant_alarm(&self.object).await
            }
        }
    };
}
