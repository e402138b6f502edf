//! RFC 9068 access tokens: the JWTs the token endpoint issues, signed with the
//! authorization server's keys, and the key set it publishes for them.
//!
//! A token is a JWS in compact form with the header `{"alg": "RS256", "typ": "at+jwt",
//! "kid": …}` (RFC 9068 §2.1: RS256 is the algorithm every resource server supports) and
//! the claims of §2.2: `iss`, `sub`, `aud` (the grant's resource, RFC 8707 and RFC 9068
//! §3), `client_id`, `scope`, `jti`, `iat` and `exp`, at most [`MAX_LIFETIME_SECS`]
//! after `iat` (short-lived, as MCP's security guidance asks: no server record revokes
//! them, so an ended grant's access tokens live out at most this).
//!
//! The library's own verifier (`auth`) accepts them unchanged: the same `typ`, `alg`
//! and key rules, with the resource as its audience and [`SigningKeys::jwks`] (or one
//! key's PEM) as its keys.
//!
//! Signing is the one step the core hands to the platform, as verifying is (see
//! `auth::signature`): a [`Signer`] signs the JWS signing input with the key its kid
//! names. In the worker WebCrypto does it, importing [`SigningKey::private_jwk`]; on
//! the host [`RsaSigner`] does, with the `rsa` crate, which stays out of the upload.

use std::fmt;

use base64ct::{Base64UrlUnpadded, Encoding};
use serde::Serialize;
use serde_json::{json, Map, Value};

use super::grant::{GrantId, Granted};
use super::json::{read_struct, FromJson};
use crate::auth::keys::KeySet;
use crate::tools::BoxFuture;

/// The longest an access token lives: one hour.
pub const MAX_LIFETIME_SECS: i64 = 3600;
/// The signature algorithm of every token: RS256 (RFC 9068 §2.1).
pub const ALG: &str = "RS256";
/// The `typ` header of every token (RFC 9068 §2.1).
pub const TYP: &str = "at+jwt";
/// The most signing keys a configuration may hold: the one that signs and those still
/// published while tokens they signed may be alive.
pub const MAX_SIGNING_KEYS: usize = 10;

/// The claims of an access token (RFC 9068 §2.2), in the order they are written.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct AccessClaims {
    /// The authorization server: its metadata's `issuer`.
    pub iss: String,
    /// The user.
    pub sub: String,
    /// The resource the token is for (RFC 8707): the MCP server's URL.
    pub aud: String,
    /// The client the token was issued to.
    pub client_id: String,
    /// The scopes granted, space-separated; absent when none are.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
    /// A unique id: `<grant id>.<128 random bits>`, base64url (45 characters). The
    /// random part makes it unique (RFC 7519 §4.1.7); the grant id in front, as in the
    /// grant's codes and refresh tokens, routes a revocation of the token to its grant
    /// ([`AccessClaims::grant_id`]). No extra claim is needed for that: a private name
    /// could collide (RFC 7519 §4.3), and the registered `sid` means an OpenID
    /// provider's browser session, which a resource server might read as such.
    pub jti: String,
    /// When it was issued, seconds since the Unix epoch.
    pub iat: i64,
    /// When it expires, seconds since the Unix epoch.
    pub exp: i64,
}

impl FromJson for AccessClaims {
    fn from_json(v: &Value) -> Option<Self> {
        read_struct!(
            v,
            AccessClaims {
                iss,
                sub,
                aud,
                client_id,
                scope,
                jti,
                iat,
                exp
            }
        )
    }
}

impl AccessClaims {
    /// The claims of an access token for what a grant's redemption or refresh
    /// [`Granted`], valid from `now` (seconds since the Unix epoch) for `lifetime_secs`, which is held to 1 s
    /// to [`MAX_LIFETIME_SECS`].
    pub fn for_grant(
        issuer: &str,
        issued: &Granted,
        now: i64,
        lifetime_secs: i64,
    ) -> Result<AccessClaims, TokenError> {
        let mut random = [0u8; 16];
        getrandom::getrandom(&mut random).map_err(|_| TokenError::Random)?;
        let scope = issued.scopes.join(" ");
        Ok(AccessClaims {
            iss: issuer.to_owned(),
            sub: issued.subject.clone(),
            aud: issued.resource.clone(),
            client_id: issued.client_id.clone(),
            scope: (!scope.is_empty()).then_some(scope),
            jti: format!(
                "{}.{}",
                issued.grant_id,
                Base64UrlUnpadded::encode_string(&random)
            ),
            iat: now,
            exp: now.saturating_add(lifetime_secs.clamp(1, MAX_LIFETIME_SECS)),
        })
    }

    /// The grant the token was issued under, read from the front of its `jti`: the
    /// object to ask to revoke it ([`Object::revoke_access_token`]). `None` when the
    /// `jti` starts with no grant id. Only as trustworthy as the token's signature.
    ///
    /// [`Object::revoke_access_token`]: super::grant::Object::revoke_access_token
    pub fn grant_id(&self) -> Option<GrantId> {
        let (id, _) = self.jti.split_once('.')?;
        GrantId::parse(id)
    }

    /// Seconds from issue to expiry: the token response's `expires_in`.
    pub fn expires_in(&self) -> i64 {
        self.exp.saturating_sub(self.iat)
    }
}

/// Why signing keys could not be used. Names the key by position and what to fix;
/// never shows key material.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum KeyConfigError {
    /// Not a JSON object.
    NotJson,
    /// No `keys` array, or an empty one.
    NoKeys,
    /// More than [`MAX_SIGNING_KEYS`].
    TooMany(usize),
    /// The key at this position (from 0) is unusable, for the reason given.
    Key {
        /// Its position in `keys`.
        index: usize,
        /// What is wrong with it.
        why: String,
    },
    /// Two keys share this kid.
    DuplicateKid(String),
}

impl fmt::Display for KeyConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            KeyConfigError::NotJson => f.write_str(
                "the signing keys are not a JSON object: expected a JWKS ({\"keys\": [...]}) of private RSA keys",
            ),
            KeyConfigError::NoKeys => f.write_str("the signing keys hold no key in 'keys'"),
            KeyConfigError::TooMany(n) => write!(
                f,
                "the signing keys hold {n} keys; at most {MAX_SIGNING_KEYS} (remove keys whose tokens have expired)"
            ),
            KeyConfigError::Key { index, why } => write!(f, "signing key #{index}: {why}"),
            KeyConfigError::DuplicateKid(kid) => {
                write!(f, "two signing keys have the kid '{kid}'; each needs its own")
            }
        }
    }
}

impl std::error::Error for KeyConfigError {}

/// The members of a private RSA JWK (RFC 7518 §6.3) besides `kty`: all of them, as
/// WebCrypto's import wants the CRT parameters too.
const RSA_MEMBERS: [&str; 8] = ["n", "e", "d", "p", "q", "dp", "dq", "qi"];

/// One signing key: its kid, its public JWK (published) and its private JWK (secret).
#[derive(Clone)]
pub struct SigningKey {
    kid: String,
    public: Value,
    private: Map<String, Value>,
}

impl SigningKey {
    /// The key's id: the `kid` of the tokens it signs and of its published JWK.
    pub fn kid(&self) -> &str {
        &self.kid
    }

    /// The public JWK: `kty`, `use`, `alg`, `kid`, `n` and `e`.
    pub fn public_jwk(&self) -> &Value {
        &self.public
    }

    /// The private JWK, as WebCrypto's `importKey("jwk", …)` takes it: `kty`, `alg`,
    /// `kid` and the RSA members. Secret: for the signer only, never for a log.
    pub fn private_jwk(&self) -> &Map<String, Value> {
        &self.private
    }

    fn parse(index: usize, entry: &Value) -> Result<SigningKey, KeyConfigError> {
        let fail = |why: String| KeyConfigError::Key { index, why };
        let obj = entry
            .as_object()
            .ok_or_else(|| fail("it is not a JSON object (a JWK)".into()))?;
        let field = |name: &str| obj.get(name).and_then(Value::as_str);
        if field("kty") != Some("RSA") {
            return Err(fail("'kty' must be \"RSA\"".into()));
        }
        let kid = match field("kid") {
            Some(k)
                if !k.is_empty() && k.len() <= 128 && k.bytes().all(|b| b.is_ascii_graphic()) =>
            {
                k
            }
            _ => {
                return Err(fail(
                    "'kid' is required: 1 to 128 printable ASCII characters, no spaces".into(),
                ))
            }
        };
        if field("alg").is_some_and(|a| a != ALG) {
            return Err(fail(format!("'alg' must be {ALG}, or absent")));
        }
        if field("use").is_some_and(|u| u != "sig") {
            return Err(fail("'use' must be \"sig\", or absent".into()));
        }
        if obj.contains_key("oth") {
            return Err(fail("multi-prime keys ('oth') are not supported".into()));
        }
        let mut private = Map::new();
        private.insert("kty".into(), "RSA".into());
        private.insert("alg".into(), ALG.into());
        private.insert("kid".into(), kid.into());
        for name in RSA_MEMBERS {
            match obj.get(name) {
                Some(Value::String(s)) if Base64UrlUnpadded::decode_vec(s).is_ok() => {
                    private.insert(name.into(), s.clone().into());
                }
                Some(_) => {
                    return Err(fail(format!(
                        "'{name}' is not base64url without padding"
                    )))
                }
                None => {
                    return Err(fail(format!(
                        "'{name}' is missing: a signing key is a private RSA JWK with n, e, d, p, q, dp, dq and qi"
                    )))
                }
            }
        }
        let public = json!({
            "kty": "RSA", "use": "sig", "alg": ALG, "kid": kid,
            "n": private["n"], "e": private["e"],
        });
        // The rules every verifying key meets (size, exponent), so what is published
        // is a key the library's own verifier takes.
        KeySet::parse(&public.to_string()).map_err(|e| fail(e.to_string()))?;
        Ok(SigningKey {
            kid: kid.to_owned(),
            public,
            private,
        })
    }
}

impl fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SigningKey")
            .field("kid", &self.kid)
            .finish_non_exhaustive()
    }
}

/// The authorization server's signing keys, from configuration: a JWKS of private RSA
/// keys, each with its own kid, listed newest first. The first signs; all are
/// published, so tokens signed before a rotation verify until they expire. To rotate,
/// put the new key first and keep the old one listed for at least an access token's
/// lifetime plus the time resource servers cache the key set.
#[derive(Clone, Debug)]
pub struct SigningKeys {
    signing: SigningKey,
    older: Vec<SigningKey>,
}

impl SigningKeys {
    /// Reads `{"keys": [private JWK, …]}`, newest first. Each key: `kty` `RSA`, a
    /// `kid`, `alg` `RS256` or none, `use` `sig` or none, and `n`, `e`, `d`, `p`, `q`,
    /// `dp`, `dq`, `qi`; its public part must pass the verifier's key rules (2048 to
    /// 4096 bits).
    pub fn parse(text: &str) -> Result<SigningKeys, KeyConfigError> {
        let json: Value = serde_json::from_str(text).map_err(|_| KeyConfigError::NotJson)?;
        let list = match json.as_object().map(|o| o.get("keys")) {
            None => return Err(KeyConfigError::NotJson),
            Some(Some(Value::Array(list))) => list,
            Some(_) => return Err(KeyConfigError::NoKeys),
        };
        if list.len() > MAX_SIGNING_KEYS {
            return Err(KeyConfigError::TooMany(list.len()));
        }
        let mut keys = Vec::with_capacity(list.len());
        for (index, entry) in list.iter().enumerate() {
            let key = SigningKey::parse(index, entry)?;
            if keys.iter().any(|k: &SigningKey| k.kid == key.kid) {
                return Err(KeyConfigError::DuplicateKid(key.kid));
            }
            keys.push(key);
        }
        let mut keys = keys.into_iter();
        let signing = keys.next().ok_or(KeyConfigError::NoKeys)?;
        Ok(SigningKeys {
            signing,
            older: keys.collect(),
        })
    }

    /// The key that signs new tokens: the first listed.
    pub fn signing_key(&self) -> &SigningKey {
        &self.signing
    }

    /// Every key, the signing one first.
    pub fn keys(&self) -> impl Iterator<Item = &SigningKey> {
        std::iter::once(&self.signing).chain(&self.older)
    }

    /// The JWKS document the `jwks_uri` serves (RFC 8414 §2): every key's public JWK,
    /// no private member.
    pub fn jwks(&self) -> Value {
        let keys: Vec<&Value> = self.keys().map(SigningKey::public_jwk).collect();
        json!({ "keys": keys })
    }
}

/// The signer could not sign (its crypto failed, or it holds no key by that kid). The
/// text is for the log.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SignerError(pub String);

impl fmt::Display for SignerError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "the token signer failed: {}", self.0)
    }
}

impl std::error::Error for SignerError {}

/// Signs a JWS signing input (`header.payload`, base64url, RFC 7515 §5.1) with RS256
/// (RSASSA-PKCS1-v1_5 with SHA-256) under the key `key` names by its kid, and returns
/// the signature's bytes. The worker's signer imports [`SigningKey::private_jwk`] once
/// per kid into WebCrypto.
pub trait Signer {
    /// The RS256 signature of `signing_input` under `key`.
    fn sign<'a>(
        &'a self,
        key: &'a SigningKey,
        signing_input: &'a [u8],
    ) -> BoxFuture<'a, Result<Vec<u8>, SignerError>>;
}

/// Why a token could not be minted.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum TokenError {
    /// The platform gave no random bytes.
    Random,
    /// The signer failed.
    Signer(SignerError),
}

impl fmt::Display for TokenError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TokenError::Random => f.write_str("the platform's random number generator failed"),
            TokenError::Signer(e) => e.fmt(f),
        }
    }
}

impl std::error::Error for TokenError {}

/// Mints an access token: the claims signed by the signing key of `keys`, with the
/// header `{"alg": "RS256", "kid": …, "typ": "at+jwt"}`.
pub async fn mint(
    claims: &AccessClaims,
    keys: &SigningKeys,
    signer: &dyn Signer,
) -> Result<String, TokenError> {
    let key = keys.signing_key();
    let header = json!({ "alg": ALG, "typ": TYP, "kid": key.kid() });
    // Serialising a map of strings and a struct of strings and integers cannot fail.
    let payload = serde_json::to_vec(claims).unwrap_or_default();
    let input = format!(
        "{}.{}",
        Base64UrlUnpadded::encode_string(header.to_string().as_bytes()),
        Base64UrlUnpadded::encode_string(&payload)
    );
    let signature = signer
        .sign(key, input.as_bytes())
        .await
        .map_err(TokenError::Signer)?;
    if signature.is_empty() {
        return Err(TokenError::Signer(SignerError(
            "it returned an empty signature".into(),
        )));
    }
    Ok(format!(
        "{input}.{}",
        Base64UrlUnpadded::encode_string(&signature)
    ))
}

/// Signs with the `rsa` crate: the host's [`Signer`], for tests and tools. Its future
/// is ready when first polled. The worker is built without the `rsa` crate and signs
/// with WebCrypto.
#[cfg(not(target_arch = "wasm32"))]
pub struct RsaSigner {
    keys: Vec<(String, rsa::RsaPrivateKey)>,
}

#[cfg(not(target_arch = "wasm32"))]
impl fmt::Debug for RsaSigner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kids: Vec<&str> = self.keys.iter().map(|(k, _)| k.as_str()).collect();
        f.debug_struct("RsaSigner")
            .field("kids", &kids)
            .finish_non_exhaustive()
    }
}

#[cfg(not(target_arch = "wasm32"))]
impl RsaSigner {
    /// Loads every key, checking that its private numbers belong together (which
    /// [`SigningKeys::parse`], with no big-number arithmetic in the worker, cannot).
    pub fn new(keys: &SigningKeys) -> Result<RsaSigner, KeyConfigError> {
        let mut loaded = Vec::new();
        for (index, key) in keys.keys().enumerate() {
            loaded.push((key.kid.clone(), load_private(index, key)?));
        }
        Ok(RsaSigner { keys: loaded })
    }
}

#[cfg(not(target_arch = "wasm32"))]
fn load_private(index: usize, key: &SigningKey) -> Result<rsa::RsaPrivateKey, KeyConfigError> {
    use rsa::traits::PrivateKeyParts;
    use rsa::BigUint;
    let fail = |why: &str| KeyConfigError::Key {
        index,
        why: why.to_owned(),
    };
    let number = |name: &str| {
        key.private
            .get(name)
            .and_then(Value::as_str)
            .and_then(|s| Base64UrlUnpadded::decode_vec(s).ok())
            .map(|b| BigUint::from_bytes_be(&b))
            .ok_or_else(|| fail("a member is not base64url"))
    };
    let [n, e, d, p, q, dp, dq, qi] = RSA_MEMBERS.map(number);
    let private = rsa::RsaPrivateKey::from_components(n?, e?, d?, vec![p?, q?])
        .map_err(|_| fail("its private numbers do not make an RSA key with its n and e"))?;
    let (dp, dq, qi) = (dp?, dq?, qi?);
    if private.dp() != Some(&dp)
        || private.dq() != Some(&dq)
        || private.crt_coefficient().as_ref() != Some(&qi)
    {
        return Err(fail("its dp, dq or qi do not belong to its p, q and d"));
    }
    Ok(private)
}

#[cfg(not(target_arch = "wasm32"))]
fn rsa_sign(private: &rsa::RsaPrivateKey, signing_input: &[u8]) -> Result<Vec<u8>, SignerError> {
    use sha2::{Digest, Sha256};
    private
        .sign_with_rng(
            &mut rsa::rand_core::OsRng,
            rsa::Pkcs1v15Sign::new::<Sha256>(),
            &Sha256::digest(signing_input),
        )
        .map_err(|e| SignerError(e.to_string()))
}

/// The host's default [`Signer`]: loads the key it is given on every signature (slow, and
/// fine for tests). The worker signs with WebCrypto.
#[cfg(not(target_arch = "wasm32"))]
#[derive(Debug)]
pub struct HostSigner;

#[cfg(not(target_arch = "wasm32"))]
impl Signer for HostSigner {
    fn sign<'a>(
        &'a self,
        key: &'a SigningKey,
        signing_input: &'a [u8],
    ) -> BoxFuture<'a, Result<Vec<u8>, SignerError>> {
        let answer = load_private(0, key)
            .map_err(|e| SignerError(e.to_string()))
            .and_then(|private| rsa_sign(&private, signing_input));
        Box::pin(std::future::ready(answer))
    }
}

#[cfg(not(target_arch = "wasm32"))]
impl Signer for RsaSigner {
    fn sign<'a>(
        &'a self,
        key: &'a SigningKey,
        signing_input: &'a [u8],
    ) -> BoxFuture<'a, Result<Vec<u8>, SignerError>> {
        let answer = match self.keys.iter().find(|(kid, _)| kid == key.kid()) {
            None => Err(SignerError(format!(
                "it holds no key with the kid '{}'",
                key.kid()
            ))),
            Some((_, private)) => rsa_sign(private, signing_input),
        };
        Box::pin(std::future::ready(answer))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::{Arc, OnceLock};

    use rsa::pkcs8::{EncodePublicKey, LineEnding};
    use rsa::traits::{PrivateKeyParts, PublicKeyParts};
    use rsa::RsaPrivateKey;

    use crate::auth::policy::ClaimPolicy;
    use crate::auth::{AuthError, Authenticator};
    use crate::oauth::grant::Upstream;
    use crate::testing::block_on;

    const NOW: i64 = 1_800_000_000;
    const ISSUER: &str = "https://auth.example";
    const RESOURCE: &str = "https://mcp.example/mcp";

    fn newer_key() -> &'static RsaPrivateKey {
        static KEY: OnceLock<RsaPrivateKey> = OnceLock::new();
        KEY.get_or_init(|| RsaPrivateKey::new(&mut rsa::rand_core::OsRng, 2048).unwrap())
    }

    fn older_key() -> &'static RsaPrivateKey {
        &crate::auth::keys::tests::test_keys().0
    }

    fn b64(n: &rsa::BigUint) -> String {
        Base64UrlUnpadded::encode_string(&n.to_bytes_be())
    }

    fn private_jwk(key: &RsaPrivateKey, kid: &str) -> Value {
        let p = key.primes();
        let qi = key.crt_coefficient().unwrap();
        json!({
            "kty": "RSA", "kid": kid, "alg": "RS256", "use": "sig",
            "n": b64(key.n()), "e": b64(key.e()), "d": b64(key.d()),
            "p": b64(&p[0]), "q": b64(&p[1]),
            "dp": b64(key.dp().unwrap()), "dq": b64(key.dq().unwrap()), "qi": b64(&qi),
        })
    }

    fn keys(list: &[(&RsaPrivateKey, &str)]) -> SigningKeys {
        let jwks: Vec<Value> = list.iter().map(|(k, kid)| private_jwk(k, kid)).collect();
        SigningKeys::parse(&json!({ "keys": jwks }).to_string()).unwrap()
    }

    fn issued(resource: &str) -> Granted {
        Granted {
            grant_id: GrantId::new().unwrap(),
            client_id: "https://client.example/metadata.json".into(),
            subject: "user-1".into(),
            upstream: Upstream::default(),
            scopes: vec!["notes:read".into(), "notes:write".into()],
            resource: resource.into(),
            refresh_token: None,
        }
    }

    fn mint_for(resource: &str, keys: &SigningKeys) -> String {
        mint_for_grant(&issued(resource), keys)
    }

    fn mint_for_grant(granted: &Granted, keys: &SigningKeys) -> String {
        let claims = AccessClaims::for_grant(ISSUER, granted, NOW, 3600).unwrap();
        let signer = RsaSigner::new(keys).unwrap();
        block_on(mint(&claims, keys, &signer)).unwrap()
    }

    /// The library's verifier as a resource server at `RESOURCE` configures it.
    fn resource_server(key_material: &str, required: &[&str]) -> Authenticator {
        let (set, warnings) = crate::auth::keys::KeySet::parse(key_material).unwrap();
        assert!(warnings.is_empty(), "{warnings:?}");
        let policy = ClaimPolicy {
            audiences: vec![RESOURCE.into()],
            issuer: Some(ISSUER.into()),
            required_scopes: required
                .iter()
                .map(|s| (*s).to_owned())
                .collect::<Arc<[String]>>(),
            leeway_secs: 60,
        };
        Authenticator::new(Some(set), None, policy)
    }

    fn part(token: &str, i: usize) -> Value {
        let text = token.split('.').nth(i).unwrap();
        serde_json::from_slice(&Base64UrlUnpadded::decode_vec(text).unwrap()).unwrap()
    }

    #[test]
    fn a_minted_token_passes_the_librarys_verifier_with_the_published_key_set() {
        let keys = keys(&[(newer_key(), "2026-10"), (older_key(), "2026-07")]);
        let granted = issued(RESOURCE);
        let token = mint_for_grant(&granted, &keys);
        assert_eq!(
            part(&token, 0),
            json!({ "alg": "RS256", "typ": "at+jwt", "kid": "2026-10" })
        );
        let jwks = keys.jwks().to_string();
        let rs = resource_server(&jwks, &["notes:write"]);
        let ok = rs
            .authenticate(Some(&format!("Bearer {token}")), NOW + 10)
            .unwrap();
        let p = &ok.principal;
        assert_eq!(p.subject.as_deref(), Some("user-1"));
        assert_eq!(p.scopes, ["notes:read", "notes:write"]);
        assert_eq!(
            p.claims["client_id"],
            "https://client.example/metadata.json"
        );
        assert_eq!(p.claims["aud"], RESOURCE);
        assert_eq!(p.claims["iss"], ISSUER);
        assert_eq!(p.claims["exp"], NOW + 3600);
        // The jti: the grant's id, a dot, 128 random bits; the verifier takes it as any
        // jti, and the revocation endpoint finds the grant by it.
        let jti = p.claims["jti"].as_str().unwrap();
        assert_eq!(jti.len(), 45);
        assert!(jti.starts_with(&format!("{}.", granted.grant_id)));
        let claims = AccessClaims::from_json(&part(&token, 1)).unwrap();
        assert_eq!(claims.grant_id(), Some(granted.grant_id.clone()));
        // Expired at `exp`.
        let rs = resource_server(&jwks, &[]);
        assert!(rs
            .authenticate(Some(&format!("Bearer {token}")), NOW + 3600)
            .is_err());
    }

    #[test]
    fn a_token_for_another_resource_is_refused() {
        let keys = keys(&[(newer_key(), "k1")]);
        let token = mint_for("https://other.example/mcp", &keys);
        let rs = resource_server(&keys.jwks().to_string(), &[]);
        let refused = rs
            .authenticate(Some(&format!("Bearer {token}")), NOW + 10)
            .unwrap_err();
        assert_eq!(
            refused,
            AuthError::invalid(format!(
                "the token's audience ('aud') does not include '{RESOURCE}'"
            ))
        );
    }

    #[test]
    fn a_resource_server_configured_with_the_pem_key_accepts_it_too() {
        let keys = keys(&[(older_key(), "k1")]);
        let token = mint_for(RESOURCE, &keys);
        let pem = older_key()
            .to_public_key()
            .to_public_key_pem(LineEnding::LF)
            .unwrap();
        assert!(resource_server(&pem, &[])
            .authenticate(Some(&format!("Bearer {token}")), NOW)
            .is_ok());
    }

    #[test]
    fn the_newest_key_signs_and_every_key_is_published_without_private_parts() {
        let rotated = keys(&[(newer_key(), "new"), (older_key(), "old")]);
        assert_eq!(rotated.signing_key().kid(), "new");
        let jwks = rotated.jwks();
        let published = jwks["keys"].as_array().unwrap();
        assert_eq!(published.len(), 2);
        for (jwk, kid) in published.iter().zip(["new", "old"]) {
            let members: Vec<&str> = jwk
                .as_object()
                .unwrap()
                .keys()
                .map(String::as_str)
                .collect();
            assert_eq!(members, ["alg", "e", "kid", "kty", "n", "use"]);
            assert_eq!(jwk["kid"], kid);
        }
        // A token the old key signed before the rotation still verifies.
        let before = keys(&[(older_key(), "old")]);
        let token = mint_for(RESOURCE, &before);
        assert_eq!(part(&token, 0)["kid"], "old");
        assert!(resource_server(&jwks.to_string(), &[])
            .authenticate(Some(&format!("Bearer {token}")), NOW)
            .is_ok());
        // The signer signs with the key the kid names: the old key's signature does
        // not pass as the new one's.
        let new_only = keys(&[(newer_key(), "old")]);
        let forged = mint_for(RESOURCE, &new_only);
        assert!(resource_server(&jwks.to_string(), &[])
            .authenticate(Some(&format!("Bearer {forged}")), NOW)
            .is_err());
    }

    #[test]
    fn claims_follow_rfc_9068_and_live_at_most_an_hour() {
        let grant = issued(RESOURCE);
        let c = AccessClaims::for_grant(ISSUER, &grant, NOW, 86_400).unwrap();
        assert_eq!(c.expires_in(), MAX_LIFETIME_SECS);
        assert_eq!(
            AccessClaims::for_grant(ISSUER, &grant, NOW, 0)
                .unwrap()
                .expires_in(),
            1
        );
        assert_ne!(
            AccessClaims::for_grant(ISSUER, &grant, NOW, 60)
                .unwrap()
                .jti,
            c.jti
        );
        // The grant id leads the jti; a jti without one names no grant.
        assert_eq!(c.grant_id().as_ref(), Some(&grant.grant_id));
        for jti in ["", "abc", "no-grant-id.xyz", &grant.grant_id.to_string()] {
            let other = AccessClaims {
                jti: jti.into(),
                ..c.clone()
            };
            assert_eq!(other.grant_id(), None, "{jti}");
        }
        let v = serde_json::to_value(&c).unwrap();
        let names: Vec<&str> = v.as_object().unwrap().keys().map(String::as_str).collect();
        assert_eq!(
            names,
            [
                "aud",
                "client_id",
                "exp",
                "iat",
                "iss",
                "jti",
                "scope",
                "sub"
            ]
        );
        assert_eq!(v["scope"], "notes:read notes:write");
        let none = Granted {
            scopes: Vec::new(),
            ..grant
        };
        let v =
            serde_json::to_value(AccessClaims::for_grant(ISSUER, &none, NOW, 60).unwrap()).unwrap();
        assert!(v.get("scope").is_none(), "no scope granted, no claim");
    }

    #[test]
    fn signing_keys_are_checked_and_errors_show_no_key_material() {
        let good = private_jwk(newer_key(), "k1");
        let d = good["d"].as_str().unwrap().to_owned();
        let with = |f: &dyn Fn(&mut Map<String, Value>)| {
            let mut k = good.as_object().unwrap().clone();
            f(&mut k);
            json!({ "keys": [k] }).to_string()
        };
        let cases: Vec<(String, &str)> =
            vec![
            ("not json".into(), "not a JSON object"),
            ("[]".into(), "not a JSON object"),
            (r#"{"keys": []}"#.into(), "no key"),
            (r#"{"keys": {}}"#.into(), "no key"),
            (with(&|k| drop(k.remove("d"))), "'d' is missing"),
            (with(&|k| drop(k.remove("qi"))), "'qi' is missing"),
            (with(&|k| drop(k.remove("kid"))), "'kid' is required"),
            (with(&|k| drop(k.insert("kid".into(), "a b".into()))), "'kid' is required"),
            (with(&|k| drop(k.insert("alg".into(), "HS256".into()))), "'alg' must be RS256"),
            (with(&|k| drop(k.insert("use".into(), "enc".into()))), "'use' must be"),
            (with(&|k| drop(k.insert("kty".into(), "EC".into()))), "'kty' must be"),
            (with(&|k| drop(k.insert("oth".into(), json!([])))), "multi-prime"),
            (with(&|k| drop(k.insert("p".into(), "a+b=".into()))), "'p' is not base64url"),
            (
                json!({ "keys": [private_jwk(&crate::auth::keys::tests::test_keys().1, "weak")] })
                    .to_string(),
                "1024",
            ),
            (
                json!({ "keys": [good.clone(), private_jwk(older_key(), "k1")] }).to_string(),
                "two signing keys have the kid 'k1'",
            ),
            (
                json!({ "keys": vec![good.clone(); MAX_SIGNING_KEYS + 1] }).to_string(),
                "at most 10",
            ),
        ];
        for (text, says) in cases {
            let e = SigningKeys::parse(&text).unwrap_err().to_string();
            assert!(e.contains(says), "{says}: {e}");
            assert!(!e.contains(&d[..20]));
        }
        let parsed = keys(&[(newer_key(), "k1")]);
        assert!(
            !format!("{parsed:?}").contains(&d[..20]),
            "Debug hides keys"
        );
        assert!(!format!("{:?}", RsaSigner::new(&parsed).unwrap()).contains(&d[..20]));
        assert_eq!(parsed.signing_key().private_jwk()["d"], d.as_str());
    }

    #[test]
    fn the_host_signer_refuses_private_numbers_that_do_not_belong_together() {
        let mut mixed = private_jwk(newer_key(), "k1");
        mixed["d"] = private_jwk(older_key(), "k2")["d"].clone();
        let mixed = SigningKeys::parse(&json!({ "keys": [mixed] }).to_string()).unwrap();
        let e = RsaSigner::new(&mixed).unwrap_err();
        assert!(e.to_string().contains("signing key #0"), "{e}");

        let mut crt = private_jwk(newer_key(), "k1");
        crt["dp"] = crt["dq"].clone();
        let crt = SigningKeys::parse(&json!({ "keys": [crt] }).to_string()).unwrap();
        assert!(RsaSigner::new(&crt)
            .unwrap_err()
            .to_string()
            .contains("dp, dq or qi"));

        // A signer asked for a kid it does not hold fails, and says which.
        let one = keys(&[(newer_key(), "k1")]);
        let other = keys(&[(older_key(), "elsewhere")]);
        let claims = AccessClaims::for_grant(ISSUER, &issued(RESOURCE), NOW, 60).unwrap();
        let e = block_on(mint(&claims, &other, &RsaSigner::new(&one).unwrap())).unwrap_err();
        assert_eq!(
            e,
            TokenError::Signer(SignerError(
                "it holds no key with the kid 'elsewhere'".into()
            ))
        );
    }
}
