// The authorization server in the worker (docs/authorization-server.md), end to end: the
// fixture worker in workerd with its OAUTH_* variables set, oidc-provider
// (scripts/oauth-server.mjs) as the person's OpenID provider, and OAuth clients we did
// not write: the MCP TypeScript SDK's client, through a headless browser that follows
// the redirects and answers the consent form.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { generateKeyPairSync, randomBytes, createHash } from "node:crypto";
import { startFixture } from "./harness.mjs";
import { HeadlessClient, connect, signInHeadless, startAuthServer, REDIRECT } from "../../scripts/oauth-server.mjs";

const UPSTREAM_CLIENT = "mcp-worker-test";
const UPSTREAM_SECRET = randomBytes(16).toString("hex");
let upstream, worker, base;

export function signingKeys(kid = "test-1") {
  const { privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
  return { ...privateKey.export({ format: "jwk" }), kid, alg: "RS256", use: "sig" };
}

before(async () => {
  upstream = await startAuthServer({
    accountId: "alice",
    clients: [{
      client_id: UPSTREAM_CLIENT,
      client_secret: UPSTREAM_SECRET,
      redirect_uris: ["http://127.0.0.1/oauth/callback"],
      application_type: "native",
      grant_types: ["authorization_code"],
      response_types: ["code"],
      token_endpoint_auth_method: "client_secret_basic",
    }],
  });
  worker = await startFixture({
    vars: (b) => ({
      ALLOW_UNAUTHENTICATED: "",
      PUBLIC_URL: b,
      OAUTH_SIGNING_KEYS: JSON.stringify({ keys: [signingKeys()] }),
      OAUTH_SEALING_KEY: randomBytes(32).toString("hex"),
      OAUTH_UPSTREAM_ISSUER: upstream.issuer,
      OAUTH_UPSTREAM_CLIENT_ID: UPSTREAM_CLIENT,
      OAUTH_UPSTREAM_CLIENT_SECRET: UPSTREAM_SECRET,
      OAUTH_ALLOWED_USERS: "alice bob@example.com",
    }),
  });
  base = worker.base;
});

after(async () => {
  await worker?.stop();
  await upstream?.stop();
});

const roll = { name: "roll_dice", arguments: { n_dice: 2 } };

test("DCR sign-in from nothing: 401, metadata, registration, upstream login, consent, token, tools", async () => {
  const p = new HeadlessClient();
  const { client } = await connect(p, `${base}/mcp/`);
  try {
    const auth = new URL(p.authorizations[0]);
    assert.equal(auth.origin, base, "the worker is its own authorization server");
    assert.equal(auth.searchParams.get("code_challenge_method"), "S256");
    const { header, claims } = p.token();
    assert.equal(header.typ, "at+jwt");
    assert.equal(claims.iss, base);
    assert.equal(claims.sub, "alice");
    assert.equal(claims.aud, `${base}/mcp/`);
    assert.equal(claims.client_id, p.client.client_id);
    assert.ok(claims.exp - claims.iat <= 3600);
    assert.ok(p.saved.refresh_token, "a refresh token for a client registered for refresh_token");
    const { tools } = await client.listTools();
    assert.ok(tools.some((t) => t.name === "roll_dice"));
    const result = await client.callTool(roll);
    assert.notEqual(result.isError, true);
  } finally {
    await client.close();
  }
});

test("the refresh token rotates, and a replayed one ends the grant", async () => {
  const p = new HeadlessClient();
  const { client } = await connect(p, `${base}/mcp/`);
  await client.close();
  const first = p.saved.refresh_token;
  const refresh = (token) =>
    fetch(`${base}/token`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ grant_type: "refresh_token", refresh_token: token, client_id: p.client.client_id }),
    });
  const r1 = await refresh(first);
  assert.equal(r1.status, 200, await r1.clone().text());
  const second = (await r1.json()).refresh_token;
  assert.notEqual(second, first);
  const replay = await refresh(first);
  assert.equal(replay.status, 400);
  assert.equal((await replay.json()).error, "invalid_grant");
  const after = await refresh(second);
  assert.equal(after.status, 400, "the replay ended the whole grant, the new token with it");
});

test("a denial goes back to the client as access_denied with state and iss", async () => {
  const p = new HeadlessClient({ decision: "deny" });
  await assert.rejects(connect(p, `${base}/mcp/`), /access_denied/);
});
