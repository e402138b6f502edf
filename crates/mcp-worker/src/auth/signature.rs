//! The one step of a token check the core does not do itself: "does this signature sign
//! this message under this key?". The core parses the token, checks its header and picks
//! the key, hands that question to a [`Verifier`], and finishes (claims, memories) with
//! the answer. The worker answers it with WebCrypto (`src/adapter/webcrypto.rs`), as `getrandom`
//! hands randomness to the platform; the host answers it with the `rsa` crate through
//! jwt-compact ([`RsaVerifier`]), for tests, fuzzing and any non-worker use.

use std::fmt;
use std::future::Future;
use std::pin::Pin;

#[cfg(not(target_arch = "wasm32"))]
use jwt_compact::{Algorithm, AlgorithmSignature};

use super::keys::{Alg, VerifyingKey};

/// One signature to check. `message` is the token's signing input (`header.payload`, as
/// sent) and `signature` its decoded third part; `key` is pinned to `alg` already.
#[derive(Clone, Copy, Debug)]
pub struct SignatureCheck<'a> {
    pub alg: Alg,
    pub key: &'a VerifyingKey,
    pub message: &'a [u8],
    pub signature: &'a [u8],
}

/// The verifier could not give an answer (the platform's crypto failed); says nothing
/// about the token. The text is for the log, not the client.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VerifierError(pub String);

impl fmt::Display for VerifierError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "the signature verifier failed: {}", self.0)
    }
}

impl std::error::Error for VerifierError {}

pub type VerifyFuture<'a> = Pin<Box<dyn Future<Output = Result<bool, VerifierError>> + 'a>>;

/// Answers [`SignatureCheck`]s: `Ok(true)` when the signature is valid.
pub trait Verifier {
    fn verify<'a>(&'a self, check: SignatureCheck<'a>) -> VerifyFuture<'a>;
}

/// Verifies with jwt-compact's RSA algorithms over the `rsa` crate, synchronously: its
/// future is ready when first polled. What the host uses; the worker is built without
/// the `rsa` crate, so the bignum arithmetic stays out of the upload.
#[cfg(not(target_arch = "wasm32"))]
#[derive(Clone, Copy, Debug, Default)]
pub struct RsaVerifier;

#[cfg(not(target_arch = "wasm32"))]
impl Verifier for RsaVerifier {
    fn verify<'a>(&'a self, check: SignatureCheck<'a>) -> VerifyFuture<'a> {
        // The key's numbers passed the same checks when it was loaded.
        let answer = check
            .key
            .rsa_public_key()
            .map_err(|e| VerifierError(e.to_string()))
            .map(|key| {
                jwt_compact::alg::RsaSignature::try_from_slice(check.signature).is_ok_and(
                    |signature| {
                        check
                            .alg
                            .rsa()
                            .verify_signature(&signature, &key, check.message)
                    },
                )
            });
        Box::pin(std::future::ready(answer))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::keys::{tests::jwk_of, tests::test_keys, KeySet};
    use crate::auth::policy::ClaimPolicy;
    use crate::auth::{AuthError, Authenticator};
    use crate::testing::block_on;
    use jwt_compact::{AlgorithmExt, Claims, Header};
    use serde_json::json;

    const NOW: i64 = 1_800_000_000;
    const ALGS: [Alg; 6] = [
        Alg::Rs256,
        Alg::Rs384,
        Alg::Rs512,
        Alg::Ps256,
        Alg::Ps384,
        Alg::Ps512,
    ];

    fn authenticator() -> Authenticator {
        let public = test_keys().0.to_public_key();
        let keys: Vec<_> = ALGS
            .iter()
            .map(|a| jwk_of(&public, a.name(), a.name()))
            .collect();
        let (set, _) = KeySet::parse(&json!({ "keys": keys }).to_string()).unwrap();
        let policy = ClaimPolicy {
            audiences: vec!["my-server".into()],
            issuer: None,
            required_scopes: std::sync::Arc::from([]),
            leeway_secs: 60,
        };
        Authenticator::new(Some(set), None, policy)
    }

    fn token(alg: Alg, sub: &str) -> String {
        // `exp` among the custom claims serialises as the registered claim.
        let claims = Claims::new(json!({ "aud": "my-server", "sub": sub, "exp": NOW + 3600 }));
        let header = Header::empty().with_key_id(alg.name());
        alg.rsa().token(&header, &claims, &test_keys().0).unwrap()
    }

    fn bearer(t: &str) -> String {
        format!("Bearer {t}")
    }

    #[test]
    fn every_rsa_algorithm_verifies_on_the_host_and_a_tampered_token_does_not() {
        let auth = authenticator();
        let now = NOW;
        for alg in ALGS {
            let good = token(alg, "alice");
            assert!(
                auth.authenticate(Some(&bearer(&good)), now).is_ok(),
                "{alg:?}"
            );
            let other = token(alg, "mallory");
            let (head, _) = good.rsplit_once('.').unwrap();
            let (_, forged_sig) = other.rsplit_once('.').unwrap();
            let forged = format!("{head}.{forged_sig}");
            assert_eq!(
                auth.authenticate(Some(&bearer(&forged)), now),
                Err(AuthError::invalid("the token's signature does not verify")),
                "{alg:?}"
            );
        }
    }

    /// A verifier that answers what it is told and counts the questions.
    struct Scripted {
        answer: Result<bool, VerifierError>,
        asked: std::cell::Cell<usize>,
    }

    impl Verifier for Scripted {
        fn verify<'a>(&'a self, check: SignatureCheck<'a>) -> VerifyFuture<'a> {
            self.asked.set(self.asked.get() + 1);
            assert_eq!(check.alg, Alg::Ps384);
            assert!(!check.signature.is_empty());
            assert_eq!(check.message.iter().filter(|b| **b == b'.').count(), 1);
            Box::pin(std::future::ready(self.answer.clone()))
        }
    }

    #[test]
    fn the_core_trusts_the_verifiers_answer_and_remembers_only_a_no() {
        let now = NOW;
        let t = bearer(&token(Alg::Ps384, "alice"));
        let auth = authenticator();
        let no = Scripted {
            answer: Ok(false),
            asked: Default::default(),
        };
        for remembered in [false, true] {
            let r = block_on(auth.check(Some(&t), now, &no)).unwrap_err();
            assert_eq!(r.remembered, remembered);
        }
        assert_eq!(no.asked.get(), 1, "a refused token is not checked again");

        let auth = authenticator();
        let broken = Scripted {
            answer: Err(VerifierError("TypeError".into())),
            asked: Default::default(),
        };
        for _ in 0..2 {
            let r = block_on(auth.check(Some(&t), now, &broken)).unwrap_err();
            assert_eq!((r.error, r.remembered), (AuthError::VerifierFailed, false));
        }
        assert_eq!(broken.asked.get(), 2, "a failed check is never remembered");

        let yes = Scripted {
            answer: Ok(true),
            asked: Default::default(),
        };
        let a = block_on(auth.check(Some(&t), now, &yes)).unwrap();
        assert!(!a.cached);
        assert!(block_on(auth.check(Some(&t), now, &yes)).unwrap().cached);
        assert_eq!(yes.asked.get(), 1);
    }
}
