// The adapter keeps the heads (status and headers) it answers with, 16 per isolate, each
// made once, and replaces the oldest once all are taken (crates/mcp-worker/src/adapter/runtime.rs, `head_slot`).
// Checked on a worker of this file's own, so that its table starts empty: whatever the
// table holds, each answer must carry exactly its own status and headers.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startWorker } from "./harness.mjs";
import { post, initialize } from "./client.mjs";

let worker;
before(async () => {
  worker = await startWorker({ vars: { ALLOW_UNAUTHENTICATED: "true" } });
});
after(async () => worker?.stop());

/** An answer's status and every header, sorted, with `origin` written as ORIGIN. */
const head = (r, origin) => [
  r.status,
  ...[...r.headers].map(([n, v]) => `${n}: ${origin && v === origin ? "ORIGIN" : v}`).sort(),
];

test("each answer carries exactly its own head, past the heads the worker keeps", async () => {
  const ask = (origin) => post(initialize(), { authorization: null, ...(origin && { origin }) }, worker.url);
  // The three kinds of answer, first seen here, are what every later one must match.
  const echoed = head(await ask("http://localhost:7000"), "http://localhost:7000");
  const plain = head(await ask());
  const refused = head(await ask("https://elsewhere.example"));
  assert.equal(echoed[0], 200);
  assert.ok(echoed.includes("access-control-allow-origin: ORIGIN"), echoed.join("\n"));
  assert.equal(plain[0], 200);
  assert.ok(!plain.some((h) => String(h).startsWith("access-control-")), plain.join("\n"));
  assert.equal(refused[0], 403);
  assert.notDeepEqual(refused.slice(1), plain.slice(1));
  // 40 origins, each a new head, interleaved with the two that repeat: the table fills,
  // then its oldest heads (those two among them) are replaced and made again, over and over.
  for (let port = 7001; port <= 7040; port++) {
    const origin = `http://localhost:${port}`;
    assert.deepEqual(head(await ask(origin), origin), echoed, origin);
    assert.deepEqual(head(await ask()), plain, `without an origin, after ${origin}`);
    assert.deepEqual(head(await ask("https://elsewhere.example")), refused, `refused, after ${origin}`);
  }
});
