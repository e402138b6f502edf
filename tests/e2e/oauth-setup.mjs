// What the authorization-server end-to-end tests share: the person's OpenID provider
// (scripts/oauth-server.mjs, signing in "alice" at once, knowing the worker as a
// confidential client) and the worker's OAUTH_* variables pointing at it. A module of
// its own: importing a test file would run its tests.
import { generateKeyPairSync, randomBytes } from "node:crypto";
import { startAuthServer } from "../../scripts/oauth-server.mjs";

const UPSTREAM_CLIENT = "mcp-worker-test";

/** A private RSA signing key as a JWK, with `kid`. */
export function signingKeys(kid = "test-1") {
  const { privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
  return { ...privateKey.export({ format: "jwk" }), kid, alg: "RS256", use: "sig" };
}

/**
 * Starts the provider with the worker registered at it. Returns it and `vars(base)`:
 * the worker's variables as its own authorization server at `base`, the provider as
 * its upstream, "alice" and bob@example.com allowed; `extra` added.
 */
export async function startUpstream(extra = {}) {
  const secret = randomBytes(16).toString("hex");
  const upstream = await startAuthServer({
    accountId: "alice",
    clients: [{
      client_id: UPSTREAM_CLIENT,
      client_secret: secret,
      redirect_uris: ["http://127.0.0.1/oauth/callback"],
      application_type: "native",
      grant_types: ["authorization_code"],
      response_types: ["code"],
      token_endpoint_auth_method: "client_secret_basic",
    }],
  });
  const signing = JSON.stringify({ keys: [signingKeys()] });
  const sealing = randomBytes(32).toString("hex");
  const vars = (base) => ({
    ALLOW_UNAUTHENTICATED: "",
    PUBLIC_URL: base,
    OAUTH_SIGNING_KEYS: signing,
    OAUTH_SEALING_KEY: sealing,
    OAUTH_UPSTREAM_ISSUER: upstream.issuer,
    OAUTH_UPSTREAM_CLIENT_ID: UPSTREAM_CLIENT,
    OAUTH_UPSTREAM_CLIENT_SECRET: secret,
    OAUTH_ALLOWED_USERS: "alice bob@example.com",
    ...extra,
  });
  return { upstream, vars };
}
