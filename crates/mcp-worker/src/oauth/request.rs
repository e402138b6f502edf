//! The authorization, token and revocation requests, read into typed values, each problem
//! answered with the OAuth error its specification names.
//!
//! Reading happens in two stages where the answer depends on the client:
//! 1. `read_*`: what can be checked from the request alone (syntax, required parameters,
//!    one client authentication method), before any lookup.
//! 2. `check`: the request against the client it names ([`ClientView`]: its redirect URIs,
//!    grant types, authentication methods and whether its redirect is trusted before
//!    consent) and against the server ([`ServerView`]: its resources and scopes).
//!
//! Secrets (client secrets, codes, refresh tokens, verifiers, assertions) are held as
//! [`Secret`]s, which never print, and no error description repeats one.

use std::fmt;

use serde::Serialize;
use serde_json::Value;

use super::client::{AuthMethod, Client, GrantType};
use super::error::{AuthorizeError, ErrorCode, ErrorRedirect, OAuthError};
use super::form::{self, Form};
use super::json::{read_struct, FromJson};
use super::{pkce, redirect};
use crate::protocol::jsonrpc::echo;

/// The longest `client_id` read: a Client ID Metadata Document's URL is the longest kind.
pub const MAX_CLIENT_ID_LEN: usize = redirect::MAX_LEN;

/// The longest `resource` read (RFC 8707 §2).
pub const MAX_RESOURCE_LEN: usize = redirect::MAX_LEN;

/// The `client_assertion_type` of private_key_jwt (RFC 7523 §2.2).
pub const JWT_BEARER: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

/// The OpenID Connect scopes hosts add on their own when an authorization server lists
/// them, or just in case (../reference/connectors.md: "a server must never require
/// them"). A request naming them is never refused for it, and they are never granted:
/// this server issues no ID tokens and has no userinfo endpoint, so `openid`, `profile`
/// and `email` would grant nothing, and a refresh token does not hang on
/// `offline_access` (see [`ServerView::scopes`]).
pub const OIDC_SCOPES: [&str; 4] = ["openid", "profile", "email", "offline_access"];

/// A credential from a request: a client secret, code, refresh token, PKCE verifier or
/// client assertion. It is never printed (`Debug` hides it) and has no `==`, so a
/// comparison of it is written on purpose (in constant time, or of its hash).
#[derive(Clone)]
pub struct Secret(String);

impl Secret {
    /// A credential read from elsewhere (a worker secret).
    pub fn new(value: String) -> Secret {
        Secret(value)
    }

    /// The credential itself, to verify or hash.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(..)")
    }
}

/// The client authentication a token or revocation request carries, read but not yet
/// verified: the secret and the assertion are checked elsewhere.
#[derive(Clone, Debug)]
pub enum ClientAuth {
    /// A public client, named by `client_id` in the body.
    None {
        /// The `client_id`.
        client_id: String,
    },
    /// `Authorization: Basic`, its two halves form-decoded (OAuth 2.1 §2.4.1).
    ClientSecretBasic {
        /// The `client_id`.
        client_id: String,
        /// The client secret.
        client_secret: Secret,
    },
    /// `client_id` and `client_secret` in the body (OAuth 2.1 §2.4.1).
    ClientSecretPost {
        /// The `client_id`.
        client_id: String,
        /// The client secret.
        client_secret: Secret,
    },
    /// `client_assertion_type` [`JWT_BEARER`] and `client_assertion` (RFC 7523 §2.2).
    PrivateKeyJwt {
        /// The body's `client_id`, which RFC 7523 §3 makes optional: without it the client
        /// is the assertion's `sub`.
        client_id: Option<String>,
        /// The signed JWT.
        assertion: Secret,
    },
}

impl ClientAuth {
    /// The method used.
    pub fn method(&self) -> AuthMethod {
        match self {
            ClientAuth::None { .. } => AuthMethod::None,
            ClientAuth::ClientSecretBasic { .. } => AuthMethod::ClientSecretBasic,
            ClientAuth::ClientSecretPost { .. } => AuthMethod::ClientSecretPost,
            ClientAuth::PrivateKeyJwt { .. } => AuthMethod::PrivateKeyJwt,
        }
    }

    /// The client the request names, if it names one outside an assertion.
    pub fn client_id(&self) -> Option<&str> {
        match self {
            ClientAuth::None { client_id }
            | ClientAuth::ClientSecretBasic { client_id, .. }
            | ClientAuth::ClientSecretPost { client_id, .. } => Some(client_id),
            ClientAuth::PrivateKeyJwt { client_id, .. } => client_id.as_deref(),
        }
    }

    /// Whether the credentials came in the Authorization header: an `invalid_client`
    /// answer then carries `WWW-Authenticate` ([`OAuthError::token_response`]).
    pub fn used_header(&self) -> bool {
        matches!(self, ClientAuth::ClientSecretBasic { .. })
    }
}

/// What stage 2 needs to know of a client, from its registration or its metadata
/// document ([`ClientView::of`] builds it from a [`Client`]).
#[derive(Clone, Copy, Debug)]
pub struct ClientView<'a> {
    /// The client's id.
    pub client_id: &'a str,
    /// Its registered redirect URIs, each already checked by
    /// [`redirect::check_registered`].
    pub redirect_uris: &'a [String],
    /// Its grant types, defaults applied.
    pub grant_types: &'a [GrantType],
    /// Every token endpoint authentication method it may use: its registered one, and
    /// `none` too for a `private_key_jwt` client whose document also lists it
    /// ([`Client::auth_methods`]).
    pub auth_methods: &'a [AuthMethod],
    /// Whether its redirect may be followed before the person has consented: decided by
    /// the caller, true for a redirect host on the operator's allowlist or a loopback
    /// redirect ([`redirect::is_loopback`]). For an untrusted client, anyone who can
    /// register a redirect URI or publish a metadata document, an error before consent
    /// is shown on the server's page with a link, never a `Location` the browser follows
    /// unasked (OAuth 2.1 §7.12.2, RFC 9700 §4.11.2).
    pub trusted: bool,
}

impl<'a> ClientView<'a> {
    /// The view of `client`; `trusted` as for [`ClientView::trusted`].
    pub fn of(client: &'a Client, trusted: bool) -> Self {
        ClientView {
            client_id: &client.client_id,
            redirect_uris: &client.redirect_uris,
            grant_types: &client.grant_types,
            auth_methods: client.auth_methods(),
            trusted,
        }
    }

    fn allows(&self, grant_type: GrantType) -> bool {
        self.grant_types.contains(&grant_type)
    }
}

/// What stage 2 needs to know of this server.
#[derive(Clone, Copy, Debug)]
pub struct ServerView<'a> {
    /// The resources this server issues tokens for: its MCP endpoints' URLs exactly as
    /// their protected resource metadata names them (RFC 9728 §2 `resource`), a trailing
    /// slash and all, since Claude compares them with the URL the user typed.
    pub resources: &'a [String],
    /// The scopes this server grants (`scopes_supported`).
    ///
    /// A request naming none of them (no `scope`, or only [`OIDC_SCOPES`]) is granted all
    /// of them: RFC 6749 §3.3 lets the server apply "a pre-defined default value", and
    /// MCP's `scopes_supported` is "the minimal set of scopes necessary for basic
    /// functionality", what a host would have asked for.
    ///
    /// A request naming any other scope is refused with `invalid_scope`, naming these,
    /// rather than granted without it (which RFC 6749 §3.3 also allows). Hosts take the
    /// scopes to ask for from the server's own 401 or metadata, so an unknown one means
    /// the resource and the authorization server disagree; granted without it, the
    /// host's token would fail later with `insufficient_scope`, and its step-up would ask
    /// for the same scope again, a loop far from the cause. Refused, the user sees the
    /// mismatch at sign-in, with the list that fixes it.
    ///
    /// `offline_access` is not what decides whether a refresh token is issued: MCP
    /// servers SHOULD NOT list it in their metadata (MCP 2026-07-28 authorization,
    /// "Refresh Tokens"), so most hosts never ask for it, yet every host wants to stay
    /// signed in. The client's `refresh_token` grant type decides.
    pub scopes: &'a [String],
}

impl ServerView<'_> {
    /// The configured resource that `resource` names: the same string, but for the case
    /// of its scheme and host, which MCP asks servers to accept in any case (MCP
    /// 2026-07-28 authorization, "Canonical Server URI"; RFC 3986 §6.2.2.1).
    fn resource(&self, resource: &str) -> Option<&str> {
        self.resources
            .iter()
            .find(|ours| same_resource(ours, resource))
            .map(String::as_str)
    }
}

/// Whether two absolute URIs are equal but for the case of the scheme and the authority.
fn same_resource(a: &str, b: &str) -> bool {
    fn split(uri: &str) -> (&str, &str) {
        let end = uri
            .find("://")
            .map(|i| {
                let after = i + 3;
                after + uri[after..].find(['/', '?']).unwrap_or(uri.len() - after)
            })
            .unwrap_or(0);
        uri.split_at(end)
    }
    let (a_head, a_rest) = split(a);
    let (b_head, b_rest) = split(b);
    a_head.eq_ignore_ascii_case(b_head) && a_rest == b_rest
}

/// Client text for a description: cut by [`echo`], each control character a `?`, so that
/// a description holds none (they would be `?` on the wire anyway, OAuth 2.1 §4.1.2.1)
/// and a log or page shows it on one line.
fn shown(text: &str) -> String {
    echo(text)
        .chars()
        .map(|c| if c.is_control() { '?' } else { c })
        .collect()
}

fn invalid_request(description: impl Into<String>) -> OAuthError {
    OAuthError::invalid_request(description)
}

fn required<'f>(form: &'f Form, name: &str) -> Result<&'f str, OAuthError> {
    form.get(name)?
        .ok_or_else(|| invalid_request(format!("the parameter '{name}' is required")))
}

/// A `client_id`'s syntax: not too long, no control characters or spaces.
fn check_client_id(client_id: &str) -> Result<(), OAuthError> {
    if client_id.len() > MAX_CLIENT_ID_LEN {
        return Err(invalid_request(format!(
            "client_id is at most {MAX_CLIENT_ID_LEN} characters"
        )));
    }
    if client_id
        .chars()
        .any(|c| c.is_control() || c.is_whitespace())
    {
        return Err(invalid_request(
            "client_id holds no space or control character",
        ));
    }
    Ok(())
}

/// The request's one `resource` (RFC 8707 §2): an absolute URI without a fragment. Sent
/// twice with the same value it is one; two different resources are refused, since a
/// grant here is for one resource, its tokens' audience. Absent: `None` (the conformance
/// suite's client sends none), and the token gets the server's default audience
/// (RFC 9068 §3).
fn read_resource(form: &Form) -> Result<Option<String>, OAuthError> {
    let mut values = form.all("resource");
    let Some(first) = values.next() else {
        return Ok(None);
    };
    if values.any(|v| v != first) {
        return Err(OAuthError::new(
            ErrorCode::InvalidTarget,
            "send one resource: a token here is for one MCP server",
        ));
    }
    let scheme_ok = first.split_once(':').is_some_and(|(scheme, _)| {
        scheme
            .bytes()
            .next()
            .is_some_and(|b| b.is_ascii_alphabetic())
            && scheme
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"+-.".contains(&b))
    });
    let problem = if first.len() > MAX_RESOURCE_LEN {
        Some(format!("is at most {MAX_RESOURCE_LEN} characters"))
    } else if !scheme_ok {
        Some("is an absolute URI, such as https://host/mcp".to_owned())
    } else if first.contains('#') {
        Some("has no fragment ('#')".to_owned())
    } else if first.chars().any(|c| c.is_control() || c.is_whitespace()) {
        Some("holds no space or control character".to_owned())
    } else {
        None
    };
    match problem {
        Some(p) => Err(OAuthError::new(
            ErrorCode::InvalidTarget,
            format!("the resource '{}' {p} (RFC 8707 section 2)", shown(first)),
        )),
        None => Ok(Some(first.to_owned())),
    }
}

/// Checks that `resource`, if any, is one of the server's, and returns the server's own
/// spelling of it.
fn check_resource(
    server: &ServerView,
    resource: Option<String>,
) -> Result<Option<String>, OAuthError> {
    let Some(resource) = resource else {
        return Ok(None);
    };
    match server.resource(&resource) {
        Some(ours) => Ok(Some(ours.to_owned())),
        None => Err(OAuthError::new(
            ErrorCode::InvalidTarget,
            format!(
                "this server issues no tokens for the resource '{}'; send the URL of its MCP endpoint as its protected resource metadata names it{}",
                shown(&resource),
                match server.resources {
                    [one] => format!(" ({one})"),
                    _ => String::new(),
                }
            ),
        )),
    }
}

/// A `scope` value split on spaces (RFC 6749 §3.3, OAuth 2.1 §1.4.1): each token of
/// printable ASCII other than `"` and `\`, repeats dropped, order kept. Runs of spaces
/// are read as one.
fn read_scope(raw: &str) -> Result<Vec<String>, OAuthError> {
    let mut scopes: Vec<String> = Vec::new();
    for token in raw.split(' ').filter(|t| !t.is_empty()) {
        let ok = token
            .bytes()
            .all(|b| b == 0x21 || (0x23..=0x5b).contains(&b) || (0x5d..=0x7e).contains(&b));
        if !ok {
            return Err(OAuthError::new(
                ErrorCode::InvalidScope,
                format!(
                    "the scope '{}' holds a character scopes may not: scopes are printable ASCII without '\"' or '\\', separated by spaces",
                    shown(token)
                ),
            ));
        }
        if !scopes.iter().any(|s| s == token) {
            scopes.push(token.to_owned());
        }
    }
    Ok(scopes)
}

/// The scopes to grant for a requested list (see [`ServerView::scopes`]).
fn grant_scopes(requested: &[String], server: &ServerView) -> Result<Vec<String>, OAuthError> {
    let asked: Vec<&String> = requested
        .iter()
        .filter(|s| !OIDC_SCOPES.contains(&s.as_str()))
        .collect();
    if asked.is_empty() {
        return Ok(server.scopes.to_vec());
    }
    if let Some(unknown) = asked.iter().find(|s| !server.scopes.contains(s)) {
        let supported = if server.scopes.is_empty() {
            "this server defines no scopes; ask for none".to_owned()
        } else {
            format!("this server grants: {}", server.scopes.join(" "))
        };
        return Err(OAuthError::new(
            ErrorCode::InvalidScope,
            format!(
                "the scope '{}' is unknown; {supported} (openid, profile, email and offline_access are accepted and not granted)",
                shown(unknown)
            ),
        ));
    }
    Ok(asked.into_iter().cloned().collect())
}

// ---------------------------------------------------------------------------------------
// The authorization request (OAuth 2.1 §4.1.1)

/// An authorization request after stage 1: the client it names, where errors may go, and
/// the rest read (or the error to send there once the redirect URI is known good).
#[derive(Clone, Debug)]
pub struct UncheckedAuthorization {
    client_id: String,
    redirect_uri: Option<String>,
    state: Option<String>,
    rest: Result<AuthorizationParams, OAuthError>,
}

/// The parameters whose errors are redirected.
#[derive(Clone, Debug)]
struct AuthorizationParams {
    code_challenge: String,
    scope: Vec<String>,
    resource: Option<String>,
}

/// An authorization request, checked against its client and the server: what the
/// consent page shows and the code is bound to (OAuth 2.1 §4.1.2).
///
/// Its fields are read through methods and set only by [`UncheckedAuthorization::check`],
/// since its redirect URI is where [`AuthorizationRequest::success_location`] and
/// [`AuthorizationRequest::deny`] send the browser. It holds no secret (the challenge is
/// a hash), so it may be kept in serialized form while the person signs in upstream; it
/// must be read back only from the server's own storage or from an integrity-protected
/// value (RFC 9700 §4.7), not from the request.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct AuthorizationRequest {
    client_id: String,
    redirect_uri: String,
    redirect_uri_sent: bool,
    state: Option<String>,
    code_challenge: String,
    scopes: Vec<String>,
    resource: Option<String>,
}

/// Read back from what its `Serialize` wrote; a field of anything else makes it no
/// request of ours.
impl FromJson for AuthorizationRequest {
    fn from_json(v: &Value) -> Option<Self> {
        read_struct!(only v, AuthorizationRequest {
            client_id,
            redirect_uri,
            redirect_uri_sent,
            state,
            code_challenge,
            scopes,
            resource,
        })
    }
}

impl AuthorizationRequest {
    /// The client.
    pub fn client_id(&self) -> &str {
        &self.client_id
    }

    /// Where to send the response: the request's `redirect_uri` (a loopback one with the
    /// port the client sent), or the client's only registered one when it sent none
    /// (OAuth 2.1 §2.3.2).
    pub fn redirect_uri(&self) -> &str {
        &self.redirect_uri
    }

    /// Whether the request named `redirect_uri`: the token request must then name the same
    /// (OAuth 2.1 §4.1.3, §10.2).
    pub fn redirect_uri_sent(&self) -> bool {
        self.redirect_uri_sent
    }

    /// The `state`, verbatim, to return with the code (OAuth 2.1 §4.1.2).
    pub fn state(&self) -> Option<&str> {
        self.state.as_deref()
    }

    /// The S256 `code_challenge` (RFC 7636 §4.3).
    pub fn code_challenge(&self) -> &str {
        &self.code_challenge
    }

    /// The scopes to grant (see [`ServerView::scopes`]).
    pub fn scopes(&self) -> &[String] {
        &self.scopes
    }

    /// The resource the tokens are for, as the server spells it (RFC 8707 §2).
    pub fn resource(&self) -> Option<&str> {
        self.resource.as_deref()
    }

    /// Where the redirect goes, for the consent page to name (MCP 2026-07-28
    /// authorization: the redirect host MUST be shown).
    pub fn destination(&self) -> &str {
        super::error::destination(&self.redirect_uri)
    }

    /// The success response's `Location`: the redirect URI with `code`, the `state` when
    /// the request had one, and `iss`, the server's issuer exactly as its metadata says
    /// (OAuth 2.1 §4.1.2, RFC 9207 §2), form-encoded onto any query it already has.
    pub fn success_location(&self, code: &str, issuer: &str) -> String {
        let mut params = vec![("code", code)];
        if let Some(state) = &self.state {
            params.push(("state", state));
        }
        params.push(("iss", issuer));
        form::append_query(&self.redirect_uri, &params)
    }

    /// The person declined on the consent page: `access_denied`, redirected to the client
    /// whatever its trust, since the person has now seen where it goes (OAuth 2.1
    /// §4.1.2.1, §7.12.2).
    pub fn deny(&self) -> ErrorRedirect {
        self.after_consent(OAuthError::new(
            ErrorCode::AccessDenied,
            "the user declined to authorize this client",
        ))
    }

    /// An error after consent (`server_error`, `temporarily_unavailable`), redirected to
    /// the client. A code not sent to redirect URIs becomes `server_error`.
    pub fn after_consent(&self, error: OAuthError) -> ErrorRedirect {
        ErrorRedirect::new(self.redirect_uri.clone(), self.state.clone(), error)
    }
}

/// The longest `state` a client may send: it travels through the sign-in and back in the
/// redirect.
pub const MAX_STATE: usize = 1024;

/// Stage 1 of an authorization request: reads the query (or a POSTed form, OAuth 2.1
/// §3.1). A problem with the request as a whole, `client_id`, `redirect_uri` or `state`
/// is an [`AuthorizeError::Page`]: until the client and its redirect URI are known,
/// nothing may be redirected (OAuth 2.1 §4.1.2.1). Problems with the other parameters
/// are kept for [`UncheckedAuthorization::check`] to send to the client, by redirect or
/// interstitial as its trust allows.
pub fn read_authorization(query: &[u8]) -> Result<UncheckedAuthorization, AuthorizeError> {
    let page = AuthorizeError::Page;
    let form = Form::parse(query).map_err(|e| page(e.into()))?;
    let client_id = form
        .get("client_id")
        .map_err(|e| page(e.into()))?
        .ok_or_else(|| page(invalid_request("the parameter 'client_id' is required")))?;
    check_client_id(client_id).map_err(page)?;
    let redirect_uri = form.get("redirect_uri").map_err(|e| page(e.into()))?;
    if redirect_uri.is_some_and(|r| r.len() > redirect::MAX_LEN) {
        return Err(page(invalid_request(format!(
            "redirect_uri is at most {} characters",
            redirect::MAX_LEN
        ))));
    }
    // A repeated state cannot be returned: which one would the client expect? A long one
    // would be carried through the sign-in and into a `Location` header: clients send a
    // few dozen characters.
    let state = form.get("state").map_err(|e| page(e.into()))?;
    if state.is_some_and(|st| st.len() > MAX_STATE) {
        return Err(page(invalid_request(format!(
            "state is at most {MAX_STATE} characters"
        ))));
    }
    Ok(UncheckedAuthorization {
        client_id: client_id.to_owned(),
        redirect_uri: redirect_uri.map(str::to_owned),
        state: state.map(str::to_owned),
        rest: authorization_params(&form),
    })
}

fn authorization_params(form: &Form) -> Result<AuthorizationParams, OAuthError> {
    match form.get("response_type")? {
        Some("code") => {}
        None => return Err(invalid_request("the parameter 'response_type' is required; send response_type=code")),
        Some(other) => {
            return Err(OAuthError::new(
                ErrorCode::UnsupportedResponseType,
                format!(
                    "the response_type '{}' is not supported; send response_type=code (OAuth 2.1 section 4.1.1)",
                    shown(other)
                ),
            ))
        }
    }
    let code_challenge = form.get("code_challenge")?.ok_or_else(|| {
        invalid_request("the parameter 'code_challenge' is required: PKCE with S256 (RFC 7636)")
    })?;
    // Absent means plain (RFC 7636 §4.3), which is refused like any method but S256
    // (RFC 7636 §4.4.1, OAuth 2.1 §4.1.2.1).
    match form.get("code_challenge_method")? {
        Some(pkce::METHOD) => {}
        None => {
            return Err(invalid_request(
                "code_challenge_method=S256 is required: without it the method is plain, which this server does not support",
            ))
        }
        Some(other) => {
            return Err(invalid_request(format!(
                "the code_challenge_method '{}' is not supported; use S256",
                shown(other)
            )))
        }
    }
    pkce::check_challenge(code_challenge).map_err(invalid_request)?;
    let scope = match form.get("scope")? {
        Some(raw) => read_scope(raw)?,
        None => Vec::new(),
    };
    Ok(AuthorizationParams {
        code_challenge: code_challenge.to_owned(),
        scope,
        resource: read_resource(form)?,
    })
}

impl UncheckedAuthorization {
    /// The `client_id` to look the client up by.
    pub fn client_id(&self) -> &str {
        &self.client_id
    }

    /// The page error for a `client_id` that names no client this server knows (or whose
    /// metadata document could not be had).
    pub fn unknown_client(&self) -> AuthorizeError {
        AuthorizeError::Page(OAuthError::new(
            ErrorCode::InvalidClient,
            format!(
                "the client '{}' is not known to this server; register it, or use its metadata document's URL",
                shown(&self.client_id)
            ),
        ))
    }

    /// Stage 2: the request against `client` (the one its `client_id` names) and the
    /// server. First the redirect URI, whose problems go to the server's page; after it,
    /// every problem goes to the redirect URI with the `state`: as a redirect for a
    /// [trusted](ClientView::trusted) client, else as an [`AuthorizeError::Interstitial`].
    pub fn check(
        self,
        client: &ClientView,
        server: &ServerView,
    ) -> Result<AuthorizationRequest, AuthorizeError> {
        let page = |d: String| AuthorizeError::Page(invalid_request(d));
        if client.client_id != self.client_id {
            return Err(page(
                "the client looked up is not the one the request names".into(),
            ));
        }
        let redirect_uri_sent = self.redirect_uri.is_some();
        let redirect_uri = match self.redirect_uri {
            Some(sent) => {
                if !client.redirect_uris.iter().any(|r| redirect::matches(r, &sent)) {
                    return Err(page(format!(
                        "the redirect_uri '{}' is not registered for this client; send one of its registered redirect URIs exactly",
                        shown(&sent)
                    )));
                }
                sent
            }
            None => match client.redirect_uris {
                [only] => only.clone(),
                [] => return Err(page("this client has no registered redirect URI".into())),
                _ => {
                    return Err(page(
                        "the parameter 'redirect_uri' is required: this client registered more than one".into(),
                    ))
                }
            },
        };
        let state = self.state;
        let redirect = |error: OAuthError| {
            AuthorizeError::to_client(redirect_uri.clone(), state.clone(), error, client.trusted)
        };
        let params = self.rest.map_err(redirect)?;
        if !client.allows(GrantType::AuthorizationCode) {
            return Err(redirect(OAuthError::new(
                ErrorCode::UnauthorizedClient,
                "this client is not registered for the authorization_code grant",
            )));
        }
        let resource = check_resource(server, params.resource).map_err(redirect)?;
        let scopes = grant_scopes(&params.scope, server).map_err(redirect)?;
        Ok(AuthorizationRequest {
            client_id: self.client_id,
            redirect_uri,
            redirect_uri_sent,
            state,
            code_challenge: params.code_challenge,
            scopes,
            resource,
        })
    }
}

// ---------------------------------------------------------------------------------------
// Client authentication (OAuth 2.1 §2.4, RFC 7523 §2.2)

/// Reads the client authentication of a token or revocation request: the Authorization
/// header (`authorization`, the header's value) and the body's `client_*` parameters.
/// More than one method at once is `invalid_request` (OAuth 2.1 §2.4: "MUST NOT use more
/// than one authentication method in each request").
pub fn read_client_auth(
    form: &Form,
    authorization: Option<&str>,
) -> Result<ClientAuth, OAuthError> {
    let header = authorization.map(str::trim).filter(|h| !h.is_empty());
    let body_id = form.get("client_id")?;
    let secret = form.get("client_secret")?;
    let assertion_type = form.get("client_assertion_type")?;
    let assertion = form.get("client_assertion")?;
    let used: Vec<&str> = [
        (header.is_some(), "the Authorization header"),
        (secret.is_some(), "client_secret"),
        (
            assertion.is_some() || assertion_type.is_some(),
            "client_assertion",
        ),
    ]
    .into_iter()
    .filter_map(|(on, name)| on.then_some(name))
    .collect();
    if used.len() > 1 {
        return Err(invalid_request(format!(
            "the client authenticates in more than one way ({}); use only the one it registered",
            used.join(", ")
        )));
    }
    if let Some(id) = body_id {
        check_client_id(id)?;
    }
    if let Some(header) = header {
        let (client_id, client_secret) = read_basic(header)?;
        if body_id.is_some_and(|id| id != client_id) {
            return Err(invalid_request(
                "the client_id in the body is not the one in the Authorization header; send one, or the same",
            ));
        }
        return Ok(ClientAuth::ClientSecretBasic {
            client_id,
            client_secret,
        });
    }
    if let Some(secret) = secret {
        let client_id = body_id.ok_or_else(|| {
            invalid_request("client_secret comes with the client's client_id in the body")
        })?;
        return Ok(ClientAuth::ClientSecretPost {
            client_id: client_id.to_owned(),
            client_secret: Secret(secret.to_owned()),
        });
    }
    if assertion.is_some() || assertion_type.is_some() {
        match assertion_type {
            None => {
                return Err(invalid_request(format!(
                    "client_assertion comes with client_assertion_type={JWT_BEARER}"
                )))
            }
            Some(JWT_BEARER) => {}
            Some(other) => {
                return Err(OAuthError::new(
                    ErrorCode::InvalidClient,
                    format!(
                        "the client_assertion_type '{}' is not supported; use {JWT_BEARER}",
                        shown(other)
                    ),
                ))
            }
        }
        let assertion = assertion.ok_or_else(|| {
            invalid_request("client_assertion_type comes with a client_assertion, the signed JWT")
        })?;
        return Ok(ClientAuth::PrivateKeyJwt {
            client_id: body_id.map(str::to_owned),
            assertion: Secret(assertion.to_owned()),
        });
    }
    match body_id {
        Some(id) => Ok(ClientAuth::None {
            client_id: id.to_owned(),
        }),
        None => Err(OAuthError::new(
            ErrorCode::InvalidClient,
            "the request names no client: a public client sends client_id; a confidential one authenticates as it registered",
        )),
    }
}

/// `Authorization: Basic base64(id ":" secret)`, where the id and the secret are each
/// form-encoded before they are joined (OAuth 2.1 §2.4.1, RFC 6749 §2.3.1), so a `:` in
/// either arrives as `%3A` and a space as `+`. Problems here are `invalid_client`: the
/// answer is then a 401 with `WWW-Authenticate` (OAuth 2.1 §3.2.4).
fn read_basic(header: &str) -> Result<(String, Secret), OAuthError> {
    let invalid = |d: &str| OAuthError::new(ErrorCode::InvalidClient, d);
    if header.len() > crate::auth::token::MAX_AUTHORIZATION_BYTES {
        return Err(invalid("the Authorization header is too long"));
    }
    let (scheme, credentials) = header.split_once(' ').unwrap_or((header, ""));
    if !scheme.eq_ignore_ascii_case("basic") {
        return Err(invalid(
            "the Authorization header here is Basic with the client's id and secret; a public client sends none",
        ));
    }
    let credentials = credentials.trim();
    let decoded = super::decode_standard_base64(credentials)
        .ok_or_else(|| invalid("the Basic credentials are not base64"))?;
    let text =
        String::from_utf8(decoded).map_err(|_| invalid("the Basic credentials are not UTF-8"))?;
    let (id, secret) = text
        .split_once(':')
        .ok_or_else(|| invalid("the Basic credentials are client_id:client_secret"))?;
    let undo = |part: &str, what: &str| {
        form::decode_component(part).ok_or_else(|| {
            invalid(&format!(
                "the Basic {what} is form-encoded (OAuth 2.1 section 2.4.1) and holds a malformed '%' escape"
            ))
        })
    };
    let (id, secret) = (undo(id, "client_id")?, undo(secret, "client_secret")?);
    if id.is_empty() || secret.is_empty() {
        return Err(invalid(
            "the Basic credentials hold an empty client_id or secret; a public client sends only client_id, in the body",
        ));
    }
    check_client_id(&id).map_err(|e| OAuthError::new(ErrorCode::InvalidClient, e.description))?;
    Ok((id, Secret(secret)))
}

/// Checks the authentication a request carries against the client it names: the method
/// must be one the client may use ([`ClientView::auth_methods`]: a client registered with
/// a secret may not drop it), and the id must be the client's. The secret or assertion is
/// verified elsewhere.
pub fn check_client_auth(auth: &ClientAuth, client: &ClientView) -> Result<(), OAuthError> {
    if !client.auth_methods.contains(&auth.method()) {
        let accepted: Vec<&str> = client.auth_methods.iter().map(|m| m.name()).collect();
        return Err(OAuthError::new(
            ErrorCode::InvalidClient,
            format!(
                "this client authenticates with {}, and the request used {}",
                if accepted.is_empty() {
                    "no method this server supports".to_owned()
                } else {
                    accepted.join(" or ")
                },
                auth.method().name()
            ),
        ));
    }
    if auth.client_id().is_some_and(|id| id != client.client_id) {
        return Err(OAuthError::new(
            ErrorCode::InvalidClient,
            "the client_id is not the client's",
        ));
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------
// The token request (OAuth 2.1 §4.1.3, §4.3.1)

/// The grant a token request presents.
#[derive(Clone, Debug)]
pub enum Grant {
    /// `grant_type=authorization_code` (OAuth 2.1 §4.1.3).
    AuthorizationCode {
        /// The code.
        code: Secret,
        /// The `redirect_uri`, if sent: it must equal the authorization request's when that
        /// named one (OAuth 2.1 §4.1.3, §10.2), which the code's record decides.
        redirect_uri: Option<String>,
        /// The PKCE verifier, its syntax checked (RFC 7636 §4.1); required, since every
        /// code here is issued with a challenge (RFC 9700 §4.8.2).
        code_verifier: Secret,
    },
    /// `grant_type=refresh_token` (OAuth 2.1 §4.3.1).
    RefreshToken {
        /// The refresh token.
        refresh_token: Secret,
        /// The scopes asked for, [`OIDC_SCOPES`] left out; `None` for the scopes granted.
        /// Whether they are within the grant is checked against it (OAuth 2.1 §4.3.1).
        scope: Option<Vec<String>>,
    },
}

impl Grant {
    /// The `grant_type`.
    pub fn grant_type(&self) -> GrantType {
        match self {
            Grant::AuthorizationCode { .. } => GrantType::AuthorizationCode,
            Grant::RefreshToken { .. } => GrantType::RefreshToken,
        }
    }
}

/// A token request after stage 1 (syntax).
#[derive(Clone, Debug)]
pub struct UncheckedTokenRequest {
    /// The client authentication it carries, to find the client by.
    pub client: ClientAuth,
    grant: Grant,
    resource: Option<String>,
}

/// A token request checked against its client and the server: what the grant store is
/// asked to redeem.
#[derive(Clone, Debug)]
pub struct TokenRequest {
    /// The client authentication, its method the client's (the secret or assertion not
    /// yet verified).
    pub client: ClientAuth,
    /// The grant presented.
    pub grant: Grant,
    /// The resource the token is for, as the server spells it (RFC 8707 §2); within the
    /// grant's, which the grant store checks.
    pub resource: Option<String>,
}

/// Stage 1 of a token request: the POSTed form and the Authorization header's value.
/// An error is answered with [`OAuthError::token_response`], `basic_auth` being whether
/// the request had an Authorization header.
pub fn read_token(
    body: &[u8],
    authorization: Option<&str>,
) -> Result<UncheckedTokenRequest, OAuthError> {
    let form = Form::parse(body)?;
    let client = read_client_auth(&form, authorization)?;
    let grant = match form.get("grant_type")? {
        None => return Err(invalid_request("the parameter 'grant_type' is required")),
        Some("authorization_code") => {
            let code = required(&form, "code")?;
            let code_verifier = form.get("code_verifier")?.ok_or_else(|| {
                invalid_request("the parameter 'code_verifier' is required: the PKCE verifier whose S256 challenge the authorization request sent")
            })?;
            pkce::check_verifier(code_verifier).map_err(invalid_request)?;
            let redirect_uri = form.get("redirect_uri")?;
            if redirect_uri.is_some_and(|r| r.len() > redirect::MAX_LEN) {
                return Err(invalid_request(format!(
                    "redirect_uri is at most {} characters",
                    redirect::MAX_LEN
                )));
            }
            Grant::AuthorizationCode {
                code: Secret(code.to_owned()),
                redirect_uri: redirect_uri.map(str::to_owned),
                code_verifier: Secret(code_verifier.to_owned()),
            }
        }
        Some("refresh_token") => {
            let refresh_token = required(&form, "refresh_token")?;
            let scope = match form.get("scope")? {
                Some(raw) => {
                    let mut scope = read_scope(raw)?;
                    scope.retain(|s| !OIDC_SCOPES.contains(&s.as_str()));
                    (!scope.is_empty()).then_some(scope)
                }
                None => None,
            };
            Grant::RefreshToken {
                refresh_token: Secret(refresh_token.to_owned()),
                scope,
            }
        }
        Some(other) => {
            return Err(OAuthError::new(
                ErrorCode::UnsupportedGrantType,
                format!(
                    "the grant_type '{}' is not supported; this server takes authorization_code and refresh_token",
                    shown(other)
                ),
            ))
        }
    };
    Ok(UncheckedTokenRequest {
        client,
        grant,
        resource: read_resource(&form)?,
    })
}

impl UncheckedTokenRequest {
    /// The grant presented.
    pub fn grant(&self) -> &Grant {
        &self.grant
    }

    /// Stage 2: the request against `client` (found by [`ClientAuth::client_id`], or by
    /// the assertion's `sub`) and the server: the client's method
    /// ([`check_client_auth`]), its grant types (`unauthorized_client`, OAuth 2.1
    /// §3.2.4), and the resource (`invalid_target`, RFC 8707 §2).
    pub fn check(
        self,
        client: &ClientView,
        server: &ServerView,
    ) -> Result<TokenRequest, OAuthError> {
        check_client_auth(&self.client, client)?;
        let grant_type = self.grant.grant_type();
        if !client.allows(grant_type) {
            return Err(OAuthError::new(
                ErrorCode::UnauthorizedClient,
                format!(
                    "this client is not registered for the {} grant",
                    grant_type.name()
                ),
            ));
        }
        Ok(TokenRequest {
            resource: check_resource(server, self.resource)?,
            client: self.client,
            grant: self.grant,
        })
    }
}

// ---------------------------------------------------------------------------------------
// The revocation request (RFC 7009 §2.1)

/// What `token_type_hint` says the token is (RFC 7009 §2.1).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TokenTypeHint {
    /// `access_token`.
    AccessToken,
    /// `refresh_token`.
    RefreshToken,
}

/// A revocation request, read. Its client is checked with [`check_client_auth`].
#[derive(Clone, Debug)]
pub struct RevocationRequest {
    /// The client authentication, read like the token endpoint's (RFC 7009 §2.1).
    pub client: ClientAuth,
    /// The token to revoke.
    pub token: Secret,
    /// Where to look first. A hint this server does not know is ignored (`None`), as RFC
    /// 7009 §2.1 allows: the server looks at every type of token it holds anyway.
    pub token_type_hint: Option<TokenTypeHint>,
}

/// Reads a revocation request: the POSTed form and the Authorization header's value.
pub fn read_revocation(
    body: &[u8],
    authorization: Option<&str>,
) -> Result<RevocationRequest, OAuthError> {
    let form = Form::parse(body)?;
    let client = read_client_auth(&form, authorization)?;
    let token = required(&form, "token")?;
    let token_type_hint = match form.get("token_type_hint")? {
        Some("access_token") => Some(TokenTypeHint::AccessToken),
        Some("refresh_token") => Some(TokenTypeHint::RefreshToken),
        _ => None,
    };
    Ok(RevocationRequest {
        client,
        token: Secret(token.to_owned()),
        token_type_hint,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::oauth::form::encode;
    use base64ct::{Base64, Base64Unpadded, Encoding};

    const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
    const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
    const CHATGPT_ID: &str = "https://chatgpt.com/oauth/abc123/client.json";
    const CHATGPT_CB: &str = "https://chatgpt.com/connector/oauth/abc123";
    const CLAUDE_CODE_ID: &str = "https://claude.ai/oauth/claude-code-client-metadata";
    const ISSUER: &str = "https://mcp.example.com";

    fn strings(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| (*s).to_owned()).collect()
    }

    struct Fixture {
        resources: Vec<String>,
        scopes: Vec<String>,
        redirects: Vec<String>,
        grants: Vec<GrantType>,
        trusted: bool,
    }

    impl Fixture {
        fn new(redirects: &[&str]) -> Self {
            Fixture {
                resources: strings(&[
                    "https://mcp.example.com/mcp",
                    "https://mcp.example.com/mcp/",
                ]),
                scopes: strings(&["notes:read", "notes:write"]),
                redirects: strings(redirects),
                grants: vec![GrantType::AuthorizationCode, GrantType::RefreshToken],
                trusted: true,
            }
        }
        fn server(&self) -> ServerView<'_> {
            ServerView {
                resources: &self.resources,
                scopes: &self.scopes,
            }
        }
        fn client<'a>(&'a self, id: &'a str, auth_methods: &'a [AuthMethod]) -> ClientView<'a> {
            ClientView {
                client_id: id,
                redirect_uris: &self.redirects,
                grant_types: &self.grants,
                auth_methods,
                trusted: self.trusted,
            }
        }
    }

    /// A query from pairs, each name and value encoded.
    fn query(pairs: &[(&str, &str)]) -> String {
        pairs
            .iter()
            .map(|(n, v)| format!("{}={}", encode(n), encode(v)))
            .collect::<Vec<_>>()
            .join("&")
    }

    /// A ChatGPT-shaped authorization request, with `changes` replacing (or, with an
    /// empty name, dropping) its parameters.
    fn chatgpt(changes: &[(&str, Option<&str>)]) -> String {
        let mut pairs = vec![
            ("response_type", "code"),
            ("client_id", CHATGPT_ID),
            ("redirect_uri", CHATGPT_CB),
            ("state", "st+ate/=%"),
            ("code_challenge", CHALLENGE),
            ("code_challenge_method", "S256"),
            ("scope", "notes:read openid offline_access"),
            ("resource", "https://mcp.example.com/mcp"),
        ];
        for (name, value) in changes {
            pairs.retain(|(n, _)| n != name);
            if let Some(v) = value {
                pairs.push((name, v));
            }
        }
        query(&pairs)
    }

    fn authorize(q: &str, fx: &Fixture, id: &str) -> Result<AuthorizationRequest, AuthorizeError> {
        let unchecked = read_authorization(q.as_bytes())?;
        assert_eq!(unchecked.client_id(), id);
        unchecked.check(&fx.client(id, &[AuthMethod::None]), &fx.server())
    }

    fn redirected(q: &str) -> (ErrorCode, String, Option<String>) {
        let fx = Fixture::new(&[CHATGPT_CB]);
        match authorize(q, &fx, CHATGPT_ID) {
            Err(AuthorizeError::Redirect(to)) => {
                assert_eq!(to.redirect_uri(), CHATGPT_CB);
                let error = to.error().clone();
                assert!(error.code.is_authorization_response(), "{error}");
                (error.code, error.description, to.state().map(str::to_owned))
            }
            other => panic!("not redirected: {other:?}"),
        }
    }

    fn paged(q: &str, fx: &Fixture, id: &str) -> OAuthError {
        match read_authorization(q.as_bytes())
            .and_then(|u| u.check(&fx.client(id, &[AuthMethod::None]), &fx.server()))
        {
            Err(e @ AuthorizeError::Page(_)) => {
                assert_eq!(e.location(ISSUER), None);
                e.error().clone()
            }
            other => panic!("not a page error: {other:?}"),
        }
    }

    #[test]
    fn chatgpts_request_is_read_and_its_openid_scopes_are_not_granted() {
        let fx = Fixture::new(&[CHATGPT_CB]);
        let request = authorize(&chatgpt(&[]), &fx, CHATGPT_ID).unwrap();
        assert_eq!(
            request,
            AuthorizationRequest {
                client_id: CHATGPT_ID.into(),
                redirect_uri: CHATGPT_CB.into(),
                redirect_uri_sent: true,
                state: Some("st+ate/=%".into()),
                code_challenge: CHALLENGE.into(),
                scopes: strings(&["notes:read"]),
                resource: Some("https://mcp.example.com/mcp".into()),
            }
        );
    }

    #[test]
    fn claude_codes_loopback_redirect_keeps_the_port_it_sent() {
        let fx = Fixture::new(&["http://localhost/callback", "http://127.0.0.1/callback"]);
        let q = query(&[
            ("response_type", "code"),
            ("client_id", CLAUDE_CODE_ID),
            ("redirect_uri", "http://localhost:53682/callback"),
            ("code_challenge", CHALLENGE),
            ("code_challenge_method", "S256"),
            ("state", "xyz"),
        ]);
        let request = authorize(&q, &fx, CLAUDE_CODE_ID).unwrap();
        assert_eq!(request.redirect_uri(), "http://localhost:53682/callback");
        assert!(request.redirect_uri_sent());
        // No scope asked: the server's scopes are the default (RFC 6749 §3.3).
        assert_eq!(request.scopes(), fx.scopes);
        // No resource: none is invented here.
        assert_eq!(request.resource(), None);
        // Another path on loopback is still refused.
        let q = q.replace("%2Fcallback", "%2Fother");
        let e = paged(&q, &fx, CLAUDE_CODE_ID);
        assert!(e.description.contains("not registered"), "{e}");
    }

    #[test]
    fn the_only_registered_redirect_is_the_default_and_else_one_is_required() {
        let q = chatgpt(&[("redirect_uri", None)]);
        let fx = Fixture::new(&[CHATGPT_CB]);
        let request = authorize(&q, &fx, CHATGPT_ID).unwrap();
        assert_eq!(request.redirect_uri(), CHATGPT_CB);
        assert!(!request.redirect_uri_sent());

        let two = Fixture::new(&[
            CHATGPT_CB,
            "https://chatgpt.com/connector_platform_oauth_redirect",
        ]);
        let e = paged(&q, &two, CHATGPT_ID);
        assert_eq!(e.code, ErrorCode::InvalidRequest);
        assert!(e.description.contains("'redirect_uri' is required"), "{e}");
        let none = Fixture::new(&[]);
        assert!(paged(&q, &none, CHATGPT_ID)
            .description
            .contains("no registered redirect"));
    }

    #[test]
    fn a_bad_client_or_redirect_is_shown_on_the_page_never_redirected() {
        let fx = Fixture::new(&[CHATGPT_CB]);
        for (q, says) in [
            (chatgpt(&[("client_id", None)]), "'client_id' is required"),
            (
                chatgpt(&[("client_id", Some(""))]),
                "'client_id' is required",
            ),
            (
                format!("{}&client_id=x", chatgpt(&[])),
                "'client_id' is sent more than once",
            ),
            (
                format!("{}&redirect_uri=x", chatgpt(&[])),
                "'redirect_uri' is sent more than once",
            ),
            (
                format!("{}&state=x", chatgpt(&[])),
                "'state' is sent more than once",
            ),
            (
                chatgpt(&[("state", Some(&"s".repeat(MAX_STATE + 1)))]),
                "state is at most 1024 characters",
            ),
            (format!("{}&junk=%zz", chatgpt(&[])), "two hex digits"),
            (
                chatgpt(&[("redirect_uri", Some("https://evil.example/cb"))]),
                "not registered",
            ),
            (
                chatgpt(&[("redirect_uri", Some(&format!("{CHATGPT_CB}/")))]),
                "not registered",
            ),
            (
                chatgpt(&[("redirect_uri", Some(&"h".repeat(2001)))]),
                "at most",
            ),
            (chatgpt(&[("client_id", Some("a\u{1}b"))]), "control"),
        ] {
            let e = paged(&q, &fx, CHATGPT_ID);
            assert!(e.description.contains(says), "{says}: {e}");
        }
        // The lookup finding no client.
        let unchecked = read_authorization(chatgpt(&[]).as_bytes()).unwrap();
        let e = unchecked.unknown_client();
        assert_eq!(e.error().code, ErrorCode::InvalidClient);
        assert_eq!(e.location(ISSUER), None);
        // The client looked up must be the one named.
        let other = fx.client("https://other.example/client.json", &[AuthMethod::None]);
        assert!(matches!(
            unchecked.check(&other, &fx.server()),
            Err(AuthorizeError::Page(_))
        ));
    }

    #[test]
    fn other_problems_are_redirected_with_the_state() {
        for (changes, code, says) in [
            (
                vec![("response_type", None)],
                ErrorCode::InvalidRequest,
                "'response_type' is required",
            ),
            (
                vec![("response_type", Some("token"))],
                ErrorCode::UnsupportedResponseType,
                "'token'",
            ),
            (
                vec![("response_type", Some("code id_token"))],
                ErrorCode::UnsupportedResponseType,
                "response_type=code",
            ),
            (
                vec![("code_challenge", None)],
                ErrorCode::InvalidRequest,
                "'code_challenge' is required",
            ),
            (
                vec![("code_challenge_method", None)],
                ErrorCode::InvalidRequest,
                "plain",
            ),
            (
                vec![("code_challenge_method", Some("plain"))],
                ErrorCode::InvalidRequest,
                "use S256",
            ),
            (
                vec![("code_challenge_method", Some("s256"))],
                ErrorCode::InvalidRequest,
                "use S256",
            ),
            (
                vec![("code_challenge", Some(VERIFIER.get(..42).unwrap()))],
                ErrorCode::InvalidRequest,
                "43 characters",
            ),
            (
                vec![("scope", Some("notes:admin openid"))],
                ErrorCode::InvalidScope,
                "this server grants: notes:read notes:write",
            ),
            (
                vec![("scope", Some("notes:read \"x\""))],
                ErrorCode::InvalidScope,
                "character",
            ),
            (
                vec![("resource", Some("https://other.example/mcp"))],
                ErrorCode::InvalidTarget,
                "issues no tokens",
            ),
            (
                vec![("resource", Some("https://mcp.example.com/mcp#x"))],
                ErrorCode::InvalidTarget,
                "fragment",
            ),
            (
                vec![("resource", Some("/mcp"))],
                ErrorCode::InvalidTarget,
                "absolute",
            ),
            (
                vec![("resource", Some("https://mcp.example.com/MCP"))],
                ErrorCode::InvalidTarget,
                "issues no tokens",
            ),
        ] {
            let (got, description, state) = redirected(&chatgpt(&changes));
            assert_eq!(got, code, "{changes:?}: {description}");
            assert!(description.contains(says), "{changes:?}: {description}");
            assert_eq!(state.as_deref(), Some("st+ate/=%"));
        }
        // A repeated parameter other than the client's, its redirect or state: redirected.
        let (code, description, _) = redirected(&format!("{}&scope=x", chatgpt(&[])));
        assert_eq!(code, ErrorCode::InvalidRequest);
        assert!(description.contains("'scope'"), "{description}");
        // Two different resources; the same one twice is one.
        let two = format!(
            "{}&resource={}",
            chatgpt(&[]),
            encode("https://mcp.example.com/mcp/")
        );
        assert_eq!(redirected(&two).0, ErrorCode::InvalidTarget);
        let fx = Fixture::new(&[CHATGPT_CB]);
        let same = format!(
            "{}&resource={}",
            chatgpt(&[]),
            encode("https://mcp.example.com/mcp")
        );
        assert!(authorize(&same, &fx, CHATGPT_ID).is_ok());
        // No state sent, none returned.
        assert_eq!(
            redirected(&chatgpt(&[("state", None), ("response_type", None)])).2,
            None
        );
    }

    #[test]
    fn the_redirected_error_carries_error_state_and_iss() {
        let fx = Fixture::new(&[CHATGPT_CB]);
        let e = authorize(&chatgpt(&[("scope", Some("bogus"))]), &fx, CHATGPT_ID).unwrap_err();
        let location = e.location(ISSUER).unwrap();
        let (base, q) = location.split_once('?').unwrap();
        assert_eq!(base, CHATGPT_CB);
        let form = Form::parse(q.as_bytes()).unwrap();
        assert_eq!(form.get("error"), Ok(Some("invalid_scope")));
        assert_eq!(form.get("state"), Ok(Some("st+ate/=%")));
        assert_eq!(form.get("iss"), Ok(Some(ISSUER)));
    }

    #[test]
    fn a_client_without_the_code_grant_is_unauthorized() {
        let mut fx = Fixture::new(&[CHATGPT_CB]);
        fx.grants = vec![GrantType::RefreshToken];
        let e = authorize(&chatgpt(&[]), &fx, CHATGPT_ID).unwrap_err();
        assert!(matches!(e, AuthorizeError::Redirect(_)));
        assert_eq!(e.error().code, ErrorCode::UnauthorizedClient);
    }

    #[test]
    fn scopes_grant_the_servers_own_accept_openid_ones_and_refuse_the_rest() {
        let fx = Fixture::new(&[CHATGPT_CB]);
        let granted = |scope: Option<&str>| {
            authorize(&chatgpt(&[("scope", scope)]), &fx, CHATGPT_ID).map(|r| r.scopes().to_vec())
        };
        assert_eq!(granted(Some("notes:write")).unwrap(), ["notes:write"]);
        // Order kept, repeats and runs of spaces dropped.
        assert_eq!(
            granted(Some("notes:write  notes:read notes:write")).unwrap(),
            ["notes:write", "notes:read"]
        );
        // Only OpenID scopes, or none: the server's default.
        for scope in [
            None,
            Some("openid"),
            Some("openid profile email offline_access"),
            Some(" "),
        ] {
            assert_eq!(granted(scope).unwrap(), fx.scopes, "{scope:?}");
        }
        // Case matters (RFC 6749 §3.3).
        assert!(granted(Some("Notes:read")).is_err());
        // A long unknown scope is echoed cut.
        let long = "x".repeat(500);
        let e = granted(Some(&long)).unwrap_err();
        assert!(e.error().description.len() < 300, "{e}");
        // A server without scopes says so.
        let mut bare = Fixture::new(&[CHATGPT_CB]);
        bare.scopes.clear();
        let e = authorize(
            &chatgpt(&[("scope", Some("notes:read"))]),
            &bare,
            CHATGPT_ID,
        )
        .unwrap_err();
        assert!(e.error().description.contains("defines no scopes"), "{e}");
        let ok = authorize(
            &chatgpt(&[("scope", Some("openid offline_access"))]),
            &bare,
            CHATGPT_ID,
        )
        .unwrap();
        assert!(ok.scopes().is_empty());
    }

    #[test]
    fn a_resource_is_matched_ignoring_the_case_of_scheme_and_host_only() {
        let fx = Fixture::new(&[CHATGPT_CB]);
        let resource = |r: &str| {
            authorize(&chatgpt(&[("resource", Some(r))]), &fx, CHATGPT_ID)
                .map(|r| r.resource().map(str::to_owned))
        };
        assert_eq!(
            resource("HTTPS://MCP.Example.COM/mcp").unwrap().as_deref(),
            Some("https://mcp.example.com/mcp")
        );
        // The trailing slash is a different resource, and both are the server's here.
        assert_eq!(
            resource("https://mcp.example.com/mcp/").unwrap().as_deref(),
            Some("https://mcp.example.com/mcp/")
        );
        for other in [
            "https://mcp.example.com",
            "https://mcp.example.com/mcp?x=1",
            "https://mcp.example.com:443/mcp",
            "http://mcp.example.com/mcp",
            "https://mcp.example.com.evil/mcp",
        ] {
            assert!(resource(other).is_err(), "{other}");
        }
        assert!(same_resource("https://a.example", "HTTPS://A.EXAMPLE"));
        assert!(!same_resource("https://a.example/x", "https://a.example/X"));
        assert!(!same_resource("urn:x", "URN:x"));
        assert!(same_resource("urn:x", "urn:x"));
    }

    // -- the token endpoint -------------------------------------------------------------

    fn code_body(extra: &[(&str, &str)]) -> String {
        let mut pairs = vec![
            ("grant_type", "authorization_code"),
            ("code", "CODE-SECRET-1"),
            ("redirect_uri", CHATGPT_CB),
            ("code_verifier", VERIFIER),
            ("resource", "https://mcp.example.com/mcp"),
        ];
        pairs.extend_from_slice(extra);
        query(&pairs)
    }

    fn basic(id: &str, secret: &str) -> String {
        let joined = format!("{}:{}", encode(id), encode(secret));
        format!("Basic {}", Base64::encode_string(joined.as_bytes()))
    }

    fn token_err(body: &str, authorization: Option<&str>) -> OAuthError {
        read_token(body.as_bytes(), authorization).unwrap_err()
    }

    #[test]
    fn a_public_clients_code_redemption_is_read() {
        let body = code_body(&[("client_id", CHATGPT_ID)]);
        let unchecked = read_token(body.as_bytes(), None).unwrap();
        assert!(
            matches!(&unchecked.client, ClientAuth::None { client_id } if client_id == CHATGPT_ID)
        );
        let fx = Fixture::new(&[CHATGPT_CB]);
        let request = unchecked
            .check(&fx.client(CHATGPT_ID, &[AuthMethod::None]), &fx.server())
            .unwrap();
        let Grant::AuthorizationCode {
            code,
            redirect_uri,
            code_verifier,
        } = &request.grant
        else {
            panic!("{:?}", request.grant)
        };
        assert_eq!(code.expose(), "CODE-SECRET-1");
        assert_eq!(redirect_uri.as_deref(), Some(CHATGPT_CB));
        assert!(pkce::verify(CHALLENGE, code_verifier.expose()));
        assert_eq!(
            request.resource.as_deref(),
            Some("https://mcp.example.com/mcp")
        );
        assert!(!request.client.used_header());
    }

    #[test]
    fn a_code_redemption_needs_its_code_and_a_well_formed_verifier() {
        let id = ("client_id", "c1");
        let drop = |name: &str| {
            query(
                &[
                    ("grant_type", "authorization_code"),
                    ("code", "CODE-SECRET-1"),
                    ("code_verifier", VERIFIER),
                    id,
                ]
                .into_iter()
                .filter(|(n, _)| *n != name)
                .collect::<Vec<_>>(),
            )
        };
        let e = token_err(&drop("code"), None);
        assert_eq!(e.code, ErrorCode::InvalidRequest);
        assert!(e.description.contains("'code'"));
        let e = token_err(&drop("code_verifier"), None);
        assert!(e.description.contains("'code_verifier' is required"), "{e}");
        let e = token_err(&drop("grant_type"), None);
        assert!(e.description.contains("'grant_type' is required"), "{e}");
        // A malformed verifier is refused without being repeated.
        let short = "SHORT-VERIFIER-SECRET";
        let e = token_err(
            &code_body(&[("client_id", "c1"), ("code_verifier", short)]),
            None,
        );
        assert_eq!(e.code, ErrorCode::InvalidRequest);
        assert!(!e.description.contains(short));
        // ... and here the parameter repeats.
        assert!(
            e.description
                .contains("'code_verifier' is sent more than once"),
            "{e}"
        );
        let body = code_body(&[("client_id", "c1")]).replace(VERIFIER, short);
        let e = token_err(&body, None);
        assert!(e.description.contains("43 to 128"), "{e}");
        assert!(!e.description.contains(short));
    }

    #[test]
    fn only_the_code_and_refresh_grants_are_supported() {
        for grant in [
            "client_credentials",
            "password",
            "urn:ietf:params:oauth:grant-type:token-exchange",
            "implicit",
        ] {
            let e = token_err(&query(&[("grant_type", grant), ("client_id", "c1")]), None);
            assert_eq!(e.code, ErrorCode::UnsupportedGrantType, "{grant}");
            assert_eq!(e.token_response(false).status, 400);
        }
    }

    #[test]
    fn a_refresh_is_read_and_openid_scopes_in_it_are_dropped() {
        let read = |scope: Option<&str>| {
            let mut pairs = vec![
                ("grant_type", "refresh_token"),
                ("refresh_token", "RT-SECRET"),
                ("client_id", "c1"),
            ];
            if let Some(s) = scope {
                pairs.push(("scope", s));
            }
            let r = read_token(query(&pairs).as_bytes(), None).unwrap();
            match r.grant() {
                Grant::RefreshToken {
                    refresh_token,
                    scope,
                } => {
                    assert_eq!(refresh_token.expose(), "RT-SECRET");
                    scope.clone()
                }
                other => panic!("{other:?}"),
            }
        };
        assert_eq!(read(None), None);
        assert_eq!(read(Some("openid offline_access")), None);
        assert_eq!(
            read(Some("notes:read offline_access")),
            Some(strings(&["notes:read"]))
        );
        // Unknown scopes are for the grant to refuse: they are not within it.
        assert_eq!(read(Some("notes:admin")), Some(strings(&["notes:admin"])));
        let e = token_err("grant_type=refresh_token&client_id=c1", None);
        assert!(e.description.contains("'refresh_token' is required"), "{e}");
        let e = token_err(
            "grant_type=refresh_token&refresh_token=r&client_id=c1&scope=a%5Cb",
            None,
        );
        assert_eq!(e.code, ErrorCode::InvalidScope);
    }

    #[test]
    fn basic_credentials_are_form_decoded_after_base64() {
        let header = basic("client:one", "p+ss w%rd:é");
        let r = read_token(code_body(&[]).as_bytes(), Some(&header)).unwrap();
        let ClientAuth::ClientSecretBasic {
            client_id,
            client_secret,
        } = &r.client
        else {
            panic!("{:?}", r.client)
        };
        assert_eq!(client_id, "client:one");
        assert_eq!(client_secret.expose(), "p+ss w%rd:é");
        assert!(r.client.used_header());
        // The scheme's case does not matter; the same client_id in the body may be sent.
        let lower = header.replacen("Basic", "basic", 1);
        assert!(read_token(
            code_body(&[("client_id", "client:one")]).as_bytes(),
            Some(&lower)
        )
        .is_ok());
        // Unpadded base64 is taken too.
        let unpadded = format!("Basic {}", Base64Unpadded::encode_string(b"abc:defgh"));
        assert!(read_token(code_body(&[]).as_bytes(), Some(&unpadded)).is_ok());
    }

    #[test]
    fn bad_basic_credentials_are_invalid_client_with_a_challenge() {
        for (header, says) in [
            ("Basic !!!".to_owned(), "not base64"),
            (
                format!("Basic {}", Base64::encode_string(b"no-colon")),
                "client_id:client_secret",
            ),
            (format!("Basic {}", Base64::encode_string(b"id:")), "empty"),
            (
                format!("Basic {}", Base64::encode_string(b":secret")),
                "empty",
            ),
            (
                format!("Basic {}", Base64::encode_string(b"id:%zz")),
                "malformed",
            ),
            (
                format!("Basic {}", Base64::encode_string(b"id:\xff")),
                "UTF-8",
            ),
            ("Bearer abc.def.ghi".to_owned(), "Basic"),
            (format!("Basic {}", "A".repeat(9000)), "too long"),
        ] {
            let e = token_err(&code_body(&[]), Some(&header));
            assert_eq!(e.code, ErrorCode::InvalidClient, "{header}: {e}");
            assert!(e.description.contains(says), "{says}: {e}");
            let answer = e.token_response(true);
            assert_eq!(answer.status, 401);
            assert!(answer.www_authenticate.is_some());
        }
        // A different client_id in the body.
        let e = token_err(
            &code_body(&[("client_id", "other")]),
            Some(&basic("one", "s")),
        );
        assert_eq!(e.code, ErrorCode::InvalidRequest);
    }

    #[test]
    fn secret_post_and_private_key_jwt_are_read() {
        let r = read_token(
            code_body(&[("client_id", "c1"), ("client_secret", "S3CRET")]).as_bytes(),
            None,
        )
        .unwrap();
        assert!(
            matches!(&r.client, ClientAuth::ClientSecretPost { client_id, client_secret } if client_id == "c1" && client_secret.expose() == "S3CRET")
        );
        let e = token_err(&code_body(&[("client_secret", "S3CRET")]), None);
        assert_eq!(e.code, ErrorCode::InvalidRequest);
        assert!(e.description.contains("client_id"));

        // ChatGPT's CIMD client with private_key_jwt, client_id with it or without.
        let jwt = ("client_assertion", "eyJ.ASSERTION.sig");
        let kind = ("client_assertion_type", JWT_BEARER);
        let r = read_token(
            code_body(&[kind, jwt, ("client_id", CHATGPT_ID)]).as_bytes(),
            None,
        )
        .unwrap();
        assert!(
            matches!(&r.client, ClientAuth::PrivateKeyJwt { client_id: Some(id), assertion } if id == CHATGPT_ID && assertion.expose() == jwt.1)
        );
        let r = read_token(code_body(&[kind, jwt]).as_bytes(), None).unwrap();
        assert!(matches!(
            &r.client,
            ClientAuth::PrivateKeyJwt {
                client_id: None,
                ..
            }
        ));
        assert_eq!(r.client.client_id(), None);

        let e = token_err(&code_body(&[jwt]), None);
        assert_eq!(e.code, ErrorCode::InvalidRequest);
        assert!(e.description.contains("client_assertion_type"), "{e}");
        let e = token_err(&code_body(&[kind]), None);
        assert_eq!(e.code, ErrorCode::InvalidRequest);
        let e = token_err(
            &code_body(&[("client_assertion_type", "urn:x:saml2-bearer"), jwt]),
            None,
        );
        assert_eq!(e.code, ErrorCode::InvalidClient);
        assert_eq!(e.token_response(false).www_authenticate, None);

        let e = token_err(&code_body(&[]), None);
        assert_eq!(e.code, ErrorCode::InvalidClient);
        assert!(e.description.contains("names no client"), "{e}");
    }

    #[test]
    fn two_authentication_methods_at_once_are_refused_without_the_secrets() {
        let jwt = ("client_assertion", "eyJ.ASSERTION-SECRET.sig");
        let kind = ("client_assertion_type", JWT_BEARER);
        let secret = ("client_secret", "POST-SECRET");
        let header = basic("c1", "BASIC-SECRET");
        for (extra, authorization) in [
            (vec![secret], Some(header.as_str())),
            (vec![kind, jwt], Some(header.as_str())),
            (vec![("client_id", "c1"), secret, kind, jwt], None),
            (vec![("client_id", "c1"), secret, kind], None),
        ] {
            let e = token_err(&code_body(&extra), authorization);
            assert_eq!(e.code, ErrorCode::InvalidRequest, "{extra:?}");
            assert!(e.description.contains("more than one way"), "{e}");
            for s in [
                "ASSERTION-SECRET",
                "POST-SECRET",
                "BASIC-SECRET",
                "CODE-SECRET",
            ] {
                assert!(!e.description.contains(s), "{e}");
            }
        }
    }

    #[test]
    fn the_token_request_is_checked_against_its_client() {
        let fx = Fixture::new(&[CHATGPT_CB]);
        let server = fx.server();
        let public = read_token(code_body(&[("client_id", CHATGPT_ID)]).as_bytes(), None).unwrap();
        // ChatGPT's document registers private_key_jwt: dropping to none is refused.
        let e = public
            .clone()
            .check(
                &fx.client(CHATGPT_ID, &[AuthMethod::PrivateKeyJwt]),
                &server,
            )
            .unwrap_err();
        assert_eq!(e.code, ErrorCode::InvalidClient);
        assert!(
            e.description.contains("private_key_jwt") && e.description.contains("none"),
            "{e}"
        );
        // A client found under another id.
        let e = public
            .clone()
            .check(&fx.client("someone-else", &[AuthMethod::None]), &server)
            .unwrap_err();
        assert_eq!(e.code, ErrorCode::InvalidClient);
        // A client without the grant.
        let mut no_code = Fixture::new(&[CHATGPT_CB]);
        no_code.grants = vec![GrantType::RefreshToken];
        let e = public
            .clone()
            .check(
                &no_code.client(CHATGPT_ID, &[AuthMethod::None]),
                &no_code.server(),
            )
            .unwrap_err();
        assert_eq!(e.code, ErrorCode::UnauthorizedClient);
        // A resource not the server's.
        let elsewhere = read_token(
            code_body(&[("client_id", CHATGPT_ID)])
                .replace("mcp.example.com", "other.example")
                .as_bytes(),
            None,
        )
        .unwrap();
        let e = elsewhere
            .check(&fx.client(CHATGPT_ID, &[AuthMethod::None]), &server)
            .unwrap_err();
        assert_eq!(e.code, ErrorCode::InvalidTarget);
        // Refresh needs the refresh grant; Basic needs client_secret_basic.
        let refresh = read_token(
            b"grant_type=refresh_token&refresh_token=r",
            Some(&basic("c1", "s")),
        )
        .unwrap();
        let mut code_only = Fixture::new(&[]);
        code_only.grants = vec![GrantType::AuthorizationCode];
        let e = refresh
            .clone()
            .check(
                &code_only.client("c1", &[AuthMethod::ClientSecretBasic]),
                &code_only.server(),
            )
            .unwrap_err();
        assert_eq!(e.code, ErrorCode::UnauthorizedClient);
        let ok = refresh
            .check(&fx.client("c1", &[AuthMethod::ClientSecretBasic]), &server)
            .unwrap();
        assert!(ok.client.used_header());
        assert_eq!(ok.resource, None);
    }

    #[test]
    fn secrets_never_print() {
        let body = code_body(&[("client_id", "c1"), ("client_secret", "POST-SECRET")]);
        let r = read_token(body.as_bytes(), None).unwrap();
        let shown = format!("{r:?}");
        for s in ["POST-SECRET", "CODE-SECRET", VERIFIER] {
            assert!(!shown.contains(s), "{shown}");
        }
        let r = read_revocation(b"token=RT-SECRET&client_id=c1", None).unwrap();
        assert!(!format!("{r:?}").contains("RT-SECRET"));
    }

    #[test]
    fn revocation_reads_the_token_its_hint_and_the_client() {
        let r =
            read_revocation(b"token=t1&token_type_hint=refresh_token&client_id=c1", None).unwrap();
        assert_eq!(r.token.expose(), "t1");
        assert_eq!(r.token_type_hint, Some(TokenTypeHint::RefreshToken));
        assert_eq!(r.client.client_id(), Some("c1"));
        let r = read_revocation(
            b"token=t1&token_type_hint=access_token",
            Some(&basic("c1", "s")),
        )
        .unwrap();
        assert_eq!(r.token_type_hint, Some(TokenTypeHint::AccessToken));
        assert_eq!(r.client.method(), AuthMethod::ClientSecretBasic);
        // An unknown hint is ignored (RFC 7009 §2.1).
        let r = read_revocation(b"token=t1&token_type_hint=id_token&client_id=c1", None).unwrap();
        assert_eq!(r.token_type_hint, None);
        let e = read_revocation(b"client_id=c1&token=", None).unwrap_err();
        assert_eq!(e.code, ErrorCode::InvalidRequest);
        assert!(e.description.contains("'token' is required"));
        let e = read_revocation(b"token=a&token=b&client_id=c1", None).unwrap_err();
        assert!(e.description.contains("more than once"));
        let fx = Fixture::new(&[]);
        let r = read_revocation(b"token=t1&client_id=c1", None).unwrap();
        assert!(check_client_auth(&r.client, &fx.client("c1", &[AuthMethod::None])).is_ok());
        assert!(
            check_client_auth(&r.client, &fx.client("c1", &[AuthMethod::ClientSecretPost]))
                .is_err()
        );
    }
}

#[cfg(test)]
mod trust_tests {
    use super::*;
    use crate::oauth::client::{read_metadata_document, FetchPolicy, Fetched};
    use crate::oauth::error::Interstitial;
    use base64ct::{Base64, Encoding};

    const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
    const CB: &str = "https://app.example.com/cb?tenant=1";
    const ID: &str = "https://app.example.com/client.json";
    const ISSUER: &str = "https://mcp.example.com";

    fn request(extra: &str) -> UncheckedAuthorization {
        let q = format!(
            "response_type=code&client_id={}&redirect_uri={}&state=s%261&code_challenge={CHALLENGE}&code_challenge_method=S256{extra}",
            form::encode(ID),
            form::encode(CB)
        );
        read_authorization(q.as_bytes()).unwrap()
    }

    fn view<'a>(redirects: &'a [String], trusted: bool) -> ClientView<'a> {
        ClientView {
            client_id: ID,
            redirect_uris: redirects,
            grant_types: &[GrantType::AuthorizationCode],
            auth_methods: &[AuthMethod::None],
            trusted,
        }
    }

    fn server<'a>(resources: &'a [String], scopes: &'a [String]) -> ServerView<'a> {
        ServerView { resources, scopes }
    }

    #[test]
    fn an_untrusted_client_gets_no_location_before_consent() {
        let redirects = [CB.to_owned()];
        let scopes = ["notes:read".to_owned()];
        let s = server(&[], &scopes);
        for extra in [
            "&scope=notes%3Aadmin",
            "&resource=https%3A%2F%2Fother.example%2Fmcp",
            "&response_type=token",
        ] {
            let e = request(extra).check(&view(&redirects, false), &s);
            let e = match e {
                Err(e @ AuthorizeError::Interstitial(_)) => e,
                Err(AuthorizeError::Page(p)) if extra.contains("response_type") => {
                    // A repeated parameter makes the request unreadable: a page.
                    assert!(p.description.contains("more than once"), "{p}");
                    continue;
                }
                other => panic!("{extra}: {other:?}"),
            };
            assert_eq!(e.location(ISSUER), None, "{extra}");
            let AuthorizeError::Interstitial(i) = &e else {
                unreachable!()
            };
            let i: &Interstitial = i;
            assert_eq!(i.destination(), "app.example.com");
            let link = i.continue_location(ISSUER);
            assert!(
                link.starts_with("https://app.example.com/cb?tenant=1&error="),
                "{link}"
            );
            assert!(link.contains("&state=s%261&iss="), "{link}");
            // The same request for a trusted client is redirected.
            let trusted = request(extra).check(&view(&redirects, true), &s);
            assert_eq!(
                trusted.unwrap_err().location(ISSUER).as_deref(),
                Some(link.as_str())
            );
        }
        // An unregistered redirect is a page whatever the trust.
        let other = ["https://app.example.com/other".to_owned()];
        for trusted in [true, false] {
            assert!(matches!(
                request("").check(&view(&other, trusted), &s),
                Err(AuthorizeError::Page(_))
            ));
        }
    }

    #[test]
    fn after_consent_the_client_is_redirected_to_whatever_its_trust() {
        let redirects = [CB.to_owned()];
        let scopes = ["notes:read".to_owned()];
        let r = request("")
            .check(&view(&redirects, false), &server(&[], &scopes))
            .unwrap();
        assert_eq!(r.destination(), "app.example.com");
        let denied = r.deny();
        assert_eq!(denied.error().code, ErrorCode::AccessDenied);
        let location = denied.location(ISSUER);
        let (base, query) = location.split_once('?').unwrap();
        assert_eq!(base, "https://app.example.com/cb");
        let back = Form::parse(query.as_bytes()).unwrap();
        assert_eq!(back.get("tenant"), Ok(Some("1")));
        assert_eq!(back.get("error"), Ok(Some("access_denied")));
        assert_eq!(back.get("state"), Ok(Some("s&1")));
        assert_eq!(back.get("iss"), Ok(Some(ISSUER)));
        let failed = r.after_consent(OAuthError::new(ErrorCode::InvalidGrant, "store down"));
        assert_eq!(failed.error().code, ErrorCode::ServerError);
    }

    #[test]
    fn success_carries_code_state_and_iss_encoded() {
        let redirects = [CB.to_owned()];
        let r = request("")
            .check(&view(&redirects, false), &server(&[], &[]))
            .unwrap();
        let location = r.success_location("c0de+/=&x", ISSUER);
        assert!(
            location.starts_with("https://app.example.com/cb?tenant=1&code="),
            "{location}"
        );
        let back = Form::parse(location.split_once('?').unwrap().1.as_bytes()).unwrap();
        assert_eq!(back.get("code"), Ok(Some("c0de+/=&x")));
        assert_eq!(back.get("state"), Ok(Some("s&1")));
        assert_eq!(back.get("iss"), Ok(Some(ISSUER)));
        assert!(!back.contains("error"));
        // Without a state, none is sent.
        let q = format!(
            "response_type=code&client_id={}&code_challenge={CHALLENGE}&code_challenge_method=S256",
            form::encode(ID)
        );
        let r = read_authorization(q.as_bytes())
            .unwrap()
            .check(&view(&redirects, true), &server(&[], &[]))
            .unwrap();
        let location = r.success_location("abc", ISSUER);
        assert_eq!(
            location,
            "https://app.example.com/cb?tenant=1&code=abc&iss=https%3A%2F%2Fmcp.example.com"
        );
    }

    #[test]
    fn a_pending_request_survives_serialization() {
        let redirects = [CB.to_owned()];
        let resources = ["https://mcp.example.com/mcp".to_owned()];
        let scopes = ["notes:read".to_owned(), "notes:write".to_owned()];
        let r = request("&scope=notes%3Awrite&resource=https%3A%2F%2Fmcp.example.com%2Fmcp")
            .check(&view(&redirects, true), &server(&resources, &scopes))
            .unwrap();
        let stored = serde_json::to_string(&r).unwrap();
        let back =
            AuthorizationRequest::from_json(&serde_json::from_str(&stored).unwrap()).unwrap();
        assert_eq!(back, r);
        assert_eq!(back.scopes(), ["notes:write"]);
        assert_eq!(back.resource(), Some("https://mcp.example.com/mcp"));
        assert_eq!(back.code_challenge(), CHALLENGE);
        assert!(back.redirect_uri_sent());
        assert_eq!(back.state(), Some("s&1"));
        // Something else is not read as one.
        assert!(AuthorizationRequest::from_json(&serde_json::json!({})).is_none());
        let mut extra: serde_json::Value = serde_json::from_str(&stored).unwrap();
        extra["redirect"] = serde_json::json!("https://evil.example/");
        assert!(AuthorizationRequest::from_json(&extra).is_none());
    }

    #[test]
    fn a_client_may_authenticate_with_any_method_it_accepts_and_no_other() {
        // ChatGPT's document: private_key_jwt, with none also listed.
        let doc = serde_json::json!({
            "client_id": ID,
            "client_name": "App",
            "redirect_uris": [CB],
            "grant_types": ["authorization_code", "refresh_token"],
            "token_endpoint_auth_method": "private_key_jwt",
            "token_endpoint_auth_methods_supported": ["none", "private_key_jwt"],
            "jwks_uri": "https://app.example.com/jwks.json",
        })
        .to_string();
        let fetched = Fetched {
            status: 200,
            redirected: false,
            cache_control: None,
            body: doc.as_bytes(),
        };
        let client = read_metadata_document(ID, &fetched, FetchPolicy::PUBLIC)
            .unwrap()
            .client;
        let view = ClientView::of(&client, false);
        assert_eq!(view.grant_types, client.grant_types.as_slice());
        let id = form::encode(ID);
        let public = format!("token=t&client_id={id}");
        let jwt = format!(
            "token=t&client_id={id}&client_assertion_type={}&client_assertion=a.b.c",
            form::encode(JWT_BEARER)
        );
        let post = format!("token=t&client_id={id}&client_secret=S3CRET");
        for (body, ok) in [(public, true), (jwt, true), (post, false)] {
            let r = read_revocation(body.as_bytes(), None).unwrap();
            let checked = check_client_auth(&r.client, &view);
            assert_eq!(checked.is_ok(), ok, "{body}");
            if let Err(e) = checked {
                assert_eq!(e.code, ErrorCode::InvalidClient);
                assert!(e.description.contains("private_key_jwt or none"), "{e}");
                assert!(!e.description.contains("S3CRET"));
            }
        }
        let basic = format!(
            "Basic {}",
            Base64::encode_string(format!("{id}:S3CRET").as_bytes())
        );
        let r = read_revocation(b"token=t", Some(&basic)).unwrap();
        assert!(check_client_auth(&r.client, &view).is_err());
        // Without the fallback, none is refused.
        let mut strict = client.clone();
        strict.public_fallback = false;
        let r = read_revocation(format!("token=t&client_id={id}").as_bytes(), None).unwrap();
        assert!(check_client_auth(&r.client, &ClientView::of(&strict, false)).is_err());
    }
}

#[cfg(test)]
mod shown_tests {
    use super::*;

    #[test]
    fn client_text_in_a_description_holds_no_control_character() {
        let q = "response_type=code&client_id=c&redirect_uri=h%03tp%3A%2F%2Fx.example%2Fcb";
        let fx: [String; 1] = ["https://x.example/cb".to_owned()];
        let view = ClientView {
            client_id: "c",
            redirect_uris: &fx,
            grant_types: &[GrantType::AuthorizationCode],
            auth_methods: &[AuthMethod::None],
            trusted: true,
        };
        let e = read_authorization(q.as_bytes())
            .unwrap()
            .check(
                &view,
                &ServerView {
                    resources: &[],
                    scopes: &[],
                },
            )
            .unwrap_err();
        assert!(matches!(e, AuthorizeError::Page(_)));
        assert!(!e.error().description.chars().any(char::is_control), "{e}");
        assert!(e.error().description.contains("h?tp://x.example/cb"), "{e}");
    }
}
