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

// An authorization server named without what its sign-in needs: refused, naming the
// variable to set, and logged once (not once per request).
for (const [what, vars, variable] of [
  ["no key to verify its tokens", { AUTHORIZATION_SERVERS: "https://as.example", PUBLIC_URL: "https://dice.example", ALLOW_UNAUTHENTICATED: "true" }, "JWT_JWKS_URL"],
  ["no PUBLIC_URL to take the audience from", { JWT_JWKS_URL: "https://as.example/jwks", JWT_ISSUER: "https://as.example" }, "PUBLIC_URL"],
]) {
  test(`an authorization server with ${what} fails closed naming ${variable}`, async () => {
    const w = await startWorker({ vars });
    try {
      for (let i = 0; i < 3; i++) {
        const r = await post(initialize(), { authorization: null }, w.url);
        assert.equal(r.status, 500);
        assert.equal(r.json.error, "server_misconfigured");
        assert.match(r.json.error_description, new RegExp(`${variable} is not usable`));
      }
      const logs = await w.waitForLog(/Every request gets 500/);
      assert.equal(logs.match(/Every request gets 500/g).length, 1, "reported once");
    } finally {
      await w.stop();
    }
  });
}
