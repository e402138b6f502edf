//! The MCP core's own cost per `tools/call`, natively: the same HTTP, JSON-RPC and tool
//! code the worker runs, minus workers-rs, wasm and the network. Run
//! `cargo run --release --example core_native [ITERATIONS]`; under
//! `valgrind --tool=callgrind` (with a small count) it gives repeatable instruction counts.
use std::time::Instant;
fn main() {
    // No token checks here: auth_native measures those.
    let config = dice_mcp::config::Config::from_vars(|n| {
        (n == "ALLOW_UNAUTHENTICATED").then(|| "true".to_owned())
    })
    .unwrap();
    let body = br#"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"roll_dice","arguments":{"n_dice":3}}}"#.to_vec();
    let req = dice_mcp::http::HttpRequest {
        method: "POST".into(),
        base_url: "http://127.0.0.1:8787".into(),
        path: "/mcp/".into(),
        headers: vec![
            ("content-type".into(), "application/json".into()),
            (
                "accept".into(),
                "application/json, text/event-stream".into(),
            ),
            ("mcp-protocol-version".into(), "2025-11-25".into()),
        ],
        body: dice_mcp::http::Body::Bytes(body),
    };
    for round in 0..3 {
        let n: u32 = std::env::args()
            .nth(1)
            .and_then(|a| a.parse().ok())
            .unwrap_or(200_000);
        let t = Instant::now();
        let mut ok = 0;
        for _ in 0..n {
            let r = dice_mcp::testing::handle(&config, &req, 1_800_000_000);
            if r.status == 200 {
                ok += 1;
            }
        }
        let ns = t.elapsed().as_nanos() as f64 / n as f64;
        println!("round {round}: {ns:.0} ns per tools/call ({ok} ok)");
    }
}
