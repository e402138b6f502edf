//! The runtime as handlers and the pipeline use it ([`WorkersPlatform`]): variables,
//! outbound `fetch`, bindings, the rate limiters, the key set fetch and the console.

use super::*;

thread_local! {
    /// Rate limiter bindings this isolate found missing (see `rate_limit`).
    static UNBOUND_LIMITERS: std::cell::RefCell<Vec<&'static str>> = const { std::cell::RefCell::new(Vec::new()) };
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
pub(super) async fn fetch_jwks(url: &str) -> std::result::Result<(Vec<u8>, Option<i64>), String> {
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

/// The worker's runtime: what handlers reach ([`Platform`]: variables and secrets, `fetch`,
/// the bindings) and what the pipeline needs besides (`http::Host`: the rate limiter
/// bindings, the key set fetch, WebCrypto, the console).
pub(crate) struct WorkersPlatform {
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
}

impl Host for WorkersPlatform {
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

    #[cfg(feature = "oauth")]
    fn grants(&self, binding: &'static str) -> Option<Rc<dyn crate::oauth::objects::GrantChannel>> {
        super::oauth::grants(&self.env, binding)
    }

    #[cfg(feature = "oauth")]
    fn signer(&self) -> &dyn crate::oauth::token::Signer {
        &super::oauth::WebCryptoSigner
    }

    #[cfg(feature = "oauth")]
    fn fetch_document<'a>(
        &'a self,
        url: &'a str,
        max_bytes: usize,
    ) -> BoxFuture<'a, std::result::Result<crate::oauth::client::Document, String>> {
        Box::pin(super::oauth::fetch_document(url, max_bytes))
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

pub(super) fn js_message(e: &worker::wasm_bindgen::JsValue) -> String {
    e.as_string()
        .or_else(|| {
            e.dyn_ref::<worker::js_sys::Error>()
                .map(|e| String::from(e.message()))
        })
        .unwrap_or_else(|| "unknown error".into())
}
