//! An OAuth 2.1 authorization server for the worker (the library's `oauth` feature): the
//! parts that decide, each plain Rust tested on the host, each file naming the RFC or
//! draft section behind each rule. Nothing serves them yet: the endpoints, the sign-in
//! through an upstream OpenID provider, the consent page and the grants' Durable Object
//! class are the next step.
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

/// Equality of two secrets (or their digests) in time that depends only on their lengths,
/// which are public: where they differ is not told by how long the answer takes.
pub(crate) fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let diff = a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y));
    std::hint::black_box(diff) == 0
}

pub mod client;
pub mod error;
pub mod form;
pub mod grant;
pub mod metadata;
pub mod pkce;
pub mod redirect;
pub mod request;
pub mod token;
