//! Verifying keys from configuration: a PEM public key (SPKI or PKCS#1), one JWK, or a JWKS.
//! Each key pins the one algorithm it verifies; a token never chooses.

use base64ct::{Base64UrlUnpadded, Encoding};
use jwt_compact::{alg::Rsa, jwk::JsonWebKey};
use rsa::pkcs1::DecodeRsaPublicKey;
use rsa::pkcs8::DecodePublicKey;
use rsa::traits::PublicKeyParts;
use rsa::RsaPublicKey;
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};
use std::fmt;
use std::sync::Arc;

/// Keys below this many bits are refused when loaded.
pub const MIN_RSA_BITS: usize = 2048;
/// The most keys one key set may hold.
pub const MAX_KEYS: usize = 50;

/// A JWS algorithm this server verifies.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Alg {
    Rs256,
    Rs384,
    Rs512,
    Ps256,
    Ps384,
    Ps512,
}

impl Alg {
    /// Exact, case-sensitive names (RFC 7518): "none", "None" and "HS256" are not among them.
    pub fn parse(name: &str) -> Option<Alg> {
        Some(match name {
            "RS256" => Alg::Rs256,
            "RS384" => Alg::Rs384,
            "RS512" => Alg::Rs512,
            "PS256" => Alg::Ps256,
            "PS384" => Alg::Ps384,
            "PS512" => Alg::Ps512,
            _ => return None,
        })
    }

    pub fn name(self) -> &'static str {
        match self {
            Alg::Rs256 => "RS256",
            Alg::Rs384 => "RS384",
            Alg::Rs512 => "RS512",
            Alg::Ps256 => "PS256",
            Alg::Ps384 => "PS384",
            Alg::Ps512 => "PS512",
        }
    }

    pub fn rsa(self) -> Rsa {
        match self {
            Alg::Rs256 => Rsa::rs256(),
            Alg::Rs384 => Rsa::rs384(),
            Alg::Rs512 => Rsa::rs512(),
            Alg::Ps256 => Rsa::ps256(),
            Alg::Ps384 => Rsa::ps384(),
            Alg::Ps512 => Rsa::ps512(),
        }
    }
}

/// One public key and the algorithm it is pinned to.
#[derive(Clone, Debug)]
pub struct VerifyingKey {
    pub kid: Option<String>,
    pub alg: Alg,
    pub key: RsaPublicKey,
    /// SHA-256 of the algorithm, modulus and exponent: the same for the same key wherever
    /// it was loaded from, so a platform verifier can keep its own form of the key under it.
    pub id: [u8; 32],
}

impl VerifyingKey {
    pub fn new(kid: Option<String>, alg: Alg, key: RsaPublicKey) -> Self {
        let (n, e) = (key.n().to_bytes_be(), key.e().to_bytes_be());
        let mut hash = Sha256::new();
        for part in [alg.name().as_bytes(), &n, &e] {
            hash.update((part.len() as u32).to_be_bytes());
            hash.update(part);
        }
        VerifyingKey {
            kid,
            alg,
            key,
            id: hash.finalize().into(),
        }
    }

    /// The modulus and exponent, base64url, as a JWK carries them (`n`, `e`).
    pub fn jwk_n_e(&self) -> (String, String) {
        (
            Base64UrlUnpadded::encode_string(&self.key.n().to_bytes_be()),
            Base64UrlUnpadded::encode_string(&self.key.e().to_bytes_be()),
        )
    }
}

/// Why key material could not be used. Names what to fix; never echoes the material.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum KeyError {
    Empty,
    UnknownFormat,
    Pem(String),
    Jwk(String),
    TooWeak { bits: usize },
    NoUsableKeys(Vec<String>),
    TooManyKeys(usize),
}

impl fmt::Display for KeyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            KeyError::Empty => f.write_str("it is empty"),
            KeyError::UnknownFormat => f.write_str(
                "it is neither a PEM public key (BEGIN PUBLIC KEY / BEGIN RSA PUBLIC KEY), a JWK, nor a JWKS ({\"keys\": [...]})",
            ),
            KeyError::Pem(e) => write!(f, "the PEM key does not parse: {e}"),
            KeyError::Jwk(e) => write!(f, "the JWK does not parse: {e}"),
            KeyError::TooWeak { bits } => write!(
                f,
                "the RSA key has {bits} bits; at least {MIN_RSA_BITS} are required"
            ),
            KeyError::NoUsableKeys(why) => {
                write!(f, "the key set has no usable key ({})", why.join("; "))
            }
            KeyError::TooManyKeys(n) => {
                write!(f, "the key set has {n} keys; at most {MAX_KEYS} are accepted")
            }
        }
    }
}

impl std::error::Error for KeyError {}

/// Why no key fits a token. Shown to the client as the reason the token was refused.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SelectError {
    UnknownKid,
    AmbiguousKey,
    AlgorithmNotAllowed { key_alg: &'static str },
}

impl fmt::Display for SelectError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SelectError::UnknownKid => f.write_str("no key with the token's kid"),
            SelectError::AmbiguousKey => {
                f.write_str("the token has no kid and several keys could have signed it")
            }
            SelectError::AlgorithmNotAllowed { key_alg } => {
                write!(f, "the signing key only verifies {key_alg}")
            }
        }
    }
}

/// A set of verifying keys, in the order configured.
#[derive(Clone, Debug, Default)]
pub struct KeySet {
    // Shared, so a check can hold its key across a wait without holding the set's lock.
    keys: Vec<Arc<VerifyingKey>>,
}

impl KeySet {
    /// Parses a PEM key, a JWK or a JWKS. Returns the set and one warning per key skipped
    /// (a JWKS may carry encryption keys or key types this server does not verify).
    pub fn parse(text: &str) -> Result<(KeySet, Vec<String>), KeyError> {
        let text = text.trim();
        if text.is_empty() {
            return Err(KeyError::Empty);
        }
        if text.starts_with("-----BEGIN") {
            let key = parse_pem(text)?;
            return Ok((
                KeySet {
                    keys: vec![Arc::new(VerifyingKey::new(None, Alg::Rs256, key))],
                },
                Vec::new(),
            ));
        }
        let json: Value = serde_json::from_str(text).map_err(|_| KeyError::UnknownFormat)?;
        let obj = json.as_object().ok_or(KeyError::UnknownFormat)?;
        match obj.get("keys") {
            Some(Value::Array(list)) => parse_jwks(list),
            Some(_) => Err(KeyError::Jwk("'keys' must be an array".into())),
            None => Ok((
                KeySet {
                    keys: vec![Arc::new(parse_jwk(obj)?)],
                },
                Vec::new(),
            )),
        }
    }

    pub fn len(&self) -> usize {
        self.keys.len()
    }

    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    pub fn has_kid(&self, kid: &str) -> bool {
        self.keys.iter().any(|k| k.kid.as_deref() == Some(kid))
    }

    /// The key for a token's `kid` and `alg`. A set of one key without a kid takes any
    /// token kid (a PEM key has none); otherwise the kid must match exactly.
    pub fn select(&self, kid: Option<&str>, alg: Alg) -> Result<&Arc<VerifyingKey>, SelectError> {
        let key = match kid {
            Some(kid) => match self.keys.iter().find(|k| k.kid.as_deref() == Some(kid)) {
                Some(k) => k,
                None => match self.keys.as_slice() {
                    [only] if only.kid.is_none() => only,
                    _ => return Err(SelectError::UnknownKid),
                },
            },
            None => match self.keys.as_slice() {
                [only] => only,
                many => {
                    let mut fitting = many.iter().filter(|k| k.alg == alg);
                    match (fitting.next(), fitting.next()) {
                        (Some(k), None) => k,
                        (None, _) => &many[0],
                        (Some(_), Some(_)) => return Err(SelectError::AmbiguousKey),
                    }
                }
            },
        };
        if key.alg != alg {
            return Err(SelectError::AlgorithmNotAllowed {
                key_alg: key.alg.name(),
            });
        }
        Ok(key)
    }
}

fn parse_pem(text: &str) -> Result<RsaPublicKey, KeyError> {
    let key = if text.starts_with("-----BEGIN RSA PUBLIC KEY-----") {
        RsaPublicKey::from_pkcs1_pem(text).map_err(|e| KeyError::Pem(e.to_string()))?
    } else if text.starts_with("-----BEGIN PUBLIC KEY-----") {
        RsaPublicKey::from_public_key_pem(text).map_err(|e| KeyError::Pem(e.to_string()))?
    } else if text.contains("PRIVATE KEY") {
        return Err(KeyError::Pem(
            "this is a private key; configure the public key only".into(),
        ));
    } else {
        return Err(KeyError::Pem(
            "expected BEGIN PUBLIC KEY or BEGIN RSA PUBLIC KEY".into(),
        ));
    };
    strong_enough(key)
}

fn strong_enough(key: RsaPublicKey) -> Result<RsaPublicKey, KeyError> {
    let bits = key.n().bits();
    if bits < MIN_RSA_BITS {
        return Err(KeyError::TooWeak { bits });
    }
    Ok(key)
}

fn parse_jwk(obj: &Map<String, Value>) -> Result<VerifyingKey, KeyError> {
    let field = |name: &str| obj.get(name).and_then(Value::as_str);
    let kty = field("kty").ok_or_else(|| KeyError::Jwk("missing 'kty'".into()))?;
    if kty != "RSA" {
        return Err(KeyError::Jwk(format!(
            "key type '{kty}' is not supported; use an RSA key"
        )));
    }
    if let Some(u) = field("use") {
        if u != "sig" {
            return Err(KeyError::Jwk(format!("'use' is '{u}', not 'sig'")));
        }
    }
    if obj.contains_key("d") {
        return Err(KeyError::Jwk(
            "this is a private key; configure the public key only".into(),
        ));
    }
    // An RSA JWK without "alg" is pinned to RS256, the algorithm such keys are issued for.
    let alg = match field("alg") {
        None => Alg::Rs256,
        Some(name) => Alg::parse(name).ok_or_else(|| {
            KeyError::Jwk(format!("'alg' {name} is not an RSA signature algorithm"))
        })?,
    };
    let jwk: JsonWebKey<'_> = serde_json::from_value(Value::Object(obj.clone()))
        .map_err(|e| KeyError::Jwk(e.to_string()))?;
    let key = RsaPublicKey::try_from(&jwk).map_err(|e| KeyError::Jwk(e.to_string()))?;
    Ok(VerifyingKey::new(
        field("kid").map(str::to_owned),
        alg,
        strong_enough(key)?,
    ))
}

fn parse_jwks(list: &[Value]) -> Result<(KeySet, Vec<String>), KeyError> {
    if list.len() > MAX_KEYS {
        return Err(KeyError::TooManyKeys(list.len()));
    }
    let mut keys = Vec::new();
    let mut skipped = Vec::new();
    for (i, entry) in list.iter().enumerate() {
        let label = entry
            .get("kid")
            .and_then(Value::as_str)
            .map_or_else(|| format!("key #{i}"), |k| format!("key '{k}'"));
        match entry
            .as_object()
            .ok_or(KeyError::UnknownFormat)
            .and_then(parse_jwk)
        {
            Ok(k) => keys.push(Arc::new(k)),
            Err(e) => skipped.push(format!("{label} skipped: {e}")),
        }
    }
    if keys.is_empty() {
        return Err(KeyError::NoUsableKeys(skipped));
    }
    Ok((KeySet { keys }, skipped))
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use base64ct::{Base64UrlUnpadded, Encoding};
    use rsa::pkcs1::EncodeRsaPublicKey;
    use rsa::pkcs8::{EncodePublicKey, LineEnding};
    use rsa::RsaPrivateKey;
    use std::sync::OnceLock;

    /// One 2048-bit and one 1024-bit test key, generated once per test run.
    pub fn test_keys() -> &'static (RsaPrivateKey, RsaPrivateKey) {
        static KEYS: OnceLock<(RsaPrivateKey, RsaPrivateKey)> = OnceLock::new();
        KEYS.get_or_init(|| {
            let mut rng = rsa::rand_core::OsRng;
            (
                RsaPrivateKey::new(&mut rng, 2048).unwrap(),
                RsaPrivateKey::new(&mut rng, 1024).unwrap(),
            )
        })
    }

    pub fn jwk_of(key: &RsaPublicKey, kid: &str, alg: &str) -> Value {
        serde_json::json!({
            "kty": "RSA", "kid": kid, "alg": alg, "use": "sig",
            "n": Base64UrlUnpadded::encode_string(&key.n().to_bytes_be()),
            "e": Base64UrlUnpadded::encode_string(&key.e().to_bytes_be()),
        })
    }

    #[test]
    fn spki_and_pkcs1_pem_are_rs256() {
        let public = test_keys().0.to_public_key();
        let spki = public.to_public_key_pem(LineEnding::LF).unwrap();
        let pkcs1 = public.to_pkcs1_pem(LineEnding::LF).unwrap();
        for pem in [spki, pkcs1] {
            let (set, warnings) = KeySet::parse(&pem).unwrap();
            assert!(warnings.is_empty());
            assert_eq!(set.select(None, Alg::Rs256).unwrap().alg, Alg::Rs256);
            assert_eq!(
                set.select(None, Alg::Ps256).unwrap_err(),
                SelectError::AlgorithmNotAllowed { key_alg: "RS256" }
            );
        }
    }

    #[test]
    fn weak_keys_are_refused_at_load() {
        let weak = test_keys().1.to_public_key();
        let pem = weak.to_public_key_pem(LineEnding::LF).unwrap();
        assert_eq!(
            KeySet::parse(&pem).unwrap_err(),
            KeyError::TooWeak { bits: 1024 }
        );
        let jwk = jwk_of(&weak, "w", "RS256").to_string();
        assert_eq!(
            KeySet::parse(&jwk).unwrap_err(),
            KeyError::TooWeak { bits: 1024 }
        );
    }

    #[test]
    fn a_jwks_skips_what_it_cannot_use_and_selects_by_kid() {
        let strong = test_keys().0.to_public_key();
        let weak = test_keys().1.to_public_key();
        let jwks = serde_json::json!({ "keys": [
            jwk_of(&strong, "a", "RS256"),
            jwk_of(&strong, "b", "PS256"),
            jwk_of(&weak, "weak", "RS256"),
            { "kty": "EC", "kid": "ec", "crv": "P-256", "x": "", "y": "" },
            { "kty": "RSA", "kid": "enc", "use": "enc", "n": "AQAB", "e": "AQAB" },
        ]});
        let (set, warnings) = KeySet::parse(&jwks.to_string()).unwrap();
        assert_eq!(set.len(), 2);
        assert_eq!(warnings.len(), 3, "{warnings:?}");
        assert_eq!(
            set.select(Some("b"), Alg::Ps256).unwrap().kid.as_deref(),
            Some("b")
        );
        assert_eq!(
            set.select(Some("zzz"), Alg::Rs256).unwrap_err(),
            SelectError::UnknownKid
        );
        assert!(matches!(
            set.select(Some("a"), Alg::Ps256),
            Err(SelectError::AlgorithmNotAllowed { .. })
        ));
        // Without a kid, the one key whose algorithm fits is chosen.
        assert_eq!(
            set.select(None, Alg::Ps256).unwrap().kid.as_deref(),
            Some("b")
        );
    }

    #[test]
    fn private_keys_and_garbage_are_refused_with_a_reason() {
        assert_eq!(KeySet::parse("  ").unwrap_err(), KeyError::Empty);
        assert_eq!(KeySet::parse("hello").unwrap_err(), KeyError::UnknownFormat);
        assert!(matches!(
            KeySet::parse("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----"),
            Err(KeyError::Pem(m)) if m.contains("private key")
        ));
        let mut jwk = jwk_of(&test_keys().0.to_public_key(), "p", "RS256");
        jwk["d"] = "AAAA".into();
        assert!(
            matches!(KeySet::parse(&jwk.to_string()), Err(KeyError::Jwk(m)) if m.contains("private"))
        );
        let hs = serde_json::json!({"kty": "oct", "k": "c2VjcmV0"});
        assert!(KeySet::parse(&hs.to_string()).is_err());
    }

    #[test]
    fn algorithm_names_are_exact() {
        for bad in ["none", "None", "NONE", "HS256", "rs256", "ES256", ""] {
            assert_eq!(Alg::parse(bad), None, "{bad}");
        }
        assert_eq!(Alg::parse("PS512"), Some(Alg::Ps512));
    }
}
