//! Native (host) cost of authenticating one request: a cache hit versus a full RS256
//! verification, through the same `Authenticator` the worker uses. Reports numbers only.
//! Run: cargo run --release --example auth_native

use std::time::Instant;

use base64ct::{Base64UrlUnpadded, Encoding};
use jwt_compact::{alg::Rsa, Algorithm, AlgorithmSignature};
use mcp_worker::auth::{keys::KeySet, policy::ClaimPolicy, Authenticator};
use rsa::pkcs8::{EncodePublicKey, LineEnding};
use rsa::RsaPrivateKey;

fn main() {
    let key = RsaPrivateKey::new(&mut rsa::rand_core::OsRng, 2048).unwrap();
    let pem = key
        .to_public_key()
        .to_public_key_pem(LineEnding::LF)
        .unwrap();
    let policy = ClaimPolicy {
        audiences: vec!["dice-server".into()],
        issuer: None,
        required_scopes: Vec::new().into(),
        leeway_secs: 60,
    };
    let now = 1_800_000_000i64;
    let mint = |i: usize| {
        let claims = format!(
            r#"{{"aud":"dice-server","exp":{},"jti":"t{i}"}}"#,
            now + 3600
        );
        let input = format!(
            "{}.{}",
            Base64UrlUnpadded::encode_string(br#"{"alg":"RS256","typ":"JWT"}"#),
            Base64UrlUnpadded::encode_string(claims.as_bytes())
        );
        let sig = Rsa::rs256().sign(&key, input.as_bytes());
        format!(
            "Bearer {input}.{}",
            Base64UrlUnpadded::encode_string(sig.as_bytes().as_ref())
        )
    };
    const N: usize = 2000;
    let fresh: Vec<String> = (0..N).map(mint).collect();
    let auth = Authenticator::new(Some(KeySet::parse(&pem).unwrap().0), None, policy);

    let t = Instant::now();
    for h in &fresh {
        auth.authenticate(Some(h), now).unwrap();
    }
    let full = t.elapsed() / N as u32;

    // The cache holds 256 tokens; hit the most recent ones.
    let hot = &fresh[N - 100..];
    let t = Instant::now();
    for _ in 0..100 {
        for h in hot {
            auth.authenticate(Some(h), now).unwrap();
        }
    }
    let hit = t.elapsed() / (100 * hot.len()) as u32;
    println!("native, {N} fresh tokens: full verification {full:?} per request");
    println!("native, 10,000 repeats:   cache hit {hit:?} per request");

    // What a cache hit pays for its key: the token's SHA-256, taken once per request and
    // shared by the rate limiter's cost question and the check (auth::Credentials).
    let bearer = hot[0].trim_start_matches("Bearer ");
    let t = Instant::now();
    let mut sink = 0u8;
    for _ in 0..10_000 {
        sink ^= mcp_worker::auth::cache::digest(std::hint::black_box(bearer))[0];
    }
    let hash = t.elapsed() / 10_000;
    println!(
        "native, 10,000 repeats:   SHA-256 of the {}-byte token {hash:?} ({sink})",
        bearer.len()
    );
}
