// A tool that uses a worker binding, end to end in workerd: docs/tools.md's notes example
// (examples/tools/notes.rs, in the fixture worker) keeps each caller's notes in Workers KV
// (wrangler dev's local KV), under the token's subject, with a scope for each tool.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startFixture } from "./harness.mjs";
import { post, rpc } from "./client.mjs";
import { newKey, mint, claims } from "./tokens.mjs";

const key = newKey("kv");
let fixture, url;
before(async () => {
  fixture = await startFixture({
    vars: { ALLOW_UNAUTHENTICATED: "", JWT_PUBLIC_KEY: JSON.stringify({ keys: [key.jwk] }) },
  });
  url = `${fixture.base}/mcp`;
});
after(() => fixture?.stop());

const token = (sub, scope = "notes:read notes:write") => mint(key, claims({ sub, scope }));
const as = (t) => ({ "mcp-protocol-version": "2025-11-25", authorization: `Bearer ${t}` });
const save = (sub, text) => post(rpc("tools/call", { name: "save_note", arguments: { text } }), as(token(sub)), url);
const list = async (sub, scope) => {
  const r = await post(rpc("tools/call", { name: "list_notes", arguments: {} }), as(token(sub, scope)), url);
  assert.equal(r.status, 200, r.text);
  return r.json.result.structuredContent.notes;
};

test("each caller's notes are kept apart in KV", async () => {
  assert.deepEqual((await save("alice", "buy milk")).json.result.structuredContent, { notes: ["buy milk"] });
  await save("alice", "call bob");
  await save("bob", "bob was here");
  assert.deepEqual(await list("alice"), ["buy milk", "call bob"]);
  assert.deepEqual(await list("bob"), ["bob was here"]);
  assert.deepEqual(await list("carol"), []);
});

test("reading needs notes:read only; writing without notes:write gets the 403 challenge", async () => {
  assert.deepEqual(await list("alice", "notes:read"), ["buy milk", "call bob"]);
  const r = await post(
    rpc("tools/call", { name: "save_note", arguments: { text: "x" } }),
    as(token("alice", "notes:read")),
    url,
  );
  assert.equal(r.status, 403);
  assert.match(r.headers.get("www-authenticate"), /scope="notes:write"/);
});
