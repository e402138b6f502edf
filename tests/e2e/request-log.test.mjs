// The operator's log: one JSON line per request, in wrangler's output as in `wrangler tail`,
// saying what was asked and how it ended, and never holding a token.
import { test } from "node:test";
import assert from "node:assert/strict";
import { startWorker } from "./harness.mjs";
import { post, rpc, read } from "./client.mjs";
import { newKey, mint, claims } from "./tokens.mjs";

test("each request is one JSON log line with its outcome, and no token", async () => {
  const key = newKey("log");
  const w = await startWorker({ vars: { JWT_PUBLIC_KEY: JSON.stringify({ keys: [key.jwk] }) } });
  try {
    const token = mint(key, claims({ jti: "log-test" }));
    const forged = mint(newKey("log"), claims());
    const H = { "mcp-protocol-version": "2025-11-25", authorization: `Bearer ${token}` };
    const call = (n) => rpc("tools/call", { name: "roll_dice", arguments: { n_dice: n } });
    assert.equal((await post(call(2), H, w.url)).status, 200);
    assert.equal((await post(call(0), H, w.url)).status, 200);
    assert.equal((await post(rpc("ping"), { ...H, authorization: `Bearer ${forged}` }, w.url)).status, 401);
    assert.equal((await read(await fetch(`${w.base}/nowhere`))).status, 404);
    await w.waitForLog(/"path":"\/nowhere"/);

    const records = w.records();
    assert.equal(records.length, 4, w.logs());
    const [first, second, refused, lost] = records;
    assert.deepEqual(
      { ...first, ms: undefined },
      { http: "POST", path: "/mcp/", status: 200, auth: "verified", method: "tools/call",
        tool: "roll_dice", protocol: "2025-11-25", ms: undefined },
    );
    assert.equal(typeof first.ms, "number");
    assert.equal(second.auth, "cached");
    assert.equal(second.tool_error, true, "a bad n_dice is a tool error");
    assert.equal(refused.status, 401);
    assert.equal(refused.auth, "invalid_token");
    assert.match(refused.reason, /signature does not verify/);
    assert.equal(lost.status, 404);
    assert.equal(lost.auth, "not_required");

    const output = w.logs();
    for (const part of [...token.split("."), ...forged.split(".")].filter((p) => p.length > 40)) {
      assert.ok(!output.includes(part), "no part of a token reaches the log");
    }
  } finally {
    await w.stop();
  }
});

test("a forged token sent again is refused from memory, without a second verification", async () => {
  const key = newKey("log");
  const w = await startWorker({ vars: { JWT_PUBLIC_KEY: JSON.stringify({ keys: [key.jwk] }) } });
  try {
    const forged = mint(newKey("log"), claims({ jti: "forged-twice" }));
    const H = { "mcp-protocol-version": "2025-11-25", authorization: `Bearer ${forged}` };
    const first = await post(rpc("ping"), H, w.url);
    const again = await post(rpc("ping"), H, w.url);
    assert.equal(first.status, 401);
    assert.deepEqual(again.json, first.json, "the same answer, from memory");
    assert.equal(again.headers.get("www-authenticate"), first.headers.get("www-authenticate"));
    await w.waitForLog(/"remembered":true/);
    const [one, two] = w.records();
    assert.equal(one.auth, "invalid_token");
    assert.equal(one.remembered, undefined, "the first one was verified");
    assert.match(one.reason, /signature does not verify/);
    assert.equal(two.auth, "invalid_token");
    assert.equal(two.remembered, true, "the second one was not");
    assert.equal(two.reason, one.reason);
  } finally {
    await w.stop();
  }
});
