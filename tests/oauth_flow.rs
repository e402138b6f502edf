//! The authorization server in the worker through the HTTP pipeline on the host: the
//! sign-in from `/authorize` to a tool call, with a fake OpenID provider behind the
//! platform's fetch (tests/oauth_host), and each way a browser, a client or the provider
//! can get it wrong. tests/e2e/authorization-server.test.mjs runs the same flow in
//! workerd with a real provider and clients we did not write.

mod oauth_host;

use oauth_host::*;
use serde_json::{json, Value};

fn assert_page(r: &mcp_worker::http::Response, status: u16, says: &str) {
    let text = text_of(r);
    assert_eq!(r.status, status, "{text}");
    assert!(
        r.header("content-type").unwrap().starts_with("text/html"),
        "{text}"
    );
    assert!(r.header("content-security-policy").is_some());
    let escaped = mcp_worker::oauth::pages::escape(says);
    assert!(text.contains(&escaped), "{says:?} is not in {text}");
    assert!(r.header("location").is_none(), "a page, not a redirect");
}

fn assert_oauth_error(r: &mcp_worker::http::Response, status: u16, error: &str) {
    let body = json_of(r);
    assert_eq!(
        (r.status, body["error"].as_str()),
        (status, Some(error)),
        "{body}"
    );
    assert_eq!(r.header("cache-control"), Some("no-store"));
}

/// A DCR public client from nothing: registered, sent to the provider and back, consent,
/// the code redeemed, a tool called with the access token (verified with no fetch), and
/// the refresh token rotated.
#[test]
fn a_dcr_client_signs_in_and_calls_a_tool() {
    let flow = Flow::new();
    let client_id = flow.public_client(LOOPBACK_REDIRECT);
    let to_provider = flow.authorize_client(&client_id, LOOPBACK_REDIRECT);
    assert_eq!(to_provider.status, 302, "{}", text_of(&to_provider));
    let location = to_provider.header("location").unwrap();
    assert!(
        location.starts_with(&format!("{IDP_AUTHORIZE}?")),
        "{location}"
    );
    let sent = location_params(location);
    assert_eq!(sent["scope"], "openid email profile");
    assert_eq!(sent["state"].len(), 22, "a fresh session id");
    // The provider's verifier and nonce never leave the server: the challenge is not ours.
    assert_ne!(sent["code_challenge"], CHALLENGE);
    assert_eq!(flow.cookies.borrow().len(), 1, "the session's cookie");
    assert_eq!(
        flow.cookies.borrow()[0].0,
        format!("__Secure-mcp_oauth_{}", sent["state"]),
        "an https issuer's cookie is __Secure-"
    );

    let page = flow.callback(&to_provider, &json!({}), false);
    assert_eq!(page.status, 200, "{}", text_of(&page));
    let html = text_of(&page);
    assert!(
        html.contains("Allow Test Client to use Dice Roller?"),
        "{html}"
    );
    assert!(html.contains("alice@example.com"), "the person is shown");
    assert!(
        html.contains("not verified by anyone"),
        "a registered client's name"
    );
    assert!(
        html.contains("<strong>127.0.0.1</strong>"),
        "where the browser goes next"
    );
    assert_eq!(page.header("x-frame-options"), Some("DENY"));

    let back = flow.consent(&page, "approve");
    assert_eq!(back.status, 303, "{}", text_of(&back));
    assert!(
        flow.cookies.borrow().is_empty(),
        "the session's cookie is cleared"
    );
    let params = location_params(back.header("location").unwrap());
    assert_eq!(params["state"], "client-state");
    assert_eq!(params["iss"], ISSUER);
    assert_eq!(flow.host.grant_count(), 1);

    let tokens = flow.redeem(&client_id, &params["code"], LOOPBACK_REDIRECT);
    assert_eq!(tokens.status, 200, "{}", text_of(&tokens));
    assert_eq!(tokens.header("cache-control"), Some("no-store"));
    let tokens = json_of(&tokens);
    assert_eq!(tokens["token_type"], "Bearer");
    assert!(tokens["expires_in"].as_i64().unwrap() <= 3600);
    let access = tokens["access_token"].as_str().unwrap();
    let refresh = tokens["refresh_token"].as_str().unwrap();

    let fetched = flow.host.outbound.borrow().len();
    let rolled = flow.roll(&format!("Bearer {access}"));
    assert_eq!(rolled.status, 200, "{}", text_of(&rolled));
    let result = &json_of(&rolled)["result"];
    assert_eq!(result["isError"], json!(false), "{result}");
    assert_eq!(
        flow.host.outbound.borrow().len(),
        fetched,
        "our own access tokens are verified with our keys, no fetch"
    );

    let rotated = flow.refresh(&client_id, refresh);
    assert_eq!(rotated.status, 200, "{}", text_of(&rotated));
    let rotated = json_of(&rotated);
    assert_ne!(rotated["refresh_token"].as_str().unwrap(), refresh);
    assert_eq!(
        flow.roll(&format!(
            "Bearer {}",
            rotated["access_token"].as_str().unwrap()
        ))
        .status,
        200
    );
}

/// A client whose `client_id` is its metadata document's URL: the document fetched once
/// (it may be cached), its host shown on the consent page, the same flow to a tool call.
#[test]
fn a_metadata_document_client_signs_in_and_calls_a_tool() {
    const ID: &str = "https://client.example/app.json";
    let flow = Flow::new();
    flow.host.serve_document(
        ID,
        200,
        &json!({
            "client_id": ID,
            "client_name": "Document App",
            "redirect_uris": [LOOPBACK_REDIRECT],
            "grant_types": ["authorization_code", "refresh_token"],
            "token_endpoint_auth_method": "none",
        }),
        "max-age=600",
    );
    let page = flow.callback(
        &flow.authorize_client(ID, LOOPBACK_REDIRECT),
        &json!({}),
        false,
    );
    assert_eq!(page.status, 200, "{}", text_of(&page));
    let html = text_of(&page);
    assert!(
        html.contains("Allow Document App to use Dice Roller?"),
        "{html}"
    );
    assert!(
        html.contains("published by <strong>client.example</strong>"),
        "{html}"
    );
    let back = flow.consent(&page, "approve");
    let params = location_params(back.header("location").unwrap());
    let tokens = flow.redeem(ID, &params["code"], LOOPBACK_REDIRECT);
    assert_eq!(tokens.status, 200, "{}", text_of(&tokens));
    let tokens = json_of(&tokens);
    let rolled = flow.roll(&format!(
        "Bearer {}",
        tokens["access_token"].as_str().unwrap()
    ));
    assert_eq!(rolled.status, 200, "{}", text_of(&rolled));
    let documents = flow
        .host
        .outbound
        .borrow()
        .iter()
        .filter(|u| *u == ID)
        .count();
    assert_eq!(documents, 1, "the document is kept for its max-age");
}

#[test]
fn the_metadata_documents_name_this_server() {
    let flow = Flow::new();
    let get = |path: &str| flow.send(&request("GET", path, &[], b""));
    let r = get("/.well-known/oauth-authorization-server");
    assert_eq!(r.status, 200);
    assert_eq!(r.header("access-control-allow-origin"), Some("*"));
    let doc = json_of(&r);
    assert_eq!(doc["issuer"], ISSUER);
    for (field, path) in [
        ("authorization_endpoint", "/authorize"),
        ("token_endpoint", "/token"),
        ("registration_endpoint", "/register"),
        ("revocation_endpoint", "/revoke"),
        ("jwks_uri", "/oauth/jwks.json"),
    ] {
        assert_eq!(doc[field], format!("{ISSUER}{path}"), "{field}");
    }
    assert_eq!(doc["response_types_supported"], json!(["code"]));
    assert_eq!(doc["code_challenge_methods_supported"], json!(["S256"]));
    assert_eq!(
        doc["grant_types_supported"],
        json!(["authorization_code", "refresh_token"])
    );
    assert_eq!(doc["client_id_metadata_document_supported"], true);
    assert_eq!(doc["authorization_response_iss_parameter_supported"], true);
    assert!(doc["token_endpoint_auth_methods_supported"]
        .as_array()
        .unwrap()
        .contains(&json!("none")));
    // The dice server's tools need no scope: no empty scopes_supported (RFC 8414 §3.2).
    assert!(doc.get("scopes_supported").is_none(), "{doc}");

    for path in [
        "/.well-known/oauth-protected-resource/mcp",
        "/.well-known/oauth-protected-resource/mcp/",
    ] {
        let r = get(path);
        assert_eq!(r.status, 200, "{path}");
        let prm = json_of(&r);
        assert_eq!(prm["authorization_servers"], json!([ISSUER]), "{path}");
        assert!(prm["resource"]
            .as_str()
            .unwrap()
            .starts_with(&format!("{ISSUER}/mcp")));
    }

    let jwks = json_of(&get("/oauth/jwks.json"));
    let keys = jwks["keys"].as_array().unwrap();
    assert_eq!(keys.len(), 1);
    assert_eq!(keys[0]["kid"], "as-1");
    for private in ["d", "p", "q", "dp", "dq", "qi"] {
        assert!(keys[0].get(private).is_none(), "{private} is published");
    }
    // And the MCP endpoint's challenge points at our own metadata.
    let challenge = flow.roll("Bearer nothing");
    assert_eq!(challenge.status, 401);
    assert!(challenge
        .header("www-authenticate")
        .unwrap()
        .contains(&format!(
            "{ISSUER}/.well-known/oauth-protected-resource/mcp/"
        )));
}

/// The consent form is taken only from this server's page in the browser that signed in:
/// without the session's cookie, with another anti-forgery token, from another Origin or
/// a cross-site form, it is refused and no grant is made. The genuine one then passes.
#[test]
fn a_consent_from_another_browser_or_site_is_refused() {
    let flow = Flow::new();
    let client_id = flow.public_client(LOOPBACK_REDIRECT);
    let page = flow.callback(
        &flow.authorize_client(&client_id, LOOPBACK_REDIRECT),
        &json!({}),
        false,
    );
    assert_eq!(page.status, 200, "{}", text_of(&page));
    let html = text_of(&page);
    let session = hidden_field(&html, "session").unwrap();
    let csrf = hidden_field(&html, "csrf").unwrap();
    let cookie = flow.cookie_header().unwrap();
    let post = |fields: &[(&str, &str)], headers: &[(&str, &str)]| {
        let body = encode_form(fields);
        let mut all = vec![("content-type", "application/x-www-form-urlencoded")];
        all.extend_from_slice(headers);
        flow.send(&request("POST", "/oauth/consent", &all, body.as_bytes()))
    };
    let genuine = [
        ("session", session.as_str()),
        ("csrf", csrf.as_str()),
        ("decision", "approve"),
    ];
    let same_site = [("origin", ISSUER), ("sec-fetch-site", "same-origin")];

    // Another browser: no cookie.
    assert_page(
        &post(&genuine, &same_site),
        400,
        "started in another browser",
    );
    // Another browser's own sign-in cookie, this page's fields.
    let elsewhere = Flow::new();
    let other_client = elsewhere.public_client(LOOPBACK_REDIRECT);
    let other = elsewhere.callback(
        &elsewhere.authorize_client(&other_client, LOOPBACK_REDIRECT),
        &json!({}),
        false,
    );
    assert_eq!(other.status, 200);
    let other_cookie = elsewhere.cookie_header().unwrap();
    assert_page(
        &post(
            &genuine,
            &[("cookie", &other_cookie), same_site[0], same_site[1]],
        ),
        400,
        "started in another browser",
    );
    // A wrong anti-forgery token, or none.
    let with_cookie = [("cookie", cookie.as_str()), same_site[0], same_site[1]];
    let forged_csrf = "A".repeat(43);
    let wrong = [
        ("session", session.as_str()),
        ("csrf", forged_csrf.as_str()),
        ("decision", "approve"),
    ];
    assert_page(
        &post(&wrong, &with_cookie),
        403,
        "not the one this server showed",
    );
    assert_page(
        &post(
            &[("session", &session), ("decision", "approve")],
            &with_cookie,
        ),
        403,
        "not the one this server showed",
    );
    // Another site's form: its Origin, or the browser's cross-site mark.
    for foreign in [
        [
            ("origin", "https://evil.example"),
            ("sec-fetch-site", "cross-site"),
        ],
        [
            ("origin", "https://evil.example"),
            ("sec-fetch-site", "same-origin"),
        ],
        [("origin", ISSUER), ("sec-fetch-site", "cross-site")],
        [("origin", "null"), ("sec-fetch-site", "same-site")],
        [
            ("origin", "https://mcp.example.com.evil.example"),
            ("x-none", ""),
        ],
    ] {
        let headers = [("cookie", cookie.as_str()), foreign[0], foreign[1]];
        assert_page(&post(&genuine, &headers), 403, "sent from another site");
    }
    // No decision, or another one.
    assert_page(
        &post(
            &[
                ("session", &session),
                ("csrf", &csrf),
                ("decision", "maybe"),
            ],
            &with_cookie,
        ),
        400,
        "Choose Allow or Deny",
    );
    assert_eq!(flow.host.grant_count(), 0, "no refusal made a grant");

    let approved = post(&genuine, &with_cookie);
    assert_eq!(approved.status, 303, "{}", text_of(&approved));
    assert_eq!(flow.host.grant_count(), 1);
}

#[test]
fn a_denial_goes_back_as_access_denied_and_makes_no_grant() {
    let flow = Flow::new();
    let client_id = flow.public_client(LOOPBACK_REDIRECT);
    let page = flow.callback(
        &flow.authorize_client(&client_id, LOOPBACK_REDIRECT),
        &json!({}),
        false,
    );
    let back = flow.consent(&page, "deny");
    assert_eq!(back.status, 303);
    let params = location_params(back.header("location").unwrap());
    assert_eq!(params["error"], "access_denied");
    assert_eq!(params["state"], "client-state");
    assert_eq!(params["iss"], ISSUER);
    assert_eq!(flow.host.grant_count(), 0);
}

/// OAUTH_ALLOWED_USERS names `alice` and `bob@example.com`: anyone else the provider
/// signs in, and bob without a verified address, get 403 and no consent form.
#[test]
fn a_person_off_the_allow_list_gets_403_and_no_grant() {
    for (claims, allowed) in [
        (
            json!({"sub": "mallory", "email": "mallory@example.com"}),
            false,
        ),
        (
            json!({"sub": "bob-id", "email": "bob@example.com", "email_verified": false}),
            false,
        ),
        (
            json!({"sub": "bob-id", "email": "bob@example.com", "email_verified": null}),
            false,
        ),
        (json!({"sub": "Alice"}), false),
        (
            json!({"sub": "bob-id", "email": "BOB@example.com", "email_verified": true}),
            true,
        ),
        (json!({"sub": "alice", "email": null}), true),
    ] {
        let flow = Flow::new();
        let client_id = flow.public_client(LOOPBACK_REDIRECT);
        let page = flow.callback(
            &flow.authorize_client(&client_id, LOOPBACK_REDIRECT),
            &claims,
            false,
        );
        if allowed {
            assert_eq!(page.status, 200, "{claims}: {}", text_of(&page));
            continue;
        }
        assert_page(&page, 403, "has not allowed your account");
        assert!(hidden_field(&text_of(&page), "csrf").is_none());
        assert_eq!(flow.host.grant_count(), 0);
        // The cookie holds no signed-in person: a consent with it is refused.
        let cookie = flow.cookie_header().expect("the sign-in's cookie");
        let sid = cookie["mcp_oauth_".len()..]
            .split('=')
            .next()
            .unwrap()
            .to_owned();
        let body = encode_form(&[("session", &sid), ("decision", "approve")]);
        let r = flow.send(&request(
            "POST",
            "/oauth/consent",
            &[("cookie", &cookie), ("origin", ISSUER)],
            body.as_bytes(),
        ));
        assert_eq!(r.status, 400, "{claims}");
        assert_eq!(flow.host.grant_count(), 0);
    }
}

/// An ID token that is not for this sign-in, not for us, not from the provider, not
/// signed by it, or expired is refused with our 502 page, and nothing is granted.
#[test]
fn an_upstream_id_token_that_is_not_this_sign_in_s_is_refused() {
    for (overrides, forged, why) in [
        (
            json!({"nonce": "another-sign-in-s-nonce"}),
            false,
            "wrong nonce",
        ),
        (json!({"nonce": null}), false, "no nonce"),
        (json!({"aud": "another-client"}), false, "wrong audience"),
        (
            json!({"iss": "https://evil.example"}),
            false,
            "wrong issuer",
        ),
        (json!({"exp": NOW - 3600}), false, "expired"),
        (json!({"sub": null}), false, "no subject"),
        (json!({}), true, "not signed by the provider"),
    ] {
        let flow = Flow::new();
        let client_id = flow.public_client(LOOPBACK_REDIRECT);
        let page = flow.callback(
            &flow.authorize_client(&client_id, LOOPBACK_REDIRECT),
            &overrides,
            forged,
        );
        assert_eq!(page.status, 502, "{why}: {}", text_of(&page));
        assert_page(&page, 502, "could not be verified");
        assert!(hidden_field(&text_of(&page), "csrf").is_none(), "{why}");
        assert_eq!(flow.host.grant_count(), 0, "{why}");
        let logged = flow.host.console.borrow();
        assert!(
            logged
                .iter()
                .any(|(_, l)| l.contains("OpenID provider failed")),
            "{why}: {logged:?}"
        );
    }
}

/// The provider's answer must come back to the browser that started the sign-in, from
/// the provider we sent it to.
#[test]
fn a_callback_without_its_session_or_from_another_provider_is_refused() {
    let flow = Flow::new();
    let client_id = flow.public_client(LOOPBACK_REDIRECT);
    let to_provider = flow.authorize_client(&client_id, LOOPBACK_REDIRECT);
    let location = to_provider.header("location").unwrap().to_owned();
    let state = location_params(&location)["state"].clone();
    let code = flow.host.provider_code(&location, &json!({}), false);
    let cookie = flow.cookie_header().unwrap();
    let callback = |query: &str, cookie: Option<&str>| {
        let headers: Vec<(&str, &str)> = cookie.map(|c| ("cookie", c)).into_iter().collect();
        flow.send(&request(
            "GET",
            &format!("/oauth/callback?{query}"),
            &headers,
            b"",
        ))
    };
    let good = encode_form(&[("code", &code), ("state", &state)]);
    assert_page(&callback(&good, None), 400, "started in another browser");
    let other_state = encode_form(&[("code", &code), ("state", "AAAAAAAAAAAAAAAAAAAAAA")]);
    assert_page(
        &callback(&other_state, Some(&cookie)),
        400,
        "started in another browser",
    );
    let from_elsewhere = encode_form(&[
        ("code", &code),
        ("state", &state),
        ("iss", "https://evil.example"),
    ]);
    assert_page(
        &callback(&from_elsewhere, Some(&cookie)),
        400,
        "another identity provider",
    );
    let no_code = encode_form(&[("state", &state)]);
    assert_page(&callback(&no_code, Some(&cookie)), 400, "sent no code");
    // The provider's own refusal goes back to the client, with its state.
    let denied = callback(
        &encode_form(&[("error", "access_denied"), ("state", &state)]),
        Some(&cookie),
    );
    assert_eq!(denied.status, 302);
    let params = location_params(denied.header("location").unwrap());
    assert_eq!(
        (params["error"].as_str(), params["state"].as_str()),
        ("access_denied", "client-state")
    );
    assert_eq!(flow.host.grant_count(), 0);
}

#[test]
fn a_replayed_code_is_refused_and_ends_the_grant() {
    let flow = Flow::new();
    let client_id = flow.public_client(LOOPBACK_REDIRECT);
    let code = flow.code_for(&client_id, LOOPBACK_REDIRECT)["code"].clone();
    let first = flow.redeem(&client_id, &code, LOOPBACK_REDIRECT);
    assert_eq!(first.status, 200, "{}", text_of(&first));
    let refresh = json_of(&first)["refresh_token"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_oauth_error(
        &flow.redeem(&client_id, &code, LOOPBACK_REDIRECT),
        400,
        "invalid_grant",
    );
    assert_eq!(flow.host.grant_count(), 0, "the replay ended the grant");
    let after = flow.refresh(&client_id, &refresh);
    assert_oauth_error(&after, 400, "invalid_grant");
}

#[test]
fn a_wrong_code_verifier_is_invalid_grant() {
    let flow = Flow::new();
    let client_id = flow.public_client(LOOPBACK_REDIRECT);
    let code = flow.code_for(&client_id, LOOPBACK_REDIRECT)["code"].clone();
    let wrong = "x".repeat(43);
    let r = flow.post_form(
        "/token",
        &[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("code_verifier", &wrong),
            ("client_id", &client_id),
            ("redirect_uri", LOOPBACK_REDIRECT),
        ],
        None,
    );
    assert_oauth_error(&r, 400, "invalid_grant");
    // A verifier that is not one at all is the request's fault.
    let r = flow.post_form(
        "/token",
        &[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("code_verifier", "short"),
            ("client_id", &client_id),
        ],
        None,
    );
    assert_oauth_error(&r, 400, "invalid_request");
    let guess = |code: &str| {
        flow.post_form(
            "/token",
            &[
                ("grant_type", "authorization_code"),
                ("code", code),
                ("code_verifier", &wrong),
                ("client_id", &client_id),
                ("redirect_uri", LOOPBACK_REDIRECT),
            ],
            None,
        )
    };
    for _ in 0..3 {
        assert_oauth_error(&guess(&code), 400, "invalid_grant");
    }
    // The right one still works after four wrong guesses.
    assert_eq!(
        flow.redeem(&client_id, &code, LOOPBACK_REDIRECT).status,
        200
    );
    // The fifth burns the code and ends the sign-in's grant.
    let code = flow.code_for(&client_id, LOOPBACK_REDIRECT)["code"].clone();
    assert_eq!(flow.host.grant_count(), 2);
    for _ in 0..5 {
        assert_oauth_error(&guess(&code), 400, "invalid_grant");
    }
    assert_eq!(flow.host.grant_count(), 1);
    assert_oauth_error(
        &flow.redeem(&client_id, &code, LOOPBACK_REDIRECT),
        400,
        "invalid_grant",
    );
}

/// A redirect URI the client did not register is never redirected to: our 400 page,
/// whatever else is wrong with the request, for trusted (loopback) and other clients.
#[test]
fn an_unregistered_redirect_uri_gets_our_page_never_a_location() {
    let flow = Flow::new();
    for registered in [LOOPBACK_REDIRECT, WEB_REDIRECT] {
        let client_id = flow.public_client(registered);
        for sent in [
            "https://evil.example/callback",
            "http://127.0.0.1/other",
            "https://app.example/callback/",
            "https://app.example/callback?x=1",
            "http://localhost/callback",
        ] {
            let r = flow.authorize(&[
                ("response_type", "code"),
                ("client_id", &client_id),
                ("redirect_uri", sent),
                ("code_challenge", CHALLENGE),
                ("code_challenge_method", "S256"),
                ("scope", "not-a-scope"),
            ]);
            assert_page(&r, 400, "is not registered for this client");
        }
    }
    assert!(flow.cookies.borrow().is_empty(), "no sign-in started");
}

/// A token for another server's resource is `invalid_target`: redirected to a loopback
/// client, shown with a link to an untrusted one, and refused at the token endpoint.
#[test]
fn another_server_s_resource_is_invalid_target() {
    let flow = Flow::new();
    let ask = |client_id: &str, redirect: &str| {
        flow.authorize(&[
            ("response_type", "code"),
            ("client_id", client_id),
            ("redirect_uri", redirect),
            ("code_challenge", CHALLENGE),
            ("code_challenge_method", "S256"),
            ("state", "s1"),
            ("resource", "https://other.example/mcp"),
        ])
    };
    let trusted = flow.public_client(LOOPBACK_REDIRECT);
    let r = ask(&trusted, LOOPBACK_REDIRECT);
    assert_eq!(r.status, 302);
    let location = r.header("location").unwrap();
    assert!(location.starts_with(LOOPBACK_REDIRECT), "{location}");
    let params = location_params(location);
    assert_eq!(
        (params["error"].as_str(), params["state"].as_str()),
        ("invalid_target", "s1")
    );
    assert_eq!(params["iss"], ISSUER);

    let untrusted = flow.public_client(WEB_REDIRECT);
    let r = ask(&untrusted, WEB_REDIRECT);
    assert_page(&r, 400, "invalid_target");
    assert!(
        text_of(&r).contains("app.example"),
        "the link back names where it goes"
    );

    let code = flow.code_for(&trusted, LOOPBACK_REDIRECT)["code"].clone();
    let r = flow.post_form(
        "/token",
        &[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("code_verifier", VERIFIER),
            ("client_id", &trusted),
            ("resource", "https://other.example/mcp"),
        ],
        None,
    );
    assert_oauth_error(&r, 400, "invalid_target");
    // The code is not spent by the refusal.
    assert_eq!(flow.redeem(&trusted, &code, LOOPBACK_REDIRECT).status, 200);
}

/// A registered client's id is its registration, sealed: changed in any one character it
/// names no client, at the authorization endpoint (our page) and at the token endpoint
/// (`invalid_client`).
#[test]
fn an_altered_client_id_is_an_unknown_client() {
    let flow = Flow::new();
    let client_id = flow.public_client(LOOPBACK_REDIRECT);
    let r = flow.authorize_client(&client_id, LOOPBACK_REDIRECT);
    assert_eq!(r.status, 302, "the unaltered id is known");
    let alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.";
    let mut tried = 0;
    let dot = client_id.rfind('.').unwrap();
    for (i, c) in client_id.char_indices() {
        // Every replacement where base64's spare bits are (the last character of the
        // payload and of the tag), a few elsewhere.
        let step = if i + 1 == dot || i + 1 == client_id.len() {
            1
        } else {
            13
        };
        for replacement in alphabet.chars().filter(|r| *r != c).step_by(step) {
            let mut altered = client_id.clone();
            altered.replace_range(i..i + c.len_utf8(), &replacement.to_string());
            let r = flow.post_form(
                "/token",
                &[
                    ("grant_type", "authorization_code"),
                    (
                        "code",
                        "AAAAAAAAAAAAAAAAAAAAAA.BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB",
                    ),
                    ("code_verifier", VERIFIER),
                    ("client_id", &altered),
                ],
                None,
            );
            assert_oauth_error(&r, 401, "invalid_client");
            tried += 1;
        }
    }
    assert!(tried > client_id.len());
    let mut altered = client_id.clone();
    let last = altered.pop().unwrap();
    altered.push(if last == 'A' { 'B' } else { 'A' });
    let r = flow.authorize_client(&altered, LOOPBACK_REDIRECT);
    assert_page(&r, 400, "not one this server issued");
}

/// A `client_secret_basic` client (RFC 7591's default): a wrong secret is 401
/// `invalid_client` with a Basic challenge and does not spend the code; the right one
/// redeems it, and the client may not then drop its secret.
#[test]
fn a_wrong_client_secret_is_401_with_a_challenge() {
    let flow = Flow::new();
    let registered = flow.register(&json!({
        "client_name": "Confidential",
        "redirect_uris": [LOOPBACK_REDIRECT],
        "grant_types": ["authorization_code", "refresh_token"],
    }));
    assert_eq!(
        registered["token_endpoint_auth_method"],
        "client_secret_basic"
    );
    let client_id = registered["client_id"].as_str().unwrap().to_owned();
    let secret = registered["client_secret"].as_str().unwrap().to_owned();
    let code = flow.code_for(&client_id, LOOPBACK_REDIRECT)["code"].clone();
    let basic = |id: &str, secret: &str| {
        format!(
            "Basic {}",
            b64(
                format!(
                    "{}:{}",
                    mcp_worker::oauth::form::encode(id),
                    mcp_worker::oauth::form::encode(secret)
                )
                .as_bytes(),
                false
            )
        )
    };
    let redeem = |authorization: Option<&str>, extra: &[(&str, &str)]| {
        let mut params = vec![
            ("grant_type", "authorization_code"),
            ("code", code.as_str()),
            ("code_verifier", VERIFIER),
            ("redirect_uri", LOOPBACK_REDIRECT),
        ];
        params.extend_from_slice(extra);
        flow.post_form("/token", &params, authorization)
    };
    let wrong = redeem(Some(&basic(&client_id, "not-the-secret")), &[]);
    assert_oauth_error(&wrong, 401, "invalid_client");
    assert!(
        wrong
            .header("www-authenticate")
            .unwrap()
            .starts_with("Basic"),
        "{:?}",
        wrong.header("www-authenticate")
    );
    // The secret in the body instead of the header this client registered.
    assert_oauth_error(
        &redeem(
            None,
            &[("client_id", &client_id), ("client_secret", &secret)],
        ),
        401,
        "invalid_client",
    );
    // No secret at all, as a public client.
    assert_oauth_error(
        &redeem(None, &[("client_id", &client_id)]),
        401,
        "invalid_client",
    );
    let right = redeem(Some(&basic(&client_id, &secret)), &[]);
    assert_eq!(right.status, 200, "{}", text_of(&right));
}

#[test]
fn revoking_the_refresh_token_ends_the_grant() {
    let flow = Flow::new();
    let client_id = flow.public_client(LOOPBACK_REDIRECT);
    let code = flow.code_for(&client_id, LOOPBACK_REDIRECT)["code"].clone();
    let tokens = json_of(&flow.redeem(&client_id, &code, LOOPBACK_REDIRECT));
    let refresh = tokens["refresh_token"].as_str().unwrap().to_owned();
    // Another client cannot revoke it (and is told nothing).
    let other = flow.public_client(LOOPBACK_REDIRECT);
    let r = flow.post_form(
        "/revoke",
        &[("token", &refresh), ("client_id", &other)],
        None,
    );
    assert_eq!(r.status, 200);
    assert_eq!(flow.host.grant_count(), 1);
    let r = flow.post_form(
        "/revoke",
        &[
            ("token", &refresh),
            ("token_type_hint", "refresh_token"),
            ("client_id", &client_id),
        ],
        None,
    );
    assert_eq!(r.status, 200, "{}", text_of(&r));
    assert_eq!(flow.host.grant_count(), 0);
    let after = flow.refresh(&client_id, &refresh);
    assert_oauth_error(&after, 400, "invalid_grant");
    // Revoking again, or a token that never was, is answered the same (RFC 7009 §2.2).
    let r = flow.post_form(
        "/revoke",
        &[("token", &refresh), ("client_id", &client_id)],
        None,
    );
    assert_eq!(r.status, 200);
    let r = flow.post_form(
        "/revoke",
        &[("token", "nonsense"), ("client_id", &client_id)],
        None,
    );
    assert_eq!(r.status, 200);
}

/// `OAUTH_SEALING_KEY` rotated with the old key listed after the new one: clients
/// registered and grants made under the old key go on, and new ones are made under the
/// new key. Once the old key is dropped, what it made is no longer this server's.
#[test]
fn a_sealing_key_rotation_keeps_clients_and_grants_while_the_old_key_is_listed() {
    const DOC: &str = "https://client.example/app.json";
    const NEW_KEY: &str = "fedcba9876543210fedcba9876543210";
    let document = json!({
        "client_id": DOC,
        "client_name": "Document App",
        "redirect_uris": [LOOPBACK_REDIRECT],
        "grant_types": ["authorization_code", "refresh_token"],
        "token_endpoint_auth_method": "none",
    });
    let flow = Flow::new();
    // The same worker's grants, under other variables.
    let with_keys = |keys: &str| {
        let mut host = TestHost::new().var("OAUTH_SEALING_KEY", Some(keys));
        host.grants = flow.host.grants.clone();
        let flow = Flow::on(host);
        flow.host.serve_document(DOC, 200, &document, "max-age=600");
        flow
    };
    let refresh_token = |r: &mcp_worker::http::Response| {
        assert_eq!(r.status, 200, "{}", text_of(r));
        json_of(r)["refresh_token"].as_str().unwrap().to_owned()
    };
    // Before: a registered client and a metadata document's, each with a grant.
    flow.host.serve_document(DOC, 200, &document, "max-age=600");
    let client_id = flow.public_client(LOOPBACK_REDIRECT);
    let code = flow.code_for(&client_id, LOOPBACK_REDIRECT)["code"].clone();
    let refresh = refresh_token(&flow.redeem(&client_id, &code, LOOPBACK_REDIRECT));
    let code = flow.code_for(DOC, LOOPBACK_REDIRECT)["code"].clone();
    let doc_refresh = refresh_token(&flow.redeem(DOC, &code, LOOPBACK_REDIRECT));
    let code = flow.code_for(DOC, LOOPBACK_REDIRECT)["code"].clone();
    let doc_refresh_2 = refresh_token(&flow.redeem(DOC, &code, LOOPBACK_REDIRECT));

    // During: both grants refresh, one is revoked, and new ones are made.
    let rotated = with_keys(&format!("{NEW_KEY} {SEALING_KEY}"));
    let refresh = refresh_token(&rotated.refresh(&client_id, &refresh));
    let doc_refresh = refresh_token(&rotated.refresh(DOC, &doc_refresh));
    let grants = flow.host.grant_count();
    let r = rotated.post_form(
        "/revoke",
        &[("token", &doc_refresh_2), ("client_id", DOC)],
        None,
    );
    assert_eq!(r.status, 200, "{}", text_of(&r));
    assert_eq!(flow.host.grant_count(), grants - 1, "an old grant revoked");
    let code = rotated.code_for(&client_id, LOOPBACK_REDIRECT)["code"].clone();
    assert_eq!(
        rotated.redeem(&client_id, &code, LOOPBACK_REDIRECT).status,
        200
    );
    let new_client = rotated.public_client(LOOPBACK_REDIRECT);
    let code = rotated.code_for(&new_client, LOOPBACK_REDIRECT)["code"].clone();
    let new_refresh = refresh_token(&rotated.redeem(&new_client, &code, LOOPBACK_REDIRECT));
    let code = rotated.code_for(DOC, LOOPBACK_REDIRECT)["code"].clone();
    let new_doc_refresh = refresh_token(&rotated.redeem(DOC, &code, LOOPBACK_REDIRECT));

    // After: the old key dropped. Its registered client is unknown, and its grants are
    // not this server's (the document's client still resolves: the grant is refused).
    let dropped = with_keys(NEW_KEY);
    assert_oauth_error(
        &dropped.refresh(&client_id, &refresh),
        401,
        "invalid_client",
    );
    assert_oauth_error(&dropped.refresh(DOC, &doc_refresh), 400, "invalid_grant");
    refresh_token(&dropped.refresh(&new_client, &new_refresh));
    refresh_token(&dropped.refresh(DOC, &new_doc_refresh));
}

#[test]
fn revoking_an_access_token_ends_its_grant() {
    let flow = Flow::new();
    let client_id = flow.public_client(LOOPBACK_REDIRECT);
    let code = flow.code_for(&client_id, LOOPBACK_REDIRECT)["code"].clone();
    let tokens = json_of(&flow.redeem(&client_id, &code, LOOPBACK_REDIRECT));
    let access = tokens["access_token"].as_str().unwrap();
    let r = flow.post_form(
        "/revoke",
        &[("token", access), ("client_id", &client_id)],
        None,
    );
    assert_eq!(r.status, 200, "{}", text_of(&r));
    assert_eq!(flow.host.grant_count(), 0);
}

/// The MCP endpoint checks our access tokens against our own keys, with no fetch: a
/// forged one, one of another issuer and one for another resource are refused alike.
#[test]
fn access_tokens_are_verified_without_a_fetch() {
    let flow = Flow::new();
    let client_id = flow.public_client(LOOPBACK_REDIRECT);
    let code = flow.code_for(&client_id, LOOPBACK_REDIRECT)["code"].clone();
    let tokens = json_of(&flow.redeem(&client_id, &code, LOOPBACK_REDIRECT));
    let access = tokens["access_token"].as_str().unwrap().to_owned();
    let (head, claims_and_sig) = access.split_once('.').unwrap();
    let header: Value = serde_json::from_slice(&decode_b64url(head)).unwrap();
    assert_eq!(header["typ"], "at+jwt");
    assert_eq!(header["kid"], "as-1");
    let claims: Value =
        serde_json::from_slice(&decode_b64url(claims_and_sig.split('.').next().unwrap())).unwrap();
    assert_eq!(claims["iss"], ISSUER);
    assert_eq!(claims["aud"], RESOURCE);
    assert_eq!(claims["sub"], "alice");
    assert_eq!(claims["client_id"], client_id.as_str());

    let before = flow.host.outbound.borrow().len();
    for _ in 0..2 {
        assert_eq!(flow.roll(&format!("Bearer {access}")).status, 200);
    }
    let (input, _) = access.rsplit_once('.').unwrap();
    let forged = format!("{input}.{}", "A".repeat(342));
    assert_eq!(flow.roll(&format!("Bearer {forged}")).status, 401);
    // The provider's ID tokens are not access tokens here.
    let id_token = idp_token(
        &json!({"iss": IDP, "aud": RESOURCE, "sub": "alice", "iat": NOW, "exp": NOW + 300}),
        false,
    );
    assert_eq!(flow.roll(&format!("Bearer {id_token}")).status, 401);
    assert_eq!(flow.host.outbound.borrow().len(), before, "no fetch");
}

fn decode_b64url(text: &str) -> Vec<u8> {
    let alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut bits = 0u32;
    let mut n = 0;
    let mut out = Vec::new();
    for c in text.chars() {
        bits = bits << 6 | alphabet.find(c).expect("base64url") as u32;
        n += 6;
        if n >= 8 {
            n -= 8;
            out.push((bits >> n) as u8);
        }
    }
    out
}

/// A sign-in whose request makes the session too big for a cookie (a long redirect URI
/// and state) is refused at `/authorize`, before the person signs in, not lost on the way
/// back from the provider with a page blaming another browser. The longest state with
/// a usual redirect URI goes through.
#[test]
fn a_sign_in_too_large_for_its_cookie_is_refused_up_front() {
    let flow = Flow::new();
    let ask = |client_id: &str, redirect: &str, state: &str| {
        flow.authorize(&[
            ("response_type", "code"),
            ("client_id", client_id),
            ("redirect_uri", redirect),
            ("code_challenge", CHALLENGE),
            ("code_challenge_method", "S256"),
            ("state", state),
            ("resource", RESOURCE),
        ])
    };
    let state = "s".repeat(mcp_worker::oauth::request::MAX_STATE);
    let long = format!("{LOOPBACK_REDIRECT}/{}", "a".repeat(1000));
    let client_id = flow.public_client(&long);
    let r = ask(&client_id, &long, &state);
    assert_page(&r, 400, "too long to carry through the sign-in");
    assert!(r.header("set-cookie").is_none());
    assert!(flow
        .host
        .outbound
        .borrow()
        .iter()
        .all(|u| !u.starts_with(IDP_TOKEN)));

    let client_id = flow.public_client(LOOPBACK_REDIRECT);
    let page = flow.callback(
        &ask(&client_id, LOOPBACK_REDIRECT, &state),
        &json!({}),
        false,
    );
    assert_eq!(page.status, 200, "{}", text_of(&page));
    let back = flow.consent(&page, "approve");
    assert_eq!(
        location_params(back.header("location").unwrap())["state"],
        state
    );

    // The provider's account details are added at the callback: past the room left for
    // them, our page rather than a consent form whose cookie the browser would drop.
    let to_provider = ask(&client_id, LOOPBACK_REDIRECT, &state);
    let page = flow.callback(&to_provider, &json!({"name": "n".repeat(3000)}), false);
    assert_page(&page, 502, "too long to carry to the consent page");
    assert!(page.header("set-cookie").is_none());
}

/// Each OAUTH_ variable names itself when the others are set and it is not.
#[test]
fn oauth_variables_partly_set_name_the_missing_one() {
    for (missing, _) in oauth_vars() {
        let e = configure(&TestHost::new().var(missing, None)).unwrap_err();
        assert_eq!(e.var, missing, "{e}");
        assert!(e.to_string().contains(missing), "{e}");
    }
    // One alone names the first of the others it needs.
    let only = TestHost::new()
        .var("OAUTH_SIGNING_KEYS", None)
        .var("OAUTH_UPSTREAM_ISSUER", None)
        .var("OAUTH_UPSTREAM_CLIENT_ID", None)
        .var("OAUTH_UPSTREAM_CLIENT_SECRET", None)
        .var("OAUTH_ALLOWED_USERS", None);
    let e = configure(&only).unwrap_err();
    assert_eq!(e.var, "OAUTH_SIGNING_KEYS", "{e}");
    // Blank counts as unset.
    let e = configure(&TestHost::new().var("OAUTH_ALLOWED_USERS", Some("  "))).unwrap_err();
    assert_eq!(e.var, "OAUTH_ALLOWED_USERS");
    // And a bad value names its variable.
    for (var, bad) in [
        ("OAUTH_SEALING_KEY", "short"),
        ("OAUTH_SIGNING_KEYS", "{\"keys\": []}"),
        ("OAUTH_UPSTREAM_ISSUER", "http://idp.example"),
        ("OAUTH_ALLOWED_USERS", "* alice"),
        ("PUBLIC_URL", "https://mcp.example.com/path"),
    ] {
        let e = configure(&TestHost::new().var(var, Some(bad))).unwrap_err();
        assert_eq!(e.var, var, "{e}");
    }
    // Without any, the server is a resource server as before (here: no key, refused).
    let mut none = TestHost::new();
    for (var, _) in oauth_vars() {
        if var != "PUBLIC_URL" {
            none = none.var(var, None);
        }
    }
    let e = configure(&none).unwrap_err();
    assert_eq!(e.var, "JWT_PUBLIC_KEY", "{e}");
}

#[test]
fn jwt_variables_beside_the_oauth_ones_are_refused() {
    for var in [
        "JWT_PUBLIC_KEY",
        "JWT_JWKS_URL",
        "AUTHORIZATION_SERVERS",
        "JWT_ISSUER",
        "JWT_AUDIENCE",
    ] {
        let e = configure(&TestHost::new().var(var, Some("https://idp.example/jwks"))).unwrap_err();
        assert_eq!(e.var, var, "{e}");
        assert!(e.reason.contains("OAUTH_"), "{e}");
    }
}

#[test]
fn a_missing_grants_binding_is_a_config_error_naming_it() {
    let host = TestHost::new().without_grants();
    let e = configure(&host).unwrap_err();
    assert_eq!(e.var, GRANTS, "{e}");
    assert!(e.reason.contains("grant_object!"), "{e}");
    assert!(host
        .console
        .borrow()
        .iter()
        .any(|(_, l)| l.contains(GRANTS) && l.contains("Every request gets 500")));
}

// ---------------------------------------------------------------------------------------
// Bad input: the rows of docs/bad-input.md's authorization server table.

/// Until the client and its redirect URI are known, nothing may be redirected: a request
/// without a usable `client_id`, `redirect_uri` or `state` gets our 400 page.
#[test]
fn bad_authorization_requests_before_the_client_is_known_get_our_page() {
    let flow = Flow::new();
    let two = flow.register(&json!({
        "redirect_uris": [LOOPBACK_REDIRECT, WEB_REDIRECT],
        "token_endpoint_auth_method": "none",
    }))["client_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let long_redirect = format!("{LOOPBACK_REDIRECT}/{}", "a".repeat(2000));
    let long_state = "s".repeat(1025);
    for (query, says) in [
        ("response_type=code".to_owned(), "'client_id' is required"),
        (format!("client_id={two}&client_id={two}"), "more than once"),
        (
            "client_id=a%20b".to_owned(),
            "no space or control character",
        ),
        (
            "client_id=%zz".to_owned(),
            "'%' not followed by two hex digits",
        ),
        (
            format!("client_id={two}&redirect_uri={long_redirect}"),
            "at most 2000 characters",
        ),
        (
            format!("client_id={two}&state={long_state}"),
            "at most 1024 characters",
        ),
        (format!("client_id={two}&state=a&state=b"), "more than once"),
        (
            format!("client_id={two}&response_type=code"),
            "more than one",
        ),
    ] {
        let r = flow.browse("GET", &format!("/authorize?{query}"), &[], b"");
        assert_page(&r, 400, says);
        assert!(r.header("set-cookie").is_none(), "{query}");
    }
    assert!(flow.host.outbound.borrow().is_empty(), "no fetch");
}

/// A `client_id` that names no client here: not one this server issued (or altered), a
/// document URL it will not fetch, or a document it cannot use, is our 400 page; a
/// document it cannot fetch now is a 503 page with `Retry-After`.
#[test]
fn unknown_or_unreachable_clients_get_our_page() {
    let flow = Flow::new();
    let document = |id: &str| json!({"client_id": id, "client_name": "Doc", "redirect_uris": [LOOPBACK_REDIRECT]});
    flow.host.serve_document(
        "https://client.example/other-id.json",
        200,
        &document("https://client.example/not-this.json"),
        "",
    );
    let mut secret = document("https://client.example/secret.json");
    secret["client_secret"] = json!("s");
    flow.host
        .serve_document("https://client.example/secret.json", 200, &secret, "");
    flow.host.serve_document(
        "https://client.example/down.json",
        503,
        &document("https://client.example/down.json"),
        "",
    );
    flow.host.serve_document(
        "https://client.example/gone.json",
        404,
        &document("https://client.example/gone.json"),
        "",
    );
    for (client_id, status, says) in [
        ("nobody", 400, "not one this server issued"),
        ("https://localhost/app.json", 400, "this machine"),
        ("https://10.0.0.1/app.json", 400, "special-use address"),
        ("http://client.example/app.json", 400, "https"),
        (
            "https://client.example/other-id.json",
            400,
            "not the URL it was fetched from",
        ),
        (
            "https://client.example/secret.json",
            400,
            "holds no client_secret",
        ),
        (
            "https://client.example/gone.json",
            400,
            "only 200 is accepted",
        ),
        ("https://client.example/down.json", 503, "try again later"),
        (
            "https://client.example/nothing.json",
            503,
            "could not be fetched",
        ),
    ] {
        let r = flow.authorize_client(client_id, LOOPBACK_REDIRECT);
        assert_page(&r, status, says);
        if status == 503 {
            assert_eq!(r.header("retry-after"), Some("10"), "{client_id}");
        }
    }
    for never in ["https://localhost/app.json", "https://10.0.0.1/app.json"] {
        assert!(
            !flow.host.outbound.borrow().iter().any(|u| u == never),
            "{never} was fetched"
        );
    }
    assert!(flow.cookies.borrow().is_empty());
}

/// Once the redirect URI is known good, a problem with the other parameters goes back to
/// the client with its `state` and our `iss`: at once to a loopback (trusted) client, and
/// through our page with a link to any other, so the server is no open redirector.
#[test]
fn bad_authorization_parameters_go_back_to_the_client() {
    let flow = Flow::new();
    let trusted = flow.public_client(LOOPBACK_REDIRECT);
    let untrusted = flow.public_client(WEB_REDIRECT);
    let cases: [(&[(&str, &str)], &str); 9] = [
        (
            &[
                ("code_challenge", CHALLENGE),
                ("code_challenge_method", "S256"),
            ],
            "invalid_request",
        ),
        (
            &[
                ("response_type", "token"),
                ("code_challenge", CHALLENGE),
                ("code_challenge_method", "S256"),
            ],
            "unsupported_response_type",
        ),
        (
            &[("response_type", "code"), ("code_challenge_method", "S256")],
            "invalid_request",
        ),
        (
            &[("response_type", "code"), ("code_challenge", CHALLENGE)],
            "invalid_request",
        ),
        (
            &[
                ("response_type", "code"),
                ("code_challenge", CHALLENGE),
                ("code_challenge_method", "plain"),
            ],
            "invalid_request",
        ),
        (
            &[
                ("response_type", "code"),
                ("code_challenge", "short"),
                ("code_challenge_method", "S256"),
            ],
            "invalid_request",
        ),
        (
            &[
                ("response_type", "code"),
                ("code_challenge", CHALLENGE),
                ("code_challenge_method", "S256"),
                ("scope", "openid admin:all"),
            ],
            "invalid_scope",
        ),
        (
            &[
                ("response_type", "code"),
                ("code_challenge", CHALLENGE),
                ("code_challenge_method", "S256"),
                ("resource", "https://mcp.example.com/mcp#x"),
            ],
            "invalid_target",
        ),
        (
            &[
                ("response_type", "code"),
                ("code_challenge", CHALLENGE),
                ("code_challenge_method", "S256"),
                ("resource", "https://mcp.example.com/mcp"),
                ("resource", "https://other.example/mcp"),
            ],
            "invalid_target",
        ),
    ];
    for (params, error) in cases {
        let ask = |client_id: &str, redirect: &str| {
            let mut all = vec![
                ("client_id", client_id),
                ("redirect_uri", redirect),
                ("state", "st"),
            ];
            all.extend_from_slice(params);
            flow.authorize(&all)
        };
        let r = ask(&trusted, LOOPBACK_REDIRECT);
        assert_eq!(r.status, 302, "{params:?}: {}", text_of(&r));
        let location = r.header("location").unwrap();
        assert!(
            location.starts_with(&format!("{LOOPBACK_REDIRECT}?")),
            "{location}"
        );
        let back = location_params(location);
        assert_eq!(back["error"], error, "{params:?}");
        assert_eq!(
            (back["state"].as_str(), back["iss"].as_str()),
            ("st", ISSUER)
        );

        let r = ask(&untrusted, WEB_REDIRECT);
        assert_page(&r, 400, error);
        assert!(
            text_of(&r).contains(&format!("href=\"{WEB_REDIRECT}?error={error}")),
            "{params:?}"
        );
    }
    assert!(flow.cookies.borrow().is_empty(), "no sign-in started");
    // The OpenID scopes are accepted, and granted nothing.
    let r = flow.authorize(&[
        ("response_type", "code"),
        ("client_id", &trusted),
        ("code_challenge", CHALLENGE),
        ("code_challenge_method", "S256"),
        ("scope", "openid profile email offline_access"),
    ]);
    assert_eq!(r.status, 302);
    assert!(r.header("location").unwrap().starts_with(IDP_AUTHORIZE));
}

/// The token endpoint's answers to requests it cannot read, clients it cannot
/// authenticate, and codes that are not the client's to redeem (OAuth 2.1 §3.2.4).
#[test]
fn bad_token_requests_get_oauth_errors() {
    let flow = Flow::new();
    let client_id = flow.public_client(LOOPBACK_REDIRECT);
    let other = flow.public_client(LOOPBACK_REDIRECT);
    let no_refresh = flow.register(&json!({
        "redirect_uris": [LOOPBACK_REDIRECT],
        "token_endpoint_auth_method": "none",
    }))["client_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let code = flow.code_for(&client_id, LOOPBACK_REDIRECT)["code"].clone();
    let raw = |body: &str, authorization: Option<&str>| {
        let mut headers = vec![("content-type", "application/x-www-form-urlencoded")];
        if let Some(a) = authorization {
            headers.push(("authorization", a));
        }
        flow.send(&request("POST", "/token", &headers, body.as_bytes()))
    };
    let redeem = |extra: &[(&str, &str)]| {
        let mut params = vec![
            ("grant_type", "authorization_code"),
            ("code", code.as_str()),
            ("code_verifier", VERIFIER),
        ];
        params.extend_from_slice(extra);
        flow.post_form("/token", &params, None)
    };
    let cid = ("client_id", client_id.as_str());
    // The code with another grant's id, and with another secret.
    let flip = |s: &str, at: usize| {
        let mut s = s.to_owned();
        let c = s.remove(at);
        s.insert(at, if c == 'A' { 'B' } else { 'A' });
        s
    };
    let other_grant = flip(&code, 0);
    let other_secret = flip(&code, code.len() - 2);
    let big = "a".repeat(17 * 1024);
    for (r, status, error) in [
        (raw("%zz", None), 400, "invalid_request"),
        (raw(&format!("x={big}"), None), 400, "invalid_request"),
        (raw(&format!("client_id={client_id}"), None), 400, "invalid_request"),
        (raw(&format!("grant_type=password&client_id={client_id}"), None), 400, "unsupported_grant_type"),
        (raw(&format!("grant_type=client_credentials&client_id={client_id}"), None), 400, "unsupported_grant_type"),
        (flow.post_form("/token", &[("grant_type", "authorization_code"), ("code_verifier", VERIFIER), cid], None), 400, "invalid_request"),
        (flow.post_form("/token", &[("grant_type", "authorization_code"), ("code", &code), cid], None), 400, "invalid_request"),
        (raw(&format!("grant_type=authorization_code&code=a&code=b&code_verifier={VERIFIER}&client_id={client_id}"), None), 400, "invalid_request"),
        (redeem(&[cid, ("client_secret", "s")]), 401, "invalid_client"),
        (flow.post_form("/token", &[("grant_type", "authorization_code"), ("code", &code), ("code_verifier", VERIFIER), cid], Some("Basic eDp5")), 400, "invalid_request"),
        (redeem(&[]), 401, "invalid_client"),
        (redeem(&[("client_id", "nobody")]), 401, "invalid_client"),
        (flow.post_form("/token", &[("grant_type", "authorization_code"), ("code", "abc"), ("code_verifier", VERIFIER), cid], None), 400, "invalid_grant"),
        (flow.post_form("/token", &[("grant_type", "authorization_code"), ("code", &other_grant), ("code_verifier", VERIFIER), cid], None), 400, "invalid_grant"),
        (flow.post_form("/token", &[("grant_type", "authorization_code"), ("code", &other_secret), ("code_verifier", VERIFIER), cid], None), 400, "invalid_grant"),
        (redeem(&[("client_id", &other)]), 400, "invalid_grant"),
        (redeem(&[cid, ("redirect_uri", "http://127.0.0.1/other")]), 400, "invalid_grant"),
        (redeem(&[cid]), 400, "invalid_grant"),
        (flow.post_form("/token", &[("grant_type", "refresh_token"), ("refresh_token", "x"), ("client_id", &no_refresh)], None), 400, "unauthorized_client"),
        (flow.post_form("/token", &[("grant_type", "refresh_token"), cid], None), 400, "invalid_request"),
        (flow.post_form("/token", &[("grant_type", "refresh_token"), ("refresh_token", "x"), cid], None), 400, "invalid_grant"),
        (flow.post_form("/revoke", &[cid], None), 400, "invalid_request"),
        (flow.post_form("/revoke", &[("token", "x")], None), 401, "invalid_client"),
    ] {
        assert_oauth_error(&r, status, error);
        assert!(r.header("www-authenticate").is_none(), "no Authorization header was sent");
        assert_eq!(r.header("access-control-allow-origin"), Some("*"));
    }
    // With an Authorization header, invalid_client is 401 with a Basic challenge.
    for (header, body) in [
        (
            "Basic !!!",
            format!("grant_type=authorization_code&code={code}&code_verifier={VERIFIER}"),
        ),
        (
            "Bearer abc",
            format!("grant_type=authorization_code&code={code}&code_verifier={VERIFIER}"),
        ),
        (
            "Basic bm9ib2R5OnNlY3JldA==",
            format!("grant_type=authorization_code&code={code}&code_verifier={VERIFIER}"),
        ),
    ] {
        let r = raw(&body, Some(header));
        assert_oauth_error(&r, 401, "invalid_client");
        assert!(
            r.header("www-authenticate").unwrap().starts_with("Basic "),
            "{header}"
        );
    }
    // The body too large to read at all.
    let mut req = request("POST", "/token", &[], b"");
    req.body = mcp_worker::http::Body::TooLarge;
    assert_oauth_error(&flow.send(&req), 400, "invalid_request");
    // A public client that sends a secret it was never given is not this client.
    let r = redeem(&[cid, ("client_secret", "guess")]);
    assert_oauth_error(&r, 401, "invalid_client");
    // None of it spent the code.
    assert_eq!(
        flow.redeem(&client_id, &code, LOOPBACK_REDIRECT).status,
        200
    );
}

/// Registration bodies the server refuses (RFC 7591 §3.2.2): `invalid_redirect_uri` for
/// the redirect URIs, `invalid_client_metadata` for anything else, always 400 JSON.
#[test]
fn bad_registration_bodies_are_refused() {
    let flow = Flow::new();
    let ok = LOOPBACK_REDIRECT;
    let eleven: Vec<String> = (0..11).map(|i| format!("{ok}/{i}")).collect();
    let long: Vec<String> = (0..8)
        .map(|i| format!("{ok}/{i}{}", "a".repeat(1900)))
        .collect();
    for (body, error) in [
        ("not json".to_owned(), "invalid_client_metadata"),
        ("[]".to_owned(), "invalid_client_metadata"),
        ("{}".to_owned(), "invalid_redirect_uri"),
        (
            json!({"redirect_uris": []}).to_string(),
            "invalid_redirect_uri",
        ),
        (
            json!({"redirect_uris": "https://app.example/cb"}).to_string(),
            "invalid_redirect_uri",
        ),
        (
            json!({"redirect_uris": ["http://app.example/cb"]}).to_string(),
            "invalid_redirect_uri",
        ),
        (
            json!({"redirect_uris": ["https://app.example/cb#x"]}).to_string(),
            "invalid_redirect_uri",
        ),
        (
            json!({"redirect_uris": ["javascript:alert(1)"]}).to_string(),
            "invalid_redirect_uri",
        ),
        (
            json!({"redirect_uris": ["/relative"]}).to_string(),
            "invalid_redirect_uri",
        ),
        (
            json!({"redirect_uris": ["https://user@app.example/cb"]}).to_string(),
            "invalid_redirect_uri",
        ),
        (
            json!({"redirect_uris": eleven}).to_string(),
            "invalid_redirect_uri",
        ),
        (
            json!({"redirect_uris": [ok], "token_endpoint_auth_method": "magic"}).to_string(),
            "invalid_client_metadata",
        ),
        (
            json!({"redirect_uris": [ok], "grant_types": ["refresh_token"]}).to_string(),
            "invalid_client_metadata",
        ),
        (
            json!({"redirect_uris": [ok], "grant_types": ["implicit"]}).to_string(),
            "invalid_client_metadata",
        ),
        (
            json!({"redirect_uris": [ok], "response_types": ["token"]}).to_string(),
            "invalid_client_metadata",
        ),
        (
            json!({"redirect_uris": [ok], "client_name": "Evil\u{202e}Good"}).to_string(),
            "invalid_client_metadata",
        ),
        (
            json!({"redirect_uris": [ok], "client_name": "  "}).to_string(),
            "invalid_client_metadata",
        ),
        (
            json!({"redirect_uris": [ok], "client_name": "x".repeat(129)}).to_string(),
            "invalid_client_metadata",
        ),
        (
            json!({"redirect_uris": [ok], "application_type": "desktop"}).to_string(),
            "invalid_client_metadata",
        ),
        (
            json!({"redirect_uris": [ok], "token_endpoint_auth_method": "private_key_jwt"})
                .to_string(),
            "invalid_client_metadata",
        ),
        (
            json!({"redirect_uris": [ok], "client_name": "x".repeat(17 * 1024)}).to_string(),
            "invalid_client_metadata",
        ),
        (
            json!({"redirect_uris": long}).to_string(),
            "invalid_client_metadata",
        ),
    ] {
        let r = flow.send(&request(
            "POST",
            "/register",
            &[("content-type", "application/json")],
            body.as_bytes(),
        ));
        let shown = &body[..body.len().min(80)];
        assert_eq!(r.status, 400, "{shown}: {}", text_of(&r));
        assert_eq!(json_of(&r)["error"], error, "{shown}");
        assert_eq!(r.header("cache-control"), Some("no-store"));
    }
}

/// The session's cookie is the sign-in: altered, expired, another session's, sealed for
/// another use, or missing, the callback and the consent are our 400 page.
#[test]
fn altered_or_expired_session_cookies_are_refused() {
    let flow = Flow::new();
    let client_id = flow.public_client(LOOPBACK_REDIRECT);
    let to_provider = flow.authorize_client(&client_id, LOOPBACK_REDIRECT);
    let location = to_provider.header("location").unwrap().to_owned();
    let state = location_params(&location)["state"].clone();
    let (name, value) = flow.cookies.borrow()[0].clone();
    let code = flow.host.provider_code(&location, &json!({}), false);
    let query = encode_form(&[("code", &code), ("state", &state)]);
    let callback = |cookie: &str, now: i64| {
        flow.send_at(
            &request(
                "GET",
                &format!("/oauth/callback?{query}"),
                &[("cookie", cookie)],
                b"",
            ),
            now,
        )
    };
    let mut altered = value.clone();
    let c = altered.remove(3);
    altered.insert(3, if c == 'A' { 'B' } else { 'A' });
    let other_sid = "B".repeat(22);
    let client_sealed = client_id.clone();
    for (cookie, now) in [
        (format!("{name}={altered}"), NOW),
        (format!("{name}={value}x"), NOW),
        (format!("{name}="), NOW),
        (format!("{name}={client_sealed}"), NOW),
        (format!("mcp_oauth_{other_sid}={value}"), NOW),
        (format!("other={value}"), NOW),
        (format!("{name}={}", "A".repeat(5000)), NOW),
        (";;;==; =;".to_owned(), NOW),
        (format!("{name}={value}"), NOW + 600),
    ] {
        let r = callback(&cookie, now);
        assert_eq!(r.status, 400, "{cookie} at {now}");
        assert_page(&r, 400, "started in another browser");
    }
    // The genuine cookie, in time, among others: on to the consent page, at a URL of its
    // own (the callback's carries the provider's code).
    let signed = callback(&format!("a=b; {name}={value}; c"), NOW + 200);
    assert_eq!(signed.status, 303, "{}", text_of(&signed));
    let signed_in = signed
        .header("set-cookie")
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_owned();
    let page = flow.send_at(
        &request(
            "GET",
            signed.header("location").unwrap(),
            &[("cookie", &signed_in)],
            b"",
        ),
        NOW + 200,
    );
    assert_eq!(page.status, 200, "{}", text_of(&page));
    // The page needs the signed-in cookie: the one from before the sign-in shows none.
    let before = flow.send_at(
        &request(
            "GET",
            signed.header("location").unwrap(),
            &[("cookie", &format!("{name}={value}"))],
            b"",
        ),
        NOW + 200,
    );
    assert_page(&before, 400, "started in another browser");
    let html = text_of(&page);
    let body = encode_form(&[
        ("session", &hidden_field(&html, "session").unwrap()),
        ("csrf", &hidden_field(&html, "csrf").unwrap()),
        ("decision", "approve"),
    ]);
    let consent = |cookie: &str, now: i64| {
        flow.send_at(
            &request(
                "POST",
                "/oauth/consent",
                &[("cookie", cookie), ("origin", ISSUER)],
                body.as_bytes(),
            ),
            now,
        )
    };
    // The cookie from before the sign-in holds no person; the one the callback set
    // lives ten minutes from then.
    for (cookie, now) in [
        (format!("{name}={value}"), NOW),
        (signed_in.clone(), NOW + 200 + 600),
        (format!("{signed_in}x"), NOW),
    ] {
        let r = consent(&cookie, now);
        assert_eq!(r.status, 400, "{cookie} at {now}");
        assert_page(&r, 400, "started in another browser");
    }
    assert_eq!(flow.host.grant_count(), 0);
    assert_eq!(consent(&signed_in, NOW + 300).status, 303);
    assert_eq!(flow.host.grant_count(), 1);
}

/// Each endpoint takes its own methods: others get 405 with `Allow`; the JSON endpoints
/// answer a CORS preflight.
#[test]
fn wrong_methods_on_the_authorization_server_get_405() {
    let flow = Flow::new();
    for (method, path, allow) in [
        ("POST", "/authorize", "GET"),
        ("PUT", "/oauth/consent", "GET, POST"),
        ("POST", "/oauth/callback", "GET"),
        ("GET", "/token", "POST"),
        ("GET", "/register", "POST"),
        ("PUT", "/revoke", "POST"),
        ("POST", "/.well-known/oauth-authorization-server", "GET"),
        ("DELETE", "/oauth/jwks.json", "GET"),
    ] {
        let r = flow.send(&request(method, path, &[], b""));
        assert_eq!(
            (r.status, r.header("allow")),
            (405, Some(allow)),
            "{method} {path}"
        );
        assert_eq!(json_of(&r)["error"], "invalid_request");
    }
    for path in [
        "/token",
        "/register",
        "/revoke",
        "/.well-known/oauth-authorization-server",
    ] {
        let r = flow.send(&request(
            "OPTIONS",
            path,
            &[("origin", "https://app.example")],
            b"",
        ));
        assert_eq!(r.status, 204, "{path}");
        assert_eq!(r.header("access-control-allow-origin"), Some("*"));
    }
}

/// docs/bad-input.md's authorization server table: each row names the test here that
/// backs it, and every test it names exists.
#[test]
fn docs_bad_input_names_these_tests() {
    let doc =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/bad-input.md")).unwrap();
    let section = doc
        .split("\n## The authorization server")
        .nth(1)
        .expect("docs/bad-input.md has a section on the authorization server");
    let source = include_str!("oauth_flow.rs");
    let mut rows = 0;
    for line in section.lines().filter(|l| l.starts_with("| ")) {
        let cells: Vec<&str> = line.split(" | ").collect();
        let last = cells.last().unwrap().trim_end_matches(" |").trim();
        if last == "Host test" || last.starts_with("---") {
            continue;
        }
        for name in last.split(", ").map(|n| n.trim_matches('`')) {
            assert!(
                source.contains(&format!("fn {name}()")),
                "docs/bad-input.md names {name}, which is not a test in tests/oauth_flow.rs"
            );
        }
        rows += 1;
    }
    assert!(rows >= 10, "only {rows} rows");
}

/// A sign-in cancelled or refused at the provider goes back to a trusted client at once,
/// and to any other client only through our page, with a link: never an open redirect.
#[test]
fn a_provider_error_reaches_only_a_trusted_client_unasked() {
    for (redirect, trusted) in [
        (LOOPBACK_REDIRECT, true),
        ("https://trusted.example/cb", true),
        (WEB_REDIRECT, false),
        // The trusted host's name in an app's scheme is no https host.
        ("com.example.app://trusted.example/cb", false),
    ] {
        let flow = Flow::new();
        let client = flow.public_client(redirect);
        for (error, code) in [
            ("access_denied", "access_denied"),
            ("login_required", "access_denied"),
            ("temporarily_unavailable", "temporarily_unavailable"),
            ("invalid_client", "server_error"),
        ] {
            // A sign-in each: an answered one's cookie is gone.
            let to_provider = flow.authorize_client(&client, redirect);
            assert_eq!(
                to_provider.status,
                302,
                "{redirect}: {}",
                text_of(&to_provider)
            );
            let state = location_params(to_provider.header("location").unwrap())["state"].clone();
            let query = encode_form(&[("error", error), ("state", &state), ("iss", IDP)]);
            let r = flow.browse("GET", &format!("/oauth/callback?{query}"), &[], b"");
            if trusted {
                assert_eq!(r.status, 302, "{redirect} {error}");
                let back = location_params(r.header("location").unwrap());
                assert_eq!(back["error"], code, "{redirect} {error}");
                assert_eq!(back["state"], "client-state");
            } else {
                assert_eq!(r.status, 400, "{redirect} {error}");
                assert_eq!(r.header("location"), None, "{redirect} {error}");
                let page = text_of(&r);
                assert!(page.contains("Return to the application"), "{page}");
                assert!(page.contains(code), "{page}");
            }
        }
        assert_eq!(flow.host.grant_count(), 0);
    }
}

/// The same consent posted twice makes one grant: the second finds it made (409).
#[test]
fn a_consent_posted_twice_makes_one_grant() {
    let flow = Flow::new();
    let client = flow.public_client(LOOPBACK_REDIRECT);
    let page = flow.callback(
        &flow.authorize_client(&client, LOOPBACK_REDIRECT),
        &json!({}),
        false,
    );
    assert_eq!(page.status, 200, "{}", text_of(&page));
    let cookie = flow.cookie_header().expect("the session's cookie");
    let html = text_of(&page);
    let body = encode_form(&[
        ("session", &hidden_field(&html, "session").unwrap()),
        ("csrf", &hidden_field(&html, "csrf").unwrap()),
        ("decision", "approve"),
    ]);
    let post = || {
        flow.send(&request(
            "POST",
            "/oauth/consent",
            &[("cookie", &cookie), ("origin", ISSUER)],
            body.as_bytes(),
        ))
    };
    assert_eq!(post().status, 303);
    let again = post();
    assert_page(&again, 409, "answered already");
    assert_eq!(flow.host.grant_count(), 1);
}

/// A code or refresh token whose grant id this server did not make is refused before
/// any grant's object is asked.
#[test]
fn made_up_tokens_reach_no_grant_object() {
    let flow = Flow::new();
    let client = flow.public_client(LOOPBACK_REDIRECT);
    let made_up = format!("{}.{}", "A".repeat(22), "B".repeat(43));
    for params in [
        vec![
            ("grant_type", "authorization_code"),
            ("code", made_up.as_str()),
            ("code_verifier", VERIFIER),
            ("redirect_uri", LOOPBACK_REDIRECT),
        ],
        vec![
            ("grant_type", "refresh_token"),
            ("refresh_token", made_up.as_str()),
        ],
    ] {
        let mut params = params;
        params.push(("client_id", &client));
        let r = flow.post_form("/token", &params, None);
        assert_eq!(r.status, 400, "{}", text_of(&r));
        assert_eq!(json_of(&r)["error"], "invalid_grant");
    }
    let r = flow.post_form(
        "/revoke",
        &[("token", &made_up), ("client_id", &client)],
        None,
    );
    assert_eq!(r.status, 200);
    assert_eq!(flow.host.grant_requests(), 0, "no object was asked");
}

/// The CORS preflight of the JSON endpoints names one origin, `*`, once.
#[test]
fn preflights_allow_any_origin_once() {
    let flow = Flow::new();
    for path in ["/token", "/register", "/revoke"] {
        let r = flow.send(&request(
            "OPTIONS",
            path,
            &[("origin", "http://localhost:6274")],
            b"",
        ));
        assert_eq!(r.status, 204, "{path}");
        let allow: Vec<&str> = r
            .headers
            .iter()
            .filter(|(k, _)| *k == "access-control-allow-origin")
            .map(|(_, v)| v.as_ref())
            .collect();
        assert_eq!(allow, ["*"], "{path}");
    }
}

/// The steps a browser takes (and registration) count against the address rate limit;
/// over it, they get `429` with `Retry-After`. The token endpoint, which hosts call for
/// all their users from a few addresses, is not counted.
#[test]
fn sign_in_steps_from_one_address_meet_the_address_limit() {
    let flow = Flow::new();
    let client = flow.public_client(LOOPBACK_REDIRECT);
    flow.host
        .refused_addresses
        .borrow_mut()
        .push("192.0.2.9".into());
    let from = [("cf-connecting-ip", "192.0.2.9")];
    let authorize = flow.send(&request(
        "GET",
        &format!(
            "/authorize?{}",
            encode_form(&[("client_id", client.as_str()), ("response_type", "code")])
        ),
        &from,
        b"",
    ));
    assert_page(&authorize, 429, "Too many sign-in requests");
    assert_eq!(authorize.header("retry-after"), Some("60"));
    let consent = flow.send(&request("POST", "/oauth/consent", &from, b"session=x"));
    assert_page(&consent, 429, "Too many sign-in requests");
    let register = flow.send(&request(
        "POST",
        "/register",
        &[("content-type", "application/json"), from[0]],
        br#"{"redirect_uris":["http://127.0.0.1/cb"]}"#,
    ));
    assert_eq!(register.status, 429);
    assert_eq!(register.header("retry-after"), Some("60"));
    let before = flow.host.limited.borrow().len();
    let token = flow.send(&request(
        "POST",
        "/token",
        &[
            ("content-type", "application/x-www-form-urlencoded"),
            from[0],
        ],
        b"grant_type=refresh_token&refresh_token=x&client_id=y",
    ));
    assert_eq!(token.status, 401, "not rate-limited: {}", text_of(&token));
    assert_eq!(
        flow.host.limited.borrow().len(),
        before,
        "the token endpoint asks no limiter"
    );
    // Another address goes on.
    let other = flow.send(&request(
        "GET",
        &format!(
            "/authorize?{}",
            encode_form(&[("client_id", client.as_str())])
        ),
        &[("cf-connecting-ip", "192.0.2.10")],
        b"",
    ));
    assert_ne!(other.status, 429);
}
