//! The authorization server's pages: consent, errors, and the interstitial before a
//! redirect nobody vouched for. Plain HTML with inline styles, no script, no remote
//! resource; every piece of client or provider text escaped.

use std::fmt::Write;

/// The Content-Security-Policy of every page: nothing loads, nothing runs, nothing frames
/// it. `form-action` is left open: after consent the browser is redirected to the client.
pub const CSP: &str =
    "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'; base-uri 'none'";

/// `text` escaped for HTML text and attribute values, control characters dropped.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

const STYLE: &str = "body{font:16px/1.5 system-ui,sans-serif;background:#f4f4f5;color:#18181b;margin:0;display:flex;min-height:100vh;align-items:center;justify-content:center}main{background:#fff;border-radius:12px;box-shadow:0 1px 4px #0002;padding:28px 32px;max-width:440px;width:100%}h1{font-size:20px;margin:0 0 12px}p{margin:8px 0}.muted{color:#52525b;font-size:14px}ul{padding-left:20px}code{background:#f4f4f5;padding:1px 5px;border-radius:4px;word-break:break-all}.buttons{display:flex;gap:12px;margin-top:20px}button,a.button{font:inherit;padding:9px 18px;border-radius:8px;border:1px solid #d4d4d8;background:#fff;cursor:pointer;text-decoration:none;color:inherit}button.primary{background:#18181b;color:#fff;border-color:#18181b}";

fn page(title: &str, body: &str) -> String {
    format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width,initial-scale=1\"><meta name=\"referrer\" content=\"same-origin\"><title>{}</title><style>{STYLE}</style></head><body><main>{body}</main></body></html>",
        escape(title)
    )
}

/// What the consent page shows.
pub struct Consent<'a> {
    /// The MCP server's title.
    pub server: &'a str,
    /// The client's name as it gave it (unverified for a registered client).
    pub client_name: Option<&'a str>,
    /// Who vouches for the name: the host of a metadata document's URL; `None` for a
    /// client registered here, which anyone can be.
    pub client_host: Option<&'a str>,
    /// Where the browser goes next: the host of the redirect URI, or its scheme when it
    /// names an application rather than a host.
    pub redirect_host: &'a str,
    /// The code goes to an application on this device (a loopback or private-use redirect
    /// URI), which any program there could claim to be.
    pub local: bool,
    pub scopes: &'a [String],
    /// Who signed in at the provider: an e-mail address or a subject.
    pub user: &'a str,
    /// The hidden fields of the form: the session and its anti-forgery token.
    pub session: &'a str,
    pub csrf: &'a str,
    /// Where the form posts.
    pub action: &'a str,
}

/// The consent page.
pub fn consent(c: &Consent) -> String {
    let name = c.client_name.unwrap_or("An unnamed application");
    let mut body = format!(
        "<h1>Allow {} to use {}?</h1>",
        escape(name),
        escape(c.server)
    );
    match c.client_host {
        Some(host) => {
            let _ = write!(
                body,
                "<p class=\"muted\">The application is published by <strong>{}</strong>.</p>",
                escape(host)
            );
        }
        None => body.push_str(
            "<p class=\"muted\">The application registered itself with this server: its name is its own claim, not verified by anyone.</p>",
        ),
    }
    let _ = write!(
        body,
        "<p>You are signed in as <strong>{}</strong>. If you allow it, the application may act as you on {}",
        escape(c.user),
        escape(c.server)
    );
    if c.scopes.is_empty() {
        body.push_str(".</p>");
    } else {
        body.push_str(", with these permissions:</p><ul>");
        for s in c.scopes {
            let _ = write!(body, "<li><code>{}</code></li>", escape(s));
        }
        body.push_str("</ul>");
    }
    if c.local {
        body.push_str("<p><strong>The application runs on this device.</strong> Allow only if you started this sign-in from it just now: any program here can use this name.</p>");
    }
    let _ = write!(
        body,
        "<p class=\"muted\">You will then be sent to <strong>{}</strong>.</p><form method=\"post\" action=\"{}\"><input type=\"hidden\" name=\"session\" value=\"{}\"><input type=\"hidden\" name=\"csrf\" value=\"{}\"><div class=\"buttons\"><button class=\"primary\" type=\"submit\" name=\"decision\" value=\"approve\">Allow</button><button type=\"submit\" name=\"decision\" value=\"deny\">Deny</button></div></form>",
        escape(c.redirect_host),
        escape(c.action),
        escape(c.session),
        escape(c.csrf)
    );
    page(&format!("Allow {name}?"), &body)
}

/// An error shown on the server's own page.
pub fn error(title: &str, message: &str) -> String {
    page(
        title,
        &format!("<h1>{}</h1><p>{}</p>", escape(title), escape(message)),
    )
}

/// An error to take back to a client whose redirect nobody vouched for: the person
/// follows the link, or not.
pub fn interstitial(message: &str, destination: &str, location: &str) -> String {
    page(
        "Sign-in failed",
        &format!(
            "<h1>Sign-in failed</h1><p>{}</p><p class=\"muted\">The application that sent you here is at <strong>{}</strong>.</p><div class=\"buttons\"><a class=\"button\" href=\"{}\">Return to the application</a></div>",
            escape(message),
            escape(destination),
            escape(location)
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn untrusted_text_is_escaped_everywhere() {
        let evil = "<img src=x onerror=alert(1)>\"'&\u{7}";
        let scopes = vec![evil.to_owned()];
        let html = consent(&Consent {
            server: evil,
            client_name: Some(evil),
            client_host: Some(evil),
            redirect_host: evil,
            local: false,
            scopes: &scopes,
            user: evil,
            session: evil,
            csrf: evil,
            action: "/oauth/consent",
        });
        assert!(!html.contains("<img"), "{html}");
        assert!(!html.contains('\u{7}'));
        assert!(html.contains("&lt;img src=x onerror=alert(1)&gt;&quot;&#39;&amp;"));
        for page in [error(evil, evil), interstitial(evil, evil, evil)] {
            assert!(!page.contains("<img"), "{page}");
        }
    }

    #[test]
    fn a_registered_client_s_name_is_marked_unverified() {
        let html = consent(&Consent {
            server: "Dice",
            client_name: Some("Claude"),
            client_host: None,
            redirect_host: "claude.ai",
            local: true,
            scopes: &[],
            user: "a@example.com",
            session: "s",
            csrf: "c",
            action: "/oauth/consent",
        });
        assert!(html.contains("not verified"));
        assert!(html.contains("runs on this device"));
        assert!(html.contains("name=\"csrf\" value=\"c\""));
    }
}
