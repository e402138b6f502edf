//! Worker variables and secrets, read once per isolate into a checked [`Config`].

use std::fmt;
use std::sync::Arc;

use crate::auth::keys::KeySet;
use crate::auth::policy::ClaimPolicy;
use crate::auth::Authenticator;

/// Everything the server reads from its environment.
#[derive(Debug)]
pub struct Config {
    pub origins: OriginPolicy,
    pub auth: Auth,
    /// The public base URL (`https://host`) when the server sits behind a proxy that
    /// rewrites it; otherwise the request's own origin is used.
    pub public_url: Option<String>,
    /// Authorization servers named in the protected resource metadata.
    pub authorization_servers: Vec<String>,
    /// The key that seals 2026-07-28 `requestState` (`INPUT_STATE_KEY`); needed only by a
    /// server with a tool that asks the client for input.
    pub input_state_key: Option<Arc<[u8]>>,
    /// Things an operator should know, logged once when the configuration is read.
    pub warnings: Vec<String>,
    /// The authorization server in the worker, when the server declares one and its
    /// `OAUTH_*` variables are set.
    #[cfg(feature = "oauth")]
    pub oauth: Option<Box<crate::oauth::settings::Settings>>,
}

/// How requests to the MCP endpoint are authenticated.
#[derive(Debug)]
pub enum Auth {
    /// Bearer JWTs, verified against configured keys.
    Bearer(Box<Authenticator>),
    /// Nobody is asked who they are: only with `ALLOW_UNAUTHENTICATED=true`.
    Disabled,
}

/// A variable that is missing or unusable. The server then refuses every request with a
/// message naming the variable, rather than run with a policy nobody asked for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConfigError {
    pub var: &'static str,
    pub reason: String,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} is not usable: {}", self.var, self.reason)
    }
}

impl std::error::Error for ConfigError {}

impl ConfigError {
    /// The server's own definition failed its check (`mcp::Server::check`): a problem
    /// for its author, reported as a setting is.
    pub fn server(reason: String) -> ConfigError {
        ConfigError {
            var: "the server definition",
            reason,
        }
    }
}

pub use crate::vars::*;

pub const DEFAULT_LEEWAY_SECS: i64 = 60;
const MAX_LEEWAY_SECS: i64 = 300;

fn err(var: &'static str, reason: impl Into<String>) -> ConfigError {
    ConfigError {
        var,
        reason: reason.into(),
    }
}

impl Config {
    #[cfg(any(test, feature = "unstable"))]
    /// The scopes every token must hold (`REQUIRED_SCOPES`); none without authentication.
    pub fn required_scopes(&self) -> &[String] {
        match &self.auth {
            Auth::Bearer(auth) => &auth.policy.required_scopes,
            Auth::Disabled => &[],
        }
    }

    /// A server with a tool that asks the client for input needs `INPUT_STATE_KEY` to seal
    /// its `requestState`: without it, it refuses to serve, as for a missing token key.
    pub fn require_input_key(self, needed: bool) -> Result<Config, ConfigError> {
        if needed && self.input_state_key.is_none() {
            return Err(err(
                INPUT_STATE_KEY,
                "a tool of this server asks the client for input, and the key that seals its requestState is not set. Set it with `openssl rand -hex 32 | npx wrangler secret put INPUT_STATE_KEY` (for `wrangler dev`, a line INPUT_STATE_KEY=... in .dev.vars)",
            ));
        }
        Ok(self)
    }

    /// Builds `server`'s configuration from a lookup of variables and secrets (`Env::var`
    /// in the worker). Blank values count as unset. Tokens must name the server's audience
    /// (`Server::token_audience`) when neither `JWT_AUDIENCE` nor an authorization server
    /// is set, and its endpoint's URLs when an authorization server is.
    pub fn from_vars(
        server: &crate::mcp::Server,
        get: impl Fn(&str) -> Option<String>,
    ) -> Result<Config, ConfigError> {
        let audience = server.token_audience();
        let get = |name: &str| get(name).filter(|v| !v.trim().is_empty());
        let mut warnings = Vec::new();

        let origins = match get(ALLOWED_ORIGINS) {
            None => OriginPolicy::loopback_only(),
            Some(v) => OriginPolicy::parse(&v).map_err(|reason| err(ALLOWED_ORIGINS, reason))?,
        };

        let allow_unauthenticated = match get(ALLOW_UNAUTHENTICATED).as_deref().map(str::trim) {
            None | Some("false") => false,
            Some("true") => true,
            Some(other) => {
                return Err(err(
                    ALLOW_UNAUTHENTICATED,
                    format!("'{other}' is not true or false"),
                ))
            }
        };
        let public_url = match get(PUBLIC_URL) {
            None => None,
            Some(u) => {
                let u = u.trim().trim_end_matches('/').to_owned();
                check_url(&u, false).map_err(|reason| err(PUBLIC_URL, reason))?;
                Some(u)
            }
        };
        #[cfg(feature = "oauth")]
        let oauth = match server.authorization {
            None => None,
            Some(declared) => {
                let mut scopes = words(get(REQUIRED_SCOPES));
                for s in server.scopes() {
                    if !scopes.iter().any(|a| a == s) {
                        scopes.push(s.to_owned());
                    }
                }
                crate::oauth::settings::Settings::from_vars(
                    declared,
                    public_url.as_deref(),
                    server.endpoint_path(),
                    scopes,
                    &|name: &str| get(name),
                )
                .map_err(|e| err(e.var, e.reason))?
                .map(Box::new)
            }
        };
        #[cfg(feature = "oauth")]
        if let Some(settings) = &oauth {
            for var in [
                JWT_PUBLIC_KEY,
                JWT_JWKS_URL,
                AUTHORIZATION_SERVERS,
                JWT_ISSUER,
                JWT_AUDIENCE,
            ] {
                if get(var).is_some() {
                    return Err(err(
                        var,
                        "the authorization server in this worker is configured (OAUTH_ variables), and it issues and checks its own tokens. Unset this variable, or the OAUTH_ ones to use another authorization server",
                    ));
                }
            }
            let policy = ClaimPolicy {
                audiences: crate::auth::metadata::resources(
                    &settings.issuer,
                    server.endpoint_path(),
                )
                .into(),
                issuer: Some(settings.issuer.clone()),
                required_scopes: words(get(REQUIRED_SCOPES)).into(),
                leeway_secs: DEFAULT_LEEWAY_SECS,
            };
            let auth = Auth::Bearer(Box::new(Authenticator::new(
                Some(settings.verifying_keys()),
                None,
                policy,
            )));
            let input_state_key = match get(INPUT_STATE_KEY) {
                None => None,
                Some(k) if k.trim().len() >= crate::mcp::state::MIN_KEY_BYTES => {
                    Some(Arc::from(k.trim().as_bytes()))
                }
                Some(_) => return Err(short_input_state_key()),
            };
            return Ok(Config {
                origins,
                auth,
                authorization_servers: vec![settings.issuer.clone()],
                public_url,
                input_state_key,
                warnings,
                oauth,
            });
        }
        // The variable that named the authorization servers, for the messages below.
        let (authorization_servers, named_by) = match get(AUTHORIZATION_SERVERS) {
            Some(v) => {
                let list = words(Some(v));
                for u in &list {
                    check_url(u, false).map_err(|reason| err(AUTHORIZATION_SERVERS, reason))?;
                }
                (list, AUTHORIZATION_SERVERS)
            }
            None => (
                get(JWT_ISSUER)
                    .map(|i| vec![i.trim().to_owned()])
                    .unwrap_or_default(),
                JWT_ISSUER,
            ),
        };
        let public_key = get(JWT_PUBLIC_KEY);
        let jwks_url = get(JWT_JWKS_URL).map(|u| u.trim().to_owned());
        let auth = if public_key.is_none() && jwks_url.is_none() {
            // Metadata that sends clients to sign in, with nothing to verify what they
            // bring back, would serve nobody: refuse rather than serve without tokens.
            if let Some(first) = authorization_servers.first() {
                return Err(err(
                    JWT_JWKS_URL,
                    format!("{named_by} names the authorization server {first}, but no key verifies its tokens. Set JWT_JWKS_URL to its key set (the jwks_uri in {first}/.well-known/openid-configuration or /.well-known/oauth-authorization-server)"),
                ));
            }
            if !allow_unauthenticated {
                return Err(err(
                    JWT_PUBLIC_KEY,
                    "no key to verify tokens with. Set the JWT_PUBLIC_KEY secret (`wrangler secret put JWT_PUBLIC_KEY`, a PEM public key, JWK or JWKS) or the JWT_JWKS_URL variable; or, for a public demo only, ALLOW_UNAUTHENTICATED=true",
                ));
            }
            warnings.push(
                "ALLOW_UNAUTHENTICATED=true: the MCP endpoint answers anyone, without a token"
                    .into(),
            );
            Auth::Disabled
        } else {
            if allow_unauthenticated {
                warnings.push(
                    "ALLOW_UNAUTHENTICATED=true is ignored because keys are configured: tokens are required".into(),
                );
            }
            let static_keys = match public_key {
                None => None,
                Some(text) => {
                    let (set, skipped) =
                        KeySet::parse(&text).map_err(|e| err(JWT_PUBLIC_KEY, e.to_string()))?;
                    warnings.extend(
                        skipped
                            .into_iter()
                            .map(|w| format!("{JWT_PUBLIC_KEY}: {w}")),
                    );
                    Some(set)
                }
            };
            if let Some(url) = &jwks_url {
                check_url(url, true).map_err(|reason| err(JWT_JWKS_URL, reason))?;
            }
            let audiences = match get(JWT_AUDIENCE) {
                Some(a) => words(Some(a)),
                // Clients sent to an authorization server ask it for a token for our
                // resource (RFC 8707), which it puts in `aud` (2025-11-25
                // basic/authorization "Token Audience Binding and Validation").
                None if !authorization_servers.is_empty() => {
                    let base = public_url.as_deref().ok_or_else(|| {
                        err(
                            PUBLIC_URL,
                            format!("{named_by} names an authorization server, so tokens must be issued for this server's URL, and that URL is not set. Set PUBLIC_URL to the origin users reach the server at (https://mcp.example.com), or JWT_AUDIENCE to the audience your authorization server puts in its tokens"),
                        )
                    })?;
                    crate::auth::metadata::resources(base, server.endpoint_path()).into()
                }
                None => vec![audience.into()],
            };
            let leeway_secs = match get(JWT_LEEWAY_SECONDS) {
                None => DEFAULT_LEEWAY_SECS,
                Some(v) => v
                    .trim()
                    .parse::<i64>()
                    .ok()
                    .filter(|s| (0..=MAX_LEEWAY_SECS).contains(s))
                    .ok_or_else(|| {
                        err(
                            JWT_LEEWAY_SECONDS,
                            format!("expected whole seconds from 0 to {MAX_LEEWAY_SECS}"),
                        )
                    })?,
            };
            let policy = ClaimPolicy {
                audiences,
                issuer: get(JWT_ISSUER).map(|i| i.trim().to_owned()),
                required_scopes: words(get(REQUIRED_SCOPES)).into(),
                leeway_secs,
            };
            Auth::Bearer(Box::new(Authenticator::new(static_keys, jwks_url, policy)))
        };

        let input_state_key = match get(INPUT_STATE_KEY) {
            None => None,
            Some(k) if k.trim().len() >= crate::mcp::state::MIN_KEY_BYTES => {
                Some(Arc::from(k.trim().as_bytes()))
            }
            Some(_) => {
                return Err(err(
                    INPUT_STATE_KEY,
                    format!(
                        "it must be at least {} characters of random text (`openssl rand -hex 32`)",
                        crate::mcp::state::MIN_KEY_BYTES
                    ),
                ))
            }
        };
        Ok(Config {
            origins,
            auth,
            public_url,
            authorization_servers,
            input_state_key,
            warnings,
            #[cfg(feature = "oauth")]
            oauth: None,
        })
    }
}

#[cfg(feature = "oauth")]
fn short_input_state_key() -> ConfigError {
    err(
        INPUT_STATE_KEY,
        format!(
            "it must be at least {} characters of random text (`openssl rand -hex 32`)",
            crate::mcp::state::MIN_KEY_BYTES
        ),
    )
}

fn words(v: Option<String>) -> Vec<String> {
    v.map(|s| s.split_whitespace().map(str::to_owned).collect())
        .unwrap_or_default()
}

/// An absolute http(s) URL. Plain http only for loopback hosts, where `https_only` is set.
fn check_url(url: &str, https_only: bool) -> Result<(), String> {
    // These URLs go into response headers (challenges, metadata links) and the logs.
    if url.chars().any(|c| c.is_control() || c == ' ') {
        return Err(format!(
            "'{}' holds a space or a control character; write the URL alone",
            url.escape_debug()
        ));
    }
    let ok = match url.split_once("://") {
        Some(("https", rest)) => !rest.is_empty(),
        Some(("http", rest)) if !https_only => !rest.is_empty(),
        Some(("http", rest)) => {
            let host = rest.split(['/', ':']).next().unwrap_or("");
            host == "localhost" || host == "127.0.0.1"
        }
        _ => false,
    };
    if ok {
        Ok(())
    } else if https_only {
        Err(format!("'{url}' is not an https:// URL"))
    } else {
        Err(format!("'{url}' is not an http(s):// URL"))
    }
}

/// Which browser origins may call the server. Requests without an `Origin` header
/// (servers, CLIs, OpenAI's connector) are not affected.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OriginPolicy {
    any: bool,
    loopback: bool,
    exact: Vec<String>,
}

impl OriginPolicy {
    /// The default: browser pages served from this machine (`http://localhost:*`,
    /// `http://127.0.0.1:*`, `http://[::1]:*`, and https) such as the MCP Inspector.
    pub fn loopback_only() -> Self {
        OriginPolicy {
            any: false,
            loopback: true,
            exact: Vec::new(),
        }
    }

    /// Parses `ALLOWED_ORIGINS`: origins separated by commas or spaces, `*` for any,
    /// `loopback` for the default loopback set.
    pub fn parse(spec: &str) -> Result<Self, String> {
        let mut policy = OriginPolicy {
            any: false,
            loopback: false,
            exact: Vec::new(),
        };
        for entry in spec.split(|c: char| c == ',' || c.is_whitespace()) {
            match entry {
                "" => {}
                "*" => policy.any = true,
                "loopback" => policy.loopback = true,
                "null" => policy.exact.push("null".into()),
                origin => {
                    let normal = origin.trim_end_matches('/').to_ascii_lowercase();
                    if split_origin(&normal).is_none() {
                        return Err(format!(
                            "'{origin}' is not an origin; write scheme://host[:port] with no path, e.g. https://chat.example.com"
                        ));
                    }
                    policy.exact.push(normal);
                }
            }
        }
        Ok(policy)
    }

    pub fn allows(&self, origin: &str) -> bool {
        if self.any {
            return true;
        }
        let normal = origin.to_ascii_lowercase();
        if self.exact.contains(&normal) {
            return true;
        }
        self.loopback
            && split_origin(&normal).is_some_and(|(_, host)| {
                host == "localhost" || host == "[::1]" || is_ipv4_loopback(host)
            })
    }
}

/// `scheme://host[:port]` → (scheme, host), for http and https only.
fn split_origin(origin: &str) -> Option<(&str, &str)> {
    let (scheme, rest) = origin.split_once("://")?;
    if scheme != "http" && scheme != "https" {
        return None;
    }
    let (host, port) = if rest.starts_with('[') {
        let end = rest.find(']')?;
        rest.split_at(end + 1)
    } else {
        rest.split_at(rest.find(':').unwrap_or(rest.len()))
    };
    let port_ok = port.is_empty()
        || port
            .strip_prefix(':')
            .is_some_and(|p| (1..=5).contains(&p.len()) && p.bytes().all(|b| b.is_ascii_digit()));
    let host_ok = !host.is_empty()
        && host
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-.[]:".contains(&b));
    (port_ok && host_ok).then_some((scheme, host))
}

fn is_ipv4_loopback(host: &str) -> bool {
    let parts: Vec<_> = host.split('.').collect();
    parts.len() == 4
        && parts[0] == "127"
        && parts
            .iter()
            .all(|p| !p.is_empty() && p.len() <= 3 && p.parse::<u8>().is_ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_server_that_asks_for_input_needs_the_state_key() {
        let open = |key: Option<&str>| {
            Config::from_vars(&TEST_SERVER, |n| match n {
                ALLOW_UNAUTHENTICATED => Some("true".into()),
                INPUT_STATE_KEY => key.map(str::to_owned),
                _ => None,
            })
            .unwrap()
        };
        let err = open(None).require_input_key(true).unwrap_err();
        assert_eq!(err.var, INPUT_STATE_KEY);
        assert!(open(None).require_input_key(false).is_ok());
        let key = "0123456789abcdef0123456789abcdef";
        assert!(open(Some(key)).require_input_key(true).is_ok());
    }

    fn cfg(vars: &[(&str, &str)]) -> Result<Config, ConfigError> {
        Config::from_vars(&TEST_SERVER, |name| {
            vars.iter()
                .chain(&[(ALLOW_UNAUTHENTICATED, "true")])
                .find(|(k, _)| *k == name)
                .map(|(_, v)| v.to_string())
        })
    }

    fn strict(vars: &[(&str, &str)]) -> Result<Config, ConfigError> {
        Config::from_vars(&TEST_SERVER, |name| {
            vars.iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| v.to_string())
        })
    }

    #[test]
    fn no_key_and_no_opt_out_fails_closed_naming_the_secret() {
        let e = strict(&[]).unwrap_err();
        assert_eq!(e.var, JWT_PUBLIC_KEY);
        assert!(e.reason.contains("wrangler secret put JWT_PUBLIC_KEY"));
        assert!(
            matches!(strict(&[(ALLOW_UNAUTHENTICATED, "yes")]), Err(e) if e.var == ALLOW_UNAUTHENTICATED)
        );
    }

    #[test]
    fn the_opt_out_is_explicit_and_warned_about() {
        let c = strict(&[(ALLOW_UNAUTHENTICATED, "true")]).unwrap();
        assert!(matches!(c.auth, Auth::Disabled));
        assert!(c.warnings[0].contains("without a token"));
    }

    #[test]
    fn keys_win_over_the_opt_out() {
        let c = strict(&[
            (ALLOW_UNAUTHENTICATED, "true"),
            (JWT_JWKS_URL, "https://idp.example/.well-known/jwks.json"),
        ])
        .unwrap();
        assert!(matches!(c.auth, Auth::Bearer(_)));
        assert_eq!(c.warnings.len(), 1);
    }

    #[test]
    fn bad_auth_variables_name_themselves() {
        let bad = [
            (JWT_PUBLIC_KEY, "not a key"),
            (JWT_JWKS_URL, "http://idp.example/jwks"),
            (JWT_LEEWAY_SECONDS, "3600"),
            (PUBLIC_URL, "mcp.example.com"),
            // It goes into response headers: no line break may ride along.
            (PUBLIC_URL, "https://mcp.example.com\nx-injected\nyes"),
            (PUBLIC_URL, "https://mcp.example.com/a b"),
            (JWT_JWKS_URL, "https://idp.example/jw\r\nks"),
        ];
        for (var, value) in bad {
            let mut vars = vec![(var, value)];
            if var != JWT_PUBLIC_KEY && var != JWT_JWKS_URL {
                vars.push((JWT_JWKS_URL, "https://idp.example/jwks"));
            }
            assert_eq!(strict(&vars).unwrap_err().var, var, "{var}");
        }
    }

    const TEST_AUDIENCE: &str = "the-server";
    static TEST_SERVER: crate::mcp::Server = crate::mcp::Server::new(TEST_AUDIENCE, "0");

    fn audiences(c: &Config) -> Vec<String> {
        let Auth::Bearer(a) = &c.auth else { panic!() };
        a.policy.audiences.clone()
    }

    #[test]
    fn without_an_authorization_server_the_servers_audience_is_the_default() {
        let c = strict(&[(JWT_JWKS_URL, "https://idp.example/jwks")]).unwrap();
        assert_eq!(audiences(&c), vec![TEST_AUDIENCE.to_owned()]);
        let Auth::Bearer(a) = &c.auth else { panic!() };
        assert_eq!(a.policy.leeway_secs, DEFAULT_LEEWAY_SECS);
        assert!(c.authorization_servers.is_empty());
    }

    #[test]
    fn with_an_authorization_server_tokens_are_for_our_resource() {
        for named in [JWT_ISSUER, AUTHORIZATION_SERVERS] {
            let c = strict(&[
                (JWT_JWKS_URL, "https://idp.example/jwks"),
                (named, "https://idp.example"),
                (PUBLIC_URL, "https://mcp.example/"),
            ])
            .unwrap();
            assert_eq!(
                audiences(&c),
                [
                    "https://mcp.example/mcp/",
                    "https://mcp.example/mcp",
                    "https://mcp.example",
                    "https://mcp.example/"
                ],
                "{named}"
            );
            assert_eq!(
                c.authorization_servers,
                vec!["https://idp.example".to_owned()]
            );
        }
        // JWT_AUDIENCE, when set, is the list (space-separated), whatever else is set.
        let c = strict(&[
            (JWT_JWKS_URL, "https://idp.example/jwks"),
            (AUTHORIZATION_SERVERS, "https://idp.example"),
            (JWT_AUDIENCE, "https://api.example my-server"),
        ])
        .unwrap();
        assert_eq!(audiences(&c), ["https://api.example", "my-server"]);
    }

    #[test]
    fn an_authorization_server_without_a_resource_url_or_keys_fails_closed() {
        let e = strict(&[
            (JWT_JWKS_URL, "https://idp.example/jwks"),
            (JWT_ISSUER, "https://idp.example"),
        ])
        .unwrap_err();
        assert_eq!(e.var, PUBLIC_URL);
        assert!(
            e.reason
                .contains("JWT_ISSUER names an authorization server"),
            "{e}"
        );
        assert!(e.reason.contains("JWT_AUDIENCE"), "{e}");
        for extra in [None, Some((ALLOW_UNAUTHENTICATED, "true"))] {
            let mut vars = vec![
                (AUTHORIZATION_SERVERS, "https://idp.example"),
                (PUBLIC_URL, "https://mcp.example"),
            ];
            vars.extend(extra);
            let e = strict(&vars).unwrap_err();
            assert_eq!(e.var, JWT_JWKS_URL);
            assert!(
                e.reason.contains(
                    "AUTHORIZATION_SERVERS names the authorization server https://idp.example"
                ),
                "{e}"
            );
        }
    }

    #[test]
    fn default_allows_only_loopback_origins() {
        let c = cfg(&[]).unwrap();
        for ok in [
            "http://localhost:6274",
            "http://127.0.0.1:8787",
            "https://localhost",
            "http://[::1]:3000",
            "http://127.1.2.3",
            "HTTP://LOCALHOST:1",
        ] {
            assert!(c.origins.allows(ok), "{ok}");
        }
        for bad in [
            "http://evil.example",
            "http://localhost.evil.example",
            "http://127.0.0.1.evil.example",
            "null",
            "file://",
            "http://localhost:abc",
            "",
        ] {
            assert!(!c.origins.allows(bad), "{bad}");
        }
    }

    #[test]
    fn explicit_list_replaces_the_default() {
        let c = cfg(&[(
            ALLOWED_ORIGINS,
            "https://a.example, https://b.example:8443/",
        )])
        .unwrap();
        assert!(c.origins.allows("https://a.example"));
        assert!(c.origins.allows("https://B.example:8443"));
        assert!(!c.origins.allows("https://c.example"));
        assert!(!c.origins.allows("http://localhost:6274"));
        let c = cfg(&[(ALLOWED_ORIGINS, "loopback https://a.example")]).unwrap();
        assert!(c.origins.allows("http://localhost:6274"));
    }

    #[test]
    fn star_allows_any() {
        let c = cfg(&[(ALLOWED_ORIGINS, "*")]).unwrap();
        assert!(c.origins.allows("https://anything.example"));
    }

    #[test]
    fn a_bad_entry_names_the_variable() {
        let e = cfg(&[(ALLOWED_ORIGINS, "https://a.example/path")]).unwrap_err();
        assert_eq!(e.var, ALLOWED_ORIGINS);
        assert!(e.to_string().contains("ALLOWED_ORIGINS"));
        assert!(cfg(&[(ALLOWED_ORIGINS, "a.example")]).is_err());
        assert!(cfg(&[(ALLOWED_ORIGINS, "ftp://a.example")]).is_err());
    }
}
