// tests/e2e/recipe-tool.test.mjs: an end-to-end test of a tool against the worker in
// workerd (docs/testing.md shows this file). run.mjs starts the worker with test keys and
// REQUIRED_SCOPES=dice:roll, and hands every test file a token that has it.
import { test } from "node:test";
import assert from "node:assert/strict";
import { post, rpc } from "./client.mjs";
import { importKeys, mint, claims } from "./tokens.mjs";

const V = { "mcp-protocol-version": "2025-11-25" };
const roll = rpc("tools/call", { name: "roll_dice", arguments: { n_dice: 3 } });

test("the tool answers a caller with the suite's token", async () => {
  const r = await post(roll, V); // post() sends the suite's token
  assert.equal(r.status, 200, r.text);
  assert.equal(r.json.result.isError, false);
  assert.equal(r.json.result.structuredContent.result.length, 3);
});

test("a token without the scopes the server requires gets 403", async () => {
  // The runner's signing keys are in the environment; mint a token of your own with them.
  const [key] = importKeys(process.env.DICE_MCP_TEST_KEYS);
  const token = mint(key, claims({ scope: "other" }));
  const r = await post(roll, { ...V, authorization: `Bearer ${token}` });
  assert.equal(r.status, 403);
  assert.match(r.headers.get("www-authenticate"), /error="insufficient_scope"/);
});
