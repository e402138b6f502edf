//! Values the server hands out and must get back unchanged: the browser's sign-in
//! session (a cookie), and the ids of clients registered by DCR. Each is the value's JSON
//! and an HMAC-SHA256 over it under the operator's sealing key (`OAUTH_SEALING_KEY`),
//! with the purpose and an expiry inside the MAC, so a value sealed for one use is no
//! good for another. Sealed, not encrypted: nothing in them is secret (secrets are
//! derived from the session's random id with [`SealKey::derive`], on the server, and
//! never leave it).
//!
//! The key may be a list, newest first, for rotation: the first seals and derives, and a
//! value sealed (or a grant id tagged) under any of them is still accepted.

use base64ct::{Base64UrlUnpadded, Encoding};
use hmac::{Hmac, Mac};
use serde::Serialize;
use sha2::Sha256;

use super::json::FromJson;

/// The fewest characters `OAUTH_SEALING_KEY` may have: 256 bits as hex.
pub const MIN_KEY_CHARS: usize = 32;

/// The largest sealed value read (bytes of its text).
pub const MAX_SEALED: usize = 4096;

/// The most keys `OAUTH_SEALING_KEY` may list: the current one and those being retired.
pub const MAX_KEYS: usize = 4;

type HmacSha256 = Hmac<Sha256>;

/// The operator's sealing keys, the current one first.
#[derive(Clone)]
pub struct SealKey(Vec<Vec<u8>>);

impl std::fmt::Debug for SealKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SealKey(redacted)")
    }
}

impl SealKey {
    /// The keys from the secret's text: one key, or several separated by spaces, the
    /// current one first; each at least [`MIN_KEY_CHARS`] characters, at most
    /// [`MAX_KEYS`] of them.
    pub fn from_secret(text: &str) -> Result<SealKey, String> {
        let keys: Vec<Vec<u8>> = text
            .split_whitespace()
            .map(|k| k.as_bytes().to_vec())
            .collect();
        if keys.is_empty() || keys.iter().any(|k| k.len() < MIN_KEY_CHARS) {
            return Err(format!(
                "each key must be at least {MIN_KEY_CHARS} characters of random text without spaces (`openssl rand -hex 32`); several keys, for a rotation, are separated by spaces, the one that seals first (docs/authorization-server.md)"
            ));
        }
        if keys.len() > MAX_KEYS {
            return Err(format!(
                "it lists {} keys; at most {MAX_KEYS}: the current one and those being retired",
                keys.len()
            ));
        }
        Ok(SealKey(keys))
    }

    /// The MAC for `label` under the current key, or under key `index` of the list.
    fn mac_with(&self, index: usize, label: &str) -> HmacSha256 {
        let mut mac = HmacSha256::new_from_slice(&self.0[index])
            .unwrap_or_else(|_| unreachable!("HMAC accepts any key length"));
        mac.update(label.as_bytes());
        mac.update(&[0]);
        mac
    }

    fn mac(&self, label: &str) -> HmacSha256 {
        self.mac_with(0, label)
    }

    /// Whether `tag`, 8 to 32 bytes, begins [`SealKey::derive_bytes`]`(label, data)` under
    /// any of the keys, compared in constant time: a value the server made before a
    /// rotation is still its own. A shorter tag is never taken: it would be guessed.
    pub fn derived_by_any(&self, label: &str, data: &[u8], tag: &[u8]) -> bool {
        if tag.len() < 8 {
            return false;
        }
        self.macs_over(label, data)
            .any(|mac| mac.verify_truncated_left(tag).is_ok())
    }

    /// The MAC for `label` over `data` under each key, the current one first: what a
    /// value made under any of them is checked against.
    fn macs_over<'a>(
        &'a self,
        label: &'a str,
        data: &'a [u8],
    ) -> impl Iterator<Item = HmacSha256> + 'a {
        (0..self.0.len()).map(move |i| {
            let mut mac = self.mac_with(i, label);
            mac.update(data);
            mac
        })
    }

    /// A value only this server can compute from `data`, for `label`'s use: base64url of
    /// HMAC-SHA256(key, label ‖ 0 ‖ data), 43 characters.
    pub fn derive(&self, label: &str, data: &[u8]) -> String {
        Base64UrlUnpadded::encode_string(&self.derive_bytes(label, data))
    }

    /// [`SealKey::derive`]'s 32 bytes.
    pub fn derive_bytes(&self, label: &str, data: &[u8]) -> [u8; 32] {
        let mut mac = self.mac(label);
        mac.update(data);
        mac.finalize().into_bytes().into()
    }

    /// `value` sealed for `purpose` until `expires` (Unix seconds): `payload.mac`, both
    /// base64url. No `=`, `;`, `,` or space: fit for a cookie value as it is.
    pub fn seal<T: Serialize>(&self, purpose: &str, value: &T, expires: i64) -> String {
        let payload = serde_json::to_vec(&(expires, value)).unwrap_or_default();
        let payload = Base64UrlUnpadded::encode_string(&payload);
        let mut mac = self.mac(purpose);
        mac.update(payload.as_bytes());
        let tag = Base64UrlUnpadded::encode_string(&mac.finalize().into_bytes());
        format!("{payload}.{tag}")
    }

    /// The value sealed for `purpose` by [`SealKey::seal`], if `sealed` is one, unaltered
    /// and not expired at `now`.
    pub fn open<T: FromJson>(&self, purpose: &str, sealed: &str, now: i64) -> Option<T> {
        if sealed.len() > MAX_SEALED {
            return None;
        }
        let (payload, tag) = sealed.rsplit_once('.')?;
        let tag = Base64UrlUnpadded::decode_vec(tag).ok()?;
        // Constant time: `verify_slice` compares without an early exit.
        if !self
            .macs_over(purpose, payload.as_bytes())
            .any(|mac| mac.verify_slice(&tag).is_ok())
        {
            return None;
        }
        let bytes = Base64UrlUnpadded::decode_vec(payload).ok()?;
        let (expires, value) =
            <(i64, T)>::from_json(&serde_json::from_slice::<serde_json::Value>(&bytes).ok()?)?;
        (now < expires).then_some(value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key() -> SealKey {
        SealKey::from_secret("0123456789abcdef0123456789abcdef").unwrap()
    }

    #[test]
    fn a_short_key_is_refused() {
        assert!(SealKey::from_secret("short").is_err());
        assert!(SealKey::from_secret("   ").is_err());
        assert!(SealKey::from_secret(&"x".repeat(32)).is_ok());
        assert!(SealKey::from_secret(&format!("{} short", "x".repeat(32))).is_err());
        let five = vec!["k".repeat(32); MAX_KEYS + 1].join(" ");
        assert!(SealKey::from_secret(&five).is_err());
    }

    #[test]
    fn after_a_rotation_what_the_old_key_sealed_still_opens_and_the_new_key_seals() {
        let old = key();
        let sealed = old.seal("client", &"c1".to_owned(), 100);
        let tag = old.derive_bytes("grant-id", b"g1");
        let rotated = SealKey::from_secret(&format!(
            "{} {}",
            "n".repeat(32),
            "0123456789abcdef0123456789abcdef"
        ))
        .unwrap();
        assert_eq!(
            rotated.open::<String>("client", &sealed, 0).as_deref(),
            Some("c1")
        );
        assert!(rotated.derived_by_any("grant-id", b"g1", &tag[..8]));
        assert!(!rotated.derived_by_any("grant-id", b"g2", &tag[..8]));
        assert!(rotated.derived_by_any("grant-id", b"g1", &tag));
        assert!(
            !rotated.derived_by_any("grant-id", b"g1", &tag[..7]),
            "too short"
        );
        assert!(!rotated.derived_by_any("grant-id", b"g1", &[]));
        // The new key is the one that seals and derives: the old key alone cannot open it.
        let fresh = rotated.seal("client", &"c2".to_owned(), 100);
        assert_eq!(old.open::<String>("client", &fresh, 0), None);
        assert_ne!(rotated.derive("nonce", b"s"), old.derive("nonce", b"s"));
        // Once the old key is dropped from the list, its values are no longer ours.
        let dropped = SealKey::from_secret(&"n".repeat(32)).unwrap();
        assert_eq!(dropped.open::<String>("client", &sealed, 0), None);
        assert!(!dropped.derived_by_any("grant-id", b"g1", &tag[..8]));
    }

    #[test]
    fn sealed_values_open_for_their_purpose_until_they_expire() {
        let k = key();
        let s = k.seal("session", &vec!["a".to_owned()], 100);
        assert!(!s.contains(['=', ';', ',', ' ']));
        assert_eq!(
            k.open::<Vec<String>>("session", &s, 99),
            Some(vec!["a".into()])
        );
        assert_eq!(k.open::<Vec<String>>("session", &s, 100), None, "expired");
        assert_eq!(
            k.open::<Vec<String>>("client", &s, 99),
            None,
            "another purpose"
        );
        let other = SealKey::from_secret(&"y".repeat(32)).unwrap();
        assert_eq!(
            other.open::<Vec<String>>("session", &s, 99),
            None,
            "another key"
        );
    }

    #[test]
    fn an_altered_value_does_not_open() {
        let k = key();
        let s = k.seal("session", &"grant".to_owned(), 100);
        let (payload, tag) = s.rsplit_once('.').unwrap();
        let forged = k.seal("session", &"other".to_owned(), 100);
        let (forged_payload, _) = forged.rsplit_once('.').unwrap();
        assert_eq!(
            k.open::<String>("session", &format!("{forged_payload}.{tag}"), 0),
            None
        );
        assert_eq!(
            k.open::<String>("session", &format!("{payload}.x{tag}"), 0),
            None
        );
        assert_eq!(k.open::<String>("session", payload, 0), None);
        assert_eq!(k.open::<String>("session", "", 0), None);
        assert_eq!(k.open::<String>("session", &"a.".repeat(3000), 0), None);
    }

    #[test]
    fn derived_values_differ_by_label_and_data() {
        let k = key();
        assert_eq!(k.derive("state", b"s1"), k.derive("state", b"s1"));
        assert_ne!(k.derive("state", b"s1"), k.derive("nonce", b"s1"));
        assert_ne!(k.derive("state", b"s1"), k.derive("state", b"s2"));
        assert_eq!(k.derive("state", b"s1").len(), 43);
    }
}
