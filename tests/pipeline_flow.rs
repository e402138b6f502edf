//! The pipeline's order on the host, with a fake platform standing in for the worker's
//! bindings: the Origin check, then the rate limits, then the key set and the token, then
//! MCP. What the pipeline asks the platform (limiter questions, key set fetches, console
//! lines) is what these tests look at; tests/e2e/ratelimit.test.mjs and
//! auth-config.test.mjs run the same paths against workerd's own bindings.

use std::cell::Cell;
use std::rc::Rc;
use std::sync::OnceLock;

use base64ct::{Base64UrlUnpadded, Encoding};
use jwt_compact::{alg::Rsa, Algorithm, AlgorithmSignature};
use mcp_worker::config::Config;
use mcp_worker::http::{configure, Body, HttpRequest, Response};
use mcp_worker::http::{Limiter, Severity};
use mcp_worker::log::AuthOutcome;
use mcp_worker::testing::{handle_on, TestPlatform};
use rsa::pkcs8::{EncodePublicKey, LineEnding};
use rsa::traits::PublicKeyParts;
use rsa::RsaPrivateKey;
use serde_json::{json, Value};

const NOW: i64 = 1_800_000_000;
const JWKS_URL: &str = "https://idp.example/jwks.json";
const PING: &str = r#"{"jsonrpc":"2.0","id":1,"method":"ping"}"#;
const ROLL: &str = r#"{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"roll_dice","arguments":{"n_dice":1}}}"#;
const ADDRESS: &str = "ADDRESS_RATE_LIMIT";
const CALLER: &str = "CALLER_RATE_LIMIT";

fn key() -> &'static RsaPrivateKey {
    static KEY: OnceLock<RsaPrivateKey> = OnceLock::new();
    KEY.get_or_init(|| RsaPrivateKey::new(&mut rsa::rand_core::OsRng, 2048).unwrap())
}

fn pem() -> String {
    key()
        .to_public_key()
        .to_public_key_pem(LineEnding::LF)
        .unwrap()
}

fn config(vars: &[(&str, String)]) -> Config {
    Config::from_vars(&dice_mcp::SERVER, |name| {
        vars.iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v.clone())
    })
    .unwrap()
}

/// The configured key, each test its own configuration (and so its own token memories).
fn pem_config() -> Config {
    config(&[("JWT_PUBLIC_KEY", pem())])
}

fn jwks_config() -> Config {
    config(&[("JWT_JWKS_URL", JWKS_URL.into())])
}

/// The key as a key set with the kid `k1`, as an identity provider publishes it.
fn key_set() -> Vec<u8> {
    let public = key().to_public_key();
    json!({ "keys": [{
        "kty": "RSA", "kid": "k1", "alg": "RS256", "use": "sig",
        "n": Base64UrlUnpadded::encode_string(&public.n().to_bytes_be()),
        "e": Base64UrlUnpadded::encode_string(&public.e().to_bytes_be()),
    }]})
    .to_string()
    .into_bytes()
}

/// A token for `sub`, signed by the test key, with `kid` in its header when given.
fn token(sub: &str, kid: Option<&str>) -> String {
    let mut header = json!({"alg": "RS256", "typ": "JWT"});
    if let Some(kid) = kid {
        header["kid"] = json!(kid);
    }
    let claims = json!({"sub": sub, "aud": "dice-server", "iat": NOW, "exp": NOW + 3600});
    let input = format!(
        "{}.{}",
        Base64UrlUnpadded::encode_string(header.to_string().as_bytes()),
        Base64UrlUnpadded::encode_string(claims.to_string().as_bytes())
    );
    let sig = Rsa::rs256().sign(key(), input.as_bytes());
    format!(
        "Bearer {input}.{}",
        Base64UrlUnpadded::encode_string(sig.as_bytes().as_ref())
    )
}

/// A token whose signature is not the key's: what a flood of forgeries sends.
fn forged(n: usize) -> String {
    let genuine = token(&format!("forger-{n}"), None);
    let (head, _) = genuine.rsplit_once('.').unwrap();
    format!("{head}.{}", "A".repeat(342))
}

fn post(authorization: &str, body: &str, address: &str) -> HttpRequest {
    HttpRequest {
        method: "POST".into(),
        base_url: "http://internal:8787".into(),
        path: "/mcp/".into(),
        query: String::new(),
        headers: vec![
            ("content-type", "application/json"),
            ("authorization", authorization),
            ("cf-connecting-ip", address),
        ]
        .into(),
        body: Body::Bytes(body.as_bytes().to_vec()),
    }
}

fn serve(config: &Config, platform: &Rc<TestPlatform>, req: &HttpRequest, now: i64) -> Response {
    handle_on(&dice_mcp::SERVER, config, req, now, platform.clone())
}

fn asked(platform: &TestPlatform, binding: &str) -> Vec<String> {
    platform
        .limited()
        .into_iter()
        .filter(|(b, _)| b == binding)
        .map(|(_, key)| key)
        .collect()
}

fn error_of(r: &Response) -> Value {
    serde_json::from_slice::<Value>(&r.body).unwrap()["error"].clone()
}

#[test]
fn a_new_token_meets_no_limiter_and_a_known_caller_meets_its_own_before_the_tool() {
    let config = pem_config();
    let platform = Rc::new(TestPlatform::default().limiting(|_, _| Limiter::Allowed));
    let t = token("alice", None);
    let first = serve(&config, &platform, &post(&t, PING, "192.0.2.1"), NOW);
    assert_eq!((first.status, first.log.auth), (200, AuthOutcome::Verified));
    assert!(
        platform.limited().is_empty(),
        "a valid token is never counted against its address"
    );
    let call = serve(&config, &platform, &post(&t, ROLL, "192.0.2.1"), NOW);
    assert_eq!((call.status, call.log.auth), (200, AuthOutcome::Cached));
    assert_eq!(asked(&platform, CALLER), ["alice"]);
    serve(&config, &platform, &post(&t, PING, "192.0.2.1"), NOW);
    assert_eq!(
        platform.limited().len(),
        1,
        "only tool calls meet the caller limit"
    );

    // The caller limit refuses: 429, and the tool does not run.
    let refusing = Rc::new(TestPlatform::default().limiting(|_, _| Limiter::Refused));
    let r = serve(&config, &refusing, &post(&t, ROLL, "192.0.2.1"), NOW);
    assert_eq!(r.status, 429);
    assert_eq!(r.header("retry-after"), Some("60"));
    assert_eq!(error_of(&r)["code"], -32000);
    assert_eq!(error_of(&r)["data"]["limit"], "caller");
    assert_eq!(r.log.rate_limited, Some("caller"));
    assert_eq!(r.log.auth, AuthOutcome::Cached);
    assert_eq!(r.log.tool, None, "MCP never saw the call");
    assert_eq!(
        r.headers
            .iter()
            .filter(|(name, _)| *name == "x-content-type-options")
            .count(),
        1,
        "the common headers, once"
    );
}

#[test]
fn the_origin_is_checked_before_any_limit_or_key() {
    let config = jwks_config();
    let platform = Rc::new(
        TestPlatform::default()
            .limiting(|_, _| Limiter::Refused)
            .serving_key_set(|_| Ok((key_set(), None))),
    );
    let mut req = post(&forged(0), PING, "192.0.2.2");
    req.headers.push("origin", "https://evil.example");
    let r = serve(&config, &platform, &req, NOW);
    assert_eq!(r.status, 403);
    assert!(platform.limited().is_empty());
    assert!(platform.key_set_fetches().is_empty());
    // Nor does anything that needs no token fetch keys: the metadata, a preflight.
    for method in ["GET", "OPTIONS"] {
        let req = HttpRequest {
            method: method.into(),
            path: if method == "GET" {
                "/.well-known/oauth-protected-resource/mcp".into()
            } else {
                "/mcp/".into()
            },
            ..post("", "", "192.0.2.2")
        };
        serve(&config, &platform, &req, NOW);
    }
    assert!(platform.key_set_fetches().is_empty());
}

#[test]
fn forged_tokens_are_counted_and_a_refused_address_is_blocked_before_verification() {
    let config = pem_config();
    // The binding refuses the third failure from an address.
    let counted = Rc::new(Cell::new(0));
    let count = counted.clone();
    let platform = Rc::new(TestPlatform::default().limiting(move |binding, _| {
        if binding != ADDRESS {
            return Limiter::Allowed;
        }
        count.set(count.get() + 1);
        if count.get() >= 3 {
            Limiter::Refused
        } else {
            Limiter::Allowed
        }
    }));
    let flooder = "198.51.100.9";
    let earlier = token("verified-before", None);
    assert_eq!(
        serve(&config, &platform, &post(&earlier, PING, flooder), NOW).status,
        200
    );
    for n in 0..3 {
        let r = serve(&config, &platform, &post(&forged(n), PING, flooder), NOW);
        assert_eq!(r.status, 401, "forgery {n} is checked and refused");
        assert_eq!(r.log.auth, AuthOutcome::Refused("invalid_token"));
    }
    assert_eq!(asked(&platform, ADDRESS), [flooder; 3]);

    // Blocked: a new token from the address, even a valid one, is refused unchecked and
    // uncounted; a token verified earlier is still served; other addresses are not blocked.
    let fresh = token("new-user", None);
    let r = serve(&config, &platform, &post(&fresh, PING, flooder), NOW + 1);
    assert_eq!(r.status, 429);
    assert_eq!(error_of(&r)["data"]["limit"], "address");
    assert_eq!(r.log.auth, AuthOutcome::RateLimited);
    assert_eq!(r.log.rate_limited, Some("address"));
    let r = serve(
        &config,
        &platform,
        &post(&forged(9), PING, flooder),
        NOW + 1,
    );
    assert_eq!(r.status, 429);
    assert_eq!(asked(&platform, ADDRESS).len(), 3, "nothing more counted");
    let r = serve(&config, &platform, &post(&earlier, PING, flooder), NOW + 1);
    assert_eq!((r.status, r.log.auth), (200, AuthOutcome::Cached));
    let other = token("elsewhere", None);
    let r = serve(
        &config,
        &platform,
        &post(&other, PING, "198.51.100.10"),
        NOW + 1,
    );
    assert_eq!(r.status, 200);

    // The block lasts the limiter's longest window, the time the client is told to wait.
    assert_eq!(
        serve(&config, &platform, &post(&fresh, PING, flooder), NOW + 59).status,
        429
    );
    assert_eq!(
        serve(&config, &platform, &post(&fresh, PING, flooder), NOW + 60).status,
        200
    );
}

#[test]
fn a_failing_limiter_serves_the_request_and_says_so() {
    let config = pem_config();
    let platform = Rc::new(TestPlatform::default().limiting(|_, _| Limiter::Failed("boom".into())));
    let t = token("bob", None);
    serve(&config, &platform, &post(&t, PING, "192.0.2.3"), NOW);
    let r = serve(&config, &platform, &post(&t, ROLL, "192.0.2.3"), NOW);
    assert_eq!(r.status, 200);
    assert_eq!(
        platform.console_lines(),
        [(
            Severity::Error,
            "the CALLER_RATE_LIMIT rate limiter failed, request served unlimited: boom".into()
        )]
    );
}

#[test]
fn the_key_set_is_fetched_when_a_token_needs_it_and_again_for_an_unknown_kid() {
    let config = jwks_config();
    let platform =
        Rc::new(TestPlatform::default().serving_key_set(|_| Ok((key_set(), Some(3600)))));
    let r = serve(
        &config,
        &platform,
        &post(&token("carol", Some("k1")), PING, "192.0.2.4"),
        NOW,
    );
    assert_eq!((r.status, r.log.auth), (200, AuthOutcome::Verified));
    assert_eq!(platform.key_set_fetches(), [JWKS_URL]);
    let r = serve(
        &config,
        &platform,
        &post(&token("dave", Some("k1")), PING, "192.0.2.4"),
        NOW,
    );
    assert_eq!(r.status, 200);
    assert_eq!(platform.key_set_fetches().len(), 1, "the keys are fresh");
    // A kid the set lacks: a rotation, fetched again at most once a minute.
    let rotated = token("erin", Some("k2"));
    let r = serve(
        &config,
        &platform,
        &post(&rotated, PING, "192.0.2.4"),
        NOW + 10,
    );
    assert_eq!(r.status, 401);
    assert_eq!(platform.key_set_fetches().len(), 1);
    serve(
        &config,
        &platform,
        &post(&token("frank", Some("k2")), PING, "192.0.2.4"),
        NOW + 60,
    );
    assert_eq!(platform.key_set_fetches().len(), 2);
}

#[test]
fn a_key_set_that_cannot_be_fetched_is_a_503_and_a_line_in_the_log() {
    let config = jwks_config();
    let platform = Rc::new(TestPlatform::default().serving_key_set(|_| Err("HTTP 500".into())));
    let t = token("grace", Some("k1"));
    let r = serve(&config, &platform, &post(&t, PING, "192.0.2.5"), NOW);
    assert_eq!(r.status, 503);
    assert_eq!(r.header("retry-after"), Some("10"));
    assert_eq!(r.log.auth, AuthOutcome::Refused("temporarily_unavailable"));
    assert_eq!(
        platform.console_lines(),
        [(
            Severity::Warning,
            "fetching JWT_JWKS_URL failed: HTTP 500".into()
        )]
    );
    // Backed off: the next request does not fetch again at once.
    serve(&config, &platform, &post(&t, PING, "192.0.2.5"), NOW + 1);
    assert_eq!(platform.key_set_fetches().len(), 1);
}

#[test]
fn a_blocked_address_is_refused_before_any_key_set_fetch() {
    // A configured key (no kid) and a key set URL that never answers: forgeries are
    // checked against the configured key, and each due fetch is tried.
    let config = config(&[("JWT_PUBLIC_KEY", pem()), ("JWT_JWKS_URL", JWKS_URL.into())]);
    let platform = Rc::new(
        TestPlatform::default()
            .limiting(|_, _| Limiter::Refused)
            .serving_key_set(|_| Err("unreachable".into())),
    );
    let flooder = "203.0.113.50";
    let r = serve(&config, &platform, &post(&forged(0), PING, flooder), NOW);
    assert_eq!(r.status, 401);
    assert_eq!(platform.key_set_fetches().len(), 1);
    // Past the fetch back-off a fetch is due again, but the blocked address never gets
    // that far; another address does.
    let r = serve(
        &config,
        &platform,
        &post(&token("hal", None), PING, flooder),
        NOW + 11,
    );
    assert_eq!(r.status, 429);
    assert_eq!(platform.key_set_fetches().len(), 1);
    let r = serve(
        &config,
        &platform,
        &post(&token("hal", None), PING, "203.0.113.51"),
        NOW + 11,
    );
    assert_eq!(r.status, 200);
    assert_eq!(platform.key_set_fetches().len(), 2);
}

#[test]
fn reading_the_configuration_says_once_what_the_operator_should_know() {
    let unbound = TestPlatform::default().with_var("JWT_PUBLIC_KEY", &pem());
    assert!(configure(&dice_mcp::SERVER, &unbound).is_ok());
    assert_eq!(
        unbound.console_lines(),
        [
            (Severity::Warning, "no ADDRESS_RATE_LIMIT binding ([[ratelimits]] in wrangler.toml): requests are not rate-limited per address".into()),
            (Severity::Warning, "no CALLER_RATE_LIMIT binding ([[ratelimits]] in wrangler.toml): requests are not rate-limited per caller".into()),
        ]
    );
    let bound = TestPlatform::default()
        .with_var("JWT_PUBLIC_KEY", &pem())
        .limiting(|_, _| Limiter::Allowed);
    assert!(configure(&dice_mcp::SERVER, &bound).is_ok());
    assert!(bound.console_lines().is_empty());
    let keyless = TestPlatform::default().limiting(|_, _| Limiter::Allowed);
    let err = configure(&dice_mcp::SERVER, &keyless).unwrap_err();
    assert_eq!(err.var, "JWT_PUBLIC_KEY");
    let lines = keyless.console_lines();
    assert_eq!(lines.len(), 1);
    assert_eq!(lines[0].0, Severity::Error);
    assert!(
        lines[0]
            .1
            .ends_with("Every request gets 500 until it is fixed."),
        "{lines:?}"
    );
}
