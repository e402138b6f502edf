// A malformed variable fails closed: every request gets 500 naming the variable to fix.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startWorker } from "./harness.mjs";
import { post, initialize } from "./client.mjs";

let worker;
before(async () => {
  worker = await startWorker({
    vars: { ALLOWED_ORIGINS: "https://app.example/with/a/path", ALLOW_UNAUTHENTICATED: "true" },
  });
});
after(async () => worker?.stop());

test("an invalid ALLOWED_ORIGINS refuses every request with 500 naming it", async () => {
  const r = await post(initialize(), {}, worker.url);
  assert.equal(r.status, 500);
  assert.equal(r.json.error, "server_misconfigured");
  assert.match(r.json.error_description, /ALLOWED_ORIGINS/);
});
