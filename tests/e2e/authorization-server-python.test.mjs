// The authorization server in the worker (docs/authorization-server.md) with an OAuth
// client we did not write in another language: the official Python SDK's own OAuth support
// (mcp 2.x, OAuthClientProvider), signing in from nothing through dynamic client
// registration, the upstream OpenID provider (scripts/oauth-server.mjs) and our consent
// page, which tests/e2e/python_oauth_client.py answers headlessly. The provider and the
// worker's variables are oauth-setup.mjs's, as for authorization-server.test.mjs.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import path from "node:path";
import { promisify } from "node:util";
import { startFixture, ROOT } from "./harness.mjs";
import { startUpstream } from "./oauth-setup.mjs";

const run = promisify(execFile);
const PYTHON = path.join(ROOT, ".cache", "venv", "bin", "python");
const SCRIPT = path.join(ROOT, "tests", "e2e", "python_oauth_client.py");

let upstream, worker, base;

before(async () => {
  const setup = await startUpstream();
  upstream = setup.upstream;
  worker = await startFixture({ vars: setup.vars });
  base = worker.base;
});

after(async () => {
  await worker?.stop();
  await upstream?.stop();
});

async function signIn(url) {
  let out;
  try {
    ({ stdout: out } = await run(PYTHON, [SCRIPT, url], { timeout: 60_000 }));
  } catch (e) {
    throw new Error(`python_oauth_client.py failed:\n${e.stderr ?? ""}\n${e.stdout ?? ""}\nworker:\n${worker.logs()}`);
  }
  return JSON.parse(out.trim().split("\n").pop());
}

test("python mcp client signs in from nothing with the SDK's OAuth: DCR, upstream login, consent, token, tools", async () => {
  const url = `${base}/mcp/`;
  const out = await signIn(url);

  // The flow the SDK went through, as its HTTP client saw it.
  const seen = out.requests.map((r) => `${r.method} ${new URL(r.url).pathname} ${r.status}`);
  assert.equal(seen[0], "POST /mcp/ 401", `the first request, without a token, was refused: ${seen.join(", ")}`);
  assert.ok(seen.some((s) => s.startsWith("GET /.well-known/oauth-protected-resource") && s.endsWith(" 200")), seen.join(", "));
  assert.ok(seen.includes("GET /.well-known/oauth-authorization-server 200"), seen.join(", "));
  assert.ok(seen.includes("POST /register 201"), seen.join(", "));
  assert.ok(seen.includes("POST /token 200"), seen.join(", "));

  // One trip through the browser, from our /authorize, with PKCE and the resource.
  assert.equal(out.authorizations.length, 1);
  const auth = new URL(out.authorizations[0]);
  assert.equal(auth.origin + auth.pathname, `${base}/authorize`, "the worker is its own authorization server");
  assert.equal(auth.searchParams.get("code_challenge_method"), "S256");
  assert.equal(auth.searchParams.get("client_id"), out.client.client_id);
  assert.ok(out.browser_hops.some((h) => h.startsWith(upstream.issuer)), "the browser went through the upstream sign-in");
  assert.ok(out.browser_hops.includes(`POST ${base}/oauth/consent`), "and through our consent page");
  // Back at the client with its state and our issuer (RFC 9207), which the SDK checked.
  assert.equal(out.callbacks.length, 1);
  assert.equal(out.callbacks[0].state, auth.searchParams.get("state"));
  assert.equal(out.callbacks[0].iss, base);

  // The access token: ours, for this resource, for alice, for the registered client.
  const { header, claims } = out.token;
  assert.equal(header.typ, "at+jwt");
  assert.equal(claims.iss, base);
  assert.equal(auth.searchParams.get("resource"), url);
  assert.equal(claims.aud, url);
  assert.equal(claims.sub, "alice");
  assert.equal(claims.client_id, out.client.client_id);
  // The SDK asks for every scope the protected resource metadata lists; all were granted.
  assert.equal(claims.scope, auth.searchParams.get("scope"));
  assert.ok(claims.exp - claims.iat <= 3600);

  // And the MCP session it opened.
  assert.equal(out.protocol_version, "2026-07-28");
  assert.ok(out.tools.includes("roll_dice"), JSON.stringify(out.tools));
  assert.equal(out.rolled_is_error, false);
  assert.equal(out.rolled.result.length, 3);
});
