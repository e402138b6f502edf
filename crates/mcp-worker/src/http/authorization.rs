//! The authorization server's endpoints, served by the pipeline beside the MCP endpoint:
//! RFC 8414 metadata, the JWKS, the authorization endpoint, the OpenID provider's
//! callback, the consent form, the token, registration and revocation endpoints.
//!
//! The sign-in, step by step:
//! 1. `GET /authorize` checks the request against its client (a metadata document
//!    fetched, or a registration unsealed) and this server, then sends the browser to the
//!    OpenID provider with a fresh session id as `state`, and keeps the checked request in
//!    a sealed, `HttpOnly` cookie named after the session (`seal`). The provider's PKCE
//!    verifier and nonce are derived from the session id with the sealing key: they never
//!    leave the server.
//! 2. `GET /oauth/callback` finds the session's cookie (a browser that did not start the
//!    sign-in has none), redeems the provider's code, verifies its ID token with the
//!    pipeline's own verifier against the provider's key set, checks the nonce and the
//!    allow list, and shows the consent page, with the person's identity now sealed in
//!    the cookie.
//! 3. `POST /oauth/consent` takes the decision only from this server's own page (the
//!    cookie, a token derived from the session, the `Origin`), and on approval creates
//!    the grant in its Durable Object and sends the browser back with the code.

use std::sync::Arc;

use base64ct::{Base64UrlUnpadded, Encoding};
use serde::Serialize;
use serde_json::{json, Map, Value};

use crate::auth::policy::ClaimPolicy;
use crate::auth::{Authenticator, Credentials};
use crate::http::{Host, HttpRequest, Response, Severity};
use crate::mcp::Server;
use crate::tools::FetchRequest;

use crate::oauth::client::{self, Client, Fetched, GrantType, Source};
use crate::oauth::error::{AuthorizeError, ErrorCode, OAuthError};
use crate::oauth::form::{self, Form};
use crate::oauth::grant::{
    GrantId, Lifetimes, NewGrant, OpaqueToken, Redemption, Refresh, Upstream,
};
use crate::oauth::json::{read_struct, FromJson};
use crate::oauth::metadata;
use crate::oauth::objects::{self, Failed};
use crate::oauth::pages;
use crate::oauth::request::{
    self, AuthorizationRequest, ClientAuth, ClientView, Grant, ServerView, TokenTypeHint,
};
use crate::oauth::seal::SealKey;
use crate::oauth::settings::{host_of, Settings, UpstreamEndpoints};
use crate::oauth::token::{self, AccessClaims};

/// How long the sign-in may take, from `/authorize` to consent (seconds).
pub const SESSION_SECS: i64 = 600;

/// How long an access token lives (seconds): an hour, RFC 9068's upper bound here.
pub const ACCESS_TOKEN_SECS: i64 = token::MAX_LIFETIME_SECS;

/// The session cookie's name starts so (and is followed by the session's id); with an
/// https issuer it carries the `__Secure-` prefix too, so that only a secure origin can
/// set it ([`cookie_prefix`]).
const COOKIE_PREFIX: &str = "mcp_oauth_";

fn cookie_prefix(settings: &Settings) -> &'static str {
    if settings.issuer.starts_with("https://") {
        "__Secure-mcp_oauth_"
    } else {
        COOKIE_PREFIX
    }
}

/// The longest session cookie, its name and value: what a browser keeps of one cookie
/// (RFC 6265 §6.1) and what [`SealKey::open`](crate::oauth::seal::SealKey::open) reads. A
/// longer one would be lost on the way back from the provider.
const MAX_COOKIE: usize = crate::oauth::seal::MAX_SEALED;

/// Room left at `/authorize` for the person, added to the session at the callback.
const USER_ROOM: usize = 512;

/// The sign-in in progress, sealed in the browser's cookie.
#[derive(Clone, Debug, Serialize)]
struct Session {
    sid: String,
    request: AuthorizationRequest,
    client_name: Option<String>,
    /// The host that publishes a metadata document client; none for a registered one.
    client_host: Option<String>,
    /// Whether the client may refresh.
    refresh: bool,
    /// Whether an error may be sent to the client's redirect URI unasked
    /// (`Settings::trusts`); else the person sees it on our page, with a link.
    trusted: bool,
    /// Who signed in at the provider, once they have.
    user: Option<User>,
}

#[derive(Clone, Debug, Serialize)]
struct User {
    subject: String,
    email: Option<String>,
    name: Option<String>,
}

impl FromJson for Session {
    fn from_json(v: &Value) -> Option<Self> {
        read_struct!(
            v,
            Session {
                sid,
                request,
                client_name,
                client_host,
                refresh,
                trusted,
                user
            }
        )
    }
}

impl FromJson for User {
    fn from_json(v: &Value) -> Option<Self> {
        read_struct!(
            v,
            User {
                subject,
                email,
                name
            }
        )
    }
}

impl User {
    fn shown(&self) -> &str {
        self.email.as_deref().unwrap_or(&self.subject)
    }
}

/// The answer to a request for one of the authorization server's paths, or `None` when
/// the path is not one of them.
pub async fn serve(
    server: &'static Server,
    settings: &Settings,
    req: &HttpRequest,
    now: i64,
    host: &dyn Host,
) -> Option<Response> {
    let path = req.path.as_str();
    let method = req.method.as_str();
    let api = |allow: &'static str| -> Option<Response> {
        (method == "OPTIONS").then(|| {
            // `access-control-allow-origin` is added below, with every answer of these paths.
            Response::new(204)
                .with("access-control-allow-methods", allow)
                .with(
                    "access-control-allow-headers",
                    "authorization, content-type, mcp-protocol-version",
                )
                .with("access-control-max-age", "86400")
        })
    };
    let response = match path {
        metadata::WELL_KNOWN => api("GET, OPTIONS").unwrap_or_else(|| match method {
            "GET" | "HEAD" => {
                let scopes: Vec<&str> = settings.scopes.iter().map(String::as_str).collect();
                Response::json(200, &metadata::document(&settings.issuer, &scopes))
                    .with("cache-control", "public, max-age=3600")
            }
            _ => not_allowed("GET"),
        }),
        metadata::JWKS => api("GET, OPTIONS").unwrap_or_else(|| match method {
            "GET" | "HEAD" => Response::json(200, &settings.keys.jwks())
                .with("cache-control", "public, max-age=300"),
            _ => not_allowed("GET"),
        }),
        metadata::AUTHORIZE => match method {
            "GET" => match address_limited(req, host).await {
                Some(refused) => refused,
                None => authorize(settings, req, now, host).await,
            },
            _ => not_allowed("GET"),
        },
        metadata::CALLBACK => match method {
            "GET" => callback(settings, req, now, host).await,
            _ => not_allowed("GET"),
        },
        metadata::CONSENT => match method {
            "GET" => consent_page(server, settings, req, now),
            "POST" => match address_limited(req, host).await {
                Some(refused) => refused,
                None => consent(settings, req, now, host).await,
            },
            _ => not_allowed("GET, POST"),
        },
        metadata::TOKEN => api("POST, OPTIONS").unwrap_or_else(|| Response::new(0)),
        metadata::REGISTER => api("POST, OPTIONS").unwrap_or_else(|| Response::new(0)),
        metadata::REVOKE => api("POST, OPTIONS").unwrap_or_else(|| Response::new(0)),
        _ => return None,
    };
    // The three JSON endpoints, answered apart since they are async.
    let response = if response.status != 0 {
        response
    } else if method != "POST" {
        not_allowed("POST")
    } else {
        match path {
            metadata::TOKEN => token_endpoint(settings, req, now, host).await,
            metadata::REGISTER => register(settings, req, now, host).await,
            _ => revoke(settings, req, now, host).await,
        }
    };
    let cors = matches!(
        path,
        metadata::WELL_KNOWN
            | metadata::JWKS
            | metadata::TOKEN
            | metadata::REGISTER
            | metadata::REVOKE
    );
    Some(if cors {
        response.with("access-control-allow-origin", "*")
    } else {
        response
    })
}

/// The `429` page for a browser whose address is over the address rate limit
/// (`ADDRESS_RATE_LIMIT`), or `None`: each sign-in step a browser takes costs a fetch (a
/// client's metadata document) or a grant's object, so one address may not take them
/// without bound. People sign in from their own addresses; hosts' token calls, which
/// come from a few shared ones, are not counted here.
async fn address_limited(req: &HttpRequest, host: &dyn Host) -> Option<Response> {
    over_address_limit(req, host).await.then(|| {
        error_page(
            429,
            "Too many sign-ins",
            "Too many sign-in requests came from your address. Wait a minute and try again.",
        )
        .with("retry-after", "60")
    })
}

/// Whether the request's address (`CF-Connecting-IP`) is over the address rate limit,
/// counting this request.
async fn over_address_limit(req: &HttpRequest, host: &dyn Host) -> bool {
    let Some(ip) = req.header("cf-connecting-ip") else {
        return false;
    };
    let limit = crate::ratelimit::Limit::Address.binding();
    host.rate_limit(limit, ip).await == crate::http::Limiter::Refused
}

/// The label of the tag that makes a grant id this server's.
const GRANT_ID_TAG: &str = "grant-id";

/// A grant id this server made: 8 bytes that name the grant, then 8 bytes of
/// HMAC(sealing key, those 8). The token endpoint checks the tag before it asks any
/// object, so a made-up code or refresh token costs no Durable Object request. The 8
/// naming bytes come from the sign-in session, so the same consent posted twice names
/// the same grant, which exists already.
pub fn grant_id_for(seal: &SealKey, sid: &str) -> GrantId {
    let name = seal.derive_bytes("grant", sid.as_bytes());
    let tag = seal.derive_bytes(GRANT_ID_TAG, &name[..8]);
    let mut bytes = [0u8; 16];
    bytes[..8].copy_from_slice(&name[..8]);
    bytes[8..].copy_from_slice(&tag[..8]);
    GrantId::from_bytes(bytes)
}

/// Whether `id` is one [`grant_id_for`] made, under the current sealing key or one being
/// retired: grants made before a rotation keep their refresh tokens.
pub fn is_our_grant(seal: &SealKey, id: &GrantId) -> bool {
    let bytes = id.bytes();
    seal.derived_by_any(GRANT_ID_TAG, &bytes[..8], &bytes[8..])
}

fn not_allowed(allow: &'static str) -> Response {
    Response::json(
        405,
        &json!({"error": "invalid_request", "error_description": format!("use {allow}")}),
    )
    .with("allow", allow)
}

// ---------------------------------------------------------------------------------------
// Pages

fn html(status: u16, body: String) -> Response {
    Response::new(status)
        .with("content-type", "text/html; charset=utf-8")
        .with("content-security-policy", pages::CSP)
        .with("x-frame-options", "DENY")
        .with("x-content-type-options", "nosniff")
        // `same-origin`, not `no-referrer`: under `no-referrer` a browser sends the consent
        // form's POST with `Origin: null`, which the form's check must refuse. Nothing
        // leaves for another origin either way.
        .with("referrer-policy", "same-origin")
        .with("cache-control", "no-store")
        .with_body(body.into_bytes())
}

fn error_page(status: u16, title: &str, message: &str) -> Response {
    let mut r = html(status, pages::error(title, message));
    r.log.reason = Some(message.to_owned());
    r
}

fn redirect(status: u16, location: String) -> Response {
    Response::new(status)
        .with("location", location)
        .with("cache-control", "no-store")
        .with("referrer-policy", "no-referrer")
}

fn authorize_error(settings: &Settings, e: AuthorizeError) -> Response {
    match e {
        AuthorizeError::Page(error) => error_page(
            400,
            "This sign-in request cannot be used",
            &format!(
                "{} ({}). Tell the application's developer.",
                error.description, error.code
            ),
        ),
        AuthorizeError::Interstitial(i) => {
            let mut r = html(
                400,
                pages::interstitial(
                    &format!("{} ({})", i.error().description, i.error().code),
                    i.destination(),
                    &i.continue_location(&settings.issuer),
                ),
            );
            r.log.reason = Some(i.error().description.clone());
            r
        }
        AuthorizeError::Redirect(to) => {
            let mut r = redirect(302, to.location(&settings.issuer));
            r.log.reason = Some(to.error().description.clone());
            r
        }
    }
}

// ---------------------------------------------------------------------------------------
// Clients

/// Why a client could not be found.
enum Unresolved {
    /// No such client, or its document is unusable: the description says why.
    Unknown(String),
    /// Its document could not be fetched now.
    Unavailable(String),
}

impl Unresolved {
    fn oauth_error(&self) -> OAuthError {
        match self {
            Unresolved::Unknown(d) => OAuthError::new(ErrorCode::InvalidClient, d.clone()),
            Unresolved::Unavailable(d) => {
                OAuthError::new(ErrorCode::TemporarilyUnavailable, d.clone())
            }
        }
    }
}

/// The purpose registered clients' ids are sealed for.
const CLIENT_SEAL: &str = "client";

async fn resolve_client(
    settings: &Settings,
    client_id: &str,
    now: i64,
    host: &dyn Host,
) -> Result<Client, Unresolved> {
    if client::is_metadata_url(client_id) {
        client::check_client_id_url(client_id, settings.fetch_policy)
            .map_err(Unresolved::Unknown)?;
        if let Some(c) = settings.clients.get(client_id, now) {
            return Ok(c);
        }
        let doc = host
            .fetch_document(client_id, client::MAX_DOCUMENT_BYTES)
            .await
            .map_err(|why| {
                host.console(
                    Severity::Warning,
                    &format!(
                        "the client metadata document {} could not be fetched: {why}",
                        crate::protocol::jsonrpc::echo(client_id)
                    ),
                );
                Unresolved::Unavailable(
                    client::MetadataError::fetch_failed()
                        .description()
                        .to_owned(),
                )
            })?;
        let fetched = Fetched {
            status: doc.status,
            redirected: doc.redirected,
            cache_control: doc.cache_control.as_deref(),
            body: &doc.body,
        };
        let resolved = client::read_metadata_document(client_id, &fetched, settings.fetch_policy)
            .map_err(|e| {
            if e.retry_later() {
                Unresolved::Unavailable(e.description().to_owned())
            } else {
                Unresolved::Unknown(e.description().to_owned())
            }
        })?;
        if resolved.cache_secs > 0 {
            settings.clients.put(
                client_id.to_owned(),
                resolved.client.clone(),
                now + i64::from(resolved.cache_secs),
                now,
            );
        }
        return Ok(resolved.client);
    }
    let unknown = || {
        Unresolved::Unknown(
            "the client_id is not one this server issued, nor the https URL of a client metadata document; register again".into(),
        )
    };
    let record: Value = settings
        .seal
        .open(CLIENT_SEAL, client_id, now)
        .ok_or_else(unknown)?;
    let mut client = Client::from_record(&record, settings.fetch_policy).map_err(|_| unknown())?;
    client.client_id = client_id.to_owned();
    Ok(client)
}

fn server_view(settings: &Settings) -> ServerView<'_> {
    ServerView {
        resources: &settings.resources,
        scopes: &settings.scopes,
    }
}

// ---------------------------------------------------------------------------------------
// Authorization

fn random_id() -> Option<String> {
    let mut bytes = [0u8; 16];
    getrandom::getrandom(&mut bytes).ok()?;
    Some(Base64UrlUnpadded::encode_string(&bytes))
}

fn is_session_id(s: &str) -> bool {
    s.len() == 22
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

fn session_cookie(settings: &Settings, sid: &str, value: &str, max_age: i64) -> String {
    let secure = if settings.issuer.starts_with("https://") {
        "; Secure"
    } else {
        ""
    };
    format!(
        "{}{sid}={value}; Path=/oauth/; Max-Age={max_age}; HttpOnly; SameSite=Lax{secure}",
        cookie_prefix(settings)
    )
}

/// The value of cookie `name` in a `Cookie` header.
pub fn cookie<'a>(req: &'a HttpRequest, name: &str) -> Option<&'a str> {
    req.header("cookie")?.split(';').find_map(|pair| {
        let (k, v) = pair.trim().split_once('=')?;
        (k == name).then_some(v)
    })
}

fn open_session(settings: &Settings, req: &HttpRequest, sid: &str, now: i64) -> Option<Session> {
    if !is_session_id(sid) {
        return None;
    }
    let sealed = cookie(req, &format!("{}{sid}", cookie_prefix(settings)))?;
    let session: Session = settings.seal.open("session", sealed, now)?;
    (session.sid == sid).then_some(session)
}

const SESSION_LOST: &str = "This sign-in has expired, or was started in another browser. Go back to the application and connect again.";

async fn authorize(settings: &Settings, req: &HttpRequest, now: i64, host: &dyn Host) -> Response {
    let unchecked = match request::read_authorization(req.query.as_bytes()) {
        Ok(u) => u,
        Err(e) => return authorize_error(settings, e),
    };
    let client = match resolve_client(settings, unchecked.client_id(), now, host).await {
        Ok(c) => c,
        Err(Unresolved::Unknown(why)) => {
            return error_page(
                400,
                "This application is not known here",
                &format!("{why}. Tell the application's developer."),
            )
        }
        Err(Unresolved::Unavailable(why)) => {
            return error_page(503, "Try again in a moment", &why).with("retry-after", "10")
        }
    };
    let trusted = settings.trusts(&client);
    let view = ClientView::of(&client, trusted);
    let checked = match unchecked.check(&view, &server_view(settings)) {
        Ok(r) => r,
        Err(e) => return authorize_error(settings, e),
    };
    let endpoints = match upstream(settings, host).await {
        Ok(e) => e,
        Err(why) => {
            host.console(Severity::Error, &format!("the OpenID provider: {why}"));
            return error_page(
                503,
                "Sign-in is unavailable",
                "The identity provider could not be reached. Try again in a moment.",
            )
            .with("retry-after", "10");
        }
    };
    let Some(sid) = random_id() else {
        return error_page(
            500,
            "Sign-in failed",
            "The server could not draw a random number.",
        );
    };
    let session = Session {
        client_host: matches!(client.source, Source::MetadataDocument)
            .then(|| host_of(&client.client_id).unwrap_or("").to_owned()),
        client_name: client.client_name.clone(),
        refresh: client.allows_grant(GrantType::RefreshToken),
        trusted,
        request: checked,
        sid: sid.clone(),
        user: None,
    };
    let location = form::append_query(
        &endpoints.authorization_endpoint,
        &[
            ("response_type", "code"),
            ("client_id", &settings.upstream.client_id),
            (
                "redirect_uri",
                &format!("{}{}", settings.issuer, metadata::CALLBACK),
            ),
            ("scope", "openid email profile"),
            ("state", &sid),
            ("nonce", &settings.seal.derive("nonce", sid.as_bytes())),
            (
                "code_challenge",
                &crate::oauth::pkce::challenge_of(&settings.seal.derive("pkce", sid.as_bytes())),
            ),
            ("code_challenge_method", "S256"),
        ],
    );
    let sealed = settings.seal.seal("session", &session, now + SESSION_SECS);
    if "__Secure-".len() + COOKIE_PREFIX.len() + sid.len() + 1 + sealed.len() + USER_ROOM
        > MAX_COOKIE
    {
        return error_page(
            400,
            "This sign-in request cannot be used",
            "The request is too long to carry through the sign-in: send a shorter state or redirect URI. Tell the application's developer.",
        );
    }
    redirect(302, location).with(
        "set-cookie",
        session_cookie(settings, &sid, &sealed, SESSION_SECS),
    )
}

/// The provider's endpoints: its discovery document, read once per isolate (OpenID
/// Connect Discovery 1.0 §4: its `issuer` must be the one configured).
async fn upstream(settings: &Settings, host: &dyn Host) -> Result<Arc<UpstreamEndpoints>, String> {
    if let Some(e) = settings.upstream_endpoints() {
        return Ok(e);
    }
    let issuer = &settings.upstream.issuer;
    let url = format!("{issuer}/.well-known/openid-configuration");
    let r = host
        .fetch(FetchRequest::get(&url))
        .await
        .map_err(|e| format!("{url}: {e}"))?;
    if r.status != 200 {
        return Err(format!("{url} answered HTTP {}", r.status));
    }
    let doc = r.tree().map_err(|e| format!("{url}: {e}"))?;
    let text = |name: &str| {
        doc.get(name)
            .and_then(Value::as_str)
            .map(str::to_owned)
            .ok_or_else(|| format!("{url} has no {name}"))
    };
    let said = text("issuer")?;
    if said.trim_end_matches('/') != issuer {
        return Err(format!("{url} names the issuer {said}, not {issuer}"));
    }
    let jwks_uri = text("jwks_uri")?;
    let id_tokens = Authenticator::new(
        None,
        Some(jwks_uri),
        ClaimPolicy {
            audiences: vec![settings.upstream.client_id.clone()],
            issuer: Some(said),
            required_scopes: Vec::new().into(),
            leeway_secs: crate::oauth::settings::LEEWAY_SECS,
        },
    );
    // The client secret goes to the token endpoint: https only (or the loopback, where
    // the provider itself is, in development).
    let endpoint = |name: &str| {
        let url = text(name)?;
        let loopback = crate::oauth::redirect::is_loopback(&url)
            && crate::oauth::redirect::is_loopback(&format!("{issuer}/"));
        if url.starts_with("https://") || loopback {
            Ok(url)
        } else {
            Err(format!("{url}'s {name} is not an https URL"))
        }
    };
    Ok(settings.set_upstream_endpoints(UpstreamEndpoints {
        authorization_endpoint: endpoint("authorization_endpoint")?,
        token_endpoint: endpoint("token_endpoint")?,
        id_tokens,
    }))
}

async fn callback(settings: &Settings, req: &HttpRequest, now: i64, host: &dyn Host) -> Response {
    let Ok(params) = Form::parse(req.query.as_bytes()) else {
        return error_page(
            400,
            "Sign-in failed",
            "The identity provider's answer cannot be read.",
        );
    };
    let param = |name: &str| params.get(name).ok().flatten();
    let Some(mut session) = param("state").and_then(|sid| open_session(settings, req, sid, now))
    else {
        return error_page(400, "Sign-in failed", SESSION_LOST);
    };
    let sid = session.sid.clone();
    // Before consent: straight back only to a trusted client; any other's person sees
    // the error on our page, with a link (RFC 9700 §4.11.2), so that a sign-in cancelled
    // at the provider cannot make this server an open redirector.
    let back = |error: OAuthError| {
        let to = session.request.after_consent(error);
        let clear = session_cookie(settings, &sid, "", 0);
        if session.trusted {
            return redirect(302, to.location(&settings.issuer)).with("set-cookie", clear);
        }
        let mut r = html(
            400,
            pages::interstitial(
                &format!("{} ({})", to.error().description, to.error().code),
                to.destination(),
                &to.location(&settings.issuer),
            ),
        );
        r.log.reason = Some(to.error().description.clone());
        r.with("set-cookie", clear)
    };
    // RFC 9207: a provider that names itself must name the one we sent the person to.
    if param("iss").is_some_and(|iss| iss.trim_end_matches('/') != settings.upstream.issuer) {
        return error_page(
            400,
            "Sign-in failed",
            "The answer came from another identity provider.",
        );
    }
    if let Some(error) = param("error") {
        // The person declined, or could not or would not sign in: access_denied. The
        // provider busy: temporarily_unavailable. Anything else is the provider's
        // refusal of this server's request, which retrying will not mend.
        let code = match error {
            "access_denied"
            | "login_required"
            | "consent_required"
            | "interaction_required"
            | "account_selection_required" => ErrorCode::AccessDenied,
            "temporarily_unavailable" => ErrorCode::TemporarilyUnavailable,
            _ => ErrorCode::ServerError,
        };
        return back(OAuthError::new(
            code,
            format!(
                "the identity provider answered {}",
                crate::protocol::jsonrpc::echo(error)
            ),
        ));
    }
    let Some(code) = param("code") else {
        return error_page(400, "Sign-in failed", "The identity provider sent no code.");
    };
    let user = match upstream_user(settings, &sid, code, now, host).await {
        Ok(u) => u,
        Err(why) => {
            host.console(
                Severity::Warning,
                &format!("a sign-in at the OpenID provider failed: {why}"),
            );
            return error_page(
                502,
                "Sign-in failed",
                "The identity provider's answer could not be verified. Go back to the application and connect again.",
            );
        }
    };
    let Some(user) = user else {
        return error_page(
            403,
            "Not allowed",
            "You signed in, but this server's operator has not allowed your account to use it.",
        );
    };
    session.user = Some(user);
    let sealed = settings.seal.seal("session", &session, now + SESSION_SECS);
    if "__Secure-".len() + COOKIE_PREFIX.len() + sid.len() + 1 + sealed.len() > MAX_COOKIE {
        return error_page(
            502,
            "Sign-in failed",
            "The identity provider's account details are too long to carry to the consent page.",
        );
    }
    // The consent page at a URL of its own, not this one: this one carries the provider's
    // code, which a reload would redeem again (and fail).
    redirect(
        303,
        form::append_query(metadata::CONSENT, &[("session", sid.as_str())]),
    )
    .with(
        "set-cookie",
        session_cookie(settings, &sid, &sealed, SESSION_SECS),
    )
}

/// `GET /oauth/consent?session=…`: the consent page of the browser's signed-in session.
fn consent_page(server: &Server, settings: &Settings, req: &HttpRequest, now: i64) -> Response {
    let Ok(params) = Form::parse(req.query.as_bytes()) else {
        return error_page(400, "Sign-in failed", SESSION_LOST);
    };
    let sid = params.get("session").ok().flatten().unwrap_or("");
    let Some(session) = open_session(settings, req, sid, now) else {
        return error_page(400, "Sign-in failed", SESSION_LOST);
    };
    let Some(user) = &session.user else {
        return error_page(400, "Sign-in failed", SESSION_LOST);
    };
    let request = &session.request;
    let uri = request.redirect_uri();
    let page = pages::consent(&pages::Consent {
        server: server.title,
        client_name: session.client_name.as_deref(),
        client_host: session.client_host.as_deref(),
        redirect_host: request.destination(),
        // A code for an application on this device: any program there could claim the
        // name, so the person is told (MCP 2026-07-28 security best practices).
        local: crate::oauth::redirect::is_loopback(uri)
            || !uri
                .get(..8)
                .is_some_and(|p| p.eq_ignore_ascii_case("https://")),
        scopes: request.scopes(),
        user: user.shown(),
        session: sid,
        csrf: &settings.seal.derive("consent", sid.as_bytes()),
        action: metadata::CONSENT,
    });
    html(200, page)
}

/// Redeems the provider's code and verifies its ID token: the person, or `None` when the
/// allow list does not name them.
async fn upstream_user(
    settings: &Settings,
    sid: &str,
    code: &str,
    now: i64,
    host: &dyn Host,
) -> Result<Option<User>, String> {
    let endpoints = upstream(settings, host).await?;
    let up = &settings.upstream;
    let credentials = crate::oauth::encode_standard_base64(
        format!(
            "{}:{}",
            form::encode(&up.client_id),
            form::encode(up.client_secret.expose())
        )
        .as_bytes(),
    );
    let body = [
        ("grant_type", "authorization_code"),
        ("code", code),
        (
            "redirect_uri",
            &format!("{}{}", settings.issuer, metadata::CALLBACK),
        ),
        (
            "code_verifier",
            &settings.seal.derive("pkce", sid.as_bytes()),
        ),
    ]
    .iter()
    .map(|(k, v)| format!("{k}={}", form::encode(v)))
    .collect::<Vec<_>>()
    .join("&");
    let r = host
        .fetch(FetchRequest {
            method: "POST".into(),
            url: endpoints.token_endpoint.clone(),
            headers: vec![
                (
                    "content-type".into(),
                    "application/x-www-form-urlencoded".into(),
                ),
                ("accept".into(), "application/json".into()),
                ("authorization".into(), format!("Basic {credentials}")),
            ],
            body: Some(body.into_bytes()),
        })
        .await
        .map_err(|e| format!("its token endpoint: {e}"))?;
    let answer = r.tree().unwrap_or(Value::Null);
    if r.status != 200 {
        return Err(format!(
            "its token endpoint answered HTTP {}: {}",
            r.status,
            answer
                .get("error")
                .and_then(Value::as_str)
                .unwrap_or("no error code")
        ));
    }
    let id_token = answer
        .get("id_token")
        .and_then(Value::as_str)
        .ok_or("its token response has no id_token")?;
    let principal = verify_jwt(&endpoints.id_tokens, id_token, now, host)
        .await
        .map_err(|r| format!("its ID token was refused: {}", r.error))?;
    let claims = &principal.claims;
    let nonce = settings.seal.derive("nonce", sid.as_bytes());
    let sent = claims.get("nonce").and_then(Value::as_str).unwrap_or("");
    if !crate::oauth::constant_time_eq(sent.as_bytes(), nonce.as_bytes()) {
        return Err("its ID token's nonce is not the one sent".into());
    }
    // OpenID Connect Core §3.1.3.7: with several audiences, `azp` names us.
    if claims
        .get("aud")
        .and_then(Value::as_array)
        .is_some_and(|a| a.len() > 1)
        && claims.get("azp").and_then(Value::as_str) != Some(settings.upstream.client_id.as_str())
    {
        return Err("its ID token has several audiences and no azp naming this server".into());
    }
    let subject = principal
        .subject
        .clone()
        .filter(|s| !s.is_empty())
        .ok_or("its ID token has no sub")?;
    let text = |name: &str| claims.get(name).and_then(Value::as_str).map(str::to_owned);
    let email = text("email");
    // A provider that does not say the address is verified has not verified it.
    let verified = claims.get("email_verified").and_then(Value::as_bool) == Some(true);
    if !settings
        .allowed
        .admits(&subject, email.as_deref(), verified)
    {
        host.console(
            Severity::Warning,
            &format!(
                "a person not on OAUTH_ALLOWED_USERS signed in (subject {})",
                crate::protocol::jsonrpc::echo(&subject)
            ),
        );
        return Ok(None);
    }
    Ok(Some(User {
        subject,
        email: email.filter(|_| verified),
        name: text("name"),
    }))
}

async fn consent(settings: &Settings, req: &HttpRequest, now: i64, host: &dyn Host) -> Response {
    // Only this server's own page may post the decision: a form on another site has
    // another Origin (and, with SameSite=Lax, no cookie either).
    let foreign = req
        .header("origin")
        .is_some_and(|o| o != crate::http::origin_of(&settings.issuer))
        || req
            .header("sec-fetch-site")
            .is_some_and(|s| s != "same-origin");
    if foreign {
        return error_page(
            403,
            "Refused",
            "The consent form was sent from another site.",
        );
    }
    let body = match &req.body {
        crate::http::Body::Bytes(b) => b.as_slice(),
        crate::http::Body::TooLarge => &[],
    };
    let Ok(form) = Form::parse(body) else {
        return error_page(400, "Refused", "The consent form cannot be read.");
    };
    let field = |name: &str| form.get(name).ok().flatten().unwrap_or("");
    let sid = field("session");
    let Some(session) = open_session(settings, req, sid, now) else {
        return error_page(400, "Sign-in failed", SESSION_LOST);
    };
    let Some(user) = session.user.clone() else {
        return error_page(400, "Sign-in failed", SESSION_LOST);
    };
    let csrf = settings.seal.derive("consent", sid.as_bytes());
    if !crate::oauth::constant_time_eq(field("csrf").as_bytes(), csrf.as_bytes()) {
        return error_page(
            403,
            "Refused",
            "The consent form was not the one this server showed.",
        );
    }
    let clear = session_cookie(settings, sid, "", 0);
    let request = &session.request;
    match field("decision") {
        "approve" => {}
        "deny" => {
            return redirect(303, request.deny().location(&settings.issuer))
                .with("set-cookie", clear)
        }
        _ => return error_page(400, "Refused", "Choose Allow or Deny."),
    }
    let Some(channel) = host.grants(settings.grants_binding) else {
        return error_page(
            500,
            "Sign-in failed",
            "This server keeps no grants (its Durable Object binding is missing).",
        );
    };
    let id = grant_id_for(&settings.seal, sid);
    let mut props = Map::new();
    if let Some(e) = &user.email {
        props.insert("email".into(), e.clone().into());
    }
    if let Some(n) = &user.name {
        props.insert("name".into(), n.clone().into());
    }
    let grant = NewGrant {
        id,
        client_id: request.client_id().to_owned(),
        subject: user.subject.clone(),
        upstream: Upstream {
            issuer: settings.upstream.issuer.clone(),
            subject: user.subject.clone(),
            props,
        },
        scopes: request.scopes().to_vec(),
        resource: request
            .resource()
            .unwrap_or(&settings.resources[0])
            .to_owned(),
        redirect_uri: request.redirect_uri().to_owned(),
        redirect_uri_sent: request.redirect_uri_sent(),
        code_challenge: request.code_challenge().to_owned(),
        code_challenge_method: "S256".into(),
        refresh: session.refresh,
        lifetimes: Lifetimes::default(),
    };
    match objects::create(&*channel, &grant).await {
        Ok(code) => redirect(303, request.success_location(&code, &settings.issuer))
            .with("set-cookie", clear),
        // The same consent posted again (a second click, a replayed form): its grant,
        // named by the session, exists already, and its code went back the first time.
        Err(f) if f.exists => error_page(
            409,
            "Already answered",
            "This sign-in was answered already. Go back to the application.",
        )
        .with("set-cookie", clear),
        Err(f) => {
            log_failure(host, &f);
            redirect(
                303,
                request.after_consent(f.error).location(&settings.issuer),
            )
            .with("set-cookie", clear)
        }
    }
}

fn log_failure(host: &dyn Host, f: &Failed) {
    if let Some(line) = &f.log {
        host.console(Severity::Error, &format!("a grant object failed: {line}"));
    }
}

// ---------------------------------------------------------------------------------------
// The token, registration and revocation endpoints

fn json_answer(status: u16, body: String) -> Response {
    Response::new(status)
        .with("content-type", "application/json")
        .with("cache-control", "no-store")
        .with_body(body.into_bytes())
}

fn oauth_error(error: &OAuthError, basic_auth: bool) -> Response {
    let e = error.token_response(basic_auth);
    let mut r = json_answer(e.status, e.body);
    if let Some(w) = e.www_authenticate {
        r = r.with("www-authenticate", w);
    }
    r.log.reason = Some(error.description.clone());
    r
}

fn body_of(req: &HttpRequest) -> Option<&[u8]> {
    match &req.body {
        crate::http::Body::Bytes(b) => Some(b),
        crate::http::Body::TooLarge => None,
    }
}

/// The client a token or revocation request authenticates as, checked: its secret, or
/// its assertion.
async fn authenticated_client(
    settings: &Settings,
    auth: &ClientAuth,
    now: i64,
    host: &dyn Host,
) -> Result<Client, OAuthError> {
    let invalid_client = |d: &str| OAuthError::new(ErrorCode::InvalidClient, d);
    // RFC 7523 §3: without a `client_id`, the client is the assertion's subject (read
    // unverified here only to find the client whose keys then verify it).
    let client_id = match (auth.client_id(), auth) {
        (Some(id), _) => id.to_owned(),
        (None, ClientAuth::PrivateKeyJwt { assertion, .. }) => {
            unverified_subject(assertion.expose()).ok_or_else(|| {
                invalid_client("the client assertion names no client (sub); send client_id")
            })?
        }
        (None, _) => return Err(invalid_client("send client_id")),
    };
    let client = resolve_client(settings, &client_id, now, host)
        .await
        .map_err(|e| e.oauth_error())?;
    request::check_client_auth(auth, &ClientView::of(&client, true))?;
    match auth {
        ClientAuth::ClientSecretBasic { client_secret, .. }
        | ClientAuth::ClientSecretPost { client_secret, .. } => {
            if !client.secret_matches(client_secret.expose()) {
                return Err(invalid_client("the client secret is wrong"));
            }
        }
        ClientAuth::PrivateKeyJwt { assertion, .. } => {
            verify_assertion(settings, &client, assertion.expose(), now, host).await?;
        }
        ClientAuth::None { .. } => {}
    }
    Ok(client)
}

/// The `sub` of a JWT's payload, not verified.
fn unverified_subject(jwt: &str) -> Option<String> {
    let payload = jwt.split('.').nth(1)?;
    let bytes = Base64UrlUnpadded::decode_vec(payload).ok()?;
    let claims: Value = serde_json::from_slice(&bytes).ok()?;
    claims.get("sub")?.as_str().map(str::to_owned)
}

/// Checks a `private_key_jwt` client assertion (RFC 7523 §3; RFC 7521 §4.2): its
/// signature by one of the client's keys (its `jwks`, or its `jwks_uri` fetched and kept
/// as long as the answer's caching allows, within bounds), its claims
/// (`client::check_assertion_claims`: the client as `iss` and `sub`, this server's token
/// endpoint or issuer as `aud`, a short life, a `jti`), and that this isolate has not
/// seen its `jti` before. The replay memory is per isolate, so best effort; what keeps a
/// replayed assertion from being worth anything is that codes and refresh tokens work
/// once.
async fn verify_assertion(
    settings: &Settings,
    client: &Client,
    assertion: &str,
    now: i64,
    host: &dyn Host,
) -> Result<(), OAuthError> {
    let invalid_client = |d: String| OAuthError::new(ErrorCode::InvalidClient, d);
    let keys = match &client.keys {
        Some(client::ClientKeys::Set(set)) => set.to_string(),
        Some(client::ClientKeys::Uri(url)) => match settings.client_keys.get(url, now) {
            Some(text) => text,
            None => {
                // As a metadata document is: no redirect followed (the URL passed the
                // fetch checks, a redirect's target has not), a bounded body, a time limit.
                let unavailable = |why: String| {
                    host.console(
                        Severity::Warning,
                        &format!(
                            "a client's jwks_uri {} could not be fetched: {why}",
                            crate::protocol::jsonrpc::echo(url)
                        ),
                    );
                    OAuthError::new(
                        ErrorCode::TemporarilyUnavailable,
                        "the client's jwks_uri could not be fetched; try again shortly",
                    )
                };
                let doc = host
                    .fetch_document(url, crate::auth::jwks::MAX_BYTES)
                    .await
                    .map_err(unavailable)?;
                if doc.status != 200 || doc.redirected {
                    return Err(unavailable(format!("HTTP {}", doc.status)));
                }
                let text = String::from_utf8(doc.body).map_err(|_| {
                    invalid_client(
                        "the client's jwks_uri holds no usable keys: it is not UTF-8 JSON".into(),
                    )
                })?;
                // Only a key set that reads is kept.
                crate::auth::keys::KeySet::parse(&text).map_err(|e| {
                    invalid_client(format!("the client's jwks_uri holds no usable keys: {e}"))
                })?;
                let secs = crate::auth::jwks::max_age(doc.cache_control.as_deref())
                    .unwrap_or(300)
                    .clamp(60, 3600);
                settings
                    .client_keys
                    .put(url.clone(), text.clone(), now + secs, now);
                text
            }
        },
        None => {
            return Err(invalid_client(
                "this client has no keys (jwks or jwks_uri) to verify its assertion".into(),
            ))
        }
    };
    let (set, _) = crate::auth::keys::KeySet::parse(&keys)
        .map_err(|e| invalid_client(format!("the client's keys are unusable: {e}")))?;
    let token_endpoint = format!("{}{}", settings.issuer, metadata::TOKEN);
    let verifier = Authenticator::new(
        Some(set),
        None,
        ClaimPolicy {
            audiences: vec![token_endpoint.clone(), settings.issuer.clone()],
            issuer: Some(client.client_id.clone()),
            required_scopes: Vec::new().into(),
            leeway_secs: client::ASSERTION_LEEWAY,
        },
    );
    let principal = verify_jwt(&verifier, assertion, now, host)
        .await
        .map_err(|r| invalid_client(format!("the client assertion was refused: {}", r.error)))?;
    let checked = client::check_assertion_claims(
        &Value::Object(principal.claims.clone()),
        &client.client_id,
        &[&token_endpoint, &settings.issuer],
        now,
    )
    .map_err(invalid_client)?;
    settings
        .assertions
        .first_use(&client.client_id, &checked.jti, checked.exp, now)
        .map_err(|why| invalid_client(why.into()))
}

async fn token_endpoint(
    settings: &Settings,
    req: &HttpRequest,
    now: i64,
    host: &dyn Host,
) -> Response {
    let Some(body) = body_of(req) else {
        return oauth_error(&OAuthError::invalid_request("the body is too large"), false);
    };
    let unchecked = match request::read_token(body, req.header("authorization")) {
        Ok(u) => u,
        Err(e) => return oauth_error(&e, req.header("authorization").is_some()),
    };
    let basic = unchecked.client.used_header();
    let client = match authenticated_client(settings, &unchecked.client, now, host).await {
        Ok(c) => c,
        Err(e) => return oauth_error(&e, basic),
    };
    let token_request =
        match unchecked.check(&ClientView::of(&client, true), &server_view(settings)) {
            Ok(t) => t,
            Err(e) => return oauth_error(&e, basic),
        };
    let Some(channel) = host.grants(settings.grants_binding) else {
        return oauth_error(
            &OAuthError::new(ErrorCode::ServerError, "this server keeps no grants"),
            basic,
        );
    };
    let authenticated = token_request.client.method() != client::AuthMethod::None;
    let invalid_grant =
        |what: &str| OAuthError::new(ErrorCode::InvalidGrant, format!("the {what} is not valid"));
    let granted = match &token_request.grant {
        Grant::AuthorizationCode {
            code,
            redirect_uri,
            code_verifier,
        } => {
            let Some(code) = OpaqueToken::parse(code.expose())
                .filter(|c| is_our_grant(&settings.seal, c.grant_id()))
            else {
                return oauth_error(&invalid_grant("code"), basic);
            };
            objects::redeem(
                &*channel,
                &Redemption {
                    code,
                    client_id: client.client_id.clone(),
                    client_authenticated: authenticated,
                    redirect_uri: redirect_uri.clone(),
                    code_verifier: code_verifier.expose().to_owned(),
                    resource: token_request.resource.clone(),
                },
            )
            .await
        }
        Grant::RefreshToken {
            refresh_token,
            scope,
        } => {
            let Some(token) = OpaqueToken::parse(refresh_token.expose())
                .filter(|t| is_our_grant(&settings.seal, t.grant_id()))
            else {
                return oauth_error(&invalid_grant("refresh token"), basic);
            };
            objects::refresh(
                &*channel,
                &Refresh {
                    token,
                    client_id: client.client_id.clone(),
                    client_authenticated: authenticated,
                    scopes: scope.clone(),
                    resource: token_request.resource.clone(),
                },
            )
            .await
        }
    };
    let granted = match granted {
        Ok(g) => g,
        Err(f) => {
            log_failure(host, &f);
            return oauth_error(&f.error, basic);
        }
    };
    let claims = match AccessClaims::for_grant(&settings.issuer, &granted, now, ACCESS_TOKEN_SECS) {
        Ok(c) => c,
        Err(e) => {
            return oauth_error(
                &OAuthError::new(ErrorCode::ServerError, e.to_string()),
                basic,
            )
        }
    };
    let access_token = match token::mint(&claims, &settings.keys, host.signer()).await {
        Ok(t) => t,
        Err(e) => {
            host.console(
                Severity::Error,
                &format!("signing an access token failed: {e}"),
            );
            return oauth_error(
                &OAuthError::new(
                    ErrorCode::ServerError,
                    "the access token could not be signed",
                ),
                basic,
            );
        }
    };
    let mut answer = json!({
        "access_token": access_token,
        "token_type": "Bearer",
        "expires_in": claims.expires_in(),
    });
    if let Some(scope) = &claims.scope {
        answer["scope"] = scope.clone().into();
    }
    if let Some(refresh) = &granted.refresh_token {
        answer["refresh_token"] = refresh.reveal().into();
    }
    json_answer(200, answer.to_string()).with("pragma", "no-cache")
}

async fn register(settings: &Settings, req: &HttpRequest, now: i64, host: &dyn Host) -> Response {
    let refuse = |e: client::RegistrationError| {
        let mut r = json_answer(400, e.to_json().to_string());
        r.log.reason = Some(e.description.clone());
        r
    };
    if over_address_limit(req, host).await {
        return json_answer(
            429,
            json!({"error": "too_many_requests", "error_description": "too many registrations from this address; try again in a minute"}).to_string(),
        )
        .with("retry-after", "60");
    }
    let Some(body) = body_of(req) else {
        return refuse(client::RegistrationError::metadata("the body is too large"));
    };
    let registration = match client::read_registration(body, settings.fetch_policy) {
        Ok(r) => r,
        Err(e) => return refuse(e),
    };
    let Ok(mut issued) = registration.issue(now) else {
        return json_answer(
            500,
            OAuthError::new(ErrorCode::ServerError, "no random number").json_body(),
        );
    };
    // Nothing is stored: the id is the registration, sealed, and comes back with every
    // request, so registrations cannot fill any storage.
    let id = settings
        .seal
        .seal(CLIENT_SEAL, &issued.client.to_record(), i64::MAX);
    if id.len() > request::MAX_CLIENT_ID_LEN {
        return refuse(client::RegistrationError::metadata(
            "the registration is too large to issue a client_id for; send fewer or shorter redirect URIs and names",
        ));
    }
    issued.client.client_id = id;
    json_answer(201, issued.response().to_string())
}

async fn revoke(settings: &Settings, req: &HttpRequest, now: i64, host: &dyn Host) -> Response {
    let Some(body) = body_of(req) else {
        return oauth_error(&OAuthError::invalid_request("the body is too large"), false);
    };
    let revocation = match request::read_revocation(body, req.header("authorization")) {
        Ok(r) => r,
        Err(e) => return oauth_error(&e, req.header("authorization").is_some()),
    };
    let basic = revocation.client.used_header();
    let client = match authenticated_client(settings, &revocation.client, now, host).await {
        Ok(c) => c,
        Err(e) => return oauth_error(&e, basic),
    };
    let authenticated = revocation.client.method() != client::AuthMethod::None;
    let Some(channel) = host.grants(settings.grants_binding) else {
        return oauth_error(
            &OAuthError::new(ErrorCode::ServerError, "this server keeps no grants"),
            basic,
        );
    };
    let token = revocation.token.expose();
    // A refresh token is `<grant id>.<secret>`; an access token is a JWT: the shapes
    // differ, so the hint is not needed to tell them apart (RFC 7009 §2.1).
    let _ = TokenTypeHint::AccessToken;
    let outcome = if let Some(refresh) = OpaqueToken::parse(token) {
        if is_our_grant(&settings.seal, refresh.grant_id()) {
            objects::revoke(&*channel, &refresh, &client.client_id, authenticated)
                .await
                .map(|_| ())
        } else {
            Ok(())
        }
    } else {
        match access_claims(&settings.own_tokens, token, now, host).await {
            Some(claims) => match claims.grant_id() {
                Some(grant)
                    if claims.client_id == client.client_id
                        && is_our_grant(&settings.seal, &grant) =>
                {
                    objects::revoke_access_token(&*channel, &grant, &claims, authenticated)
                        .await
                        .map(|_| ())
                }
                // Another client's token is not this client's to revoke; unknown answers
                // the same as revoked (RFC 7009 §2.2).
                _ => Ok(()),
            },
            None => Ok(()),
        }
    };
    match outcome {
        Ok(()) => json_answer(200, "{}".into()),
        Err(f) if f.error.code == ErrorCode::InvalidGrant => json_answer(200, "{}".into()),
        Err(f) => {
            log_failure(host, &f);
            oauth_error(&f.error, basic)
        }
    }
}

/// Verifies a JWT (an ID token, a client assertion, one of our access tokens) with
/// `auth` as the pipeline verifies a bearer token, the key set fetched first when one is
/// due (`access::refresh_keys`).
async fn verify_jwt(
    auth: &Authenticator,
    jwt: &str,
    now: i64,
    host: &dyn Host,
) -> Result<Arc<crate::auth::Principal>, crate::auth::Refused> {
    let header = format!("Bearer {jwt}");
    super::access::refresh_keys(auth, Some(&header), now, host).await;
    auth.check_credentials(&Credentials::read(Some(&header)), now, host.verifier())
        .await
        .map(|a| a.principal)
}

/// The claims of an access token this server issued, verified, or `None`.
async fn access_claims(
    verifier: &Authenticator,
    token: &str,
    now: i64,
    host: &dyn Host,
) -> Option<AccessClaims> {
    let principal = verify_jwt(verifier, token, now, host).await.ok()?;
    AccessClaims::from_json(&Value::Object(principal.claims.clone()))
}
