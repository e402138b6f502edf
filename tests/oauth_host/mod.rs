//! The authorization server in the worker driven on the host: a server that declares one,
//! its `OAUTH_*` variables, and a [`Host`] whose `fetch` and `fetch_key_set` play the
//! OpenID provider people sign in with, whose grants live in memory and which serves
//! client metadata documents the test hands it; a browser's cookie jar; and the sign-in
//! step by step, as a browser and a client take it. Shared by tests/oauth_flow.rs and the
//! fuzz checks (fuzz/checks.rs), so it uses only what both crates depend on.
#![allow(dead_code)]

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::rc::Rc;
use std::sync::OnceLock;

use mcp_worker::config::{Config, ConfigError};
use mcp_worker::http::{Body, Host, HttpRequest, KeySetFetch, Response, Severity};
use mcp_worker::mcp::Server;
use mcp_worker::oauth::client::Document;
use mcp_worker::oauth::form::{self, Form};
use mcp_worker::oauth::objects::{GrantChannel, MemoryGrants};
use mcp_worker::oauth::token::{HostSigner, Signer, SigningKeys};
use mcp_worker::oauth::AuthorizationServer;
use mcp_worker::testing::block_on;
use mcp_worker::tools::{BoxFuture, FetchError, FetchRequest, FetchResponse, Platform};
use rsa::traits::{PrivateKeyParts, PublicKeyParts};
use rsa::RsaPrivateKey;
use serde_json::{json, Value};

pub const NOW: i64 = 1_800_000_000;
/// This server: `PUBLIC_URL`, the issuer.
pub const ISSUER: &str = "https://mcp.example.com";
/// The MCP endpoint's URL as clients name the resource.
pub const RESOURCE: &str = "https://mcp.example.com/mcp/";
/// The OpenID provider people sign in with.
pub const IDP: &str = "https://idp.example";
pub const IDP_AUTHORIZE: &str = "https://idp.example/authorize";
pub const IDP_TOKEN: &str = "https://idp.example/token";
pub const IDP_JWKS: &str = "https://idp.example/jwks";
/// This server's client at the provider.
pub const IDP_CLIENT: &str = "mcp-upstream";
/// With a space and a colon, which the Basic credentials form-encode.
pub const IDP_SECRET: &str = "upstream secret:1";
pub const GRANTS: &str = "OAUTH_GRANTS";
pub const SEALING_KEY: &str = "0123456789abcdef0123456789abcdef0123456789abcdef";
/// Who may sign in: a subject, and an address (only when the provider verified it).
pub const ALLOWED: &str = "alice bob@example.com";
/// A client's redirect URI on loopback: errors before consent are redirected to it.
pub const LOOPBACK_REDIRECT: &str = "http://127.0.0.1/callback";
/// A web client's redirect URI, on a host nobody vouched for: errors before consent are
/// shown on our page, with a link.
pub const WEB_REDIRECT: &str = "https://app.example/callback";
/// A PKCE verifier and its S256 challenge (RFC 7636 appendix B).
pub const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
pub const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";

pub static AUTHORIZATION: AuthorizationServer =
    AuthorizationServer::new(GRANTS).trust_redirect_hosts(&[TRUSTED_HOST]);

/// The one host whose https redirect URIs get errors before consent at once.
pub const TRUSTED_HOST: &str = "trusted.example";

/// The dice server, with an authorization server beside its MCP endpoint.
pub static SERVER: Server = Server::new("dice-oauth", "0")
    .title("Dice Roller")
    .tools(&dice_mcp::TOOLS)
    .resources(&dice_mcp::RESOURCES)
    .authorization_server(&AUTHORIZATION);

/// Base64 of `bytes`: the URL alphabet unpadded, or the standard one padded.
pub fn b64(bytes: &[u8], url: bool) -> String {
    let alphabet: &[u8; 64] = if url {
        b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    } else {
        b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
    };
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let n =
            chunk.iter().fold(0u32, |acc, &b| acc << 8 | u32::from(b)) << (8 * (3 - chunk.len()));
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(alphabet[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else if !url {
                out.push('=');
            }
        }
    }
    out
}

fn rsa_keys() -> &'static [RsaPrivateKey; 2] {
    static KEYS: OnceLock<[RsaPrivateKey; 2]> = OnceLock::new();
    KEYS.get_or_init(|| {
        let new = || RsaPrivateKey::new(&mut rsa::rand_core::OsRng, 2048).expect("a test key");
        [new(), new()]
    })
}

/// A private RSA JWK, as `OAUTH_SIGNING_KEYS` holds them.
pub fn private_jwk(key: &RsaPrivateKey, kid: &str) -> Value {
    let n = |v: &rsa::BigUint| b64(&v.to_bytes_be(), true);
    let p = key.primes();
    json!({
        "kty": "RSA", "kid": kid, "alg": "RS256", "use": "sig",
        "n": n(key.n()), "e": n(key.e()), "d": n(key.d()),
        "p": n(&p[0]), "q": n(&p[1]),
        "dp": n(key.dp().expect("precomputed")), "dq": n(key.dq().expect("precomputed")),
        "qi": n(&key.crt_coefficient().expect("precomputed")),
    })
}

/// `OAUTH_SIGNING_KEYS`: this server's key.
pub fn signing_keys_var() -> String {
    json!({ "keys": [private_jwk(&rsa_keys()[0], "as-1")] }).to_string()
}

fn idp_keys() -> &'static SigningKeys {
    static KEYS: OnceLock<SigningKeys> = OnceLock::new();
    KEYS.get_or_init(|| {
        let jwks = json!({ "keys": [private_jwk(&rsa_keys()[1], "idp-1")] });
        SigningKeys::parse(&jwks.to_string()).expect("the provider's key")
    })
}

/// The provider's key set, as its `jwks_uri` serves it.
pub fn idp_jwks() -> Vec<u8> {
    idp_keys().jwks().to_string().into_bytes()
}

/// A JWT with `claims`, signed RS256 by the provider's key (or, `forged`, by ours, under
/// the provider's kid).
pub fn idp_token(claims: &Value, forged: bool) -> String {
    let header = json!({"alg": "RS256", "typ": "JWT", "kid": "idp-1"});
    let input = format!(
        "{}.{}",
        b64(header.to_string().as_bytes(), true),
        b64(claims.to_string().as_bytes(), true)
    );
    let key = if forged {
        let ours = json!({ "keys": [private_jwk(&rsa_keys()[0], "idp-1")] });
        SigningKeys::parse(&ours.to_string()).expect("our key")
    } else {
        idp_keys().clone()
    };
    let sig = block_on(HostSigner.sign(key.signing_key(), input.as_bytes())).expect("signed");
    format!("{input}.{}", b64(&sig, true))
}

/// The variables of a worker with the authorization server on.
pub fn oauth_vars() -> Vec<(&'static str, String)> {
    vec![
        ("PUBLIC_URL", ISSUER.into()),
        ("OAUTH_SIGNING_KEYS", signing_keys_var()),
        ("OAUTH_SEALING_KEY", SEALING_KEY.into()),
        ("OAUTH_UPSTREAM_ISSUER", IDP.into()),
        ("OAUTH_UPSTREAM_CLIENT_ID", IDP_CLIENT.into()),
        ("OAUTH_UPSTREAM_CLIENT_SECRET", IDP_SECRET.into()),
        ("OAUTH_ALLOWED_USERS", ALLOWED.into()),
    ]
}

/// A sign-in the provider is to complete: the challenge our server sent it, and the
/// claims of the ID token it will hand back.
struct Pending {
    challenge: String,
    claims: Value,
    forged: bool,
}

/// The worker's platform as the authorization server sees it. Every outbound request
/// (the provider's discovery document and token endpoint, its key set, client documents)
/// is counted in [`TestHost::outbound`].
pub struct TestHost {
    pub vars: HashMap<String, String>,
    pub grants: Option<Rc<MemoryGrants>>,
    documents: RefCell<HashMap<String, Document>>,
    codes: RefCell<HashMap<String, Pending>>,
    issued: Cell<u32>,
    /// The URLs fetched, in order.
    pub outbound: RefCell<Vec<String>>,
    pub console: RefCell<Vec<(Severity, String)>>,
    /// Addresses the address rate limiter refuses; every address it was asked about.
    pub refused_addresses: RefCell<Vec<String>>,
    pub limited: RefCell<Vec<String>>,
}

impl Default for TestHost {
    fn default() -> Self {
        TestHost::new()
    }
}

impl TestHost {
    /// The authorization server's variables set, and its grants' binding bound.
    pub fn new() -> TestHost {
        let grants = MemoryGrants::default();
        grants.set_now_ms(NOW as u64 * 1000);
        TestHost {
            vars: oauth_vars()
                .into_iter()
                .map(|(k, v)| (k.to_owned(), v))
                .collect(),
            grants: Some(Rc::new(grants)),
            documents: RefCell::default(),
            codes: RefCell::default(),
            issued: Cell::new(0),
            outbound: RefCell::default(),
            console: RefCell::default(),
            refused_addresses: RefCell::default(),
            limited: RefCell::default(),
        }
    }

    /// `name` set to `value`, or unset (`None`).
    pub fn var(mut self, name: &str, value: Option<&str>) -> TestHost {
        match value {
            Some(v) => self.vars.insert(name.to_owned(), v.to_owned()),
            None => self.vars.remove(name),
        };
        self
    }

    /// No Durable Object namespace for grants.
    pub fn without_grants(mut self) -> TestHost {
        self.grants = None;
        self
    }

    /// How many grants are stored.
    pub fn grant_count(&self) -> usize {
        self.grants.as_ref().map_or(0, |g| g.len())
    }

    /// How many operations reached any grant's object.
    pub fn grant_requests(&self) -> usize {
        self.grants.as_ref().map_or(0, |g| g.sends())
    }

    /// Serves `body` at `url` as a client metadata document.
    pub fn serve_document(&self, url: &str, status: u16, body: &Value, cache_control: &str) {
        self.documents.borrow_mut().insert(
            url.to_owned(),
            Document {
                status,
                redirected: false,
                cache_control: (!cache_control.is_empty()).then(|| cache_control.to_owned()),
                body: body.to_string().into_bytes(),
            },
        );
    }

    /// The person signs in at the provider, which our server sent them to with
    /// `location`: the code it sends them back with. Its ID token is for the request's
    /// client and nonce, `alice` with a verified address, with `overrides` on top (a
    /// `null` removes a claim); `forged` signs it with a key the provider does not
    /// publish.
    pub fn provider_code(&self, location: &str, overrides: &Value, forged: bool) -> String {
        let query = location
            .strip_prefix(IDP_AUTHORIZE)
            .and_then(|q| q.strip_prefix('?'))
            .unwrap_or_else(|| panic!("not a redirect to the provider: {location}"));
        let params = Form::parse(query.as_bytes()).expect("the provider reads the query");
        let get = |name: &str| params.get(name).ok().flatten().unwrap_or("").to_owned();
        assert_eq!(get("client_id"), IDP_CLIENT);
        assert_eq!(get("redirect_uri"), format!("{ISSUER}/oauth/callback"));
        assert_eq!(get("code_challenge_method"), "S256");
        assert_eq!(get("response_type"), "code");
        let mut claims = json!({
            "iss": IDP, "aud": IDP_CLIENT, "sub": "alice", "nonce": get("nonce"),
            "iat": NOW, "exp": NOW + 300,
            "email": "alice@example.com", "email_verified": true, "name": "Alice",
        });
        for (k, v) in overrides.as_object().into_iter().flatten() {
            if v.is_null() {
                claims.as_object_mut().unwrap().remove(k);
            } else {
                claims[k] = v.clone();
            }
        }
        let n = self.issued.get() + 1;
        self.issued.set(n);
        let code = format!("idp-code-{n}");
        self.codes.borrow_mut().insert(
            code.clone(),
            Pending {
                challenge: get("code_challenge"),
                claims,
                forged,
            },
        );
        code
    }

    /// The provider's token endpoint: the code for the ID token, with its client's
    /// credentials, our callback and the PKCE verifier of the challenge it was sent.
    fn provider_token(&self, request: &FetchRequest) -> FetchResponse {
        let answer = |status: u16, body: Value| FetchResponse {
            status,
            headers: vec![("content-type".into(), "application/json".into())],
            body: body.to_string().into_bytes(),
        };
        let refuse = |error: &str| answer(400, json!({ "error": error }));
        let basic = format!(
            "Basic {}",
            b64(
                format!("{}:{}", form::encode(IDP_CLIENT), form::encode(IDP_SECRET)).as_bytes(),
                false
            )
        );
        let authorization = request
            .headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case("authorization"))
            .map(|(_, v)| v.as_str());
        if request.method != "POST" || authorization != Some(basic.as_str()) {
            return answer(401, json!({ "error": "invalid_client" }));
        }
        let body = request.body.clone().unwrap_or_default();
        let Ok(form) = Form::parse(&body) else {
            return refuse("invalid_request");
        };
        let get = |name: &str| form.get(name).ok().flatten().unwrap_or("");
        if get("grant_type") != "authorization_code"
            || get("redirect_uri") != format!("{ISSUER}/oauth/callback")
        {
            return refuse("invalid_request");
        }
        let Some(pending) = self.codes.borrow_mut().remove(get("code")) else {
            return refuse("invalid_grant");
        };
        if mcp_worker::oauth::pkce::challenge_of(get("code_verifier")) != pending.challenge {
            return refuse("invalid_grant");
        }
        answer(
            200,
            json!({
                "access_token": "upstream-access-token",
                "token_type": "Bearer",
                "id_token": idp_token(&pending.claims, pending.forged),
            }),
        )
    }
}

impl Platform for TestHost {
    fn var(&self, name: &str) -> Option<String> {
        self.vars.get(name).cloned()
    }

    fn fetch<'a>(
        &'a self,
        request: FetchRequest,
    ) -> BoxFuture<'a, Result<FetchResponse, FetchError>> {
        self.outbound.borrow_mut().push(request.url.clone());
        let answer = if request.url == format!("{IDP}/.well-known/openid-configuration") {
            Ok(FetchResponse {
                status: 200,
                headers: vec![("content-type".into(), "application/json".into())],
                body: json!({
                    "issuer": IDP,
                    "authorization_endpoint": IDP_AUTHORIZE,
                    "token_endpoint": IDP_TOKEN,
                    "jwks_uri": IDP_JWKS,
                })
                .to_string()
                .into_bytes(),
            })
        } else if request.url == IDP_TOKEN {
            Ok(self.provider_token(&request))
        } else {
            Err(FetchError(format!("nothing answers {}", request.url)))
        };
        Box::pin(std::future::ready(answer))
    }
}

impl Host for TestHost {
    fn rate_limit<'a>(
        &'a self,
        binding: &'static str,
        key: &'a str,
    ) -> BoxFuture<'a, mcp_worker::http::Limiter> {
        self.limited.borrow_mut().push(format!("{binding} {key}"));
        let refused = self.refused_addresses.borrow().iter().any(|a| a == key);
        Box::pin(std::future::ready(if refused {
            mcp_worker::http::Limiter::Refused
        } else {
            mcp_worker::http::Limiter::Allowed
        }))
    }

    fn fetch_key_set<'a>(&'a self, url: &'a str) -> BoxFuture<'a, KeySetFetch> {
        self.outbound.borrow_mut().push(url.to_owned());
        let answer = if url == IDP_JWKS {
            Ok((idp_jwks(), Some(300)))
        } else {
            Err(format!("nothing answers {url}"))
        };
        Box::pin(std::future::ready(answer))
    }

    fn console(&self, severity: Severity, line: &str) {
        self.console.borrow_mut().push((severity, line.to_owned()));
    }

    fn grants(&self, binding: &'static str) -> Option<Rc<dyn GrantChannel>> {
        if binding != GRANTS {
            return None;
        }
        self.grants.clone().map(|g| g as Rc<dyn GrantChannel>)
    }

    fn fetch_document<'a>(
        &'a self,
        url: &'a str,
        max_bytes: usize,
    ) -> BoxFuture<'a, Result<Document, String>> {
        self.outbound.borrow_mut().push(url.to_owned());
        let answer = match self.documents.borrow().get(url) {
            Some(d) if d.body.len() > max_bytes => Err("the document is too large".to_owned()),
            Some(d) => Ok(d.clone()),
            None => Err(format!("nothing answers {url}")),
        };
        Box::pin(std::future::ready(answer))
    }
}

/// The configuration the worker reads from `host`, with its checks.
pub fn configure(host: &TestHost) -> Result<Config, ConfigError> {
    mcp_worker::http::configure(&SERVER, host)
}

/// A request: `target` is the path and any query.
pub fn request(method: &str, target: &str, headers: &[(&str, &str)], body: &[u8]) -> HttpRequest {
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    HttpRequest {
        method: method.into(),
        base_url: "http://internal:8787".into(),
        path: path.into(),
        query: query.into(),
        headers: headers
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect::<Vec<_>>()
            .into(),
        body: Body::Bytes(body.to_vec()),
    }
}

/// `params` as a query or form body.
pub fn encode_form(params: &[(&str, &str)]) -> String {
    params
        .iter()
        .map(|(k, v)| format!("{}={}", form::encode(k), form::encode(v)))
        .collect::<Vec<_>>()
        .join("&")
}

/// The value of the hidden field `name` in a page.
pub fn hidden_field(page: &str, name: &str) -> Option<String> {
    let marker = format!("name=\"{name}\" value=\"");
    let start = page.find(&marker)? + marker.len();
    Some(page[start..].split('"').next()?.to_owned())
}

/// The parameters of a `Location`'s query.
pub fn location_params(location: &str) -> HashMap<String, String> {
    let query = location.split_once('?').map_or("", |(_, q)| q);
    Form::parse(query.as_bytes())
        .expect("a readable query")
        .pairs()
        .iter()
        .cloned()
        .collect()
}

/// One browser and the worker it talks to, with the authorization server configured.
pub struct Flow {
    pub host: Rc<TestHost>,
    pub config: Config,
    /// The browser's cookies for this server's `/oauth/` paths.
    pub cookies: RefCell<Vec<(String, String)>>,
}

impl Flow {
    pub fn new() -> Flow {
        Flow::on(TestHost::new())
    }

    pub fn on(host: TestHost) -> Flow {
        let config = configure(&host).expect("the authorization server's configuration");
        Flow {
            host: Rc::new(host),
            config,
            cookies: RefCell::default(),
        }
    }

    /// The request answered, as the worker would answer it at [`NOW`].
    pub fn send(&self, req: &HttpRequest) -> Response {
        self.send_at(req, NOW)
    }

    /// The request answered at `now`.
    pub fn send_at(&self, req: &HttpRequest, now: i64) -> Response {
        mcp_worker::testing::handle_on(&SERVER, &self.config, req, now, self.host.clone())
    }

    /// The browser's `Cookie` header for an `/oauth/` path.
    pub fn cookie_header(&self) -> Option<String> {
        let cookies = self.cookies.borrow();
        (!cookies.is_empty()).then(|| {
            cookies
                .iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect::<Vec<_>>()
                .join("; ")
        })
    }

    /// What a browser keeps of an answer's `Set-Cookie`.
    fn keep_cookie(&self, r: &Response) {
        let Some(set) = r.header("set-cookie") else {
            return;
        };
        let mut attributes = set.split(';').map(str::trim);
        let (name, value) = attributes
            .next()
            .and_then(|p| p.split_once('='))
            .expect("a cookie is name=value");
        let attributes: Vec<&str> = attributes.collect();
        assert!(attributes.contains(&"HttpOnly"), "{set}");
        assert!(attributes.contains(&"SameSite=Lax"), "{set}");
        assert!(attributes.contains(&"Secure"), "{set}");
        assert!(attributes.contains(&"Path=/oauth/"), "{set}");
        // Browsers drop a cookie whose name and value pass 4096 bytes.
        let kept = name.len() + value.len() <= 4096;
        let mut cookies = self.cookies.borrow_mut();
        cookies.retain(|(k, _)| k != name);
        if kept && !attributes.contains(&"Max-Age=0") {
            cookies.push((name.to_owned(), value.to_owned()));
        }
    }

    /// A browser's GET or form POST of `target` on this server (with its cookies, for an
    /// `/oauth/` path), keeping the cookie it is given.
    pub fn browse(
        &self,
        method: &str,
        target: &str,
        extra: &[(&str, &str)],
        body: &[u8],
    ) -> Response {
        let cookie = target
            .starts_with("/oauth/")
            .then(|| self.cookie_header())
            .flatten();
        let mut headers: Vec<(&str, &str)> = extra.to_vec();
        if let Some(c) = &cookie {
            headers.push(("cookie", c));
        }
        let r = self.send(&request(method, target, &headers, body));
        self.keep_cookie(&r);
        r
    }

    /// Registers a client (RFC 7591): the 201 answer's body.
    pub fn register(&self, metadata: &Value) -> Value {
        let r = self.send(&request(
            "POST",
            "/register",
            &[("content-type", "application/json")],
            metadata.to_string().as_bytes(),
        ));
        assert_eq!(r.status, 201, "{}", String::from_utf8_lossy(&r.body));
        serde_json::from_slice(&r.body).expect("JSON")
    }

    /// A public client registered for `redirect` with refresh tokens: its `client_id`.
    pub fn public_client(&self, redirect: &str) -> String {
        let answer = self.register(&json!({
            "client_name": "Test Client",
            "redirect_uris": [redirect],
            "grant_types": ["authorization_code", "refresh_token"],
            "token_endpoint_auth_method": "none",
        }));
        answer["client_id"]
            .as_str()
            .expect("a client_id")
            .to_owned()
    }

    /// The browser opens the authorization endpoint with `params`.
    pub fn authorize(&self, params: &[(&str, &str)]) -> Response {
        self.browse(
            "GET",
            &format!("/authorize?{}", encode_form(params)),
            &[],
            b"",
        )
    }

    /// The usual authorization request of `client_id` for `redirect`.
    pub fn authorize_client(&self, client_id: &str, redirect: &str) -> Response {
        self.authorize(&[
            ("response_type", "code"),
            ("client_id", client_id),
            ("redirect_uri", redirect),
            ("code_challenge", CHALLENGE),
            ("code_challenge_method", "S256"),
            ("state", "client-state"),
            ("resource", RESOURCE),
        ])
    }

    /// The person signs in at the provider our `/authorize` answer sent them to, and the
    /// browser comes back to our callback: its answer, or where it sends the browser on
    /// (the consent page, at a URL of its own, when all is well).
    pub fn callback(&self, to_provider: &Response, overrides: &Value, forged: bool) -> Response {
        assert_eq!(
            to_provider.status,
            302,
            "{}",
            String::from_utf8_lossy(&to_provider.body)
        );
        let location = to_provider.header("location").expect("a redirect");
        let code = self.host.provider_code(location, overrides, forged);
        let state = location_params(location)["state"].clone();
        let query = encode_form(&[("code", &code), ("state", &state), ("iss", IDP)]);
        let answer = self.browse("GET", &format!("/oauth/callback?{query}"), &[], b"");
        match answer.header("location") {
            Some(next) if answer.status == 303 && next.starts_with("/oauth/consent?") => {
                let next = next.to_owned();
                self.browse("GET", &next, &[], b"")
            }
            _ => answer,
        }
    }

    /// The person answers the consent page `page` with `decision`, from this server's own
    /// page (its Origin, same-origin).
    pub fn consent(&self, page: &Response, decision: &str) -> Response {
        let html = String::from_utf8_lossy(&page.body);
        let session = hidden_field(&html, "session").expect("a session field");
        let csrf = hidden_field(&html, "csrf").expect("a csrf field");
        let body = encode_form(&[
            ("session", &session),
            ("csrf", &csrf),
            ("decision", decision),
        ]);
        self.browse(
            "POST",
            "/oauth/consent",
            &[
                ("content-type", "application/x-www-form-urlencoded"),
                ("origin", ISSUER),
                ("sec-fetch-site", "same-origin"),
            ],
            body.as_bytes(),
        )
    }

    /// From `/authorize` to the code: the parameters the consent's redirect carries.
    pub fn code_for(&self, client_id: &str, redirect: &str) -> HashMap<String, String> {
        let page = self.callback(
            &self.authorize_client(client_id, redirect),
            &json!({}),
            false,
        );
        assert_eq!(page.status, 200, "{}", String::from_utf8_lossy(&page.body));
        let back = self.consent(&page, "approve");
        assert_eq!(back.status, 303, "{}", String::from_utf8_lossy(&back.body));
        let location = back.header("location").expect("a redirect");
        assert!(location.starts_with(redirect), "{location}");
        location_params(location)
    }

    /// A POST of `params` to a token, registration or revocation endpoint.
    pub fn post_form(
        &self,
        path: &str,
        params: &[(&str, &str)],
        authorization: Option<&str>,
    ) -> Response {
        let mut headers = vec![("content-type", "application/x-www-form-urlencoded")];
        if let Some(a) = authorization {
            headers.push(("authorization", a));
        }
        self.send(&request(
            "POST",
            path,
            &headers,
            encode_form(params).as_bytes(),
        ))
    }

    /// The code redeemed by a public client.
    pub fn redeem(&self, client_id: &str, code: &str, redirect: &str) -> Response {
        self.post_form(
            "/token",
            &[
                ("grant_type", "authorization_code"),
                ("code", code),
                ("code_verifier", VERIFIER),
                ("client_id", client_id),
                ("redirect_uri", redirect),
                ("resource", RESOURCE),
            ],
            None,
        )
    }

    /// A public client's refresh: `token` at `/token` for `client_id`, nothing else.
    pub fn refresh(&self, client_id: &str, token: &str) -> Response {
        self.post_form(
            "/token",
            &[
                ("grant_type", "refresh_token"),
                ("refresh_token", token),
                ("client_id", client_id),
            ],
            None,
        )
    }

    /// A `tools/call` of roll_dice on the MCP endpoint with `authorization`.
    pub fn roll(&self, authorization: &str) -> Response {
        let body = json!({"jsonrpc": "2.0", "id": 1, "method": "tools/call",
            "params": {"name": "roll_dice", "arguments": {"n_dice": 2}}});
        self.send(&request(
            "POST",
            "/mcp/",
            &[
                ("content-type", "application/json"),
                ("accept", "application/json, text/event-stream"),
                ("mcp-protocol-version", "2025-11-25"),
                ("authorization", authorization),
            ],
            body.to_string().as_bytes(),
        ))
    }
}

/// A response's body as JSON.
pub fn json_of(r: &Response) -> Value {
    serde_json::from_slice(&r.body).unwrap_or_else(|_| {
        panic!(
            "not JSON ({}): {}",
            r.status,
            String::from_utf8_lossy(&r.body)
        )
    })
}

/// A response's body as text.
pub fn text_of(r: &Response) -> String {
    String::from_utf8_lossy(&r.body).into_owned()
}
