//! The request and the answer across the runtime's boundary: the head read through a
//! small JavaScript glue, the body read with a cap, the answer made from heads kept
//! once per isolate.

use super::*;

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
pub(super) mod glue {
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
pub(super) fn read_head(req: &web_sys::Request) -> http::HttpRequest {
    // wasm-bindgen writes the string into our memory as UTF-8 itself: no byte array in
    // between, no check here (measured).
    let head = glue::request_head(req);
    let (method, url, headers) = http::read_head(&head);
    // The runtime's URL is already serialised (WHATWG): its origin is what precedes the
    // path, so no URL parser is needed (see fetch_jwks).
    http::HttpRequest {
        base_url: http::origin_of(url).to_owned(),
        path: http::path_of(url).to_owned(),
        // Only the authorization server reads the query.
        #[cfg(feature = "oauth")]
        query: http::query_of(url).to_owned(),
        method: method.to_owned(),
        headers,
        body: Body::default(),
    }
}

/// Reads at most MAX_BODY_BYTES, stopping as soon as the body proves longer.
pub(super) async fn read_body(req: &web_sys::Request, declared: Option<u64>) -> Result<Body> {
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
pub(super) async fn read_capped(
    mut stream: worker::ByteStream,
    cap: usize,
) -> Result<Option<Vec<u8>>> {
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

pub(super) fn worker_headers(response: &http::Response) -> Headers {
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
pub(super) fn into_runtime(response: http::Response, line: LogLine) -> web_sys::Response {
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
