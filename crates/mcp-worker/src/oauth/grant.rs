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
//!   fails a check changes nothing, redeemed code or not, with one exception: before
//!   the code is redeemed, [`MAX_VERIFIER_FAILURES`] wrong verifiers burn it, so a
//!   stolen code cannot be tried against every verifier (RFC 7636 §1).
//! - A token request that sends `redirect_uri` must send the one the code went to; one
//!   the authorization request named must be sent again (OAuth 2.1 §4.1.3, §10.2).
//! - The grant keeps whether the client authenticated when it redeemed the code (a
//!   secret or `private_key_jwt`, not `none`); its refreshes and revocations must then
//!   authenticate too, else `invalid_client`. A client whose metadata lists both `none`
//!   and `private_key_jwt` (ChatGPT's) gets tokens bound to its key if it used it.
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
//! - Revoking a refresh token ends the grant (RFC 7009 §2.1), and so does revoking one
//!   of its access tokens, whose `jti` names the grant (RFC 7009 §2); an unknown token
//!   is no error (§2.2). Access tokens are signed JWTs that no object is asked about:
//!   those already issued live out their hour (see `token`).
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
use serde::{Serialize, Serializer};
use serde_json::{Map, Value};
use sha2::{Digest as _, Sha256};

use super::json::{read_struct, Fields, FromJson};
use super::token::AccessClaims;
use crate::tools::BoxFuture;

/// The longest an authorization code may live, in milliseconds: 10 minutes (OAuth 2.1
/// §4.1.2). [`Lifetimes::check`] refuses a longer [`Lifetimes::code_ms`].
pub const MAX_CODE_MS: u64 = 10 * 60 * 1000;

/// How many retired refresh tokens a grant remembers, to recognise their reuse. A
/// token older than that many rotations is refused as unknown without ending the grant:
/// the list stays a few kilobytes however long the grant lives.
pub const MAX_RETIRED: usize = 32;

/// The longest a grant may live, in milliseconds: two years. [`Lifetimes::check`]
/// refuses a longer [`Lifetimes::grant_ms`]. Every grant ends and its user signs in again at least this often, and
/// deadlines stay far from the end of `u64`.
pub const MAX_GRANT_MS: u64 = 2 * 365 * DAY_MS;

/// How many redemptions of a code, each with its client and redirect URI right but a
/// wrong `code_verifier`, burn the code (see [`GrantError::VerifierGuessed`]).
pub const MAX_VERIFIER_FAILURES: u32 = 5;

const MINUTE_MS: u64 = 60 * 1000;
const DAY_MS: u64 = 24 * 60 * MINUTE_MS;

/// The bytes of a grant id: 128 bits.
const ID_BYTES: usize = 16;
/// The bytes of a token's secret: 256 bits.
const SECRET_BYTES: usize = 32;
/// Base64url characters, unpadded, of [`ID_BYTES`] and [`SECRET_BYTES`].
const ID_CHARS: usize = 22;
const SECRET_CHARS: usize = 43;

/// How long a grant's parts live, in milliseconds. The object stores the deadlines they
/// give when the grant is created, so a later change of configuration applies to new
/// grants only. [`Lifetimes::check`] says whether they make sense; a grant is created
/// only with lifetimes that pass it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Lifetimes {
    /// The authorization code, in milliseconds: from consent to redemption. More than 0
    /// and at most [`MAX_CODE_MS`]; 5 minutes by default (a client redeems its code as
    /// soon as it is redirected).
    pub code_ms: u64,
    /// A refresh token not used for this many milliseconds expires, and the grant with
    /// it (OAuth 2.1 §4.3.3); each refresh starts the window again. More than 0 and at
    /// most [`Lifetimes::grant_ms`]; 30 days by default.
    pub refresh_idle_ms: u64,
    /// The grant ends this many milliseconds after consent however often it is
    /// refreshed; the user then signs in again. At least [`Lifetimes::code_ms`] and
    /// [`Lifetimes::refresh_idle_ms`], at most [`MAX_GRANT_MS`]; 365 days by default.
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

impl Lifetimes {
    /// Checks the lifetimes against each other and their bounds: `code_ms` in 1 ms to
    /// [`MAX_CODE_MS`] (OAuth 2.1 §4.1.2), `refresh_idle_ms` more than 0 (OAuth 2.1
    /// §4.3.3), `grant_ms` at least both of them (a shorter grant would cut the code or
    /// the idle window short without saying so) and at most [`MAX_GRANT_MS`]. The error
    /// names the setting to fix.
    pub fn check(&self) -> Result<(), LifetimesError> {
        let fail = |why: String| Err(LifetimesError(why));
        if self.code_ms == 0 || self.code_ms > MAX_CODE_MS {
            return fail(format!(
                "code_ms is {}: an authorization code lives more than 0 and at most {MAX_CODE_MS} ms (10 minutes, OAuth 2.1 §4.1.2)",
                self.code_ms
            ));
        }
        if self.refresh_idle_ms == 0 {
            return fail(
                "refresh_idle_ms is 0: a refresh token must live more than 0 ms unused".into(),
            );
        }
        if self.grant_ms > MAX_GRANT_MS {
            return fail(format!(
                "grant_ms is {}: a grant lives at most {MAX_GRANT_MS} ms (two years)",
                self.grant_ms
            ));
        }
        if self.grant_ms < self.code_ms || self.grant_ms < self.refresh_idle_ms {
            return fail(format!(
                "grant_ms is {}: a grant must live at least as long as its code (code_ms {}) and an unused refresh token (refresh_idle_ms {})",
                self.grant_ms, self.code_ms, self.refresh_idle_ms
            ));
        }
        Ok(())
    }
}

/// Why [`Lifetimes`] are unusable: the words name the setting and its bounds.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LifetimesError(String);

impl fmt::Display for LifetimesError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for LifetimesError {}

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
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(into = "String")]
pub struct GrantId(String);

impl GrantId {
    /// A new random id, for a new grant.
    pub fn new() -> Result<GrantId, GrantError> {
        let mut bytes = [0u8; ID_BYTES];
        random(&mut bytes)?;
        Ok(GrantId(Base64UrlUnpadded::encode_string(&bytes)))
    }

    /// The id of these 128 bits: the caller's way to give ids a structure it can check
    /// (the worker authenticates its ids, see `http::authorization`).
    pub fn from_bytes(bytes: [u8; ID_BYTES]) -> GrantId {
        GrantId(Base64UrlUnpadded::encode_string(&bytes))
    }

    /// The id's 128 bits.
    pub fn bytes(&self) -> [u8; ID_BYTES] {
        let mut out = [0u8; ID_BYTES];
        // Every GrantId holds exactly ID_BYTES bytes in canonical base64url.
        let _ = Base64UrlUnpadded::decode(&self.0, &mut out);
        out
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

impl FromJson for GrantId {
    fn from_json(v: &Value) -> Option<Self> {
        GrantId::parse(v.as_str()?)
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

impl FromJson for OpaqueToken {
    fn from_json(v: &Value) -> Option<Self> {
        OpaqueToken::parse(v.as_str()?)
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
        super::constant_time_eq(&self.0, &other.0)
    }
}

impl Serialize for Digest {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&Base64UrlUnpadded::encode_string(&self.0))
    }
}

impl FromJson for Digest {
    fn from_json(v: &Value) -> Option<Self> {
        let mut bytes = [0u8; 32];
        let decoded = Base64UrlUnpadded::decode(v.as_str()?, &mut bytes).ok()?;
        (decoded.len() == 32).then_some(Digest(bytes))
    }
}

/// Who the user is at the upstream identity provider the worker signed them in with,
/// for tools that act there later.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
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
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
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
    /// Where the code was sent: the authorization request's `redirect_uri`, or the
    /// client's only registered one when the request named none (OAuth 2.1 §2.3.2).
    /// A token request that sends a `redirect_uri` must send this one.
    pub redirect_uri: String,
    /// Whether the authorization request named its `redirect_uri`: the token request
    /// must then send it too (OAuth 2.1 §4.1.3, §10.2).
    pub redirect_uri_sent: bool,
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
#[derive(Clone, PartialEq, Eq, Serialize)]
pub struct Redemption {
    /// The code.
    pub code: OpaqueToken,
    /// The client the request authenticated as (or named, for a public client).
    pub client_id: String,
    /// Whether the request authenticated the client (a secret or a `private_key_jwt`
    /// assertion, verified) rather than only naming it (`none`). The grant keeps it, and
    /// its refresh and revocation requests must then authenticate too.
    pub client_authenticated: bool,
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
            .field("client_authenticated", &self.client_authenticated)
            .field("redirect_uri", &self.redirect_uri)
            .field("code_verifier", &"(hidden)")
            .field("resource", &self.resource)
            .finish()
    }
}

/// A token request with `grant_type=refresh_token`, as the token endpoint read it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Refresh {
    /// The refresh token.
    pub token: OpaqueToken,
    /// The client the request authenticated as (or named, for a public client).
    pub client_id: String,
    /// Whether the request authenticated the client (see
    /// [`Redemption::client_authenticated`]): required if the code's redemption did.
    pub client_authenticated: bool,
    /// The `scope` asked for, if any: a subset of the grant's. Empty is the same as
    /// absent: the whole grant.
    pub scopes: Option<Vec<String>>,
    /// The request's `resource`, if any: it must be the grant's.
    pub resource: Option<String>,
}

/// What a redemption or a refresh grants: what the worker puts in the access token
/// and the token response.
///
/// Its JSON form holds the whole new refresh token, secret included: that is how the
/// answer crosses from the grant's object to the worker, and it is for that wire only,
/// never for a log, a cache or storage. Its `Debug` shows the token's grant id only
/// ([`OpaqueToken`]'s `Debug`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Granted {
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
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum Revocation {
    /// The token was the grant's refresh token, current or retired, or one of its
    /// access tokens: the grant is gone.
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
    /// The client authenticated when it redeemed the code, and this request does not
    /// (its method is `none`): the grant's tokens are bound to the client's credentials.
    ClientNotAuthenticated,
    /// The `redirect_uri` is not the one of the authorization request.
    RedirectMismatch,
    /// The `code_verifier` does not match the code's challenge (RFC 7636 §4.6).
    VerifierMismatch,
    /// The code's redemption failed [`MAX_VERIFIER_FAILURES`] times on its verifier: the
    /// code is burnt and the grant ended.
    VerifierGuessed,
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
    /// The worker asked for a grant with lifetimes [`Lifetimes::check`] refuses.
    Lifetimes(LifetimesError),
    /// The platform gave no random bytes.
    Random,
    /// The object's storage failed; the text is for the log.
    Storage(String),
}

impl GrantError {
    /// The OAuth error code for the token endpoint (OAuth 2.1 §3.2.4, RFC 8707 §2):
    /// `invalid_grant`, `invalid_client`, `invalid_scope`, `invalid_target` or
    /// `server_error`.
    pub fn oauth_error(&self) -> &'static str {
        match self {
            GrantError::UnknownGrant
            | GrantError::CodeExpired
            | GrantError::WrongToken
            | GrantError::WrongClient
            | GrantError::RedirectMismatch
            | GrantError::VerifierMismatch
            | GrantError::VerifierGuessed
            | GrantError::CodeReplayed
            | GrantError::RefreshReused => "invalid_grant",
            // OAuth 2.1 §3.2.4: the client's authentication failed.
            GrantError::ClientNotAuthenticated => "invalid_client",
            GrantError::WrongResource => "invalid_target",
            GrantError::ScopeNotGranted => "invalid_scope",
            GrantError::Exists
            | GrantError::Incomplete(_)
            | GrantError::Lifetimes(_)
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
            GrantError::ClientNotAuthenticated => f.write_str(
                "the client authenticated when it obtained this grant and must authenticate the same way now",
            ),
            GrantError::RedirectMismatch => {
                f.write_str("redirect_uri must be the one the authorization request used")
            }
            GrantError::VerifierMismatch => {
                f.write_str("code_verifier does not match the code_challenge")
            }
            GrantError::VerifierGuessed => f.write_str(
                "too many wrong code_verifiers: the authorization code is revoked, sign in again",
            ),
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
            GrantError::Lifetimes(e) => write!(f, "the grant's lifetimes are unusable: {e}"),
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

#[derive(Clone, Serialize)]
struct CodeState {
    digest: Digest,
    expires_ms: u64,
    redeemed: bool,
    /// Redemptions refused on their verifier alone while the code was unredeemed.
    failed_verifiers: u32,
}

#[derive(Clone, Serialize)]
struct RefreshState {
    current: Digest,
    /// The tokens rotated out, newest last, at most [`MAX_RETIRED`].
    retired: Vec<Digest>,
    /// The current token expires then unless used (idle expiry).
    idle_until_ms: u64,
}

/// The stored grant.
#[derive(Clone, Serialize)]
struct Record {
    id: GrantId,
    client_id: String,
    subject: String,
    upstream: Upstream,
    scopes: Vec<String>,
    resource: String,
    redirect_uri: String,
    redirect_uri_sent: bool,
    code_challenge: String,
    code_challenge_method: String,
    refresh_allowed: bool,
    /// Whether the code's redemption authenticated the client: refreshes and
    /// revocations must then authenticate too.
    client_authenticated: bool,
    refresh_idle_ms: u64,
    created_ms: u64,
    /// The grant ends then, refreshed or not.
    ends_ms: u64,
    code: CodeState,
    refresh: Option<RefreshState>,
}

// The readers of what the `Serialize`s above write (see `oauth::json`).

impl FromJson for Lifetimes {
    fn from_json(v: &Value) -> Option<Self> {
        read_struct!(
            v,
            Lifetimes {
                code_ms,
                refresh_idle_ms,
                grant_ms
            }
        )
    }
}

impl FromJson for Upstream {
    fn from_json(v: &Value) -> Option<Self> {
        let f = Fields::of(v)?;
        Some(Upstream {
            issuer: f.get("issuer")?,
            subject: f.get("subject")?,
            props: f.get_or_default("props")?,
        })
    }
}

impl FromJson for NewGrant {
    fn from_json(v: &Value) -> Option<Self> {
        read_struct!(
            v,
            NewGrant {
                id,
                client_id,
                subject,
                upstream,
                scopes,
                resource,
                redirect_uri,
                redirect_uri_sent,
                code_challenge,
                code_challenge_method,
                refresh,
                lifetimes
            }
        )
    }
}

impl FromJson for Redemption {
    fn from_json(v: &Value) -> Option<Self> {
        read_struct!(
            v,
            Redemption {
                code,
                client_id,
                client_authenticated,
                redirect_uri,
                code_verifier,
                resource
            }
        )
    }
}

impl FromJson for Refresh {
    fn from_json(v: &Value) -> Option<Self> {
        read_struct!(
            v,
            Refresh {
                token,
                client_id,
                client_authenticated,
                scopes,
                resource
            }
        )
    }
}

impl FromJson for Granted {
    fn from_json(v: &Value) -> Option<Self> {
        read_struct!(
            v,
            Granted {
                grant_id,
                client_id,
                subject,
                upstream,
                scopes,
                resource,
                refresh_token
            }
        )
    }
}

impl FromJson for Revocation {
    fn from_json(v: &Value) -> Option<Self> {
        match v.as_str()? {
            "Ended" => Some(Revocation::Ended),
            "Unknown" => Some(Revocation::Unknown),
            _ => None,
        }
    }
}

impl FromJson for CodeState {
    fn from_json(v: &Value) -> Option<Self> {
        read_struct!(
            v,
            CodeState {
                digest,
                expires_ms,
                redeemed,
                failed_verifiers
            }
        )
    }
}

impl FromJson for RefreshState {
    fn from_json(v: &Value) -> Option<Self> {
        read_struct!(
            v,
            RefreshState {
                current,
                retired,
                idle_until_ms
            }
        )
    }
}

impl FromJson for Record {
    fn from_json(v: &Value) -> Option<Self> {
        read_struct!(
            v,
            Record {
                id,
                client_id,
                subject,
                upstream,
                scopes,
                resource,
                redirect_uri,
                redirect_uri_sent,
                code_challenge,
                code_challenge_method,
                refresh_allowed,
                client_authenticated,
                refresh_idle_ms,
                created_ms,
                ends_ms,
                code,
                refresh
            }
        )
    }
}

/// What an operation decided, before any write.
enum Outcome<T> {
    /// Refused; nothing changed.
    Refuse(GrantError),
    /// Refused, but the record changed (a count of failures): store it, then answer
    /// with this refusal.
    Count(GrantError),
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

    fn issued(&self, scopes: Vec<String>, refresh_token: Option<OpaqueToken>) -> Granted {
        Granted {
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

    fn redeem(&mut self, req: &Redemption, now_ms: u64) -> Outcome<Granted> {
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
        // OAuth 2.1 §4.1.3, §10.2: a `redirect_uri` sent must be where the code went,
        // and one the authorization request named must be sent again. When it named
        // none, the client's only registered URI was used, and a client that sends that
        // one (as an OAuth 2.0 client does) is right.
        let redirect_ok = match &req.redirect_uri {
            Some(uri) => *uri == self.redirect_uri,
            None => !self.redirect_uri_sent,
        };
        if !redirect_ok {
            return Outcome::Refuse(GrantError::RedirectMismatch);
        }
        // PKCE (RFC 7636 §4.6): S256 is the only method a grant is created with.
        if self.code_challenge_method != super::pkce::METHOD
            || !super::pkce::verify(&self.code_challenge, &req.code_verifier)
        {
            if self.code.redeemed {
                // A right guess now would only end the grant as a replay, never yield
                // a token: nothing to bound, and counting would let a code thief end
                // the user's live grant by failing on purpose.
                return Outcome::Refuse(GrantError::VerifierMismatch);
            }
            // The verifier is what keeps a stolen code useless (RFC 7636 §1), and each
            // try is a guess at it: after a few, the code is burnt. A code thief can
            // then end the sign-in on purpose, but without the verifier they could not
            // use the code anyway, and the user only signs in again; unbounded guesses
            // against a 10-minute code would trade that for a (small) chance of tokens.
            self.code.failed_verifiers = self.code.failed_verifiers.saturating_add(1);
            if self.code.failed_verifiers >= MAX_VERIFIER_FAILURES {
                return Outcome::End(GrantError::VerifierGuessed);
            }
            return Outcome::Count(GrantError::VerifierMismatch);
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
        self.client_authenticated = req.client_authenticated;
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

    fn refresh(&mut self, req: &Refresh, now_ms: u64) -> Outcome<Granted> {
        let Some(current) = self.refresh_token_is_current(&req.token) else {
            return Outcome::Refuse(GrantError::WrongToken);
        };
        // Another client's request changes nothing, even with a retired token: ending
        // the grant is for reuse by the client the tokens were issued to.
        if req.client_id != self.client_id {
            return Outcome::Refuse(GrantError::WrongClient);
        }
        // The tokens are bound to the client's credentials, not only its id: once the
        // client authenticated, `none` proves nothing (ChatGPT's metadata lists both
        // `none` and `private_key_jwt`, so its registration cannot tell). Like another
        // client's, such a request changes nothing, a retired token included.
        if self.client_authenticated && !req.client_authenticated {
            return Outcome::Refuse(GrantError::ClientNotAuthenticated);
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
            // Read as `Value`, then by the record's own reader (`oauth::json`).
            Some(text) => Some(
                serde_json::from_str::<Value>(&text)
                    .ok()
                    .and_then(|v| Record::from_json(&v))
                    .ok_or_else(|| GrantError::Storage("the stored grant does not parse".into()))?,
            ),
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
            Outcome::Count(e) => {
                self.save().await?;
                Err(e)
            }
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
            (&grant.redirect_uri, "a redirect_uri"),
            (&grant.code_challenge, "a code_challenge"),
            (&grant.code_challenge_method, "a code_challenge_method"),
        ] {
            if value.is_empty() {
                return Err(GrantError::Incomplete(what));
            }
        }
        grant.lifetimes.check().map_err(GrantError::Lifetimes)?;
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
                expires_ms: now_ms.saturating_add(life.code_ms),
                redeemed: false,
                failed_verifiers: 0,
            },
            refresh: None,
            id: grant.id,
            client_id: grant.client_id,
            subject: grant.subject,
            upstream: grant.upstream,
            scopes: grant.scopes,
            resource: grant.resource,
            redirect_uri: grant.redirect_uri,
            redirect_uri_sent: grant.redirect_uri_sent,
            code_challenge: grant.code_challenge,
            code_challenge_method: grant.code_challenge_method,
            refresh_allowed: grant.refresh,
            client_authenticated: false,
            refresh_idle_ms: life.refresh_idle_ms,
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
    pub async fn redeem(&self, req: &Redemption, now_ms: u64) -> Result<Granted, GrantError> {
        self.decide(now_ms, |r| r.redeem(req, now_ms)).await
    }

    /// Refreshes: the token is exchanged for a new one (OAuth 2.1 §4.3, RFC 9700
    /// §4.14.2), and a retired one ends the grant.
    pub async fn refresh(&self, req: &Refresh, now_ms: u64) -> Result<Granted, GrantError> {
        self.decide(now_ms, |r| r.refresh(req, now_ms)).await
    }

    /// Revokes by refresh token (RFC 7009 §2.1): the grant's current or a retired
    /// refresh token from its client ends the grant; any other token changes nothing.
    /// [`GrantError::WrongClient`] when the token is another client's,
    /// [`GrantError::ClientNotAuthenticated`] when the grant's client authenticated at
    /// redemption and this request does not.
    pub async fn revoke(
        &self,
        token: &OpaqueToken,
        client_id: &str,
        client_authenticated: bool,
        now_ms: u64,
    ) -> Result<Revocation, GrantError> {
        self.revoke_if(client_id, client_authenticated, now_ms, |r| {
            r.refresh_token_is_current(token).is_some()
        })
        .await
    }

    /// Revokes by access token: one of this grant's live access tokens from its client
    /// ends the grant, so that the refresh token, and with it every later access token,
    /// dies too (RFC 7009 §2: revoking one token of a grant may revoke the others). The
    /// access tokens already issued are JWTs no object is asked about: they live out
    /// their lifetime (at most `token::MAX_LIFETIME_SECS`).
    ///
    /// `claims` must come from a token whose signature the caller verified with its
    /// own signing keys (and whose `typ`, `iss` and `exp` it checked): the object sees
    /// claims, not signatures, and a grant id and a public client's id are no secret.
    /// The grant is found by [`AccessClaims::grant_id`]; a token of another grant, an
    /// expired one or one issued before this grant is [`Revocation::Unknown`]. Errors as
    /// for [`Object::revoke`].
    pub async fn revoke_access_token(
        &self,
        claims: &AccessClaims,
        client_id: &str,
        client_authenticated: bool,
        now_ms: u64,
    ) -> Result<Revocation, GrantError> {
        let secs_to_ms = |secs: i64| u64::try_from(secs).ok().and_then(|s| s.checked_mul(1000));
        self.revoke_if(client_id, client_authenticated, now_ms, |r| {
            claims.grant_id().as_ref() == Some(&r.id)
                && claims.client_id == r.client_id
                && claims.sub == r.subject
                && claims.aud == r.resource
                && r.code.redeemed
                && secs_to_ms(claims.exp).is_some_and(|exp| exp > now_ms)
                && secs_to_ms(claims.iat).is_some_and(|iat| iat >= r.created_ms / 1000 * 1000)
        })
        .await
    }

    /// Ends the grant if `ours` says the token is the grant's, the request comes from
    /// the grant's client (RFC 7009 §2.1) and authenticates as its redemption did.
    async fn revoke_if(
        &self,
        client_id: &str,
        client_authenticated: bool,
        now_ms: u64,
        ours: impl FnOnce(&Record) -> bool,
    ) -> Result<Revocation, GrantError> {
        match self.live(now_ms).await {
            Ok(()) => {}
            Err(GrantError::UnknownGrant | GrantError::CodeExpired) => {
                return Ok(Revocation::Unknown)
            }
            Err(e) => return Err(e),
        }
        let verdict = match self.cache.borrow().as_ref() {
            None => Ok(false),
            Some(r) if !ours(r) => Ok(false),
            Some(r) if r.client_id != client_id => Err(GrantError::WrongClient),
            Some(r) if r.client_authenticated && !client_authenticated => {
                Err(GrantError::ClientNotAuthenticated)
            }
            Some(_) => Ok(true),
        };
        if verdict? {
            self.end().await?;
            Ok(Revocation::Ended)
        } else {
            Ok(Revocation::Unknown)
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
            redirect_uri: REDIRECT.into(),
            redirect_uri_sent: true,
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
            client_authenticated: false,
            redirect_uri: Some(REDIRECT.into()),
            code_verifier: VERIFIER.into(),
            resource: Some(RESOURCE.into()),
        }
    }

    fn refresh(token: &OpaqueToken) -> Refresh {
        Refresh {
            token: token.clone(),
            client_id: CLIENT.into(),
            client_authenticated: false,
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
        fn redeem(&self, req: &Redemption, now: u64) -> Result<Granted, GrantError> {
            block_on(self.object.redeem(req, now))
        }
        fn refresh(&self, req: &Refresh, now: u64) -> Result<Granted, GrantError> {
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
        // No lifetime makes a code outlive ten minutes: such a grant is not created.
        let storage = Rc::new(Memory::default());
        let object = Object::new(storage.clone());
        let mut grant = new_grant(true);
        grant.lifetimes.code_ms = 24 * 60 * MINUTE_MS;
        assert!(matches!(
            block_on(object.create(grant, T0)),
            Err(GrantError::Lifetimes(_))
        ));
        assert!(storage.record.borrow().is_none());
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
            |t: &OpaqueToken, client: &str| block_on(s.object.revoke(t, client, false, T0 + 2000));
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
            block_on(s.object.revoke(&old, CLIENT, false, T0 + 3000)),
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
        let mut ended = false;
        // Bounded, so a grant that never ends fails the test rather than hangs it.
        for _ in 0..100 {
            now += 20 * DAY_MS;
            match s.refresh(&refresh(&rt), now) {
                Ok(issued) => rt = issued.refresh_token.unwrap(),
                Err(e) => {
                    assert_eq!(e, GrantError::UnknownGrant);
                    assert!(now >= end && now - 20 * DAY_MS < end);
                    ended = true;
                    break;
                }
            }
        }
        assert!(ended, "the grant outlived its end");
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
    fn a_stored_grant_reads_back_whole_and_a_damaged_one_is_a_storage_error() {
        let storage = Rc::new(Memory::default());
        let mut grant = new_grant(true);
        grant.upstream.props.insert("login".into(), "octo".into());
        let code = block_on(Object::new(storage.clone()).create(grant.clone(), T0)).unwrap();
        // Each step by a fresh object: the record is read from its text every time.
        let granted =
            block_on(Object::new(storage.clone()).redeem(&redemption(&code), T0 + 1)).unwrap();
        assert_eq!(granted.upstream, grant.upstream);
        let token = granted.refresh_token.unwrap();
        let again =
            block_on(Object::new(storage.clone()).refresh(&refresh(&token), T0 + 2)).unwrap();
        assert_eq!(again.scopes, grant.scopes);
        // The retired token is remembered across the reload: its reuse ends the grant.
        assert!(block_on(Object::new(storage.clone()).refresh(&refresh(&token), T0 + 3)).is_err());
        assert!(storage.record.borrow().is_none());

        let stored = Rc::new(Memory::default());
        block_on(Object::new(stored.clone()).create(new_grant(true), T0)).unwrap();
        let text = stored.record.borrow().clone().unwrap();
        *stored.record.borrow_mut() = Some(text.replace("\"ends_ms\"", "\"ends\""));
        assert!(matches!(
            block_on(Object::new(stored).redeem(&redemption(&code), T0 + 1)),
            Err(GrantError::Storage(_))
        ));
    }

    #[test]
    fn requests_and_answers_cross_to_the_object_as_json_and_hide_secrets_in_debug() {
        let s = setup(true);
        let req = redemption(&s.code);
        let json = serde_json::to_value(&req).unwrap();
        assert_eq!(Redemption::from_json(&json), Some(req.clone()));
        let shown = format!("{req:?}");
        assert!(!shown.contains(VERIFIER));
        assert!(!shown.contains(s.code.reveal().split_once('.').unwrap().1));
        let altered = json.to_string().replace('.', ":");
        assert_eq!(
            Redemption::from_json(&serde_json::from_str(&altered).unwrap()),
            None
        );
        let issued = s.redeem(&req, T0 + 1000).unwrap();
        let json = serde_json::to_value(&issued).unwrap();
        assert_eq!(Granted::from_json(&json).as_ref(), Some(&issued));
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

    #[test]
    fn a_grant_redeemed_with_client_authentication_refuses_none_later() {
        let s = setup(true);
        let rt = s
            .redeem(
                &Redemption {
                    client_authenticated: true,
                    ..redemption(&s.code)
                },
                T0 + 1000,
            )
            .unwrap()
            .refresh_token
            .unwrap();
        // The same client id with `none`: refused as a client error, nothing changes.
        assert_eq!(
            s.refresh(&refresh(&rt), T0 + 2000),
            Err(GrantError::ClientNotAuthenticated)
        );
        assert_eq!(
            GrantError::ClientNotAuthenticated.oauth_error(),
            "invalid_client"
        );
        assert_eq!(
            block_on(s.object.revoke(&rt, CLIENT, false, T0 + 2000)),
            Err(GrantError::ClientNotAuthenticated)
        );
        let authenticated = |t: &OpaqueToken| Refresh {
            client_authenticated: true,
            ..refresh(t)
        };
        let next = s
            .refresh(&authenticated(&rt), T0 + 3000)
            .unwrap()
            .refresh_token
            .unwrap();
        // Still bound after rotation; a retired token with `none` ends nothing.
        assert_eq!(
            s.refresh(&refresh(&next), T0 + 4000),
            Err(GrantError::ClientNotAuthenticated)
        );
        assert_eq!(
            s.refresh(&refresh(&rt), T0 + 4000),
            Err(GrantError::ClientNotAuthenticated)
        );
        assert!(!s.is_gone());
        assert_eq!(
            block_on(s.object.revoke(&next, CLIENT, true, T0 + 5000)),
            Ok(Revocation::Ended)
        );

        // A grant redeemed with `none` takes `none` and an authenticated request alike.
        let s = setup(true);
        let rt = s.first_refresh_token();
        let rt = s
            .refresh(&refresh(&rt), T0 + 2000)
            .unwrap()
            .refresh_token
            .unwrap();
        assert!(s.refresh(&authenticated(&rt), T0 + 3000).is_ok());
    }

    fn access_claims(granted: &Granted, now_ms: u64) -> AccessClaims {
        let now = i64::try_from(now_ms / 1000).unwrap();
        AccessClaims::for_grant("https://auth.example", granted, now, 3600).unwrap()
    }

    #[test]
    fn revoking_an_access_token_ends_its_grant_and_its_refresh_token() {
        let s = setup(true);
        let granted = s.redeem(&redemption(&s.code), T0 + 1000).unwrap();
        let rt = granted.refresh_token.clone().unwrap();
        let claims = access_claims(&granted, T0 + 1000);
        assert_eq!(claims.grant_id().as_ref(), Some(s.code.grant_id()));
        let revoke = |c: &AccessClaims, client: &str, now: u64| {
            block_on(s.object.revoke_access_token(c, client, false, now))
        };
        // Another grant's token, one naming another client or user, and an expired one
        // are not this grant's: nothing changes.
        let other_grant = Granted {
            grant_id: GrantId::new().unwrap(),
            ..granted.clone()
        };
        let not_ours = [
            access_claims(&other_grant, T0 + 1000),
            AccessClaims {
                client_id: "another-client".into(),
                ..claims.clone()
            },
            AccessClaims {
                sub: "user-2".into(),
                ..claims.clone()
            },
            AccessClaims {
                jti: "no-grant".into(),
                ..claims.clone()
            },
        ];
        for c in &not_ours {
            assert_eq!(revoke(c, CLIENT, T0 + 2000), Ok(Revocation::Unknown));
        }
        assert_eq!(
            revoke(&claims, CLIENT, T0 + 1000 + 3600 * 1000),
            Ok(Revocation::Unknown)
        );
        // The token's own claims from another client: refused.
        assert_eq!(
            revoke(&claims, "another-client", T0 + 2000),
            Err(GrantError::WrongClient)
        );
        assert!(!s.is_gone());
        assert_eq!(revoke(&claims, CLIENT, T0 + 2000), Ok(Revocation::Ended));
        assert!(s.is_gone());
        assert_eq!(
            s.refresh(&refresh(&rt), T0 + 3000),
            Err(GrantError::UnknownGrant)
        );
        // A token minted before the code's redemption cannot exist: an unredeemed
        // grant has no access token to revoke.
        let s = setup(true);
        let early = access_claims(
            &Granted {
                grant_id: s.code.grant_id().clone(),
                ..granted
            },
            T0,
        );
        assert_eq!(
            block_on(s.object.revoke_access_token(&early, CLIENT, false, T0 + 10)),
            Ok(Revocation::Unknown)
        );
        assert!(!s.is_gone());
    }

    #[test]
    fn a_redirect_uri_left_out_of_the_authorization_request_may_be_sent_again() {
        let storage = Rc::new(Memory::default());
        let object = Object::new(storage.clone());
        let grant = NewGrant {
            redirect_uri_sent: false,
            ..new_grant(true)
        };
        let code = block_on(object.create(grant, T0)).unwrap();
        for (uri, ok) in [
            (Some("https://client.example/other"), false),
            (Some(""), false),
            (None, true),
        ] {
            let req = Redemption {
                redirect_uri: uri.map(str::to_owned),
                ..redemption(&code)
            };
            let got = block_on(object.redeem(&req, T0 + 1000));
            if ok {
                assert!(got.is_ok(), "{uri:?}");
            } else {
                assert_eq!(got, Err(GrantError::RedirectMismatch), "{uri:?}");
            }
        }
        // The URI the code went to, sent by an OAuth 2.0 client (OAuth 2.1 §10.2).
        let object = Object::new(Rc::new(Memory::default()));
        let grant = NewGrant {
            redirect_uri_sent: false,
            ..new_grant(true)
        };
        let code = block_on(object.create(grant, T0)).unwrap();
        assert!(block_on(object.redeem(&redemption(&code), T0 + 1000)).is_ok());
        // Named in the authorization request, it must come again (the fixture's
        // default): covered by `a_redemption_failing_a_check_changes_nothing_even_as_a_replay`.
        let mut empty = new_grant(true);
        empty.redirect_uri.clear();
        assert_eq!(
            block_on(Object::new(Rc::new(Memory::default())).create(empty, T0)),
            Err(GrantError::Incomplete("a redirect_uri"))
        );
    }

    #[test]
    fn lifetimes_are_checked_and_the_error_names_the_setting() {
        assert_eq!(Lifetimes::default().check(), Ok(()));
        let d = Lifetimes::default();
        for (bad, names) in [
            (Lifetimes { code_ms: 0, ..d }, "code_ms"),
            (
                Lifetimes {
                    code_ms: MAX_CODE_MS + 1,
                    ..d
                },
                "code_ms",
            ),
            (
                Lifetimes {
                    refresh_idle_ms: 0,
                    ..d
                },
                "refresh_idle_ms",
            ),
            (
                Lifetimes {
                    grant_ms: d.refresh_idle_ms - 1,
                    ..d
                },
                "grant_ms",
            ),
            (
                Lifetimes {
                    code_ms: 10,
                    refresh_idle_ms: 5,
                    grant_ms: 9,
                },
                "grant_ms",
            ),
            (
                Lifetimes {
                    grant_ms: MAX_GRANT_MS + 1,
                    ..d
                },
                "grant_ms",
            ),
            (
                Lifetimes {
                    grant_ms: u64::MAX,
                    refresh_idle_ms: u64::MAX,
                    ..d
                },
                "grant_ms",
            ),
        ] {
            let e = bad.check().unwrap_err().to_string();
            assert!(e.starts_with(names), "{bad:?}: {e}");
            let mut grant = new_grant(true);
            grant.lifetimes = bad;
            let got = block_on(Object::new(Rc::new(Memory::default())).create(grant, T0));
            assert_eq!(got.unwrap_err().oauth_error(), "server_error");
        }
        // The edges pass.
        let edge = Lifetimes {
            code_ms: MAX_CODE_MS,
            refresh_idle_ms: MAX_GRANT_MS,
            grant_ms: MAX_GRANT_MS,
        };
        assert_eq!(edge.check(), Ok(()));
        let tiny = Lifetimes {
            code_ms: 1,
            refresh_idle_ms: 1,
            grant_ms: 1,
        };
        assert_eq!(tiny.check(), Ok(()));
    }

    #[test]
    fn wrong_verifiers_burn_an_unredeemed_code_but_not_a_redeemed_ones_grant() {
        let wrong = |code: &OpaqueToken| Redemption {
            code_verifier: "x".repeat(43),
            ..redemption(code)
        };
        let s = setup(true);
        for i in 1..MAX_VERIFIER_FAILURES {
            assert_eq!(
                s.redeem(&wrong(&s.code), T0 + u64::from(i)),
                Err(GrantError::VerifierMismatch)
            );
        }
        // The count survives eviction: it is stored.
        let reopened = s.reopened();
        assert_eq!(
            block_on(reopened.redeem(&wrong(&s.code), T0 + 100)),
            Err(GrantError::VerifierGuessed)
        );
        assert_eq!(GrantError::VerifierGuessed.oauth_error(), "invalid_grant");
        assert!(s.is_gone());
        assert_eq!(
            block_on(reopened.redeem(&redemption(&s.code), T0 + 200)),
            Err(GrantError::UnknownGrant)
        );
        // One short of the bound, the right verifier still redeems.
        let s = setup(true);
        for i in 1..MAX_VERIFIER_FAILURES {
            assert!(s.redeem(&wrong(&s.code), T0 + u64::from(i)).is_err());
        }
        let rt = s
            .redeem(&redemption(&s.code), T0 + 100)
            .unwrap()
            .refresh_token
            .unwrap();
        // After redemption, wrong verifiers change nothing, however many.
        for i in 0..2 * MAX_VERIFIER_FAILURES {
            assert_eq!(
                s.redeem(&wrong(&s.code), T0 + 200 + u64::from(i)),
                Err(GrantError::VerifierMismatch)
            );
        }
        assert!(s.refresh(&refresh(&rt), T0 + 300).is_ok());
        // Failures of other checks are not verifier guesses.
        let s = setup(true);
        for i in 0..2 * MAX_VERIFIER_FAILURES {
            let other_client = Redemption {
                client_id: "another-client".into(),
                ..wrong(&s.code)
            };
            assert_eq!(
                s.redeem(&other_client, T0 + u64::from(i)),
                Err(GrantError::WrongClient)
            );
        }
        assert!(s.redeem(&redemption(&s.code), T0 + 100).is_ok());
    }

    #[test]
    fn granted_shows_no_refresh_token_in_debug() {
        let s = setup(true);
        let granted = s.redeem(&redemption(&s.code), T0 + 1000).unwrap();
        let secret = granted.refresh_token.as_ref().unwrap().reveal();
        let secret = secret.split_once('.').unwrap().1;
        assert!(!format!("{granted:?}").contains(secret));
        assert!(!format!("{granted:#?}").contains(secret));
        // Its JSON, the wire to the worker, holds it whole.
        assert!(serde_json::to_string(&granted).unwrap().contains(secret));
    }

    /// xorshift64*: a small seeded generator, so a failing sequence can be replayed
    /// from its seed.
    struct Rng(u64);

    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 >> 12;
            self.0 ^= self.0 << 25;
            self.0 ^= self.0 >> 27;
            self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
        }
        fn below(&mut self, n: u64) -> u64 {
            self.next() % n
        }
        fn pick<'a, T>(&mut self, items: &'a [T]) -> Option<&'a T> {
            if items.is_empty() {
                return None;
            }
            items.get(usize::try_from(self.below(items.len() as u64)).ok()?)
        }
    }

    /// What the test expects of the one grant alive at a time, from the steps taken.
    struct Model {
        code: OpaqueToken,
        created: u64,
        refresh: bool,
        authenticated: bool,
        redeemed: bool,
        ended: bool,
        /// The newest refresh token, and when it was issued.
        latest: Option<(OpaqueToken, u64)>,
        failures: u32,
    }

    impl Model {
        fn deadline(&self, life: &Lifetimes) -> u64 {
            match (&self.latest, self.redeemed) {
                (Some((_, at)), true) => {
                    (at + life.refresh_idle_ms).min(self.created + life.grant_ms)
                }
                _ => self.created + life.code_ms,
            }
        }
        fn live(&self, life: &Lifetimes, now: u64) -> bool {
            !self.ended && now < self.deadline(life)
        }
    }

    #[test]
    fn random_sequences_of_steps_keep_the_grants_invariants() {
        let life = Lifetimes {
            code_ms: 60_000,
            refresh_idle_ms: 600_000,
            grant_ms: 1_500_000,
        };
        let steps = [
            0, 1, 1000, 10_000, 30_000, 59_999, 120_000, 300_000, 599_999,
        ];
        let mut successes = [0u32; 4];
        for seed in 1..=300u64 {
            let mut rng = Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1);
            let storage = Rc::new(Memory::default());
            let mut object = Object::new(storage.clone());
            let mut now = T0;
            let mut model: Option<Model> = None;
            // Every refresh token and access token ever issued, of every grant.
            let mut tokens: Vec<OpaqueToken> = Vec::new();
            let mut used: Vec<OpaqueToken> = Vec::new();
            let mut access: Vec<AccessClaims> = Vec::new();
            let mut codes: Vec<OpaqueToken> = Vec::new();
            for step in 0..200 {
                let at = format!("seed {seed}, step {step}");
                let live = model.as_ref().is_some_and(|m| m.live(&life, now));
                // Weighted: refreshes and time often, the steps that end a grant
                // rarely, so grants live long enough to meet their deadlines.
                match rng.below(20) {
                    0 => {
                        let refresh = rng.below(4) != 0;
                        let grant = NewGrant {
                            refresh,
                            lifetimes: life,
                            ..new_grant(refresh)
                        };
                        match block_on(object.create(grant, now)) {
                            Ok(code) => {
                                assert!(!live, "{at}: created over a live grant");
                                codes.push(code.clone());
                                model = Some(Model {
                                    code,
                                    created: now,
                                    refresh,
                                    authenticated: false,
                                    redeemed: false,
                                    ended: false,
                                    latest: None,
                                    failures: 0,
                                });
                                successes[0] += 1;
                            }
                            Err(e) => {
                                assert_eq!(e, GrantError::Exists, "{at}");
                                assert!(live, "{at}: refused though none lives");
                            }
                        }
                    }
                    1 | 2 => {
                        // Half the time the current grant's code.
                        let current = model.as_ref().map(|m| m.code.clone());
                        let code = match current {
                            Some(c) if rng.below(2) == 0 => c,
                            _ => match rng.pick(&codes) {
                                Some(c) => c.clone(),
                                None => continue,
                            },
                        };
                        let authenticated = rng.below(2) == 0;
                        let right = rng.below(3) != 0;
                        let req = Redemption {
                            client_authenticated: authenticated,
                            code_verifier: if right {
                                VERIFIER.into()
                            } else {
                                "y".repeat(43)
                            },
                            ..redemption(&code)
                        };
                        let got = block_on(object.redeem(&req, now));
                        let m = model.as_mut().filter(|m| m.code == code);
                        match (got, m) {
                            (Ok(g), Some(m)) => {
                                assert!(live && !m.redeemed && right, "{at}: redeemed {g:?}");
                                m.redeemed = true;
                                m.authenticated = authenticated;
                                assert_eq!(g.refresh_token.is_some(), m.refresh, "{at}");
                                if let Some(t) = g.refresh_token.clone() {
                                    tokens.push(t.clone());
                                    m.latest = Some((t, now));
                                }
                                access.push(access_claims(&g, now));
                                successes[1] += 1;
                            }
                            (Ok(_), None) => panic!("{at}: an old grant's code redeemed"),
                            (Err(e), Some(m)) if live => match e {
                                GrantError::CodeReplayed => {
                                    assert!(m.redeemed && right, "{at}");
                                    m.ended = true;
                                }
                                GrantError::VerifierGuessed => {
                                    assert!(!m.redeemed && !right, "{at}");
                                    m.failures += 1;
                                    assert_eq!(m.failures, MAX_VERIFIER_FAILURES, "{at}");
                                    m.ended = true;
                                }
                                GrantError::VerifierMismatch => {
                                    assert!(!right, "{at}");
                                    if !m.redeemed {
                                        m.failures += 1;
                                    }
                                }
                                e => panic!("{at}: {e:?}"),
                            },
                            (Err(_), _) => {}
                        }
                    }
                    3..=9 => {
                        // Half the time the newest token, so that grants live long
                        // enough to meet their idle and overall ends.
                        let newest = model.as_ref().and_then(|m| m.latest.clone());
                        let t = match newest {
                            Some((t, _)) if rng.below(2) == 0 => t,
                            _ => match rng.pick(&tokens) {
                                Some(t) => t.clone(),
                                None => continue,
                            },
                        };
                        let authenticated = rng.below(3) != 0;
                        let req = Refresh {
                            client_authenticated: authenticated,
                            ..refresh(&t)
                        };
                        match block_on(object.refresh(&req, now)) {
                            Ok(g) => {
                                assert!(!used.contains(&t), "{at}: a token worked twice");
                                used.push(t.clone());
                                let m = model.as_mut().expect("a grant");
                                assert!(live, "{at}: refreshed an ended or expired grant");
                                assert!(authenticated || !m.authenticated, "{at}: `none`");
                                assert_eq!(
                                    m.latest.as_ref().map(|l| &l.0),
                                    Some(&t),
                                    "{at}: only the newest token is current"
                                );
                                let next = g.refresh_token.clone().expect("rotated");
                                tokens.push(next.clone());
                                m.latest = Some((next, now));
                                access.push(access_claims(&g, now));
                                successes[2] += 1;
                            }
                            Err(GrantError::RefreshReused) => {
                                let m = model.as_mut().expect("a grant");
                                assert!(live && used.contains(&t), "{at}: reuse of {t:?}");
                                m.ended = true;
                            }
                            Err(_) => {}
                        }
                    }
                    10 => {
                        let by_access = rng.below(2) == 0;
                        let authenticated = rng.below(2) == 0;
                        let got = if by_access {
                            let Some(c) = rng.pick(&access).cloned() else {
                                continue;
                            };
                            block_on(object.revoke_access_token(&c, CLIENT, authenticated, now))
                        } else {
                            let Some(t) = rng.pick(&tokens).cloned() else {
                                continue;
                            };
                            block_on(object.revoke(&t, CLIENT, authenticated, now))
                        };
                        match got {
                            Ok(Revocation::Ended) => {
                                let m = model.as_mut().expect("a grant");
                                assert!(live && m.redeemed, "{at}: ended a dead grant");
                                assert!(authenticated || !m.authenticated, "{at}: `none`");
                                m.ended = true;
                                successes[3] += 1;
                            }
                            Ok(Revocation::Unknown) => {}
                            Err(e) => {
                                assert_eq!(e, GrantError::ClientNotAuthenticated, "{at}");
                                assert!(!authenticated, "{at}");
                            }
                        }
                    }
                    11 => {
                        block_on(object.alarm(now)).unwrap();
                        if !live {
                            assert!(storage.record.borrow().is_none(), "{at}: outlived");
                        }
                    }
                    12..=17 => now += *rng.pick(&steps).unwrap(),
                    _ => object = Object::new(storage.clone()),
                }
                // The record and its alarm: a stored grant always has an alarm at or
                // before its deadline, and an ended one is deleted.
                let stored = storage.record.borrow().is_some();
                if let Some(m) = &model {
                    if m.ended {
                        assert!(!stored, "{at}: an ended grant is kept");
                    }
                    if stored {
                        let alarm = storage.alarm.get().expect("an alarm");
                        assert!(alarm <= m.deadline(&life), "{at}: the alarm is late");
                    }
                }
            }
        }
        // The sequences reached every kind of success.
        assert!(successes.iter().all(|n| *n > 20), "{successes:?}");
    }
}
