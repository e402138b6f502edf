//! The names of the worker variables and secrets the library reads (`[vars]` in
//! `wrangler.toml`, `wrangler secret put`, `.dev.vars`). docs/configuration.md says what
//! each takes and what it defaults to; a value that cannot be used stops the worker at
//! its first request with a message naming the variable.

/// Secret: the PEM public key, JWK or JWKS that verifies tokens.
pub const JWT_PUBLIC_KEY: &str = "JWT_PUBLIC_KEY";
/// The https URL of an identity provider's key set (JWKS).
pub const JWT_JWKS_URL: &str = "JWT_JWKS_URL";
/// The audiences a token may carry, space-separated.
pub const JWT_AUDIENCE: &str = "JWT_AUDIENCE";
/// The issuer tokens must carry, exactly.
pub const JWT_ISSUER: &str = "JWT_ISSUER";
/// Space-separated scopes every token must grant.
pub const REQUIRED_SCOPES: &str = "REQUIRED_SCOPES";
/// The clock skew allowed for `nbf` and `iat`, in seconds (0 to 300).
pub const JWT_LEEWAY_SECONDS: &str = "JWT_LEEWAY_SECONDS";
/// `true` serves without tokens when no key is set.
pub const ALLOW_UNAUTHENTICATED: &str = "ALLOW_UNAUTHENTICATED";
/// The authorization servers the RFC 9728 metadata names, space-separated.
pub const AUTHORIZATION_SERVERS: &str = "AUTHORIZATION_SERVERS";
/// The origin users reach the server at: the base of the metadata, the challenges and,
/// by default, the audience.
pub const PUBLIC_URL: &str = "PUBLIC_URL";
/// Secret: at least 32 characters of random text that seal an input round's
/// `requestState`; required by a server with something that asks the client for input.
pub const INPUT_STATE_KEY: &str = "INPUT_STATE_KEY";
/// The browser origins allowed to call the server.
pub const ALLOWED_ORIGINS: &str = "ALLOWED_ORIGINS";

// The authorization server in the worker (the library's `oauth` feature and
// `mcp::Server::authorization_server`; docs/authorization-server.md). Any one set turns
// it on, and then each is required.

/// Secret: the JWKS of the private RSA keys that sign access tokens, newest first.
pub const OAUTH_SIGNING_KEYS: &str = "OAUTH_SIGNING_KEYS";
/// Secret: at least 32 characters of random text, without spaces, that seal sign-in
/// sessions and the ids of registered clients and tag grant ids; several such keys
/// separated by spaces during a rotation, the one that seals first.
pub const OAUTH_SEALING_KEY: &str = "OAUTH_SEALING_KEY";
/// The OpenID provider people sign in at: its issuer URL.
pub const OAUTH_UPSTREAM_ISSUER: &str = "OAUTH_UPSTREAM_ISSUER";
/// This server's client id at the OpenID provider.
pub const OAUTH_UPSTREAM_CLIENT_ID: &str = "OAUTH_UPSTREAM_CLIENT_ID";
/// Secret: this server's client secret at the OpenID provider.
pub const OAUTH_UPSTREAM_CLIENT_SECRET: &str = "OAUTH_UPSTREAM_CLIENT_SECRET";
/// Who may sign in: e-mail addresses (verified by the provider) and subjects,
/// space-separated, or `*` for anyone the provider signs in.
pub const OAUTH_ALLOWED_USERS: &str = "OAUTH_ALLOWED_USERS";
