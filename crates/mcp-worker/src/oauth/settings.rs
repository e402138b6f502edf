//! The authorization server's declaration (in the app's code) and its settings (from the
//! worker's variables and secrets, read once per isolate with the rest of the
//! configuration).

use std::sync::{Arc, Mutex, MutexGuard};

use crate::auth::keys::KeySet;
use crate::auth::Authenticator;
use crate::mcp::AuthorizationServer;
use crate::vars::*;

use super::client::{Client, FetchPolicy};
use super::metadata::check_issuer;
use super::request::Secret;
use super::seal::SealKey;
use super::token::SigningKeys;

/// Who may sign in (`OAUTH_ALLOWED_USERS`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Allowed {
    /// `*`: anyone the provider signs in.
    Anyone,
    /// These e-mail addresses (lower case; matched only when the provider says the address
    /// is verified) and subjects (exactly).
    Listed {
        emails: Vec<String>,
        subjects: Vec<String>,
    },
}

impl Allowed {
    fn parse(text: &str) -> Result<Allowed, String> {
        let words: Vec<&str> = text.split_whitespace().collect();
        if words == ["*"] {
            return Ok(Allowed::Anyone);
        }
        if words.contains(&"*") {
            return Err("'*' (anyone) stands alone".into());
        }
        let (emails, subjects): (Vec<&str>, Vec<&str>) =
            words.iter().partition(|w| w.contains('@'));
        Ok(Allowed::Listed {
            emails: emails.iter().map(|e| e.to_ascii_lowercase()).collect(),
            subjects: subjects.iter().map(|s| (*s).to_owned()).collect(),
        })
    }

    /// Whether the person the provider signed in may use the server.
    pub fn admits(&self, subject: &str, email: Option<&str>, email_verified: bool) -> bool {
        match self {
            Allowed::Anyone => true,
            Allowed::Listed { emails, subjects } => {
                subjects.iter().any(|s| s == subject)
                    || (email_verified
                        && email.is_some_and(|e| emails.iter().any(|a| a.eq_ignore_ascii_case(e))))
            }
        }
    }
}

/// The OpenID provider as configured.
#[derive(Debug)]
pub struct UpstreamConfig {
    pub issuer: String,
    pub client_id: String,
    pub client_secret: Secret,
}

/// The provider's endpoints (its discovery document) and the verifier of its ID tokens.
#[derive(Debug)]
pub struct UpstreamEndpoints {
    pub authorization_endpoint: String,
    pub token_endpoint: String,
    pub id_tokens: Authenticator,
}

/// The most client metadata documents, and client key sets, kept per isolate.
const MAX_KEPT: usize = 256;

/// Values kept in the isolate until a time, at most [`MAX_KEPT`]: each new one drops the
/// expired ones, and if they are still too many, all of them (a fetch brings any back). A list, searched
/// whole: at this size a scan costs microseconds, and a hash map per kind of value
/// costs the upload more than the lookups save.
#[derive(Debug)]
pub(crate) struct Kept<V>(Mutex<Vec<(String, V, i64)>>);

impl<V: Clone> Kept<V> {
    fn new() -> Self {
        Kept(Mutex::new(Vec::new()))
    }

    /// The value kept for `key`, if it is still fresh at `now`.
    pub(crate) fn get(&self, key: &str, now: i64) -> Option<V> {
        lock(&self.0)
            .iter()
            .find(|(k, _, until)| k == key && now < *until)
            .map(|(_, v, _)| v.clone())
    }

    /// Keeps `value` for `key` until `until`.
    pub(crate) fn put(&self, key: String, value: V, until: i64, now: i64) {
        let mut kept = lock(&self.0);
        kept.retain(|(k, _, u)| *k != key && now < *u);
        if kept.len() >= MAX_KEPT {
            kept.clear();
        }
        kept.push((key, value, until));
    }
}

/// Client assertions' `jti`s seen in this isolate, by client, until they expire
/// (RFC 7523 §3: a `jti` is used once). A list, as `Kept` is: (client, jti, until), each
/// client's ids next to each other, so that the client with the most is the longest run.
#[derive(Debug, Default)]
pub struct AssertionIds(Mutex<Vec<(String, String, i64)>>);

impl AssertionIds {
    /// Remembers client `client_id`'s assertion `jti` until `exp`, or says why not: it
    /// was seen before and has not expired, or the client has made more live assertions
    /// than [`MAX_ASSERTIONS_PER_CLIENT`]. Per isolate and bounded; one client's flood
    /// never makes the memory forget another's assertions: when it is full of live ids,
    /// the client with the most loses its own.
    pub fn first_use(
        &self,
        client_id: &str,
        jti: &str,
        exp: i64,
        now: i64,
    ) -> Result<(), &'static str> {
        let mut seen = lock(&self.0);
        seen.retain(|(_, _, until)| now < *until);
        if seen.iter().any(|(c, j, _)| c == client_id && j == jti) {
            return Err("the client assertion was used before; make a new one (with a new jti) for each request");
        }
        let count = |client: &str| seen.iter().filter(|(c, _, _)| c == client).count();
        if count(client_id) >= MAX_ASSERTIONS_PER_CLIENT {
            return Err(
                "this client made too many assertions in the last minutes; try again shortly",
            );
        }
        if seen.len() >= MAX_REMEMBERED_ASSERTIONS {
            // The client with the most live ids loses its own: the longest run.
            let (mut most, mut most_len, mut i) = (0, 0, 0);
            while i < seen.len() {
                let run = seen[i..].iter().take_while(|e| e.0 == seen[i].0).count();
                if run > most_len {
                    (most, most_len) = (i, run);
                }
                i += run;
            }
            seen.drain(most..most + most_len);
        }
        let entry = (
            client_id.to_owned(),
            jti.to_owned(),
            exp.saturating_add(super::client::ASSERTION_LEEWAY),
        );
        // Beside the client's others, so that each client's ids stay together.
        match seen.iter().rposition(|(c, _, _)| c == client_id) {
            Some(last) => seen.insert(last + 1, entry),
            None => seen.push(entry),
        }
        Ok(())
    }
}

/// Everything the authorization server reads from its environment.
#[derive(Debug)]
pub struct Settings {
    /// `PUBLIC_URL`: the issuer, and the origin of every endpoint.
    pub issuer: String,
    pub keys: SigningKeys,
    pub seal: SealKey,
    pub upstream: UpstreamConfig,
    pub allowed: Allowed,
    /// The MCP endpoint's URLs, with and without a trailing slash.
    pub resources: Vec<String>,
    /// What the server's tools, resources and prompts need, and `REQUIRED_SCOPES`.
    pub scopes: Vec<String>,
    pub grants_binding: &'static str,
    pub trusted_hosts: &'static [&'static str],
    /// Loopback documents and redirect hosts are fetched only when the issuer itself is
    /// on loopback (development).
    pub fetch_policy: FetchPolicy,
    upstream_endpoints: Mutex<Option<Arc<UpstreamEndpoints>>>,
    /// Client metadata documents' clients, by URL.
    pub(crate) clients: Kept<Client>,
    /// The verifier of this server's own access tokens with no scope required: what
    /// revocation checks a token with (a token narrowed by a refresh may lack
    /// `REQUIRED_SCOPES` and is still the client's to revoke).
    pub own_tokens: Authenticator,
    /// `jwks_uri` key sets fetched, by URL: their text.
    pub(crate) client_keys: Kept<String>,
    /// Client assertions' `jti`s seen in this isolate.
    pub(crate) assertions: AssertionIds,
}

/// The most assertion ids kept per isolate.
const MAX_REMEMBERED_ASSERTIONS: usize = 4096;
/// The most live assertion ids one client may have in an isolate's memory: assertions
/// live at most minutes, and a client makes one per token request.
pub const MAX_ASSERTIONS_PER_CLIENT: usize = 256;

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// A variable that is missing or unusable, and why: the configuration's error.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SettingError {
    pub var: &'static str,
    pub reason: String,
}

fn err(var: &'static str, reason: impl Into<String>) -> SettingError {
    SettingError {
        var,
        reason: reason.into(),
    }
}

/// The clock skew allowed in the tokens the authorization server checks (its own, the
/// provider's ID tokens), as the pipeline's default.
pub const LEEWAY_SECS: i64 = 60;

/// The variables that turn the authorization server on.
pub const VARS: [&str; 6] = [
    OAUTH_SIGNING_KEYS,
    OAUTH_SEALING_KEY,
    OAUTH_UPSTREAM_ISSUER,
    OAUTH_UPSTREAM_CLIENT_ID,
    OAUTH_UPSTREAM_CLIENT_SECRET,
    OAUTH_ALLOWED_USERS,
];

impl Settings {
    /// The settings of `declared` from the variables `get` reads (blank ones already
    /// dropped), or `None` when none of its variables is set. `public_url` is
    /// `PUBLIC_URL`, required; `scopes` what the server grants.
    pub fn from_vars(
        declared: &AuthorizationServer,
        public_url: Option<&str>,
        endpoint: &str,
        scopes: Vec<String>,
        get: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Option<Settings>, SettingError> {
        if VARS.iter().all(|v| get(v).is_none()) {
            return Ok(None);
        }
        let need = |var: &'static str, how: &str| {
            get(var).map(|v| v.trim().to_owned()).ok_or_else(|| {
                err(
                    var,
                    format!("the authorization server is configured (an OAUTH_ variable is set) and {var} is not. {how}"),
                )
            })
        };
        let issuer = public_url.ok_or_else(|| {
            err(
                PUBLIC_URL,
                "the authorization server's issuer is this server's origin, and it is not set. Set PUBLIC_URL to the origin users reach the server at (https://mcp.example.com)",
            )
        })?;
        check_issuer(issuer).map_err(|e| err(PUBLIC_URL, e))?;
        let keys = SigningKeys::parse(&need(
            OAUTH_SIGNING_KEYS,
            "Set it to a JWKS of private RSA keys: `npm run -s oauth-keys | npx wrangler secret put OAUTH_SIGNING_KEYS`",
        )?)
        .map_err(|e| err(OAUTH_SIGNING_KEYS, e.to_string()))?;
        let seal = SealKey::from_secret(&need(
            OAUTH_SEALING_KEY,
            "Set it with `openssl rand -hex 32 | npx wrangler secret put OAUTH_SEALING_KEY`",
        )?)
        .map_err(|e| err(OAUTH_SEALING_KEY, e))?;
        let upstream_issuer = need(
            OAUTH_UPSTREAM_ISSUER,
            "Set it to the issuer URL of the OpenID provider people sign in with (https://accounts.google.com)",
        )?
        .trim_end_matches('/')
        .to_owned();
        let upstream_loopback = super::redirect::is_loopback(&format!("{upstream_issuer}/"));
        if !upstream_issuer.starts_with("https://") && !upstream_loopback {
            return Err(err(
                OAUTH_UPSTREAM_ISSUER,
                format!("'{upstream_issuer}' is not an https:// URL"),
            ));
        }
        let upstream = UpstreamConfig {
            issuer: upstream_issuer,
            client_id: need(
                OAUTH_UPSTREAM_CLIENT_ID,
                "Set it to the client id this server was given at the OpenID provider",
            )?,
            client_secret: Secret::new(need(
                OAUTH_UPSTREAM_CLIENT_SECRET,
                "Set it with `npx wrangler secret put OAUTH_UPSTREAM_CLIENT_SECRET`",
            )?),
        };
        let allowed = Allowed::parse(&need(
            OAUTH_ALLOWED_USERS,
            "Set it to the e-mail addresses or subjects that may sign in, space-separated, or '*' for anyone the provider signs in",
        )?)
        .map_err(|e| err(OAUTH_ALLOWED_USERS, e))?;
        let loopback = super::redirect::is_loopback(&format!("{issuer}/"));
        let own_keys = KeySet::parse(&keys.jwks().to_string())
            .map(|(set, _)| set)
            .map_err(|e| err(OAUTH_SIGNING_KEYS, e.to_string()))?;
        let own_tokens = Authenticator::new(
            Some(own_keys),
            None,
            crate::auth::policy::ClaimPolicy {
                audiences: crate::auth::metadata::resources(issuer, endpoint).into(),
                issuer: Some(issuer.to_owned()),
                required_scopes: Vec::new().into(),
                leeway_secs: LEEWAY_SECS,
            },
        );
        Ok(Some(Settings {
            own_tokens,
            issuer: issuer.to_owned(),
            keys,
            seal,
            upstream,
            allowed,
            resources: vec![
                format!("{issuer}{endpoint}/"),
                format!("{issuer}{endpoint}"),
            ],
            scopes,
            grants_binding: declared.grants,
            trusted_hosts: declared.trusted_hosts,
            fetch_policy: if loopback {
                FetchPolicy::LOOPBACK
            } else {
                FetchPolicy::PUBLIC
            },
            upstream_endpoints: Mutex::new(None),
            clients: Kept::new(),
            client_keys: Kept::new(),
            assertions: AssertionIds::default(),
        }))
    }

    /// The public keys, for the pipeline's verifier: tokens this server issued are
    /// checked against them, with no fetch and no storage read.
    pub fn verifying_keys(&self) -> KeySet {
        let text = self.keys.jwks().to_string();
        // The public halves of keys `SigningKeys::parse` accepted pass the verifier's
        // own rules (the same ones it applied).
        KeySet::parse(&text)
            .map(|(set, _)| set)
            .unwrap_or_else(|_| unreachable!("signing keys' public halves are verifying keys"))
    }

    /// The provider's endpoints, once discovered.
    pub fn upstream_endpoints(&self) -> Option<Arc<UpstreamEndpoints>> {
        lock(&self.upstream_endpoints).clone()
    }

    pub(crate) fn set_upstream_endpoints(
        &self,
        endpoints: UpstreamEndpoints,
    ) -> Arc<UpstreamEndpoints> {
        let endpoints = Arc::new(endpoints);
        *lock(&self.upstream_endpoints) = Some(endpoints.clone());
        endpoints
    }

    /// Whether errors before consent may be redirected to `client`'s redirect URIs at
    /// once: each is on loopback or on a trusted host.
    pub fn trusts(&self, client: &Client) -> bool {
        client.redirect_uris.iter().all(|r| {
            super::redirect::is_loopback(r)
                // The host of an https URI only: `app://claude.ai/` is an app, not the host.
                || (r.get(..8).is_some_and(|s| s.eq_ignore_ascii_case("https://"))
                    && host_of(r).is_some_and(|h| {
                        self.trusted_hosts.iter().any(|t| t.eq_ignore_ascii_case(h))
                    }))
        })
    }
}

/// The host of an absolute URI (no userinfo, port or brackets handling beyond what
/// registered redirect URIs allow).
pub(crate) fn host_of(uri: &str) -> Option<&str> {
    let rest = uri.split_once("://")?.1;
    let authority = rest.split(['/', '?', '#']).next()?;
    let authority = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    if authority.starts_with('[') {
        return authority.split_once(']').map(|(h, _)| &h[1..]);
    }
    Some(authority.split(':').next().unwrap_or(authority))
}

#[cfg(test)]
mod tests {
    use super::*;

    const USED: &str =
        "the client assertion was used before; make a new one (with a new jti) for each request";
    const TOO_MANY: &str =
        "this client made too many assertions in the last minutes; try again shortly";

    #[test]
    fn kept_values_are_fresh_replaced_by_key_and_bounded() {
        let kept = Kept::<u32>::new();
        kept.put("a".into(), 1, 100, 0);
        assert_eq!(kept.get("a", 99), Some(1));
        assert_eq!(kept.get("a", 100), None, "expired");
        assert_eq!(kept.get("b", 0), None);
        kept.put("a".into(), 2, 200, 0);
        assert_eq!(kept.get("a", 150), Some(2), "the newer value");
        assert_eq!(lock(&kept.0).len(), 1, "one entry per key");
        // Full of live values: all go, and the new one is kept.
        for i in 0..MAX_KEPT {
            kept.put(format!("k{i}"), 3, 1_000, 0);
        }
        assert!(lock(&kept.0).len() <= MAX_KEPT);
        assert_eq!(kept.get("k0", 1), None);
        assert_eq!(kept.get(&format!("k{}", MAX_KEPT - 1), 1), Some(3));
        // Expired values go first, before a full list is cleared.
        let kept = Kept::<u32>::new();
        kept.put("old".into(), 0, 10, 0);
        kept.put("live".into(), 1, 1_000, 0);
        kept.put("new".into(), 2, 1_000, 20);
        assert_eq!(lock(&kept.0).len(), 2);
        assert_eq!(kept.get("live", 30), Some(1));
    }

    #[test]
    fn an_assertion_id_is_taken_once_until_it_expires() {
        let ids = AssertionIds::default();
        assert_eq!(ids.first_use("a", "1", 100, 0), Ok(()));
        assert_eq!(ids.first_use("a", "1", 100, 50), Err(USED));
        // Another client's id of the same spelling is its own.
        assert_eq!(ids.first_use("b", "1", 100, 50), Ok(()));
        // Past its expiry (and the leeway) it is forgotten: the assertion itself is then
        // refused as expired by its `exp`.
        let gone = 100 + crate::oauth::client::ASSERTION_LEEWAY;
        assert_eq!(ids.first_use("a", "1", gone + 100, gone), Ok(()));
    }

    #[test]
    fn one_clients_flood_is_capped_and_never_evicts_another_clients_ids() {
        let ids = AssertionIds::default();
        assert_eq!(ids.first_use("victim", "v", 1_000, 0), Ok(()));
        // The flood's ids arrive between another client's.
        for i in 0..MAX_ASSERTIONS_PER_CLIENT {
            assert_eq!(ids.first_use("flood", &i.to_string(), 1_000, 0), Ok(()));
            if i < 100 {
                assert_eq!(ids.first_use("other", &i.to_string(), 1_000, 0), Ok(()));
            }
        }
        assert_eq!(ids.first_use("flood", "one more", 1_000, 0), Err(TOO_MANY));
        // Fill the memory with many flooding clients, one with the most.
        let mut n = 1 + MAX_ASSERTIONS_PER_CLIENT + 100;
        let mut client = 0;
        while n < MAX_REMEMBERED_ASSERTIONS {
            for i in 0..(MAX_ASSERTIONS_PER_CLIENT - 1).min(MAX_REMEMBERED_ASSERTIONS - n) {
                assert_eq!(
                    ids.first_use(&format!("c{client}"), &i.to_string(), 1_000, 0),
                    Ok(())
                );
                n += 1;
            }
            client += 1;
        }
        // Full: the next id evicts the ids of the client with the most ("flood"), and the
        // victim's id is still remembered.
        assert_eq!(ids.first_use("new", "x", 1_000, 0), Ok(()));
        assert_eq!(ids.first_use("victim", "v", 1_000, 0), Err(USED));
        assert_eq!(ids.first_use("other", "99", 1_000, 0), Err(USED));
        assert_eq!(
            ids.first_use("flood", "0", 1_000, 0),
            Ok(()),
            "flood's ids went"
        );
        assert_eq!(
            ids.first_use("flood", "255", 1_000, 0),
            Ok(()),
            "all of them"
        );
        assert_eq!(ids.first_use("c0", "0", 1_000, 0), Err(USED));
    }
}
