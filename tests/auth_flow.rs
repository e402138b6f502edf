//! Authentication through the HTTP core on the host: challenges, scopes, metadata, and the
//! verified-token cache. The attack catalogue runs against workerd in tests/e2e/auth.test.mjs.

use std::sync::OnceLock;

use base64ct::{Base64UrlUnpadded, Encoding};
use mcp_worker::config::Config;
use std::rc::Rc;

use jwt_compact::{alg::Rsa, Algorithm, AlgorithmSignature};
use mcp_worker::http::Limiter;
use mcp_worker::http::{Body, HttpRequest, Response};
use mcp_worker::log::AuthOutcome;
use mcp_worker::testing::{handle, handle_on, TestPlatform};
use rsa::pkcs8::{EncodePublicKey, LineEnding};
use rsa::RsaPrivateKey;
use serde_json::{json, Value};

const NOW: i64 = 1_800_000_000;

fn key() -> &'static RsaPrivateKey {
    static KEY: OnceLock<RsaPrivateKey> = OnceLock::new();
    KEY.get_or_init(|| RsaPrivateKey::new(&mut rsa::rand_core::OsRng, 2048).unwrap())
}

fn config() -> &'static Config {
    static CONFIG: OnceLock<Config> = OnceLock::new();
    CONFIG.get_or_init(|| {
        let pem = key()
            .to_public_key()
            .to_public_key_pem(LineEnding::LF)
            .unwrap();
        Config::from_vars(&dice_mcp::SERVER, |name| match name {
            "JWT_PUBLIC_KEY" => Some(pem.clone()),
            "REQUIRED_SCOPES" => Some("dice:roll".into()),
            "PUBLIC_URL" => Some("https://dice.example.com/".into()),
            "AUTHORIZATION_SERVERS" => Some("https://auth.example.com".into()),
            _ => None,
        })
        .unwrap()
    })
}

fn token(claims: Value) -> String {
    let input = format!(
        "{}.{}",
        Base64UrlUnpadded::encode_string(br#"{"alg":"RS256","typ":"JWT"}"#),
        Base64UrlUnpadded::encode_string(claims.to_string().as_bytes())
    );
    let sig = Rsa::rs256().sign(key(), input.as_bytes());
    format!(
        "{input}.{}",
        Base64UrlUnpadded::encode_string(sig.as_bytes().as_ref())
    )
}

fn good_claims() -> Value {
    // An authorization server is named and JWT_AUDIENCE is not: tokens are for our URL.
    json!({"sub": "u", "aud": "https://dice.example.com/mcp", "iat": NOW, "exp": NOW + 600, "scope": "dice:roll"})
}

fn ping(authorization: Option<&str>) -> Response {
    ping_at(authorization, NOW)
}

/// A ping, and whether its token was counted against the client's address (a forged or
/// unparsable token checked now: tests/pipeline_flow.rs follows the count further).
fn ping_counted(authorization: Option<&str>) -> (Response, bool) {
    let platform = Rc::new(TestPlatform::default().limiting(|_, _| Limiter::Allowed));
    let r = handle_on(
        &dice_mcp::SERVER,
        config(),
        &ping_request(authorization),
        NOW,
        platform.clone(),
    );
    let counted = platform
        .limited()
        .iter()
        .any(|(binding, _)| binding == "ADDRESS_RATE_LIMIT");
    (r, counted)
}

fn ping_at(authorization: Option<&str>, now: i64) -> Response {
    handle(
        &dice_mcp::SERVER,
        config(),
        &ping_request(authorization),
        now,
    )
}

fn ping_request(authorization: Option<&str>) -> HttpRequest {
    let mut headers = vec![("content-type".to_owned(), "application/json".to_owned())];
    if let Some(a) = authorization {
        headers.push(("authorization".into(), a.into()));
    }
    HttpRequest {
        method: "POST".into(),
        base_url: "http://internal:8787".into(),
        path: "/mcp".into(),
        query: String::new(),
        headers: headers.into(),
        body: Body::Bytes(br#"{"jsonrpc":"2.0","id":1,"method":"ping"}"#.to_vec()),
    }
}

#[test]
fn a_valid_token_is_served_and_served_again_from_the_cache() {
    let mut c = good_claims();
    c["jti"] = json!("cache-test");
    let t = token(c);
    let first = ping(Some(&format!("Bearer {t}")));
    assert_eq!((first.status, first.log.auth), (200, AuthOutcome::Verified));
    let again = ping(Some(&format!("Bearer {t}")));
    assert_eq!((again.status, again.log.auth), (200, AuthOutcome::Cached));
    assert_eq!(again.log.method.as_deref(), Some("ping"));
    assert_eq!(again.log.protocol, Some("2025-03-26"));
}

#[test]
fn the_challenge_points_at_the_public_urls_metadata() {
    let r = ping(None);
    assert_eq!(r.status, 401);
    assert_eq!(
        r.header("www-authenticate"),
        Some(
            r#"Bearer resource_metadata="https://dice.example.com/.well-known/oauth-protected-resource/mcp", scope="dice:roll""#
        )
    );
    assert_eq!(r.log.status, 401);
    assert_eq!(r.log.auth, AuthOutcome::Refused("invalid_request"));
    assert!(r
        .log
        .reason
        .as_deref()
        .unwrap()
        .contains("Authorization: Bearer"));
}

#[test]
fn the_challenge_follows_the_path_used() {
    let mut req = ping_request(None);
    req.path = "/mcp/".into();
    let r = handle(&dice_mcp::SERVER, config(), &req, NOW);
    assert_eq!(r.status, 401);
    assert!(r.header("www-authenticate").unwrap().starts_with(
        r#"Bearer resource_metadata="https://dice.example.com/.well-known/oauth-protected-resource/mcp/""#
    ));
}

#[test]
fn tokens_for_any_of_our_resource_urls_pass_and_for_nothing_else() {
    for (aud, status) in [
        (json!("https://dice.example.com/mcp/"), 200),
        (json!(["x", "https://dice.example.com/mcp"]), 200),
        (json!("https://dice.example.com"), 200),
        // The origin as a URL library writes it (`new URL(..).href`).
        (json!("https://dice.example.com/"), 200),
        (json!("https://dice.example.com//"), 401),
        // The seed's audience is the default only when no authorization server is named.
        (json!("dice-server"), 401),
        (json!("https://dice.example.com/mcp/other"), 401),
        (json!("https://other.example.com/mcp/"), 401),
    ] {
        let mut c = good_claims();
        c["aud"] = aud.clone();
        let (r, counted) = ping_counted(Some(&format!("Bearer {}", token(c))));
        assert_eq!(r.status, status, "{aud}");
        assert!(
            !counted,
            "a genuine token is never counted against the address"
        );
    }
}

#[test]
fn an_expired_token_is_invalid_token() {
    let mut c = good_claims();
    c["exp"] = json!(NOW - 1);
    let r = ping(Some(&format!("Bearer {}", token(c))));
    assert_eq!(r.status, 401);
    assert!(r
        .header("www-authenticate")
        .unwrap()
        .contains(r#"error="invalid_token""#));
}

#[test]
fn a_missing_scope_is_403_insufficient_scope() {
    let mut c = good_claims();
    c["scope"] = json!("other");
    let t = token(c);
    // Twice: the second answer comes from the cache and must be the same.
    for _ in 0..2 {
        let r = ping(Some(&format!("Bearer {t}")));
        assert_eq!(r.status, 403);
        assert!(r
            .header("www-authenticate")
            .unwrap()
            .contains(r#"error="insufficient_scope""#));
    }
}

#[test]
fn metadata_names_the_resource_and_its_authorization_server() {
    let r = handle(
        &dice_mcp::SERVER,
        config(),
        &HttpRequest {
            method: "GET".into(),
            base_url: "http://internal:8787".into(),
            path: "/.well-known/oauth-protected-resource/mcp".into(),
            ..HttpRequest::default()
        },
        NOW,
    );
    assert_eq!(r.status, 200);
    let doc: Value = serde_json::from_slice(&r.body).unwrap();
    assert_eq!(doc["resource"], "https://dice.example.com/mcp");
    assert_eq!(
        doc["authorization_servers"],
        json!(["https://auth.example.com"])
    );
    // The required scope and every scope a tool asks for, each once: whatever tools the
    // server has, not a list this test would have to follow.
    let listed: Vec<&str> = doc["scopes_supported"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_str().unwrap())
        .collect();
    assert!(listed.contains(&"dice:roll"), "{listed:?}");
    for scope in dice_mcp::SERVER.scopes() {
        assert!(
            listed.contains(&scope),
            "{scope} is missing from {listed:?}"
        );
    }
    let mut unique = listed.clone();
    unique.sort_unstable();
    unique.dedup();
    assert_eq!(unique.len(), listed.len(), "{listed:?}");
}

#[test]
fn client_text_in_a_challenge_is_folded_to_safe_ascii() {
    let header = Base64UrlUnpadded::encode_string("{\"alg\":\"RS256\\n\\\"é\"}".as_bytes());
    let forged = format!("Bearer {header}.e30.c2ln");
    let r = ping(Some(&forged));
    assert_eq!(r.status, 401);
    let challenge = r.header("www-authenticate").unwrap();
    assert!(
        challenge.bytes().all(|b| b == b' ' || b.is_ascii_graphic()),
        "{challenge}"
    );
    assert!(challenge.contains("algorithm 'RS256?'?'"), "{challenge}");
}

#[test]
fn a_forged_token_sent_again_is_refused_from_memory() {
    let t = token(good_claims());
    let (head, _) = t.rsplit_once('.').unwrap();
    let forged = format!("Bearer {head}.{}", "A".repeat(342));
    let (first, first_counted) = ping_counted(Some(&forged));
    let (again, again_counted) = ping_counted(Some(&forged));
    assert_eq!(first.status, 401);
    assert!(!first.log.remembered, "the first one is verified");
    assert!(first_counted, "and counted against the address");
    assert!(again.log.remembered, "the second one is not");
    assert!(!again_counted, "nor counted");
    // A header that is not a token at all is counted too; no token is not.
    assert!(ping_counted(Some("Bearer not-a-token")).1);
    assert!(!ping_counted(None).1);
    assert_eq!(
        (again.status, &again.body, again.header("www-authenticate")),
        (first.status, &first.body, first.header("www-authenticate")),
        "the same answer either way"
    );
}

/// Asserts a `401` whose logged reason contains `why`.
fn assert_refused_for(r: &Response, why: &str) {
    assert_eq!(r.status, 401);
    let reason = r.log.reason.as_deref().unwrap_or("");
    assert!(reason.contains(why), "{reason:?}");
}

#[test]
fn malformed_claims_are_the_issuer_s_only_under_a_good_signature() {
    let mut c = good_claims();
    c["exp"] = json!("tomorrow");
    let signed = token(c);
    let (r, counted) = ping_counted(Some(&format!("Bearer {signed}")));
    assert_refused_for(&r, "claims are malformed");
    assert!(
        !counted,
        "a good signature over bad claims is not a forgery"
    );
    // The same claims under another token's signature: a forgery, counted.
    let (head, _) = signed.rsplit_once('.').unwrap();
    let other = token(good_claims());
    let (_, other_sig) = other.rsplit_once('.').unwrap();
    let (r, counted) = ping_counted(Some(&format!("Bearer {head}.{other_sig}")));
    assert_refused_for(&r, "signature does not verify");
    assert!(counted, "checked before the claims are read");
}

#[test]
fn a_token_not_valid_yet_is_not_remembered_and_passes_once_it_is() {
    let mut c = good_claims();
    c["nbf"] = json!(NOW + 120);
    c["jti"] = json!("not-yet");
    let t = format!("Bearer {}", token(c));
    let early = ping(Some(&t));
    assert_eq!(early.status, 401);
    assert!(
        !ping(Some(&t)).log.remembered,
        "a refusal that can mend is not kept"
    );
    assert_eq!(ping_at(Some(&t), NOW + 120).status, 200);
}

#[test]
fn an_expired_token_is_remembered() {
    let mut c = good_claims();
    c["exp"] = json!(NOW - 1);
    c["jti"] = json!("expired-twice");
    let t = format!("Bearer {}", token(c));
    assert!(!ping(Some(&t)).log.remembered);
    let again = ping(Some(&t));
    assert_eq!(again.status, 401);
    assert!(again.log.remembered);
}

/// Whatever the method, a request without a valid token gets the 401 challenge first
/// (mcp-remote opens with a GET and reads `resource_metadata` from it), on both paths;
/// only a valid token learns that the method is not served.
#[test]
fn other_methods_are_challenged_before_they_are_refused() {
    let send = |method: &str, path: &str, authorization: Option<&str>| {
        let mut headers = vec![("accept", "text/event-stream")];
        if let Some(a) = authorization {
            headers.push(("authorization", a));
        }
        handle(
            &dice_mcp::SERVER,
            config(),
            &HttpRequest {
                method: method.into(),
                base_url: "http://internal:8787".into(),
                path: path.into(),
                headers: headers.into(),
                ..HttpRequest::default()
            },
            NOW,
        )
    };
    let good = format!("Bearer {}", token(good_claims()));
    for path in ["/mcp", "/mcp/"] {
        for method in ["GET", "DELETE", "PUT", "HEAD"] {
            for bad in [None, Some("Bearer not-a-token"), Some("Basic dTpw")] {
                let r = send(method, path, bad);
                assert_eq!(r.status, 401, "{method} {path} {bad:?}");
                let challenge = r.header("www-authenticate").unwrap();
                assert!(
                    challenge.contains(&format!(
                        "resource_metadata=\"https://dice.example.com/.well-known/oauth-protected-resource{path}\""
                    )),
                    "{challenge}"
                );
            }
            let r = send(method, path, Some(&good));
            assert_eq!(r.status, 405, "{method} {path}");
            assert_eq!(r.header("allow"), Some("POST, OPTIONS"));
            assert!(matches!(
                r.log.auth,
                AuthOutcome::Verified | AuthOutcome::Cached
            ));
        }
    }
}
