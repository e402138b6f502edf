//! The authorization server's metadata (RFC 8414): where its endpoints are and what it
//! supports, as clients discover it at `/.well-known/oauth-authorization-server`, and
//! the paths the pipeline serves them at.
//!
//! What it advertises is what the other parts implement: the `code` response type with
//! S256 PKCE only, the authorization code and refresh token grants, public clients
//! (`none`, which Claude needs before it uses a Client ID Metadata Document), secrets and
//! `private_key_jwt` (ChatGPT's document asks for it, RS256), Client ID Metadata Documents
//! and `iss` on every authorization response (RFC 9207 §3).

use serde_json::Value;

/// Where the metadata document is served: between the host and the issuer's path, which
/// is empty here (RFC 8414 §3).
pub const WELL_KNOWN: &str = "/.well-known/oauth-authorization-server";
/// The authorization endpoint (OAuth 2.1 §3.1).
pub const AUTHORIZE: &str = "/authorize";
/// The token endpoint (OAuth 2.1 §3.2).
pub const TOKEN: &str = "/token";
/// Dynamic client registration (RFC 7591 §3).
pub const REGISTER: &str = "/register";
/// Token revocation (RFC 7009 §2).
pub const REVOKE: &str = "/revoke";
/// The signing keys' JWKS (RFC 8414 §2 `jwks_uri`).
pub const JWKS: &str = "/oauth/jwks.json";
/// Where the OpenID provider sends the person back (this server's redirect URI there).
pub const CALLBACK: &str = "/oauth/callback";
/// Where the consent page posts the decision.
pub const CONSENT: &str = "/oauth/consent";

/// Checks the issuer the server names itself by: its public origin, `https` (`http` only
/// for a loopback host, in development), with no path, query or fragment, since clients
/// compare it exactly with the `iss` they are sent and the URL they fetched the metadata
/// from (RFC 8414 §2, §3.3; RFC 9207 §2.4).
pub fn check_issuer(issuer: &str) -> Result<(), String> {
    let Some(host) = issuer
        .strip_prefix("https://")
        .or_else(|| issuer.strip_prefix("http://"))
    else {
        return Err(format!(
            "the issuer is the server's public origin, such as https://mcp.example.com; '{}' is not one",
            crate::protocol::jsonrpc::echo(issuer)
        ));
    };
    let plain = !host.is_empty()
        && host
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"-.:[]".contains(&b));
    if !plain {
        return Err("the issuer is an origin alone: a lower-case host and an optional port, with no path, query, fragment or user name".into());
    }
    if issuer.starts_with("http://") {
        let name = host.rsplit_once(':').map_or(host, |(h, port)| {
            if port.bytes().all(|b| b.is_ascii_digit()) {
                h
            } else {
                host
            }
        });
        // The loopback hosts an http redirect may name are the ones an http issuer may.
        if !super::redirect::LOOPBACK_HOSTS.contains(&name) {
            return Err("the issuer is https, except on the developer's own machine (localhost, 127.0.0.1 or [::1])".into());
        }
    }
    Ok(())
}

/// The metadata document of the authorization server at `issuer` (already checked with
/// [`check_issuer`]), granting `scopes` (the server's tools', resources' and prompts'),
/// as RFC 8414 §2 and the MCP authorization pages (2026-07-28) ask. No array is empty
/// (RFC 8414 §3.2): without scopes, `scopes_supported` is left out.
pub fn document(issuer: &str, scopes: &[&str]) -> Value {
    // The issuer, escaped as JSON string content, wherever the template has `@`.
    let quoted = Value::from(issuer).to_string();
    let text = DOCUMENT.replace('@', &quoted[1..quoted.len() - 1]);
    let mut doc: Value = serde_json::from_str(&text).unwrap_or_default();
    if !scopes.is_empty() {
        doc["scopes_supported"] = scopes.into();
    }
    doc
}

/// The document but for `scopes_supported`, with `@` for the issuer: one string rather
/// than code that builds it. The endpoints' paths are the constants above (a test checks).
const DOCUMENT: &str = concat!(
    r#"{"issuer":"@","authorization_endpoint":"@/authorize","token_endpoint":"@/token","#,
    r#""registration_endpoint":"@/register","revocation_endpoint":"@/revoke","#,
    r#""jwks_uri":"@/oauth/jwks.json","response_types_supported":["code"],"#,
    r#""response_modes_supported":["query"],"#,
    r#""grant_types_supported":["authorization_code","refresh_token"],"#,
    r#""code_challenge_methods_supported":["S256"],"#,
    r#""token_endpoint_auth_methods_supported":"#,
    r#"["none","client_secret_basic","client_secret_post","private_key_jwt"],"#,
    // Required beside private_key_jwt (RFC 8414 §2): the assertions' algorithm.
    r#""token_endpoint_auth_signing_alg_values_supported":["RS256"],"#,
    r#""revocation_endpoint_auth_methods_supported":"#,
    r#"["none","client_secret_basic","client_secret_post","private_key_jwt"],"#,
    r#""revocation_endpoint_auth_signing_alg_values_supported":["RS256"],"#,
    r#""authorization_response_iss_parameter_supported":true,"#,
    r#""client_id_metadata_document_supported":true}"#
);

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_document_says_what_the_parts_implement() {
        let doc = document("https://mcp.example", &["notes:read", "notes:write"]);
        assert_eq!(doc["issuer"], "https://mcp.example");
        for (field, path) in [
            ("authorization_endpoint", AUTHORIZE),
            ("token_endpoint", TOKEN),
            ("registration_endpoint", REGISTER),
            ("revocation_endpoint", REVOKE),
            ("jwks_uri", JWKS),
        ] {
            assert_eq!(doc[field], format!("https://mcp.example{path}"), "{field}");
        }
        assert_eq!(
            doc["token_endpoint_auth_methods_supported"],
            doc["revocation_endpoint_auth_methods_supported"]
        );
        // An issuer that would need escaping stays one string (check_issuer refuses it).
        assert_eq!(document("https://a\"b", &[])["issuer"], "https://a\"b");
        assert_eq!(
            doc["authorization_endpoint"],
            "https://mcp.example/authorize"
        );
        assert_eq!(doc["token_endpoint"], "https://mcp.example/token");
        assert_eq!(doc["registration_endpoint"], "https://mcp.example/register");
        assert_eq!(doc["revocation_endpoint"], "https://mcp.example/revoke");
        assert_eq!(doc["jwks_uri"], "https://mcp.example/oauth/jwks.json");
        assert_eq!(doc["code_challenge_methods_supported"], json!(["S256"]));
        assert_eq!(doc["response_types_supported"], json!(["code"]));
        // Claude uses a metadata document only when `none` is advertised.
        let methods = doc["token_endpoint_auth_methods_supported"]
            .as_array()
            .unwrap();
        assert!(methods.contains(&json!("none")));
        assert!(methods.contains(&json!("private_key_jwt")));
        assert_eq!(doc["authorization_response_iss_parameter_supported"], true);
        assert_eq!(doc["client_id_metadata_document_supported"], true);
        assert_eq!(
            doc["scopes_supported"],
            json!(["notes:read", "notes:write"])
        );
        // No array is empty (RFC 8414 §3.2).
        let bare = document("https://mcp.example", &[]);
        assert!(bare.get("scopes_supported").is_none());
        for (k, v) in bare.as_object().unwrap() {
            assert!(v.as_array().is_none_or(|a| !a.is_empty()), "{k}");
        }
    }

    #[test]
    fn the_issuer_is_an_https_origin_or_a_loopback_one() {
        for good in [
            "https://mcp.example",
            "https://mcp.example:8443",
            "http://localhost:8787",
            "http://127.0.0.1:8787",
            "http://[::1]:8787",
        ] {
            assert_eq!(check_issuer(good), Ok(()), "{good}");
        }
        for (bad, says) in [
            ("mcp.example", "public origin"),
            ("ftp://mcp.example", "public origin"),
            ("https://mcp.example/", "origin alone"),
            ("https://mcp.example/as", "origin alone"),
            ("https://mcp.example?x", "origin alone"),
            ("https://Mcp.example", "origin alone"),
            ("https://u@mcp.example", "origin alone"),
            ("https://", "origin alone"),
            ("http://mcp.example", "https"),
            ("http://localhost.evil.example", "https"),
        ] {
            let err = check_issuer(bad).unwrap_err();
            assert!(err.contains(says), "{bad}: {err}");
        }
    }
}
