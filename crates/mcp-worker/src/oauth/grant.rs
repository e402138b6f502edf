//! One person's grant to one client, and the object that keeps it: the authorization
//! code, the refresh token rotated on every use, revocation and expiry.
//!
//! # One object per grant
//!
//! On Workers a grant lives in a Durable Object of its own, named by its [`GrantId`]
//! (`id_from_name`): 128 random bits, drawn by the worker when the user consents. The
//! codes and refresh tokens the grant hands out carry that id in front of their secret
//! (`<grant id>.<secret>`, see [`OpaqueToken`]), so the token endpoint routes a token to
//! its object without any index or lookup, and nothing else names the object.
//!
//! An object runs one event at a time, and this module decides and updates the grant in
//! memory with no wait between reading the grant and changing it: the object is the
//! grant's single writer. Two refreshes with the same token therefore meet one after
//! the other, the second sees the first one's rotation, and "at most one refresh of a
//! token wins" holds without compare-and-swap. That is what a KV store cannot give:
//! Cloudflare's workers-oauth-provider keeps grants in KV, where concurrent refreshes
//! race and the last write wins (its issues #214 and #217). The runtime holds the
//! object's answer until its write is stored (output gates), so no token leaves before
//! the grant that accepts it is durable.
//!
//! Here the object's logic is plain Rust over a small [`Storage`] (one record, one
//! alarm), as `tasks::object` is, and is tested on the host; the Durable Object class
//! that hands it the runtime's storage is the worker's face, written with the HTTP
//! wiring.
//!
//! # Tokens
//!
//! A code or refresh token is `<grant id>.<secret>`: the id, 22 base64url characters,
//! only routes; the secret, 256 bits from the platform's CSPRNG (`getrandom`) in 43
//! base64url characters, is what proves the token. The object stores neither token,
//! only SHA-256 of the whole token under a label saying which kind it is, and compares
//! digests in constant time. Stolen storage therefore yields no usable token.
//!
//! OAuth 2.1 (draft 15) §4.3.1 asks that a grant id inside a refresh token be
//! integrity-protected, so that a client cannot point its token at another grant. Here
//! the secret does that: the stored digest covers the id and the secret together, and
//! only the object named by the id holds it. A token whose id was changed reaches
//! another grant's object (or none), whose digests were made from other random secrets,
//! and is refused there; forging one means guessing 256 random bits.
//!
//! # Rules it keeps
//!
//! - A code works once, for the client, redirect URI, PKCE challenge and resource it
//!   was issued for, for at most [`MAX_CODE_MS`] (OAuth 2.1 §4.1.2, §4.1.3). A second
//!   redemption that passes every check (the genuine code, its client, redirect URI and
//!   verifier) is an attack on the first: it is refused and ends the grant, so the
//!   refresh token the first redemption issued dies (§4.1.3, §7.5.2). A redemption that
//!   fails a check changes nothing, redeemed code or not: a stranger holding a stolen
//!   code but not its verifier cannot end the user's grant.
//! - A refresh token is issued only if the client's registration lists the
//!   `refresh_token` grant type ([`NewGrant::refresh`]), and is rotated on every refresh:
//!   each works once. Presenting a retired one ends the grant, the current refresh token
//!   included, with no grace window (RFC 9700 §4.14.2). The server cannot tell the
//!   legitimate client from an attacker, so the winner of a race loses its new token
//!   too; the user signs in again. A client that loses a refresh response and retries
//!   with the old token is treated the same way; that is the price of detecting reuse.
//! - A refresh may narrow the scope (OAuth 2.1 §4.3.1: a subset of the grant's; none
//!   given means all of it); the next refresh token still carries the whole grant. The
//!   grant is bound to one resource (RFC 8707): a `resource` naming another is refused
//!   (`invalid_target`).
//! - Revoking a refresh token ends the grant (RFC 7009 §2.1); an unknown token is no
//!   error (§2.2). Access tokens are signed JWTs that no object is asked about: they
//!   live out their hour (see `token`).
//! - A refresh token not used for [`Lifetimes::refresh_idle_ms`] expires (OAuth 2.1
//!   §4.3.3), and every grant ends [`Lifetimes::grant_ms`] after consent. The object's
//!   alarm deletes the grant at that time; every operation checks it too, as an alarm
//!   may come late.
//!
//! Times are milliseconds since the Unix epoch, as Durable Object alarms take them.

use std::cell::{Cell, RefCell};
use std::fmt;
use std::rc::Rc;

use base64ct::{Base64UrlUnpadded, Encoding};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::{Map, Value};
use sha2::{Digest as _, Sha256};

use crate::tools::BoxFuture;

/// The longest an authorization code lives, whatever [`Lifetimes::code_ms`] asks:
/// 10 minutes (OAuth 2.1 §4.1.2).
pub const MAX_CODE_MS: u64 = 10 * 60 * 1000;

/// How many retired refresh tokens a grant remembers, to recognise their reuse. A
/// token older than that many rotations is refused as unknown without ending the grant:
/// the list stays a few kilobytes however long the grant lives.
pub const MAX_RETIRED: usize = 32;

const MINUTE_MS: u64 = 60 * 1000;
const DAY_MS: u64 = 24 * 60 * MINUTE_MS;

/// The bytes of a grant id: 128 bits.
const ID_BYTES: usize = 16;
/// The bytes of a token's secret: 256 bits.
const SECRET_BYTES: usize = 32;
/// Base64url characters, unpadded, of [`ID_BYTES`] and [`SECRET_BYTES`].
const ID_CHARS: usize = 22;
const SECRET_CHARS: usize = 43;

/// How long a grant's parts live. The object stores the deadlines they give when the
/// grant is created, so a later change of configuration applies to new grants only.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Lifetimes {
    /// The authorization code: from consent to redemption. At most [`MAX_CODE_MS`];
    /// 5 minutes by default (a client redeems its code as soon as it is redirected).
    pub code_ms: u64,
    /// A refresh token not used for this long expires, and the grant with it (OAuth 2.1
    /// §4.3.3); each refresh starts the window again. 30 days by default.
    pub refresh_idle_ms: u64,
    /// The grant ends this long after consent however often it is refreshed; the user
    /// then signs in again. 365 days by default.
    pub grant_ms: u64,
}

impl Default for Lifetimes {
    fn default() -> Self {
        Lifetimes {
            code_ms: 5 * MINUTE_MS,
            refresh_idle_ms: 30 * DAY_MS,
            grant_ms: 365 * DAY_MS,
        }
    }
}

/// Fills `buf` from the platform's CSPRNG (`crypto.getRandomValues` in the worker).
fn random(buf: &mut [u8]) -> Result<(), GrantError> {
    getrandom::getrandom(buf).map_err(|_| GrantError::Random)
}

/// Whether `s` is the canonical unpadded base64url form of exactly `bytes` bytes.
fn is_b64url_of(s: &str, chars: usize, bytes: usize) -> bool {
    s.len() == chars
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        && Base64UrlUnpadded::decode_vec(s).is_ok_and(|d| {
            // A last character with stray low bits decodes too: only the form written
            // back identically is accepted, so one token has one spelling.
            d.len() == bytes && Base64UrlUnpadded::encode_string(&d) == s
        })
}

/// A grant's id: 128 random bits, unpadded base64url. It names the grant's object and
/// leads every token the grant issues. Not a secret: it only routes.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct GrantId(String);

impl GrantId {
    /// A new random id, for a new grant.
    pub fn new() -> Result<GrantId, GrantError> {
        let mut bytes = [0u8; ID_BYTES];
        random(&mut bytes)?;
        Ok(GrantId(Base64UrlUnpadded::encode_string(&bytes)))
    }

    /// Reads an id: exactly 22 base64url characters (128 bits).
    pub fn parse(s: &str) -> Option<GrantId> {
        is_b64url_of(s, ID_CHARS, ID_BYTES).then(|| GrantId(s.to_owned()))
    }

    /// The id as text: the name of the grant's object.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for GrantId {
    type Error = &'static str;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        GrantId::parse(&s).ok_or("a grant id is 22 base64url characters")
    }
}

impl From<GrantId> for String {
    fn from(id: GrantId) -> String {
        id.0
    }
}

impl fmt::Display for GrantId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// An authorization code or a refresh token: `<grant id>.<secret>`. Its `Debug` shows
/// the grant id only; [`OpaqueToken::reveal`] is the one way to the whole token, for the
/// token response.
#[derive(Clone, PartialEq, Eq)]
pub struct OpaqueToken {
    grant: GrantId,
    secret: String,
}

/// The length of a token's text: id, dot, secret.
pub const TOKEN_CHARS: usize = ID_CHARS + 1 + SECRET_CHARS;

impl OpaqueToken {
    fn mint(grant: &GrantId) -> Result<OpaqueToken, GrantError> {
        let mut bytes = [0u8; SECRET_BYTES];
        random(&mut bytes)?;
        Ok(OpaqueToken {
            grant: grant.clone(),
            secret: Base64UrlUnpadded::encode_string(&bytes),
        })
    }

    /// Reads a token as a client sends it: a grant id, a dot and a 256-bit secret, each
    /// in canonical unpadded base64url ([`TOKEN_CHARS`] characters in all). Anything
    /// else is no token of ours.
    pub fn parse(s: &str) -> Option<OpaqueToken> {
        if s.len() != TOKEN_CHARS {
            return None;
        }
        let (id, secret) = s.split_once('.')?;
        let grant = GrantId::parse(id)?;
        is_b64url_of(secret, SECRET_CHARS, SECRET_BYTES).then(|| OpaqueToken {
            grant,
            secret: secret.to_owned(),
        })
    }

    /// The grant the token routes to: the name of the object to ask.
    pub fn grant_id(&self) -> &GrantId {
        &self.grant
    }

    /// The whole token, secret included: for the response that hands it to its client,
    /// never for a log or an error.
    pub fn reveal(&self) -> String {
        format!("{}.{}", self.grant, self.secret)
    }

    /// SHA-256 of the token under the label of its kind, so that a code never matches
    /// a refresh token's digest or the other way round.
    fn digest(&self, kind: Kind) -> Digest {
        let mut h = Sha256::new();
        h.update(kind.label());
        h.update([0]);
        h.update(self.grant.as_str());
        h.update(".");
        h.update(&self.secret);
        Digest(h.finalize().into())
    }
}

impl fmt::Debug for OpaqueToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OpaqueToken")
            .field("grant", &self.grant.as_str())
            .field("secret", &"(hidden)")
            .finish()
    }
}

// On the wire between the worker and the grant's object, a token travels whole.
impl Serialize for OpaqueToken {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.reveal())
    }
}

impl<'de> Deserialize<'de> for OpaqueToken {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        OpaqueToken::parse(&s).ok_or_else(|| serde::de::Error::custom("not a grant token"))
    }
}

#[derive(Clone, Copy)]
enum Kind {
    Code,
    Refresh,
}

impl Kind {
    fn label(self) -> &'static [u8] {
        match self {
            Kind::Code => b"code",
            Kind::Refresh => b"refresh",
        }
    }
}

/// A token's SHA-256, stored as unpadded base64url.
#[derive(Clone, Copy, PartialEq, Eq)]
struct Digest([u8; 32]);

impl Digest {
    /// Equality in time independent of where the digests differ.
    fn matches(&self, other: &Digest) -> bool {
        let diff = self
            .0
            .iter()
            .zip(other.0.iter())
            .fold(0u8, |acc, (a, b)| acc | (a ^ b));
        std::hint::black_box(diff) == 0
    }
}

impl Serialize for Digest {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&Base64UrlUnpadded::encode_string(&self.0))
    }
}

impl<'de> Deserialize<'de> for Digest {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        let bytes = Base64UrlUnpadded::decode_vec(&s)
            .ok()
            .and_then(|b| <[u8; 32]>::try_from(b).ok())
            .ok_or_else(|| serde::de::Error::custom("a digest is 32 bytes of base64url"))?;
        Ok(Digest(bytes))
    }
}

/// Who the user is at the upstream identity provider the worker signed them in with,
/// for tools that act there later.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Upstream {
    /// The upstream provider's issuer (its `iss`, or a name such as `github`).
    pub issuer: String,
    /// The user's id there (its `sub`, or a stable account id).
    pub subject: String,
    /// What else the app keeps about the user (a login name, an organisation). Stored
    /// in the clear: never an upstream token or other secret.
    #[serde(default, skip_serializing_if = "Map::is_empty")]
    pub props: Map<String, Value>,
}

/// What the worker knows when the user consents: the grant to create, and its code to
/// redirect back with.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewGrant {
    /// The grant's id ([`GrantId::new`]): the object it is sent to is named by it.
    pub id: GrantId,
    /// The client the user granted access to.
    pub client_id: String,
    /// The user, as access tokens name them (`sub`).
    pub subject: String,
    /// The user at the upstream identity provider.
    pub upstream: Upstream,
    /// The scopes granted.
    pub scopes: Vec<String>,
    /// The resource (RFC 8707) the grant is for: access tokens' `aud`.
    pub resource: String,
    /// The `redirect_uri` the authorization request carried, if it carried one; the
    /// token request must then carry the same (OAuth 2.1 §4.1.3, §10.2).
    pub redirect_uri: Option<String>,
    /// The authorization request's `code_challenge` (RFC 7636 §4.3).
    pub code_challenge: String,
    /// Its `code_challenge_method` (`S256`).
    pub code_challenge_method: String,
    /// Whether the client may refresh: its grant types include `refresh_token`.
    pub refresh: bool,
    /// How long the code, the refresh token and the grant live.
    pub lifetimes: Lifetimes,
}

/// A token request with `grant_type=authorization_code`, as the token endpoint read it.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Redemption {
    /// The code.
    pub code: OpaqueToken,
    /// The client the request authenticated as (or named, for a public client).
    pub client_id: String,
    /// The request's `redirect_uri`, if any.
    pub redirect_uri: Option<String>,
    /// The request's `code_verifier`.
    pub code_verifier: String,
    /// The request's `resource`, if any: it must be the grant's.
    pub resource: Option<String>,
}

impl fmt::Debug for Redemption {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Redemption")
            .field("code", &self.code)
            .field("client_id", &self.client_id)
            .field("redirect_uri", &self.redirect_uri)
            .field("code_verifier", &"(hidden)")
            .field("resource", &self.resource)
            .finish()
    }
}

/// A token request with `grant_type=refresh_token`, as the token endpoint read it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Refresh {
    /// The refresh token.
    pub token: OpaqueToken,
    /// The client the request authenticated as (or named, for a public client).
    pub client_id: String,
    /// The `scope` asked for, if any: a subset of the grant's. Empty is the same as
    /// absent: the whole grant.
    pub scopes: Option<Vec<String>>,
    /// The request's `resource`, if any: it must be the grant's.
    pub resource: Option<String>,
}

/// What a redemption or a refresh grants: what the worker puts in the access token
/// and the token response.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Issued {
    /// The grant.
    pub grant_id: GrantId,
    /// Its client.
    pub client_id: String,
    /// Its user (`sub`).
    pub subject: String,
    /// Its user upstream.
    pub upstream: Upstream,
    /// The scopes of this access token: the grant's, or the subset a refresh asked for.
    pub scopes: Vec<String>,
    /// The resource: the access token's `aud`.
    pub resource: String,
    /// The new refresh token, if the client may refresh.
    pub refresh_token: Option<OpaqueToken>,
}

/// What revoking a token did (RFC 7009 answers 200 either way, §2.2).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Revocation {
    /// The token was the grant's refresh token, current or retired: the grant is gone.
    Ended,
    /// The token is none of this grant's: nothing changed.
    Unknown,
}

/// Why an operation on a grant failed. The words are safe for an `error_description`
/// and the log: they never hold a token or verifier. [`GrantError::oauth_error`] names
/// the OAuth error code to answer with.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum GrantError {
    /// No grant lives here: never created, expired, revoked or ended.
    UnknownGrant,
    /// The code was never redeemed and has expired; the grant is gone.
    CodeExpired,
    /// The token is not this grant's current code or refresh token.
    WrongToken,
    /// The token was issued to another client.
    WrongClient,
    /// The `redirect_uri` is not the one of the authorization request.
    RedirectMismatch,
    /// The `code_verifier` does not match the code's challenge (RFC 7636 §4.6).
    VerifierMismatch,
    /// The `resource` is not the grant's (RFC 8707 §2).
    WrongResource,
    /// The `scope` asks for more than was granted.
    ScopeNotGranted,
    /// The code was redeemed before: the grant is ended (OAuth 2.1 §4.1.3).
    CodeReplayed,
    /// The refresh token was used before: the grant is ended (RFC 9700 §4.14.2).
    RefreshReused,
    /// A grant with this id exists already (the worker drew an id twice).
    Exists,
    /// The worker asked for a grant without something every grant needs (named).
    Incomplete(&'static str),
    /// The platform gave no random bytes.
    Random,
    /// The object's storage failed; the text is for the log.
    Storage(String),
}

impl GrantError {
    /// The OAuth error code for the token endpoint (OAuth 2.1 §3.2.4, RFC 8707 §2):
    /// `invalid_grant`, `invalid_scope`, `invalid_target` or `server_error`.
    pub fn oauth_error(&self) -> &'static str {
        match self {
            GrantError::UnknownGrant
            | GrantError::CodeExpired
            | GrantError::WrongToken
            | GrantError::WrongClient
            | GrantError::RedirectMismatch
            | GrantError::VerifierMismatch
            | GrantError::CodeReplayed
            | GrantError::RefreshReused => "invalid_grant",
            GrantError::WrongResource => "invalid_target",
            GrantError::ScopeNotGranted => "invalid_scope",
            GrantError::Exists
            | GrantError::Incomplete(_)
            | GrantError::Random
            | GrantError::Storage(_) => "server_error",
        }
    }
}

impl fmt::Display for GrantError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            GrantError::UnknownGrant => {
                f.write_str("the grant has expired or was revoked; sign in again")
            }
            GrantError::CodeExpired => {
                f.write_str("the authorization code has expired; sign in again")
            }
            GrantError::WrongToken => f.write_str("the code or refresh token is not valid"),
            GrantError::WrongClient => f.write_str("the token was issued to another client"),
            GrantError::RedirectMismatch => {
                f.write_str("redirect_uri must be the one the authorization request used")
            }
            GrantError::VerifierMismatch => {
                f.write_str("code_verifier does not match the code_challenge")
            }
            GrantError::WrongResource => {
                f.write_str("resource must be the one the authorization request named")
            }
            GrantError::ScopeNotGranted => f.write_str("scope asks for more than the user granted"),
            GrantError::CodeReplayed => f.write_str(
                "the authorization code was used before; its grant is revoked, sign in again",
            ),
            GrantError::RefreshReused => f.write_str(
                "the refresh token was used before; its grant is revoked, sign in again",
            ),
            GrantError::Exists => f.write_str("a grant with this id exists already"),
            GrantError::Incomplete(what) => write!(f, "a new grant needs {what}"),
            GrantError::Random => f.write_str("the platform's random number generator failed"),
            GrantError::Storage(why) => write!(f, "the grant's storage failed: {why}"),
        }
    }
}

impl std::error::Error for GrantError {}

/// The grant's object's storage: one record and one alarm. The Durable Object's face
/// implements it over the object's storage; errors are texts for the log.
pub trait Storage {
    /// The record, if one is stored.
    fn get(&self) -> BoxFuture<'_, Result<Option<String>, String>>;
    /// Stores the record, replacing any.
    fn put(&self, record: String) -> BoxFuture<'_, Result<(), String>>;
    /// Deletes the record.
    fn delete(&self) -> BoxFuture<'_, Result<(), String>>;
    /// Sets the alarm, replacing any.
    fn set_alarm(&self, at_ms: u64) -> BoxFuture<'_, Result<(), String>>;
    /// Deletes the alarm.
    fn delete_alarm(&self) -> BoxFuture<'_, Result<(), String>>;
}

#[derive(Clone, Serialize, Deserialize)]
struct CodeState {
    digest: Digest,
    expires_ms: u64,
    redeemed: bool,
}

#[derive(Clone, Serialize, Deserialize)]
struct RefreshState {
    current: Digest,
    /// The tokens rotated out, newest last, at most [`MAX_RETIRED`].
    retired: Vec<Digest>,
    /// The current token expires then unless used (idle expiry).
    idle_until_ms: u64,
}

/// The stored grant.
#[derive(Clone, Serialize, Deserialize)]
struct Record {
    id: GrantId,
    client_id: String,
    subject: String,
    upstream: Upstream,
    scopes: Vec<String>,
    resource: String,
    redirect_uri: Option<String>,
    code_challenge: String,
    code_challenge_method: String,
    refresh_allowed: bool,
    refresh_idle_ms: u64,
    created_ms: u64,
    /// The grant ends then, refreshed or not.
    ends_ms: u64,
    code: CodeState,
    refresh: Option<RefreshState>,
}

/// What an operation decided, before any write.
enum Outcome<T> {
    /// Refused; nothing changed.
    Refuse(GrantError),
    /// The record changed: store it, then answer.
    Save(T),
    /// The grant ends: delete it, then answer with this refusal.
    End(GrantError),
}

impl Record {
    /// When the grant ends unless something happens first: the code's expiry until it
    /// is redeemed (and after, for a grant without refresh, so a replay is recognised
    /// until then); after it, the refresh token's idle expiry, within the grant's end.
    fn deadline(&self) -> u64 {
        match (&self.refresh, self.code.redeemed) {
            (Some(rt), true) => rt.idle_until_ms.min(self.ends_ms),
            _ => self.code.expires_ms,
        }
    }

    fn issued(&self, scopes: Vec<String>, refresh_token: Option<OpaqueToken>) -> Issued {
        Issued {
            grant_id: self.id.clone(),
            client_id: self.client_id.clone(),
            subject: self.subject.clone(),
            upstream: self.upstream.clone(),
            scopes,
            resource: self.resource.clone(),
            refresh_token,
        }
    }

    /// Starts a new refresh token: its digest becomes the current one, the old one
    /// retired.
    fn rotate(&mut self, now_ms: u64) -> Result<OpaqueToken, GrantError> {
        let token = OpaqueToken::mint(&self.id)?;
        let current = token.digest(Kind::Refresh);
        let idle_until_ms = now_ms.saturating_add(self.refresh_idle_ms);
        match &mut self.refresh {
            Some(rt) => {
                rt.retired.push(rt.current);
                if rt.retired.len() > MAX_RETIRED {
                    rt.retired.remove(0);
                }
                rt.current = current;
                rt.idle_until_ms = idle_until_ms;
            }
            None => {
                self.refresh = Some(RefreshState {
                    current,
                    retired: Vec::new(),
                    idle_until_ms,
                })
            }
        }
        Ok(token)
    }

    fn redeem(&mut self, req: &Redemption, now_ms: u64) -> Outcome<Issued> {
        if *req.code.grant_id() != self.id
            || !req.code.digest(Kind::Code).matches(&self.code.digest)
        {
            return Outcome::Refuse(GrantError::WrongToken);
        }
        // The checks of OAuth 2.1 §4.1.3, the same for a first and a second redemption:
        // only a redemption that passes them all counts as the code's use.
        if req.client_id != self.client_id {
            return Outcome::Refuse(GrantError::WrongClient);
        }
        if req.redirect_uri != self.redirect_uri {
            return Outcome::Refuse(GrantError::RedirectMismatch);
        }
        // PKCE (RFC 7636 §4.6): S256 is the only method a grant is created with.
        if self.code_challenge_method != super::pkce::METHOD
            || !super::pkce::verify(&self.code_challenge, &req.code_verifier)
        {
            return Outcome::Refuse(GrantError::VerifierMismatch);
        }
        if req.resource.as_ref().is_some_and(|r| *r != self.resource) {
            return Outcome::Refuse(GrantError::WrongResource);
        }
        if self.code.redeemed {
            return Outcome::End(GrantError::CodeReplayed);
        }
        let refresh_token = if self.refresh_allowed {
            match self.rotate(now_ms) {
                Ok(t) => Some(t),
                Err(e) => return Outcome::Refuse(e),
            }
        } else {
            None
        };
        self.code.redeemed = true;
        Outcome::Save(self.issued(self.scopes.clone(), refresh_token))
    }

    /// Which of the grant's refresh tokens `token` is: the current one (`Some(true)`),
    /// a retired one (`Some(false)`), or none. Every stored digest is compared, so the
    /// time taken does not say which matched.
    fn refresh_token_is_current(&self, token: &OpaqueToken) -> Option<bool> {
        let rt = self.refresh.as_ref()?;
        if *token.grant_id() != self.id {
            return None;
        }
        let digest = token.digest(Kind::Refresh);
        let current = digest.matches(&rt.current);
        let retired = rt
            .retired
            .iter()
            .fold(false, |seen, d| digest.matches(d) | seen);
        match (current, retired) {
            (true, _) => Some(true),
            (false, true) => Some(false),
            (false, false) => None,
        }
    }

    fn refresh(&mut self, req: &Refresh, now_ms: u64) -> Outcome<Issued> {
        let Some(current) = self.refresh_token_is_current(&req.token) else {
            return Outcome::Refuse(GrantError::WrongToken);
        };
        // Another client's request changes nothing, even with a retired token: ending
        // the grant is for reuse by the client the tokens were issued to.
        if req.client_id != self.client_id {
            return Outcome::Refuse(GrantError::WrongClient);
        }
        if !current {
            return Outcome::End(GrantError::RefreshReused);
        }
        if req.resource.as_ref().is_some_and(|r| *r != self.resource) {
            return Outcome::Refuse(GrantError::WrongResource);
        }
        let scopes = match &req.scopes {
            Some(asked) if !asked.is_empty() => {
                if !asked.iter().all(|s| self.scopes.contains(s)) {
                    return Outcome::Refuse(GrantError::ScopeNotGranted);
                }
                asked.clone()
            }
            _ => self.scopes.clone(),
        };
        match self.rotate(now_ms) {
            Ok(token) => Outcome::Save(self.issued(scopes, Some(token))),
            Err(e) => Outcome::Refuse(e),
        }
    }
}

/// The logic of one grant's object: each operation reads the grant, decides, and
/// writes it back before answering.
pub struct Object {
    storage: Rc<dyn Storage>,
    /// The grant as last read or written; `None` before it is read and once deleted.
    cache: RefCell<Option<Record>>,
    loaded: Cell<bool>,
}

impl Object {
    /// The object of one grant, over its storage.
    pub fn new(storage: Rc<dyn Storage>) -> Self {
        Object {
            storage,
            cache: RefCell::new(None),
            loaded: Cell::new(false),
        }
    }

    async fn load(&self) -> Result<(), GrantError> {
        if self.loaded.get() {
            return Ok(());
        }
        let stored = self.storage.get().await.map_err(GrantError::Storage)?;
        let record = match stored {
            None => None,
            Some(text) => Some(serde_json::from_str::<Record>(&text).map_err(|e| {
                GrantError::Storage(format!(
                    "the stored grant does not parse (line {}, column {})",
                    e.line(),
                    e.column()
                ))
            })?),
        };
        // Another event may have read it, and changed it, while this one waited: the
        // copy in memory is the newer.
        if !self.loaded.get() {
            *self.cache.borrow_mut() = record;
            self.loaded.set(true);
        }
        Ok(())
    }

    /// Reads the grant and deletes it if its deadline has passed (an alarm may come
    /// late). `Err` when no live grant is here.
    async fn live(&self, now_ms: u64) -> Result<(), GrantError> {
        self.load().await?;
        let state = self
            .cache
            .borrow()
            .as_ref()
            .map(|r| (r.deadline(), r.code.redeemed));
        match state {
            None => Err(GrantError::UnknownGrant),
            Some((deadline, redeemed)) if now_ms >= deadline => {
                self.end().await?;
                Err(if redeemed {
                    GrantError::UnknownGrant
                } else {
                    GrantError::CodeExpired
                })
            }
            Some(_) => Ok(()),
        }
    }

    async fn save(&self) -> Result<(), GrantError> {
        let text = match self.cache.borrow().as_ref() {
            Some(r) => serde_json::to_string(r)
                .map_err(|_| GrantError::Storage("the grant does not serialise".into()))?,
            None => return Ok(()),
        };
        if let Err(e) = self.storage.put(text).await {
            // What is stored is unknown now: the next event reads it again rather than
            // trust a change that may not have been kept.
            *self.cache.borrow_mut() = None;
            self.loaded.set(false);
            return Err(GrantError::Storage(e));
        }
        Ok(())
    }

    /// Deletes the grant and its alarm. Until the delete is kept, nothing is taken as
    /// gone: on a failure the next event reads storage again, and the caller answers an
    /// error rather than an ended grant.
    async fn end(&self) -> Result<(), GrantError> {
        *self.cache.borrow_mut() = None;
        self.loaded.set(true);
        let deleted = match self.storage.delete().await {
            Ok(()) => self.storage.delete_alarm().await,
            Err(e) => Err(e),
        };
        if let Err(e) = deleted {
            self.loaded.set(false);
            return Err(GrantError::Storage(e));
        }
        Ok(())
    }

    /// Decides with the grant in memory, with no wait in between, then writes.
    async fn decide<T>(
        &self,
        now_ms: u64,
        decide: impl FnOnce(&mut Record) -> Outcome<T>,
    ) -> Result<T, GrantError> {
        self.live(now_ms).await?;
        let outcome = match self.cache.borrow_mut().as_mut() {
            Some(record) => decide(record),
            None => Outcome::Refuse(GrantError::UnknownGrant),
        };
        match outcome {
            Outcome::Refuse(e) => Err(e),
            Outcome::Save(answer) => {
                self.save().await?;
                Ok(answer)
            }
            Outcome::End(e) => {
                self.end().await?;
                Err(e)
            }
        }
    }

    /// Creates the grant, with its authorization code, and sets the alarm that deletes
    /// it if the code is not redeemed in time. Returns the code.
    pub async fn create(&self, grant: NewGrant, now_ms: u64) -> Result<OpaqueToken, GrantError> {
        for (value, what) in [
            (&grant.client_id, "a client_id"),
            (&grant.subject, "a subject"),
            (&grant.resource, "a resource"),
            (&grant.code_challenge, "a code_challenge"),
            (&grant.code_challenge_method, "a code_challenge_method"),
        ] {
            if value.is_empty() {
                return Err(GrantError::Incomplete(what));
            }
        }
        // An expired grant under this id is deleted, so only a live one is in the way.
        match self.live(now_ms).await {
            Ok(()) => return Err(GrantError::Exists),
            Err(GrantError::UnknownGrant | GrantError::CodeExpired) => {}
            Err(e) => return Err(e),
        }
        let code = OpaqueToken::mint(&grant.id)?;
        let life = grant.lifetimes;
        let ends_ms = now_ms.saturating_add(life.grant_ms);
        let record = Record {
            code: CodeState {
                digest: code.digest(Kind::Code),
                expires_ms: now_ms.saturating_add(life.code_ms.clamp(1, MAX_CODE_MS)),
                redeemed: false,
            },
            refresh: None,
            id: grant.id,
            client_id: grant.client_id,
            subject: grant.subject,
            upstream: grant.upstream,
            scopes: grant.scopes,
            resource: grant.resource,
            redirect_uri: grant.redirect_uri,
            code_challenge: grant.code_challenge,
            code_challenge_method: grant.code_challenge_method,
            refresh_allowed: grant.refresh,
            refresh_idle_ms: life.refresh_idle_ms.max(1),
            created_ms: now_ms,
            ends_ms,
        };
        let deadline = record.deadline();
        *self.cache.borrow_mut() = Some(record);
        self.save().await?;
        // The alarm is only ever moved later by `alarm`: every deadline after this one
        // is later, so an alarm at or before the next deadline is all it takes.
        self.storage
            .set_alarm(deadline)
            .await
            .map_err(GrantError::Storage)?;
        Ok(code)
    }

    /// Redeems the authorization code (OAuth 2.1 §4.1.3), its PKCE verifier checked
    /// against the stored challenge (RFC 7636 §4.6). Returns what the access token grants
    /// and, if the client may refresh, the first refresh token.
    pub async fn redeem(&self, req: &Redemption, now_ms: u64) -> Result<Issued, GrantError> {
        self.decide(now_ms, |r| r.redeem(req, now_ms)).await
    }

    /// Refreshes: the token is exchanged for a new one (OAuth 2.1 §4.3, RFC 9700
    /// §4.14.2), and a retired one ends the grant.
    pub async fn refresh(&self, req: &Refresh, now_ms: u64) -> Result<Issued, GrantError> {
        self.decide(now_ms, |r| r.refresh(req, now_ms)).await
    }

    /// Revokes by refresh token (RFC 7009 §2.1): the grant's current or a retired
    /// refresh token from its client ends the grant; any other token changes nothing.
    /// [`GrantError::WrongClient`] when the token is another client's.
    pub async fn revoke(
        &self,
        token: &OpaqueToken,
        client_id: &str,
        now_ms: u64,
    ) -> Result<Revocation, GrantError> {
        match self.live(now_ms).await {
            Ok(()) => {}
            Err(GrantError::UnknownGrant | GrantError::CodeExpired) => {
                return Ok(Revocation::Unknown)
            }
            Err(e) => return Err(e),
        }
        let (ours, client_ok) = match self.cache.borrow().as_ref() {
            Some(r) => (
                r.refresh_token_is_current(token).is_some(),
                r.client_id == client_id,
            ),
            None => (false, false),
        };
        match (ours, client_ok) {
            (false, _) => Ok(Revocation::Unknown),
            (true, false) => Err(GrantError::WrongClient),
            (true, true) => {
                self.end().await?;
                Ok(Revocation::Ended)
            }
        }
    }

    /// Ends the grant whatever its state: the user revoked it from the server's own
    /// pages, or the client's registration changed.
    pub async fn end_grant(&self) -> Result<(), GrantError> {
        self.end().await
    }

    /// The alarm: deletes the grant once its deadline has passed, else sets itself
    /// again for the deadline (refreshes move it later without touching the alarm).
    pub async fn alarm(&self, now_ms: u64) -> Result<(), GrantError> {
        self.load().await?;
        let deadline = self.cache.borrow().as_ref().map(Record::deadline);
        match deadline {
            None => Ok(()),
            Some(at) if now_ms >= at => self.end().await,
            Some(at) => self
                .storage
                .set_alarm(at)
                .await
                .map_err(GrantError::Storage),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::future::Future;
    use std::pin::{pin, Pin};
    use std::task::{Context, Poll, Waker};

    use crate::testing::block_on;

    const T0: u64 = 1_800_000_000_000;
    const CLIENT: &str = "https://client.example/metadata.json";
    const REDIRECT: &str = "https://client.example/callback";
    const RESOURCE: &str = "https://mcp.example/mcp";
    const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";

    /// One object's storage in memory: the record, the alarm, and optionally a wait
    /// before each answer and a failing `put`. Effects apply when an operation is
    /// called, in call order, as a Durable Object's storage orders them.
    #[derive(Default)]
    struct Memory {
        record: RefCell<Option<String>>,
        alarm: Cell<Option<u64>>,
        waits: Cell<bool>,
        put_fails: Cell<bool>,
    }

    /// Pending once, then ready: an `await` at which another event may run.
    struct Yield<T>(Option<T>, bool);

    impl<T: Unpin> Future for Yield<T> {
        type Output = T;
        fn poll(mut self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<T> {
            if !self.1 {
                self.1 = true;
                return Poll::Pending;
            }
            Poll::Ready(self.0.take().expect("polled after completion"))
        }
    }

    impl Memory {
        fn answer<T: Unpin + 'static>(&self, v: T) -> BoxFuture<'_, T> {
            Box::pin(Yield(Some(v), !self.waits.get()))
        }
    }

    impl Storage for Memory {
        fn get(&self) -> BoxFuture<'_, Result<Option<String>, String>> {
            self.answer(Ok(self.record.borrow().clone()))
        }
        fn put(&self, record: String) -> BoxFuture<'_, Result<(), String>> {
            if self.put_fails.get() {
                return self.answer(Err("storage unavailable".into()));
            }
            *self.record.borrow_mut() = Some(record);
            self.answer(Ok(()))
        }
        fn delete(&self) -> BoxFuture<'_, Result<(), String>> {
            *self.record.borrow_mut() = None;
            self.answer(Ok(()))
        }
        fn set_alarm(&self, at_ms: u64) -> BoxFuture<'_, Result<(), String>> {
            self.alarm.set(Some(at_ms));
            self.answer(Ok(()))
        }
        fn delete_alarm(&self) -> BoxFuture<'_, Result<(), String>> {
            self.alarm.set(None);
            self.answer(Ok(()))
        }
    }

    fn new_grant(refresh: bool) -> NewGrant {
        NewGrant {
            id: GrantId::new().unwrap(),
            client_id: CLIENT.into(),
            subject: "user-1".into(),
            upstream: Upstream {
                issuer: "https://idp.example".into(),
                subject: "idp-42".into(),
                props: Map::new(),
            },
            scopes: vec!["notes:read".into(), "notes:write".into()],
            resource: RESOURCE.into(),
            redirect_uri: Some(REDIRECT.into()),
            code_challenge: Base64UrlUnpadded::encode_string(&Sha256::digest(VERIFIER)),
            code_challenge_method: "S256".into(),
            refresh,
            lifetimes: Lifetimes::default(),
        }
    }

    fn redemption(code: &OpaqueToken) -> Redemption {
        Redemption {
            code: code.clone(),
            client_id: CLIENT.into(),
            redirect_uri: Some(REDIRECT.into()),
            code_verifier: VERIFIER.into(),
            resource: Some(RESOURCE.into()),
        }
    }

    fn refresh(token: &OpaqueToken) -> Refresh {
        Refresh {
            token: token.clone(),
            client_id: CLIENT.into(),
            scopes: None,
            resource: None,
        }
    }

    struct Setup {
        storage: Rc<Memory>,
        object: Object,
        code: OpaqueToken,
    }

    fn setup(refresh: bool) -> Setup {
        let storage = Rc::new(Memory::default());
        let object = Object::new(storage.clone());
        let code = block_on(object.create(new_grant(refresh), T0)).unwrap();
        Setup {
            storage,
            object,
            code,
        }
    }

    impl Setup {
        fn redeem(&self, req: &Redemption, now: u64) -> Result<Issued, GrantError> {
            block_on(self.object.redeem(req, now))
        }
        fn refresh(&self, req: &Refresh, now: u64) -> Result<Issued, GrantError> {
            block_on(self.object.refresh(req, now))
        }
        /// Redeems the code at `T0 + 1 s` and returns the first refresh token.
        fn first_refresh_token(&self) -> OpaqueToken {
            self.redeem(&redemption(&self.code), T0 + 1000)
                .unwrap()
                .refresh_token
                .unwrap()
        }
        fn is_gone(&self) -> bool {
            self.storage.record.borrow().is_none() && self.storage.alarm.get().is_none()
        }
        /// A fresh object over the same storage: the Durable Object after eviction.
        fn reopened(&self) -> Object {
            Object::new(self.storage.clone())
        }
    }

    #[test]
    fn tokens_are_an_id_and_a_secret_and_read_back_only_in_their_one_spelling() {
        let id = GrantId::new().unwrap();
        let t = OpaqueToken::mint(&id).unwrap();
        let text = t.reveal();
        assert_eq!(text.len(), TOKEN_CHARS);
        assert_eq!(OpaqueToken::parse(&text), Some(t.clone()));
        assert_eq!(t.grant_id(), &id);
        let (id_part, secret) = text.split_once('.').unwrap();
        assert!(!format!("{t:?}").contains(secret), "Debug hides the secret");
        // Two tokens never share a secret.
        assert_ne!(OpaqueToken::mint(&id).unwrap(), t);
        for bad in [
            String::new(),
            id_part.to_owned(),
            format!("{id_part}.{secret}x"),
            format!("{id_part}x{secret}"),
            format!("{id_part}.{}", &secret[1..]),
            format!("{}.{secret}.", &id_part[1..]),
            format!("{id_part}.{}=", &secret[..42]),
            format!("{id_part}.{}+", &secret[..42]),
            text.replace('.', ":"),
            format!("{}é.{}", &id_part[..20], secret),
        ] {
            assert_eq!(OpaqueToken::parse(&bad), None, "{bad}");
        }
        // 16 bytes end in a character carrying 2 bits: "B" sets a stray one.
        assert!(GrantId::parse(&"A".repeat(22)).is_some());
        assert_eq!(GrantId::parse(&format!("{}B", "A".repeat(21))), None);
        assert_eq!(GrantId::parse(&format!("{}A=", "A".repeat(20))), None);
    }

    #[test]
    fn a_code_redeems_once_for_its_grant_and_a_refresh_token() {
        let s = setup(true);
        assert_eq!(s.storage.alarm.get(), Some(T0 + 5 * MINUTE_MS));
        let stored = s.storage.record.borrow().clone().unwrap();
        assert!(
            !stored.contains(s.code.reveal().split_once('.').unwrap().1),
            "only the code's digest is stored"
        );
        let issued = s.redeem(&redemption(&s.code), T0 + 1000).unwrap();
        assert_eq!(issued.client_id, CLIENT);
        assert_eq!(issued.subject, "user-1");
        assert_eq!(issued.upstream.subject, "idp-42");
        assert_eq!(issued.resource, RESOURCE);
        assert_eq!(issued.scopes, ["notes:read", "notes:write"]);
        assert_eq!(issued.grant_id, *s.code.grant_id());
        let rt = issued.refresh_token.unwrap();
        assert_eq!(rt.grant_id(), s.code.grant_id());
        assert!(!s
            .storage
            .record
            .borrow()
            .as_ref()
            .unwrap()
            .contains(rt.reveal().split_once('.').unwrap().1));
        // A `resource` is optional at the token endpoint.
        let s = setup(false);
        let req = Redemption {
            resource: None,
            ..redemption(&s.code)
        };
        let issued = s.redeem(&req, T0 + 1000).unwrap();
        assert_eq!(issued.refresh_token, None, "no refresh_token grant type");
        // The grant is kept until the code would have expired, to recognise a replay.
        assert_eq!(s.redeem(&req, T0 + 2000), Err(GrantError::CodeReplayed));
    }

    #[test]
    fn a_second_valid_redemption_ends_the_grant_and_its_refresh_token() {
        let s = setup(true);
        let rt = s.first_refresh_token();
        assert_eq!(
            s.redeem(&redemption(&s.code), T0 + 2000),
            Err(GrantError::CodeReplayed)
        );
        assert!(s.is_gone());
        assert_eq!(
            s.refresh(&refresh(&rt), T0 + 3000),
            Err(GrantError::UnknownGrant)
        );
    }

    #[test]
    fn a_redemption_failing_a_check_changes_nothing_even_as_a_replay() {
        let s = setup(true);
        let other_code = OpaqueToken::mint(s.code.grant_id()).unwrap();
        let wrong: [(Redemption, GrantError); 7] = [
            (redemption(&other_code), GrantError::WrongToken),
            (
                Redemption {
                    client_id: "https://evil.example/client.json".into(),
                    ..redemption(&s.code)
                },
                GrantError::WrongClient,
            ),
            (
                Redemption {
                    redirect_uri: Some("https://client.example/other".into()),
                    ..redemption(&s.code)
                },
                GrantError::RedirectMismatch,
            ),
            (
                Redemption {
                    redirect_uri: None,
                    ..redemption(&s.code)
                },
                GrantError::RedirectMismatch,
            ),
            (
                Redemption {
                    code_verifier: "x".repeat(43),
                    ..redemption(&s.code)
                },
                GrantError::VerifierMismatch,
            ),
            (
                Redemption {
                    resource: Some("https://other.example/mcp".into()),
                    ..redemption(&s.code)
                },
                GrantError::WrongResource,
            ),
            (
                Redemption {
                    code: OpaqueToken {
                        grant: GrantId::new().unwrap(),
                        secret: s.code.secret.clone(),
                    },
                    ..redemption(&s.code)
                },
                GrantError::WrongToken,
            ),
        ];
        for (req, why) in &wrong {
            assert_eq!(s.redeem(req, T0 + 1000).as_ref(), Err(why), "{req:?}");
        }
        assert_eq!(wrong[4].1.oauth_error(), "invalid_grant");
        assert_eq!(wrong[5].1.oauth_error(), "invalid_target");
        let rt = s.first_refresh_token();
        // The same wrong requests after redemption: refused, and the grant lives on.
        for (req, why) in &wrong {
            assert_eq!(s.redeem(req, T0 + 2000).as_ref(), Err(why), "{req:?}");
        }
        assert!(s.refresh(&refresh(&rt), T0 + 3000).is_ok());
    }

    #[test]
    fn an_expired_code_is_refused_and_its_grant_deleted() {
        let s = setup(true);
        let expiry = T0 + 5 * MINUTE_MS;
        assert_eq!(
            s.redeem(&redemption(&s.code), expiry),
            Err(GrantError::CodeExpired)
        );
        assert!(s.is_gone());
        assert_eq!(
            s.redeem(&redemption(&s.code), expiry + 1),
            Err(GrantError::UnknownGrant)
        );
        // No lifetime makes a code outlive ten minutes.
        let storage = Rc::new(Memory::default());
        let object = Object::new(storage.clone());
        let mut grant = new_grant(true);
        grant.lifetimes.code_ms = 24 * 60 * MINUTE_MS;
        let code = block_on(object.create(grant, T0)).unwrap();
        assert_eq!(storage.alarm.get(), Some(T0 + MAX_CODE_MS));
        assert_eq!(
            block_on(object.redeem(&redemption(&code), T0 + MAX_CODE_MS)),
            Err(GrantError::CodeExpired)
        );
    }

    #[test]
    fn each_refresh_rotates_and_a_retired_token_ends_the_grant() {
        let s = setup(true);
        let first = s.first_refresh_token();
        let second = s
            .refresh(&refresh(&first), T0 + 2000)
            .unwrap()
            .refresh_token
            .unwrap();
        let third = s
            .refresh(&refresh(&second), T0 + 3000)
            .unwrap()
            .refresh_token
            .unwrap();
        assert_ne!(first, second);
        assert_ne!(second, third);
        // The first, long rotated out, comes back: the thief or the client, either way
        // the grant ends and the current token with it.
        assert_eq!(
            s.refresh(&refresh(&first), T0 + 4000),
            Err(GrantError::RefreshReused)
        );
        assert!(s.is_gone());
        assert_eq!(
            s.refresh(&refresh(&third), T0 + 5000),
            Err(GrantError::UnknownGrant)
        );
    }

    #[test]
    fn two_refreshes_of_one_token_in_a_row_one_wins_then_the_grant_ends() {
        let s = setup(true);
        let rt = s.first_refresh_token();
        let winner = s.refresh(&refresh(&rt), T0 + 2000).unwrap();
        assert_eq!(
            s.refresh(&refresh(&rt), T0 + 2000),
            Err(GrantError::RefreshReused)
        );
        // RFC 9700 §4.14.2: the server cannot tell which party was legitimate, so the
        // winner's new token dies with the grant.
        assert_eq!(
            s.refresh(&refresh(&winner.refresh_token.unwrap()), T0 + 3000),
            Err(GrantError::UnknownGrant)
        );
        assert!(s.is_gone());
    }

    /// Polls two futures in turn until both are done: two events of one object, each
    /// running until its next wait.
    fn run_both<A: Future, B: Future>(a: A, b: B) -> (A::Output, B::Output) {
        let (mut a, mut b) = (pin!(a), pin!(b));
        let (mut ra, mut rb) = (None, None);
        let mut cx = Context::from_waker(Waker::noop());
        for _ in 0..100 {
            if ra.is_none() {
                if let Poll::Ready(v) = a.as_mut().poll(&mut cx) {
                    ra = Some(v);
                }
            }
            if rb.is_none() {
                if let Poll::Ready(v) = b.as_mut().poll(&mut cx) {
                    rb = Some(v);
                }
            }
            if let (Some(_), Some(_)) = (&ra, &rb) {
                return (ra.unwrap(), rb.unwrap());
            }
        }
        panic!("the two events never finished");
    }

    #[test]
    fn concurrent_refreshes_with_one_token_interleaved_at_every_wait_one_wins() {
        let s = setup(true);
        let rt = s.first_refresh_token();
        // Woken from eviction, so both events wait to read the grant, and every
        // storage call makes its event wait once.
        let object = s.reopened();
        s.storage.waits.set(true);
        let req = refresh(&rt);
        let (a, b) = run_both(
            object.refresh(&req, T0 + 2000),
            object.refresh(&req, T0 + 2000),
        );
        let (won, lost) = match (a, b) {
            (Ok(w), Err(l)) | (Err(l), Ok(w)) => (w, l),
            other => panic!("exactly one must win: {other:?}"),
        };
        assert_eq!(lost, GrantError::RefreshReused);
        s.storage.waits.set(false);
        assert!(
            s.is_gone(),
            "the loser's delete comes after the winner's write"
        );
        assert_eq!(
            block_on(
                s.reopened()
                    .refresh(&refresh(&won.refresh_token.unwrap()), T0 + 3000)
            ),
            Err(GrantError::UnknownGrant)
        );
    }

    #[test]
    fn a_refresh_may_narrow_the_scope_but_not_widen_it_nor_change_the_resource() {
        let s = setup(true);
        let rt = s.first_refresh_token();
        let narrow = Refresh {
            scopes: Some(vec!["notes:read".into()]),
            resource: Some(RESOURCE.into()),
            ..refresh(&rt)
        };
        let issued = s.refresh(&narrow, T0 + 2000).unwrap();
        assert_eq!(issued.scopes, ["notes:read"]);
        let rt = issued.refresh_token.unwrap();
        for (req, why) in [
            (
                Refresh {
                    scopes: Some(vec!["notes:read".into(), "admin".into()]),
                    ..refresh(&rt)
                },
                GrantError::ScopeNotGranted,
            ),
            (
                Refresh {
                    resource: Some("https://other.example/mcp".into()),
                    ..refresh(&rt)
                },
                GrantError::WrongResource,
            ),
            (
                Refresh {
                    client_id: "another-client".into(),
                    ..refresh(&rt)
                },
                GrantError::WrongClient,
            ),
        ] {
            assert_eq!(s.refresh(&req, T0 + 3000), Err(why));
        }
        assert_eq!(GrantError::ScopeNotGranted.oauth_error(), "invalid_scope");
        // Refused requests did not use the token; the narrowed refresh did not narrow
        // the grant, and an empty scope is the whole grant.
        let all = Refresh {
            scopes: Some(Vec::new()),
            ..refresh(&rt)
        };
        let issued = s.refresh(&all, T0 + 4000).unwrap();
        assert_eq!(issued.scopes, ["notes:read", "notes:write"]);
    }

    #[test]
    fn a_code_is_no_refresh_token_and_a_refresh_token_no_code() {
        let s = setup(true);
        let rt = s.first_refresh_token();
        assert_eq!(
            s.refresh(&refresh(&s.code), T0 + 2000),
            Err(GrantError::WrongToken)
        );
        assert_eq!(
            s.redeem(&redemption(&rt), T0 + 2000),
            Err(GrantError::WrongToken)
        );
        // A token naming another grant, with this grant's secret, is refused here: the
        // grant id is bound to the secret by the digest.
        let moved = OpaqueToken {
            grant: GrantId::new().unwrap(),
            secret: rt.secret.clone(),
        };
        assert_eq!(
            s.refresh(&refresh(&moved), T0 + 2000),
            Err(GrantError::WrongToken)
        );
        assert!(s.refresh(&refresh(&rt), T0 + 3000).is_ok());
    }

    #[test]
    fn revoking_a_refresh_token_ends_the_grant_and_an_unknown_token_changes_nothing() {
        let s = setup(true);
        let rt = s.first_refresh_token();
        let revoke =
            |t: &OpaqueToken, client: &str| block_on(s.object.revoke(t, client, T0 + 2000));
        let stranger = OpaqueToken::mint(s.code.grant_id()).unwrap();
        assert_eq!(revoke(&stranger, CLIENT), Ok(Revocation::Unknown));
        assert_eq!(revoke(&s.code, CLIENT), Ok(Revocation::Unknown));
        assert_eq!(revoke(&rt, "another-client"), Err(GrantError::WrongClient));
        assert!(!s.is_gone());
        assert_eq!(revoke(&rt, CLIENT), Ok(Revocation::Ended));
        assert!(s.is_gone());
        assert_eq!(revoke(&rt, CLIENT), Ok(Revocation::Unknown));
        assert_eq!(
            s.refresh(&refresh(&rt), T0 + 3000),
            Err(GrantError::UnknownGrant)
        );
        // A retired token revokes too: it is the client's, and its reuse would end the
        // grant anyway.
        let s = setup(true);
        let old = s.first_refresh_token();
        s.refresh(&refresh(&old), T0 + 2000).unwrap();
        assert_eq!(
            block_on(s.object.revoke(&old, CLIENT, T0 + 3000)),
            Ok(Revocation::Ended)
        );
        assert!(s.is_gone());
    }

    #[test]
    fn the_alarm_deletes_an_unredeemed_grant_and_an_idle_one() {
        // Never redeemed: gone at the code's expiry.
        let s = setup(true);
        let at = s.storage.alarm.get().unwrap();
        block_on(s.object.alarm(at - 1)).unwrap();
        assert_eq!(s.storage.alarm.get(), Some(at), "early: set again");
        block_on(s.reopened().alarm(at)).unwrap();
        assert!(s.is_gone());

        // Redeemed and refreshed: the code's alarm finds a later deadline and moves.
        let s = setup(true);
        let idle = Lifetimes::default().refresh_idle_ms;
        let rt = s.first_refresh_token();
        let refreshed_at = T0 + 10 * DAY_MS;
        let rt = s
            .refresh(&refresh(&rt), refreshed_at)
            .unwrap()
            .refresh_token
            .unwrap();
        block_on(s.object.alarm(T0 + 5 * MINUTE_MS)).unwrap();
        assert_eq!(s.storage.alarm.get(), Some(refreshed_at + idle));
        // Idle for 30 days: the alarm deletes it, and the token is refused.
        block_on(s.object.alarm(refreshed_at + idle)).unwrap();
        assert!(s.is_gone());
        assert_eq!(
            s.refresh(&refresh(&rt), refreshed_at + idle),
            Err(GrantError::UnknownGrant)
        );
    }

    #[test]
    fn a_late_alarm_is_no_reprieve_and_no_grant_outlives_its_end() {
        let s = setup(true);
        let rt = s.first_refresh_token();
        let idle = Lifetimes::default().refresh_idle_ms;
        // The alarm has not run; the operation checks the deadline itself.
        assert_eq!(
            s.refresh(&refresh(&rt), T0 + 1000 + idle),
            Err(GrantError::UnknownGrant)
        );
        assert!(s.is_gone());

        // Refreshed every 20 days, a grant still ends a year after consent.
        let s = setup(true);
        let mut rt = s.first_refresh_token();
        let end = T0 + Lifetimes::default().grant_ms;
        let mut now = T0;
        loop {
            now += 20 * DAY_MS;
            match s.refresh(&refresh(&rt), now) {
                Ok(issued) => rt = issued.refresh_token.unwrap(),
                Err(e) => {
                    assert_eq!(e, GrantError::UnknownGrant);
                    assert!(now >= end && now - 20 * DAY_MS < end);
                    break;
                }
            }
        }
    }

    #[test]
    fn a_failed_write_keeps_the_stored_grant_and_the_old_token() {
        let s = setup(true);
        let rt = s.first_refresh_token();
        s.storage.put_fails.set(true);
        let e = s.refresh(&refresh(&rt), T0 + 2000).unwrap_err();
        assert_eq!(e.oauth_error(), "server_error");
        assert!(e.to_string().contains("storage unavailable"));
        s.storage.put_fails.set(false);
        // The rotation was not kept, so the token the client still holds works.
        assert!(s.refresh(&refresh(&rt), T0 + 3000).is_ok());
    }

    #[test]
    fn only_the_newest_retired_tokens_are_remembered() {
        let s = setup(true);
        let first = s.first_refresh_token();
        let mut rt = first.clone();
        for i in 0..=MAX_RETIRED as u64 {
            rt = s
                .refresh(&refresh(&rt), T0 + 2000 + i)
                .unwrap()
                .refresh_token
                .unwrap();
        }
        // Forgotten: refused as unknown, and the grant lives.
        assert_eq!(
            s.refresh(&refresh(&first), T0 + 10_000),
            Err(GrantError::WrongToken)
        );
        assert!(s.refresh(&refresh(&rt), T0 + 10_001).is_ok());
    }

    #[test]
    fn creation_needs_every_binding_and_a_fresh_id() {
        let storage = Rc::new(Memory::default());
        let object = Object::new(storage.clone());
        let mut grant = new_grant(true);
        grant.code_challenge.clear();
        assert_eq!(
            block_on(object.create(grant, T0)),
            Err(GrantError::Incomplete("a code_challenge"))
        );
        let grant = new_grant(true);
        block_on(object.create(grant.clone(), T0)).unwrap();
        assert_eq!(
            block_on(object.create(grant.clone(), T0 + 1)),
            Err(GrantError::Exists)
        );
        // Once the first has expired unredeemed, the id is free again.
        assert!(block_on(object.create(grant, T0 + MAX_CODE_MS)).is_ok());
    }

    #[test]
    fn requests_and_answers_cross_to_the_object_as_json_and_hide_secrets_in_debug() {
        let s = setup(true);
        let req = redemption(&s.code);
        let json = serde_json::to_string(&req).unwrap();
        let back: Redemption = serde_json::from_str(&json).unwrap();
        assert_eq!(back, req);
        let shown = format!("{req:?}");
        assert!(!shown.contains(VERIFIER));
        assert!(!shown.contains(s.code.reveal().split_once('.').unwrap().1));
        assert!(serde_json::from_str::<Redemption>(&json.replace(".", ":")).is_err());
        let issued = s.redeem(&req, T0 + 1000).unwrap();
        let json = serde_json::to_string(&issued).unwrap();
        assert_eq!(serde_json::from_str::<Issued>(&json).unwrap(), issued);
        // No error's words hold a token.
        let secret = issued.refresh_token.as_ref().unwrap().reveal();
        for e in [
            s.refresh(&refresh(&s.code), T0 + 2000).unwrap_err(),
            s.redeem(&req, T0 + 2000).unwrap_err(),
        ] {
            assert!(!e.to_string().contains(&secret));
            assert!(!format!("{e:?}").contains(&secret));
        }
    }
}
