//! Who may come in: authentication and its challenges, the RFC 9728 metadata, the rate
//! limits, and the scope refusals of a call.

use super::*;

pub(super) fn base_url<'a>(config: &'a Config, req: &'a HttpRequest) -> &'a str {
    config.public_url.as_deref().unwrap_or(&req.base_url)
}

pub(super) fn protected_resource_metadata(
    server: &Server,
    config: &Config,
    req: &HttpRequest,
    resource_path: &str,
) -> Response {
    let Auth::Bearer(auth) = &config.auth else {
        return Response::json(
            404,
            &json!({
                "error": "not_found",
                "error_description": "This server does not require authorization (ALLOW_UNAUTHENTICATED=true).",
            }),
        );
    };
    match req.method.as_str() {
        "GET" | "HEAD" => {
            let resource = format!("{}{}", base_url(config, req), resource_path);
            let doc = metadata::document(
                &resource,
                server.title,
                &config.authorization_servers,
                &all_scopes(&auth.policy.required_scopes, &server.scopes()),
            );
            Response::json(200, &doc).with("cache-control", "public, max-age=3600")
        }
        "OPTIONS" => Response::new(204)
            .with("allow", "GET, HEAD, OPTIONS")
            .with("access-control-allow-methods", "GET, HEAD, OPTIONS")
            .with("access-control-max-age", "86400"),
        _ => Response::json(405, &json!({"error": "method_not_allowed"}))
            .with("allow", "GET, HEAD, OPTIONS"),
    }
}

/// The scopes every token needs followed by `more`, each once.
fn all_scopes(required: &[String], more: &[&str]) -> Vec<String> {
    let mut all = required.to_vec();
    for s in more {
        if !all.iter().any(|a| a == s) {
            all.push((*s).to_owned());
        }
    }
    all
}

/// The `401`/`403`/`503` for a refused request, with the RFC 6750 challenge pointing at
/// the protected resource metadata (RFC 9728 section 5.1).
fn auth_failure(
    server: &Server,
    config: &Config,
    req: &HttpRequest,
    err: &AuthError,
    scopes: &[String],
) -> Response {
    // The metadata of the path the client used, so that its `resource` is the URL the
    // user typed (2025-11-25 basic/authorization "Protected Resource Metadata Discovery
    // Requirements"; Claude compares the two exactly).
    let path = if server.serves(&req.path) {
        Cow::Borrowed(req.path.as_str())
    } else {
        Cow::Owned(format!("{}/", server.endpoint_path()))
    };
    let mut challenge = format!(
        "Bearer resource_metadata=\"{}\"",
        metadata::url_for(base_url(config, req), &path)
    );
    // A quoted-string may not hold quotes, backslashes or control characters, and a header
    // value must be ASCII: client-supplied text in a reason is folded to '?'.
    let quoted = |s: &str| -> String {
        s.chars()
            .map(|c| match c {
                '"' | '\\' => '\'',
                c if c == ' ' || c.is_ascii_graphic() => c,
                _ => '?',
            })
            .collect()
    };
    let (status, code) = match err {
        AuthError::Missing | AuthError::WrongScheme => (401, "invalid_request"),
        AuthError::Invalid(_) => (401, "invalid_token"),
        AuthError::InsufficientScope { .. } => (403, "insufficient_scope"),
        AuthError::KeysUnavailable | AuthError::VerifierFailed => (503, "temporarily_unavailable"),
    };
    if !scopes.is_empty() {
        challenge.push_str(&format!(", scope=\"{}\"", quoted(&scopes.join(" "))));
    }
    // RFC 6750 section 3.1: no error code when the request carried no credentials.
    if matches!(
        err,
        AuthError::Invalid(_) | AuthError::InsufficientScope { .. }
    ) {
        challenge.push_str(&format!(
            ", error=\"{code}\", error_description=\"{}\"",
            quoted(&err.to_string())
        ));
    }
    let mut response = Response::json(
        status,
        &json!({ "error": code, "error_description": err.to_string() }),
    )
    .with("www-authenticate", challenge);
    if status == 503 {
        response = response.with("retry-after", "10");
    }
    response.log.auth = AuthOutcome::Refused(code);
    response.log.reason = Some(err.to_string());
    response
}

/// Rate limits, then the token, for a POST to the MCP endpoint from an allowed origin
/// (see [`crate::ratelimit`]): the limit its cost calls for, the key set when one is due,
/// the check, and a forged token counted against its address. The token is hashed once,
/// for the limiter's question and the check alike.
pub(super) async fn authenticate(
    server: &Server,
    config: &Config,
    auth: &Authenticator,
    req: &HttpRequest,
    body: Option<&mcp::post::PostBody<'_>>,
    now: i64,
    platform: &dyn Host,
) -> Result<Authenticated, Response> {
    let authorization = req.header("authorization");
    let credentials = Credentials::read(authorization);
    let cost = auth.cost(&credentials, now);
    let calls_a_tool = || body.is_some_and(mcp::post::PostBody::calls_a_tool);
    let check = ratelimit::check(&cost, req.header("cf-connecting-ip"), calls_a_tool);
    if let Some(check) = &check {
        let refused = match check.limit {
            // No binding call: a valid token must not be counted.
            Limit::Address => ratelimit::is_blocked(&check.key, now),
            Limit::Caller => refused_by(platform, check).await,
        };
        if refused {
            return Err(rate_limited(req, check.limit));
        }
    }
    refresh_keys(auth, authorization, now, platform).await;
    let checked = match cost {
        Cost::Known(principal) => auth.check_known(principal),
        _ => {
            auth.check_credentials(&credentials, now, platform.verifier())
                .await
        }
    };
    let refusal = match checked {
        Ok(authenticated) => return Ok(authenticated),
        Err(r) => r,
    };
    if let Some(check) = check.filter(|c| refusal.forged && c.limit == Limit::Address) {
        // Counted after the fact (the binding cannot be asked without counting): once it
        // refuses, this address's next new tokens are refused before any verification.
        if refused_by(platform, &check).await {
            ratelimit::block(&check.key, now);
        }
    }
    let mut response = auth_failure(
        server,
        config,
        req,
        &refusal.error,
        &auth.policy.required_scopes,
    );
    response.log.remembered = refusal.remembered;
    Err(response)
}

/// Counts `check.key` in its binding; true when the binding refuses it. A missing
/// binding limits nothing (said once, when the configuration is read); a failing one lets
/// the request through: the limit saves cost, it is not access control.
async fn refused_by(platform: &dyn Host, check: &Check) -> bool {
    match platform.rate_limit(check.limit.binding(), &check.key).await {
        Limiter::Refused => true,
        Limiter::Allowed | Limiter::Unbound => false,
        Limiter::Failed(e) => {
            platform.console(
                Severity::Error,
                &format!(
                    "the {} rate limiter failed, request served unlimited: {e}",
                    check.limit.binding()
                ),
            );
            false
        }
    }
}

/// Fetches the identity provider's key set when the authenticator says one is due.
pub(super) async fn refresh_keys(
    auth: &Authenticator,
    authorization: Option<&str>,
    now: i64,
    platform: &dyn Host,
) {
    let Some(url) = auth.jwks_fetch_due(authorization, now) else {
        return;
    };
    let result = platform.fetch_key_set(&url).await;
    for line in auth.jwks_fetched(result, now) {
        platform.console(Severity::Warning, &line);
    }
}

/// The `429` for a request a rate limit refused (see [`crate::ratelimit`]): a JSON-RPC
/// error that says what to do, and `Retry-After`.
fn rate_limited(req: &HttpRequest, limit: Limit) -> Response {
    let message = limit.to_string();
    let err = RpcError {
        code: RATE_LIMITED,
        message: message.clone(),
        data: Some(json!({ "limit": limit.as_str(), "retryAfterSeconds": RETRY_AFTER_SECS })),
    };
    let body = wire::error(None, &err, request_era(req));
    let mut response =
        Response::message(429, body).with("retry-after", RETRY_AFTER_SECS.to_string());
    response.log.rpc_error = Some(RATE_LIMITED);
    response.log.rate_limited = Some(limit.as_str());
    response.log.auth = match limit {
        Limit::Address => AuthOutcome::RateLimited,
        // Only a token verified earlier meets the per-caller limit.
        Limit::Caller => AuthOutcome::Cached,
    };
    response.log.reason = Some(message);
    response
}

/// What the log says of a request that passed authentication.
pub(super) fn outcome_of(authenticated: &Authenticated) -> AuthOutcome {
    if authenticated.cached {
        AuthOutcome::Cached
    } else {
        AuthOutcome::Verified
    }
}

/// The `403` for a call whose tool needs scopes the token lacks. The challenge names the
/// scopes every token needs plus the tool's, so that a client stepping up keeps what it
/// had (2025-11-25 basic/authorization "Scope Challenge Handling", recommended approach).
pub(super) fn scope_challenge(
    server: &Server,
    config: &Config,
    req: &HttpRequest,
    scopes: &mcp::MissingScopes,
) -> Response {
    let required = match &config.auth {
        Auth::Bearer(auth) => &auth.policy.required_scopes[..],
        Auth::Disabled => &[],
    };
    let err = AuthError::InsufficientScope {
        missing: scopes.missing.join(" "),
    };
    auth_failure(
        server,
        config,
        req,
        &err,
        &all_scopes(required, scopes.tool),
    )
}

/// The id of a `tools/call` sent by ChatGPT, which marks its calls with `openai/…` keys
/// in `params._meta` (`openai/userAgent`, `openai/locale`: OpenAI Apps SDK reference,
/// "_meta fields the client provides"). Only a single message, never a batch.
pub(super) fn chatgpt_tool_call(body: &[u8]) -> Option<jsonrpc::Id> {
    let message: Value = serde_json::from_slice(body).ok()?;
    if message.get("method")?.as_str()? != "tools/call" {
        return None;
    }
    let meta = message.get("params")?.get("_meta")?.as_object()?;
    if !meta.keys().any(|k| k.starts_with("openai/")) {
        return None;
    }
    jsonrpc::Id::from_value(message.get("id")?)
}

/// ChatGPT asks the user to link the account again, with more scopes, when a tool's
/// *result* is an error carrying the challenge in `_meta["mcp/www_authenticate"]`
/// (OpenAI Apps SDK, "Triggering authentication UI"); MCP clients step up on the 403
/// itself (2025-11-25 basic/authorization "Scope Challenge Handling"). So ChatGPT gets
/// this tool error, with the same challenge, and every other client the 403.
pub(super) fn scope_tool_error(
    server: &Server,
    req: &HttpRequest,
    challenge: Response,
    id: &jsonrpc::Id,
    format: Option<Format>,
) -> Response {
    let value = challenge
        .header("www-authenticate")
        .unwrap_or("")
        .to_owned();
    let version = req
        .header("mcp-protocol-version")
        .and_then(Version::parse)
        .unwrap_or(Version::LATEST_LEGACY);
    let text = format!(
        "{}. Sign in again and grant it to use this tool.",
        challenge
            .log
            .reason
            .as_deref()
            .unwrap_or("a scope is missing")
    );
    let mut meta = serde_json::Map::new();
    meta.insert("mcp/www_authenticate".into(), json!([value]));
    let result = WithMeta(&CallResult::error(text), meta);
    let body = wire::result(id, &result, &server.info(), version);
    let mut response = match format {
        Some(Format::Sse) => sse(200, &body),
        _ => Response::message(200, body),
    };
    response.log = challenge.log;
    response.log.tool_error = true;
    response
}
