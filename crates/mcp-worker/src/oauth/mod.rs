//! An OAuth 2.1 authorization server in the worker (the library's `oauth` feature): a
//! server declares it with [`AuthorizationServer`] and
//! `mcp::Server::authorization_server`, and its operator turns it on with the `OAUTH_*`
//! variables (docs/authorization-server.md). Each part is plain Rust tested on the host,
//! each file naming the RFC or draft section behind each rule:
//!
//! - `form`: `application/x-www-form-urlencoded` bodies and queries, read once.
//! - `error`: the OAuth errors, with their HTTP status and where each may be sent.
//! - `pkce`: RFC 7636 S256.
//! - `redirect`: redirect URIs: which a client may register, and which match.
//! - `request`: the authorization and token requests, read into typed values.
//! - `client`: clients: RFC 7591 registration metadata and Client ID Metadata Documents.
//! - `grant`: one person's grant to one client, and the object that keeps it: codes,
//!   refresh tokens rotated on every use, revocation.
//! - `token`: RFC 9068 access tokens.
//! - `metadata`: the RFC 8414 document and the endpoints' paths.
//! - `seal`: the sign-in session's cookie and registered clients' ids, sealed.
//! - `settings`: the declaration, and the settings read from the worker's variables.
//! - `pages`: the consent and error pages.
//! - `objects`: the messages between the worker and a grant's Durable Object.
//! - `json`: the readers of the server's own JSON (records, messages, sessions).
//!
//! The endpoints are the pipeline's (`http::authorization`).

/// Standard base64 (RFC 4648 §4), padded or not, as HTTP Basic credentials carry it: read
/// through the URL-safe decoder the server has anyway (one base64 decoder in the upload,
/// not three). `None` for anything else, the URL-safe characters included.
pub(crate) fn decode_standard_base64(text: &str) -> Option<Vec<u8>> {
    use base64ct::{Base64UrlUnpadded, Encoding};
    if text.contains(['-', '_']) {
        return None;
    }
    let unpadded = match text.strip_suffix("==").or_else(|| text.strip_suffix('=')) {
        Some(rest) if text.len() % 4 == 0 => rest,
        Some(_) => return None,
        None => text,
    };
    let url_safe: String = unpadded
        .chars()
        .map(|c| match c {
            '+' => '-',
            '/' => '_',
            c => c,
        })
        .collect();
    Base64UrlUnpadded::decode_vec(&url_safe).ok()
}

/// `bytes` as standard, padded base64 (RFC 4648 §4), made with the URL-safe encoder.
pub(crate) fn encode_standard_base64(bytes: &[u8]) -> String {
    use base64ct::{Base64UrlUnpadded, Encoding};
    let mut text: String = Base64UrlUnpadded::encode_string(bytes)
        .chars()
        .map(|c| match c {
            '-' => '+',
            '_' => '/',
            c => c,
        })
        .collect();
    while text.len() % 4 != 0 {
        text.push('=');
    }
    text
}

/// Equality of two secrets (or their digests) in time that depends only on their lengths,
/// which are public: where they differ is not told by how long the answer takes.
pub(crate) fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let diff = a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y));
    std::hint::black_box(diff) == 0
}

#[cfg(feature = "unstable")]
#[doc(hidden)]
pub mod client;
#[cfg(not(feature = "unstable"))]
#[allow(dead_code)]
// Parts only the tests and fuzz targets reach.
pub(crate) mod client;
#[cfg(feature = "unstable")]
#[doc(hidden)]
pub mod error;
#[cfg(not(feature = "unstable"))]
#[allow(dead_code)]
// Parts only the tests and fuzz targets reach.
pub(crate) mod error;
#[cfg(feature = "unstable")]
#[doc(hidden)]
pub mod form;
#[cfg(not(feature = "unstable"))]
#[allow(dead_code)]
// Parts only the tests and fuzz targets reach.
pub(crate) mod form;
#[cfg(feature = "unstable")]
#[doc(hidden)]
pub mod grant;
#[cfg(not(feature = "unstable"))]
#[allow(dead_code)]
// Parts only the tests and fuzz targets reach.
pub(crate) mod grant;
#[cfg(feature = "unstable")]
#[doc(hidden)]
pub mod json;
#[cfg(not(feature = "unstable"))]
#[allow(dead_code)]
pub(crate) mod json;
#[cfg(feature = "unstable")]
#[doc(hidden)]
pub mod metadata;
#[cfg(not(feature = "unstable"))]
#[allow(dead_code)]
// Parts only the tests and fuzz targets reach.
pub(crate) mod metadata;
#[cfg(feature = "unstable")]
#[doc(hidden)]
pub mod objects;
#[cfg(not(feature = "unstable"))]
#[allow(dead_code)]
// Parts only the tests and fuzz targets reach.
pub(crate) mod objects;
#[cfg(feature = "unstable")]
#[doc(hidden)]
pub mod pages;
#[cfg(not(feature = "unstable"))]
#[allow(dead_code)]
// Parts only the tests and fuzz targets reach.
pub(crate) mod pages;
#[cfg(feature = "unstable")]
#[doc(hidden)]
pub mod pkce;
#[cfg(not(feature = "unstable"))]
#[allow(dead_code)]
// Parts only the tests and fuzz targets reach.
pub(crate) mod pkce;
#[cfg(feature = "unstable")]
#[doc(hidden)]
pub mod redirect;
#[cfg(not(feature = "unstable"))]
#[allow(dead_code)]
// Parts only the tests and fuzz targets reach.
pub(crate) mod redirect;
#[cfg(feature = "unstable")]
#[doc(hidden)]
pub mod request;
#[cfg(not(feature = "unstable"))]
#[allow(dead_code)]
// Parts only the tests and fuzz targets reach.
pub(crate) mod request;
#[cfg(feature = "unstable")]
#[doc(hidden)]
pub mod seal;
#[cfg(not(feature = "unstable"))]
#[allow(dead_code)]
// Parts only the tests and fuzz targets reach.
pub(crate) mod seal;
#[cfg(feature = "unstable")]
#[doc(hidden)]
pub mod settings;
#[cfg(not(feature = "unstable"))]
#[allow(dead_code)]
// Parts only the tests and fuzz targets reach.
pub(crate) mod settings;
#[cfg(feature = "unstable")]
#[doc(hidden)]
pub mod token;
#[cfg(not(feature = "unstable"))]
#[allow(dead_code)]
// Parts only the tests and fuzz targets reach.
pub(crate) mod token;

pub use crate::mcp::AuthorizationServer;

#[cfg(test)]
mod tests {
    use base64ct::{Base64, Base64Unpadded, Encoding};

    #[test]
    fn standard_base64_reads_and_writes_as_the_standard_codecs_do() {
        // Every length up to a few blocks, with bytes that give '+' and '/'.
        for len in 0..20usize {
            let bytes: Vec<u8> = (0..len)
                .map(|i| (i as u8).wrapping_mul(97) ^ 0xfb)
                .collect();
            let padded = Base64::encode_string(&bytes);
            assert_eq!(super::encode_standard_base64(&bytes), padded);
            assert_eq!(super::decode_standard_base64(&padded), Some(bytes.clone()));
            let unpadded = Base64Unpadded::encode_string(&bytes);
            assert_eq!(
                super::decode_standard_base64(&unpadded),
                Some(bytes.clone())
            );
        }
        for bad in [
            "YQ=", "YQ===", "Y===", "YWI==", "YQ=A", "a-b_", "YR==", "Y", "*abc",
        ] {
            assert_eq!(
                super::decode_standard_base64(bad),
                Base64::decode_vec(bad)
                    .or_else(|_| Base64Unpadded::decode_vec(bad))
                    .ok(),
                "{bad}"
            );
        }
    }
}
