//! Token signatures checked by the runtime's WebCrypto (`crypto.subtle`), each key
//! imported once per isolate.

use super::*;

/// Token signatures checked by the runtime's WebCrypto: the key imported once per key
/// and isolate, then one `crypto.subtle.verify` per new token. Measured in workerd at a
/// small fraction of RSA in wasm, and it keeps the bignum arithmetic out of the upload.
pub(super) struct WebCrypto;

pub(super) mod subtle {
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
