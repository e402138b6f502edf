//! Values the server hands out and must get back unchanged: the browser's sign-in
//! session (a cookie), and the ids of clients registered by DCR. Each is the value's JSON
//! and an HMAC-SHA256 over it under the operator's sealing key (`OAUTH_SEALING_KEY`),
//! with the purpose and an expiry inside the MAC, so a value sealed for one use is no
//! good for another. Sealed, not encrypted: nothing in them is secret (secrets are
//! derived from the session's random id with [`SealKey::derive`], on the server, and
//! never leave it).

use base64ct::{Base64UrlUnpadded, Encoding};
use hmac::{Hmac, Mac};
use serde::Serialize;

use super::json::FromJson;
use sha2::Sha256;

/// The fewest characters `OAUTH_SEALING_KEY` may have: 256 bits as hex.
pub const MIN_KEY_CHARS: usize = 32;

/// The largest sealed value read (bytes of its text).
pub const MAX_SEALED: usize = 4096;

type HmacSha256 = Hmac<Sha256>;

/// The operator's sealing key.
#[derive(Clone)]
pub struct SealKey(Vec<u8>);

impl std::fmt::Debug for SealKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SealKey(redacted)")
    }
}

impl SealKey {
    /// The key from the secret's text: at least [`MIN_KEY_CHARS`] characters.
    pub fn from_secret(text: &str) -> Result<SealKey, String> {
        let text = text.trim();
        if text.len() < MIN_KEY_CHARS {
            return Err(format!(
                "it must be at least {MIN_KEY_CHARS} characters of random text (`openssl rand -hex 32`)"
            ));
        }
        Ok(SealKey(text.as_bytes().to_vec()))
    }

    fn mac(&self, label: &str) -> HmacSha256 {
        let mut mac = HmacSha256::new_from_slice(&self.0)
            .unwrap_or_else(|_| unreachable!("HMAC accepts any key length"));
        mac.update(label.as_bytes());
        mac.update(&[0]);
        mac
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
        let mut mac = self.mac(purpose);
        mac.update(payload.as_bytes());
        // Constant time: `verify_slice` compares without an early exit.
        mac.verify_slice(&tag).ok()?;
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
        assert!(SealKey::from_secret(&"x".repeat(32)).is_ok());
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
