//! Worker variables, read once per isolate into a checked [`Config`].

use std::fmt;

/// Everything the server reads from its environment.
#[derive(Clone, Debug)]
pub struct Config {
    pub origins: OriginPolicy,
}

/// A variable that is set but unusable. The server then refuses every request with a
/// message naming the variable, rather than run with a policy nobody asked for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConfigError {
    pub var: &'static str,
    pub reason: String,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "configuration variable {} is invalid: {}",
            self.var, self.reason
        )
    }
}

impl std::error::Error for ConfigError {}

pub const ALLOWED_ORIGINS: &str = "ALLOWED_ORIGINS";

impl Config {
    /// Builds the configuration from a variable lookup (`Env::var` in the worker).
    pub fn from_vars(get: impl Fn(&str) -> Option<String>) -> Result<Config, ConfigError> {
        let origins = match get(ALLOWED_ORIGINS) {
            None => OriginPolicy::loopback_only(),
            Some(v) if v.trim().is_empty() => OriginPolicy::loopback_only(),
            Some(v) => OriginPolicy::parse(&v).map_err(|reason| ConfigError {
                var: ALLOWED_ORIGINS,
                reason,
            })?,
        };
        Ok(Config { origins })
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

    fn cfg(vars: &[(&str, &str)]) -> Result<Config, ConfigError> {
        Config::from_vars(|name| {
            vars.iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| v.to_string())
        })
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
        let err = cfg(&[(ALLOWED_ORIGINS, "https://a.example/path")]).unwrap_err();
        assert_eq!(err.var, ALLOWED_ORIGINS);
        assert!(err.to_string().contains("ALLOWED_ORIGINS"));
        assert!(cfg(&[(ALLOWED_ORIGINS, "a.example")]).is_err());
        assert!(cfg(&[(ALLOWED_ORIGINS, "ftp://a.example")]).is_err());
    }
}
