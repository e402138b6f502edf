//! What this isolate remembers about tokens it has seen, keyed by a digest of each:
//! tokens verified before (OpenAI sends the same one on every call of a conversation)
//! and tokens refused before (a flood repeating one forged token). Either way a repeated
//! token costs a hash, not an RSA verification. Tokens themselves are never stored.
//!
//! The digest is a keyed hash, SipHash-2-4 twice with independent 128-bit keys drawn
//! from the platform's CSPRNG once per isolate: 128 bits that no one outside the isolate
//! can aim at, since they do not know the keys. Two tokens with one digest would share a
//! cache entry, so the digest must not collide for anyone who wants it to; a keyed PRF
//! gives that without SHA-256's cost, which was 31,000 instructions of every cached
//! request in workerd for a 450-byte token (issue 19). Without randomness the digest is
//! the first 128 bits of SHA-256, as before.

use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::hash::Hasher;
use std::sync::OnceLock;

/// How many verified tokens one isolate remembers.
pub const CAPACITY: usize = 256;
/// How many refused tokens one isolate remembers. An entry is a digest, a short reason and
/// bookkeeping, about 150 bytes: at most about 150 KiB, however many tokens a flood sends.
pub const REFUSED_CAPACITY: usize = 1024;
/// How long a refusal is remembered. Refusals that could stop being true (a key that may
/// still arrive, a token not valid *yet*) are never remembered; this only bounds how long
/// an entry can sit unused.
pub const REFUSED_SECS: i64 = 600;

/// A token's keyed digest: what both memories are keyed by.
pub type TokenDigest = [u8; 16];

/// The isolate's secret hash keys, or `None` when the platform gave no randomness.
static KEYS: OnceLock<Option<[u64; 4]>> = OnceLock::new();

fn keys() -> Option<[u64; 4]> {
    *KEYS.get_or_init(|| {
        let mut bytes = [0u8; 32];
        getrandom::getrandom(&mut bytes).ok()?;
        let word = |i: usize| {
            let mut w = [0u8; 8];
            w.copy_from_slice(&bytes[i * 8..i * 8 + 8]);
            u64::from_le_bytes(w)
        };
        Some([word(0), word(1), word(2), word(3)])
    })
}

pub fn digest(token: &str) -> TokenDigest {
    let Some([k0, k1, k2, k3]) = keys() else {
        let full: [u8; 32] = Sha256::digest(token.as_bytes()).into();
        let mut d = [0u8; 16];
        d.copy_from_slice(&full[..16]);
        return d;
    };
    // std's SipHasher is SipHash-2-4, deprecated only as HashMap's default hasher.
    #[allow(deprecated)]
    let half = |a: u64, b: u64| {
        let mut h = std::hash::SipHasher::new_with_keys(a, b);
        h.write(token.as_bytes());
        h.finish().to_le_bytes()
    };
    let mut d = [0u8; 16];
    d[..8].copy_from_slice(&half(k0, k1));
    d[8..].copy_from_slice(&half(k2, k3));
    d
}

/// A bounded least-recently-used map from a token's digest to what it proved, each entry
/// valid until a given Unix time.
pub struct TokenMemory<V> {
    entries: HashMap<TokenDigest, Entry<V>>,
    clock: u64,
    capacity: usize,
}

struct Entry<V> {
    value: V,
    until: i64,
    last_used: u64,
}

impl<V: Clone> TokenMemory<V> {
    pub fn with_capacity(capacity: usize) -> Self {
        TokenMemory {
            entries: HashMap::with_capacity(capacity),
            clock: 0,
            capacity,
        }
    }

    /// What was remembered about a token, if it is still in force (`until` is exclusive).
    pub fn get(&mut self, key: &TokenDigest, now: i64) -> Option<V> {
        self.clock += 1;
        let entry = self.entries.get_mut(key)?;
        if entry.until <= now {
            self.entries.remove(key);
            return None;
        }
        entry.last_used = self.clock;
        Some(entry.value.clone())
    }

    pub fn insert(&mut self, key: TokenDigest, value: V, until: i64) {
        if self.capacity == 0 {
            return;
        }
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
                value,
                until,
                last_used: self.clock,
            },
        );
    }

    pub fn clear(&mut self) {
        self.entries.clear();
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hit_returns_the_value_until_it_lapses() {
        let mut c = TokenMemory::with_capacity(CAPACITY);
        c.insert(digest("t1"), "a", 100);
        assert_eq!(c.get(&digest("t1"), 99), Some("a"));
        assert!(
            c.get(&digest("t1"), 100).is_none(),
            "until == now has lapsed"
        );
        assert!(c.is_empty(), "a lapsed entry is dropped");
    }

    #[test]
    fn the_least_recently_used_entry_goes_first() {
        let mut c = TokenMemory::with_capacity(2);
        c.insert(digest("a"), 1, 1000);
        c.insert(digest("b"), 2, 1000);
        c.get(&digest("a"), 0);
        c.insert(digest("c"), 3, 1000);
        assert_eq!(c.len(), 2);
        assert!(c.get(&digest("b"), 0).is_none());
        assert!(c.get(&digest("a"), 0).is_some());
        assert!(c.get(&digest("c"), 0).is_some());
    }

    #[test]
    fn the_digest_is_stable_and_tells_tokens_apart() {
        assert_eq!(digest("eyJ.a.b"), digest("eyJ.a.b"));
        assert_ne!(digest("eyJ.a.b"), digest("eyJ.a.c"));
        assert_ne!(digest(""), digest("\u{0}"));
        // Keyed: two halves from independent keys, not one hash written twice.
        let d = digest("eyJ.a.b");
        assert_ne!(d[..8], d[8..]);
    }

    #[test]
    fn a_flood_of_new_tokens_never_grows_it_past_capacity() {
        let mut c = TokenMemory::with_capacity(REFUSED_CAPACITY);
        for i in 0..REFUSED_CAPACITY * 3 {
            c.insert(digest(&format!("forged-{i}")), (), 1000);
        }
        assert_eq!(c.len(), REFUSED_CAPACITY);
    }
}
