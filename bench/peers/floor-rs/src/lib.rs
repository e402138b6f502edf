//! BENCHMARK PEER, not part of dice-mcp: the workers-rs floor. Reads the body and answers
//! a fixed JSON-RPC result, checking nothing: what a Rust worker costs per request before
//! it does any work of its own (workers-rs's request and response glue, wasm-bindgen).

#[cfg(target_arch = "wasm32")]
const BODY: &str = r#"{"jsonrpc":"2.0","id":1,"result":{"content":[{"type":"text","text":"{\"result\":[3,1,4]}"}],"structuredContent":{"result":[3,1,4]},"isError":false}}"#;

#[cfg(target_arch = "wasm32")]
#[worker::event(fetch)]
async fn fetch(
    mut req: worker::Request,
    _env: worker::Env,
    _ctx: worker::Context,
) -> worker::Result<worker::Response> {
    req.bytes().await?;
    let headers = worker::Headers::new();
    headers.set("content-type", "application/json")?;
    Ok(worker::Response::builder()
        .with_headers(headers)
        .fixed(BODY.as_bytes().to_vec()))
}
