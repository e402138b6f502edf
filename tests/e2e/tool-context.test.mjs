// A tool that does real work, end to end in workerd: docs/tools.md's example tool
// (examples/tools/ask_upstream.rs, served by the fixture worker) awaits `fetch` to a
// loopback server this test runs, sends the worker's secret, and answers with the caller's
// `sub`. It needs the scope `upstream:ask`: a token without it gets the 403 challenge for
// that tool only.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import http from "node:http";
import { once } from "node:events";
import path from "node:path";
import { startFixture, ROOT } from "./harness.mjs";
import { post, rpc, read } from "./client.mjs";
import { newKey, mint, claims } from "./tokens.mjs";

const key = newKey("ctx");
const SECRET = "upstream-key-for-tests";
const H = { "mcp-protocol-version": "2025-11-25" };
let upstream, seen = [], fixture, url;

before(async () => {
  upstream = http.createServer(async (req, res) => {
    let body = "";
    for await (const chunk of req) body += chunk;
    seen.push({ method: req.method, path: req.url, authorization: req.headers.authorization, body });
    res.writeHead(200, { "content-type": "application/json" });
    res.end(JSON.stringify({ answer: `you asked: ${JSON.parse(body).question}` }));
  });
  upstream.listen(0, "127.0.0.1");
  await once(upstream, "listening");
  fixture = await startFixture({
    vars: {
      ALLOW_UNAUTHENTICATED: "",
      JWT_PUBLIC_KEY: JSON.stringify({ keys: [key.jwk] }),
      UPSTREAM_API_KEY: SECRET,
      UPSTREAM_URL: `http://127.0.0.1:${upstream.address().port}/answer`,
    },
  });
  url = `${fixture.base}/mcp`;
});
after(async () => {
  await fixture?.stop();
  upstream?.close();
});

const token = (scope, sub = "user-42") => mint(key, claims({ sub, scope, iss: undefined }));
const as = (t) => ({ ...H, authorization: `Bearer ${t}` });
const ask = rpc("tools/call", { name: "ask_upstream", arguments: { question: "why?" } });

test("the tool fetches from the upstream with the secret and answers for the caller", async () => {
  seen = [];
  const r = await post(ask, as(token("upstream:ask")), url);
  assert.equal(r.status, 200, r.text);
  assert.equal(r.json.result.isError, false, r.text);
  assert.deepEqual(r.json.result.structuredContent, { answer: "you asked: why?", asked_by: "user-42" });
  assert.equal(seen.length, 1);
  assert.equal(seen[0].method, "POST");
  assert.equal(seen[0].path, "/answer");
  assert.equal(seen[0].authorization, `Bearer ${SECRET}`);
  assert.deepEqual(JSON.parse(seen[0].body), { question: "why?" });
});

test("a token without the tool's scope gets 403 naming it, and nothing is fetched", async () => {
  seen = [];
  const r = await post(ask, as(token("other")), url);
  assert.equal(r.status, 403);
  const challenge = r.headers.get("www-authenticate");
  assert.match(challenge, /^Bearer /);
  assert.match(challenge, /error="insufficient_scope"/);
  assert.match(challenge, /scope="upstream:ask"/);
  assert.match(challenge, new RegExp(`resource_metadata="${fixture.base}/.well-known/oauth-protected-resource/mcp"`));
  assert.equal(r.json.error, "insufficient_scope");
  assert.equal(seen.length, 0);
});

test("the same token still calls the tools that need no extra scope", async () => {
  const r = await post(rpc("tools/call", { name: "roll_dice", arguments: { n_dice: 2 } }), as(token("other")), url);
  assert.equal(r.status, 200);
  assert.equal(r.json.result.structuredContent.result.length, 2);
});

test("2026-07-28 gets the same challenge", async () => {
  const meta = { "io.modelcontextprotocol/protocolVersion": "2026-07-28", "io.modelcontextprotocol/clientCapabilities": {} };
  const body = rpc("tools/call", { name: "ask_upstream", arguments: { question: "q" }, _meta: meta });
  const r = await post(body, {
    authorization: `Bearer ${token("")}`,
    "mcp-protocol-version": "2026-07-28",
    "mcp-method": "tools/call",
    "mcp-name": "ask_upstream",
  }, url);
  assert.equal(r.status, 403);
  assert.match(r.headers.get("www-authenticate"), /error="insufficient_scope", error_description="[^"]*upstream:ask/);
});

test("a batch holding a call the token may not make is refused whole, before anything runs", async () => {
  seen = [];
  const batch = [rpc("tools/call", { name: "roll_dice", arguments: { n_dice: 1 } }, 1), { ...ask, id: 2 }];
  const r = await post(batch, { ...as(token("other")), "mcp-protocol-version": "2025-03-26" }, url);
  assert.equal(r.status, 403);
  assert.equal(seen.length, 0);
});

test("tools/list shows every tool whatever the token's scopes", async () => {
  const r = await post(rpc("tools/list"), as(token("other")), url);
  assert.ok(r.json.result.tools.some((t) => t.name === "ask_upstream"));
});

test("the protected resource metadata lists the tool's scope", async () => {
  const r = await read(await fetch(`${fixture.base}/.well-known/oauth-protected-resource/mcp`));
  for (const scope of ["upstream:ask", "notes:write", "notes:read"]) {
    assert.ok(r.json.scopes_supported.includes(scope), JSON.stringify(r.json.scopes_supported));
  }
});
