//! The one place that knows workers-rs: a `worker::Request` becomes an [`http::HttpRequest`],
//! [`http::handle`] answers it, and the answer becomes a `worker::Response` (or a stream,
//! logged when it ends). The core gets the outside world once, as [`WorkersPlatform`]:
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
use crate::log::RequestLog;
use crate::mcp::stream::Streaming;
use crate::mcp::Server;
use crate::primitives::{KeySetFetch, Limiter, Severity, MAX_FETCH_BYTES};
use crate::tools::{BoxFuture, FetchError, FetchRequest, FetchResponse, Platform};

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

/// `limiter.limit({ key })`, called directly: `RateLimiter::limit` converts through
/// serde-wasm-bindgen, which measured several KiB of the gzipped upload.
async fn ask_limiter(limiter: &worker::RateLimiter, key: &str) -> Result<bool> {
    use worker::js_sys::{Object, Reflect};
    use worker::wasm_bindgen::JsCast;
    let options = Object::new();
    Reflect::set(&options, &"key".into(), &key.into())?;
    let sys: &worker::worker_sys::RateLimiter = limiter.as_ref().unchecked_ref();
    let outcome = worker::wasm_bindgen_futures::JsFuture::from(sys.limit(options)?).await?;
    Ok(Reflect::get(&outcome, &"success".into())?.as_bool() != Some(false))
}

/// Fetches the key set, giving up after `jwks::FETCH_TIMEOUT_MS` (headers and body
/// together) and as soon as the body passes `jwks::MAX_BYTES`; either way the fetch is
/// aborted, so a slow or endless key server holds neither the request nor memory.
async fn fetch_jwks(url: &str) -> std::result::Result<(Vec<u8>, Option<i64>), String> {
    use futures_util::future::{select, Either};
    let controller = worker::AbortController::default();
    let fetch = Box::pin(read_jwks(url, controller.signal()));
    let timeout = Box::pin(worker::Delay::from(std::time::Duration::from_millis(
        jwks::FETCH_TIMEOUT_MS,
    )));
    let result = match select(fetch, timeout).await {
        Either::Left((result, _)) => result,
        Either::Right(_) => Err(format!(
            "no complete answer within {} ms",
            jwks::FETCH_TIMEOUT_MS
        )),
    };
    if result.is_err() {
        controller.abort();
    }
    result
}

async fn read_jwks(
    url: &str,
    signal: worker::AbortSignal,
) -> std::result::Result<(Vec<u8>, Option<i64>), String> {
    let too_large = || format!("the key set is larger than {} bytes", jwks::MAX_BYTES);
    // The URL goes to the runtime as a string: parsing it here would link the url
    // crate and its Unicode tables (73 KiB of the gzipped upload) for nothing.
    let request = Request::new(url, worker::Method::Get).map_err(|e| e.to_string())?;
    let mut res = worker::Fetch::Request(request)
        .send_with_signal(&signal)
        .await
        .map_err(|e| e.to_string())?;
    if res.status_code() != 200 {
        return Err(format!("HTTP {}", res.status_code()));
    }
    let header = |name: &str| res.headers().get(name).ok().flatten();
    let max_age = jwks::max_age(header("cache-control").as_deref());
    let declared = header("content-length").and_then(|v| v.trim().parse::<u64>().ok());
    if declared.is_some_and(|n| n > jwks::MAX_BYTES as u64) {
        return Err(too_large());
    }
    let stream = res.stream().map_err(|e| e.to_string())?;
    let body = read_capped(stream, jwks::MAX_BYTES)
        .await
        .map_err(|e| e.to_string())?
        .ok_or_else(too_large)?;
    Ok((body, max_age))
}

/// Token signatures checked by the runtime's WebCrypto: the key imported once per key
/// and isolate, then one `crypto.subtle.verify` per new token. Measured in workerd at a
/// small fraction of RSA in wasm, and it keeps the bignum arithmetic out of the upload.
struct WebCrypto;

mod subtle {
    use wasm_bindgen::prelude::*;

    #[wasm_bindgen]
    extern "C" {
        #[wasm_bindgen(js_namespace = ["crypto", "subtle"], js_name = importKey, catch)]
        pub fn import_key(
            format: &str,
            key: &JsValue,
            algorithm: &JsValue,
            extractable: bool,
            usages: &JsValue,
        ) -> Result<js_sys::Promise, JsValue>;

        #[wasm_bindgen(js_namespace = ["crypto", "subtle"], js_name = verify, catch)]
        pub fn verify(
            algorithm: &JsValue,
            key: &JsValue,
            signature: &[u8],
            data: &[u8],
        ) -> Result<js_sys::Promise, JsValue>;
    }
}

/// A key as WebCrypto holds it, with the `verify` parameters of its algorithm.
#[derive(Clone)]
struct ImportedKey {
    key: worker::wasm_bindgen::JsValue,
    params: worker::wasm_bindgen::JsValue,
}

/// At most this many imported keys per isolate (a JWKS holds at most 50); past it the
/// map starts again, so rotation never grows it without bound.
const MAX_IMPORTED_KEYS: usize = 64;

thread_local! {
    /// Rate limiter bindings this isolate found missing (see `rate_limit`).
    static UNBOUND_LIMITERS: std::cell::RefCell<Vec<&'static str>> = const { std::cell::RefCell::new(Vec::new()) };
    static IMPORTED: std::cell::RefCell<std::collections::HashMap<[u8; 16], ImportedKey>> =
        Default::default();
}

impl Verifier for WebCrypto {
    fn verify<'a>(&'a self, check: SignatureCheck<'a>) -> VerifyFuture<'a> {
        Box::pin(async move {
            let fail = |e: worker::wasm_bindgen::JsValue| VerifierError(js_message(&e));
            let imported = match IMPORTED.with(|m| m.borrow().get(&check.key.id).cloned()) {
                Some(k) => k,
                None => {
                    let k = import(&check).await.map_err(fail)?;
                    IMPORTED.with(|m| {
                        let mut m = m.borrow_mut();
                        if m.len() >= MAX_IMPORTED_KEYS {
                            m.clear();
                        }
                        m.insert(check.key.id, k.clone());
                    });
                    k
                }
            };
            let promise = subtle::verify(
                &imported.params,
                &imported.key,
                check.signature,
                check.message,
            )
            .map_err(fail)?;
            let answer = worker::wasm_bindgen_futures::JsFuture::from(promise)
                .await
                .map_err(fail)?;
            Ok(answer.as_bool() == Some(true))
        })
    }
}

/// Imports a key as a JWK (`n`, `e`) for the one algorithm it is pinned to.
async fn import(
    check: &SignatureCheck<'_>,
) -> std::result::Result<ImportedKey, worker::wasm_bindgen::JsValue> {
    use worker::js_sys::{Array, Object, Reflect};
    let (name, hash, salt) = match check.alg {
        Alg::Rs256 => ("RSASSA-PKCS1-v1_5", "SHA-256", None),
        Alg::Rs384 => ("RSASSA-PKCS1-v1_5", "SHA-384", None),
        Alg::Rs512 => ("RSASSA-PKCS1-v1_5", "SHA-512", None),
        // RFC 7518 section 3.5: the salt is as long as the hash.
        Alg::Ps256 => ("RSA-PSS", "SHA-256", Some(32)),
        Alg::Ps384 => ("RSA-PSS", "SHA-384", Some(48)),
        Alg::Ps512 => ("RSA-PSS", "SHA-512", Some(64)),
    };
    let set =
        |o: &Object, k: &str, v: worker::wasm_bindgen::JsValue| Reflect::set(o, &k.into(), &v);
    let (n, e) = check.key.jwk_n_e();
    let jwk = Object::new();
    set(&jwk, "kty", "RSA".into())?;
    set(&jwk, "n", n.into())?;
    set(&jwk, "e", e.into())?;
    let algorithm = Object::new();
    set(&algorithm, "name", name.into())?;
    set(&algorithm, "hash", hash.into())?;
    let usages = Array::of1(&"verify".into());
    let promise = subtle::import_key("jwk", &jwk, &algorithm, false, &usages)?;
    let key = worker::wasm_bindgen_futures::JsFuture::from(promise).await?;
    let params = Object::new();
    set(&params, "name", name.into())?;
    if let Some(salt) = salt {
        set(&params, "saltLength", salt.into())?;
    }
    Ok(ImportedKey {
        key,
        params: params.into(),
    })
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

/// The request's method, URL and headers in one call across the boundary: workers-rs
/// would fetch each header's name and value as a string of its own, each a crossing and
/// a copy. The head comes back as one string, which wasm-bindgen copies into wasm (a loop
/// over its UTF-16 units in JavaScript, about 1.5 µs a call sampled; `TextEncoder`'s bytes
/// and their copy measured the same CPU time in a time profile). Only the headers the server reads
/// are asked for, by name (`http::request_header_names`, set once per isolate):
/// `Headers.forEach` copied every header, and a request through Cloudflare's edge carries
/// a dozen the server never reads. The preflight's header is asked for only on `OPTIONS`,
/// and the 2026-07-28 ones only when `MCP-Protocol-Version` is there and names no earlier
/// revision (`http::HeaderNames::takes` states the same rule for the fuzz check).
mod glue {
    use worker::wasm_bindgen::{self, prelude::*};

    #[wasm_bindgen(inline_js = r#"
let every = null, preflight, modern, legacy;
export function set_header_names(e, p, m, l) {
  const list = (s) => (s === "" ? [] : s.split("\n"));
  every = list(e);
  preflight = list(p);
  modern = list(m);
  legacy = list(l);
}
export function request_head(request) {
  const method = request.method;
  let head = method + "\n" + request.url + "\n";
  const headers = request.headers;
  if (every === null) {
    headers.forEach((value, name) => { head += name + "\n" + value + "\n"; });
    return head;
  }
  const add = (names) => {
    for (const name of names) {
      const value = headers.get(name);
      if (value !== null) head += name + "\n" + value + "\n";
    }
  };
  const version = headers.get("mcp-protocol-version");
  if (version !== null) head += "mcp-protocol-version\n" + version + "\n";
  add(every);
  if (method === "OPTIONS") add(preflight);
  if (version !== null && !legacy.includes(version)) add(modern);
  return head;
}
// Statuses and header sets the worker answers with again and again, each made once
// (`define_head`) as a Response's init holding a Headers object, which the runtime copies
// into each Response: a cached call took about 7% less CPU time than with the headers as
// a record, whose properties the runtime reads and checks anew each time (measured).
const heads = [];
export function define_head(k, status, headers) {
  const h = new Headers();
  const parts = headers.split("\n");
  for (let i = 0; i + 1 < parts.length; i += 2) h.append(parts[i], parts[i + 1]);
  heads[k] = { status, headers: h };
}
export function response_with(k, status, body, line, error) {
  (error ? console.error : console.log)(line);
  const head = heads[k];
  // Never expected: a wrong slot fails loudly (the adapter answers header by header)
  // instead of answering with another head, or with none.
  if (head === undefined || head.status !== status) throw new Error(`head ${k} is not for status ${status}`);
  return new Response(body.length ? body.slice() : null, head);
}
"#)]
    extern "C" {
        /// The headers `request_head` asks for from now on, each list one name per
        /// line (`http::HeaderNames`): on every request (besides `mcp-protocol-version`,
        /// which it always reads first), on `OPTIONS` only, and when
        /// `mcp-protocol-version` is there and is not exactly one of the legacy
        /// revisions. Before it is called, every header.
        pub fn set_header_names(every: &str, preflight: &str, modern: &str, legacy: &str);

        /// `method \n url \n (name \n value \n)*`, UTF-8: the Fetch API allows no line
        /// break in a method, a serialised URL, a header name or a header value.
        pub fn request_head(request: &worker::web_sys::Request) -> String;

        /// Makes head `k`, a status and headers given as `name \n value \n` pairs, for
        /// [`response_with`]: an error if the runtime refuses a name or value (then slot
        /// `k` keeps what it held).
        #[wasm_bindgen(catch)]
        pub fn define_head(k: u32, status: u16, headers: &str) -> std::result::Result<(), JsValue>;

        /// A response with head `k` (made by [`define_head`]) and `body` (copied; empty
        /// means none), after writing the request's log line to the console (at error
        /// level if `error`): one call into the runtime for both. An error if that head
        /// is not for `status`.
        #[wasm_bindgen(catch)]
        pub fn response_with(
            k: u32,
            status: u16,
            body: &[u8],
            line: &str,
            error: bool,
        ) -> std::result::Result<worker::web_sys::Response, JsValue>;
    }
}

/// The request without its body (read once the configuration is known to be good).
fn read_head(req: &web_sys::Request) -> http::HttpRequest {
    // wasm-bindgen writes the string into our memory as UTF-8 itself: no byte array in
    // between, no check here (measured).
    let head = glue::request_head(req);
    let (method, url, headers) = http::read_head(&head);
    // The runtime's URL is already serialised (WHATWG): its origin is what precedes the
    // path, so no URL parser is needed (see fetch_jwks).
    http::HttpRequest {
        base_url: http::origin_of(url).to_owned(),
        path: http::path_of(url).to_owned(),
        method: method.to_owned(),
        headers,
        body: Body::default(),
    }
}

/// Reads at most MAX_BODY_BYTES, stopping as soon as the body proves longer.
async fn read_body(req: &web_sys::Request, declared: Option<u64>) -> Result<Body> {
    match declared {
        Some(n) if n > MAX_BODY_BYTES as u64 => return Ok(Body::TooLarge),
        // The runtime delivers exactly the declared length: one read, no stream.
        // Measured in workerd: 20% more requests/s than reading it chunk by chunk.
        Some(_) => {
            let buffer = worker::wasm_bindgen_futures::JsFuture::from(req.array_buffer()?).await?;
            return Ok(Body::Bytes(
                worker::js_sys::Uint8Array::new(&buffer).to_vec(),
            ));
        }
        None => {}
    }
    if req.body().is_none() {
        return Ok(Body::default());
    }
    // `Clone::clone`: the same JavaScript object (web_sys's own `clone()` would copy it).
    let mut req = Request::from(<web_sys::Request as Clone>::clone(req));
    Ok(match read_capped(req.stream()?, MAX_BODY_BYTES).await? {
        Some(bytes) => Body::Bytes(bytes),
        None => Body::TooLarge,
    })
}

/// Reads a body to its end, or stops as soon as it proves longer than `cap` (`None`): a
/// huge or endless body costs neither memory nor time past the cap.
async fn read_capped(mut stream: worker::ByteStream, cap: usize) -> Result<Option<Vec<u8>>> {
    let mut body = Vec::new();
    while let Some(chunk) = stream.next().await {
        let chunk = chunk?;
        if body.len() + chunk.len() > cap {
            return Ok(None);
        }
        body.extend_from_slice(&chunk);
    }
    Ok(Some(body))
}

fn worker_headers(response: &http::Response) -> Headers {
    let headers = Headers::new();
    for (name, value) in &response.headers {
        // The core only emits ASCII values; a refusal here is a bug to log, not a 500.
        if let Err(e) = headers.append(name, value) {
            worker::console_error!("{}: dropped response header {name}: {e}", log_name());
        }
    }
    headers
}

/// The runtime's response for an answer that does not stream: one call into the runtime,
/// two the first time its head is seen ([`head_slot`]).
fn into_runtime(response: http::Response, line: LogLine) -> web_sys::Response {
    // The glue splits the headers at line breaks: a name or value holding one (a
    // misconfigured PUBLIC_URL in a challenge, say) takes the header-by-header path,
    // where the runtime refuses just that header.
    let one_call = response.headers.iter().all(|(name, value)| {
        http::find_newline(name.as_bytes()).is_none()
            && http::find_newline(value.as_bytes()).is_none()
    });
    if !one_call {
        console_line(&line);
        return by_header(response);
    }
    let mut headers = String::with_capacity(256);
    for (name, value) in &response.headers {
        headers.push_str(name);
        headers.push('\n');
        headers.push_str(value);
        headers.push('\n');
    }
    // The runtime refused a header (or, never expected, a kept head was not the answer's):
    // the header-by-header path drops just a refused header and logs it.
    let refused = |e: worker::wasm_bindgen::JsValue, response| {
        worker::console_error!(
            "{}: the one-call response failed: {}",
            log_name(),
            js_message(&e)
        );
        by_header(response)
    };
    let k = match head_slot(response.status, &headers) {
        Ok(k) => k,
        Err(e) => {
            console_line(&line);
            return refused(e, response);
        }
    };
    // The glue writes the line before it builds the answer.
    match glue::response_with(k, response.status, &response.body, &line.text, line.error) {
        Ok(r) => r,
        Err(e) => refused(e, response),
    }
}

/// How many heads (a status and its headers) the glue keeps, each a few hundred bytes.
/// Most answers have one of a handful (a JSON result, SSE, `202`, the usual refusals,
/// each with or without CORS). Heads that carry request text (an echoed origin, the
/// preflight's echoed headers, a token challenge naming what was wrong) can be many, so
/// once all slots are taken a new head replaces the oldest one made: a client sending
/// new ones costs a head's making per answer, not the common heads' place for good.
const HEADS: usize = 16;

/// The heads made in the glue, slot by slot, and the slot the next new head replaces
/// once every slot is taken.
struct HeadSlots {
    slots: Vec<(u16, String)>,
    next: usize,
}

thread_local! {
    static HEAD_SLOTS: std::cell::RefCell<HeadSlots> =
        const { std::cell::RefCell::new(HeadSlots { slots: Vec::new(), next: 0 }) };
}

/// The glue's slot for `status` with `headers` (`name \n value \n` pairs), made on
/// first sight; the runtime's error if it refused the headers (the slot keeps what it
/// had, in the glue and here).
fn head_slot(
    status: u16,
    headers: &str,
) -> std::result::Result<u32, worker::wasm_bindgen::JsValue> {
    HEAD_SLOTS.with_borrow_mut(|table| {
        if let Some(k) = table
            .slots
            .iter()
            .position(|(s, h)| *s == status && h == headers)
        {
            return Ok(k as u32);
        }
        let k = if table.slots.len() < HEADS {
            table.slots.len()
        } else {
            table.next
        };
        glue::define_head(k as u32, status, headers)?;
        let head = (status, headers.to_owned());
        if k == table.slots.len() {
            table.slots.push(head);
        } else {
            table.slots[k] = head;
            table.next = (k + 1) % HEADS;
        }
        Ok(k as u32)
    })
}

fn by_header(response: http::Response) -> web_sys::Response {
    let builder = Response::builder()
        .with_status(response.status)
        .with_headers(worker_headers(&response));
    let r = if response.body.is_empty() {
        builder.empty()
    } else {
        builder.fixed(response.body)
    };
    r.into()
}

/// The worker's side of [`Platform`]: its variables and secrets, `fetch`, the rate
/// limiter bindings, the key set fetch, WebCrypto, the console and the bindings.
pub struct WorkersPlatform {
    /// The worker's environment: its variables, secrets and bindings.
    pub env: Env,
}

impl Platform for WorkersPlatform {
    fn var(&self, name: &str) -> Option<String> {
        // `Env::var` reads secrets as well as `[vars]`.
        self.env.var(name).ok().map(|v| v.to_string())
    }

    fn fetch<'a>(
        &'a self,
        request: FetchRequest,
    ) -> BoxFuture<'a, std::result::Result<FetchResponse, FetchError>> {
        Box::pin(async move { send(request).await })
    }

    fn env(&self) -> Option<&Env> {
        Some(&self.env)
    }

    fn has_rate_limiter(&self, binding: &str) -> bool {
        self.env.rate_limiter(binding).is_ok()
    }

    fn rate_limit<'a>(&'a self, binding: &'static str, key: &'a str) -> BoxFuture<'a, Limiter> {
        Box::pin(async move {
            // A binding absent once is absent for the isolate's life (bindings change only
            // with a deployment): remembered, since asking `env` builds an error each time.
            if UNBOUND_LIMITERS.with(|u| u.borrow().contains(&binding)) {
                return Limiter::Unbound;
            }
            let Ok(limiter) = self.env.rate_limiter(binding) else {
                UNBOUND_LIMITERS.with(|u| u.borrow_mut().push(binding));
                return Limiter::Unbound;
            };
            match ask_limiter(&limiter, key).await {
                Ok(true) => Limiter::Allowed,
                Ok(false) => Limiter::Refused,
                Err(e) => Limiter::Failed(e.to_string()),
            }
        })
    }

    fn fetch_key_set<'a>(&'a self, url: &'a str) -> BoxFuture<'a, KeySetFetch> {
        Box::pin(fetch_jwks(url))
    }

    fn verifier(&self) -> &dyn Verifier {
        &WebCrypto
    }

    fn console(&self, severity: Severity, line: &str) {
        match severity {
            Severity::Warning => worker::console_warn!("{}: {line}", log_name()),
            Severity::Error => worker::console_error!("{}: {line}", log_name()),
        }
    }
}

async fn send(request: FetchRequest) -> std::result::Result<FetchResponse, FetchError> {
    // The runtime's words may quote the whole URL (with any key in its query): they go
    // to the operator's log; the tool and the model see the origin only.
    let origin = crate::http::origin_of(&request.url).to_owned();
    let fail = |e: worker::Error| {
        worker::console_error!("{}: a tool's request to {origin} failed: {e}", log_name());
        FetchError(format!(
            "the request to {origin} failed; the server's log has the details"
        ))
    };
    let headers = Headers::new();
    for (name, value) in &request.headers {
        headers.append(name, value).map_err(fail)?;
    }
    // web_sys's RequestInit directly: workers-rs's own one serialises `cf` properties
    // through serde-wasm-bindgen, 8 KiB of the gzipped upload for a feature we do not use.
    let init = web_sys::RequestInit::new();
    init.set_method(&request.method);
    init.set_headers(headers.as_ref());
    if let Some(body) = &request.body {
        init.set_body(&worker::js_sys::Uint8Array::from(body.as_slice()).into());
    }
    let outbound = web_sys::Request::new_with_str_and_init(&request.url, &init).map_err(|e| {
        worker::console_error!(
            "{}: a tool built an invalid request: {}",
            log_name(),
            js_message(&e)
        );
        FetchError(
            "the tool built a request the runtime refused; the server's log has the details".into(),
        )
    })?;
    let outbound = Request::from(outbound);
    // A tool's future dropped mid-request (a cancelled task, a client gone) aborts the
    // request instead of leaving it running; after the body is read this does nothing.
    let controller = worker::AbortController::default();
    let signal = controller.signal();
    let _abort = AbortOnDrop(Some(controller));
    let mut res = worker::Fetch::Request(outbound)
        .send_with_signal(&signal)
        .await
        .map_err(fail)?;
    let status = res.status_code();
    let headers = res.headers().entries().collect();
    let body = read_capped(res.stream().map_err(fail)?, MAX_FETCH_BYTES)
        .await
        .map_err(fail)?
        .ok_or_else(|| {
            FetchError(format!(
                "the answer from {origin} is larger than {MAX_FETCH_BYTES} bytes"
            ))
        })?;
    Ok(FetchResponse {
        status,
        headers,
        body,
    })
}

struct AbortOnDrop(Option<worker::AbortController>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        if let Some(c) = self.0.take() {
            c.abort();
        }
    }
}

fn js_message(e: &worker::wasm_bindgen::JsValue) -> String {
    e.as_string()
        .or_else(|| {
            e.dyn_ref::<worker::js_sys::Error>()
                .map(|e| String::from(e.message()))
        })
        .unwrap_or_else(|| "unknown error".into())
}
