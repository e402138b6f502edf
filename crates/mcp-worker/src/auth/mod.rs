//! Bearer-JWT authentication: who is calling, and may they.
//!
//! This module knows nothing of JSON-RPC. The HTTP layer asks it for a [`Principal`] and
//! turns an [`AuthError`] into `401`/`403`/`503` with a `WWW-Authenticate` challenge.

pub mod cache;
pub mod jwks;
pub mod keys;
pub mod metadata;
pub mod policy;
pub mod signature;
pub mod token;

use base64ct::{Base64UrlUnpadded, Encoding};
use serde_json::{Map, Value};
use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard};

use cache::{TokenDigest, TokenMemory};
use jwks::RemoteKeys;
use keys::{KeySet, SelectError, VerifyingKey};
use policy::{ClaimPolicy, TokenClaims};
use signature::{SignatureCheck, Verifier};

/// Whom a verified token speaks for: a tool sees it as its caller.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Principal {
    /// The token's `sub`.
    pub subject: Option<String>,
    /// The scopes granted by `scope` (space-separated) or `scp`.
    pub scopes: Vec<String>,
    /// Every claim of the token, as JSON (`exp`, `nbf` and `iat` as integers).
    pub claims: Map<String, Value>,
}

impl Principal {
    /// Does the token grant `scope`?
    pub fn has_scope(&self, scope: &str) -> bool {
        self.scopes.iter().any(|s| s == scope)
    }
}

/// A request that passed authentication.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Authenticated {
    pub principal: Arc<Principal>,
    /// The token was verified earlier in this isolate; no signature was checked now.
    pub cached: bool,
}

/// A refusal, and whether it was answered from the memory of refused tokens (no signature
/// checked now).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Refused {
    pub error: AuthError,
    pub remembered: bool,
    /// The token was checked now and not proven genuine: it did not parse, no key was
    /// for it, or its signature failed. That is what a flood of forgeries makes the
    /// server do, and what the address limit counts; a token with a good signature
    /// (even expired, or for another audience) is not counted.
    pub forged: bool,
}

impl From<AuthError> for Refused {
    fn from(error: AuthError) -> Self {
        Refused {
            error,
            remembered: false,
            forged: false,
        }
    }
}

/// A request's `Authorization` header, read once: its bearer token and the token's
/// keyed digest ([`cache::digest`]), which both token memories are keyed by. The rate limiter's question
/// ([`Authenticator::cost`]) and the check itself share it, so a request hashes its
/// token once.
#[derive(Clone, Debug)]
pub struct Credentials<'a> {
    token: Result<(&'a str, TokenDigest), AuthError>,
}

impl<'a> Credentials<'a> {
    pub fn read(authorization: Option<&'a str>) -> Self {
        Credentials {
            token: token::bearer(authorization).map(|t| (t, cache::digest(t))),
        }
    }
}

/// What answering a request's `Authorization` header will cost, known before doing it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Cost {
    /// Refused without any signature check: no token, another scheme, an oversized
    /// header, or a token refused earlier in this isolate.
    Cheap,
    /// A token verified earlier in this isolate, for this principal.
    Known(Arc<Principal>),
    /// A token not seen before: answering it needs a signature verification.
    Verification,
}

/// Why a verification failed, and whether the refusal holds for good (so it can be
/// remembered). A refusal that may stop being true (a key that may still arrive, a
/// token not valid *yet*) is never remembered: memory never refuses a valid token.
struct Failure {
    error: AuthError,
    lasting: bool,
    /// See [`Refused::forged`].
    forged: bool,
}

impl Failure {
    /// A token that is not what it claims (shape, key or signature): lasting, counted.
    fn forged(error: AuthError) -> Self {
        Failure {
            error,
            lasting: true,
            forged: true,
        }
    }
    /// A token its own issuer got wrong (claims that do not parse under a good
    /// signature): lasting, not counted.
    fn lasting(error: AuthError) -> Self {
        Failure {
            error,
            lasting: true,
            forged: false,
        }
    }
    fn passing(error: AuthError) -> Self {
        Failure {
            error,
            lasting: false,
            forged: false,
        }
    }
}

/// Why a request was not authenticated. `Display` is safe to show the client and to log:
/// it never contains the token.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AuthError {
    /// No `Authorization` header.
    Missing,
    /// An `Authorization` header with a scheme other than `Bearer`.
    WrongScheme,
    /// A token was presented and refused; the reason is for the client and the log.
    Invalid(String),
    /// The token is valid but lacks these scopes (space-separated).
    InsufficientScope { missing: String },
    /// Keys come from `JWT_JWKS_URL` and none could be fetched yet.
    KeysUnavailable,
    /// The platform could not check a signature (its crypto failed): nothing is known
    /// about the token, and the request may be retried.
    VerifierFailed,
}

impl AuthError {
    pub fn invalid(reason: impl Into<String>) -> Self {
        AuthError::Invalid(reason.into())
    }
}

impl fmt::Display for AuthError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AuthError::Missing => f.write_str("send 'Authorization: Bearer <token>'"),
            AuthError::WrongScheme => f.write_str("the Authorization header must use the Bearer scheme"),
            AuthError::Invalid(reason) => f.write_str(reason),
            AuthError::InsufficientScope { missing } => {
                write!(f, "the token lacks the required scope: {missing}")
            }
            AuthError::KeysUnavailable => f.write_str(
                "the server could not fetch its verification keys from JWT_JWKS_URL yet; try again shortly",
            ),
            AuthError::VerifierFailed => {
                f.write_str("the server could not check the token's signature; try again shortly")
            }
        }
    }
}

/// Verifies bearer tokens against configured keys and a claim policy.
pub struct Authenticator {
    static_keys: Option<KeySet>,
    remote: Option<Mutex<RemoteKeys>>,
    pub policy: ClaimPolicy,
    cache: Mutex<TokenMemory<Arc<Principal>>>,
    refused: Mutex<TokenMemory<AuthError>>,
}

impl fmt::Debug for Authenticator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Authenticator")
            .field("static_keys", &self.static_keys.as_ref().map(KeySet::len))
            .field("remote", &self.remote.as_ref().map(|r| lock(r).url.clone()))
            .field("policy", &self.policy)
            .finish()
    }
}

/// Poisoning cannot leave these structures half-updated in a way that matters (each
/// update is one assignment), so a poisoned lock is used as is.
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl Authenticator {
    pub fn new(static_keys: Option<KeySet>, jwks_url: Option<String>, policy: ClaimPolicy) -> Self {
        Authenticator {
            static_keys,
            remote: jwks_url.map(|u| Mutex::new(RemoteKeys::new(u))),
            policy,
            cache: Mutex::new(TokenMemory::with_capacity(cache::CAPACITY)),
            refused: Mutex::new(TokenMemory::with_capacity(cache::REFUSED_CAPACITY)),
        }
    }

    /// The key set URL to fetch before serving a request with this `Authorization`
    /// header, if a fetch is due. The caller must report back through
    /// [`Authenticator::jwks_fetched`]; until it does (or its timeout has passed), no
    /// other request is told to fetch.
    pub fn jwks_fetch_due(&self, authorization: Option<&str>, now: i64) -> Option<String> {
        let mut remote = lock(self.remote.as_ref()?);
        if !remote.should_fetch(now, || token::peek_kid(authorization)) {
            return None;
        }
        remote.started(now);
        Some(remote.url.clone())
    }

    /// Hands over a fetched key set document (`Err` when the fetch failed). Returns what
    /// to log.
    pub fn jwks_fetched(
        &self,
        result: Result<(Vec<u8>, Option<i64>), String>,
        now: i64,
    ) -> Vec<String> {
        let Some(remote) = &self.remote else {
            return Vec::new();
        };
        let mut remote = lock(remote);
        match result {
            Ok((body, max_age)) => match remote.install(&body, max_age, now) {
                Ok(warnings) => {
                    // Refusals were judged against the old keys: a token signed with a
                    // key that has just arrived must get a fresh look.
                    lock(&self.refused).clear();
                    warnings
                }
                Err(e) => vec![format!("JWT_JWKS_URL returned an unusable key set: {e}")],
            },
            Err(e) => {
                remote.failed(now);
                vec![format!("fetching JWT_JWKS_URL failed: {e}")]
            }
        }
    }

    /// Authenticates and authorizes one request on the host, verifying signatures with
    /// [`signature::RsaVerifier`] (whose answer never waits).
    #[cfg(all(not(target_arch = "wasm32"), any(test, feature = "unstable")))]
    pub fn authenticate(
        &self,
        authorization: Option<&str>,
        now: i64,
    ) -> Result<Authenticated, AuthError> {
        use std::future::Future;
        use std::task::{Context, Poll, Waker};
        let verifier = signature::RsaVerifier;
        let mut check = std::pin::pin!(self.check(authorization, now, &verifier));
        let mut cx = Context::from_waker(Waker::noop());
        loop {
            if let Poll::Ready(result) = check.as_mut().poll(&mut cx) {
                return result.map_err(|r| r.error);
            }
        }
    }

    #[cfg(any(test, feature = "unstable"))]
    /// Authenticates and authorizes one request, saying also whether a refusal came from
    /// memory. A token seen before costs a hash; a new one, one question to `verifier`.
    pub async fn check(
        &self,
        authorization: Option<&str>,
        now: i64,
        verifier: &dyn Verifier,
    ) -> Result<Authenticated, Refused> {
        self.check_credentials(&Credentials::read(authorization), now, verifier)
            .await
    }

    /// [`Authenticator::check`] of credentials read already (their token hashed once).
    pub async fn check_credentials(
        &self,
        credentials: &Credentials<'_>,
        now: i64,
        verifier: &dyn Verifier,
    ) -> Result<Authenticated, Refused> {
        let (token, key) = credentials.token.clone()?;
        let hit = lock(&self.cache).get(&key, now);
        let cached = hit.is_some();
        let principal = match hit {
            Some(p) => p,
            None => self.verify_once(token, key, now, verifier).await?,
        };
        self.policy.authorize(&principal)?;
        Ok(Authenticated { principal, cached })
    }

    /// [`Authenticator::check`] of a token [`Authenticator::cost`] found verified
    /// before: only the scopes are left to check.
    pub fn check_known(&self, principal: Arc<Principal>) -> Result<Authenticated, Refused> {
        self.policy.authorize(&principal)?;
        Ok(Authenticated {
            principal,
            cached: true,
        })
    }

    /// What [`Authenticator::check`] would cost for these credentials now, without doing
    /// it: lets the pipeline rate-limit exactly the requests that would need RSA work.
    pub fn cost(&self, credentials: &Credentials<'_>, now: i64) -> Cost {
        let Ok((_, key)) = &credentials.token else {
            return Cost::Cheap;
        };
        if let Some(p) = lock(&self.cache).get(key, now) {
            return Cost::Known(p);
        }
        if lock(&self.refused).get(key, now).is_some() {
            return Cost::Cheap;
        }
        Cost::Verification
    }

    /// Verifies a token not in the cache, unless it was refused before; remembers the
    /// outcome either way.
    async fn verify_once(
        &self,
        token: &str,
        key: TokenDigest,
        now: i64,
        verifier: &dyn Verifier,
    ) -> Result<Arc<Principal>, Refused> {
        if let Some(error) = lock(&self.refused).get(&key, now) {
            return Err(Refused {
                error,
                remembered: true,
                forged: false,
            });
        }
        match self.verify(token, now, verifier).await {
            Ok((principal, exp)) => {
                let principal = Arc::new(principal);
                lock(&self.cache).insert(key, principal.clone(), exp);
                Ok(principal)
            }
            Err(f) => {
                if f.lasting {
                    lock(&self.refused).insert(key, f.error.clone(), now + cache::REFUSED_SECS);
                }
                Err(Refused {
                    error: f.error,
                    remembered: false,
                    forged: f.forged,
                })
            }
        }
    }

    /// The full check of a token not seen before: shape, header, key, signature, claims.
    /// Everything but the signature is decided here; the signature, by `verifier`.
    async fn verify(
        &self,
        token: &str,
        now: i64,
        verifier: &dyn Verifier,
    ) -> Result<(Principal, i64), Failure> {
        let header = token::inspect(token).map_err(Failure::forged)?;
        // `inspect` saw three base64url parts; the signing input is the first two, as sent.
        let (message, signature) = token.rsplit_once('.').unwrap_or((token, ""));
        let payload = message.split_once('.').map_or("", |(_, p)| p);
        let decode = |part: &str| {
            Base64UrlUnpadded::decode_vec(part).map_err(|_| {
                Failure::forged(AuthError::invalid(
                    "the token does not parse: a part is not canonical base64url",
                ))
            })
        };
        let (payload, signature) = (decode(payload)?, decode(signature)?);
        // No key for it may mend (a key set still to come): not remembered, but counted
        // unless the keys themselves are missing.
        let key = self
            .key_for(header.kid.as_deref(), header.alg)
            .map_err(|error| Failure {
                forged: matches!(error, AuthError::Invalid(_)),
                ..Failure::passing(error)
            })?;
        // `select` picks only a key of the token's algorithm; checked again here because the
        // verifier would check the signature with the key's.
        if key.alg != header.alg {
            return Err(Failure::forged(AuthError::invalid(
                "the token's algorithm does not match its key",
            )));
        }
        let check = SignatureCheck {
            alg: key.alg,
            key: &key,
            message: message.as_bytes(),
            signature: &signature,
        };
        let valid = verifier
            .verify(check)
            .await
            .map_err(|_| Failure::passing(AuthError::VerifierFailed))?;
        // Judged against the keys held now; the memory is cleared when they change. The
        // claims are read only under a good signature, so a forgery is counted whatever
        // they hold.
        if !valid {
            return Err(Failure::forged(AuthError::invalid(
                "the token's signature does not verify",
            )));
        }
        let claims = TokenClaims::parse(&payload).ok_or_else(|| {
            Failure::lasting(AuthError::invalid(
                "the token's claims are malformed (exp, nbf and iat are numbers, each named once)",
            ))
        })?;
        self.policy.check(&claims, now).map_err(|error| Failure {
            lasting: !self.policy.may_become_valid(&claims, now),
            ..Failure::passing(error)
        })
    }

    /// Finds the key for a token in the configured key, then in the fetched key set.
    fn key_for(&self, kid: Option<&str>, alg: keys::Alg) -> Result<Arc<VerifyingKey>, AuthError> {
        let mut first_error = None;
        // A token whose kid the fetched set names is that set's: a configured key without
        // a kid (a PEM key takes any kid) must not claim it and fail its signature.
        if let (Some(kid), Some(remote)) = (kid, &self.remote) {
            let remote = lock(remote);
            if let Some(set) = remote.keys().filter(|s| s.has_kid(kid)) {
                return set.select(Some(kid), alg).cloned().map_err(|e| {
                    AuthError::invalid(format!("no configured key verifies this token: {e}"))
                });
            }
        }
        if let Some(set) = &self.static_keys {
            match set.select(kid, alg) {
                Ok(k) => return Ok(k.clone()),
                Err(e) => first_error = Some(e),
            }
        }
        if let Some(remote) = &self.remote {
            let remote = lock(remote);
            match remote.keys() {
                Some(set) => match set.select(kid, alg) {
                    Ok(k) => return Ok(k.clone()),
                    Err(e) => {
                        first_error.get_or_insert(e);
                    }
                },
                None if first_error.is_none() => return Err(AuthError::KeysUnavailable),
                None => {}
            }
        }
        let e = first_error.unwrap_or(SelectError::UnknownKid);
        Err(AuthError::invalid(format!(
            "no configured key verifies this token: {e}"
        )))
    }
}
