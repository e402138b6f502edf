//! Which Cloudflare rate limit a request must pass before it is served. This module
//! decides which, from what authentication will cost ([`check`]) and the isolate's memory
//! of refused addresses ([`is_blocked`], [`block`]); the HTTP pipeline asks the binding
//! through the platform (`Platform::rate_limit`) and, when the limit refuses, answers with
//! HTTP's 429. This module knows no HTTP type: `http` uses it, not the other way round.
//!
//! Two limits, each a `[[ratelimits]]` binding in `wrangler.toml`:
//! - per client address (`CF-Connecting-IP`), counting the tokens from it that were
//!   checked and proven forged or unparsable. Every user of ChatGPT or Claude arrives
//!   from the host's few addresses, so a valid token is never counted: only what a flood
//!   of forgeries costs is. The binding can only count, not peek, so the count is taken
//!   after a failed check, and an address the binding has refused is remembered in the
//!   isolate ([`Blocked`]): its next new tokens are refused *before* any verification,
//!   until the window is over. Tokens already verified (cached) are always served.
//! - per caller (the verified token's `sub`), on requests that call a tool, asked before
//!   the request is served.
//!
//! An unbound limit limits nothing (the log says so once, when the configuration is read).

use std::fmt;

use crate::auth::Cost;

/// What a limited client is told to wait, in seconds: the longest period the binding
/// supports (it counts in fixed windows of 10 or 60 s), so it is never too short.
pub const RETRY_AFTER_SECS: u32 = 60;

/// The key used when the runtime gives no client address (never the case behind
/// Cloudflare, which sets `CF-Connecting-IP` on every request).
const UNKNOWN_ADDRESS: &str = "unknown";

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Limit {
    /// Forged or unparsable tokens per client address.
    Address,
    /// Tool calls per token subject.
    Caller,
}

impl Limit {
    pub const ALL: [Limit; 2] = [Limit::Address, Limit::Caller];

    /// The `[[ratelimits]]` binding that enforces it.
    pub fn binding(self) -> &'static str {
        match self {
            Limit::Address => "ADDRESS_RATE_LIMIT",
            Limit::Caller => "CALLER_RATE_LIMIT",
        }
    }

    /// Its name in the request log and in the answer's `data`.
    pub fn as_str(self) -> &'static str {
        match self {
            Limit::Address => "address",
            Limit::Caller => "caller",
        }
    }
}

/// What a limited client reads: what happened and what to do.
impl fmt::Display for Limit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Limit::Address => write!(
                f,
                "Too many tokens from this address failed verification (forged, or not a token), so new ones from it are refused unchecked; wait up to {RETRY_AFTER_SECS} seconds, then send a token from the authorization server. A token already verified is still served."
            ),
            Limit::Caller => write!(
                f,
                "Too many tool calls for this token's subject; wait up to {RETRY_AFTER_SECS} seconds before calling again."
            ),
        }
    }
}

/// One question for a limiter: may `key` go on under `limit`? For [`Limit::Caller`] it
/// is asked before serving; for [`Limit::Address`], [`Blocked`] is asked before serving
/// and the binding after a forged token (see the module's comment).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Check {
    pub limit: Limit,
    pub key: String,
}

/// The limit a request that reaches authentication must pass before it is served, if any,
/// from what its token will cost to check (`Authenticator::cost`), its client address
/// (`CF-Connecting-IP`) and, asked only for a known caller, whether its body calls a tool
/// (the server reads the body's envelope once, for this and for its answer).
pub fn check(
    cost: &Cost,
    address: Option<&str>,
    calls_a_tool: impl FnOnce() -> bool,
) -> Option<Check> {
    match cost {
        Cost::Cheap => None,
        Cost::Verification => Some(Check {
            limit: Limit::Address,
            key: address.map_or(UNKNOWN_ADDRESS, str::trim).to_owned(),
        }),
        Cost::Known(principal) => {
            let subject = principal.subject.as_ref()?;
            calls_a_tool().then(|| Check {
                limit: Limit::Caller,
                key: subject.clone(),
            })
        }
    }
}

thread_local! {
    /// Addresses the address limit refused, per isolate (a worker isolate runs one thread;
    /// each host test too).
    static BLOCKED: std::cell::RefCell<Blocked> = Default::default();
}

/// Is `address` refused now, from this isolate's memory (no binding asked)?
pub fn is_blocked(address: &str, now: i64) -> bool {
    BLOCKED.with(|b| b.borrow_mut().is_blocked(address, now))
}

/// The binding refused `address`: remember it in this isolate (see [`Blocked::block`]).
pub fn block(address: &str, now: i64) {
    BLOCKED.with(|b| b.borrow_mut().block(address, now));
}

/// Addresses the address limit has refused, each until its window is over: per isolate,
/// so that a refused address costs no verification at all, not even a limiter call.
/// Bounded: past [`Blocked::CAPACITY`] addresses, expired ones go first, then all
/// (a flood from that many addresses still costs each of them at most the limit).
/// A list, not a map: it is short (one entry per flooding address) and a map's code
/// measured more of the upload than the scan costs.
#[derive(Debug, Default)]
pub struct Blocked {
    until: Vec<(String, i64)>,
}

impl Blocked {
    pub const CAPACITY: usize = 1024;

    /// Is `address` refused now? Forgets it once its time is over.
    pub fn is_blocked(&mut self, address: &str, now: i64) -> bool {
        match self.until.iter().position(|(a, _)| a == address) {
            Some(i) if self.until[i].1 > now => true,
            Some(i) => {
                self.until.swap_remove(i);
                false
            }
            None => false,
        }
    }

    /// The binding refused `address`: refuse its new tokens for the longest window the
    /// binding counts in, the time the client is told to wait.
    pub fn block(&mut self, address: &str, now: i64) {
        let until = now + i64::from(RETRY_AFTER_SECS);
        if let Some(entry) = self.until.iter_mut().find(|(a, _)| a == address) {
            entry.1 = until;
            return;
        }
        if self.until.len() >= Self::CAPACITY {
            self.until.retain(|(_, until)| *until > now);
            if self.until.len() >= Self::CAPACITY {
                self.until.clear();
            }
        }
        self.until.push((address.to_owned(), until));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_known_caller_is_limited_and_only_when_it_calls_a_tool() {
        let known = |subject: Option<&str>| {
            Cost::Known(std::sync::Arc::new(crate::auth::Principal {
                subject: subject.map(str::to_owned),
                scopes: Vec::new(),
                claims: Default::default(),
            }))
        };
        let unasked = || -> bool { panic!("the body was read for a caller that is not known") };
        assert_eq!(check(&Cost::Cheap, Some("192.0.2.1"), unasked), None);
        assert_eq!(
            check(&Cost::Verification, Some(" 192.0.2.1 "), unasked),
            Some(Check {
                limit: Limit::Address,
                key: "192.0.2.1".into()
            })
        );
        assert_eq!(check(&known(None), None, unasked), None);
        assert_eq!(check(&known(Some("alice")), None, || false), None);
        assert_eq!(
            check(&known(Some("alice")), None, || true),
            Some(Check {
                limit: Limit::Caller,
                key: "alice".into()
            })
        );
    }

    #[test]
    fn a_blocked_address_stays_blocked_for_the_window_only() {
        let mut b = Blocked::default();
        assert!(!b.is_blocked("a", 100));
        b.block("a", 100);
        assert!(b.is_blocked("a", 100));
        assert!(b.is_blocked("a", 159));
        assert!(!b.is_blocked("b", 120));
        assert!(!b.is_blocked("a", 160));
        assert!(!b.is_blocked("a", 120), "forgotten once over");
    }

    #[test]
    fn blocked_addresses_are_bounded() {
        let mut b = Blocked::default();
        for i in 0..Blocked::CAPACITY {
            b.block(&i.to_string(), 0);
        }
        // Expired ones make room first…
        b.block("late", 100);
        assert_eq!(b.until.len(), 1);
        for i in 0..Blocked::CAPACITY {
            b.block(&i.to_string(), 100);
        }
        // …else everything goes: never more than the capacity.
        assert_eq!(b.until.len(), 1);
        assert!(b.is_blocked(&(Blocked::CAPACITY - 1).to_string(), 100));
        assert!(!b.is_blocked("late", 100));
    }

    #[test]
    fn every_answer_says_what_to_do() {
        for limit in Limit::ALL {
            let text = limit.to_string();
            assert!(text.contains("wait up to 60 seconds"), "{text}");
        }
    }
}
