// The authorization server in the worker (docs/authorization-server.md), end to end: the
// fixture worker in workerd with its OAUTH_* variables set, oidc-provider
// (scripts/oauth-server.mjs) as the person's OpenID provider, and OAuth clients we did
// not write: the MCP TypeScript SDK's client, through a headless browser that follows
// the redirects and answers the consent form.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { generateKeyPairSync, randomBytes, createHash, createSign } from "node:crypto";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import https from "node:https";
import { execFileSync } from "node:child_process";
import { tmpdir } from "node:os";
import http from "node:http";
import { once } from "node:events";
import path from "node:path";
import { chromium } from "playwright-core";
import { spawn } from "node:child_process";
import { startFixture, freePort, ROOT } from "./harness.mjs";
import { UnauthorizedError } from "@modelcontextprotocol/sdk/client/auth.js";
import { HeadlessClient, connect, signInHeadless, REDIRECT, clientMetadata } from "../../scripts/oauth-server.mjs";
import { startUpstream } from "./oauth-setup.mjs";

// The provider, and the worker's variables as its authorization server (oauth-setup.mjs).
let upstream, workerVars, worker, base;
// Client ID Metadata Documents, served over https on loopback by a certificate of a test
// CA that only this test's workers trust (SSL_CERT_FILE: the system's roots and it).
let cimd, cimdBase, tls;
const cimdFetches = [];
// A private_key_jwt client's key set, served at `${cimdBase}/jwks.json`.
let clientJwks = { keys: [] };
let chatgptJwks = { keys: [] };
const CHATGPT_REDIRECT = "https://chatgpt.com/connector/oauth/abc123";

/** A CA, and a certificate it signs for 127.0.0.1: workerd's TLS refuses a self-signed
 *  CA certificate as a server's own. */
function testCertificates(dir) {
  const run = (...args) => execFileSync("openssl", args, { stdio: "ignore" });
  const at = (f) => path.join(dir, f);
  run("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=dice-mcp test CA", "-keyout", at("ca-key.pem"), "-out", at("ca.pem"));
  run("req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=127.0.0.1", "-keyout", at("key.pem"), "-out", at("leaf.csr"));
  writeFileSync(at("ext.cnf"), "subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n");
  run("x509", "-req", "-in", at("leaf.csr"), "-CA", at("ca.pem"), "-CAkey", at("ca-key.pem"), "-CAcreateserial", "-days", "1", "-extfile", at("ext.cnf"), "-out", at("cert.pem"));
  const system = ["/etc/ssl/certs/ca-certificates.crt", "/etc/pki/tls/certs/ca-bundle.crt"].find((f) => {
    try { return readFileSync(f).length > 0; } catch { return false; }
  });
  writeFileSync(at("bundle.pem"), Buffer.concat([system ? readFileSync(system) : Buffer.alloc(0), readFileSync(at("ca.pem"))]));
  return { key: readFileSync(at("key.pem")), cert: readFileSync(at("cert.pem")), bundle: at("bundle.pem") };
}

before(async () => {
  tls = mkdtempSync(path.join(tmpdir(), "dice-mcp-cimd-"));
  const certs = testCertificates(tls);
  cimd = https.createServer({ key: certs.key, cert: certs.cert }, (req, res) => {
    cimdFetches.push(req.url);
    if (req.url === "/jwks.json") {
      res.writeHead(200, { "content-type": "application/json", "cache-control": "max-age=300" });
      res.end(JSON.stringify(clientJwks));
      return;
    }
    // ChatGPT's document, as its fields are recorded (../shared/reference), at this host.
    if (req.url === "/chatgpt-jwks.json") {
      res.writeHead(200, { "content-type": "application/json", "cache-control": "max-age=300" });
      res.end(JSON.stringify(chatgptJwks));
      return;
    }
    if (req.url === "/oauth/abc123/client.json") {
      res.writeHead(200, { "content-type": "application/json", "cache-control": "max-age=300" });
      res.end(JSON.stringify({
        client_id: `${cimdBase}${req.url}`,
        client_name: "ChatGPT",
        redirect_uris: [CHATGPT_REDIRECT],
        grant_types: ["authorization_code", "refresh_token"],
        response_types: ["code"],
        token_endpoint_auth_method: "private_key_jwt",
        token_endpoint_auth_methods_supported: ["none", "private_key_jwt"],
        token_endpoint_auth_signing_alg: "RS256",
        jwks_uri: `${cimdBase}/chatgpt-jwks.json`,
      }));
      return;
    }
    const doc = { ...clientMetadata(), client_name: "Dice Desktop", client_id: `${cimdBase}${req.url}` };
    if (req.url.includes("wrong-id")) doc.client_id = `${cimdBase}/someone-else.json`;
    res.writeHead(200, { "content-type": "application/json", "cache-control": "max-age=300" });
    res.end(JSON.stringify(doc));
  });
  cimd.listen(0, "127.0.0.1");
  await once(cimd, "listening");
  cimdBase = `https://127.0.0.1:${cimd.address().port}`;
  process.env.SSL_CERT_FILE = certs.bundle;
  // Tokens must hold notes:read; save_note asks for notes:write too (step-up).
  ({ upstream, vars: workerVars } = await startUpstream({ REQUIRED_SCOPES: "notes:read" }));
  worker = await startFixture({ vars: workerVars });
  base = worker.base;
});

after(async () => {
  await worker?.stop();
  await upstream?.stop();
  cimd?.close();
  if (tls) rmSync(tls, { recursive: true, force: true });
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

// ---------------------------------------------------------------------------------------
// A browser by hand, for the cases a client would never make.

/** Registers a public client by DCR (refresh tokens unless `refresh` is false). */
async function register(metadata = clientMetadata()) {
  const r = await fetch(`${base}/register`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(metadata),
  });
  assert.equal(r.status, 201, await r.clone().text());
  return r.json();
}

const VERIFIER = randomBytes(32).toString("base64url");
const CHALLENGE = createHash("sha256").update(VERIFIER).digest("base64url");

function authorizeUrl(clientId, extra = {}) {
  const u = new URL(`${base}/authorize`);
  const params = {
    response_type: "code",
    client_id: clientId,
    redirect_uri: REDIRECT,
    code_challenge: CHALLENGE,
    code_challenge_method: "S256",
    state: "st-1",
    resource: `${base}/mcp/`,
    ...extra,
  };
  for (const [k, v] of Object.entries(params)) if (v !== undefined) u.searchParams.set(k, v);
  return u.href;
}

/** Follows /authorize through the upstream login to our consent page: its form's fields
 *  and the cookies this browser holds. */
async function toConsent(url) {
  const jar = new Map();
  let r;
  for (let hop = 0; hop < 20; hop++) {
    r = await fetch(url, { redirect: "manual", headers: { cookie: [...jar].map(([k, v]) => `${k}=${v}`).join("; ") } });
    for (const c of r.headers.getSetCookie()) {
      const [pair] = c.split(";");
      const i = pair.indexOf("=");
      jar.set(pair.slice(0, i), pair.slice(i + 1));
    }
    const location = r.headers.get("location");
    if (!location) break;
    url = new URL(location, url).href;
  }
  const html = await r.text();
  const field = (name) => new RegExp(`name="${name}" value="([^"]*)"`).exec(html)?.[1];
  return { status: r.status, html, url, jar, session: field("session"), csrf: field("csrf") };
}

function postConsent(page, { decision = "approve", origin = base, cookies = page.jar, csrf = page.csrf, site } = {}) {
  const headers = { "content-type": "application/x-www-form-urlencoded" };
  if (origin) headers.origin = origin;
  if (site) headers["sec-fetch-site"] = site;
  const cookie = [...cookies].map(([k, v]) => `${k}=${v}`).join("; ");
  if (cookie) headers.cookie = cookie;
  return fetch(`${base}/oauth/consent`, {
    method: "POST",
    redirect: "manual",
    headers,
    body: new URLSearchParams({ session: page.session, csrf, decision }),
  });
}

function token(params) {
  return fetch(`${base}/token`, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams(params),
  });
}

/** A code for `clientId`, the whole way through the consent. */
async function codeFor(clientId, extra) {
  const page = await toConsent(authorizeUrl(clientId, extra));
  assert.equal(page.status, 200, page.html);
  const r = await postConsent(page);
  assert.equal(r.status, 303);
  return new URL(r.headers.get("location"));
}

test("the consent page names the client, the scopes and the person, and cannot be framed", async () => {
  const client = await register({ ...clientMetadata(), client_name: "<b>Dice</b> & co" });
  const page = await toConsent(authorizeUrl(client.client_id));
  assert.equal(page.status, 200);
  assert.match(page.html, /&lt;b&gt;Dice&lt;\/b&gt; &amp; co/, "the name escaped");
  assert.match(page.html, /not verified/, "a registered client's name is its own claim");
  assert.match(page.html, /alice@example.com/);
  assert.match(page.html, /notes:read/);
  const r = await fetch(page.url, { headers: { cookie: [...page.jar].map(([k, v]) => `${k}=${v}`).join("; ") } });
  assert.equal(r.headers.get("x-frame-options"), "DENY");
  assert.match(r.headers.get("content-security-policy"), /frame-ancestors 'none'/);
});

test("a consent posted from another site, from another browser or with another token is refused", async () => {
  const client = await register();
  const page = await toConsent(authorizeUrl(client.client_id));
  const foreign = await postConsent(page, { origin: "https://evil.example" });
  assert.equal(foreign.status, 403);
  const crossSite = await postConsent(page, { origin: null, site: "cross-site" });
  assert.equal(crossSite.status, 403);
  const otherBrowser = await postConsent(page, { cookies: new Map() });
  assert.equal(otherBrowser.status, 400);
  assert.match(await otherBrowser.text(), /another browser/);
  const forged = await postConsent(page, { csrf: "x".repeat(43) });
  assert.equal(forged.status, 403);
  // None of them made a grant: the genuine form still works, once.
  const ok = await postConsent(page);
  assert.equal(ok.status, 303);
  const back = new URL(ok.headers.get("location"));
  assert.ok(back.searchParams.get("code"));
  assert.equal(back.searchParams.get("state"), "st-1");
  assert.equal(back.searchParams.get("iss"), base, "RFC 9207");
});

test("a person not on the allow list is refused after signing in, and no code is issued", async () => {
  upstream.setAccount("mallory");
  try {
    const client = await register();
    const page = await toConsent(authorizeUrl(client.client_id));
    assert.equal(page.status, 403);
    assert.match(page.html, /not allowed/);
    assert.equal(page.session, undefined, "no consent form");
  } finally {
    upstream.setAccount("alice");
  }
});

test("a code works once: replayed, it fails and ends the grant; a wrong verifier fails", async () => {
  const client = await register();
  const back = await codeFor(client.client_id);
  const code = back.searchParams.get("code");
  const wrong = await token({ grant_type: "authorization_code", code, code_verifier: randomBytes(32).toString("base64url"), redirect_uri: REDIRECT, client_id: client.client_id });
  assert.equal(wrong.status, 400);
  assert.equal((await wrong.json()).error, "invalid_grant");
  const params = { grant_type: "authorization_code", code, code_verifier: VERIFIER, redirect_uri: REDIRECT, client_id: client.client_id };
  const first = await token(params);
  assert.equal(first.status, 200, await first.clone().text());
  const { refresh_token } = await first.json();
  const replay = await token(params);
  assert.equal(replay.status, 400);
  assert.equal((await replay.json()).error, "invalid_grant");
  const refreshed = await token({ grant_type: "refresh_token", refresh_token, client_id: client.client_id });
  assert.equal(refreshed.status, 400, "the replay revoked the grant");
});

test("a redirect URI the client did not register is shown on our page, never followed", async () => {
  const client = await register();
  const r = await fetch(authorizeUrl(client.client_id, { redirect_uri: "https://evil.example/cb" }), { redirect: "manual" });
  assert.equal(r.status, 400);
  assert.equal(r.headers.get("location"), null);
  assert.match(await r.text(), /not registered/);
  const unknown = await fetch(authorizeUrl("not-a-client"), { redirect: "manual" });
  assert.equal(unknown.status, 400);
  assert.equal(unknown.headers.get("location"), null);
});

test("a token for another resource is refused with invalid_target at the client's redirect URI", async () => {
  const client = await register();
  const r = await fetch(authorizeUrl(client.client_id, { resource: "https://other.example/mcp" }), { redirect: "manual" });
  assert.equal(r.status, 302, "a loopback redirect URI is followed at once");
  const back = new URL(r.headers.get("location"));
  assert.equal(back.origin + back.pathname, REDIRECT);
  assert.equal(back.searchParams.get("error"), "invalid_target");
  assert.equal(back.searchParams.get("state"), "st-1");
  assert.equal(back.searchParams.get("iss"), base);
});

test("a client metadata document at a private address is refused before any fetch", async () => {
  const r = await fetch(authorizeUrl("https://10.0.0.1/client.json"), { redirect: "manual" });
  assert.equal(r.status, 400);
  assert.equal(r.headers.get("location"), null);
  assert.match(await r.text(), /private|not fetch|address/i);
});

test("several refreshes of one token at once: exactly one wins, and the grant ends", async () => {
  const client = await register();
  const back = await codeFor(client.client_id);
  const first = await token({ grant_type: "authorization_code", code: back.searchParams.get("code"), code_verifier: VERIFIER, redirect_uri: REDIRECT, client_id: client.client_id });
  const { refresh_token } = await first.json();
  const answers = await Promise.all(
    Array.from({ length: 8 }, () => token({ grant_type: "refresh_token", refresh_token, client_id: client.client_id })),
  );
  const statuses = answers.map((a) => a.status).sort();
  assert.deepEqual(statuses, [200, 400, 400, 400, 400, 400, 400, 400]);
  const winner = await answers.find((a) => a.status === 200).json();
  const next = await token({ grant_type: "refresh_token", refresh_token: winner.refresh_token, client_id: client.client_id });
  assert.equal(next.status, 400, "the losers' reuse ended the grant, the winner's new token with it");
});

test("revoking a refresh token, or an access token, ends the grant", async () => {
  for (const which of ["refresh_token", "access_token"]) {
    const client = await register();
    const back = await codeFor(client.client_id);
    const first = await token({ grant_type: "authorization_code", code: back.searchParams.get("code"), code_verifier: VERIFIER, redirect_uri: REDIRECT, client_id: client.client_id });
    const tokens = await first.json();
    const r = await fetch(`${base}/revoke`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ token: tokens[which], client_id: client.client_id }),
    });
    assert.equal(r.status, 200, which);
    const refresh = await token({ grant_type: "refresh_token", refresh_token: tokens.refresh_token, client_id: client.client_id });
    assert.equal(refresh.status, 400, `revoking the ${which} ended the grant`);
  }
});

test("step-up: a tool's scope is asked for after the 403, consented to, and granted", async () => {
  const note = { name: "save_note", arguments: { text: "signed in" } };
  // No refresh token: the SDK would refresh rather than authorize again, and a refresh
  // cannot widen a grant.
  const p = new HeadlessClient({ refresh: false });
  const { client, transport } = await connect(p, `${base}/mcp/`);
  try {
    assert.equal(p.token().claims.scope, "notes:read", "the 401's scope, no more");
    await assert.rejects(client.callTool(note), UnauthorizedError);
    const again = new URL(p.authorizations.at(-1));
    assert.match(again.searchParams.get("scope"), /notes:write/);
    await transport.finishAuth(p.code);
    assert.match(p.token().claims.scope, /notes:write/);
    const r = await client.callTool(note);
    assert.notEqual(r.isError, true, JSON.stringify(r));
  } finally {
    await client.close();
  }
});

// ---------------------------------------------------------------------------------------
// A person in a real browser (headless Chromium): the pages as they render.

const CHROMIUM = process.env.DICE_MCP_CHROMIUM || "/usr/bin/chromium";
/** Where the screenshots go (not committed; docs/ holds a copy of the consent page). */
const SHOTS = path.join(ROOT, ".cache", "screenshots");

test("in Chromium: sign in upstream, see the consent page, Allow, and the code works; Deny says so", async () => {
  mkdirSync(SHOTS, { recursive: true });
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ["--no-sandbox"] });
  try {
    // The client's redirect URI, where the browser's arrival is the answer (not REDIRECT:
    // Chromium refuses port 1, and Playwright's routes do not see redirected requests).
    let arrived;
    const landing = http.createServer((req, res) => {
      if (req.url.startsWith("/callback")) arrived = new URL(req.url, back);
      res.end("back at the client");
    });
    landing.listen(0, "127.0.0.1");
    await once(landing, "listening");
    const back = `http://127.0.0.1:${landing.address().port}/callback`;
    const client = await register({ ...clientMetadata(), client_name: "Dice Desktop", redirect_uris: [back] });
    for (const decision of ["Allow", "Deny"]) {
      const context = await browser.newContext({ viewport: { width: 640, height: 640 } });
      const page = await context.newPage();
      await page.goto(authorizeUrl(client.client_id, { redirect_uri: back }));
      await page.getByRole("button", { name: "Allow" }).waitFor();
      assert.match(await page.title(), /Allow Dice Desktop\?/);
      assert.equal(new URL(page.url()).origin, base, "the consent page is the worker's own");
      if (decision === "Allow") await page.screenshot({ path: path.join(SHOTS, "consent-page.png"), fullPage: true });
      await page.getByRole("button", { name: decision }).click();
      await page.waitForURL((u) => u.href.startsWith(back), { timeout: 5000 }).catch(async (e) => {
        throw new Error(`${e.message}; at ${page.url()}: ${await page.content()}`);
      });
      assert.equal(arrived.searchParams.get("state"), "st-1");
      assert.equal(arrived.searchParams.get("iss"), base);
      if (decision === "Deny") {
        assert.equal(arrived.searchParams.get("error"), "access_denied");
      } else {
        const r = await token({ grant_type: "authorization_code", code: arrived.searchParams.get("code"), code_verifier: VERIFIER, redirect_uri: back, client_id: client.client_id });
        assert.equal(r.status, 200, await r.clone().text());
        const { access_token } = await r.json();
        const call = await fetch(`${base}/mcp/`, {
          method: "POST",
          headers: { authorization: `Bearer ${access_token}`, "content-type": "application/json", accept: "application/json, text/event-stream", "mcp-protocol-version": "2025-11-25" },
          body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/call", params: roll }),
        });
        assert.equal(call.status, 200, await call.clone().text());
        assert.equal((await call.json()).result.structuredContent.result.length, 2);
      }
      await context.close();
    }
    landing.close();
  } finally {
    await browser.close();
  }
});

// ---------------------------------------------------------------------------------------
// The official conformance suite's authorization-server scenarios against our AS: its
// metadata, and the authorization code grant (the suite prints the URL a person would
// open; the headless browser opens it and brings the redirect to the suite's callback).

test("the conformance suite's authorization-server scenarios pass", async () => {
  const port = await freePort();
  const callback = `http://127.0.0.1:${port}/callback`;
  const client = await register({ client_name: "conformance", redirect_uris: [callback], token_endpoint_auth_method: "none", grant_types: ["authorization_code"] });
  const child = spawn("conformance", [
    "authorization", "--url", base, "--client-id", client.client_id, "--resource", `${base}/mcp/`,
    "--port", String(port), "--spec-version", "2026-07-28",
  ], { stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  const signedIn = [];
  const onData = (d) => {
    output += d;
    const m = /^(http:\/\/127\.0\.0\.1:\d+\/authorize\?\S+)$/m.exec(output);
    if (m && signedIn.length === 0) {
      signedIn.push(signInHeadless(m[1], callback).then((params) => fetch(`${callback}?${params}`)));
    }
  };
  child.stdout.on("data", onData);
  child.stderr.on("data", (d) => (output += d));
  const [code] = await once(child, "exit");
  await Promise.all(signedIn);
  assert.equal(code, 0, output);
  assert.match(output, /authorization-server-metadata-endpoint: \d+ passed, 0 failed/);
  assert.match(output, /authorization-code-grant: 1 passed, 0 failed/);
});

// ---------------------------------------------------------------------------------------
// private_key_jwt (RFC 7523): a client that proves itself with a key, as ChatGPT's
// metadata document asks. Registered here with its key inline (jwks).

function assertion(privateKey, kid, clientId, { aud = `${base}/token`, jti = randomBytes(12).toString("base64url") } = {}) {
  const now = Math.floor(Date.now() / 1000);
  const enc = (o) => Buffer.from(JSON.stringify(o)).toString("base64url");
  const input = `${enc({ alg: "RS256", kid, typ: "JWT" })}.${enc({ iss: clientId, sub: clientId, aud, jti, iat: now, exp: now + 120 })}`;
  const signature = createSign("RSA-SHA256").update(input).sign(privateKey).toString("base64url");
  return `${input}.${signature}`;
}

test("private_key_jwt: the client's signed assertion authenticates it; a replayed or foreign one does not", async () => {
  const { privateKey, publicKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
  const kid = "client-key-1";
  const client = await register({
    ...clientMetadata(),
    token_endpoint_auth_method: "private_key_jwt",
    jwks: { keys: [{ ...publicKey.export({ format: "jwk" }), kid, alg: "RS256", use: "sig" }] },
  });
  const back = await codeFor(client.client_id);
  const code = back.searchParams.get("code");
  const type = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";
  const redeem = (client_assertion) =>
    token({ grant_type: "authorization_code", code, code_verifier: VERIFIER, redirect_uri: REDIRECT, client_id: client.client_id, client_assertion_type: type, client_assertion });
  // Without an assertion this client is not authenticated at all.
  const none = await token({ grant_type: "authorization_code", code, code_verifier: VERIFIER, redirect_uri: REDIRECT, client_id: client.client_id });
  assert.equal(none.status, 401);
  assert.equal((await none.json()).error, "invalid_client");
  // Signed by another key, or for another audience.
  const other = generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey;
  assert.equal((await redeem(assertion(other, kid, client.client_id))).status, 401);
  assert.equal((await redeem(assertion(privateKey, kid, client.client_id, { aud: "https://elsewhere.example/token" }))).status, 401);
  const good = assertion(privateKey, kid, client.client_id);
  const ok = await redeem(good);
  assert.equal(ok.status, 200, await ok.clone().text());
  const { refresh_token } = await ok.json();
  // The same assertion again: refused, whatever it presents.
  const replayed = await token({ grant_type: "refresh_token", refresh_token, client_id: client.client_id, client_assertion_type: type, client_assertion: good });
  assert.equal(replayed.status, 401);
  assert.match((await replayed.json()).error_description, /used before/);
  // The refresh token is bound to the key: `none` cannot use it; a fresh assertion can.
  const unauthenticated = await token({ grant_type: "refresh_token", refresh_token, client_id: client.client_id });
  assert.equal(unauthenticated.status, 401);
  const fresh = await token({ grant_type: "refresh_token", refresh_token, client_id: client.client_id, client_assertion_type: type, client_assertion: assertion(privateKey, kid, client.client_id) });
  assert.equal(fresh.status, 200, await fresh.clone().text());
});

// ---------------------------------------------------------------------------------------
// A registration flood: registering stores nothing (the client_id is the registration,
// sealed), and each address may register only as fast as the address rate limit allows.

test("a registration flood is held to the address rate limit, and other addresses still register", async () => {
  const limited = await startFixture({
    vars: workerVars,
    config: path.join(ROOT, "tests/e2e/oauth-ratelimit.wrangler.toml"),
  });
  try {
    const registerFrom = (ip) =>
      fetch(`${limited.base}/register`, {
        method: "POST",
        headers: { "content-type": "application/json", "cf-connecting-ip": ip },
        body: JSON.stringify(clientMetadata()),
      });
    const statuses = [];
    for (let i = 0; i < 8; i++) statuses.push((await registerFrom("198.51.100.7")).status);
    assert.deepEqual(statuses, [201, 201, 201, 201, 201, 429, 429, 429]);
    const refused = await registerFrom("198.51.100.7");
    assert.equal(refused.headers.get("retry-after"), "60");
    assert.equal((await registerFrom("198.51.100.8")).status, 201, "another address is not held back");
  } finally {
    await limited.stop();
  }
});

// ---------------------------------------------------------------------------------------
// The MCP Inspector's CLI signs in by itself: DCR, then it prints the sign-in URL and
// waits on its own loopback callback. The headless browser follows the URL (upstream
// login, our consent) and hands the redirect to that callback.

test("the MCP Inspector CLI signs in through our AS and rolls", async () => {
  const child = spawn("mcp-inspector", [
    "--cli", `${base}/mcp/`, "--transport", "http",
    "--method", "tools/call", "--tool-name", "roll_dice", "--tool-arg", "n_dice=3",
  ], { stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, MCP_AUTO_OPEN_ENABLED: "true" } });
  let output = "";
  const browsed = [];
  const onData = (d) => {
    output += d;
    const m = new RegExp(`(${base.replace(/[.]/g, "\\.")}/authorize\\?\\S+)`).exec(output);
    if (m && browsed.length === 0) {
      const url = new URL(m[1]);
      const redirect = url.searchParams.get("redirect_uri");
      browsed.push(signInHeadless(url.href, redirect).then((params) => fetch(`${redirect}?${params}`)));
    }
  };
  child.stdout.on("data", onData);
  child.stderr.on("data", onData);
  const [code] = await once(child, "exit");
  await Promise.all(browsed);
  assert.equal(code, 0, output);
  assert.equal(browsed.length, 1, `it printed a sign-in URL: ${output}`);
  const result = JSON.parse(output.slice(output.indexOf("{"), output.lastIndexOf("}") + 1));
  assert.equal(result.structuredContent.result.length, 3, output);
});

// ---------------------------------------------------------------------------------------
// Client ID Metadata Documents: the worker fetches the client's https document itself.

test("CIMD: the SDK's client signs in as its metadata document's URL; the document is fetched once, then cached", async () => {
  const url = `${cimdBase}/oauth/client.json`;
  const before = cimdFetches.length;
  const p = new HeadlessClient({ metadataUrl: url });
  const { client } = await connect(p, `${base}/mcp/`);
  try {
    assert.equal(new URL(p.authorizations[0]).searchParams.get("client_id"), url, "no registration: the URL is the id");
    assert.equal(p.token().claims.client_id, url);
    assert.notEqual((await client.callTool(roll)).isError, true);
  } finally {
    await client.close();
  }
  // The consent page says who publishes the client; a second sign-in reads the cache.
  const page = await toConsent(authorizeUrl(url));
  assert.equal(page.status, 200, page.html);
  assert.match(page.html, /published by <strong>127\.0\.0\.1<\/strong>/);
  assert.equal(cimdFetches.length - before, 1, "fetched once (Cache-Control: max-age=300)");
});

test("CIMD: a document that names another client_id is refused on our page", async () => {
  const r = await fetch(authorizeUrl(`${cimdBase}/oauth/wrong-id.json`), { redirect: "manual" });
  assert.equal(r.status, 400);
  assert.equal(r.headers.get("location"), null);
  assert.match(await r.text(), /client_id/);
});

test("ChatGPT's document shape: CIMD with private_key_jwt from its jwks_uri, the assertion's aud the token endpoint; the grant then needs the assertion", async () => {
  const { privateKey, publicKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
  const kid = "chatgpt-key";
  chatgptJwks = { keys: [{ ...publicKey.export({ format: "jwk" }), kid, alg: "RS256", use: "sig" }] };
  const id = `${cimdBase}/oauth/abc123/client.json`;
  const back = await codeFor(id, { redirect_uri: CHATGPT_REDIRECT });
  assert.equal(`${back.origin}${back.pathname}`, CHATGPT_REDIRECT);
  assert.equal(back.searchParams.get("iss"), base);
  const type = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";
  const ok = await token({
    grant_type: "authorization_code", code: back.searchParams.get("code"), code_verifier: VERIFIER,
    redirect_uri: CHATGPT_REDIRECT, client_id: id, client_assertion_type: type,
    client_assertion: assertion(privateKey, kid, id),
  });
  assert.equal(ok.status, 200, await ok.clone().text());
  const { refresh_token, access_token } = await ok.json();
  assert.equal(JSON.parse(Buffer.from(access_token.split(".")[1], "base64url")).client_id, id);
  // The code was redeemed with the assertion: the grant's refreshes must carry one too,
  // though the document also lists none.
  const unauthenticated = await token({ grant_type: "refresh_token", refresh_token, client_id: id });
  assert.equal(unauthenticated.status, 401, await unauthenticated.clone().text());
  assert.equal((await unauthenticated.json()).error, "invalid_client");
  const fresh = await token({
    grant_type: "refresh_token", refresh_token, client_id: id, client_assertion_type: type,
    client_assertion: assertion(privateKey, kid, id),
  });
  assert.equal(fresh.status, 200, await fresh.clone().text());
});

test("private_key_jwt with a jwks_uri: the worker fetches the client's keys once and checks its assertion", async () => {
  const { privateKey, publicKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
  const kid = "uri-key-1";
  clientJwks = { keys: [{ ...publicKey.export({ format: "jwk" }), kid, alg: "RS256", use: "sig" }] };
  const client = await register({
    ...clientMetadata(),
    token_endpoint_auth_method: "private_key_jwt",
    jwks_uri: `${cimdBase}/jwks.json`,
  });
  const type = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";
  const before = cimdFetches.filter((u) => u === "/jwks.json").length;
  const back = await codeFor(client.client_id);
  const ok = await token({
    grant_type: "authorization_code", code: back.searchParams.get("code"), code_verifier: VERIFIER,
    redirect_uri: REDIRECT, client_id: client.client_id, client_assertion_type: type,
    client_assertion: assertion(privateKey, kid, client.client_id),
  });
  assert.equal(ok.status, 200, await ok.clone().text());
  const { refresh_token } = await ok.json();
  const other = generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey;
  const forged = await token({ grant_type: "refresh_token", refresh_token, client_id: client.client_id, client_assertion_type: type, client_assertion: assertion(other, kid, client.client_id) });
  assert.equal(forged.status, 401);
  const fresh = await token({ grant_type: "refresh_token", refresh_token, client_id: client.client_id, client_assertion_type: type, client_assertion: assertion(privateKey, kid, client.client_id) });
  assert.equal(fresh.status, 200, await fresh.clone().text());
  assert.equal(cimdFetches.filter((u) => u === "/jwks.json").length - before, 1, "the key set fetched once, then cached");
});
