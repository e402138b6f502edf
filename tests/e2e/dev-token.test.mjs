// The developer flow as `npm run dev` runs it: dice-token creates a key pair and a
// .dev.vars in a fresh folder, and the worker reading that .dev.vars accepts its tokens.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { startWorker, ROOT } from "./harness.mjs";
import { post, rpc } from "./client.mjs";

const run = promisify(execFile);
const dir = mkdtempSync(path.join(tmpdir(), "dice-dev-"));
const devVars = path.join(dir, ".dev.vars");

/** Runs dice-token with `dir` as its working folder, as the npm script runs it in the repo. */
async function diceToken(...args) {
  const { stdout, stderr } = await run(
    "cargo",
    ["run", "--quiet", "--manifest-path", path.join(ROOT, "Cargo.toml"), "--bin", "dice-token", "--", ...args],
    { cwd: dir },
  );
  return { token: stdout.trim(), stderr };
}

let worker;
let first;
before(async () => {
  first = await diceToken();
  worker = await startWorker({ envFile: devVars });
});
after(async () => worker?.stop());

test("first use creates the key pair and writes JWT_PUBLIC_KEY to .dev.vars", () => {
  assert.match(first.stderr, /creating a 2048-bit RSA key pair/);
  assert.match(readFileSync(devVars, "utf8"), /^JWT_PUBLIC_KEY="-----BEGIN PUBLIC KEY-----\n/);
  const mode = statSync(path.join(dir, "keys", "dev-private.pem")).mode & 0o777;
  assert.equal(mode, 0o600, "the private key is readable by its owner only");
});

test("the worker reading that .dev.vars accepts the printed token", async () => {
  const r = await post(rpc("ping"), { authorization: `Bearer ${first.token}`, "mcp-protocol-version": "2025-11-25" }, worker.url);
  assert.equal(r.status, 200);
});

test("later tokens reuse the key and leave .dev.vars alone", async () => {
  const before = readFileSync(devVars, "utf8");
  const { token, stderr } = await diceToken("--scope", "dice:roll", "--ttl", "60", "--sub", "someone");
  assert.doesNotMatch(stderr, /creating/);
  assert.equal(readFileSync(devVars, "utf8"), before);
  const claims = JSON.parse(Buffer.from(token.split(".")[1], "base64url"));
  assert.equal(claims.sub, "someone");
  assert.equal(claims.scope, "dice:roll");
  assert.equal(claims.exp - claims.iat, 60);
  const r = await post(rpc("ping"), { authorization: `Bearer ${token}`, "mcp-protocol-version": "2025-11-25" }, worker.url);
  assert.equal(r.status, 200);
});

test("an existing JWT_PUBLIC_KEY line for another key is never overwritten", async () => {
  const other = mkdtempSync(path.join(tmpdir(), "dice-dev-other-"));
  writeFileSync(path.join(other, ".dev.vars"), 'JWT_PUBLIC_KEY="something else"\n');
  const { stderr } = await run(
    "cargo",
    ["run", "--quiet", "--manifest-path", path.join(ROOT, "Cargo.toml"), "--bin", "dice-token"],
    { cwd: other },
  );
  assert.equal(readFileSync(path.join(other, ".dev.vars"), "utf8"), 'JWT_PUBLIC_KEY="something else"\n');
  assert.match(stderr, /already sets JWT_PUBLIC_KEY to another key/);
});

test("with JWT_JWKS_URL in .dev.vars, no development key is added beside it", async () => {
  const other = mkdtempSync(path.join(tmpdir(), "dice-dev-jwks-"));
  const vars = 'JWT_JWKS_URL=https://as.example/jwks\nJWT_ISSUER=https://as.example\n';
  writeFileSync(path.join(other, ".dev.vars"), vars);
  const { stderr } = await run(
    "cargo",
    ["run", "--quiet", "--manifest-path", path.join(ROOT, "Cargo.toml"), "--bin", "dice-token"],
    { cwd: other },
  );
  assert.equal(readFileSync(path.join(other, ".dev.vars"), "utf8").startsWith(vars), true);
  assert.doesNotMatch(readFileSync(path.join(other, ".dev.vars"), "utf8"), /JWT_PUBLIC_KEY/);
  assert.match(stderr, /sets JWT_JWKS_URL, so the development key is not added/);
});
