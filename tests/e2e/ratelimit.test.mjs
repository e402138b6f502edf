// Rate limits through the Workers Rate Limiting binding, as wrangler dev emulates it, with
// small limits (ratelimit.wrangler.toml). The address limit counts forged or unparsable
// tokens only (a host's many users share its addresses), and refuses an address the
// binding has refused before verifying anything more from it. Client addresses are simulated with
// CF-Connecting-IP, which the local emulation passes through (Cloudflare sets it itself).
// The binding counts in windows aligned to the clock, so a flood may straddle one change
// of window: bounds below allow for that, and nothing here depends on timing.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import path from "node:path";
import { randomBytes } from "node:crypto";
import { startWorker, ROOT } from "./harness.mjs";
import { post, rpc } from "./client.mjs";
import { newKey, mint, claims, b64url } from "./tokens.mjs";

const LIMIT = 5; // both limits in ratelimit.wrangler.toml
const key = newKey("rl");
let w;

before(async () => {
  w = await startWorker({
    vars: { JWT_PUBLIC_KEY: JSON.stringify({ keys: [key.jwk] }) },
    args: ["--config", path.join(ROOT, "tests/e2e/ratelimit.wrangler.toml")],
  });
});
after(() => w?.stop());

// Addresses of this run only (documentation ranges), so that no counter is shared.
const run = randomBytes(2).toString("hex");
const address = (n) => `2001:db8:${run}::${n}`;
const H = { "mcp-protocol-version": "2025-11-25" };
const from = (ip, token) => ({ ...H, "cf-connecting-ip": ip, authorization: `Bearer ${token}` });
const forged = () => {
  const [h, p] = mint(key).split(".");
  return `${h}.${p}.${b64url(randomBytes(256))}`;
};
const roll = rpc("tools/call", { name: "roll_dice", arguments: { n_dice: 1 } });

/** Sends requests until one is answered 429; returns the answers before it and the 429. */
async function untilLimited(send, max) {
  const before = [];
  for (let i = 0; i < max; i++) {
    const r = await send(i);
    if (r.status === 429) return { before, limited: r };
    before.push(r);
  }
  assert.fail(`no 429 in ${max} requests: ${before.map((r) => r.status).join(" ")}`);
}

test("many distinct valid tokens from one address are all answered", async (t) => {
  const ip = address(7);
  for (let i = 0; i < 4 * LIMIT; i++) {
    const token = mint(key, claims({ sub: `rl-crowd-${run}-${i}` }));
    const r = await post(rpc("ping"), from(ip, token), w.url);
    assert.equal(r.status, 200, `user ${i}: ${r.text}`);
  }
  // The same users calling tools: each is its own caller.
  for (let i = 0; i < 2 * LIMIT; i++) {
    const token = mint(key, claims({ sub: `rl-crowd-call-${run}-${i}` }));
    assert.equal((await post(roll, from(ip, token), w.url)).status, 200);
  }
  t.diagnostic(`${6 * LIMIT} distinct valid tokens from one address answered (address limit ${LIMIT})`);
});

test("a flood of forged tokens from one address gets 429; other addresses and valid tokens do not", async (t) => {
  const valid = mint(key, claims({ sub: `rl-valid-${run}` }));
  // Verified (and cached) from the flooding address before the flood.
  assert.equal((await post(rpc("ping"), from(address(1), valid), w.url)).status, 200);
  const { before: refused, limited } = await untilLimited(() => post(rpc("ping"), from(address(1), forged()), w.url), 3 * LIMIT);
  assert.ok(refused.every((r) => r.status === 401));
  t.diagnostic(`${refused.length} forged tokens verified from one address before the 429 (limit ${LIMIT})`);
  // The binding refuses the (LIMIT+1)th failure of a window; that one was verified. A
  // flood straddling a change of window gets at most one window more.
  assert.ok(refused.length > LIMIT, `${refused.length} forged tokens verified before the limit`);
  assert.ok(refused.length <= 2 * LIMIT + 1, `${refused.length} forged tokens verified before the limit`);
  assert.equal(limited.headers.get("retry-after"), "60");
  assert.equal(limited.json.error.code, -32000);
  assert.equal(limited.json.error.data.limit, "address");
  assert.match(limited.json.error.message, /failed verification.*wait up to 60 seconds/);
  // Refused before any check: another forged token and a valid new one alike (telling
  // them apart would take the verification the limit is there to spare).
  assert.equal((await post(rpc("ping"), from(address(1), forged()), w.url)).status, 429);

  // Another address still gets its forged token verified and refused.
  assert.equal((await post(rpc("ping"), from(address(2), forged()), w.url)).status, 401);
  // A valid token from a third address is served…
  assert.equal((await post(rpc("ping"), from(address(3), mint(key, claims({ sub: "third" }))), w.url)).status, 200);
  // …and the token verified before the flood is served even from the limited address.
  assert.equal((await post(rpc("ping"), from(address(1), valid), w.url)).status, 200);

  await w.waitForLog(/"rate_limited":"address"/);
  const records = w.records();
  const line = records.find((r) => r.rate_limited === "address");
  assert.equal(line.status, 429);
  assert.equal(line.auth, "rate_limited");
  const verified = records.filter((r) => r.auth === "invalid_token" && !r.remembered).length;
  assert.equal(verified, refused.length + 1, "every forged token past the limit cost no verification");
});

test("a forged token repeated from a limited address is still answered from memory", async () => {
  const ip = address(4);
  const token = forged();
  assert.equal((await post(rpc("ping"), from(ip, token), w.url)).status, 401);
  await untilLimited(() => post(rpc("ping"), from(ip, forged()), w.url), 3 * LIMIT);
  const again = await post(rpc("ping"), from(ip, token), w.url);
  assert.equal(again.status, 401, "a remembered refusal costs no verification, so no limit");
});

test("the per-caller limit: one token's tool calls get 429, its other requests and other callers do not", async () => {
  const mine = mint(key, claims({ sub: `rl-caller-${run}` }));
  const { before: served, limited } = await untilLimited(() => post(roll, from(address(5), mine), w.url), 3 * LIMIT);
  assert.ok(served.every((r) => r.status === 200));
  assert.ok(served.length < 2 * LIMIT, `${served.length} calls before the limit`);
  assert.equal(limited.headers.get("retry-after"), "60");
  assert.equal(limited.json.error.data.limit, "caller");
  assert.equal(limited.json.id, null);
  assert.match(limited.json.error.message, /tool calls for this token's subject/);

  assert.equal((await post(rpc("tools/list"), from(address(5), mine), w.url)).status, 200, "not a tool call");
  const other = mint(key, claims({ sub: `rl-other-${run}` }));
  assert.equal((await post(roll, from(address(5), other), w.url)).status, 200, "another caller");
  await w.waitForLog(/"rate_limited":"caller"/);
  const line = w.records().find((r) => r.rate_limited === "caller");
  assert.deepEqual([line.status, line.auth], [429, "cached"]);
});

test("without the bindings nothing is limited, and the worker says so once", async () => {
  const u = await startWorker({
    vars: { JWT_PUBLIC_KEY: JSON.stringify({ keys: [key.jwk] }) },
    args: ["--config", path.join(ROOT, "tests/e2e/unlimited.wrangler.toml")],
  });
  try {
    for (let i = 0; i < 3 * LIMIT; i++) {
      assert.equal((await post(rpc("ping"), from(address(6), forged()), u.url)).status, 401);
    }
    await u.waitForLog(/no CALLER_RATE_LIMIT binding/);
    assert.equal(u.logs().match(/no ADDRESS_RATE_LIMIT binding/g).length, 1);
  } finally {
    await u.stop();
  }
});
