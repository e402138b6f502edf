//! Keys published by an identity provider at `JWT_JWKS_URL`. This module decides when to
//! fetch and holds what was fetched; the worker adapter does the fetching.

use super::keys::{KeyError, KeySet};

/// Fetch again after this long when the response gave no usable `max-age`.
pub const DEFAULT_TTL_SECS: i64 = 600;
const MIN_TTL_SECS: i64 = 60;
const MAX_TTL_SECS: i64 = 24 * 3600;
/// An unknown `kid` triggers a refetch at most this often (key rotation, not a DoS lever).
pub const UNKNOWN_KID_REFETCH_SECS: i64 = 60;
/// After a failed fetch, wait this long before trying again.
pub const FAILURE_BACKOFF_SECS: i64 = 10;
/// The largest key set document accepted; reading stops as soon as a body passes it.
pub const MAX_BYTES: usize = 64 * 1024;
/// A key set fetch that has not completed (headers and body) by then is abandoned: a slow
/// key server cannot hold a request longer.
pub const FETCH_TIMEOUT_MS: u64 = 5_000;

pub struct RemoteKeys {
    pub url: String,
    fetched: Option<Fetched>,
    last_attempt: Option<i64>,
    /// A fetch was started and has not reported back: no other request starts one until
    /// it ends or could no longer be running (the timeout has passed).
    in_flight_since: Option<i64>,
}

struct Fetched {
    keys: KeySet,
    at: i64,
    ttl: i64,
}

impl RemoteKeys {
    pub fn new(url: String) -> Self {
        RemoteKeys {
            url,
            fetched: None,
            last_attempt: None,
            in_flight_since: None,
        }
    }

    pub fn keys(&self) -> Option<&KeySet> {
        self.fetched.as_ref().map(|f| &f.keys)
    }

    /// Whether the adapter should fetch before serving a request. `kid` reads the
    /// presented token's kid; it is called only when the answer depends on it (keys are
    /// fresh and the last fetch is old enough to allow a refetch for an unknown kid).
    pub fn should_fetch(&self, now: i64, kid: impl FnOnce() -> Option<String>) -> bool {
        let backed_off = self
            .last_attempt
            .is_some_and(|t| now < t + FAILURE_BACKOFF_SECS);
        let in_flight = self
            .in_flight_since
            .is_some_and(|t| now <= t + FETCH_TIMEOUT_MS.div_ceil(1000) as i64);
        if backed_off || in_flight {
            return false;
        }
        match &self.fetched {
            None => true,
            Some(f) if now >= f.at + f.ttl => true,
            Some(f) => {
                now >= f.at + UNKNOWN_KID_REFETCH_SECS && kid().is_some_and(|k| !f.keys.has_kid(&k))
            }
        }
    }

    /// Records that the adapter is fetching now (see [`RemoteKeys::should_fetch`]).
    pub fn started(&mut self, now: i64) {
        self.in_flight_since = Some(now);
    }

    /// Installs a fetched document. `max_age` is the response's Cache-Control max-age.
    /// On error the previous keys stay in use.
    pub fn install(
        &mut self,
        body: &[u8],
        max_age: Option<i64>,
        now: i64,
    ) -> Result<Vec<String>, KeyError> {
        self.last_attempt = Some(now);
        self.in_flight_since = None;
        let text = std::str::from_utf8(body).map_err(|_| KeyError::UnknownFormat)?;
        let (keys, warnings) = KeySet::parse(text)?;
        let ttl = max_age
            .unwrap_or(DEFAULT_TTL_SECS)
            .clamp(MIN_TTL_SECS, MAX_TTL_SECS);
        self.fetched = Some(Fetched { keys, at: now, ttl });
        Ok(warnings)
    }

    /// Records a failed fetch; the previous keys, if any, stay in use.
    pub fn failed(&mut self, now: i64) {
        self.last_attempt = Some(now);
        self.in_flight_since = None;
    }
}

/// `max-age` from a Cache-Control header value.
pub fn max_age(cache_control: Option<&str>) -> Option<i64> {
    cache_control?
        .split(',')
        .filter_map(|d| d.trim().strip_prefix("max-age="))
        .find_map(|v| v.trim().parse().ok())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::keys::tests::{jwk_of, test_keys};

    fn jwks(kid: &str) -> Vec<u8> {
        let key = test_keys().0.to_public_key();
        serde_json::json!({ "keys": [jwk_of(&key, kid, "RS256")] })
            .to_string()
            .into_bytes()
    }

    #[test]
    fn fetches_first_then_after_ttl() {
        let mut r = RemoteKeys::new("https://idp.example/jwks".into());
        assert!(r.should_fetch(0, || None));
        r.install(&jwks("a"), Some(300), 0).unwrap();
        assert!(!r.should_fetch(299, || None));
        assert!(r.should_fetch(300, || None));
    }

    #[test]
    fn an_unknown_kid_refetches_at_most_once_a_minute() {
        let mut r = RemoteKeys::new("u".into());
        r.install(&jwks("a"), None, 1000).unwrap();
        assert!(!r.should_fetch(1001, || Some("a".into())));
        assert!(
            !r.should_fetch(1030, || Some("b".into())),
            "too soon after the last fetch"
        );
        assert!(r.should_fetch(1060, || Some("b".into())));
    }

    #[test]
    fn a_failure_backs_off_and_keeps_the_old_keys() {
        let mut r = RemoteKeys::new("u".into());
        r.install(&jwks("a"), Some(60), 0).unwrap();
        r.failed(60);
        assert!(!r.should_fetch(65, || None));
        assert!(r.keys().is_some());
        assert!(r.should_fetch(70, || None));
        assert!(r.install(b"not json", None, 70).is_err());
        assert!(r.keys().unwrap().has_kid("a"));
    }

    #[test]
    fn one_fetch_at_a_time_until_it_reports_or_times_out() {
        let mut r = RemoteKeys::new("u".into());
        assert!(r.should_fetch(0, || None));
        r.started(0);
        assert!(!r.should_fetch(1, || None), "a fetch is under way");
        assert!(
            r.should_fetch(FETCH_TIMEOUT_MS.div_ceil(1000) as i64 + 1, || None),
            "a fetch that never reported back no longer blocks"
        );
        r.failed(2);
        assert!(!r.should_fetch(3, || None), "backing off after the failure");
        r.started(20);
        r.install(&jwks("a"), None, 21).unwrap();
        assert!(!r.should_fetch(22, || None), "fresh keys");
    }

    #[test]
    fn max_age_is_read_from_cache_control() {
        assert_eq!(max_age(Some("public, max-age=3600")), Some(3600));
        assert_eq!(max_age(Some("no-cache")), None);
        assert_eq!(max_age(None), None);
    }
}
