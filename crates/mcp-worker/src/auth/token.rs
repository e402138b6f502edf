//! Cheap checks on a bearer token before any signature work: the header's size and scheme,
//! the token's shape, and a JOSE header this server is willing to act on.

use base64ct::{Base64UrlUnpadded, Encoding};
use serde_json::Value;

use super::keys::Alg;
use super::AuthError;

/// The longest `Authorization` header looked at. Real access tokens are a few hundred
/// bytes to a few kilobytes.
pub const MAX_AUTHORIZATION_BYTES: usize = 8 * 1024;
const MAX_JOSE_HEADER_BYTES: usize = 1024;

/// The JOSE header fields that decide how a token is verified.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct JoseHeader {
    pub alg: Alg,
    pub kid: Option<String>,
}

/// Takes the token out of `Authorization: Bearer <token>` (RFC 6750 section 2.1).
pub fn bearer(authorization: Option<&str>) -> Result<&str, AuthError> {
    let value = authorization.ok_or(AuthError::Missing)?;
    if value.len() > MAX_AUTHORIZATION_BYTES {
        return Err(AuthError::invalid(format!(
            "the Authorization header is longer than {MAX_AUTHORIZATION_BYTES} bytes"
        )));
    }
    let (scheme, token) = value.trim().split_once(' ').unwrap_or((value.trim(), ""));
    if !scheme.eq_ignore_ascii_case("bearer") {
        return Err(AuthError::WrongScheme);
    }
    let token = token.trim();
    if token.is_empty() {
        return Err(AuthError::invalid("the bearer token is empty"));
    }
    Ok(token)
}

/// Checks that `token` is three base64url segments with a header we accept, and returns
/// that header. Refuses `crit` (no extension is understood), any key or certificate the
/// token carries or points to (`jwk`, `jku`, `x5u`, `x5c`: keys come from configuration
/// only), any content type (`cty`: nested or CBOR tokens), and algorithms other than the
/// RSA ones (`none`, `HS256`, …).
pub fn inspect(token: &str) -> Result<JoseHeader, AuthError> {
    let mut parts = token.split('.');
    let (Some(header), Some(payload), Some(signature), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(AuthError::invalid(
            "the token is not a JWS in compact form (three dot-separated parts)",
        ));
    };
    let is_b64url = |s: &str| {
        !s.is_empty()
            && s.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    };
    if !is_b64url(header) || !is_b64url(payload) || !is_b64url(signature) {
        return Err(AuthError::invalid("the token is not base64url-encoded"));
    }
    if header.len() > MAX_JOSE_HEADER_BYTES * 4 / 3 + 4 {
        return Err(AuthError::invalid("the token header is too large"));
    }
    let bytes = Base64UrlUnpadded::decode_vec(header)
        .map_err(|_| AuthError::invalid("the token header is not valid base64url"))?;
    // Not read straight into a map: serde_json's typed reads link its float formatting
    // (crate::protocol::from_value).
    let Some((fields, repeated)) = crate::protocol::from_value::object_and_repeats(&bytes) else {
        return Err(AuthError::invalid("the token header is not a JSON object"));
    };
    if let Some(name) = repeated.first() {
        // RFC 7515 section 4: a parser refuses a repeated name or takes the last; refused.
        return Err(AuthError::invalid(format!(
            "the token header names '{}' twice",
            crate::protocol::jsonrpc::echo(name)
        )));
    }

    for (name, why) in [
        ("crit", "it has critical header parameters ('crit') this server does not understand"),
        ("jwk", "it carries its own key ('jwk'); keys come only from the server's configuration"),
        ("jku", "it points to a key set URL ('jku'); keys come only from the server's configuration"),
        ("x5u", "it points to a certificate URL ('x5u'); keys come only from the server's configuration"),
        ("x5c", "it carries a certificate chain ('x5c'); keys come only from the server's configuration"),
        ("cty", "it declares a content type ('cty'); only plain JSON claims are accepted"),
    ] {
        if fields.contains_key(name) {
            return Err(AuthError::invalid(format!("the token is refused: {why}")));
        }
    }
    let alg_name = fields
        .get("alg")
        .and_then(Value::as_str)
        .ok_or_else(|| AuthError::invalid("the token header has no 'alg'"))?;
    let alg = Alg::parse(alg_name).ok_or_else(|| {
        AuthError::invalid(format!(
            "the token's algorithm '{}' is not accepted",
            crate::protocol::jsonrpc::echo(alg_name)
        ))
    })?;
    if let Some(typ) = fields.get("typ") {
        let ok = typ.as_str().is_some_and(|t| {
            let t = t.to_ascii_lowercase();
            t == "jwt" || t == "at+jwt" || t == "application/at+jwt" || t == "application/jwt"
        });
        if !ok {
            return Err(AuthError::invalid("the token's 'typ' is not a JWT type"));
        }
    }
    // Certificate thumbprints name no key here (keys come from configuration), but one
    // must be what RFC 7515 section 4.1.7 and 4.1.8 say: base64url of a SHA-1 or SHA-256
    // digest (or, as jwt-compact also reads it, of its text).
    for (name, len) in [("x5t", 20), ("x5t#S256", 32)] {
        if !fields.get(name).is_none_or(|t| is_thumbprint(t, len)) {
            return Err(AuthError::invalid(format!(
                "the token's '{name}' is not a base64url certificate thumbprint"
            )));
        }
    }
    let kid = match fields.get("kid") {
        None => None,
        Some(Value::String(k)) => Some(k.clone()),
        Some(_) => return Err(AuthError::invalid("the token's 'kid' is not a string")),
    };
    Ok(JoseHeader { alg, kid })
}

/// Whether `v` is a certificate thumbprint of `len` bytes as jwt-compact reads one: `null`
/// (absent), or a base64url string (up to two `=` of padding dropped) of exactly `len`
/// bytes, or of more bytes that are UTF-8 text (a thumbprint written out in hex).
fn is_thumbprint(v: &Value, len: usize) -> bool {
    let text = match v {
        Value::Null => return true,
        Value::String(t) => t.strip_suffix('=').unwrap_or(t),
        _ => return false,
    };
    let text = text.strip_suffix('=').unwrap_or(text);
    match (text.len() * 3 / 4).cmp(&len) {
        std::cmp::Ordering::Less => false,
        std::cmp::Ordering::Equal => {
            let mut bytes = [0u8; 32];
            Base64UrlUnpadded::decode(text, &mut bytes[..len]).is_ok_and(|b| b.len() == len)
        }
        std::cmp::Ordering::Greater => {
            Base64UrlUnpadded::decode_vec(text).is_ok_and(|b| std::str::from_utf8(&b).is_ok())
        }
    }
}

/// The `kid` of a presented token, if it has a readable one; used to decide whether a
/// remote key set should be fetched again. Does no verification.
pub fn peek_kid(authorization: Option<&str>) -> Option<String> {
    inspect(bearer(authorization).ok()?).ok()?.kid
}

#[cfg(test)]
mod tests {
    use super::*;

    fn b64(v: &str) -> String {
        Base64UrlUnpadded::encode_string(v.as_bytes())
    }

    fn token_with_header(h: &str) -> String {
        format!("{}.{}.c2ln", b64(h), b64(r#"{"sub":"x"}"#))
    }

    #[test]
    fn bearer_scheme_is_case_insensitive_and_required() {
        assert_eq!(bearer(Some("Bearer abc")), Ok("abc"));
        assert_eq!(bearer(Some("bearer   abc ")), Ok("abc"));
        assert_eq!(bearer(None), Err(AuthError::Missing));
        assert_eq!(
            bearer(Some("Basic dXNlcjpwdw==")),
            Err(AuthError::WrongScheme)
        );
        assert!(matches!(
            bearer(Some("Bearer ")),
            Err(AuthError::Invalid(_))
        ));
        assert!(matches!(bearer(Some("Bearer")), Err(AuthError::Invalid(_))));
        let huge = format!("Bearer {}", "a".repeat(MAX_AUTHORIZATION_BYTES));
        assert!(matches!(bearer(Some(&huge)), Err(AuthError::Invalid(m)) if m.contains("longer")));
    }

    /// Every header this server takes, jwt-compact (the host's reader of the same tokens)
    /// takes too; this server refuses more (`crit`, keys and key URLs, `cty`).
    #[test]
    fn a_header_taken_here_is_one_jwt_compact_takes() {
        let sha1 = Base64UrlUnpadded::encode_string(&[7u8; 20]);
        let sha256 = Base64UrlUnpadded::encode_string(&[7u8; 32]);
        let hex = Base64UrlUnpadded::encode_string(b"0123456789abcdef0123456789abcdef01234567");
        let cases = [
            (r#"{"alg":"RS256"}"#.to_owned(), true),
            (r#"{"alg":"RS256","alg":"RS256"}"#.to_owned(), false),
            (r#"{"alg":"RS256","kid":"a","kid":"b"}"#.to_owned(), false),
            (
                r#"{"alg":"RS256","typ":"JWT","typ":"JWT"}"#.to_owned(),
                false,
            ),
            (r#"{"alg":"RS256","other":1,"other":2}"#.to_owned(), false),
            (format!(r#"{{"alg":"RS256","x5t":"{sha1}"}}"#), true),
            (format!(r#"{{"alg":"RS256","x5t":"{sha1}="}}"#), true),
            (format!(r#"{{"alg":"RS256","x5t":"{hex}"}}"#), true),
            (format!(r#"{{"alg":"RS256","x5t#S256":"{sha256}"}}"#), true),
            (r#"{"alg":"RS256","x5t":null}"#.to_owned(), true),
            (r#"{"alg":"RS256","x5t":7}"#.to_owned(), false),
            (r#"{"alg":"RS256","x5t":""}"#.to_owned(), false),
            (r#"{"alg":"RS256","x5t":"AAAA"}"#.to_owned(), false),
            (format!(r#"{{"alg":"RS256","x5t#S256":"{sha1}"}}"#), false),
            (
                format!(r#"{{"alg":"RS256","x5t":"{}"}}"#, &sha1[..26]),
                false,
            ),
            (
                r#"{"alg":"RS256","x5t":"!!!!!!!!!!!!!!!!!!!!!!!!!!!"}"#.to_owned(),
                false,
            ),
            (r#"["alg"]"#.to_owned(), false),
        ];
        for (header, taken) in cases {
            let token = format!("{}.{}.c2ln", b64(&header), b64(r#"{"sub":"x"}"#));
            assert_eq!(inspect(&token).is_ok(), taken, "{header}");
            if taken {
                assert!(jwt_compact::UntrustedToken::new(&token).is_ok(), "{header}");
            }
        }
    }

    #[test]
    fn shape_is_checked_before_anything_else() {
        for bad in [
            "abc", "a.b", "a.b.c.d", "a..c", "a.b.c=", "a.b.c!", "....", "é.b.c",
        ] {
            assert!(inspect(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn only_rsa_algorithms_pass() {
        assert_eq!(
            inspect(&token_with_header(
                r#"{"alg":"RS256","kid":"k1","typ":"JWT"}"#
            )),
            Ok(JoseHeader {
                alg: Alg::Rs256,
                kid: Some("k1".into())
            })
        );
        for alg in ["none", "None", "NONE", "nOnE", "HS256", "ES256", "EdDSA"] {
            let t = token_with_header(&format!(r#"{{"alg":"{alg}"}}"#));
            assert!(inspect(&t).is_err(), "{alg}");
        }
        assert!(inspect(&token_with_header(r#"{"typ":"JWT"}"#)).is_err());
    }

    #[test]
    fn dangerous_header_parameters_are_refused() {
        for extra in [
            r#""crit":["exp"]"#,
            r#""jku":"https://evil.example/jwks""#,
            r#""x5u":"https://evil.example/cert""#,
            r#""jwk":{"kty":"RSA","n":"AQAB","e":"AQAB"}"#,
            r#""x5c":["MIIB"]"#,
            r#""cty":"CBOR""#,
            r#""cty":"JWT""#,
            r#""typ":"dpop+jwt""#,
            r#""kid":7"#,
        ] {
            let t = token_with_header(&format!(r#"{{"alg":"RS256",{extra}}}"#));
            assert!(inspect(&t).is_err(), "{extra}");
        }
    }

    #[test]
    fn peek_kid_reads_without_verifying() {
        let t = token_with_header(r#"{"alg":"RS256","kid":"rot-2"}"#);
        assert_eq!(peek_kid(Some(&format!("Bearer {t}"))), Some("rot-2".into()));
        assert_eq!(peek_kid(Some("Bearer nonsense")), None);
    }
}
