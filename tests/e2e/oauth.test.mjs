// Signing in end to end, as ChatGPT, Claude and the MCP SDKs do it: a real authorization
// server (oidc-provider, scripts/oauth-server.mjs) and the MCP TypeScript SDK's client
// with an OAuthClientProvider, against the fixture worker in workerd. The client starts
// from nothing: 401 → our protected resource metadata → the AS's metadata → registration
// → authorization code with PKCE S256 and `resource` → token → tools/list, tools/call.
// The AS's login and consent are answered by code (no browser, no person).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import https from "node:https";
import { once } from "node:events";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { UnauthorizedError } from "@modelcontextprotocol/sdk/client/auth.js";
import { startFixture, startWorker } from "./harness.mjs";
import { newKey } from "./tokens.mjs";
import { post, rpc } from "./client.mjs";
import { startAuthServer, HeadlessClient, connect, clientMetadata } from "../../scripts/oauth-server.mjs";

const OTHER = "https://other.example/mcp"; // a resource server of the same AS that is not us
let as, fixture, base, devBase, cimd, cimdBase, cimdUrl, tmp;

before(async () => {
  // Client ID Metadata Documents must be https URLs (the draft, oidc-provider and the SDK
  // all insist), so the client's document is served over TLS on loopback, with a
  // certificate made now and trusted only by the AS.
  tmp = mkdtempSync(path.join(tmpdir(), "dice-mcp-oauth-"));
  execFileSync("openssl", [
    "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1",
    "-addext", "subjectAltName=IP:127.0.0.1",
    "-keyout", path.join(tmp, "key.pem"), "-out", path.join(tmp, "cert.pem"),
  ], { stdio: "ignore" });
  const cert = readFileSync(path.join(tmp, "cert.pem"));
  // Two clients' documents: one that may refresh, one that may not.
  cimd = https.createServer({ key: readFileSync(path.join(tmp, "key.pem")), cert }, (req, res) => {
    const refresh = !req.url.includes("no-refresh");
    res.writeHead(200, { "content-type": "application/json" });
    res.end(JSON.stringify({ ...clientMetadata({ refresh }), client_id: `${cimdBase}${req.url}` }));
  });
  cimd.listen(0, "127.0.0.1");
  await once(cimd, "listening");
  cimdBase = `https://127.0.0.1:${cimd.address().port}`;
  cimdUrl = `${cimdBase}/oauth/client.json`;

  as = await startAuthServer({
    resources: () => [base, devBase].filter(Boolean).flatMap((b) => [`${b}/mcp/`, `${b}/mcp`]).concat(OTHER),
    scopes: ["notes:read", "notes:write", "upstream:ask"],
    trustedCa: cert,
  });
  fixture = await startFixture({
    vars: (b) => ({
      ALLOW_UNAUTHENTICATED: "",
      JWT_JWKS_URL: as.jwksUrl,
      JWT_ISSUER: as.issuer,
      AUTHORIZATION_SERVERS: as.issuer,
      PUBLIC_URL: b,
      REQUIRED_SCOPES: "notes:read",
    }),
  });
  base = fixture.base;
});

after(async () => {
  await fixture?.stop();
  await as?.stop();
  cimd?.close();
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

const roll = { name: "roll_dice", arguments: { n_dice: 2 } };

for (const typed of ["/mcp/", "/mcp"]) {
  test(`DCR sign-in from nothing with ${typed} typed: tools/list and tools/call`, async () => {
    const registrations = as.seen.registrations;
    const p = new HeadlessClient();
    const { client } = await connect(p, `${base}${typed}`);
    try {
      assert.equal(as.seen.registrations, registrations + 1, "registered by DCR");
      const auth = new URL(p.authorizations[0]);
      assert.equal(auth.searchParams.get("resource"), `${base}${typed}`, "resource = the URL typed");
      assert.equal(auth.searchParams.get("code_challenge_method"), "S256");
      assert.equal(auth.searchParams.get("scope"), "notes:read", "the 401's scope hint");
      const { header, claims } = p.token();
      assert.equal(header.alg, "RS256");
      assert.equal(header.typ, "at+jwt");
      assert.equal(claims.aud, `${base}${typed}`);
      assert.equal(claims.iss, as.issuer);
      assert.equal(claims.sub, "oauth-user");

      const { tools } = await client.listTools();
      assert.ok(tools.some((t) => t.name === "save_note"));
      // ChatGPT's securitySchemes, read raw: the SDK's schema drops fields it does not know.
      const raw = await post(rpc("tools/list"), { "mcp-protocol-version": "2025-11-25", authorization: `Bearer ${p.saved.access_token}` }, `${base}${typed}`);
      const schemes = (name) => raw.json.result.tools.find((t) => t.name === name).securitySchemes;
      // REQUIRED_SCOPES first, then the tool's own: what a token for the tool needs.
      assert.deepEqual(schemes("save_note"), [{ type: "oauth2", scopes: ["notes:read", "notes:write"] }]);
      assert.deepEqual(schemes("roll_dice"), [{ type: "oauth2", scopes: ["notes:read"] }]);
      const r = await client.callTool(roll);
      assert.equal(r.isError, false);
      assert.equal(r.structuredContent.result.length, 2);
    } finally {
      await client.close();
    }
  });
}

test("the metadata and the 401 follow the path used; resource is the URL typed", async () => {
  for (const typed of ["/mcp/", "/mcp"]) {
    const r = await post(rpc("ping"), { "mcp-protocol-version": "2025-11-25", authorization: null }, `${base}${typed}`);
    assert.equal(r.status, 401);
    const url = r.headers.get("www-authenticate").match(/resource_metadata="([^"]+)"/)[1];
    assert.equal(url, `${base}/.well-known/oauth-protected-resource${typed}`);
    const doc = await (await fetch(url)).json();
    assert.equal(doc.resource, `${base}${typed}`);
    assert.deepEqual(doc.authorization_servers, [as.issuer]);
  }
});

test("Client ID Metadata Document: the client's https URL is its client_id, no registration", async () => {
  const meta = await (await fetch(`${as.issuer}/.well-known/oauth-authorization-server`)).json();
  assert.equal(meta.client_id_metadata_document_supported, true);
  const registrations = as.seen.registrations;
  const p = new HeadlessClient({ metadataUrl: cimdUrl });
  const { client } = await connect(p, `${base}/mcp/`);
  try {
    assert.equal(as.seen.registrations, registrations, "no DCR");
    assert.equal(new URL(p.authorizations[0]).searchParams.get("client_id"), cimdUrl);
    assert.ok(as.seen.metadataFetches.includes(cimdUrl), "the AS fetched the document");
    assert.equal(p.token().claims.client_id, cimdUrl);
    assert.equal((await client.callTool(roll)).isError, false);
  } finally {
    await client.close();
  }
});

test("refresh: a refused access token is replaced through the refresh token, no new sign-in", async () => {
  const p = new HeadlessClient();
  const { client } = await connect(p, `${base}/mcp/`);
  try {
    const first = p.saved.access_token;
    assert.ok(p.saved.refresh_token, "a refresh token was issued");
    const refreshes = as.seen.grants.filter((g) => g === "refresh_token").length;
    // The worker refuses this one (its signature no longer verifies), as it would an
    // expired one: the client must come back with a fresh token of its own accord.
    const [h, b] = first.split(".");
    p.saved = { ...p.saved, access_token: `${h}.${b}.${Buffer.alloc(256, 7).toString("base64url")}` };
    const r = await client.callTool(roll);
    assert.equal(r.isError, false);
    assert.equal(as.seen.grants.filter((g) => g === "refresh_token").length, refreshes + 1);
    assert.equal(p.authorizations.length, 1, "no second authorization");
    assert.notEqual(p.saved.access_token, first);
  } finally {
    await client.close();
  }
});

test("a token the AS issued for another resource is refused", async () => {
  const p = new HeadlessClient({ resource: OTHER });
  await assert.rejects(connect(p, `${base}/mcp/`), /401/);
  assert.equal(p.token().claims.aud, OTHER, "the AS did issue it, for the other resource");
  const r = await post(rpc("tools/call", roll), {
    "mcp-protocol-version": "2025-11-25",
    authorization: `Bearer ${p.saved.access_token}`,
  }, `${base}/mcp/`);
  assert.equal(r.status, 401);
  assert.match(r.json.error_description, /audience \('aud'\) does not include/);
});

test("a tool that needs another scope: 403 challenge, authorize again with it, then success", async () => {
  const note = { name: "save_note", arguments: { text: "signed in" } };
  // Two ways it does not work, both the client's or the AS's doing, not the server's:
  // the SDK (1.32.2) answers the 403 by refreshing when it holds a refresh token, which
  // cannot widen a grant, and then gives up…
  const holder = new HeadlessClient();
  const held = await connect(holder, `${base}/mcp/`);
  await assert.rejects(held.client.callTool(note), /403 after trying upscoping/);
  await held.client.close();
  // …and it registers a DCR client with the first 401's scope, to which oidc-provider
  // then holds the client: asking for more is invalid_scope.
  const registered = new HeadlessClient({ refresh: false });
  const narrow = await connect(registered, `${base}/mcp/`);
  await assert.rejects(narrow.client.callTool(note), /invalid_scope/);
  await narrow.client.close();

  // A client identified by its metadata document (no registered scope), without a
  // refresh token, authorizes again with the 403's scope.
  const p = new HeadlessClient({ refresh: false, metadataUrl: `${cimdBase}/oauth/no-refresh.json` });
  const { client, transport } = await connect(p, `${base}/mcp/`);
  try {
    assert.equal(p.token().claims.scope, "notes:read");
    await assert.rejects(client.callTool(note), UnauthorizedError);
    const again = new URL(p.authorizations.at(-1));
    assert.equal(again.searchParams.get("scope"), "notes:read notes:write", "the 403's scope");
    await transport.finishAuth(p.code);
    assert.match(p.token().claims.scope, /notes:write/);
    const r = await client.callTool(note);
    assert.equal(r.isError, false, JSON.stringify(r));
    assert.ok(r.structuredContent.notes.includes("signed in"));
  } finally {
    await client.close();
  }
});

test("ChatGPT's tools/call (openai/* _meta) gets the challenge as a tool error instead", async () => {
  const p = new HeadlessClient();
  const { client } = await connect(p, `${base}/mcp/`);
  await client.close();
  const call = rpc("tools/call", {
    name: "save_note",
    arguments: { text: "x" },
    _meta: { "openai/userAgent": "ChatGPT/1.0", "openai/locale": "en-US" },
  });
  const H = { "mcp-protocol-version": "2025-11-25", authorization: `Bearer ${p.saved.access_token}` };
  const r = await post(call, H, `${base}/mcp/`);
  assert.equal(r.status, 200, r.text);
  assert.equal(r.json.result.isError, true);
  const [challenge] = r.json.result._meta["mcp/www_authenticate"];
  assert.match(challenge, /^Bearer resource_metadata="[^"]+\/\.well-known\/oauth-protected-resource\/mcp\/"/);
  assert.match(challenge, /scope="notes:read notes:write"/);
  assert.match(challenge, /error="insufficient_scope"/);
  // Without the openai/* keys, the same call is the 403.
  const plain = await post(rpc("tools/call", { name: "save_note", arguments: { text: "x" } }), H, `${base}/mcp/`);
  assert.equal(plain.status, 403);
  assert.equal(plain.headers.get("www-authenticate"), challenge);
});

test("a .dev.vars naming your own AS, with an old development key beside it: the AS's tokens pass", async () => {
  // What a new user had: JWT_JWKS_URL, JWT_ISSUER and AUTHORIZATION_SERVERS of their AS,
  // and the JWT_PUBLIC_KEY an earlier `npm run dev` added (a PEM key, which has no kid).
  const devKey = newKey(undefined);
  const envFile = path.join(tmp, ".dev.vars");
  const dev = await startWorker({
    envFile,
    vars: (b) => {
      writeFileSync(envFile, [
        `JWT_JWKS_URL=${as.jwksUrl}`,
        `JWT_ISSUER=${as.issuer}`,
        `AUTHORIZATION_SERVERS=${as.issuer}`,
        `PUBLIC_URL=${b}`,
        `JWT_PUBLIC_KEY="${devKey.publicPem.trim()}"`,
        "",
      ].join("\n"));
      return {};
    },
  });
  devBase = dev.base;
  try {
    const p = new HeadlessClient();
    const { client } = await connect(p, `${dev.base}/mcp/`);
    assert.equal((await client.callTool(roll)).isError, false);
    await client.close();
  } finally {
    await dev.stop();
  }
});
