//! Clients as the authorization server knows them, and how one becomes known: by Dynamic
//! Client Registration (RFC 7591), or by the Client ID Metadata Document its `client_id`
//! URL serves (draft-ietf-oauth-client-id-metadata-document-01, "CIMD" below; section
//! numbers are -01's). A client that authenticates with `private_key_jwt` sends signed
//! assertions; their claims are checked here too (RFC 7523 §3).
//!
//! Nothing here fetches, stores or verifies a signature: the caller fetches a document
//! (after [`check_client_id_url`] allowed its URL) and hands over the answer, stores what
//! [`Client::to_record`] writes, and verifies an assertion's signature before
//! [`check_assertion_claims`] reads its claims. The time is passed in as Unix seconds.
//!
//! Every refusal's words say what to fix. They repeat at most 64 characters of the
//! client's own text, in the characters an `error_description` may hold (RFC 6749 §5.2),
//! and never a secret.

use std::fmt;

use base64ct::{Base64UrlUnpadded, Encoding};
use serde_json::{json, Map, Value};
use sha2::{Digest, Sha256};

use super::error::{ErrorCode, OAuthError};
use super::redirect::{self, check_registered};
use crate::protocol::jsonrpc::echo;
use crate::protocol::uri;

/// The largest registration request read (RFC 7591 §3.1). Hosts send well under 1 KiB;
/// an inline `jwks` of a few RSA keys fits.
pub const MAX_REGISTRATION_BYTES: usize = 16 * 1024;

/// The most redirect URIs a client may register or list in its metadata document. Hosts
/// use one or two; every authorization request is compared against all of them.
pub const MAX_REDIRECT_URIS: usize = 10;

/// The longest `client_name`, in characters: a consent page shows it.
pub const MAX_NAME_CHARS: usize = 128;

/// The largest metadata document read (CIMD §6.6: 5 kilobytes). The caller stops reading
/// the fetched body one byte past it.
pub const MAX_DOCUMENT_BYTES: usize = 5 * 1024;

/// The longest `client_id` URL. Hosts' are under 100 characters; the id is a storage key
/// and is shown on the consent page.
pub const MAX_CLIENT_ID_URL: usize = 512;

/// The most keys an inline `jwks` may hold.
pub const MAX_KEYS: usize = 10;

/// The most entries a list of names (`grant_types`, `response_types`,
/// `token_endpoint_auth_methods_supported`) may hold; they name at most a few values each.
const MAX_NAMES: usize = 16;

/// How long a metadata document is cached when its answer says nothing about it (no
/// `Cache-Control`, or no `max-age` in it): long enough for one sign-in (authorization,
/// then token requests), short enough that a changed document is seen soon.
pub const DEFAULT_CACHE_SECS: u32 = 300;

/// The shortest time a document that may be cached at all is kept: a `max-age` below it is
/// raised to it, so a client cannot make the server fetch on every request of a sign-in.
pub const MIN_CACHE_SECS: u32 = 60;

/// The longest time a document is kept, whatever its `max-age`: a client that changes its
/// redirect URIs or keys (CIMD §6.3) is seen within a day.
pub const MAX_CACHE_SECS: u32 = 86_400;

/// The `client_assertion_type` of a `private_key_jwt` assertion (RFC 7523 §2.2).
pub const ASSERTION_TYPE: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

/// How far ahead an assertion's `exp` may be: the caller must remember each `jti` until
/// then, so the bound keeps that memory small (RFC 7523 §3 item 7).
pub const MAX_ASSERTION_LIFETIME: i64 = 300;

/// Clock difference tolerated between the client and this server for `iat`, `nbf` and the
/// lifetime bound. Expiry has none: an assertion is dead at `exp`.
pub const ASSERTION_LEEWAY: i64 = 60;

/// The longest `jti` kept for replay detection, in bytes.
pub const MAX_JTI: usize = 256;

/// How a client authenticates at the token endpoint (RFC 7591 §2
/// `token_endpoint_auth_method`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AuthMethod {
    /// A public client: no authentication; PKCE binds the code to it.
    None,
    /// A client secret in the `Authorization: Basic` header (RFC 6749 §2.3.1).
    ClientSecretBasic,
    /// A client secret in the form body (RFC 6749 §2.3.1).
    ClientSecretPost,
    /// A JWT signed with the client's private key (RFC 7523 §2.2; OIDC Core §9).
    PrivateKeyJwt,
}

impl AuthMethod {
    /// Every method, in the order metadata lists them.
    pub const ALL: [AuthMethod; 4] = [
        AuthMethod::None,
        AuthMethod::ClientSecretBasic,
        AuthMethod::ClientSecretPost,
        AuthMethod::PrivateKeyJwt,
    ];

    /// Its name in metadata.
    pub const fn name(self) -> &'static str {
        match self {
            AuthMethod::None => "none",
            AuthMethod::ClientSecretBasic => "client_secret_basic",
            AuthMethod::ClientSecretPost => "client_secret_post",
            AuthMethod::PrivateKeyJwt => "private_key_jwt",
        }
    }

    /// The method a metadata name stands for, if this server supports it.
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|m| m.name() == name)
    }

    /// Whether the client holds a secret this server issued.
    pub const fn uses_secret(self) -> bool {
        matches!(
            self,
            AuthMethod::ClientSecretBasic | AuthMethod::ClientSecretPost
        )
    }
}

/// A grant a client may use (RFC 7591 §2 `grant_types`): this server issues first tokens
/// only for an authorization code.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GrantType {
    /// `authorization_code` (OAuth 2.1 §4.1).
    AuthorizationCode,
    /// `refresh_token` (OAuth 2.1 §4.3).
    RefreshToken,
}

impl GrantType {
    /// Its name in metadata.
    pub const fn name(self) -> &'static str {
        match self {
            GrantType::AuthorizationCode => "authorization_code",
            GrantType::RefreshToken => "refresh_token",
        }
    }

    fn from_name(name: &str) -> Option<Self> {
        [GrantType::AuthorizationCode, GrantType::RefreshToken]
            .into_iter()
            .find(|g| g.name() == name)
    }
}

/// What kind of program a client says it is (OpenID Connect Dynamic Client Registration
/// 1.0 §2 `application_type`, which MCP asks clients to send). Self-asserted: kept and
/// shown, never a reason to trust.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ApplicationType {
    /// A web application on a remote host.
    Web,
    /// A program on the user's machine: desktop, mobile, command line.
    Native,
}

impl ApplicationType {
    /// Its name in metadata.
    pub const fn name(self) -> &'static str {
        match self {
            ApplicationType::Web => "web",
            ApplicationType::Native => "native",
        }
    }

    fn from_name(name: &str) -> Option<Self> {
        match name {
            "web" => Some(ApplicationType::Web),
            "native" => Some(ApplicationType::Native),
            _ => None,
        }
    }
}

/// Where a `private_key_jwt` client's public keys are (RFC 7591 §2: one or the other).
#[derive(Clone, Debug, PartialEq)]
pub enum ClientKeys {
    /// `jwks_uri`: an https URL the caller fetches; it passed [`check_fetch_url`].
    Uri(String),
    /// `jwks`: a JSON Web Key Set given inline, public keys only.
    Set(Value),
}

/// How the server came to know a client.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Source {
    /// Dynamic Client Registration, at this time (Unix seconds).
    Registered {
        /// `client_id_issued_at` (RFC 7591 §3.2.1).
        issued_at: i64,
    },
    /// The metadata document its `client_id` URL serves (CIMD §4).
    MetadataDocument,
}

/// A client as the authorization server knows it.
#[derive(Clone, Debug, PartialEq)]
pub struct Client {
    /// The id this server issued, or the https URL of its metadata document.
    pub client_id: String,
    /// A name for people, plain text without control characters. A consent page escapes
    /// it and shows who vouches for it (the `client_id` host for a document, CIMD §6.4;
    /// nobody for a registration).
    pub client_name: Option<String>,
    /// Each passed [`check_registered`]; compare with [`Client::allows_redirect`].
    pub redirect_uris: Vec<String>,
    /// Always holds [`GrantType::AuthorizationCode`].
    pub grant_types: Vec<GrantType>,
    /// What the client says it is, when it said.
    pub application_type: Option<ApplicationType>,
    /// How it authenticates at the token endpoint.
    pub auth_method: AuthMethod,
    /// A `private_key_jwt` client whose document also lists `none` in
    /// `token_endpoint_auth_methods_supported` (ChatGPT's does): a token request without an
    /// assertion is then taken as from a public client.
    pub public_fallback: bool,
    /// SHA-256 of the secret issued to a `client_secret_*` client; the secret itself is
    /// never kept.
    pub secret_hash: Option<[u8; 32]>,
    /// A `private_key_jwt` client's keys.
    pub keys: Option<ClientKeys>,
    /// Registered, or read from a metadata document.
    pub source: Source,
}

impl Client {
    /// Whether `presented`, the `redirect_uri` of a request, is one this client registered
    /// ([`redirect::matches`]: the same string, or a loopback one on another port).
    pub fn allows_redirect(&self, presented: &str) -> bool {
        self.redirect_uris
            .iter()
            .any(|r| redirect::matches(r, presented))
    }

    /// The one redirect URI a request may leave out (OAuth 2.1 §2.3.2), if there is one.
    pub fn only_redirect(&self) -> Option<&str> {
        match self.redirect_uris.as_slice() {
            [only] => Some(only),
            _ => None,
        }
    }

    /// Whether every redirect stays on the user's machine: the consent page then warns
    /// that any program there may be this client (MCP 2026-07-28 authorization security
    /// considerations, "Localhost Redirect URI Risks").
    pub fn is_loopback_only(&self) -> bool {
        self.redirect_uris.iter().all(|r| redirect::is_loopback(r))
    }

    /// Whether every redirect ends on the user's machine: a loopback one, or a native
    /// app's private-use scheme (`com.example.app:/cb`), which any program there may claim
    /// (OAuth 2.1 §8.4.1; RFC 8252 §8.4). The consent page then warns, as for
    /// [`Client::is_loopback_only`], that the client's name is only its own word.
    pub fn is_local_only(&self) -> bool {
        self.redirect_uris
            .iter()
            .all(|r| redirect::is_loopback(r) || !is_web_scheme(r))
    }

    /// Whether the client may use this grant.
    pub fn allows_grant(&self, grant: GrantType) -> bool {
        self.grant_types.contains(&grant)
    }

    /// Whether a token request authenticated this way may be this client's: its own
    /// method, or no authentication for a `private_key_jwt` client that also lists `none`.
    pub fn accepts_auth(&self, method: AuthMethod) -> bool {
        self.auth_methods().contains(&method)
    }

    /// Every method a token request of this client may use: its own, and `none` after it
    /// for a `private_key_jwt` client that also lists `none` ([`Client::public_fallback`]).
    pub fn auth_methods(&self) -> &'static [AuthMethod] {
        match (self.auth_method, self.public_fallback) {
            (AuthMethod::PrivateKeyJwt, true) => &[AuthMethod::PrivateKeyJwt, AuthMethod::None],
            (AuthMethod::PrivateKeyJwt, false) => &[AuthMethod::PrivateKeyJwt],
            (AuthMethod::None, _) => &[AuthMethod::None],
            (AuthMethod::ClientSecretBasic, _) => &[AuthMethod::ClientSecretBasic],
            (AuthMethod::ClientSecretPost, _) => &[AuthMethod::ClientSecretPost],
        }
    }

    /// Whether `presented` is the secret issued to this client, compared by its SHA-256
    /// in constant time. A client without a secret has none that matches.
    pub fn secret_matches(&self, presented: &str) -> bool {
        let Some(stored) = &self.secret_hash else {
            return false;
        };
        let hash: [u8; 32] = Sha256::digest(presented.as_bytes()).into();
        super::constant_time_eq(&hash, stored)
    }

    /// The registered client metadata (RFC 7591 §2 names), as a registration answer
    /// repeats it (§3.2.1).
    fn metadata(&self) -> Map<String, Value> {
        let mut m = Map::new();
        m.insert("client_id".into(), self.client_id.clone().into());
        if let Some(name) = &self.client_name {
            m.insert("client_name".into(), name.clone().into());
        }
        m.insert("redirect_uris".into(), json!(self.redirect_uris));
        let grants: Vec<&str> = self.grant_types.iter().map(|g| g.name()).collect();
        m.insert("grant_types".into(), json!(grants));
        m.insert("response_types".into(), json!(["code"]));
        m.insert(
            "token_endpoint_auth_method".into(),
            self.auth_method.name().into(),
        );
        if let Some(t) = self.application_type {
            m.insert("application_type".into(), t.name().into());
        }
        match &self.keys {
            Some(ClientKeys::Uri(uri)) => {
                m.insert("jwks_uri".into(), uri.clone().into());
            }
            Some(ClientKeys::Set(set)) => {
                m.insert("jwks".into(), set.clone());
            }
            None => {}
        }
        m
    }

    /// The client as it is stored: its metadata plus where it came from, the time it was
    /// registered and its secret's hash. [`Client::from_record`] reads it back.
    pub fn to_record(&self) -> Value {
        let mut m = self.metadata();
        if self.public_fallback {
            m.insert(
                "token_endpoint_auth_methods_supported".into(),
                json!(["none", self.auth_method.name()]),
            );
        }
        match self.source {
            Source::Registered { issued_at } => {
                m.insert("source".into(), "registration".into());
                m.insert("client_id_issued_at".into(), issued_at.into());
            }
            Source::MetadataDocument => {
                m.insert("source".into(), "metadata_document".into());
            }
        }
        if let Some(hash) = &self.secret_hash {
            m.insert(
                "client_secret_sha256".into(),
                Base64UrlUnpadded::encode_string(hash).into(),
            );
        }
        Value::Object(m)
    }

    /// Reads a stored client back, checking it as when it was first read: a record written
    /// under older rules, or altered in storage, does not bring back a redirect URI or a
    /// method the rules now refuse.
    pub fn from_record(record: &Value, policy: FetchPolicy) -> Result<Client, String> {
        let m = record
            .as_object()
            .ok_or("a client record is a JSON object")?;
        let meta = read_metadata(m, Mode::Record, policy).map_err(|e| e.description)?;
        let client_id = match m.get("client_id") {
            Some(Value::String(id)) if !id.is_empty() && id.len() <= MAX_CLIENT_ID_URL => {
                id.clone()
            }
            _ => return Err("a client record has a client_id".into()),
        };
        let secret_hash = match m.get("client_secret_sha256") {
            None => None,
            Some(v) => {
                let mut hash = [0u8; 32];
                let decoded = v
                    .as_str()
                    .and_then(|s| Base64UrlUnpadded::decode(s, &mut hash).ok())
                    .map(<[u8]>::len);
                if decoded != Some(32) {
                    return Err(
                        "a client record's client_secret_sha256 is 32 bytes, base64url".into(),
                    );
                }
                Some(hash)
            }
        };
        if secret_hash.is_some() != meta.auth_method.uses_secret() {
            return Err(
                "a client record holds a secret hash exactly when its method uses a secret".into(),
            );
        }
        let source = match m.get("source").and_then(Value::as_str) {
            Some("registration") => {
                if is_metadata_url(&client_id) {
                    return Err("a registered client's id is not a URL".into());
                }
                if meta.public_fallback {
                    return Err("a registered client uses its one registered method".into());
                }
                let issued_at = m
                    .get("client_id_issued_at")
                    .and_then(Value::as_i64)
                    .ok_or("a registered client's record has client_id_issued_at")?;
                Source::Registered { issued_at }
            }
            Some("metadata_document") => {
                check_client_id_url(&client_id, policy)?;
                if meta.client_name.is_none() || meta.auth_method.uses_secret() {
                    return Err("a metadata document's client has a name and no secret".into());
                }
                Source::MetadataDocument
            }
            _ => {
                return Err("a client record's source is registration or metadata_document".into())
            }
        };
        Ok(meta.into_client(client_id, secret_hash, source))
    }
}

/// Why a registration request was refused (RFC 7591 §3.2.2): answered with HTTP 400 and
/// [`RegistrationError::to_json`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RegistrationError {
    /// The `error` code.
    pub code: RegistrationErrorCode,
    /// The `error_description`: what to fix.
    pub description: String,
}

/// The registration errors this server sends (RFC 7591 §3.2.2).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RegistrationErrorCode {
    /// `invalid_redirect_uri`: a redirect URI is missing or refused.
    InvalidRedirectUri,
    /// `invalid_client_metadata`: any other field.
    InvalidClientMetadata,
}

impl RegistrationErrorCode {
    /// The code as the answer names it.
    pub const fn as_str(self) -> &'static str {
        match self {
            RegistrationErrorCode::InvalidRedirectUri => "invalid_redirect_uri",
            RegistrationErrorCode::InvalidClientMetadata => "invalid_client_metadata",
        }
    }
}

impl RegistrationError {
    pub(crate) fn metadata(description: impl Into<String>) -> Self {
        RegistrationError {
            code: RegistrationErrorCode::InvalidClientMetadata,
            description: description.into(),
        }
    }

    fn redirect(description: impl Into<String>) -> Self {
        RegistrationError {
            code: RegistrationErrorCode::InvalidRedirectUri,
            description: description.into(),
        }
    }

    /// The answer's body: `{"error": …, "error_description": …}`.
    pub fn to_json(&self) -> Value {
        json!({"error": self.code.as_str(), "error_description": self.description})
    }
}

impl fmt::Display for RegistrationError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.code.as_str(), self.description)
    }
}

impl std::error::Error for RegistrationError {}

/// Which addresses the server may fetch from: public ones only, or also its own loopback.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct FetchPolicy {
    /// Allow `localhost`, `*.localhost`, 127.0.0.0/8 and `[::1]`: only for development,
    /// where the server and the client's document share the machine's loopback (CIMD
    /// §6.5's one exception).
    pub allow_loopback: bool,
}

impl FetchPolicy {
    /// Public addresses only: what a deployed server uses.
    pub const PUBLIC: FetchPolicy = FetchPolicy {
        allow_loopback: false,
    };
    /// Public addresses and the loopback: development only.
    pub const LOOPBACK: FetchPolicy = FetchPolicy {
        allow_loopback: true,
    };
}

/// The metadata a registration request or a document gives, checked.
#[derive(Clone, Debug, PartialEq)]
struct Metadata {
    client_name: Option<String>,
    redirect_uris: Vec<String>,
    grant_types: Vec<GrantType>,
    application_type: Option<ApplicationType>,
    auth_method: AuthMethod,
    public_fallback: bool,
    keys: Option<ClientKeys>,
}

impl Metadata {
    fn into_client(
        self,
        client_id: String,
        secret_hash: Option<[u8; 32]>,
        source: Source,
    ) -> Client {
        Client {
            client_id,
            client_name: self.client_name,
            redirect_uris: self.redirect_uris,
            grant_types: self.grant_types,
            application_type: self.application_type,
            auth_method: self.auth_method,
            public_fallback: self.public_fallback,
            secret_hash,
            keys: self.keys,
            source,
        }
    }
}

/// Whose metadata is read: the rules differ in defaults and in what a document may hold.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// A registration request (RFC 7591 §2).
    Registration,
    /// A client's metadata document (CIMD §4.1).
    Document,
    /// A stored client ([`Client::to_record`]).
    Record,
}

/// A string field: absent (or `null`) is `None`.
fn string_field<'a>(
    m: &'a Map<String, Value>,
    name: &str,
) -> Result<Option<&'a str>, RegistrationError> {
    match m.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(_) => Err(RegistrationError::metadata(format!("{name} is a string"))),
    }
}

/// A list of strings, at most `max` of them: absent (or `null`) is `None`.
fn strings_field<'a>(
    m: &'a Map<String, Value>,
    name: &str,
    max: usize,
) -> Result<Option<Vec<&'a str>>, RegistrationError> {
    let list = match m.get(name) {
        None | Some(Value::Null) => return Ok(None),
        Some(Value::Array(list)) => list,
        Some(_) => {
            return Err(RegistrationError::metadata(format!(
                "{name} is an array of strings"
            )))
        }
    };
    if list.len() > max {
        return Err(RegistrationError::metadata(format!(
            "{name} lists at most {max} values"
        )));
    }
    list.iter()
        .map(|v| {
            v.as_str().ok_or_else(|| {
                RegistrationError::metadata(format!("{name} is an array of strings"))
            })
        })
        .collect::<Result<Vec<_>, _>>()
        .map(Some)
}

/// Reads and checks the client metadata common to registrations, documents and records.
/// Fields it does not know are ignored (RFC 7591 §2); so are those it knows but does not
/// use (`client_uri`, `logo_uri`, `scope`, `contacts`, `software_statement`, …): the
/// server neither shows nor fetches them, and scopes are decided at authorization.
fn read_metadata(
    m: &Map<String, Value>,
    mode: Mode,
    policy: FetchPolicy,
) -> Result<Metadata, RegistrationError> {
    // Redirect URIs: required, as the only grant that issues first tokens redirects.
    let uris: Vec<&str> = match m.get("redirect_uris") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(list)) if list.len() > MAX_REDIRECT_URIS => {
            return Err(RegistrationError::redirect(format!(
                "redirect_uris lists at most {MAX_REDIRECT_URIS} redirect URIs"
            )))
        }
        Some(Value::Array(list)) => list
            .iter()
            .map(|v| {
                v.as_str().ok_or_else(|| {
                    RegistrationError::redirect("redirect_uris is an array of strings")
                })
            })
            .collect::<Result<_, _>>()?,
        Some(_) => {
            return Err(RegistrationError::redirect(
                "redirect_uris is an array of strings",
            ))
        }
    };
    if uris.is_empty() {
        return Err(RegistrationError::redirect(
            "redirect_uris lists at least one redirect URI: this server only issues codes by redirect",
        ));
    }
    let mut redirect_uris: Vec<String> = Vec::with_capacity(uris.len());
    for (i, uri) in uris.into_iter().enumerate() {
        check_registered(uri).map_err(|why| {
            RegistrationError::redirect(format!("redirect_uris[{i}]: {}", plain(&why)))
        })?;
        if !redirect_uris.iter().any(|r| r == uri) {
            redirect_uris.push(uri.to_owned());
        }
    }

    // Grant and response types: RFC 7591 §2 defaults; values this server does not issue
    // are dropped (the AS "MAY replace" them, §2, and a registration's answer shows what
    // was kept; a document is written for every server). What remains must be coherent
    // (§2.1): codes, and refresh tokens only beside them.
    let mut grant_types = vec![];
    match strings_field(m, "grant_types", MAX_NAMES)? {
        None => grant_types.push(GrantType::AuthorizationCode),
        Some(names) => {
            for g in names.into_iter().filter_map(GrantType::from_name) {
                if !grant_types.contains(&g) {
                    grant_types.push(g);
                }
            }
        }
    }
    if !grant_types.contains(&GrantType::AuthorizationCode) {
        return Err(RegistrationError::metadata(
            "grant_types includes authorization_code (and may add refresh_token): the only grants this server issues",
        ));
    }
    // In one order, whatever the client's: authorization_code, then refresh_token.
    if grant_types == [GrantType::RefreshToken, GrantType::AuthorizationCode] {
        grant_types.reverse();
    }
    if let Some(types) = strings_field(m, "response_types", MAX_NAMES)? {
        if !types.contains(&"code") {
            return Err(RegistrationError::metadata(
                "response_types includes code: the only response type this server issues",
            ));
        }
    }

    // application_type: optional though MCP tells clients to send it (hosts' requests may
    // lack it, and requiring it would refuse them for no safety gained); a value other
    // than OIDC's two is refused where the client wrote it for this server, ignored in a
    // document written for every server.
    let application_type = match string_field(m, "application_type")? {
        None => None,
        Some(name) => match (ApplicationType::from_name(name), mode) {
            (Some(t), _) => Some(t),
            (None, Mode::Document) => None,
            (None, _) => {
                return Err(RegistrationError::metadata(format!(
                    "application_type is web or native, not '{}'",
                    shown(name)
                )))
            }
        },
    };

    let client_name = match string_field(m, "client_name")? {
        Some(name) => Some(check_name(name)?),
        None if mode == Mode::Document => {
            return Err(RegistrationError::metadata(
                "client_name is required in a client metadata document (a name for people)",
            ))
        }
        None => None,
    };

    // The token endpoint method. RFC 7591 §2 defaults to client_secret_basic; a document
    // can hold no secret (CIMD §4.1), so there the default is none.
    if mode == Mode::Document {
        for field in ["client_secret", "client_secret_expires_at"] {
            if m.contains_key(field) {
                return Err(RegistrationError::metadata(format!(
                    "a client metadata document holds no {field}: it is public (section 4.1); remove it"
                )));
            }
        }
    }
    let auth_method = match string_field(m, "token_endpoint_auth_method")? {
        Some(name) => match (AuthMethod::from_name(name), mode) {
            (Some(method), Mode::Document) if method.uses_secret() => {
                return Err(RegistrationError::metadata(format!(
                    "a client metadata document cannot use a shared secret ({name}): token_endpoint_auth_method is none or private_key_jwt (section 4.1)"
                )))
            }
            (Some(method), _) => method,
            (None, Mode::Document) => {
                return Err(RegistrationError::metadata(format!(
                    "token_endpoint_auth_method is none or private_key_jwt, not '{}'",
                    shown(name)
                )))
            }
            (None, _) => {
                return Err(RegistrationError::metadata(format!(
                    "token_endpoint_auth_method is none, client_secret_basic, client_secret_post or private_key_jwt, not '{}'",
                    shown(name)
                )))
            }
        },
        None => match mode {
            Mode::Registration => AuthMethod::ClientSecretBasic,
            Mode::Document => AuthMethod::None,
            Mode::Record => {
                return Err(RegistrationError::metadata(
                    "a client record names its token_endpoint_auth_method",
                ))
            }
        },
    };
    // Not RFC 7591 client metadata, but ChatGPT's document lists the methods it can use
    // beside the one it names: `none` there lets a token request without an assertion in.
    let public_fallback = mode != Mode::Registration
        && auth_method == AuthMethod::PrivateKeyJwt
        && strings_field(m, "token_endpoint_auth_methods_supported", MAX_NAMES)?
            .is_some_and(|list| list.contains(&"none"));

    // A private_key_jwt client's keys (RFC 7591 §2; CIMD §6.2); other clients' are unused.
    let keys = if auth_method == AuthMethod::PrivateKeyJwt {
        let uri = string_field(m, "jwks_uri")?;
        let set = m.get("jwks").filter(|v| !v.is_null());
        match (uri, set) {
            (Some(_), Some(_)) => {
                return Err(RegistrationError::metadata(
                    "jwks_uri and jwks are not both given (RFC 7591 section 2): keep one",
                ))
            }
            (Some(uri), None) => {
                check_fetch_url(uri, policy)
                    .map_err(|why| RegistrationError::metadata(format!("jwks_uri: {why}")))?;
                Some(ClientKeys::Uri(uri.to_owned()))
            }
            (None, Some(set)) => {
                check_jwks(set).map_err(RegistrationError::metadata)?;
                Some(ClientKeys::Set(set.clone()))
            }
            (None, None) => {
                return Err(RegistrationError::metadata(
                    "private_key_jwt needs the client's public keys: give jwks_uri (an https URL) or jwks",
                ))
            }
        }
    } else {
        None
    };

    Ok(Metadata {
        client_name,
        redirect_uris,
        grant_types,
        application_type,
        auth_method,
        public_fallback,
        keys,
    })
}

/// Checks a `client_name`: plain text for a consent page, without control or
/// direction-changing characters (which could make it read as another name), not blank,
/// at most [`MAX_NAME_CHARS`]. Returns it without surrounding space.
fn check_name(name: &str) -> Result<String, RegistrationError> {
    let name = name.trim();
    if name.is_empty() {
        return Err(RegistrationError::metadata(
            "client_name is a name for people, not blank",
        ));
    }
    if name.chars().count() > MAX_NAME_CHARS {
        return Err(RegistrationError::metadata(format!(
            "client_name is at most {MAX_NAME_CHARS} characters"
        )));
    }
    let bidi = |c: char| matches!(c, '\u{061c}' | '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}');
    if name.chars().any(|c| c.is_control() || bidi(c)) {
        return Err(RegistrationError::metadata(
            "client_name is plain text: remove control and text-direction characters",
        ));
    }
    Ok(name.to_owned())
}

/// Checks an inline `jwks`: a JSON Web Key Set (RFC 7517 §5) of 1 to [`MAX_KEYS`] keys,
/// each naming its `kty`, none holding private or symmetric key material.
fn check_jwks(set: &Value) -> Result<(), String> {
    let keys = set
        .get("keys")
        .and_then(Value::as_array)
        .ok_or("jwks is a JSON Web Key Set: an object with a keys array")?;
    if keys.is_empty() || keys.len() > MAX_KEYS {
        return Err(format!("jwks holds 1 to {MAX_KEYS} keys"));
    }
    for key in keys {
        let key = key
            .as_object()
            .filter(|k| k.get("kty").is_some_and(Value::is_string))
            .ok_or("each key in jwks is an object with a kty")?;
        // RFC 7518 §6.2.2, §6.3.2, §6.4: what only the key's holder may know.
        if ["d", "p", "q", "dp", "dq", "qi", "oth", "k"]
            .iter()
            .any(|private| key.contains_key(*private))
        {
            return Err("jwks holds public keys only: remove the private members (d, p, q, dp, dq, qi, oth, k)".into());
        }
    }
    Ok(())
}

/// A checked registration request (RFC 7591 §2), not yet given an id.
#[derive(Clone, Debug, PartialEq)]
pub struct Registration {
    metadata: Metadata,
}

/// Reads a registration request's body (RFC 7591 §3.1): a JSON object of client metadata,
/// at most [`MAX_REGISTRATION_BYTES`]. Every redirect URI must pass [`check_registered`]
/// (else `invalid_redirect_uri`); other problems are `invalid_client_metadata`. Defaults
/// are RFC 7591 §2's: `client_secret_basic`, `authorization_code`, `code`.
pub fn read_registration(
    body: &[u8],
    policy: FetchPolicy,
) -> Result<Registration, RegistrationError> {
    if body.len() > MAX_REGISTRATION_BYTES {
        return Err(RegistrationError::metadata(format!(
            "a registration request is at most {MAX_REGISTRATION_BYTES} bytes"
        )));
    }
    let value: Value = serde_json::from_slice(body).map_err(|_| {
        RegistrationError::metadata("a registration request is a JSON object of client metadata")
    })?;
    let m = value.as_object().ok_or_else(|| {
        RegistrationError::metadata("a registration request is a JSON object of client metadata")
    })?;
    Ok(Registration {
        metadata: read_metadata(m, Mode::Registration, policy)?,
    })
}

impl Registration {
    /// The client it registers: a new random id and, for a `client_secret_*` client, a new
    /// secret, both from the platform's CSPRNG.
    pub fn issue(self, now: i64) -> Result<Issued, getrandom::Error> {
        let mut id = [0u8; 16];
        let mut secret = [0u8; 32];
        getrandom::getrandom(&mut id)?;
        if self.metadata.auth_method.uses_secret() {
            getrandom::getrandom(&mut secret)?;
        }
        Ok(self.issue_with(now, id, secret))
    }

    /// The id is 128 random bits in base64url: 22 characters, none of them `:`, so it can
    /// never start with `https://` and be taken for a document URL (CIMD §6.9). The secret
    /// is 256 random bits in base64url; only its SHA-256 is kept.
    fn issue_with(self, now: i64, id: [u8; 16], secret: [u8; 32]) -> Issued {
        let client_id = Base64UrlUnpadded::encode_string(&id);
        let (secret, secret_hash) = if self.metadata.auth_method.uses_secret() {
            let secret = Base64UrlUnpadded::encode_string(&secret);
            let hash: [u8; 32] = Sha256::digest(secret.as_bytes()).into();
            (Some(secret), Some(hash))
        } else {
            (None, None)
        };
        let client = self.metadata.into_client(
            client_id,
            secret_hash,
            Source::Registered { issued_at: now },
        );
        Issued { client, secret }
    }
}

/// A newly registered client, and its secret, which exists only here, to be sent once.
#[derive(Clone, PartialEq)]
pub struct Issued {
    /// The client, to store ([`Client::to_record`]).
    pub client: Client,
    secret: Option<String>,
}

impl Issued {
    /// The secret issued to a `client_secret_*` client.
    pub fn secret(&self) -> Option<&str> {
        self.secret.as_deref()
    }

    /// The 201 answer's body (RFC 7591 §3.2.1): the id, when it was issued, the secret and
    /// its expiry (0: never) when there is one, and the metadata registered.
    pub fn response(&self) -> Value {
        let mut m = self.client.metadata();
        if let Source::Registered { issued_at } = self.client.source {
            m.insert("client_id_issued_at".into(), issued_at.into());
        }
        if let Some(secret) = &self.secret {
            m.insert("client_secret".into(), secret.clone().into());
            m.insert("client_secret_expires_at".into(), 0.into());
        }
        Value::Object(m)
    }
}

impl fmt::Debug for Issued {
    // The secret stays out of any log a Debug print reaches.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Issued")
            .field("client", &self.client)
            .field("secret", &self.secret.as_ref().map(|_| "(redacted)"))
            .finish()
    }
}

/// Whether a `client_id` is meant as a metadata document's URL (CIMD §3): it starts with
/// an http or https scheme, in any case. Such an id is then checked with
/// [`check_client_id_url`], so a mistyped one is told what is wrong rather than unknown.
/// Registered ids never start so.
pub fn is_metadata_url(client_id: &str) -> bool {
    let starts = |scheme: &str| {
        client_id
            .get(..scheme.len())
            .is_some_and(|s| s.eq_ignore_ascii_case(scheme))
    };
    starts("https:") || starts("http:")
}

/// Whether a URI's scheme is `http` or `https`, the ones a browser takes to a web host.
fn is_web_scheme(uri: &str) -> bool {
    uri.split_once(':')
        .is_some_and(|(scheme, _)| scheme == "http" || scheme == "https")
}

/// An https URL taken apart.
struct HttpsUrl<'a> {
    host: &'a str,
    port: Option<&'a str>,
    path: &'a str,
    query: Option<&'a str>,
}

/// Checks that a URL to fetch names the default https port (none, or 443). A client that
/// could name any port would have this server knock on any port of any public host,
/// scanning and reaching services that are not web servers on its behalf (CIMD §6.5);
/// documents and keys are served on 443. Under [`FetchPolicy::LOOPBACK`] a loopback host
/// may use any port: a development server runs on one (`wrangler dev` on 8787), and the
/// machine is the developer's own.
fn check_port(url: &HttpsUrl<'_>, what: &str, policy: FetchPolicy) -> Result<(), String> {
    match url.port {
        None | Some("443") => Ok(()),
        Some(_) if policy.allow_loopback && is_loopback_host(url.host) => Ok(()),
        Some(_) => Err(format!(
            "{what} uses the default https port (443, or none written): this server fetches from no other"
        )),
    }
}

/// Whether a host, as a URL writes it, is this machine.
fn is_loopback_host(host: &str) -> bool {
    host == "localhost"
        || host.ends_with(".localhost")
        || host == "[::1]"
        || canonical_v4(host).is_some_and(is_loopback_v4)
}

/// Whether an IPv4 address is in 127.0.0.0/8, the loopback block (RFC 1122 §3.2.1.3).
fn is_loopback_v4(a: u32) -> bool {
    a >> 24 == 127
}

/// Takes apart an absolute `https` URL written in the one form a URL parser leaves as it
/// is in its host: lower-case scheme, no user name, a port of digits. `what` names it in
/// the words of a refusal.
fn parse_https<'a>(url: &'a str, what: &str) -> Result<HttpsUrl<'a>, String> {
    if let Some(bad) = url
        .chars()
        .find(|&c| !u8::try_from(c).is_ok_and(uri::is_uri_char))
    {
        return Err(if bad.is_whitespace() || bad.is_control() {
            format!("{what} holds no space or control character")
        } else {
            format!("{what} holds only ASCII letters, digits and the characters URLs allow; percent-encode the others")
        });
    }
    if !uri::escapes_are_whole(url.as_bytes()) {
        return Err(format!("{what}: each % starts an escape of two hex digits"));
    }
    if url.contains('#') {
        return Err(format!("{what} has no fragment ('#')"));
    }
    let Some(after) = url.strip_prefix("https://") else {
        return Err(format!("{what} starts with https:// (in lower case)"));
    };
    let end = after.find(['/', '?']).unwrap_or(after.len());
    let (authority, rest) = after.split_at(end);
    if authority.contains('@') {
        return Err(format!(
            "{what} has no user name or password before its host"
        ));
    }
    // An IPv6 literal holds colons of its own: the port follows its closing bracket.
    let (host, port) = match authority.rfind(':') {
        Some(i) if !authority[i..].contains(']') => (&authority[..i], Some(&authority[i + 1..])),
        _ => (authority, None),
    };
    if host.is_empty() {
        return Err(format!("{what} has a host: https://host/path"));
    }
    if let Some(port) = port {
        let ok = !port.is_empty()
            && port.len() <= 5
            && !port.starts_with('0')
            && port.bytes().all(|b| b.is_ascii_digit())
            && port.parse::<u32>().is_ok_and(|p| p <= 65535);
        if !ok {
            return Err(format!(
                "{what}'s port is a number from 1 to 65535 without leading zeros"
            ));
        }
    }
    let (path, query) = match rest.split_once('?') {
        Some((path, query)) => (path, Some(query)),
        None => (rest, None),
    };
    Ok(HttpsUrl {
        host,
        port,
        path,
        query,
    })
}

/// Whether a path segment is `.` or `..`, also with its dots percent-encoded: a URL parser
/// removes them (RFC 3986 §5.2.4), so the document fetched would not be at the URL named.
fn is_dot_segment(segment: &str) -> bool {
    let s = segment.to_ascii_lowercase().replace("%2e", ".");
    s == "." || s == ".."
}

/// Checks a `client_id` that is a metadata document's URL (CIMD §3): `https`, a host,
/// a path other than `/` without `.` or `..` segments, no fragment, user name or query, at
/// most [`MAX_CLIENT_ID_URL`] characters, the default https port (no port probing
/// through this server, CIMD §6.5), and a host the server may fetch from
/// ([`check_fetch_host`]). Call it before fetching.
pub fn check_client_id_url(client_id: &str, policy: FetchPolicy) -> Result<(), String> {
    const WHAT: &str = "a client_id URL";
    if client_id.len() > MAX_CLIENT_ID_URL {
        return Err(format!("{WHAT} is at most {MAX_CLIENT_ID_URL} characters"));
    }
    let url = parse_https(client_id, WHAT)?;
    if url.query.is_some() {
        return Err(format!(
            "{WHAT} has no query ('?'): name the document by its path (section 3)"
        ));
    }
    if url.path.is_empty() || url.path == "/" {
        return Err(format!(
            "{WHAT} has a path after the host, such as https://host/client.json (section 3)"
        ));
    }
    if url.path.split('/').any(is_dot_segment) {
        return Err(format!(
            "{WHAT} has no '.' or '..' path segments (section 3)"
        ));
    }
    check_fetch_host(url.host, policy).map_err(|why| format!("{WHAT}: {why}"))?;
    check_port(&url, WHAT, policy)
}

/// Checks a URL the server is to fetch that a client named (`jwks_uri`): `https`, a host
/// it may fetch from ([`check_fetch_host`]) on the default https port, no fragment or user
/// name (CIMD §6.5: such URLs get the same guard as the `client_id`).
pub fn check_fetch_url(url: &str, policy: FetchPolicy) -> Result<(), String> {
    if url.len() > redirect::MAX_LEN {
        return Err(format!("a URL is at most {} characters", redirect::MAX_LEN));
    }
    let parsed = parse_https(url, "the URL")?;
    check_fetch_host(parsed.host, policy)?;
    check_port(&parsed, "the URL", policy)
}

/// Domain names that by standard or by common use resolve only inside a network or
/// nowhere: RFC 6761 (`localhost`, `invalid`, `test`), RFC 6762 (`local`), RFC 7686
/// (`onion`), RFC 9476 (`alt`), `arpa` (RFC 8375 `home.arpa`, reverse zones), ICANN's
/// private-use `internal`, and the private suffixes `localdomain`, `lan`, `home`, `corp`.
const PRIVATE_NAMES: [&str; 11] = [
    "invalid",
    "test",
    "local",
    "onion",
    "alt",
    "arpa",
    "internal",
    "localdomain",
    "lan",
    "home",
    "corp",
];

/// IPv4 special-purpose blocks (RFC 6890 and the IANA registry it created), none a
/// public server's address: this network, private, shared (CGNAT), loopback, link-local,
/// IETF protocol assignments, documentation, AS112, AMT, 6to4 relays, benchmarking,
/// multicast, reserved and broadcast.
const V4_SPECIAL: [([u8; 4], u32); 18] = [
    ([0, 0, 0, 0], 8),
    ([10, 0, 0, 0], 8),
    ([100, 64, 0, 0], 10),
    ([127, 0, 0, 0], 8),
    ([169, 254, 0, 0], 16),
    ([172, 16, 0, 0], 12),
    ([192, 0, 0, 0], 24),
    ([192, 0, 2, 0], 24),
    ([192, 31, 196, 0], 24),
    ([192, 52, 193, 0], 24),
    ([192, 88, 99, 0], 24),
    ([192, 168, 0, 0], 16),
    ([192, 175, 48, 0], 24),
    ([198, 18, 0, 0], 15),
    ([198, 51, 100, 0], 24),
    ([203, 0, 113, 0], 24),
    ([224, 0, 0, 0], 4),
    ([240, 0, 0, 0], 4),
];

/// IPv6 special-purpose blocks inside global unicast 2000::/3 (RFC 6890, RFC 9637): IETF
/// protocol assignments (Teredo, benchmarking, ORCHID, …), documentation, 6to4 (which
/// embeds any IPv4 address, private ones too), AS112.
const V6_SPECIAL: [(u128, u32); 5] = [
    (0x2001 << 112, 23),
    (0x2001_0db8 << 96, 32),
    (0x2002 << 112, 16),
    (0x3fff << 112, 20),
    (0x2620_004f_8000 << 80, 48),
];

fn in_block(addr: u128, bits: u32, block: u128, len: u32) -> bool {
    let shift = bits - len;
    (addr >> shift) == (block >> shift)
}

/// Whether an IPv4 address may be fetched from.
fn v4_allowed(ip: u32, policy: FetchPolicy) -> bool {
    if policy.allow_loopback && is_loopback_v4(ip) {
        return true;
    }
    !V4_SPECIAL
        .iter()
        .any(|&(block, len)| in_block(ip as u128, 32, u32::from_be_bytes(block) as u128, len))
}

/// Whether an IPv6 address may be fetched from: global unicast (2000::/3) outside
/// [`V6_SPECIAL`]. Everything else goes: unspecified, loopback, IPv4-mapped and
/// -compatible, NAT64 (64:ff9b::/96, 64:ff9b:1::/48), discard, unique local (fc00::/7),
/// link-local (fe80::/10), site-local, multicast. A public IPv4 server is named by its IPv4
/// address, never in an IPv6 form.
fn v6_allowed(a: u128, policy: FetchPolicy) -> bool {
    if policy.allow_loopback && a == 1 {
        return true;
    }
    in_block(a, 128, 0x2000 << 112, 3)
        && !V6_SPECIAL
            .iter()
            .any(|&(block, len)| in_block(a, 128, block, len))
}

/// An IPv4 address written as a URL parser writes it back: four decimal numbers from 0 to
/// 255, without leading zeros, joined by dots. Nothing else: a host in any other form is
/// refused rather than read as the address some parser might make of it.
fn canonical_v4(text: &str) -> Option<u32> {
    let mut parts = text.split('.');
    let mut addr = 0u32;
    for _ in 0..4 {
        let part = parts.next()?.as_bytes();
        let number = match part {
            [b'0'] => 0,
            [b'1'..=b'9', rest @ ..] if rest.len() <= 2 && rest.iter().all(u8::is_ascii_digit) => {
                part.iter().fold(0u32, |n, d| n * 10 + u32::from(d - b'0'))
            }
            _ => return None,
        };
        if number > 255 {
            return None;
        }
        addr = addr << 8 | number;
    }
    parts.next().is_none().then_some(addr)
}

/// An IPv6 address (without brackets) written in its canonical form (RFC 5952 §4: hex in
/// lower case without leading zeros, the longest run of two or more zero groups, the
/// first of equals, as `::`; an IPv4-mapped address as `::ffff:` and dotted decimal, §5).
/// Read loosely, then written back: only text that is its own canonical form is taken,
/// so the address checked is the address any parser reads.
fn canonical_v6(text: &str) -> Option<u128> {
    let mut groups = [0u16; 8];
    let (mut n, mut gap) = (0, None);
    let mut push = |n: &mut usize, g: u16| {
        *groups.get_mut(*n)? = g;
        *n += 1;
        Some(())
    };
    for piece in text.split(':') {
        if piece.is_empty() {
            // `::` at the start, the end or inside: one gap.
            if gap.is_some_and(|at| at != n) {
                return None;
            }
            gap = Some(n);
        } else if piece.contains('.') {
            let v4 = canonical_v4(piece)?;
            push(&mut n, (v4 >> 16) as u16)?;
            push(&mut n, v4 as u16)?;
        } else if piece.len() <= 4 && piece.bytes().all(|b| b.is_ascii_hexdigit()) {
            push(&mut n, u16::from_str_radix(piece, 16).ok()?)?;
        } else {
            return None;
        }
    }
    match gap {
        // The groups after the gap move to the end; zeros fill it.
        Some(at) => {
            groups.copy_within(at..n, 8 - (n - at));
            groups[at..8 - (n - at)].fill(0);
        }
        None if n == 8 => {}
        None => return None,
    }
    let addr = groups.iter().fold(0u128, |a, &g| a << 16 | u128::from(g));
    (write_v6(addr) == text).then_some(addr)
}

/// The canonical text of an IPv6 address (see [`canonical_v6`]).
fn write_v6(addr: u128) -> String {
    use std::fmt::Write;
    let mut out = String::new();
    if addr >> 32 == 0xffff {
        let [a, b, c, d] = (addr as u32).to_be_bytes();
        let _ = write!(out, "::ffff:{a}.{b}.{c}.{d}");
        return out;
    }
    let group = |i: usize| (addr >> (112 - 16 * i)) as u16;
    // The longest run of zero groups, the first of equals; a single zero stays.
    let (mut start, mut len, mut i) = (8, 0, 0);
    while i < 8 {
        let run = (i..8).take_while(|&j| group(j) == 0).count();
        if run > len && run >= 2 {
            (start, len) = (i, run);
        }
        i += run.max(1);
    }
    let mut i = 0;
    while i < 8 {
        if i == start {
            out.push_str("::");
            i += len;
            continue;
        }
        if !out.is_empty() && !out.ends_with(':') {
            out.push(':');
        }
        let _ = write!(out, "{:x}", group(i));
        i += 1;
    }
    out
}

/// Checks the host of a URL the server is to fetch, as written in the URL (CIMD §6.5,
/// SSRF). Allowed: a DNS name in the form a URL parser keeps (lower-case letters, digits,
/// `-`, at least two labels, the last starting with a letter, an international name in
/// its `xn--` form) that is not `localhost`, `*.localhost` or a private-use name
/// (listed in this file's `PRIVATE_NAMES`); a public IPv4 address in dotted decimal; a public IPv6 address in
/// brackets, in its canonical form (RFC 5952). A host a URL parser would read as a number
/// (`2130706433`, `0x7f.1`, `0177.0.0.1`, `127.1`) is neither, and refused, as is every
/// special-use address (RFC 6890) and every IPv6 form of an IPv4 address.
/// `policy.allow_loopback` lets the loopback through, for development.
///
/// The port is not part of `host`: [`check_client_id_url`] and [`check_fetch_url`] allow
/// only the default https port, so that no client can make this server probe other
/// ports of a public host.
///
/// A name that resolves to a private address cannot be caught here: a Worker cannot
/// resolve names. The platform must refuse such fetches: Cloudflare's
/// `global_fetch_strictly_public` compatibility flag, which the worker's configuration
/// sets wherever it fetches client documents or keys.
pub fn check_fetch_host(host: &str, policy: FetchPolicy) -> Result<(), String> {
    if let Some(inner) = host.strip_prefix('[') {
        let ip = inner.strip_suffix(']').and_then(canonical_v6);
        return match ip {
            None => Err(
                "an IPv6 host is written in brackets in its canonical form (RFC 5952), without a zone"
                    .into(),
            ),
            Some(ip) if v6_allowed(ip, policy) => Ok(()),
            Some(_) => Err(format!(
                "the host {} is a special-use address (RFC 6890), not a public server",
                shown(host)
            )),
        };
    }
    let name_chars = host
        .bytes()
        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'.' || b == b'-');
    let labels_ok = host.len() <= 253
        && host
            .split('.')
            .all(|l| !l.is_empty() && l.len() <= 63 && !l.starts_with('-') && !l.ends_with('-'));
    if !name_chars || !labels_ok {
        return Err("a host is a DNS name in lower-case letters, digits, '-' and '.' (an international name in its xn-- form), or an IP address".into());
    }
    // A URL parser reads a host whose last label is a number (decimal, or hex after 0x)
    // as an IPv4 address (WHATWG URL, "ends in a number"). Only the dotted-decimal form it
    // would write back is taken, so the address checked is the address fetched.
    let last = host.rsplit('.').next().unwrap_or(host);
    if !last.starts_with(|c: char| c.is_ascii_lowercase()) {
        return match canonical_v4(host) {
            Some(ip) => {
                if v4_allowed(ip, policy) {
                    Ok(())
                } else {
                    Err(format!(
                        "the host {} is a special-use address (RFC 6890), not a public server",
                        shown(host)
                    ))
                }
            }
            _ => Err("an IPv4 host is four decimal numbers from 0 to 255 joined by dots, without leading zeros; a DNS name ends in a label starting with a letter".into()),
        };
    }
    if host == "localhost" || host.ends_with(".localhost") {
        return if policy.allow_loopback {
            Ok(())
        } else {
            Err("the host is this machine (localhost): use the client's public host".into())
        };
    }
    if !host.contains('.') {
        return Err("a host is a full DNS name, such as client.example.com".into());
    }
    if PRIVATE_NAMES.contains(&last) {
        return Err(format!(
            "the host's .{last} names are not public: use the client's public host"
        ));
    }
    Ok(())
}

/// How long a client metadata document fetch may take.
pub const DOCUMENT_TIMEOUT_MS: u64 = 5_000;

/// A fetched client metadata document (the platform's `fetch_document`).
#[derive(Clone, Debug, Default)]
pub struct Document {
    pub status: u16,
    /// The answer was a redirect, not followed.
    pub redirected: bool,
    pub cache_control: Option<String>,
    pub body: Vec<u8>,
}

/// A fetched metadata document as the caller hands it over: the answer's status, its
/// `Cache-Control` header and its body (the first [`MAX_DOCUMENT_BYTES`] + 1 bytes at
/// most). The fetch follows no redirect (CIMD §4): the caller fetches with
/// `redirect: "manual"`, and reports a redirect it could not stop in `redirected`.
#[derive(Clone, Copy, Debug)]
pub struct Fetched<'a> {
    /// The HTTP status.
    pub status: u16,
    /// Whether the answer came from another URL than the one fetched: the runtime's
    /// `Response.redirected`. Such an answer is refused (CIMD §4: no redirects), since
    /// the document would not be the one at the `client_id` URL.
    pub redirected: bool,
    /// The `Cache-Control` header, if any.
    pub cache_control: Option<&'a str>,
    /// The body.
    pub body: &'a [u8],
}

/// Why a client's metadata document could not be had (CIMD §4.3). Neither is cached
/// (§4.4).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum MetadataError {
    /// The client's host failed for now (a timeout or network error, 5xx, 429, 408): the
    /// caller answers `temporarily_unavailable` (503) and the client may try again.
    Unavailable(String),
    /// The document is not one this server accepts, or not there: the client is unknown
    /// (`invalid_client`, or the authorization endpoint's error page).
    Invalid(String),
}

impl MetadataError {
    /// The caller's fetch did not complete (timed out, or the connection failed).
    pub fn fetch_failed() -> Self {
        MetadataError::Unavailable(
            "the client's metadata document could not be fetched in time; try again later".into(),
        )
    }

    /// The words, for the client's developer.
    pub fn description(&self) -> &str {
        match self {
            MetadataError::Unavailable(d) | MetadataError::Invalid(d) => d,
        }
    }

    /// Whether asking again later may succeed.
    pub fn retry_later(&self) -> bool {
        matches!(self, MetadataError::Unavailable(_))
    }

    /// The OAuth error to answer with: `temporarily_unavailable` (503, OAuth 2.1
    /// §4.1.2.1) or `invalid_client` (CIMD §4.3).
    pub fn oauth_error(&self) -> OAuthError {
        let code = if self.retry_later() {
            ErrorCode::TemporarilyUnavailable
        } else {
            ErrorCode::InvalidClient
        };
        OAuthError::new(code, self.description())
    }
}

impl fmt::Display for MetadataError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.description())
    }
}

impl std::error::Error for MetadataError {}

/// A client read from its metadata document, and how long it may be cached.
#[derive(Clone, Debug, PartialEq)]
pub struct Resolved {
    /// The client.
    pub client: Client,
    /// Seconds to keep it before fetching again ([`cache_lifetime`]); 0: do not keep it.
    pub cache_secs: u32,
}

/// Reads the metadata document fetched from `client_id` (CIMD §4, §4.1): only a 200
/// answer, at most [`MAX_DOCUMENT_BYTES`], a JSON object whose `client_id` is the URL
/// exactly, with a `client_name` and redirect URIs that each pass [`check_registered`],
/// no `client_secret` or `client_secret_expires_at`, and `none` (the default) or
/// `private_key_jwt` with keys. A refusal says what is wrong for the client's developer;
/// the server answers it as [`MetadataError::oauth_error`] says and caches nothing
/// (§4.3, §4.4).
pub fn read_metadata_document(
    client_id: &str,
    fetched: &Fetched<'_>,
    policy: FetchPolicy,
) -> Result<Resolved, MetadataError> {
    check_client_id_url(client_id, policy).map_err(MetadataError::Invalid)?;
    let status = fetched.status;
    // The host's own failures, and its asking to be left alone, pass (RFC 9110 §15.6,
    // §15.5.9; RFC 6585 §4): the document may be there next time.
    if !fetched.redirected && (matches!(status, 408 | 429) || (500..600).contains(&status)) {
        return Err(MetadataError::Unavailable(format!(
            "the client's metadata document answered {status}; try again later"
        )));
    }
    read_document(client_id, fetched, policy).map_err(MetadataError::Invalid)
}

fn read_document(
    client_id: &str,
    fetched: &Fetched<'_>,
    policy: FetchPolicy,
) -> Result<Resolved, String> {
    check_client_id_url(client_id, policy)?;
    let status = fetched.status;
    if fetched.redirected {
        return Err(
            "the client's metadata document was reached through a redirect: serve it at the client_id URL itself, as redirects are not followed (section 4)".into(),
        );
    }
    if (300..400).contains(&status) {
        return Err(format!(
            "the client's metadata document answered with a redirect ({status}): serve it at the client_id URL itself, as redirects are not followed (section 4)"
        ));
    }
    if status != 200 {
        return Err(format!(
            "the client's metadata document answered {status}; only 200 is accepted (section 4)"
        ));
    }
    if fetched.body.len() > MAX_DOCUMENT_BYTES {
        return Err(format!(
            "the client's metadata document is at most {MAX_DOCUMENT_BYTES} bytes (section 6.6)"
        ));
    }
    let value: Value = serde_json::from_slice(fetched.body)
        .map_err(|_| "the client's metadata document is not JSON".to_owned())?;
    let m = value
        .as_object()
        .ok_or("the client's metadata document is a JSON object")?;
    match m.get("client_id") {
        Some(Value::String(id)) if id == client_id => {}
        Some(Value::String(id)) => {
            return Err(format!(
                "the metadata document's client_id '{}' is not the URL it was fetched from, exactly (section 4.1)",
                shown(id)
            ))
        }
        _ => {
            return Err(
                "the metadata document has a client_id: the URL it is served at (section 4.1)"
                    .into(),
            )
        }
    }
    let meta = read_metadata(m, Mode::Document, policy).map_err(|e| e.description)?;
    Ok(Resolved {
        client: meta.into_client(client_id.to_owned(), None, Source::MetadataDocument),
        cache_secs: cache_lifetime(fetched.cache_control),
    })
}

/// How long a valid metadata document may be kept, in seconds, from its answer's
/// `Cache-Control` (CIMD §4.4; RFC 9111 §5.2.2): 0 (fetch it every time) for `no-store`,
/// `no-cache` (this server does not revalidate), `max-age=0`, or a `max-age` that is
/// repeated or not a number (RFC 9111 §4.2.1: then stale); otherwise `max-age` within
/// [`MIN_CACHE_SECS`] and [`MAX_CACHE_SECS`], or [`DEFAULT_CACHE_SECS`] without one.
/// `private` changes nothing: the server keeps the document for its own use, as the client
/// it describes. `Expires` is not read. Errors and refused documents are never cached.
pub fn cache_lifetime(cache_control: Option<&str>) -> u32 {
    let Some(header) = cache_control else {
        return DEFAULT_CACHE_SECS;
    };
    let mut max_age: Option<u64> = None;
    for directive in header.split(',') {
        let (name, value) = match directive.split_once('=') {
            Some((name, value)) => (name.trim(), Some(value.trim())),
            None => (directive.trim(), None),
        };
        if name.eq_ignore_ascii_case("no-store") || name.eq_ignore_ascii_case("no-cache") {
            return 0;
        }
        if name.eq_ignore_ascii_case("max-age") {
            let value = value.map(|v| {
                v.strip_prefix('"')
                    .and_then(|v| v.strip_suffix('"'))
                    .unwrap_or(v)
            });
            match value {
                Some(v)
                    if max_age.is_none()
                        && !v.is_empty()
                        && v.bytes().all(|b| b.is_ascii_digit()) =>
                {
                    max_age = Some(v.parse().unwrap_or(u64::MAX));
                }
                _ => return 0,
            }
        }
    }
    match max_age {
        None => DEFAULT_CACHE_SECS,
        Some(0) => 0,
        Some(secs) => secs.clamp(MIN_CACHE_SECS.into(), MAX_CACHE_SECS.into()) as u32,
    }
}

/// What a client assertion's claims allowed: its `jti`, which the caller refuses to see a
/// second time until `exp` (RFC 7523 §3 item 7).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Assertion {
    /// The assertion's unique id.
    pub jti: String,
    /// When it expires (Unix seconds): until then its `jti` is remembered.
    pub exp: i64,
}

/// A JWT time claim: a number of seconds, whole or not (RFC 7519 §2 NumericDate).
fn time_claim(claims: &Map<String, Value>, name: &str) -> Result<Option<i64>, String> {
    match claims.get(name) {
        None => Ok(None),
        Some(v) => v
            .as_i64()
            .or_else(|| {
                v.as_f64()
                    .filter(|t| t.is_finite() && t.abs() < 1e15)
                    .map(|t| t.floor() as i64)
            })
            .map(Some)
            .ok_or_else(|| format!("the client assertion's {name} is a number of seconds")),
    }
}

/// Checks the claims of a `private_key_jwt` client assertion whose signature has been
/// verified (RFC 7523 §3): `iss` and `sub` are the client's id; `aud` is one of
/// `audiences` (the token endpoint URL, which ChatGPT sends, and the issuer), or an array
/// of nothing else, so an assertion made for another party too is refused; `exp` present,
/// not past and at most [`MAX_ASSERTION_LIFETIME`] (plus [`ASSERTION_LEEWAY`]) ahead;
/// `nbf` and `iat`, when present, not ahead by more than the leeway and `iat` not older
/// than the lifetime; `jti` present, at most [`MAX_JTI`] bytes. Replays are the caller's to
/// catch, with the [`Assertion`] returned.
pub fn check_assertion_claims(
    claims: &Value,
    client_id: &str,
    audiences: &[&str],
    now: i64,
) -> Result<Assertion, String> {
    let claims = claims
        .as_object()
        .ok_or("the client assertion's payload is a JSON object")?;
    for name in ["iss", "sub"] {
        if claims.get(name).and_then(Value::as_str) != Some(client_id) {
            return Err(format!(
                "the client assertion's {name} is the client_id, exactly (RFC 7523 section 3)"
            ));
        }
    }
    let ours = |a: &Value| a.as_str().is_some_and(|a| audiences.contains(&a));
    let audience_ok = match claims.get("aud") {
        Some(Value::Array(list)) => {
            !list.is_empty() && list.len() <= MAX_NAMES && list.iter().all(ours)
        }
        Some(aud) => ours(aud),
        None => false,
    };
    if !audience_ok {
        return Err(format!(
            "the client assertion's aud is this server's token endpoint or issuer: {}",
            audiences.join(" or ")
        ));
    }
    let exp = time_claim(claims, "exp")?.ok_or("the client assertion has an exp")?;
    if exp <= now {
        return Err("the client assertion has expired: make a new one for each request".into());
    }
    if exp > now.saturating_add(MAX_ASSERTION_LIFETIME + ASSERTION_LEEWAY) {
        return Err(format!(
            "the client assertion's exp is at most {MAX_ASSERTION_LIFETIME} seconds ahead"
        ));
    }
    if let Some(nbf) = time_claim(claims, "nbf")? {
        if nbf > now.saturating_add(ASSERTION_LEEWAY) {
            return Err(
                "the client assertion is not valid yet (nbf is ahead): check the client's clock"
                    .into(),
            );
        }
    }
    if let Some(iat) = time_claim(claims, "iat")? {
        if iat > now.saturating_add(ASSERTION_LEEWAY) {
            return Err(
                "the client assertion was issued in the future (iat): check the client's clock"
                    .into(),
            );
        }
        if iat < now.saturating_sub(MAX_ASSERTION_LIFETIME + ASSERTION_LEEWAY) {
            return Err(format!(
                "the client assertion was issued more than {MAX_ASSERTION_LIFETIME} seconds ago (iat): make a new one for each request"
            ));
        }
    }
    let jti = match claims.get("jti") {
        Some(Value::String(jti))
            if !jti.is_empty() && jti.len() <= MAX_JTI && !jti.chars().any(char::is_control) =>
        {
            jti.clone()
        }
        _ => {
            return Err(format!(
                "the client assertion has a jti: a unique id of 1 to {MAX_JTI} bytes, without control characters"
            ))
        }
    };
    Ok(Assertion { jti, exp })
}

/// Client text as a refusal may repeat it: at most 64 characters ([`echo`]), [`plain`].
fn shown(text: &str) -> String {
    plain(&echo(text))
}

/// Text in the characters an `error_description` may hold (RFC 6749 §5.2: printable
/// ASCII but `"` and `\`); others become `?`, and [`echo`]'s ellipsis `...`.
fn plain(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\u{2026}' => out.push_str("..."),
            '"' | '\\' => out.push('?'),
            ' '..='~' => out.push(c),
            _ => out.push('?'),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The hand-written address readers against the standard library's, which parse and
    /// write the same forms: every address in a sample with many zero groups (the runs
    /// RFC 5952 compresses), IPv4-mapped ones, and texts that are not canonical.
    #[test]
    fn ip_addresses_are_read_only_in_their_canonical_form_as_std_writes_it() {
        use std::net::{Ipv4Addr, Ipv6Addr};
        let mut seed = 0x9e37_79b9_7f4a_7c15u64;
        let mut next = move || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        for _ in 0..20_000 {
            let r = next();
            let groups: Vec<u16> = (0..8)
                .map(|i| match (r >> (i * 3)) & 3 {
                    0 | 1 => 0,
                    2 => (next() & 0xf) as u16,
                    _ => next() as u16,
                })
                .collect();
            let mut addr = groups.iter().fold(0u128, |a, &g| a << 16 | u128::from(g));
            if r >> 60 == 0 {
                addr = 0xffff_0000_0000 | u128::from(next() as u32);
            }
            let text = Ipv6Addr::from(addr).to_string();
            assert_eq!(write_v6(addr), text);
            assert_eq!(canonical_v6(&text), Some(addr), "{text}");
            let v4 = next() as u32;
            let text = Ipv4Addr::from(v4).to_string();
            assert_eq!(canonical_v4(&text), Some(v4), "{text}");
        }
        for text in [
            "",
            ":",
            ":::",
            "::1::",
            "1::2::3",
            ":1",
            "1:",
            "1:2:3:4:5:6:7",
            "1:2:3:4:5:6:7:8:9",
            "::01",
            "::ABCD",
            "0::1",
            "1:0:0:0:0:0:0:1",
            "::00001",
            "::g",
            "::ffff:7f00:1",
            "::ffff:1.2.3",
            "::ffff:1.2.3.04",
            "1.2.3.4::",
            "::1.2.3.4",
            "fe80::1%eth0",
            "1:0:0:2:0:0:0:3",
            "1::2:0:0:0:3",
        ] {
            assert_eq!(canonical_v6(text), None, "{text}");
        }
        for text in [
            "",
            "1.2.3",
            "1.2.3.4.",
            "01.2.3.4",
            "1.2.3.256",
            "1.2.3.4.5",
            "1..3.4",
            "a.b.c.d",
            "+1.2.3.4",
            "1.2.3.1000",
        ] {
            assert_eq!(canonical_v4(text), None, "{text}");
        }
    }

    const NOW: i64 = 1_800_000_000;

    /// What RFC 6749 §5.2 lets an `error_description` hold.
    fn assert_describable(text: &str) {
        assert!(!text.is_empty() && text.len() < 300, "{text}");
        assert!(
            text.chars()
                .all(|c| (' '..='~').contains(&c) && c != '"' && c != '\\'),
            "not a valid error_description: {text}"
        );
    }

    fn register(body: Value) -> Result<Registration, RegistrationError> {
        read_registration(body.to_string().as_bytes(), FetchPolicy::PUBLIC)
    }

    fn refused(body: Value, code: RegistrationErrorCode, says: &str) {
        let err = register(body.clone()).unwrap_err();
        assert_eq!(err.code, code, "{body}: {err}");
        assert!(err.description.contains(says), "{body}: {err}");
        assert_describable(&err.description);
    }

    fn refused_metadata(body: Value, says: &str) {
        refused(body, RegistrationErrorCode::InvalidClientMetadata, says);
    }

    /// What Claude sends: a public client with refresh tokens.
    fn claude_registration() -> Value {
        json!({
            "client_name": "Claude",
            "redirect_uris": ["https://claude.ai/api/mcp/auth_callback"],
            "grant_types": ["authorization_code", "refresh_token"],
            "response_types": ["code"],
            "token_endpoint_auth_method": "none",
        })
    }

    #[test]
    fn a_public_client_registers_without_a_secret() {
        let issued = register(claude_registration()).unwrap().issue(NOW).unwrap();
        let c = &issued.client;
        assert_eq!(c.auth_method, AuthMethod::None);
        assert_eq!(c.secret_hash, None);
        assert_eq!(issued.secret(), None);
        assert!(!c.secret_matches(""));
        assert_eq!(c.client_name.as_deref(), Some("Claude"));
        assert_eq!(
            c.grant_types,
            [GrantType::AuthorizationCode, GrantType::RefreshToken]
        );
        assert_eq!(c.source, Source::Registered { issued_at: NOW });
        assert!(c.allows_redirect("https://claude.ai/api/mcp/auth_callback"));
        assert!(!c.allows_redirect("https://claude.ai/api/mcp/auth_callback/"));
        assert!(!c.allows_redirect("https://claude.ai/api/x/../mcp/auth_callback"));
        assert_eq!(
            c.only_redirect(),
            Some("https://claude.ai/api/mcp/auth_callback")
        );
        assert!(!c.is_loopback_only());
        assert!(c.accepts_auth(AuthMethod::None));
        assert!(!c.accepts_auth(AuthMethod::ClientSecretBasic));

        let r = issued.response();
        assert_eq!(r["client_id"], c.client_id.as_str());
        assert_eq!(r["client_id_issued_at"], NOW);
        assert_eq!(r["token_endpoint_auth_method"], "none");
        assert_eq!(
            r["grant_types"],
            json!(["authorization_code", "refresh_token"])
        );
        assert_eq!(r["response_types"], json!(["code"]));
        assert_eq!(
            r["redirect_uris"],
            json!(["https://claude.ai/api/mcp/auth_callback"])
        );
        assert_eq!(r["client_name"], "Claude");
        assert!(r.get("client_secret").is_none());
        assert!(r.get("client_secret_expires_at").is_none());
    }

    #[test]
    fn issued_ids_are_random_and_never_urls() {
        let mut seen = std::collections::HashSet::new();
        for _ in 0..200 {
            let id = register(claude_registration())
                .unwrap()
                .issue(NOW)
                .unwrap()
                .client
                .client_id;
            assert_eq!(id.len(), 22, "{id}");
            assert!(!id.starts_with("https://") && !is_metadata_url(&id), "{id}");
            assert!(seen.insert(id));
        }
        // Whatever the random bytes, base64url holds no ':'.
        let id = register(claude_registration())
            .unwrap()
            .issue_with(NOW, [0xff; 16], [0; 32])
            .client
            .client_id;
        assert!(!id.contains(':'), "{id}");
    }

    #[test]
    fn a_confidential_client_gets_a_secret_kept_only_as_a_hash() {
        let body = json!({"redirect_uris": ["https://app.example.com/cb"]});
        // RFC 7591 §2: no method named is client_secret_basic.
        let issued = register(body).unwrap().issue(NOW).unwrap();
        assert_eq!(issued.client.auth_method, AuthMethod::ClientSecretBasic);
        let secret = issued.secret().unwrap().to_owned();
        assert_eq!(secret.len(), 43, "256 bits in base64url");
        let expected: [u8; 32] = Sha256::digest(secret.as_bytes()).into();
        assert_eq!(issued.client.secret_hash, Some(expected));
        assert!(issued.client.secret_matches(&secret));
        assert!(!issued.client.secret_matches(&secret[1..]));
        assert!(!issued.client.secret_matches(""));
        assert_eq!(issued.client.grant_types, [GrantType::AuthorizationCode]);
        assert_eq!(issued.client.client_name, None);

        let r = issued.response();
        assert_eq!(r["client_secret"], secret.as_str());
        assert_eq!(r["client_secret_expires_at"], 0);
        assert_eq!(r["token_endpoint_auth_method"], "client_secret_basic");
        assert!(r.get("client_name").is_none());
        // Neither a Debug print nor the stored record holds the secret.
        assert!(!format!("{issued:?}").contains(&secret));
        assert!(!issued.client.to_record().to_string().contains(&secret));

        let post = register(json!({
            "redirect_uris": ["https://app.example.com/cb"],
            "token_endpoint_auth_method": "client_secret_post",
        }))
        .unwrap()
        .issue(NOW)
        .unwrap();
        assert_eq!(post.client.auth_method, AuthMethod::ClientSecretPost);
        assert!(post.secret().is_some());
        assert_ne!(post.secret(), issued.secret());
    }

    #[test]
    fn private_key_jwt_needs_https_keys_or_an_inline_public_set() {
        let with = |extra: Value| {
            let mut body = json!({
                "redirect_uris": ["https://app.example.com/cb"],
                "token_endpoint_auth_method": "private_key_jwt",
            });
            body.as_object_mut()
                .unwrap()
                .extend(extra.as_object().unwrap().clone());
            body
        };
        let issued = register(with(
            json!({"jwks_uri": "https://app.example.com/jwks.json"}),
        ))
        .unwrap()
        .issue(NOW)
        .unwrap();
        assert_eq!(
            issued.client.keys,
            Some(ClientKeys::Uri("https://app.example.com/jwks.json".into()))
        );
        assert_eq!(issued.secret(), None);
        assert_eq!(
            issued.response()["jwks_uri"],
            "https://app.example.com/jwks.json"
        );
        // A registration does not get the document's fallback to `none`.
        assert!(!issued.client.accepts_auth(AuthMethod::None));

        let set = json!({"keys": [{"kty": "RSA", "n": "AQAB", "e": "AQAB", "kid": "1"}]});
        let inline = register(with(json!({"jwks": set})))
            .unwrap()
            .issue(NOW)
            .unwrap();
        assert_eq!(inline.client.keys, Some(ClientKeys::Set(set.clone())));
        assert_eq!(inline.response()["jwks"], set);

        for (extra, says) in [
            (json!({}), "jwks_uri (an https URL) or jwks"),
            (
                json!({"jwks_uri": "http://app.example.com/jwks"}),
                "https://",
            ),
            (
                json!({"jwks_uri": "https://169.254.169.254/keys"}),
                "special-use",
            ),
            (json!({"jwks_uri": "https://localhost/keys"}), "localhost"),
            (json!({"jwks_uri": 7}), "jwks_uri is a string"),
            (
                json!({"jwks_uri": "https://a.example.com/k", "jwks": set}),
                "not both",
            ),
            (json!({"jwks": {"keys": []}}), "1 to 10 keys"),
            (json!({"jwks": [1]}), "keys array"),
            (json!({"jwks": {"keys": [{"n": "x"}]}}), "kty"),
            (
                json!({"jwks": {"keys": [{"kty": "RSA", "n": "x", "e": "AQAB", "d": "secret"}]}}),
                "public keys only",
            ),
            (
                json!({"jwks": {"keys": [{"kty": "oct", "k": "c2VjcmV0"}]}}),
                "public keys only",
            ),
        ] {
            refused_metadata(with(extra), says);
        }
        // The document's own fetch guard applies in development too, but for the loopback.
        let dev = read_registration(
            with(json!({"jwks_uri": "https://127.0.0.1:8788/jwks"}))
                .to_string()
                .as_bytes(),
            FetchPolicy::LOOPBACK,
        );
        assert!(dev.is_ok());
        // Keys of a client that does not use them are ignored.
        let other = register(json!({
            "redirect_uris": ["https://app.example.com/cb"],
            "token_endpoint_auth_method": "none",
            "jwks_uri": "http://10.0.0.1/",
        }))
        .unwrap()
        .issue(NOW)
        .unwrap();
        assert_eq!(other.client.keys, None);
    }

    #[test]
    fn only_code_and_refresh_grants_are_registered() {
        let with = |grants: Value, responses: Value| {
            json!({
                "redirect_uris": ["https://app.example.com/cb"],
                "token_endpoint_auth_method": "none",
                "grant_types": grants,
                "response_types": responses,
            })
        };
        let kept = |grants: Value| {
            register(with(grants, json!(["code"])))
                .unwrap()
                .issue(NOW)
                .unwrap()
                .client
                .grant_types
        };
        assert_eq!(
            kept(json!([
                "refresh_token",
                "authorization_code",
                "refresh_token"
            ])),
            [GrantType::AuthorizationCode, GrantType::RefreshToken]
        );
        // Grants this server does not issue are dropped, and the answer says what is kept.
        assert_eq!(
            kept(json!([
                "authorization_code",
                "client_credentials",
                "implicit",
                "password"
            ])),
            [GrantType::AuthorizationCode]
        );
        let issued = register(with(
            json!(["authorization_code", "client_credentials"]),
            json!(["code", "token"]),
        ))
        .unwrap()
        .issue(NOW)
        .unwrap();
        assert_eq!(
            issued.response()["grant_types"],
            json!(["authorization_code"])
        );
        assert_eq!(issued.response()["response_types"], json!(["code"]));
        assert!(issued.client.allows_grant(GrantType::AuthorizationCode));
        assert!(!issued.client.allows_grant(GrantType::RefreshToken));

        for (grants, responses, says) in [
            (
                json!(["refresh_token"]),
                json!(["code"]),
                "includes authorization_code",
            ),
            (
                json!(["client_credentials"]),
                json!(["code"]),
                "includes authorization_code",
            ),
            (json!([]), json!(["code"]), "includes authorization_code"),
            (
                json!(["authorization_code"]),
                json!(["token"]),
                "response_types includes code",
            ),
            (
                json!(["authorization_code"]),
                json!([]),
                "response_types includes code",
            ),
            (
                json!("authorization_code"),
                json!(["code"]),
                "grant_types is an array of strings",
            ),
            (
                json!(["authorization_code", 1]),
                json!(["code"]),
                "array of strings",
            ),
            (
                json!(vec!["authorization_code"; 17]),
                json!(["code"]),
                "at most 16",
            ),
        ] {
            refused_metadata(with(grants, responses), says);
        }
    }

    #[test]
    fn every_redirect_uri_must_be_one_a_client_may_register() {
        let with =
            |uris: Value| json!({"redirect_uris": uris, "token_endpoint_auth_method": "none"});
        let many: Vec<String> = (0..=MAX_REDIRECT_URIS)
            .map(|i| format!("https://app.example.com/cb{i}"))
            .collect();
        for (uris, says) in [
            (json!(null), "at least one"),
            (json!([]), "at least one"),
            (json!("https://app.example.com/cb"), "array of strings"),
            (json!([7]), "array of strings"),
            (json!(many), "at most 10"),
            (
                json!(["javascript:alert(1)"]),
                "redirect_uris[0]: a redirect URI may not use the javascript: scheme",
            ),
            (
                json!(["https://ok.example.com/cb", "JavaScript:alert(1)"]),
                "redirect_uris[1]",
            ),
            (json!(["data:text/html,hi"]), "data"),
            (json!(["http://app.example.com/cb"]), "use https"),
            (json!(["https://app.example.com/cb#x"]), "fragment"),
            (json!(["https://user@app.example.com/cb"]), "no user name"),
            (json!(["/cb"]), "absolute"),
            (json!(["https://app.example.com/c b"]), "no space"),
        ] {
            refused(with(uris), RegistrationErrorCode::InvalidRedirectUri, says);
        }
        let err = register(with(json!(["javascript:alert(1)"]))).unwrap_err();
        assert_eq!(
            err.to_json(),
            json!({"error": "invalid_redirect_uri", "error_description": err.description})
        );
        assert!(err.to_string().starts_with("invalid_redirect_uri: "));

        // Repeats are kept once; loopback and native redirects are registrable.
        let c = register(with(json!([
            "http://127.0.0.1/callback",
            "http://127.0.0.1/callback",
            "http://localhost/callback",
        ])))
        .unwrap()
        .issue(NOW)
        .unwrap()
        .client;
        assert_eq!(c.redirect_uris.len(), 2);
        assert!(c.is_loopback_only());
        assert_eq!(c.only_redirect(), None);
        assert!(c.allows_redirect("http://127.0.0.1:49152/callback"));
        assert!(register(with(json!([
            "cursor://anysphere.cursor-retrieval/oauth/callback"
        ])))
        .is_ok());
    }

    #[test]
    fn names_are_bounded_plain_text() {
        let with = |name: Value| json!({"client_name": name, "redirect_uris": ["https://a.example.com/cb"], "token_endpoint_auth_method": "none"});
        let name_of = |name: &str| {
            register(with(json!(name)))
                .unwrap()
                .issue(NOW)
                .unwrap()
                .client
                .client_name
        };
        assert_eq!(
            name_of("  My <b>App</b> ").as_deref(),
            Some("My <b>App</b>")
        );
        assert_eq!(name_of("Éditeur 日本").as_deref(), Some("Éditeur 日本"));
        assert!(name_of(&"n".repeat(MAX_NAME_CHARS)).is_some());
        for (name, says) in [
            (json!("a\u{0}b"), "plain text"),
            (json!("line\nbreak"), "plain text"),
            (json!("esc\u{1b}[31m"), "plain text"),
            (json!("abc\u{202e}gpj.exe"), "text-direction"),
            (json!("x\u{2066}y"), "text-direction"),
            (json!("   "), "not blank"),
            (json!("n".repeat(MAX_NAME_CHARS + 1)), "at most 128"),
            (json!(42), "client_name is a string"),
        ] {
            refused_metadata(with(name), says);
        }
    }

    #[test]
    fn application_type_is_optional_and_web_or_native() {
        let with = |t: Value| json!({"application_type": t, "redirect_uris": ["http://localhost/cb"], "token_endpoint_auth_method": "none"});
        let issued = register(with(json!("native"))).unwrap().issue(NOW).unwrap();
        assert_eq!(
            issued.client.application_type,
            Some(ApplicationType::Native)
        );
        assert_eq!(issued.response()["application_type"], "native");
        // Web with a loopback redirect: OIDC servers may refuse it; MCP asks not to.
        assert!(register(with(json!("web"))).is_ok());
        let none = register(with(Value::Null)).unwrap().issue(NOW).unwrap();
        assert_eq!(none.client.application_type, None);
        assert!(none.response().get("application_type").is_none());
        refused_metadata(with(json!("desktop")), "web or native, not 'desktop'");
        refused_metadata(with(json!(["web"])), "application_type is a string");
    }

    #[test]
    fn registration_bodies_are_bounded_json_objects() {
        let big = json!({
            "redirect_uris": ["https://a.example.com/cb"],
            "padding": "x".repeat(MAX_REGISTRATION_BYTES),
        });
        refused_metadata(big, "at most 16384 bytes");
        for body in [&b""[..], b"{", b"[]", b"\"x\"", b"null", b"\xff\xfe"] {
            let err = read_registration(body, FetchPolicy::PUBLIC).unwrap_err();
            assert_eq!(err.code, RegistrationErrorCode::InvalidClientMetadata);
            assert!(err.description.contains("JSON object"), "{err}");
        }
        // Deep nesting is refused by the JSON reader, not by a stack overflow.
        let deep = format!("{}{}", "[".repeat(5000), "]".repeat(5000));
        assert!(read_registration(deep.as_bytes(), FetchPolicy::PUBLIC).is_err());
        // Fields this server does not use are ignored (RFC 7591 §2).
        let c = register(json!({
            "redirect_uris": ["https://a.example.com/cb"],
            "token_endpoint_auth_method": "none",
            "logo_uri": "javascript:alert(1)",
            "client_uri": "http://10.0.0.1/",
            "scope": "openid offline_access",
            "software_statement": "eyJ...",
            "contacts": ["a@example.com"],
            "client_secret": "chosen-by-the-client",
        }))
        .unwrap()
        .issue(NOW)
        .unwrap();
        assert_eq!(c.secret(), None);
        let r = c.response().to_string();
        for ignored in [
            "logo_uri",
            "client_uri",
            "scope",
            "software_statement",
            "chosen",
        ] {
            assert!(!r.contains(ignored), "{ignored} in {r}");
        }
    }

    #[test]
    fn unknown_auth_methods_are_refused_naming_the_supported_ones() {
        for method in ["client_secret_jwt", "tls_client_auth", "None", ""] {
            refused_metadata(
                json!({"redirect_uris": ["https://a.example.com/cb"], "token_endpoint_auth_method": method}),
                "none, client_secret_basic, client_secret_post or private_key_jwt",
            );
        }
        let err = register(json!({
            "redirect_uris": ["https://a.example.com/cb"],
            "token_endpoint_auth_method": format!("\"quoted\\{}", "z".repeat(200)),
        }))
        .unwrap_err();
        assert_describable(&err.description);
        assert!(err.description.contains("?quoted?zzz"), "{err}");
        assert!(err.description.ends_with("...'"), "{err}");
    }

    #[test]
    fn client_id_urls_are_https_with_a_path_and_nothing_a_parser_rewrites() {
        for good in [
            "https://chatgpt.com/oauth/abc123/client.json",
            "https://claude.ai/oauth/claude-code-client-metadata",
            "https://claude.ai/oauth/mcp-oauth-client-metadata",
            "https://app.example.com:443/client.json",
            "https://xn--bcher-kva.example/app",
            "https://app.example.com/a/b%20c/",
            "https://8.8.8.8/client.json",
            "https://[2606:4700:4700::1111]/client.json",
            "https://a-b.example.co.uk/.well-known/client",
        ] {
            assert_eq!(
                check_client_id_url(good, FetchPolicy::PUBLIC),
                Ok(()),
                "{good}"
            );
            assert!(is_metadata_url(good), "{good}");
        }
        for (bad, says) in [
            ("http://app.example.com/client.json", "starts with https://"),
            (
                "HTTPS://app.example.com/client.json",
                "starts with https://",
            ),
            ("https:/app.example.com/client.json", "starts with https://"),
            ("https://app.example.com", "has a path"),
            ("https://app.example.com/", "has a path"),
            ("https://app.example.com?x=1", "no query"),
            ("https://app.example.com/client.json?v=2", "no query"),
            ("https://app.example.com/client.json#me", "no fragment"),
            ("https://user@app.example.com/client.json", "no user name"),
            (
                "https://user:pw@app.example.com/client.json",
                "no user name",
            ),
            (
                "https://app.example.com/a/../client.json",
                "'..' path segments",
            ),
            (
                "https://app.example.com/./client.json",
                "'..' path segments",
            ),
            (
                "https://app.example.com/client.json/..",
                "'..' path segments",
            ),
            (
                "https://app.example.com/a/%2e%2e/client.json",
                "'..' path segments",
            ),
            (
                "https://app.example.com/a/%2E/client.json",
                "'..' path segments",
            ),
            (
                "https://app.example.com/a/.%2E/client.json",
                "'..' path segments",
            ),
            ("https://app.example.com\\@evil.example/x", "percent-encode"),
            ("https://app.example.com/a b", "no space"),
            ("https://app.example.com/a\tb", "no space"),
            ("https://app.example.com/%zz", "two hex digits"),
            ("https://app.example.com/%2", "two hex digits"),
            ("https:///client.json", "has a host"),
            ("https://:443/client.json", "has a host"),
            ("https://app.example.com:0/c", "port is a number"),
            ("https://app.example.com:65536/c", "port is a number"),
            ("https://app.example.com:0443/c", "port is a number"),
            ("https://app.example.com:/c", "port is a number"),
            ("https://app.example.com:8x/c", "port is a number"),
            // No port probing through this server: only the default https port.
            (
                "https://app.example.com:8443/client.json",
                "default https port",
            ),
            ("https://app.example.com:22/c", "default https port"),
            ("https://8.8.8.8:6379/c", "default https port"),
            ("https://[2606:4700:4700::1111]:25/c", "default https port"),
            ("https://App.Example.com/c", "lower-case"),
            ("https://app.example.com./c", "lower-case"),
            ("https://app..example.com/c", "lower-case"),
            ("https://-app.example.com/c", "lower-case"),
            ("https://app_1.example.com/c", "lower-case"),
            ("https://bücher.example/c", "ASCII"),
            ("https://intranet/c", "full DNS name"),
        ] {
            let err = check_client_id_url(bad, FetchPolicy::PUBLIC).unwrap_err();
            assert!(err.contains(says), "{bad}: {err}");
            assert_describable(&err);
        }
        let long = format!("https://app.example.com/{}", "a".repeat(MAX_CLIENT_ID_URL));
        assert!(check_client_id_url(&long, FetchPolicy::PUBLIC)
            .unwrap_err()
            .contains("at most 512"));
    }

    #[test]
    fn client_id_hosts_on_special_use_addresses_are_refused() {
        for host in [
            // Names.
            "localhost",
            "app.localhost",
            "metadata.google.internal",
            "printer.local",
            "x.onion",
            "router.lan",
            "a.home.arpa",
            "1.0.0.127.in-addr.arpa",
            "a.test",
            "a.invalid",
            // IPv4, and the forms a URL parser turns into one.
            "127.0.0.1",
            "127.255.255.254",
            "0.0.0.0",
            "10.1.2.3",
            "100.64.0.1",
            "100.127.255.255",
            "169.254.169.254",
            "172.16.0.1",
            "172.31.255.255",
            "192.0.0.9",
            "192.0.2.1",
            "192.168.1.1",
            "198.18.0.1",
            "198.51.100.7",
            "203.0.113.9",
            "224.0.0.1",
            "240.0.0.1",
            "255.255.255.255",
            "2130706433",
            "0x7f000001",
            "0x7f.1",
            "0177.0.0.1",
            "127.1",
            "127.0.0.1.",
            "8.8.8.08",
            "1.2.3",
            "1.2.3.4.5",
            "256.1.1.1",
            "a.0x10",
            "example.123",
            // IPv6: loopback, unspecified, IPv4-mapped and -compatible, NAT64, 6to4 of a
            // private address, Teredo, unique local, link-local, multicast, documentation.
            "[::1]",
            "[::]",
            "[0:0:0:0:0:0:0:1]",
            "[::ffff:127.0.0.1]",
            "[::ffff:7f00:1]",
            "[::ffff:a9fe:a9fe]",
            "[::ffff:8.8.8.8]",
            "[::127.0.0.1]",
            "[::7f00:1]",
            "[64:ff9b::7f00:1]",
            "[64:ff9b::a9fe:a9fe]",
            "[64:ff9b:1::a00:1]",
            "[2002:7f00:1::]",
            "[2002:a00:1::1]",
            "[2002:c0a8:101::1]",
            "[2001::1]",
            "[2001:0:4136:e378::]",
            "[2001:db8::1]",
            "[3fff::1]",
            "[fc00::1]",
            "[fd12:3456::1]",
            "[fe80::1]",
            "[fe80::1%25eth0]",
            "[fec0::1]",
            "[ff02::1]",
            "[100::1]",
            "[2606:4700:0:0:0:0:0:1111]",
            "[2606:4700::1111",
            "[127.0.0.1]",
        ] {
            let url = format!("https://{host}/client.json");
            let err = check_client_id_url(&url, FetchPolicy::PUBLIC).unwrap_err();
            assert_describable(&err);
            let dev = check_client_id_url(&url, FetchPolicy::LOOPBACK);
            let loopback = [
                "localhost",
                "app.localhost",
                "127.0.0.1",
                "127.255.255.254",
                "[::1]",
            ];
            assert_eq!(dev.is_ok(), loopback.contains(&host), "{host}: {dev:?}");
        }
        for public in [
            "1.1.1.1",
            "8.8.8.8",
            "100.63.255.255",
            "100.128.0.0",
            "172.32.0.1",
            "[2606:4700::1111]",
            "[2a00:1450:4001:80b::200e]",
        ] {
            assert_eq!(
                check_fetch_host(public, FetchPolicy::PUBLIC),
                Ok(()),
                "{public}"
            );
        }
    }

    #[test]
    fn only_http_like_ids_are_taken_for_urls() {
        for url in [
            "https://a.example.com/c",
            "HTTPS://a",
            "http://localhost/c",
            "Http:x",
        ] {
            assert!(is_metadata_url(url), "{url}");
        }
        for id in [
            "",
            "abc",
            "AbC-123_xyz0123456789a",
            "https",
            "ftp://a/b",
            "é://",
            "urn:x",
        ] {
            assert!(!is_metadata_url(id), "{id}");
        }
    }

    const CHATGPT: &str = "https://chatgpt.com/oauth/abc123/client.json";
    const CLAUDE_CODE: &str = "https://claude.ai/oauth/claude-code-client-metadata";

    /// ChatGPT's document as Cloudflare's tests froze it (the reference's hosts section).
    fn chatgpt_document() -> Value {
        json!({
            "client_id": CHATGPT,
            "client_name": "ChatGPT",
            "redirect_uris": ["https://chatgpt.com/connector/oauth/abc123"],
            "grant_types": ["authorization_code", "refresh_token"],
            "response_types": ["code"],
            "token_endpoint_auth_method": "private_key_jwt",
            "token_endpoint_auth_methods_supported": ["none", "private_key_jwt"],
            "token_endpoint_auth_signing_alg": "RS256",
            "jwks_uri": "https://chatgpt.com/oauth/jwks.json",
        })
    }

    /// Claude Code's: portless loopback redirects, a public client.
    fn claude_code_document() -> Value {
        json!({
            "client_id": CLAUDE_CODE,
            "client_name": "Claude Code",
            "client_uri": "https://claude.ai",
            "redirect_uris": ["http://localhost/callback", "http://127.0.0.1/callback"],
            "grant_types": ["authorization_code", "refresh_token"],
            "response_types": ["code"],
            "token_endpoint_auth_method": "none",
        })
    }

    fn read(url: &str, doc: &Value) -> Result<Resolved, String> {
        let body = doc.to_string();
        let fetched = Fetched {
            status: 200,
            redirected: false,
            cache_control: Some("max-age=3600"),
            body: body.as_bytes(),
        };
        read_metadata_document(url, &fetched, FetchPolicy::PUBLIC).map_err(|e| {
            assert!(!e.retry_later(), "{e}");
            assert_eq!(e.oauth_error().code, ErrorCode::InvalidClient);
            e.to_string()
        })
    }

    fn refused_document(url: &str, doc: &Value, says: &str) {
        let err = read(url, doc).unwrap_err();
        assert!(err.contains(says), "{doc}: {err}");
        assert_describable(&err);
    }

    #[test]
    fn chatgpt_reads_as_a_private_key_jwt_client_that_may_also_be_public() {
        let resolved = read(CHATGPT, &chatgpt_document()).unwrap();
        assert_eq!(resolved.cache_secs, 3600);
        let c = resolved.client;
        assert_eq!(c.client_id, CHATGPT);
        assert_eq!(c.source, Source::MetadataDocument);
        assert_eq!(c.auth_method, AuthMethod::PrivateKeyJwt);
        assert!(c.public_fallback);
        assert!(c.accepts_auth(AuthMethod::PrivateKeyJwt));
        assert!(c.accepts_auth(AuthMethod::None));
        assert!(!c.accepts_auth(AuthMethod::ClientSecretPost));
        assert_eq!(
            c.keys,
            Some(ClientKeys::Uri(
                "https://chatgpt.com/oauth/jwks.json".into()
            ))
        );
        assert_eq!(c.secret_hash, None);
        assert!(c.allows_grant(GrantType::RefreshToken));
        assert!(c.allows_redirect("https://chatgpt.com/connector/oauth/abc123"));
        assert!(!c.allows_redirect("https://chatgpt.com/connector_platform_oauth_redirect"));
        assert!(!c.allows_redirect("https://chatgpt.com/connector/oauth/abc123/../x"));

        // An older document, without `none` in its list: the assertion is then required.
        let mut older = chatgpt_document();
        older["token_endpoint_auth_methods_supported"] = json!(["private_key_jwt"]);
        let c = read(CHATGPT, &older).unwrap().client;
        assert!(!c.public_fallback && !c.accepts_auth(AuthMethod::None));
    }

    #[test]
    fn claude_code_reads_as_a_public_client_on_any_loopback_port() {
        let c = read(CLAUDE_CODE, &claude_code_document()).unwrap().client;
        assert_eq!(c.auth_method, AuthMethod::None);
        assert_eq!(c.client_name.as_deref(), Some("Claude Code"));
        assert!(c.is_loopback_only());
        assert!(c.allows_redirect("http://localhost:53682/callback"));
        assert!(c.allows_redirect("http://127.0.0.1:1/callback"));
        assert!(c.allows_redirect("http://localhost/callback"));
        assert!(!c.allows_redirect("http://localhost:53682/other"));
        assert!(!c.allows_redirect("http://[::1]:53682/callback"));
        assert!(!c.allows_redirect("https://localhost:53682/callback"));
        assert!(!c.public_fallback);
        assert_eq!(c.keys, None);
        assert!(c.is_local_only());
        assert_eq!(c.auth_methods(), [AuthMethod::None]);
    }

    #[test]
    fn private_use_schemes_are_local_and_web_redirects_are_not() {
        let mut c = read(CLAUDE_CODE, &claude_code_document()).unwrap().client;
        c.redirect_uris = vec!["com.example.app:/cb".into(), "http://127.0.0.1/cb".into()];
        assert!(c.is_local_only());
        assert!(!c.is_loopback_only());
        c.redirect_uris.push("https://app.example.com/cb".into());
        assert!(!c.is_local_only());
        c.redirect_uris = vec!["https://localhost/cb".into()];
        assert!(!c.is_local_only());
    }

    #[test]
    fn the_accepted_methods_are_the_registered_one_and_a_listed_fallback() {
        let mut c = read(CHATGPT, &chatgpt_document()).unwrap().client;
        assert_eq!(
            c.auth_methods(),
            [AuthMethod::PrivateKeyJwt, AuthMethod::None]
        );
        c.public_fallback = false;
        assert_eq!(c.auth_methods(), [AuthMethod::PrivateKeyJwt]);
        for m in AuthMethod::ALL {
            c.auth_method = m;
            c.public_fallback = true;
            assert!(c.auth_methods().contains(&m));
            // Only private_key_jwt falls back to none.
            assert_eq!(
                c.accepts_auth(AuthMethod::None),
                matches!(m, AuthMethod::None | AuthMethod::PrivateKeyJwt),
                "{m:?}"
            );
            assert_eq!(AuthMethod::from_name(m.name()), Some(m));
        }
        assert_eq!(AuthMethod::from_name("tls_client_auth"), None);
    }

    #[test]
    fn only_a_200_answer_of_at_most_5_kb_is_read() {
        let body = claude_code_document().to_string();
        let answer = |status, body: &[u8]| {
            let fetched = Fetched {
                status,
                redirected: false,
                cache_control: None,
                body,
            };
            read_metadata_document(CLAUDE_CODE, &fetched, FetchPolicy::PUBLIC)
        };
        assert_eq!(
            answer(200, body.as_bytes()).unwrap().cache_secs,
            DEFAULT_CACHE_SECS
        );
        for (status, says) in [
            (302, "redirect (302)"),
            (301, "redirect"),
            (307, "redirect"),
            (201, "answered 201"),
            (203, "answered 203"),
            (404, "answered 404"),
            (400, "answered 400"),
        ] {
            let err = answer(status, body.as_bytes()).unwrap_err();
            assert!(!err.retry_later(), "{status}");
            assert!(err.description().contains(says), "{status}: {err}");
        }
        // The host failing for now, or asking to be left alone: try again later (503).
        for status in [500, 502, 503, 504, 429, 408] {
            let err = answer(status, body.as_bytes()).unwrap_err();
            assert!(err.retry_later(), "{status}");
            assert!(err.description().contains("try again later"), "{err}");
            let e = err.oauth_error();
            assert_eq!(e.code, ErrorCode::TemporarilyUnavailable);
            assert_eq!(e.token_response(false).status, 503);
        }
        let timeout = MetadataError::fetch_failed();
        assert!(timeout.retry_later());
        assert_eq!(
            timeout.oauth_error().code,
            ErrorCode::TemporarilyUnavailable
        );
        // A 200 reached through a redirect the runtime followed is refused (section 4),
        // and so is a retryable status after one: it is not the client's host answering.
        for status in [200, 503] {
            let fetched = Fetched {
                status,
                redirected: true,
                cache_control: None,
                body: body.as_bytes(),
            };
            let err =
                read_metadata_document(CLAUDE_CODE, &fetched, FetchPolicy::PUBLIC).unwrap_err();
            assert!(!err.retry_later(), "{status}");
            assert!(err.description().contains("redirect"), "{err}");
        }
        // Padded with spaces to the limit it is still the same document; one byte more is not.
        let mut padded = body.clone().into_bytes();
        padded.resize(MAX_DOCUMENT_BYTES, b' ');
        assert!(answer(200, &padded).is_ok());
        padded.push(b' ');
        assert!(answer(200, &padded)
            .unwrap_err()
            .description()
            .contains("at most 5120 bytes"));
        for junk in [&b""[..], b"{", b"<html>", b"\xff"] {
            assert!(answer(200, junk)
                .unwrap_err()
                .description()
                .contains("not JSON"));
        }
        for not_object in [&b"[]"[..], b"\"x\"", b"null", b"1"] {
            assert!(answer(200, not_object)
                .unwrap_err()
                .description()
                .contains("JSON object"));
        }
    }

    #[test]
    fn documents_are_refused_for_what_section_4_1_forbids() {
        let edit = |doc: Value, f: &dyn Fn(&mut Map<String, Value>)| {
            let mut doc = doc;
            f(doc.as_object_mut().unwrap());
            doc
        };
        let cc = claude_code_document;
        let cases: Vec<(Value, &str)> = vec![
            (
                edit(cc(), &|m| {
                    m.remove("client_id");
                }),
                "has a client_id",
            ),
            (
                edit(cc(), &|m| {
                    m.insert("client_id".into(), json!(7));
                }),
                "has a client_id",
            ),
            (
                edit(cc(), &|m| {
                    m.insert("client_id".into(), json!(format!("{CLAUDE_CODE}/")));
                }),
                "not the URL",
            ),
            (
                edit(cc(), &|m| {
                    m.insert(
                        "client_id".into(),
                        json!("https://Claude.ai/oauth/claude-code-client-metadata"),
                    );
                }),
                "not the URL",
            ),
            (
                edit(cc(), &|m| {
                    m.insert("client_id".into(), json!("https://evil.example/x"));
                }),
                "'https://evil.example/x'",
            ),
            (
                edit(cc(), &|m| {
                    m.remove("client_name");
                }),
                "client_name is required",
            ),
            (
                edit(cc(), &|m| {
                    m.insert("client_name".into(), json!(""));
                }),
                "not blank",
            ),
            (
                edit(cc(), &|m| {
                    m.insert("client_name".into(), json!("Claude\u{7}"));
                }),
                "plain text",
            ),
            (
                edit(cc(), &|m| {
                    m.remove("redirect_uris");
                }),
                "at least one",
            ),
            (
                edit(cc(), &|m| {
                    m.insert("redirect_uris".into(), json!([]));
                }),
                "at least one",
            ),
            (
                edit(cc(), &|m| {
                    m.insert(
                        "redirect_uris".into(),
                        json!(["javascript:alert(document.domain)"]),
                    );
                }),
                "javascript",
            ),
            (
                edit(cc(), &|m| {
                    m.insert(
                        "redirect_uris".into(),
                        json!(["http://evil.example/callback"]),
                    );
                }),
                "use https",
            ),
            (
                edit(cc(), &|m| {
                    m.insert("client_secret".into(), json!("s3cret"));
                }),
                "no client_secret",
            ),
            (
                edit(cc(), &|m| {
                    m.insert("client_secret_expires_at".into(), json!(0));
                }),
                "no client_secret_expires_at",
            ),
            (
                edit(cc(), &|m| {
                    m.insert(
                        "token_endpoint_auth_method".into(),
                        json!("client_secret_basic"),
                    );
                }),
                "shared secret",
            ),
            (
                edit(cc(), &|m| {
                    m.insert(
                        "token_endpoint_auth_method".into(),
                        json!("client_secret_post"),
                    );
                }),
                "shared secret",
            ),
            (
                edit(cc(), &|m| {
                    m.insert(
                        "token_endpoint_auth_method".into(),
                        json!("client_secret_jwt"),
                    );
                }),
                "none or private_key_jwt",
            ),
            (
                edit(cc(), &|m| {
                    m.insert("grant_types".into(), json!(["refresh_token"]));
                }),
                "authorization_code",
            ),
            (
                edit(chatgpt_document(), &|m| {
                    m.remove("jwks_uri");
                }),
                "jwks_uri (an https URL) or jwks",
            ),
            (
                edit(chatgpt_document(), &|m| {
                    m.insert(
                        "jwks_uri".into(),
                        json!("http://chatgpt.com/oauth/jwks.json"),
                    );
                }),
                "https://",
            ),
            (
                edit(chatgpt_document(), &|m| {
                    m.insert(
                        "jwks_uri".into(),
                        json!("https://[::ffff:169.254.169.254]/jwks"),
                    );
                }),
                "special-use",
            ),
            (
                edit(chatgpt_document(), &|m| {
                    m.insert("jwks_uri".into(), json!("https://0x7f.1/jwks"));
                }),
                "IPv4",
            ),
        ];
        let url_of = |doc: &Value| {
            if doc.get("token_endpoint_auth_methods_supported").is_some() {
                CHATGPT
            } else {
                CLAUDE_CODE
            }
        };
        for (doc, says) in &cases {
            refused_document(url_of(doc), doc, says);
        }
        // Without a method named, a document's client is public (it can hold no secret).
        let c = read(
            CLAUDE_CODE,
            &edit(cc(), &|m| {
                m.remove("token_endpoint_auth_method");
            }),
        )
        .unwrap();
        assert_eq!(c.client.auth_method, AuthMethod::None);
        // An application_type another server knows is no reason to refuse a document.
        assert!(read(
            CLAUDE_CODE,
            &edit(cc(), &|m| {
                m.insert("application_type".into(), json!("browser"));
            })
        )
        .is_ok());
        // Inline keys do for private_key_jwt too.
        let inline = edit(chatgpt_document(), &|m| {
            m.remove("jwks_uri");
            m.insert(
                "jwks".into(),
                json!({"keys": [{"kty": "EC", "crv": "P-256", "x": "a", "y": "b"}]}),
            );
        });
        assert!(matches!(
            read(CHATGPT, &inline).unwrap().client.keys,
            Some(ClientKeys::Set(_))
        ));
    }

    #[test]
    fn the_url_is_checked_before_the_document_is_read() {
        for url in [
            "https://localhost/client.json",
            "https://127.0.0.1/client.json",
            "http://app.example.com/client.json",
            "https://app.example.com/",
        ] {
            let mut doc = claude_code_document();
            doc["client_id"] = json!(url);
            assert!(read(url, &doc).is_err(), "{url}");
        }
        // In development the loopback may serve the document.
        let url = "https://localhost:8788/client.json";
        let mut doc = claude_code_document();
        doc["client_id"] = json!(url);
        let body = doc.to_string();
        let fetched = Fetched {
            status: 200,
            redirected: false,
            cache_control: None,
            body: body.as_bytes(),
        };
        assert!(read_metadata_document(url, &fetched, FetchPolicy::LOOPBACK).is_ok());
        assert!(read_metadata_document(url, &fetched, FetchPolicy::PUBLIC).is_err());
        // ... but a public host on another port is refused even then.
        assert!(check_client_id_url(
            "https://app.example.com:8788/client.json",
            FetchPolicy::LOOPBACK
        )
        .is_err());
        assert!(
            check_fetch_url("https://app.example.com:8443/jwks", FetchPolicy::PUBLIC)
                .unwrap_err()
                .contains("default https port")
        );
    }

    #[test]
    fn documents_are_cached_within_bounds_and_never_when_told_not_to() {
        for (header, secs) in [
            (None, DEFAULT_CACHE_SECS),
            (Some(""), DEFAULT_CACHE_SECS),
            (Some("public"), DEFAULT_CACHE_SECS),
            (Some("must-revalidate"), DEFAULT_CACHE_SECS),
            (Some("max-age=3600"), 3600),
            (Some("public, max-age=600"), 600),
            (Some("private, max-age=600"), 600),
            (Some("MAX-AGE=\"120\""), 120),
            (Some(" max-age = 900 "), 900),
            (Some("max-age=1"), MIN_CACHE_SECS),
            (Some("max-age=59"), MIN_CACHE_SECS),
            (Some("max-age=31536000, immutable"), MAX_CACHE_SECS),
            (Some("max-age=99999999999999999999999999"), MAX_CACHE_SECS),
            (Some("max-age=0"), 0),
            (Some("no-store"), 0),
            (Some("No-Cache"), 0),
            (Some("max-age=3600, no-store"), 0),
            (Some("no-cache=\"set-cookie\", max-age=3600"), 0),
            (Some("max-age=abc"), 0),
            (Some("max-age=-1"), 0),
            (Some("max-age="), 0),
            (Some("max-age"), 0),
            (Some("max-age=60, max-age=3600"), 0),
            (Some("s-maxage=100"), DEFAULT_CACHE_SECS),
        ] {
            assert_eq!(cache_lifetime(header), secs, "{header:?}");
        }
        let body = claude_code_document().to_string();
        let fetched = Fetched {
            status: 200,
            redirected: false,
            cache_control: Some("no-store"),
            body: body.as_bytes(),
        };
        let r = read_metadata_document(CLAUDE_CODE, &fetched, FetchPolicy::PUBLIC).unwrap();
        assert_eq!(r.cache_secs, 0);
    }

    const TOKEN_ENDPOINT: &str = "https://mcp.example.com/oauth/token";
    const ISSUER: &str = "https://mcp.example.com";

    fn assertion(edit: &dyn Fn(&mut Map<String, Value>)) -> Result<Assertion, String> {
        let mut claims = json!({
            "iss": CHATGPT,
            "sub": CHATGPT,
            "aud": TOKEN_ENDPOINT,
            "exp": NOW + 60,
            "iat": NOW,
            "jti": "7f1c6a2e-4b1d-4c7a-9a51-0d1e2f3a4b5c",
        });
        edit(claims.as_object_mut().unwrap());
        check_assertion_claims(&claims, CHATGPT, &[TOKEN_ENDPOINT, ISSUER], NOW)
    }

    #[test]
    fn chatgpts_assertion_claims_pass_and_give_the_jti_to_remember() {
        assert_eq!(
            assertion(&|_| {}),
            Ok(Assertion {
                jti: "7f1c6a2e-4b1d-4c7a-9a51-0d1e2f3a4b5c".into(),
                exp: NOW + 60
            })
        );
        for ok in [
            &(|m: &mut Map<String, Value>| {
                m.insert("aud".into(), json!(ISSUER));
            }) as &dyn Fn(&mut Map<String, Value>),
            &|m| {
                m.insert("aud".into(), json!([TOKEN_ENDPOINT]));
            },
            &|m| {
                m.insert("aud".into(), json!([TOKEN_ENDPOINT, ISSUER]));
            },
            &|m| {
                m.remove("iat");
            },
            &|m| {
                m.insert("iat".into(), json!(NOW + ASSERTION_LEEWAY));
            },
            &|m| {
                m.insert("nbf".into(), json!(NOW - 5));
            },
            &|m| {
                m.insert("exp".into(), json!(NOW as f64 + 30.5));
            },
            &|m| {
                m.insert(
                    "exp".into(),
                    json!(NOW + MAX_ASSERTION_LIFETIME + ASSERTION_LEEWAY),
                );
            },
            &|m| {
                m.insert("jti".into(), json!("j".repeat(MAX_JTI)));
            },
        ] {
            assert!(assertion(ok).is_ok(), "{:?}", assertion(ok));
        }
    }

    #[test]
    fn assertion_claims_are_refused_for_what_rfc_7523_section_3_forbids() {
        type Edit = &'static dyn Fn(&mut Map<String, Value>);
        let cases: [(Edit, &str); 24] = [
            (
                &|m| {
                    m.insert("iss".into(), json!("https://evil.example/c"));
                },
                "iss is the client_id",
            ),
            (
                &|m| {
                    m.remove("iss");
                },
                "iss is the client_id",
            ),
            (
                &|m| {
                    m.insert("sub".into(), json!("someone"));
                },
                "sub is the client_id",
            ),
            (
                &|m| {
                    m.remove("sub");
                },
                "sub is the client_id",
            ),
            (
                &|m| {
                    m.insert("aud".into(), json!("https://other.example/token"));
                },
                "aud is",
            ),
            (
                &|m| {
                    m.insert("aud".into(), json!(format!("{TOKEN_ENDPOINT}/")));
                },
                "aud is",
            ),
            (
                &|m| {
                    m.insert(
                        "aud".into(),
                        json!([TOKEN_ENDPOINT, "https://other.example"]),
                    );
                },
                "aud is",
            ),
            (
                &|m| {
                    m.insert("aud".into(), json!([]));
                },
                "aud is",
            ),
            (
                &|m| {
                    m.insert("aud".into(), json!(7));
                },
                "aud is",
            ),
            (
                &|m| {
                    m.remove("aud");
                },
                "aud is",
            ),
            (
                &|m| {
                    m.remove("exp");
                },
                "has an exp",
            ),
            (
                &|m| {
                    m.insert("exp".into(), json!(NOW));
                },
                "expired",
            ),
            (
                &|m| {
                    m.insert("exp".into(), json!(NOW - 1));
                },
                "expired",
            ),
            (
                &|m| {
                    m.insert(
                        "exp".into(),
                        json!(NOW + MAX_ASSERTION_LIFETIME + ASSERTION_LEEWAY + 1),
                    );
                },
                "at most 300 seconds ahead",
            ),
            (
                &|m| {
                    m.insert("exp".into(), json!(i64::MAX));
                },
                "at most 300 seconds ahead",
            ),
            (
                &|m| {
                    m.insert("exp".into(), json!("soon"));
                },
                "exp is a number",
            ),
            (
                &|m| {
                    m.insert("exp".into(), json!(1e300));
                },
                "exp is a number",
            ),
            (
                &|m| {
                    m.insert("nbf".into(), json!(NOW + ASSERTION_LEEWAY + 1));
                },
                "not valid yet",
            ),
            (
                &|m| {
                    m.insert("iat".into(), json!(NOW + ASSERTION_LEEWAY + 1));
                },
                "in the future",
            ),
            (
                &|m| {
                    m.insert("iat".into(), json!(NOW - 3600));
                },
                "more than 300 seconds ago",
            ),
            (
                &|m| {
                    m.remove("jti");
                },
                "has a jti",
            ),
            (
                &|m| {
                    m.insert("jti".into(), json!(""));
                },
                "has a jti",
            ),
            (
                &|m| {
                    m.insert("jti".into(), json!("j".repeat(MAX_JTI + 1)));
                },
                "has a jti",
            ),
            (
                &|m| {
                    m.insert("jti".into(), json!("a\nb"));
                },
                "has a jti",
            ),
        ];
        for (edit, says) in cases {
            let err = assertion(edit).unwrap_err();
            assert!(err.contains(says), "{says}: {err}");
            assert_describable(&err);
        }
        assert!(check_assertion_claims(&json!([1]), CHATGPT, &[ISSUER], NOW)
            .unwrap_err()
            .contains("JSON object"));
        assert_eq!(
            ASSERTION_TYPE,
            "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
        );
    }

    #[test]
    fn records_read_back_as_the_same_client() {
        let basic = register(json!({"client_name": "App", "redirect_uris": ["https://a.example.com/cb"], "application_type": "web"}))
            .unwrap()
            .issue(NOW)
            .unwrap()
            .client;
        let jwt = register(json!({
            "redirect_uris": ["http://127.0.0.1/cb"],
            "token_endpoint_auth_method": "private_key_jwt",
            "jwks": {"keys": [{"kty": "RSA", "n": "x", "e": "AQAB"}]},
            "grant_types": ["authorization_code", "refresh_token"],
        }))
        .unwrap()
        .issue(NOW)
        .unwrap()
        .client;
        let chatgpt = read(CHATGPT, &chatgpt_document()).unwrap().client;
        let claude_code = read(CLAUDE_CODE, &claude_code_document()).unwrap().client;
        for client in [basic, jwt, chatgpt, claude_code] {
            let record = client.to_record();
            assert_eq!(
                Client::from_record(&record, FetchPolicy::PUBLIC).as_ref(),
                Ok(&client),
                "{record}"
            );
        }
    }

    #[test]
    fn records_are_checked_again_when_read() {
        let issued = register(json!({"redirect_uris": ["https://a.example.com/cb"]}))
            .unwrap()
            .issue(NOW)
            .unwrap();
        let good = issued.client.to_record();
        let edit = |f: &dyn Fn(&mut Map<String, Value>)| {
            let mut r = good.clone();
            f(r.as_object_mut().unwrap());
            r
        };
        for (record, says) in [
            (
                edit(&|m| {
                    m.insert("redirect_uris".into(), json!(["javascript:alert(1)"]));
                }),
                "javascript",
            ),
            (
                edit(&|m| {
                    m.remove("client_secret_sha256");
                }),
                "secret hash",
            ),
            (
                edit(&|m| {
                    m.insert("client_secret_sha256".into(), json!("abc"));
                }),
                "32 bytes",
            ),
            (
                edit(&|m| {
                    m.insert("token_endpoint_auth_method".into(), json!("none"));
                }),
                "secret hash",
            ),
            (
                edit(&|m| {
                    m.remove("token_endpoint_auth_method");
                }),
                "names its token_endpoint_auth_method",
            ),
            (
                edit(&|m| {
                    m.insert("client_id".into(), json!("https://a.example.com/c"));
                }),
                "not a URL",
            ),
            (
                edit(&|m| {
                    m.remove("client_id");
                }),
                "has a client_id",
            ),
            (
                edit(&|m| {
                    m.remove("client_id_issued_at");
                }),
                "client_id_issued_at",
            ),
            (
                edit(&|m| {
                    m.insert("source".into(), json!("metadata_document"));
                }),
                "client_id URL",
            ),
            (
                edit(&|m| {
                    m.remove("source");
                }),
                "source is",
            ),
            (
                edit(&|m| {
                    m.insert(
                        "token_endpoint_auth_method".into(),
                        json!("private_key_jwt"),
                    );
                    m.insert(
                        "token_endpoint_auth_methods_supported".into(),
                        json!(["none"]),
                    );
                    m.insert("jwks_uri".into(), json!("https://a.example.com/jwks"));
                    m.remove("client_secret_sha256");
                }),
                "one registered method",
            ),
            (json!([]), "JSON object"),
        ] {
            let err = Client::from_record(&record, FetchPolicy::PUBLIC).unwrap_err();
            assert!(err.contains(says), "{record}: {err}");
        }
        // A document's client stored under the loopback switch reads back only under it.
        let url = "https://localhost/client.json";
        let mut doc = claude_code_document();
        doc["client_id"] = json!(url);
        let body = doc.to_string();
        let fetched = Fetched {
            status: 200,
            redirected: false,
            cache_control: None,
            body: body.as_bytes(),
        };
        let record = read_metadata_document(url, &fetched, FetchPolicy::LOOPBACK)
            .unwrap()
            .client
            .to_record();
        assert!(Client::from_record(&record, FetchPolicy::LOOPBACK).is_ok());
        assert!(Client::from_record(&record, FetchPolicy::PUBLIC).is_err());
    }

    #[test]
    fn client_text_is_shown_short_and_in_description_characters() {
        assert_eq!(shown("plain"), "plain");
        assert_eq!(shown("a\"b\\c\u{7}d\u{e9}"), "a?b?c?d?");
        let long = shown(&"x".repeat(500));
        assert_eq!(long, format!("{}...", "x".repeat(64)));
        assert_describable(&long);
    }
}
