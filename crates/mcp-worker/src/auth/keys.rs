//! Verifying keys from configuration: a PEM public key (SPKI or PKCS#1), one JWK, or a JWKS.
//! Each key pins the one algorithm it verifies; a token never chooses.

pub mod der;

use base64ct::{Base64UrlUnpadded, Encoding};
use serde_json::{Map, Value};
use std::fmt;
use std::sync::Arc;

/// Keys below this many bits are refused when loaded.
pub const MIN_RSA_BITS: usize = 2048;
/// Keys above this many bits are refused when loaded (the limit the `rsa` crate, which
/// verifies on the host, sets).
pub const MAX_RSA_BITS: usize = 4096;
/// The largest public exponent accepted (the `rsa` crate's limit, 2^33 - 1).
pub const MAX_RSA_EXPONENT: u64 = (1 << 33) - 1;
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

    /// jwt-compact's algorithm, for the host's verifier and for signing test tokens.
    #[cfg(not(target_arch = "wasm32"))]
    pub fn rsa(self) -> jwt_compact::alg::Rsa {
        use jwt_compact::alg::Rsa;
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

/// One public key and the algorithm it is pinned to. The key is kept as its two numbers,
/// which is all WebCrypto needs to import it; only the host's verifier builds an
/// `rsa::RsaPublicKey` from them.
#[derive(Clone, Debug)]
pub struct VerifyingKey {
    pub kid: Option<String>,
    pub alg: Alg,
    /// The modulus, big-endian, without leading zeros; at least [`MIN_RSA_BITS`] and at
    /// most [`MAX_RSA_BITS`] bits, odd.
    pub n: Vec<u8>,
    /// The public exponent, big-endian, without leading zeros; odd, 3 to
    /// [`MAX_RSA_EXPONENT`].
    pub e: Vec<u8>,
    /// The isolate's keyed digest (`cache::keyed_digest`) of the algorithm, modulus and
    /// exponent: within this isolate, the same for the same key wherever it was loaded
    /// from, so a platform verifier can keep its own form of the key under it. Each
    /// isolate has its own hash key: never store an id or compare it across isolates.
    /// Not SHA-256, which added 15 KB to the machine code V8 compiled for every isolate's
    /// first answer, for this alone (measured).
    pub id: [u8; 16],
}

/// What is wrong with a key's numbers: too short, or unusable (the text says why).
enum Unusable {
    TooWeak { bits: usize },
    Malformed(String),
}

impl Unusable {
    /// As the error of the format the key came in (`wrap`), except a too-short key.
    fn into_key_error(self, wrap: fn(String) -> KeyError) -> KeyError {
        match self {
            Unusable::TooWeak { bits } => KeyError::TooWeak { bits },
            Unusable::Malformed(why) => wrap(why),
        }
    }
}

fn strip_zeros(mut bytes: &[u8]) -> &[u8] {
    while let [0, rest @ ..] = bytes {
        bytes = rest;
    }
    bytes
}

impl VerifyingKey {
    /// Checks `n` and `e` (big-endian; leading zeros allowed) as the `rsa` crate's
    /// `RsaPublicKey::new` does, and at least [`MIN_RSA_BITS`] bits.
    fn new(kid: Option<String>, alg: Alg, n: &[u8], e: &[u8]) -> Result<Self, Unusable> {
        let (n, e) = (strip_zeros(n), strip_zeros(e));
        let bits = match n {
            [] => 0,
            [top, ..] => (n.len() - 1) * 8 + (8 - top.leading_zeros() as usize),
        };
        if bits < MIN_RSA_BITS {
            return Err(Unusable::TooWeak { bits });
        }
        if bits > MAX_RSA_BITS {
            return Err(Unusable::Malformed(format!(
                "the modulus has {bits} bits; at most {MAX_RSA_BITS} are accepted"
            )));
        }
        if n.last().is_some_and(|b| b & 1 == 0) {
            return Err(Unusable::Malformed("the modulus is even".into()));
        }
        // At most 8 bytes, so `e` is far below the 2048-bit `n`.
        let exponent = match e.len() {
            0..=8 => e.iter().fold(0u64, |v, b| v << 8 | u64::from(*b)),
            _ => u64::MAX,
        };
        if !(3..=MAX_RSA_EXPONENT).contains(&exponent) || exponent & 1 == 0 {
            return Err(Unusable::Malformed(format!(
                "the public exponent must be odd, from 3 to {MAX_RSA_EXPONENT}"
            )));
        }
        // Each part after its length, so that no two keys give the same bytes.
        let name = alg.name().as_bytes();
        let mut content = Vec::with_capacity(3 * 4 + name.len() + n.len() + e.len());
        for part in [name, n, e] {
            content.extend_from_slice(&(part.len() as u32).to_be_bytes());
            content.extend_from_slice(part);
        }
        Ok(VerifyingKey {
            kid,
            alg,
            n: n.to_vec(),
            e: e.to_vec(),
            id: super::cache::keyed_digest(&content),
        })
    }

    /// The modulus and exponent, base64url, as a JWK carries them (`n`, `e`).
    pub fn jwk_n_e(&self) -> (String, String) {
        (
            Base64UrlUnpadded::encode_string(&self.n),
            Base64UrlUnpadded::encode_string(&self.e),
        )
    }

    /// The key as the `rsa` crate holds it, for the host's verifier.
    #[cfg(not(target_arch = "wasm32"))]
    pub fn rsa_public_key(&self) -> Result<rsa::RsaPublicKey, rsa::Error> {
        use rsa::BigUint;
        rsa::RsaPublicKey::new(
            BigUint::from_bytes_be(&self.n),
            BigUint::from_bytes_be(&self.e),
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
            return Ok((
                KeySet {
                    keys: vec![Arc::new(parse_pem(text)?)],
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

    #[cfg(any(test, feature = "unstable"))]
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

/// A PEM key, pinned to RS256 (PEM carries no algorithm).
fn parse_pem(text: &str) -> Result<VerifyingKey, KeyError> {
    type Reader = fn(&[u8]) -> Result<der::RsaParts<'_>, der::DerError>;
    let (label, read): (&str, Reader) = if text.starts_with("-----BEGIN RSA PUBLIC KEY-----") {
        ("RSA PUBLIC KEY", der::pkcs1)
    } else if text.starts_with("-----BEGIN PUBLIC KEY-----") {
        ("PUBLIC KEY", der::spki)
    } else if text.contains("PRIVATE KEY") {
        return Err(KeyError::Pem(
            "this is a private key; configure the public key only".into(),
        ));
    } else {
        return Err(KeyError::Pem(
            "expected BEGIN PUBLIC KEY or BEGIN RSA PUBLIC KEY".into(),
        ));
    };
    let body = text
        .strip_prefix(&format!("-----BEGIN {label}-----"))
        .and_then(|t| t.strip_suffix(&format!("-----END {label}-----")))
        .ok_or_else(|| KeyError::Pem(format!("expected it to end with -----END {label}-----")))?;
    let bytes = der::pem_body(body).map_err(KeyError::Pem)?;
    let parts = read(&bytes).map_err(|e| KeyError::Pem(e.to_string()))?;
    VerifyingKey::new(None, Alg::Rs256, parts.n, parts.e)
        .map_err(|u| u.into_key_error(KeyError::Pem))
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
    // RFC 7518 section 6.3.1: `n` and `e` are base64url without padding.
    let number = |name: &str| match obj.get(name) {
        None => Err(KeyError::Jwk(format!("missing '{name}'"))),
        Some(Value::String(s)) => Base64UrlUnpadded::decode_vec(s)
            .map_err(|_| KeyError::Jwk(format!("'{name}' is not base64url without padding"))),
        Some(_) => Err(KeyError::Jwk(format!("'{name}' must be a string"))),
    };
    let (n, e) = (number("n")?, number("e")?);
    VerifyingKey::new(field("kid").map(str::to_owned), alg, &n, &e)
        .map_err(|u| u.into_key_error(KeyError::Jwk))
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
    use rsa::traits::PublicKeyParts;
    use rsa::RsaPrivateKey;
    use rsa::RsaPublicKey;
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

    fn jwk_with(n: &[u8], e: &[u8]) -> String {
        serde_json::json!({
            "kty": "RSA",
            "n": Base64UrlUnpadded::encode_string(n),
            "e": Base64UrlUnpadded::encode_string(e),
        })
        .to_string()
    }

    fn jwk_error(text: &str) -> String {
        match KeySet::parse(text) {
            Err(KeyError::Jwk(m)) => m,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn the_numbers_are_checked_as_the_rsa_crate_checks_them() {
        let odd = |bytes: usize| {
            let mut n = vec![0xff; bytes];
            n[bytes - 1] = 0xfd;
            n
        };
        assert!(KeySet::parse(&jwk_with(&odd(512), &[1, 0, 1])).is_ok());
        assert!(jwk_error(&jwk_with(&odd(513), &[3])).contains("4104 bits; at most 4096"));
        let mut even = odd(256);
        even[255] = 0xfe;
        assert!(jwk_error(&jwk_with(&even, &[3])).contains("even"));
        let max = MAX_RSA_EXPONENT.to_be_bytes();
        assert!(KeySet::parse(&jwk_with(&odd(256), &max)).is_ok());
        for e in [
            &[][..],
            &[1],
            &[2],
            &[1, 0, 0],
            &(MAX_RSA_EXPONENT + 2).to_be_bytes(),
            &[1; 9],
        ] {
            assert!(
                jwk_error(&jwk_with(&odd(256), e)).contains("exponent must be odd"),
                "{e:?}"
            );
        }
        assert_eq!(
            KeySet::parse(&jwk_with(&[], &[3])).unwrap_err(),
            KeyError::TooWeak { bits: 0 }
        );
    }

    #[test]
    fn leading_zeros_do_not_change_a_key() {
        let public = test_keys().0.to_public_key();
        let (n, e) = (public.n().to_bytes_be(), public.e().to_bytes_be());
        let plain = KeySet::parse(&jwk_with(&n, &e)).unwrap().0;
        let padded = KeySet::parse(&jwk_with(
            &[&[0, 0][..], &n].concat(),
            &[&[0][..], &e].concat(),
        ))
        .unwrap()
        .0;
        let pem = public.to_public_key_pem(LineEnding::CRLF).unwrap();
        let from_pem = KeySet::parse(&pem).unwrap().0;
        let key = |set: &KeySet| set.keys[0].clone();
        assert_eq!(key(&plain).id, key(&padded).id);
        assert_eq!(key(&plain).id, key(&from_pem).id);
        assert_eq!((key(&padded).n.clone(), key(&padded).e.clone()), (n, e));
    }

    #[test]
    fn malformed_jwk_numbers_are_named() {
        let n = Base64UrlUnpadded::encode_string(&test_keys().0.to_public_key().n().to_bytes_be());
        let jwk = |fields: Value| {
            let mut obj = serde_json::json!({"kty": "RSA", "n": n, "e": "AQAB"});
            for (k, v) in fields.as_object().unwrap() {
                obj[k] = v.clone();
            }
            obj.as_object_mut().unwrap().retain(|_, v| !v.is_null());
            obj.to_string()
        };
        assert_eq!(
            jwk_error(&jwk(serde_json::json!({"n": null}))),
            "missing 'n'"
        );
        assert_eq!(
            jwk_error(&jwk(serde_json::json!({"e": 65537}))),
            "'e' must be a string"
        );
        assert_eq!(
            jwk_error(&jwk(serde_json::json!({"e": "AQAB="}))),
            "'e' is not base64url without padding"
        );
        assert_eq!(
            jwk_error(&jwk(serde_json::json!({"e": "AQ+/"}))),
            "'e' is not base64url without padding"
        );
    }

    #[test]
    fn malformed_pem_keys_say_what_is_wrong() {
        let public = test_keys().0.to_public_key();
        let pem = public.to_public_key_pem(LineEnding::LF).unwrap();
        let pem_error = |text: &str| match KeySet::parse(text) {
            Err(KeyError::Pem(m)) => m,
            other => panic!("{other:?}"),
        };
        let unended = pem
            .trim_end()
            .strip_suffix("-----END PUBLIC KEY-----")
            .unwrap();
        assert!(pem_error(unended).contains("-----END PUBLIC KEY-----"));
        // The END line of the other format.
        let mixed = unended.to_owned() + "-----END RSA PUBLIC KEY-----";
        assert!(pem_error(&mixed).contains("-----END PUBLIC KEY-----"));
        let garbled = pem.replacen("MII", "MI*", 1);
        assert_eq!(pem_error(&garbled), "its body is not Base64");
        // A PKCS#1 body under an SPKI label, and an SPKI body under a PKCS#1 label.
        let pkcs1 = public.to_pkcs1_pem(LineEnding::LF).unwrap();
        let swapped = pkcs1.replace("RSA PUBLIC KEY", "PUBLIC KEY");
        assert!(pem_error(&swapped).contains("AlgorithmIdentifier"));
        let swapped = pem.replace("PUBLIC KEY", "RSA PUBLIC KEY");
        assert!(pem_error(&swapped).contains("modulus"));
        let truncated = {
            let lines: Vec<&str> = pem.lines().collect();
            let mut cut = lines[..3].to_vec();
            cut.push(lines[lines.len() - 1]);
            cut.join("\n")
        };
        assert!(pem_error(&truncated).contains("truncated"), "{truncated}");
    }

    #[test]
    fn algorithm_names_are_exact() {
        for bad in ["none", "None", "NONE", "HS256", "rs256", "ES256", ""] {
            assert_eq!(Alg::parse(bad), None, "{bad}");
        }
        assert_eq!(Alg::parse("PS512"), Some(Alg::Ps512));
    }
}
