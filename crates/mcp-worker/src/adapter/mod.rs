//! The one place that knows workers-rs: a `worker::Request` becomes the pipeline's request,
//! the pipeline (`http::handle`) answers it, and the answer becomes a `worker::Response` (or a stream,
//! logged when it ends). The core gets the outside world once, as `WorkersPlatform`:
//! variables, `fetch`, the rate limiter bindings, the key set fetch, WebCrypto, the
//! console and the bindings. It decides nothing itself; everything behind it is plain Rust.

use std::pin::Pin;
use std::rc::Rc;
use std::sync::{Once, OnceLock};
use std::task::{Context as TaskContext, Poll};

use futures_util::StreamExt;
use worker::wasm_bindgen::JsCast;
use worker::{web_sys, Env, Headers, Request, Response, Result};

use crate::auth::jwks;
use crate::auth::keys::Alg;
use crate::auth::signature::{SignatureCheck, Verifier, VerifierError, VerifyFuture};
use crate::config::{Config, ConfigError};
use crate::http::{self, Body, MAX_BODY_BYTES};
use crate::http::{Host, KeySetFetch, Limiter, Severity};
use crate::log::RequestLog;
use crate::mcp::stream::Streaming;
use crate::mcp::Server;
use crate::primitives::MAX_FETCH_BYTES;
use crate::tools::{BoxFuture, FetchError, FetchRequest, FetchResponse, Platform};

#[cfg(feature = "oauth")]
mod oauth;
mod platform;
mod runtime;
mod webcrypto;

pub(crate) use platform::WorkersPlatform;
use platform::*;
use runtime::*;
use webcrypto::*;

/// Read once per isolate: variables cannot change without a new deployment.
static CONFIG: OnceLock<std::result::Result<Config, ConfigError>> = OnceLock::new();

static PANIC_HOOK: Once = Once::new();

thread_local! {
    /// The server whose header names the glue holds (its address; 0 for none yet).
    static HEADER_NAMES_OF: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
}

/// The name the worker's own console lines start with: its server's, set by the first
/// request (or the task object's start), so that an operator's log names their server.
static LOG_NAME: OnceLock<&'static str> = OnceLock::new();

pub(crate) fn log_name() -> &'static str {
    LOG_NAME.get().copied().unwrap_or("mcp")
}

pub(crate) fn name_logs(server: &'static Server) {
    let _ = LOG_NAME.set(server.name);
}

/// Serves one request for `server`: the whole worker, for a `#[event(fetch)]` handler to
/// call (the product's is in `lib.rs`; the conformance fixture worker has its own). It
/// takes and gives the runtime's own request and response: workers-rs's wrappers would
/// copy the method, URL, `cf` and the answer's init once more across the boundary.
pub async fn serve(
    server: &'static Server,
    req: web_sys::Request,
    env: Env,
) -> Result<web_sys::Response> {
    let started = now_ms();
    PANIC_HOOK.call_once(chain_panic_hook);
    // Tools may hold the platform after the answer (streams, tasks).
    let platform = Rc::new(WorkersPlatform { env });
    // The headers to read are the server's: set again only if another server is served.
    let id = server as *const Server as usize;
    if HEADER_NAMES_OF.get() != id {
        let names = http::request_header_names(server);
        glue::set_header_names(
            &names.every.join("\n"),
            &names.preflight.join("\n"),
            &names.modern.join("\n"),
            &names.legacy_versions.join("\n"),
        );
        HEADER_NAMES_OF.set(id);
        name_logs(server);
    }
    let mut request = read_head(&req);
    let config = match CONFIG.get_or_init(|| http::configure(server, &*platform)) {
        Ok(c) => c,
        Err(e) => {
            // A misconfigured worker reads no body: it answers the same 500 to everything.
            let response = http::config_error(e);
            let line = log_line(&response, &request.method, &request.path, started);
            return Ok(into_runtime(response, line));
        }
    };
    if request.method == "POST" {
        let declared = request
            .headers
            .get("content-length")
            .and_then(|v| v.trim().parse::<u64>().ok());
        request.body = read_body(&req, declared).await?;
    }
    let now = (now_ms() / 1000) as i64;
    let mut response = http::handle(server, config, &request, now, platform).await;
    let Some(stream) = response.stream.take() else {
        let line = log_line(&response, &request.method, &request.path, started);
        return Ok(into_runtime(response, line));
    };
    // A streamed answer is logged when it ends, or when the client goes away.
    let body = LoggedStream {
        stream,
        log: response.log.clone(),
        method: request.method,
        path: request.path,
        started,
        ended: false,
    };
    Ok(Response::builder()
        .with_status(response.status)
        .with_headers(worker_headers(&response))
        .from_stream(body)?
        .into())
}

/// A streamed answer as SSE bytes for the runtime, writing the request's log line at
/// its end. Dropped early (the client closed the stream), it drops the tool's future,
/// which stops the tool, and logs `"cancelled": true`.
struct LoggedStream {
    stream: Box<Streaming>,
    log: RequestLog,
    method: String,
    path: String,
    started: u64,
    ended: bool,
}

impl futures_util::Stream for LoggedStream {
    type Item = Result<Vec<u8>>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut TaskContext<'_>) -> Poll<Option<Self::Item>> {
        match self.stream.poll_next(cx) {
            Poll::Ready(Some(message)) => Poll::Ready(Some(Ok(http::sse_event(&message)))),
            Poll::Ready(None) => {
                self.ended = true;
                self.log.tool_error = self.stream.tool_error == Some(true);
                self.log.input_required = self.stream.input_required;
                self.log.rpc_error = self.stream.rpc_error;
                self.write_log();
                Poll::Ready(None)
            }
            Poll::Pending => Poll::Pending,
        }
    }
}

impl LoggedStream {
    fn write_log(&self) {
        // The status went out as 200 before the end: an internal error is still one.
        let error = self.log.rpc_error == Some(crate::protocol::jsonrpc::INTERNAL_ERROR);
        write_log(&self.log, &self.method, &self.path, self.started, error);
    }
}

impl Drop for LoggedStream {
    fn drop(&mut self) {
        if !self.ended {
            self.log.cancelled = true;
            self.write_log();
        }
    }
}

/// One JSON line per request (see `crate::log`); server errors at error level.
/// Workers advance the clock only across I/O, so `ms` is wall time as the runtime
/// reports it, not CPU time.
struct LogLine {
    text: String,
    error: bool,
}

/// The line for an answer that does not stream: written by the same call into the
/// runtime that builds the answer ([`into_runtime`]).
fn log_line(response: &http::Response, method: &str, path: &str, started: u64) -> LogLine {
    line_of(&response.log, method, path, started, response.status >= 500)
}

fn line_of(log: &RequestLog, method: &str, path: &str, started: u64, error: bool) -> LogLine {
    let ms = now_ms().saturating_sub(started);
    LogLine {
        text: log.to_line(method, path, Some(ms)),
        error,
    }
}

fn write_log(log: &RequestLog, method: &str, path: &str, started: u64, error: bool) {
    console_line(&line_of(log, method, path, started, error));
}

fn console_line(line: &LogLine) {
    // The line as it is: console_log!'s format! would copy it once more.
    let text = worker::wasm_bindgen::JsValue::from_str(&line.text);
    if line.error {
        web_sys::console::error_1(&text);
    } else {
        web_sys::console::log_1(&text);
    }
}

/// Milliseconds since the epoch, without allocating a JS Date as `worker::Date` does.
fn now_ms() -> u64 {
    worker::js_sys::Date::now() as u64
}

/// worker's own hook (installed at start) marks the instance for re-initialisation
/// after a panic; keep it, and add the readable message and stack from
/// console_error_panic_hook in front of it.
fn chain_panic_hook() {
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        console_error_panic_hook::hook(info);
        previous(info);
    }));
}

/// Sends the JSON operation `op` to the object named `name` in `namespace` and reads its
/// JSON answer: how the worker asks a task's object, and a grant's. Anything but a `200`
/// with JSON is an error, in words for the operator's log.
pub(crate) async fn ask_object(
    namespace: &worker::ObjectNamespace,
    name: &str,
    op: &serde_json::Value,
) -> std::result::Result<serde_json::Value, String> {
    let answer = async {
        let stub = namespace.id_from_name(name)?.get_stub()?;
        let init = web_sys::RequestInit::new();
        init.set_method("POST");
        init.set_body(&op.to_string().into());
        // The objects read the body only.
        let request = web_sys::Request::new_with_str_and_init("https://object.internal/", &init)?;
        let mut response = stub.fetch_with_request(Request::from(request)).await?;
        let text = response.text().await?;
        Ok::<_, worker::Error>((response.status_code(), text))
    }
    .await;
    match answer {
        Ok((200, text)) => serde_json::from_str(&text).map_err(|e| e.to_string()),
        Ok((status, text)) => Err(format!("HTTP {status}: {text}")),
        Err(e) => Err(e.to_string()),
    }
}
