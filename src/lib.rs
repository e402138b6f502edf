//! dice-mcp: a stateless MCP server with a `roll_dice` tool, for Cloudflare Workers.
//!
//! This file is the only one that knows workers-rs: it turns a `worker::Request` into an
//! [`http::Request`], calls [`http::handle`], and turns the answer back. Everything else
//! is plain Rust, tested on the host with `cargo test`.

pub mod config;
pub mod http;
pub mod mcp;
pub mod tools;

#[cfg(target_arch = "wasm32")]
mod entry {
    use std::sync::{Once, OnceLock};

    use futures_util::StreamExt;
    use worker::{event, Context, Env, Headers, Request, Response, Result};

    use crate::config::{Config, ConfigError};
    use crate::http::{self, Body, MAX_BODY_BYTES};

    /// Read once per isolate: variables cannot change without a new deployment.
    static CONFIG: OnceLock<std::result::Result<Config, ConfigError>> = OnceLock::new();
    static PANIC_HOOK: Once = Once::new();

    #[event(fetch)]
    async fn fetch(mut req: Request, env: Env, _ctx: Context) -> Result<Response> {
        PANIC_HOOK.call_once(chain_panic_hook);
        let config = CONFIG.get_or_init(|| {
            let loaded = Config::from_vars(|name| env.var(name).ok().map(|v| v.to_string()));
            if let Err(e) = &loaded {
                worker::console_error!(
                    "dice-mcp: {e}; every request will get 500 until it is fixed"
                );
            }
            loaded
        });
        let response = match config {
            Ok(config) => http::handle(config, &read_request(&mut req).await?),
            Err(e) => http::config_error(e),
        };
        into_worker(response)
    }

    /// worker's own hook (installed at start) marks the instance for re-initialisation
    /// after a panic; keep it, and add the readable message and stack from
    /// console_error_panic_hook in front of it.
    fn chain_panic_hook() {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            console_error_panic_hook::hook(info);
            previous(info);
        }));
    }

    async fn read_request(req: &mut Request) -> Result<http::Request> {
        let headers: Vec<(String, String)> = req.headers().entries().collect();
        let method = req.method().to_string();
        let body = if method == "POST" {
            read_body(req).await?
        } else {
            Body::default()
        };
        Ok(http::Request {
            method,
            path: req.path(),
            headers,
            body,
        })
    }

    /// Reads at most MAX_BODY_BYTES, stopping as soon as the body proves longer.
    async fn read_body(req: &mut Request) -> Result<Body> {
        let declared = req
            .headers()
            .get("content-length")?
            .and_then(|v| v.trim().parse::<u64>().ok());
        if declared.is_some_and(|n| n > MAX_BODY_BYTES as u64) {
            return Ok(Body::TooLarge);
        }
        if req.inner().body().is_none() {
            return Ok(Body::default());
        }
        let mut stream = req.stream()?;
        let mut bytes = Vec::with_capacity(declared.unwrap_or(0) as usize);
        while let Some(chunk) = stream.next().await {
            let chunk = chunk?;
            if bytes.len() + chunk.len() > MAX_BODY_BYTES {
                return Ok(Body::TooLarge);
            }
            bytes.extend_from_slice(&chunk);
        }
        Ok(Body::Bytes(bytes))
    }

    fn into_worker(response: http::Response) -> Result<Response> {
        let headers = Headers::new();
        for (name, value) in &response.headers {
            headers.append(name, value)?;
        }
        let builder = Response::builder()
            .with_status(response.status)
            .with_headers(headers);
        Ok(if response.body.is_empty() {
            builder.empty()
        } else {
            builder.fixed(response.body)
        })
    }
}
