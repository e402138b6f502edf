//! Redirect URIs: which a client may register, and whether the one an authorization request
//! names is one the client registered.
//!
//! The comparison is simple string comparison (OAuth 2.1 draft 15 §4.1.1, RFC 9700 §2.1),
//! with the one exception loopback redirects need: a native client listens on whatever port
//! the system gives it, so for `http` on a loopback host the port may differ, or be absent
//! from the registration (OAuth 2.1 §8.4.2, RFC 8252 §7.3). Claude Code's client metadata
//! lists `http://localhost/callback` and `http://127.0.0.1/callback` without a port and then
//! sends `http://localhost:<port>/callback`, so `localhost` gets the rule too.

use crate::protocol::uri::{escapes_are_whole, is_uri_char};

/// The longest redirect URI a client may register or send.
pub const MAX_LEN: usize = 2000;

/// Schemes no redirect may use: they run script, read local data or are not addresses a
/// browser sends an authorization response to.
const REFUSED_SCHEMES: [&str; 13] = [
    "javascript",
    "data",
    "vbscript",
    "file",
    "blob",
    "about",
    "ws",
    "wss",
    "intent",
    "chrome",
    "chrome-extension",
    "view-source",
    "jar",
];

/// The hosts whose `http` redirects stay on the user's machine.
pub(super) const LOOPBACK_HOSTS: [&str; 3] = ["localhost", "127.0.0.1", "[::1]"];

/// A redirect URI taken apart: its scheme, the host and port of its authority, and the
/// path and query after it.
struct Parts<'a> {
    scheme: &'a str,
    host: &'a str,
    port: Option<&'a str>,
    rest: &'a str,
}

fn parts(uri: &str) -> Option<Parts<'_>> {
    let (scheme, after) = uri.split_once("://")?;
    let end = after.find(['/', '?']).unwrap_or(after.len());
    let (authority, rest) = after.split_at(end);
    // An IPv6 literal holds colons of its own: the port follows its closing bracket.
    let (host, port) = match authority.rfind(':') {
        Some(i) if !authority[i..].contains(']') => (&authority[..i], Some(&authority[i + 1..])),
        _ => (authority, None),
    };
    Some(Parts {
        scheme,
        host,
        port,
        rest,
    })
}

/// Checks a redirect URI a client registers (RFC 7591 §2, or its client metadata
/// document): absolute, without a fragment (OAuth 2.1 §2.3.1), `https`, or `http` only
/// to a loopback host (RFC 9700 §2.6), or a native app's private-use scheme (OAuth 2.1
/// §8.4.1) other than those that run script or read local data. The words say what is
/// wrong, for an `invalid_redirect_uri` or the client's error page.
pub fn check_registered(uri: &str) -> Result<(), String> {
    if uri.len() > MAX_LEN {
        return Err(format!("a redirect URI is at most {MAX_LEN} characters"));
    }
    if uri.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err("a redirect URI holds no space or control character".into());
    }
    // Only the characters a URI is written with (RFC 3986 §2), each '%' starting an escape:
    // a backslash, a quote or a letter past ASCII would be read one way by a browser and
    // shown another way on a consent page.
    let bytes = uri.as_bytes();
    if !bytes.iter().all(|&b| is_uri_char(b)) || !escapes_are_whole(bytes) {
        return Err("a redirect URI holds only ASCII letters, digits and the characters URIs allow, with '%' starting a two-digit escape; write an international host in its xn-- form".into());
    }
    if uri.contains('#') {
        return Err("a redirect URI has no fragment ('#')".into());
    }
    let Some((scheme, _)) = uri.split_once(':') else {
        return Err("a redirect URI is absolute: it starts with a scheme such as https:".into());
    };
    let scheme_ok = scheme
        .bytes()
        .next()
        .is_some_and(|b| b.is_ascii_lowercase())
        && scheme
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"+-.".contains(&b));
    if !scheme_ok {
        return Err("a redirect URI's scheme is lower-case letters, digits, '+', '-' or '.', starting with a letter".into());
    }
    if REFUSED_SCHEMES.contains(&scheme) {
        return Err(format!("a redirect URI may not use the {scheme}: scheme"));
    }
    if scheme != "https" && scheme != "http" {
        // A native app's private-use scheme (com.example.app:/callback, cursor://…).
        return Ok(());
    }
    let Some(p) = parts(uri) else {
        return Err(format!(
            "an {scheme} redirect URI has a host: {scheme}://host/path"
        ));
    };
    // The host as a browser will read it: lower-case ASCII letters, digits, '-' and '.', or
    // a bracketed IPv6 literal, so that what the consent page shows is where the browser
    // goes.
    let host_ok = p.host.starts_with('[') && p.host.ends_with(']')
        || p.host
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'.');
    if p.host.is_empty() || p.host.contains('@') || !host_ok {
        return Err(format!(
            "an {scheme} redirect URI has a host (lower-case ASCII, or a bracketed IPv6 address) and no user name: {scheme}://host/path"
        ));
    }
    if p.port
        .is_some_and(|port| port.is_empty() || !port.bytes().all(|b| b.is_ascii_digit()))
    {
        return Err("a redirect URI's port is digits".into());
    }
    if scheme == "http" && !LOOPBACK_HOSTS.contains(&p.host) {
        return Err("an http redirect URI must be to the user's own machine (localhost, 127.0.0.1 or [::1]); use https".into());
    }
    Ok(())
}

/// Whether `presented`, the `redirect_uri` of an authorization or token request, is
/// `registered`: the same string, or, for `http` to a loopback host, the same but for the
/// port.
pub fn matches(registered: &str, presented: &str) -> bool {
    if registered == presented {
        return true;
    }
    let (Some(r), Some(p)) = (parts(registered), parts(presented)) else {
        return false;
    };
    r.scheme == "http"
        && p.scheme == "http"
        && LOOPBACK_HOSTS.contains(&r.host)
        && r.host == p.host
        && r.rest == p.rest
        && p.port.is_none_or(|port| {
            !port.is_empty() && port.len() <= 5 && port.bytes().all(|b| b.is_ascii_digit())
        })
        && !presented.contains(['#', '@'])
}

/// Whether a redirect URI stays on the user's machine: a consent page says so, as a
/// client whose every redirect is local may be any program on it (MCP 2026-07-28
/// authorization, "Client ID Metadata Documents" security considerations).
pub fn is_loopback(uri: &str) -> bool {
    parts(uri).is_some_and(|p| p.scheme == "http" && LOOPBACK_HOSTS.contains(&p.host))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clients_register_https_loopback_http_and_private_use_schemes() {
        for good in [
            "https://chatgpt.com/connector/oauth/abc123",
            "https://claude.ai/api/mcp/auth_callback",
            "https://example.com:8443/cb?x=1",
            "http://localhost/callback",
            "http://127.0.0.1:33418/callback",
            "http://[::1]:8080/cb",
            "cursor://anysphere.cursor-retrieval/oauth/callback",
            "com.example.app:/oauth2redirect",
        ] {
            assert_eq!(check_registered(good), Ok(()), "{good}");
        }
        for (bad, says) in [
            ("http://example.com/cb", "use https"),
            ("http://localhost.evil.example/cb", "use https"),
            ("https://example.com/cb#frag", "fragment"),
            ("javascript:alert(1)", "javascript"),
            ("JavaScript:alert(1)", "lower-case"),
            ("data:text/html,hi", "data"),
            ("/relative/cb", "absolute"),
            ("https:///cb", "has a host"),
            ("https://user@example.com/cb", "no user name"),
            ("https://example.com:80x/cb", "port is digits"),
            ("https://example.com/c b", "no space"),
            ("https://example.com/\u{7f}", "control"),
            (
                "https://evil.example\\.claude.ai/cb",
                "characters URIs allow",
            ),
            ("https://\u{441}laude.ai/cb", "characters URIs allow"),
            ("https://a.example/cb\"><script>", "characters URIs allow"),
            ("https://a.example/%zz", "escape"),
            ("https://Claude.ai/cb", "has a host"),
            ("intent://x/cb", "intent"),
        ] {
            let err = check_registered(bad).unwrap_err();
            assert!(err.contains(says), "{bad}: {err}");
        }
        assert!(check_registered(&format!("https://e.example/{}", "a".repeat(MAX_LEN))).is_err());
    }

    #[test]
    fn only_the_same_string_matches_but_for_a_loopback_port() {
        let chatgpt = "https://chatgpt.com/connector/oauth/abc123";
        assert!(matches(chatgpt, chatgpt));
        for other in [
            "https://chatgpt.com/connector/oauth/abc1234",
            "https://chatgpt.com/connector/oauth/abc123/",
            "https://chatgpt.com/connector/oauth/abc123?x=1",
            "https://chatgpt.com:443/connector/oauth/abc123",
            "https://CHATGPT.com/connector/oauth/abc123",
            "https://chatgpt.com/connector/oauth/x/../abc123",
        ] {
            assert!(!matches(chatgpt, other), "{other}");
        }
        // Claude Code registers portless loopback URIs and sends a port.
        assert!(matches(
            "http://localhost/callback",
            "http://localhost:53682/callback"
        ));
        assert!(matches(
            "http://127.0.0.1/callback",
            "http://127.0.0.1:1/callback"
        ));
        assert!(matches(
            "http://127.0.0.1:8080/callback",
            "http://127.0.0.1:9090/callback"
        ));
        assert!(matches("http://[::1]/cb", "http://[::1]:4000/cb"));
        for other in [
            "http://localhost:53682/callback/",
            "http://localhost:53682/other",
            "http://127.0.0.1:53682/callback",
            "http://localhost:/callback",
            "http://localhost:123456/callback",
            "http://localhost:12a/callback",
            "http://evil@localhost:1/callback",
            "http://localhost:1/callback#x",
            "https://localhost:1/callback",
        ] {
            assert!(!matches("http://localhost/callback", other), "{other}");
        }
        // The port rule is for loopback hosts only.
        assert!(!matches(
            "http://example.com/cb",
            "http://example.com:81/cb"
        ));
        assert!(!matches(
            "https://example.com/cb",
            "https://example.com:8443/cb"
        ));
    }

    #[test]
    fn loopback_redirects_are_told_apart() {
        assert!(is_loopback("http://localhost:1/cb"));
        assert!(is_loopback("http://[::1]/cb"));
        assert!(!is_loopback("https://localhost/cb"));
        assert!(!is_loopback("https://claude.ai/api/mcp/auth_callback"));
    }
}
