//! The authorization server's needs of the runtime: access tokens signed by WebCrypto,
//! grants' Durable Objects reached through their namespace, and client metadata
//! documents fetched without following redirects.

use std::rc::Rc;

use serde_json::Value;
use worker::wasm_bindgen::JsValue;
use worker::web_sys;

use crate::oauth::client::{Document, DOCUMENT_TIMEOUT_MS};
use crate::oauth::grant::GrantId;
use crate::oauth::objects::GrantChannel;
use crate::oauth::token::{Signer, SignerError, SigningKey};
use crate::tools::BoxFuture;

use super::js_message;

mod subtle {
    use worker::wasm_bindgen::prelude::*;

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

        #[wasm_bindgen(js_namespace = ["crypto", "subtle"], js_name = sign, catch)]
        pub fn sign(
            algorithm: &JsValue,
            key: &JsValue,
            data: &[u8],
        ) -> Result<js_sys::Promise, JsValue>;
    }
}

thread_local! {
    /// Private keys imported into WebCrypto, by kid: once per key and isolate.
    static SIGNING_KEYS: std::cell::RefCell<Vec<(String, JsValue)>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// Signs with WebCrypto's RSASSA-PKCS1-v1_5 and SHA-256 (RS256).
pub(crate) struct WebCryptoSigner;

async fn import(key: &SigningKey) -> Result<JsValue, JsValue> {
    use worker::js_sys::{Array, Object, Reflect, JSON};
    let jwk = JSON::parse(&serde_json::to_string(key.private_jwk()).unwrap_or_default())?;
    let algorithm = Object::new();
    Reflect::set(&algorithm, &"name".into(), &"RSASSA-PKCS1-v1_5".into())?;
    Reflect::set(&algorithm, &"hash".into(), &"SHA-256".into())?;
    let usages = Array::of1(&"sign".into());
    let promise = subtle::import_key("jwk", &jwk, &algorithm, false, &usages)?;
    worker::wasm_bindgen_futures::JsFuture::from(promise).await
}

impl Signer for WebCryptoSigner {
    fn sign<'a>(
        &'a self,
        key: &'a SigningKey,
        signing_input: &'a [u8],
    ) -> BoxFuture<'a, Result<Vec<u8>, SignerError>> {
        Box::pin(async move {
            let fail = |e: JsValue| SignerError(js_message(&e));
            let known = SIGNING_KEYS.with(|k| {
                k.borrow()
                    .iter()
                    .find(|(kid, _)| kid == key.kid())
                    .map(|(_, v)| v.clone())
            });
            let imported = match known {
                Some(k) => k,
                None => {
                    let k = import(key).await.map_err(fail)?;
                    SIGNING_KEYS.with(|keys| {
                        let mut keys = keys.borrow_mut();
                        if keys.len() >= crate::oauth::token::MAX_SIGNING_KEYS {
                            keys.clear();
                        }
                        keys.push((key.kid().to_owned(), k.clone()));
                    });
                    k
                }
            };
            let algorithm: JsValue = "RSASSA-PKCS1-v1_5".into();
            let promise = subtle::sign(&algorithm, &imported, signing_input).map_err(fail)?;
            let buffer = worker::wasm_bindgen_futures::JsFuture::from(promise)
                .await
                .map_err(fail)?;
            Ok(worker::js_sys::Uint8Array::new(&buffer).to_vec())
        })
    }
}

/// A grants' Durable Object namespace.
pub(crate) struct Grants(pub worker::ObjectNamespace);

impl GrantChannel for Grants {
    fn send<'a>(&'a self, grant: &'a GrantId, op: Value) -> BoxFuture<'a, Result<Value, String>> {
        Box::pin(async move { super::ask_object(&self.0, grant.as_str(), &op).await })
    }
}

pub(crate) fn grants(env: &worker::Env, binding: &str) -> Option<Rc<dyn GrantChannel>> {
    env.durable_object(binding)
        .ok()
        .map(|n| Rc::new(Grants(n)) as Rc<dyn GrantChannel>)
}

/// GET `url` with `redirect: "manual"`, within [`DOCUMENT_TIMEOUT_MS`], reading at most
/// `max_bytes`.
pub(crate) async fn fetch_document(url: &str, max_bytes: usize) -> Result<Document, String> {
    use futures_util::future::{select, Either};
    let controller = worker::AbortController::default();
    let signal = controller.signal();
    let fetch = Box::pin(async {
        let init = web_sys::RequestInit::new();
        init.set_method("GET");
        init.set_redirect(web_sys::RequestRedirect::Manual);
        let headers = web_sys::Headers::new().map_err(|e| js_message(&e))?;
        headers
            .append("accept", "application/json")
            .map_err(|e| js_message(&e))?;
        init.set_headers(headers.as_ref());
        let request =
            web_sys::Request::new_with_str_and_init(url, &init).map_err(|e| js_message(&e))?;
        let mut res = worker::Fetch::Request(worker::Request::from(request))
            .send_with_signal(&signal)
            .await
            .map_err(|e| e.to_string())?;
        let status = res.status_code();
        let cache_control = res.headers().get("cache-control").ok().flatten();
        let redirected = (300..400).contains(&status);
        let body = if redirected {
            Vec::new()
        } else {
            let stream = res.stream().map_err(|e| e.to_string())?;
            super::read_capped(stream, max_bytes)
                .await
                .map_err(|e| e.to_string())?
                .ok_or_else(|| format!("the document is larger than {max_bytes} bytes"))?
        };
        Ok(Document {
            status,
            redirected,
            cache_control,
            body,
        })
    });
    let timeout = Box::pin(worker::Delay::from(std::time::Duration::from_millis(
        DOCUMENT_TIMEOUT_MS,
    )));
    let result = match select(fetch, timeout).await {
        Either::Left((result, _)) => result,
        Either::Right(_) => Err(format!(
            "no complete answer within {DOCUMENT_TIMEOUT_MS} ms"
        )),
    };
    if result.is_err() {
        controller.abort();
    }
    result
}
