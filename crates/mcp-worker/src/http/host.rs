//! What the pipeline needs of the runtime beyond what a handler does: the rate
//! limiters, the identity provider's key set, the signature check and the operator's
//! console. The worker's adapter and the host's test platform provide it.

use crate::auth::signature::Verifier;
use crate::primitives::{BoxFuture, Platform};

/// The runtime as the pipeline uses it: a handler's [`Platform`] and more. Everything
/// has a default, so a test's platform gives only what it needs.
pub trait Host: Platform {
    /// Whether a `[[ratelimits]]` binding called `binding` exists (asked once per
    /// isolate, when the configuration is read).
    fn has_rate_limiter(&self, binding: &str) -> bool {
        let _ = binding;
        false
    }
    /// Counts `key` in the `[[ratelimits]]` binding called `binding` and says whether it
    /// may go on. A limiter cannot be asked without counting.
    fn rate_limit<'a>(&'a self, binding: &'static str, key: &'a str) -> BoxFuture<'a, Limiter> {
        let _ = (binding, key);
        Box::pin(std::future::ready(Limiter::Unbound))
    }
    /// Fetches the identity provider's key set (`JWT_JWKS_URL`): its body and the answer's
    /// `Cache-Control` max-age, or what went wrong, in words for the operator's log. The
    /// platform gives up after `auth::jwks::FETCH_TIMEOUT_MS` and as soon as the body
    /// passes `auth::jwks::MAX_BYTES`.
    fn fetch_key_set<'a>(&'a self, url: &'a str) -> BoxFuture<'a, KeySetFetch> {
        let _ = url;
        Box::pin(std::future::ready(Err(
            "this platform fetches no key sets".to_owned()
        )))
    }
    /// Checks token signatures: WebCrypto in the worker; on the host the `rsa` crate
    /// ([`RsaVerifier`](crate::auth::signature::RsaVerifier)), which the worker never
    /// links.
    fn verifier(&self) -> &dyn Verifier {
        DEFAULT_VERIFIER
    }
    /// Writes a line to the operator's log (the worker's console), apart from the
    /// request's own log line: configuration warnings, key set fetches, limiter failures.
    fn console(&self, severity: Severity, line: &str) {
        let _ = (severity, line);
    }
    /// The Durable Object namespace bound as `binding` that keeps grants, if there is one.
    #[cfg(feature = "oauth")]
    fn grants(
        &self,
        binding: &'static str,
    ) -> Option<std::rc::Rc<dyn crate::oauth::objects::GrantChannel>> {
        let _ = binding;
        None
    }
    /// Signs access tokens: WebCrypto in the worker, the `rsa` crate on the host.
    #[cfg(feature = "oauth")]
    fn signer(&self) -> &dyn crate::oauth::token::Signer {
        DEFAULT_SIGNER
    }
    /// Fetches a client's metadata document with a GET, following no redirect, giving up
    /// after [`crate::oauth::client::DOCUMENT_TIMEOUT_MS`] and reading at most
    /// `max_bytes` (more is an error). By default through [`Platform::fetch`].
    #[cfg(feature = "oauth")]
    fn fetch_document<'a>(
        &'a self,
        url: &'a str,
        max_bytes: usize,
    ) -> BoxFuture<'a, Result<crate::oauth::client::Document, String>> {
        Box::pin(async move {
            let r = self
                .fetch(crate::tools::FetchRequest::get(url))
                .await
                .map_err(|e| e.to_string())?;
            if r.body.len() > max_bytes {
                return Err(format!("the document is larger than {max_bytes} bytes"));
            }
            Ok(crate::oauth::client::Document {
                status: r.status,
                redirected: false,
                cache_control: r.header("cache-control").map(str::to_owned),
                body: r.body,
            })
        })
    }
}

#[cfg(all(feature = "oauth", not(target_arch = "wasm32")))]
const DEFAULT_SIGNER: &dyn crate::oauth::token::Signer = &crate::oauth::token::HostSigner;
#[cfg(all(feature = "oauth", target_arch = "wasm32"))]
const DEFAULT_SIGNER: &dyn crate::oauth::token::Signer = &NoSigner;

/// A platform with no crypto of its own signs nothing.
#[cfg(all(feature = "oauth", target_arch = "wasm32"))]
struct NoSigner;

#[cfg(all(feature = "oauth", target_arch = "wasm32"))]
impl crate::oauth::token::Signer for NoSigner {
    fn sign<'a>(
        &'a self,
        _: &'a crate::oauth::token::SigningKey,
        _: &'a [u8],
    ) -> BoxFuture<'a, Result<Vec<u8>, crate::oauth::token::SignerError>> {
        Box::pin(std::future::ready(Err(crate::oauth::token::SignerError(
            "this platform signs nothing".into(),
        ))))
    }
}

/// A fetched key set document and its `Cache-Control` max-age, or why the fetch failed.
pub type KeySetFetch = Result<(Vec<u8>, Option<i64>), String>;

/// What a rate limiter binding answered ([`Host::rate_limit`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Limiter {
    /// The key is within its limit: the request goes on.
    Allowed,
    /// The key is over its limit.
    Refused,
    /// No such binding: nothing is limited.
    Unbound,
    /// The binding failed; the words are for the operator's log.
    Failed(String),
}

/// How much a line of [`Host::console`] matters.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Severity {
    /// Worth the operator's notice, such as a configuration warning or a missing rate
    /// limiter binding.
    Warning,
    /// Something failed, such as a rate limiter, a binding a tool needs, or the
    /// configuration (then every request gets a 500).
    Error,
}

#[cfg(not(target_arch = "wasm32"))]
const DEFAULT_VERIFIER: &dyn Verifier = &crate::auth::signature::RsaVerifier;
#[cfg(target_arch = "wasm32")]
const DEFAULT_VERIFIER: &dyn Verifier = &NoVerifier;

/// A platform with no crypto of its own refuses to answer (a 503, never a pass).
#[cfg(target_arch = "wasm32")]
struct NoVerifier;

#[cfg(target_arch = "wasm32")]
impl Verifier for NoVerifier {
    fn verify<'a>(
        &'a self,
        _: crate::auth::signature::SignatureCheck<'a>,
    ) -> crate::auth::signature::VerifyFuture<'a> {
        Box::pin(std::future::ready(Err(
            crate::auth::signature::VerifierError("this platform checks no signatures".into()),
        )))
    }
}
