//! The OAuth errors: a code and a description, and the three ways one reaches a client:
//! a JSON body from the token, revocation or registration endpoint, a redirect back to
//! the client from the authorization endpoint, or the server's own error page when the
//! client or its redirect URI cannot be trusted with a redirect.

use std::fmt;

use super::form;

/// An OAuth error code, as registered by the specification that defines it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ErrorCode {
    /// A required parameter is missing, a value is malformed or unsupported, or a
    /// parameter repeats (OAuth 2.1 draft 15 §4.1.2.1, §3.2.4).
    InvalidRequest,
    /// Client authentication failed: unknown client, no or wrong credentials, or an
    /// unsupported method (OAuth 2.1 §3.2.4).
    InvalidClient,
    /// The code or refresh token is invalid, expired, revoked, for another redirect URI or
    /// another client, or the PKCE verifier does not match (OAuth 2.1 §3.2.4, RFC 7636 §4.6).
    InvalidGrant,
    /// The client may not use this grant type or response type (OAuth 2.1 §3.2.4, §4.1.2.1).
    UnauthorizedClient,
    /// The grant type is not one this server supports (OAuth 2.1 §3.2.4).
    UnsupportedGrantType,
    /// The response type is not `code` (OAuth 2.1 §4.1.2.1).
    UnsupportedResponseType,
    /// A requested scope is unknown or malformed, or exceeds what was granted (OAuth 2.1
    /// §3.2.4, §4.1.2.1).
    InvalidScope,
    /// The `resource` is not one this server issues tokens for, or is malformed (RFC 8707 §2).
    InvalidTarget,
    /// The resource owner or the server denied the request (OAuth 2.1 §4.1.2.1).
    AccessDenied,
    /// The server failed in a way it did not expect (OAuth 2.1 §4.1.2.1).
    ServerError,
    /// The server cannot handle the request now; it may later (OAuth 2.1 §4.1.2.1).
    TemporarilyUnavailable,
    /// A registered redirect URI is not allowed (RFC 7591 §3.2.2).
    InvalidRedirectUri,
    /// A registration field is invalid or its value unsupported (RFC 7591 §3.2.2).
    InvalidClientMetadata,
    /// The server cannot revoke this type of token (RFC 7009 §2.2.1).
    UnsupportedTokenType,
}

impl ErrorCode {
    /// Every code, in the order of their declaration.
    pub const ALL: [ErrorCode; 14] = [
        ErrorCode::InvalidRequest,
        ErrorCode::InvalidClient,
        ErrorCode::InvalidGrant,
        ErrorCode::UnauthorizedClient,
        ErrorCode::UnsupportedGrantType,
        ErrorCode::UnsupportedResponseType,
        ErrorCode::InvalidScope,
        ErrorCode::InvalidTarget,
        ErrorCode::AccessDenied,
        ErrorCode::ServerError,
        ErrorCode::TemporarilyUnavailable,
        ErrorCode::InvalidRedirectUri,
        ErrorCode::InvalidClientMetadata,
        ErrorCode::UnsupportedTokenType,
    ];

    /// The code named `name`, as [`ErrorCode::as_str`] writes it.
    pub fn from_name(name: &str) -> Option<ErrorCode> {
        ErrorCode::ALL.into_iter().find(|c| c.as_str() == name)
    }

    /// The code as it is sent.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::InvalidRequest => "invalid_request",
            ErrorCode::InvalidClient => "invalid_client",
            ErrorCode::InvalidGrant => "invalid_grant",
            ErrorCode::UnauthorizedClient => "unauthorized_client",
            ErrorCode::UnsupportedGrantType => "unsupported_grant_type",
            ErrorCode::UnsupportedResponseType => "unsupported_response_type",
            ErrorCode::InvalidScope => "invalid_scope",
            ErrorCode::InvalidTarget => "invalid_target",
            ErrorCode::AccessDenied => "access_denied",
            ErrorCode::ServerError => "server_error",
            ErrorCode::TemporarilyUnavailable => "temporarily_unavailable",
            ErrorCode::InvalidRedirectUri => "invalid_redirect_uri",
            ErrorCode::InvalidClientMetadata => "invalid_client_metadata",
            ErrorCode::UnsupportedTokenType => "unsupported_token_type",
        }
    }

    /// Whether an authorization endpoint may send this code to the client's redirect URI:
    /// the codes of OAuth 2.1 §4.1.2.1, and RFC 8707 §2's `invalid_target`.
    pub fn is_authorization_response(self) -> bool {
        matches!(
            self,
            ErrorCode::InvalidRequest
                | ErrorCode::UnauthorizedClient
                | ErrorCode::AccessDenied
                | ErrorCode::UnsupportedResponseType
                | ErrorCode::InvalidScope
                | ErrorCode::ServerError
                | ErrorCode::TemporarilyUnavailable
                | ErrorCode::InvalidTarget
        )
    }

    /// The HTTP status of a JSON error body with this code: 401 for `invalid_client`
    /// (OAuth 2.1 §3.2.4 allows it always and requires it with the Authorization header;
    /// Claude re-registers on exactly a 401 `invalid_client`), 500 and 503 for the
    /// server's own failures, 400 for the rest (OAuth 2.1 §3.2.4, RFC 7009 §2.2.1,
    /// RFC 7591 §3.2.2).
    pub fn status(self) -> u16 {
        match self {
            ErrorCode::InvalidClient => 401,
            ErrorCode::ServerError => 500,
            ErrorCode::TemporarilyUnavailable => 503,
            _ => 400,
        }
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An OAuth error: its code and a description that says what to fix. A description may
/// repeat client text cut by [`crate::protocol::jsonrpc::echo`], and never a secret.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OAuthError {
    /// The code.
    pub code: ErrorCode,
    /// What went wrong and what to do, for the client's developer.
    pub description: String,
}

impl OAuthError {
    /// An error with `code` and `description`.
    pub fn new(code: ErrorCode, description: impl Into<String>) -> Self {
        OAuthError {
            code,
            description: description.into(),
        }
    }

    /// `invalid_request` with `description`.
    pub fn invalid_request(description: impl Into<String>) -> Self {
        Self::new(ErrorCode::InvalidRequest, description)
    }

    /// The description as it may be sent: `error_description` holds only printable ASCII
    /// other than `"` and `\` (OAuth 2.1 §3.2.4, §4.1.2.1; RFC 6749 §5.2), so `"` becomes
    /// `'`, `\` becomes `/`, an ellipsis `...` and anything else `?`.
    pub fn wire_description(&self) -> String {
        let mut out = String::with_capacity(self.description.len());
        for c in self.description.chars() {
            match c {
                '"' => out.push('\''),
                '\\' => out.push('/'),
                '\u{2026}' => out.push_str("..."),
                ' '..='~' => out.push(c),
                _ => out.push('?'),
            }
        }
        out
    }

    /// The JSON body of an error from the token, revocation or registration endpoint:
    /// `{"error": …, "error_description": …}` (OAuth 2.1 §3.2.4, RFC 7591 §3.2.2).
    pub fn json_body(&self) -> String {
        serde_json::json!({
            "error": self.code.as_str(),
            "error_description": self.wire_description(),
        })
        .to_string()
    }

    /// The whole answer of the token or revocation endpoint to this error. `basic_auth`
    /// says whether the client authenticated with the Authorization header: an
    /// `invalid_client` then carries `WWW-Authenticate` for that scheme (OAuth 2.1 §3.2.4).
    pub fn token_response(&self, basic_auth: bool) -> ErrorResponse {
        let www_authenticate = (self.code == ErrorCode::InvalidClient && basic_auth)
            .then(|| "Basic realm=\"oauth\", charset=\"UTF-8\"".to_owned());
        ErrorResponse {
            status: self.code.status(),
            www_authenticate,
            body: self.json_body(),
        }
    }

    /// The authorization error response: `redirect_uri` with `error`, `error_description`,
    /// the request's `state` verbatim when it had one, and `iss`, the server's issuer
    /// exactly as its metadata says (OAuth 2.1 §4.1.2.1, RFC 9207 §2), added to any query
    /// the redirect URI already has. Only for a redirect URI checked against the client
    /// (see [`AuthorizeError`]) and a code that may be sent there
    /// ([`ErrorCode::is_authorization_response`]).
    pub fn redirect_to(&self, redirect_uri: &str, state: Option<&str>, issuer: &str) -> String {
        let description = self.wire_description();
        let mut params = vec![
            ("error", self.code.as_str()),
            ("error_description", description.as_str()),
        ];
        if let Some(state) = state {
            params.push(("state", state));
        }
        params.push(("iss", issuer));
        form::append_query(redirect_uri, &params)
    }
}

impl fmt::Display for OAuthError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.code, self.description)
    }
}

impl std::error::Error for OAuthError {}

impl From<form::FormError> for OAuthError {
    /// A form that cannot be read, or a repeated parameter, is a malformed request. A
    /// control character of the parameter's name becomes `?`: a description holds none.
    fn from(e: form::FormError) -> Self {
        let description: String = e
            .to_string()
            .chars()
            .map(|c| if c.is_control() { '?' } else { c })
            .collect();
        OAuthError::invalid_request(description)
    }
}

/// A JSON error answer: status, the `WWW-Authenticate` value if any, and the body, sent as
/// `application/json` with `Cache-Control: no-store` (OAuth 2.1 §3.2.3, §3.2.4).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ErrorResponse {
    /// The HTTP status.
    pub status: u16,
    /// The `WWW-Authenticate` header's value, when one is due.
    pub www_authenticate: Option<String>,
    /// The JSON body.
    pub body: String,
}

/// An authorization error bound for a redirect URI already checked against the client
/// that named it. Only this module's parent builds one (from a request matched in
/// `request.rs`, or a request the user has seen on the consent page), so no caller can
/// point it at a URI of its choosing (RFC 9700 §4.11.2).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ErrorRedirect {
    redirect_uri: String,
    state: Option<String>,
    error: OAuthError,
}

impl ErrorRedirect {
    /// An error for `redirect_uri`, which the caller has matched against the client's
    /// registered redirect URIs. A code the authorization endpoint may not send
    /// ([`ErrorCode::is_authorization_response`]) becomes `server_error`, its description
    /// kept.
    pub(super) fn new(redirect_uri: String, state: Option<String>, error: OAuthError) -> Self {
        let error = if error.code.is_authorization_response() {
            error
        } else {
            OAuthError::new(ErrorCode::ServerError, error.description)
        };
        ErrorRedirect {
            redirect_uri,
            state,
            error,
        }
    }

    /// The error.
    pub fn error(&self) -> &OAuthError {
        &self.error
    }

    /// The client's redirect URI the error goes to.
    pub fn redirect_uri(&self) -> &str {
        &self.redirect_uri
    }

    /// The request's `state`, verbatim.
    pub fn state(&self) -> Option<&str> {
        self.state.as_deref()
    }

    /// Where the redirect goes, for a person to read: the URI's host (with its port), or
    /// for a native app's private-use scheme (`com.example.app:/cb`) the scheme and `:`.
    pub fn destination(&self) -> &str {
        destination(&self.redirect_uri)
    }

    /// The `Location` carrying the error ([`OAuthError::redirect_to`]).
    pub fn location(&self, issuer: &str) -> String {
        self.error
            .redirect_to(&self.redirect_uri, self.state.as_deref(), issuer)
    }
}

/// The host (and port) of `uri`, or its scheme and `:` when it has no authority.
pub(super) fn destination(uri: &str) -> &str {
    match uri.find("://") {
        Some(i) => {
            let after = &uri[i + 3..];
            let end = after.find(['/', '?', '#']).unwrap_or(after.len());
            let authority = &after[..end];
            authority
                .rsplit_once('@')
                .map_or(authority, |(_, host)| host)
        }
        None => uri.find(':').map_or(uri, |i| &uri[..=i]),
    }
}

/// An error before consent for a client whose redirect may not be followed unasked: the
/// server's page shows the error and offers a link, "continue to
/// [`Interstitial::destination`]", that goes to [`Interstitial::continue_location`]. A
/// redirect the browser follows by itself, for any client that can register a redirect
/// URI, would make this server an open redirector (OAuth 2.1 §7.12.2, RFC 9700 §4.11.2);
/// a link the person chooses to follow is not.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Interstitial(ErrorRedirect);

impl Interstitial {
    /// The error, to show.
    pub fn error(&self) -> &OAuthError {
        self.0.error()
    }

    /// Where the link goes, for the page to name ([`ErrorRedirect::destination`]).
    pub fn destination(&self) -> &str {
        self.0.destination()
    }

    /// The link's target: the client's redirect URI with the error
    /// ([`ErrorRedirect::location`]).
    pub fn continue_location(&self, issuer: &str) -> String {
        self.0.location(issuer)
    }
}

/// An authorization request refused: where the refusal goes depends on whether the
/// client and its redirect URI were established, and on whether that redirect may be
/// followed without asking the person (OAuth 2.1 §4.1.2.1, §7.12.2).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AuthorizeError {
    /// The `client_id` is missing, unknown or malformed, or the `redirect_uri` is missing,
    /// not registered or malformed, or the request cannot be read at all: the server shows
    /// the error on its own page and MUST NOT redirect (OAuth 2.1 §4.1.2.1), or it would
    /// be an open redirector (RFC 9700 §4.11).
    Page(OAuthError),
    /// A problem before consent with a client whose redirect is not trusted: the error
    /// on the server's page, with a link back to the client the person may follow.
    Interstitial(Interstitial),
    /// A problem sent back to the client's checked redirect URI: before consent for a
    /// trusted client, and after consent (a denial included) for any.
    Redirect(ErrorRedirect),
}

impl AuthorizeError {
    /// The error for `redirect_uri` (checked by the caller against the client): a
    /// redirect when `follow`, else an interstitial.
    pub(super) fn to_client(
        redirect_uri: String,
        state: Option<String>,
        error: OAuthError,
        follow: bool,
    ) -> Self {
        let to = ErrorRedirect::new(redirect_uri, state, error);
        if follow {
            AuthorizeError::Redirect(to)
        } else {
            AuthorizeError::Interstitial(Interstitial(to))
        }
    }

    /// The error, wherever it goes.
    pub fn error(&self) -> &OAuthError {
        match self {
            AuthorizeError::Page(error) => error,
            AuthorizeError::Interstitial(i) => i.error(),
            AuthorizeError::Redirect(r) => r.error(),
        }
    }

    /// The `Location` to send the browser to, or `None` when the error is for the
    /// server's own page (with, for an interstitial, a link the person may follow).
    pub fn location(&self, issuer: &str) -> Option<String> {
        match self {
            AuthorizeError::Page(_) | AuthorizeError::Interstitial(_) => None,
            AuthorizeError::Redirect(r) => Some(r.location(issuer)),
        }
    }
}

impl fmt::Display for AuthorizeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.error().fmt(f)
    }
}

impl std::error::Error for AuthorizeError {}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::oauth::form::Form;
    use serde_json::Value;

    const ALL: [ErrorCode; 14] = ErrorCode::ALL;

    #[test]
    fn codes_are_spelled_as_registered() {
        let names: Vec<&str> = ALL.iter().map(|c| c.as_str()).collect();
        assert_eq!(
            names,
            [
                "invalid_request",
                "invalid_client",
                "invalid_grant",
                "unauthorized_client",
                "unsupported_grant_type",
                "unsupported_response_type",
                "invalid_scope",
                "invalid_target",
                "access_denied",
                "server_error",
                "temporarily_unavailable",
                "invalid_redirect_uri",
                "invalid_client_metadata",
                "unsupported_token_type",
            ]
        );
        assert_eq!(ErrorCode::InvalidGrant.to_string(), "invalid_grant");
        for c in ALL {
            assert_eq!(ErrorCode::from_name(c.as_str()), Some(c));
        }
        assert_eq!(ErrorCode::from_name("no_such_error"), None);
    }

    #[test]
    fn only_the_authorization_codes_may_be_redirected() {
        let redirectable: Vec<&str> = ALL
            .iter()
            .filter(|c| c.is_authorization_response())
            .map(|c| c.as_str())
            .collect();
        assert_eq!(
            redirectable,
            [
                "invalid_request",
                "unauthorized_client",
                "unsupported_response_type",
                "invalid_scope",
                "invalid_target",
                "access_denied",
                "server_error",
                "temporarily_unavailable",
            ]
        );
    }

    #[test]
    fn token_errors_are_400_json_and_invalid_client_is_401() {
        let e = OAuthError::new(ErrorCode::InvalidGrant, "the code has expired; start again");
        let r = e.token_response(true);
        assert_eq!(r.status, 400);
        assert_eq!(r.www_authenticate, None);
        let body: Value = serde_json::from_str(&r.body).unwrap();
        assert_eq!(body["error"], "invalid_grant");
        assert_eq!(
            body["error_description"],
            "the code has expired; start again"
        );

        let e = OAuthError::new(ErrorCode::InvalidClient, "unknown client");
        let basic = e.token_response(true);
        assert_eq!(basic.status, 401);
        assert!(basic
            .www_authenticate
            .as_deref()
            .unwrap()
            .starts_with("Basic realm="));
        let public = e.token_response(false);
        assert_eq!(public.status, 401);
        assert_eq!(public.www_authenticate, None);

        assert_eq!(ErrorCode::ServerError.status(), 500);
        assert_eq!(ErrorCode::TemporarilyUnavailable.status(), 503);
        assert_eq!(ErrorCode::UnsupportedTokenType.status(), 400);
        assert_eq!(ErrorCode::InvalidClientMetadata.status(), 400);
        assert_eq!(ErrorCode::InvalidTarget.status(), 400);
    }

    #[test]
    fn descriptions_on_the_wire_are_printable_ascii_without_quotes() {
        let e = OAuthError::invalid_request("bad \"x\" \\ é\n\u{0}tab\tend…");
        let wire = e.wire_description();
        assert_eq!(wire, "bad 'x' / ???tab?end...");
        assert!(wire.bytes().all(|b| b == 0x20
            || b == 0x21
            || (0x23..=0x5b).contains(&b)
            || (0x5d..=0x7e).contains(&b)));
        let body: Value = serde_json::from_str(&e.json_body()).unwrap();
        assert_eq!(body["error_description"], wire.as_str());
    }

    #[test]
    fn redirects_carry_error_state_and_iss_encoded_onto_any_query() {
        let e = OAuthError::new(ErrorCode::InvalidScope, "unknown scope 'a&b'");
        let issuer = "https://mcp.example.com";
        let location = e.redirect_to(
            "https://chatgpt.com/connector/oauth/abc?x=1",
            Some("st ate&=+%"),
            issuer,
        );
        let (base, query) = location.split_once('?').unwrap();
        assert_eq!(base, "https://chatgpt.com/connector/oauth/abc");
        assert!(query.starts_with("x=1&error=invalid_scope&"), "{query}");
        let form = Form::parse(query.as_bytes()).unwrap();
        assert_eq!(form.get("x"), Ok(Some("1")));
        assert_eq!(form.get("error"), Ok(Some("invalid_scope")));
        assert_eq!(
            form.get("error_description"),
            Ok(Some("unknown scope 'a&b'"))
        );
        assert_eq!(form.get("state"), Ok(Some("st ate&=+%")));
        assert_eq!(form.get("iss"), Ok(Some(issuer)));

        // No state sent, none returned; iss always (RFC 9207 §2).
        let location = e.redirect_to("http://localhost:5555/callback", None, issuer);
        let form = Form::parse(location.split_once('?').unwrap().1.as_bytes()).unwrap();
        assert!(!form.contains("state"));
        assert_eq!(form.get("iss"), Ok(Some(issuer)));
    }

    #[test]
    fn page_errors_have_no_location() {
        let page = AuthorizeError::Page(OAuthError::invalid_request(
            "redirect_uri is not registered",
        ));
        assert_eq!(page.location("https://i.example"), None);
        assert_eq!(page.error().code, ErrorCode::InvalidRequest);
        let redirect = AuthorizeError::to_client(
            "https://claude.ai/api/mcp/auth_callback".into(),
            Some("s".into()),
            OAuthError::new(ErrorCode::AccessDenied, "the user declined"),
            true,
        );
        let location = redirect.location("https://i.example").unwrap();
        assert!(
            location.starts_with("https://claude.ai/api/mcp/auth_callback?error=access_denied&")
        );
        assert!(
            location.ends_with("&state=s&iss=https%3A%2F%2Fi.example"),
            "{location}"
        );
        assert_eq!(redirect.to_string(), "access_denied: the user declined");
    }

    #[test]
    fn an_untrusted_redirect_is_a_link_on_the_page_not_a_location() {
        let e = AuthorizeError::to_client(
            "https://evil.example:8443/cb?x=1".into(),
            Some("s".into()),
            OAuthError::new(ErrorCode::InvalidScope, "unknown scope"),
            false,
        );
        assert_eq!(e.location("https://i.example"), None);
        let AuthorizeError::Interstitial(i) = &e else {
            panic!("{e:?}")
        };
        assert_eq!(i.destination(), "evil.example:8443");
        assert_eq!(i.error().code, ErrorCode::InvalidScope);
        assert!(i
            .continue_location("https://i.example")
            .starts_with("https://evil.example:8443/cb?x=1&error=invalid_scope&"));
    }

    #[test]
    fn a_code_not_for_redirects_is_sent_as_server_error() {
        let to = ErrorRedirect::new(
            "https://c.example/cb".into(),
            None,
            OAuthError::new(ErrorCode::InvalidGrant, "no"),
        );
        assert_eq!(to.error().code, ErrorCode::ServerError);
        assert_eq!(to.error().description, "no");
    }

    #[test]
    fn destinations_name_the_host_or_the_scheme() {
        for (uri, shown) in [
            ("https://chatgpt.com/connector/oauth/x", "chatgpt.com"),
            ("http://localhost:5555/callback", "localhost:5555"),
            ("https://a.example?x", "a.example"),
            ("https://u@a.example/", "a.example"),
            ("http://[::1]:9/cb", "[::1]:9"),
            ("com.example.app:/cb", "com.example.app:"),
            (
                "cursor://anysphere.cursor-mcp/oauth",
                "anysphere.cursor-mcp",
            ),
        ] {
            assert_eq!(destination(uri), shown, "{uri}");
        }
    }

    #[test]
    fn a_form_error_is_an_invalid_request_naming_the_parameter() {
        let e: OAuthError = form::FormError::Repeated {
            name: "code".into(),
        }
        .into();
        assert_eq!(e.code, ErrorCode::InvalidRequest);
        assert!(e.description.contains("'code'"));
        let e: OAuthError = Form::parse(b"a\x13b=%zz").unwrap_err().into();
        assert!(!e.description.chars().any(char::is_control), "{e}");
        assert!(e.description.contains("'a?b'"), "{e}");
    }
}
