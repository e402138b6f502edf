// ALLOWED_ORIGINS replaces the loopback default: checked against a second worker started
// with the variable set, as an operator would set it in wrangler.toml.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startWorker } from "./harness.mjs";
import { post, initialize } from "./client.mjs";

let worker;
before(async () => {
  worker = await startWorker({ vars: { ALLOWED_ORIGINS: "https://app.example", ALLOW_UNAUTHENTICATED: "true" } });
});
after(async () => worker?.stop());

test("a configured origin is allowed and echoed", async () => {
  const r = await post(initialize(), { origin: "https://app.example" }, worker.url);
  assert.equal(r.status, 200);
  assert.equal(r.headers.get("access-control-allow-origin"), "https://app.example");
});

test("loopback origins are no longer allowed once a list is configured", async () => {
  const r = await post(initialize(), { origin: "http://localhost:6274" }, worker.url);
  assert.equal(r.status, 403);
});

test("requests without Origin (servers, CLIs, OpenAI) are unaffected", async () => {
  const r = await post(initialize(), { authorization: null }, worker.url);
  assert.equal(r.status, 200);
});
