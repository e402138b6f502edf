//! dice-mcp: a stateless MCP server with one tool, `roll_dice`, for Cloudflare Workers;
//! an app on the `mcp-worker` library (crates/mcp-worker).

pub mod dice;

use mcp_worker::mcp::Server;
use mcp_worker::resources;
use mcp_worker::tools::Registry;

/// What the model is told about using the server.
pub const INSTRUCTIONS: &str = "Call roll_dice with n_dice (1 to 100) to roll fair six-sided dice; the results come back as a list of integers.";

/// The server's tools, in the order `tools/list` returns them.
pub static TOOLS: Registry = Registry::new(&[&dice::RollDice]);

/// roll_dice's view (MCP Apps) is the one resource.
pub static RESOURCES: resources::Registry = resources::Registry::new(&[&dice::VIEW], &[]);

/// The dice server. No prompts, no skills, no log messages, no tasks: roll_dice answers
/// at once.
pub static SERVER: Server = with_oauth(Server::new("dice-mcp", env!("CARGO_PKG_VERSION")))
    .title("Dice Roller")
    // The seed's tokens (FastMCP's RSAKeyPair.create_token(audience="dice-server")).
    .audience("dice-server")
    .instructions(INSTRUCTIONS)
    .tools(&TOOLS)
    .resources(&RESOURCES);

/// The worker's allocator: dlmalloc with freed small blocks kept by size class
/// (`mcp_worker`'s `alloc` module), measured faster for this server's small answers.
#[cfg(all(target_arch = "wasm32", feature = "entry"))]
#[global_allocator]
static ALLOCATOR: mcp_worker::alloc::SizeClasses<std::alloc::System> =
    mcp_worker::alloc::SizeClasses::new(std::alloc::System);

// The worker's entry. A crate that serves roll_dice in a worker of its own (the
// conformance fixture worker) turns the `entry` feature off.
#[cfg(feature = "entry")]
mcp_worker::entry!(SERVER);

// The authorization server (the `oauth` feature, off in the product): with it, the
// server is its own OAuth 2.1 authorization server once its `OAUTH_*` variables are set
// (`npm run dev -- --oauth` sets them); without them it serves as the product does.
// (Declared below the entry, so that the product's build is the same to the byte: panic
// locations in the entry name its line.)

/// Without the `oauth` feature (the product): the server as it is.
#[cfg(not(feature = "oauth"))]
const fn with_oauth(server: Server) -> Server {
    server
}

/// With the `oauth` feature: the server is also an authorization server.
#[cfg(feature = "oauth")]
const fn with_oauth(server: Server) -> Server {
    server.authorization_server(&AUTHORIZATION)
}

/// Grants live in the Durable Objects bound as `OAUTH_GRANTS` (wrangler.oauth.toml), of
/// the class `GrantObject` below. Errors before consent go straight back to clients
/// whose redirect URIs are on these hosts (or on loopback); any other client sees them
/// on the server's own page, so it is never an open redirector.
#[cfg(feature = "oauth")]
static AUTHORIZATION: mcp_worker::oauth::AuthorizationServer =
    mcp_worker::oauth::AuthorizationServer::new("OAUTH_GRANTS").trust_redirect_hosts(&[
        "chatgpt.com",
        "claude.ai",
        "claude.com",
    ]);

// The Durable Object class that keeps the authorization server's grants.
#[cfg(all(target_arch = "wasm32", feature = "entry", feature = "oauth"))]
mcp_worker::grant_object!(GrantObject);

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_server_is_valid_and_serves_roll_dice_s_view() {
        SERVER.assert_valid();
    }

    #[test]
    fn the_tools_are_valid_and_mirror_no_argument() {
        TOOLS.assert_valid();
        let page = TOOLS.page(None).unwrap();
        assert!(page.next_cursor.is_none());
        assert!(page.tools.iter().all(|(_, d)| d.param_headers.is_empty()));
        assert_eq!(
            TOOLS.get("roll_dice").unwrap().1.input_schema["required"],
            json!(["n_dice"])
        );
    }
}
