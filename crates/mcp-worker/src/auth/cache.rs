//! What this isolate remembers about tokens it has seen, keyed by a digest of each:
//! tokens verified before (OpenAI sends the same one on every call of a conversation)
//! and tokens refused before (a flood repeating one forged token). Either way a repeated
//! token costs a hash, not an RSA verification. Tokens themselves are never stored.
//!
//! The digest is a keyed hash, SipHash-2-4 with its 128-bit output, under a 128-bit key
//! drawn from the platform's CSPRNG once per isolate: 128 bits that no one outside the
//! isolate can aim at, since they do not know the key. Two tokens with one digest would
//! share a cache entry, so the digest must not collide for anyone who wants it to; a
//! keyed PRF gives that without SHA-256's cost, which was 31,000 instructions of every
//! cached request in workerd for a 450-byte token (two passes of std's 64-bit
//! SipHash, measured too, cost 8,700). Without randomness the digest is the
//! first 128 bits of SHA-256. The same digest keys the platform's imported
//! form of each verifying key (`keys::VerifyingKey::id`).

use sha2::{Digest, Sha256};
use std::collections::HashMap;
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

/// The isolate's secret hash key, or `None` when the platform gave no randomness.
static KEY: OnceLock<Option<[u64; 2]>> = OnceLock::new();

fn key() -> Option<[u64; 2]> {
    *KEY.get_or_init(|| {
        let mut bytes = [0u8; 16];
        getrandom::getrandom(&mut bytes).ok()?;
        let (a, b) = bytes.split_first_chunk::<8>()?;
        Some([
            u64::from_le_bytes(*a),
            u64::from_le_bytes(b.try_into().ok()?),
        ])
    })
}

pub fn digest(token: &str) -> TokenDigest {
    keyed_digest(token.as_bytes())
}

/// The same keyed digest of any bytes, for what else this isolate keeps by content (the
/// platform's imported form of each verifying key, `keys::VerifyingKey::id`).
pub fn keyed_digest(bytes: &[u8]) -> [u8; 16] {
    match key() {
        Some([k0, k1]) => siphash128(k0, k1, bytes),
        None => {
            let full: [u8; 32] = Sha256::digest(bytes).into();
            let mut d = [0u8; 16];
            d.copy_from_slice(&full[..16]);
            d
        }
    }
}

/// SipHash's round on its four words of state.
#[inline(always)]
fn sip_round(v: &mut [u64; 4]) {
    v[0] = v[0].wrapping_add(v[1]);
    v[1] = v[1].rotate_left(13) ^ v[0];
    v[0] = v[0].rotate_left(32);
    v[2] = v[2].wrapping_add(v[3]);
    v[3] = v[3].rotate_left(16) ^ v[2];
    v[0] = v[0].wrapping_add(v[3]);
    v[3] = v[3].rotate_left(21) ^ v[0];
    v[2] = v[2].wrapping_add(v[1]);
    v[1] = v[1].rotate_left(17) ^ v[2];
    v[2] = v[2].rotate_left(32);
}

/// One message word through two rounds (the "2" of SipHash-2-4).
#[inline(always)]
fn compress(v: &mut [u64; 4], m: u64) {
    v[3] ^= m;
    sip_round(v);
    sip_round(v);
    v[0] ^= m;
}

/// SipHash-2-4 with 128-bit output (Aumasson and Bernstein, "SipHash: a fast short-input
/// PRF", and the reference implementation's 128-bit mode): one pass over the input. The
/// helpers are inlined by force: at the profile's `opt-level = "z"` a call per word and
/// per round cost more than the rounds (measured in workerd).
fn siphash128(k0: u64, k1: u64, input: &[u8]) -> [u8; 16] {
    let mut v = [
        k0 ^ 0x736f_6d65_7073_6575,
        k1 ^ 0x646f_7261_6e64_6f6d ^ 0xee,
        k0 ^ 0x6c79_6765_6e65_7261,
        k1 ^ 0x7465_6462_7974_6573,
    ];
    let mut rest = input;
    while let Some((word, tail)) = rest.split_first_chunk::<8>() {
        compress(&mut v, u64::from_le_bytes(*word));
        rest = tail;
    }
    let mut last = [0u8; 8];
    last[..rest.len()].copy_from_slice(rest);
    last[7] = input.len() as u8;
    compress(&mut v, u64::from_le_bytes(last));
    let mut out = [0u8; 16];
    v[2] ^= 0xee;
    for _ in 0..4 {
        sip_round(&mut v);
    }
    out[..8].copy_from_slice(&(v[0] ^ v[1] ^ v[2] ^ v[3]).to_le_bytes());
    v[1] ^= 0xdd;
    for _ in 0..4 {
        sip_round(&mut v);
    }
    out[8..].copy_from_slice(&(v[0] ^ v[1] ^ v[2] ^ v[3]).to_le_bytes());
    out
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

    #[cfg(any(test, feature = "unstable"))]
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    #[cfg(any(test, feature = "unstable"))]
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
        let d = digest("eyJ.a.b");
        assert_ne!(d[..8], d[8..]);
    }

    /// The reference implementation's 128-bit vectors (key 00 01 … 0f, input 00 01 …
    /// of each length): every branch of the tail, and inputs of several words.
    #[test]
    fn siphash128_gives_the_reference_vectors() {
        let k0 = u64::from_le_bytes([0, 1, 2, 3, 4, 5, 6, 7]);
        let k1 = u64::from_le_bytes([8, 9, 10, 11, 12, 13, 14, 15]);
        let input: Vec<u8> = (0..64).collect();
        for (len, hex) in [
            (0, "a3817f04ba25a8e66df67214c7550293"),
            (1, "da87c1d86b99af44347659119b22fc45"),
            (7, "a1f1ebbed8dbc153c0b84aa61ff08239"),
            (8, "3b62a9ba6258f5610f83e264f31497b4"),
            (15, "5493e99933b0a8117e08ec0f97cfc3d9"),
            (63, "5150d1772f50834a503e069a973fbd7c"),
        ] {
            let got: String = siphash128(k0, k1, &input[..len])
                .iter()
                .map(|b| format!("{b:02x}"))
                .collect();
            assert_eq!(got, hex, "length {len}");
        }
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
