//! The MCP core's own cost per `tools/call`, natively: the same HTTP, JSON-RPC and tool
//! code the worker runs, minus workers-rs, wasm and the network. Run
//! `cargo run --release --example core_native [ITERATIONS]`; under
//! `valgrind --tool=callgrind` (with a small count) it gives repeatable instruction counts.
//! With `CORE_NATIVE_TOKEN=1` every call carries the same bearer token, verified by the
//! first and answered from the verified-token cache after, and a client address: the
//! worker's cached `tools/call` path with its rate-limit question and token hash.
use std::time::Instant;

use base64ct::{Base64UrlUnpadded, Encoding};
use jwt_compact::{alg::Rsa, Algorithm, AlgorithmSignature};
use rsa::pkcs8::{EncodePublicKey, LineEnding};

/// Not random at all: the same key every run, so that callgrind's counts repeat.
struct Fixed(u64);

impl rsa::rand_core::RngCore for Fixed {
    fn next_u32(&mut self) -> u32 {
        self.next_u64() as u32
    }
    fn next_u64(&mut self) -> u64 {
        // xorshift64
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn fill_bytes(&mut self, dest: &mut [u8]) {
        for chunk in dest.chunks_mut(8) {
            let n = chunk.len();
            chunk.copy_from_slice(&self.next_u64().to_le_bytes()[..n]);
        }
    }
    fn try_fill_bytes(&mut self, dest: &mut [u8]) -> Result<(), rsa::rand_core::Error> {
        self.fill_bytes(dest);
        Ok(())
    }
}

impl rsa::rand_core::CryptoRng for Fixed {}

/// A configuration that requires tokens, and a token it accepts (for `sub` "bench").
fn with_token() -> (mcp_worker::config::Config, String) {
    let key = rsa::RsaPrivateKey::new(&mut Fixed(0x9e37_79b9_7f4a_7c15), 2048).unwrap();
    let pem = key
        .to_public_key()
        .to_public_key_pem(LineEnding::LF)
        .unwrap();
    let config = mcp_worker::config::Config::from_vars(&dice_mcp::SERVER, |n| {
        (n == "JWT_PUBLIC_KEY").then(|| pem.clone())
    })
    .unwrap();
    let input = format!(
        "{}.{}",
        Base64UrlUnpadded::encode_string(br#"{"alg":"RS256","typ":"JWT"}"#),
        Base64UrlUnpadded::encode_string(
            br#"{"sub":"bench","aud":"dice-server","exp":1800003600}"#
        )
    );
    let sig = Rsa::rs256().sign(&key, input.as_bytes());
    let token = format!(
        "Bearer {input}.{}",
        Base64UrlUnpadded::encode_string(sig.as_bytes().as_ref())
    );
    (config, token)
}

fn main() {
    let token = std::env::var_os("CORE_NATIVE_TOKEN").is_some();
    // Without a token, no token checks: auth_native measures those.
    let (config, bearer) = if token {
        let (c, t) = with_token();
        (c, Some(t))
    } else {
        let c = mcp_worker::config::Config::from_vars(&dice_mcp::SERVER, |n| {
            (n == "ALLOW_UNAUTHENTICATED").then(|| "true".to_owned())
        })
        .unwrap();
        (c, None)
    };
    let body = br#"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"roll_dice","arguments":{"n_dice":3}}}"#.to_vec();
    let mut req = mcp_worker::http::HttpRequest {
        method: "POST".into(),
        base_url: "http://127.0.0.1:8787".into(),
        path: "/mcp/".into(),
        query: String::new(),
        headers: vec![
            ("content-type", "application/json"),
            ("accept", "application/json, text/event-stream"),
            ("mcp-protocol-version", "2025-11-25"),
        ]
        .into(),
        body: mcp_worker::http::Body::Bytes(body),
    };
    if let Some(t) = bearer {
        req.headers.push("authorization", &t);
        req.headers.push("cf-connecting-ip", "192.0.2.1");
    }
    for round in 0..3 {
        let n: u32 = std::env::args()
            .nth(1)
            .and_then(|a| a.parse().ok())
            .unwrap_or(200_000);
        let t = Instant::now();
        let mut ok = 0;
        for _ in 0..n {
            let r = mcp_worker::testing::handle(&dice_mcp::SERVER, &config, &req, 1_800_000_000);
            if r.status == 200 {
                ok += 1;
            }
        }
        let ns = t.elapsed().as_nanos() as f64 / n as f64;
        println!("round {round}: {ns:.0} ns per tools/call ({ok} ok)");
    }
}
