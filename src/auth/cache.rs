//! Verified tokens, remembered per isolate so that a repeated token (OpenAI sends the same
//! one on every call of a conversation) costs a hash, not an RSA verification.

use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::sync::Arc;

use super::Principal;

/// How many tokens one isolate remembers.
pub const CAPACITY: usize = 256;

/// A bounded least-recently-used map from the SHA-256 of a token to what it proved.
/// Tokens themselves are never stored. Entries never outlive the token's `exp`.
pub struct TokenCache {
    entries: HashMap<[u8; 32], Entry>,
    clock: u64,
    capacity: usize,
}

struct Entry {
    principal: Arc<Principal>,
    exp: i64,
    last_used: u64,
}

impl Default for TokenCache {
    fn default() -> Self {
        Self::with_capacity(CAPACITY)
    }
}

impl TokenCache {
    pub fn with_capacity(capacity: usize) -> Self {
        TokenCache {
            entries: HashMap::with_capacity(capacity),
            clock: 0,
            capacity,
        }
    }

    /// The principal for a token verified before, if it has not expired since.
    pub fn get(&mut self, token: &str, now: i64) -> Option<Arc<Principal>> {
        let key = digest(token);
        self.clock += 1;
        let entry = self.entries.get_mut(&key)?;
        if entry.exp <= now {
            self.entries.remove(&key);
            return None;
        }
        entry.last_used = self.clock;
        Some(entry.principal.clone())
    }

    pub fn insert(&mut self, token: &str, principal: Arc<Principal>, exp: i64) {
        if self.capacity == 0 {
            return;
        }
        let key = digest(token);
        if !self.entries.contains_key(&key) && self.entries.len() >= self.capacity {
            // Evicting scans the map: inserts happen once per new token, hits do not scan.
            if let Some(oldest) = self
                .entries
                .iter()
                .min_by_key(|(_, e)| e.last_used)
                .map(|(k, _)| *k)
            {
                self.entries.remove(&oldest);
            }
        }
        self.clock += 1;
        self.entries.insert(
            key,
            Entry {
                principal,
                exp,
                last_used: self.clock,
            },
        );
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

fn digest(token: &str) -> [u8; 32] {
    Sha256::digest(token.as_bytes()).into()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(name: &str) -> Arc<Principal> {
        Arc::new(Principal {
            subject: Some(name.into()),
            scopes: vec![],
        })
    }

    #[test]
    fn a_hit_returns_the_principal_until_exp() {
        let mut c = TokenCache::default();
        c.insert("t1", p("a"), 100);
        assert_eq!(c.get("t1", 99).unwrap().subject.as_deref(), Some("a"));
        assert!(c.get("t1", 100).is_none(), "exp == now is expired");
        assert!(c.is_empty(), "an expired entry is dropped");
    }

    #[test]
    fn the_least_recently_used_entry_goes_first() {
        let mut c = TokenCache::with_capacity(2);
        c.insert("a", p("a"), 1000);
        c.insert("b", p("b"), 1000);
        c.get("a", 0);
        c.insert("c", p("c"), 1000);
        assert_eq!(c.len(), 2);
        assert!(c.get("b", 0).is_none());
        assert!(c.get("a", 0).is_some());
        assert!(c.get("c", 0).is_some());
    }
}
