//! Proof Key for Code Exchange (RFC 7636), method `S256` only: `plain` would put the
//! verifier itself in the browser's URL, and MCP clients use S256 (OAuth 2.1 draft 15
//! §4.1.1; MCP 2026-07-28 authorization security considerations). The server advertises
//! only `S256` in `code_challenge_methods_supported`.

use base64ct::{Base64UrlUnpadded, Encoding};
use sha2::{Digest, Sha256};

use super::constant_time_eq;

/// The one `code_challenge_method` accepted.
pub const METHOD: &str = "S256";

/// The length of an S256 challenge: 32 bytes of SHA-256 in unpadded base64url.
pub const CHALLENGE_LEN: usize = 43;

/// The shortest and longest verifier (RFC 7636 §4.1).
pub const VERIFIER_LEN: std::ops::RangeInclusive<usize> = 43..=128;

/// RFC 3986 §2.3's unreserved characters, the verifier's alphabet (RFC 7636 §4.1).
fn is_unreserved(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"-._~".contains(&b)
}

/// Checks a `code_verifier`'s syntax: 43 to 128 unreserved characters (RFC 7636 §4.1).
/// The words say what to fix, and never repeat the verifier.
pub fn check_verifier(verifier: &str) -> Result<(), &'static str> {
    if !VERIFIER_LEN.contains(&verifier.len()) {
        return Err("code_verifier is 43 to 128 characters (RFC 7636 section 4.1)");
    }
    if !verifier.bytes().all(is_unreserved) {
        return Err("code_verifier holds only letters, digits, '-', '.', '_' and '~' (RFC 7636 section 4.1)");
    }
    Ok(())
}

/// Checks a `code_challenge`'s syntax for S256: the unpadded base64url of 32 bytes, 43
/// characters, canonically encoded (RFC 7636 §4.2). A challenge of any other shape could
/// never match a verifier, so it is refused when the code is asked for rather than when
/// it is redeemed.
pub fn check_challenge(challenge: &str) -> Result<(), &'static str> {
    let mut bytes = [0u8; 32];
    match Base64UrlUnpadded::decode(challenge, &mut bytes) {
        Ok(decoded) if decoded.len() == 32 && challenge.len() == CHALLENGE_LEN => Ok(()),
        _ => Err("code_challenge is the unpadded base64url SHA-256 of the code_verifier: 43 characters of A-Z, a-z, 0-9, '-' and '_' (RFC 7636 section 4.2)"),
    }
}

/// The S256 challenge of `verifier`: BASE64URL(SHA256(ASCII(verifier))) (RFC 7636 §4.2).
pub fn challenge_of(verifier: &str) -> String {
    Base64UrlUnpadded::encode_string(&Sha256::digest(verifier.as_bytes()))
}

/// Whether `verifier` is well formed and its S256 challenge is `challenge` (RFC 7636
/// §4.6). The challenge is compared in constant time, so the time taken says nothing of
/// how much of it a guess got right.
pub fn verify(challenge: &str, verifier: &str) -> bool {
    if check_verifier(verifier).is_err() {
        return false;
    }
    let expected = challenge_of(verifier);
    constant_time_eq(expected.as_bytes(), challenge.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    // RFC 7636 Appendix B.
    const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
    const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";

    #[test]
    fn the_rfc_example_verifies() {
        assert_eq!(challenge_of(VERIFIER), CHALLENGE);
        assert!(verify(CHALLENGE, VERIFIER));
        assert_eq!(check_verifier(VERIFIER), Ok(()));
        assert_eq!(check_challenge(CHALLENGE), Ok(()));
    }

    #[test]
    fn a_different_verifier_or_challenge_fails() {
        let mut other = VERIFIER.to_owned();
        other.replace_range(0..1, "e");
        assert!(!verify(CHALLENGE, &other));
        // The plain method's "challenge" (the verifier itself) never verifies.
        assert!(!verify(VERIFIER, VERIFIER));
        assert!(!verify("", VERIFIER));
        assert!(!verify(&CHALLENGE[..42], VERIFIER));
        assert!(!verify(&format!("{CHALLENGE}="), VERIFIER));
        assert!(!verify(&CHALLENGE.to_lowercase(), VERIFIER));
    }

    #[test]
    fn verifier_syntax_is_43_to_128_unreserved_characters() {
        assert!(check_verifier(&"a".repeat(43)).is_ok());
        assert!(check_verifier(&"a".repeat(128)).is_ok());
        assert!(check_verifier("aZ09-._~aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa").is_ok());
        assert!(check_verifier(&"a".repeat(42))
            .unwrap_err()
            .contains("43 to 128"));
        assert!(check_verifier(&"a".repeat(129)).is_err());
        for bad in ['+', '/', '=', ' ', '%', 'é'] {
            let v = format!("{}{bad}", "a".repeat(43));
            assert!(check_verifier(&v).is_err(), "{bad}");
        }
        // A verifier of the wrong shape fails even if its hash matched.
        let short = "a".repeat(42);
        assert!(!verify(&challenge_of(&short), &short));
        let long = "a".repeat(129);
        assert!(!verify(&challenge_of(&long), &long));
    }

    #[test]
    fn challenge_syntax_is_43_canonical_base64url_characters() {
        assert!(check_challenge(&challenge_of(&"x".repeat(50))).is_ok());
        for bad in [
            "",
            &CHALLENGE[..42],
            &format!("{CHALLENGE}="),
            &format!("{CHALLENGE}A"),
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw+cM",
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw/cM",
            "plain-challenges-are-refused",
            // The last character's two spare bits set: not the canonical encoding.
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cN",
        ] {
            assert!(check_challenge(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn constant_time_eq_is_equality() {
        assert!(constant_time_eq(b"abc", b"abc"));
        assert!(!constant_time_eq(b"abc", b"abd"));
        assert!(!constant_time_eq(b"abc", b"ab"));
        assert!(constant_time_eq(b"", b""));
    }
}
