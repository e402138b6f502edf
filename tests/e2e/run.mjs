// Runs the end-to-end suite: one worker in workerd for every test file, then `node --test`.
import { spawn } from "node:child_process";
import { once } from "node:events";
import { readdirSync } from "node:fs";
import path from "node:path";
import { startWorker, ROOT } from "./harness.mjs";
import { newKey, exportKeys, mint, claims, AUDIENCE, ISSUER, SCOPE } from "./tokens.mjs";

// Test files named on the command line run alone (the other arguments go to `node --test`);
// without any, every file runs.
const dir = path.join(ROOT, "tests", "e2e");
const args = process.argv.slice(2);
const named = args.filter((a) => a.endsWith(".test.mjs")).map((f) => path.resolve(f));
const files = named.length
  ? named
  : readdirSync(dir)
      .filter((f) => f.endsWith(".test.mjs"))
      .map((f) => path.join(dir, f));

// The main worker: two keys in a JWKS (RS256 and PS256), the seed's audience, FastMCP's
// default issuer, and one required scope. Every test file talks to it with a valid token
// unless it is testing what happens without one.
const keys = [newKey("main"), newKey("pss", { alg: "PS256" })];
const worker = await startWorker({
  vars: {
    JWT_PUBLIC_KEY: JSON.stringify({ keys: keys.map((k) => k.jwk) }),
    JWT_AUDIENCE: AUDIENCE,
    JWT_ISSUER: ISSUER,
    REQUIRED_SCOPES: SCOPE,
  },
});
const token = mint(keys[0], claims({ exp: Math.floor(Date.now() / 1000) + 4 * 3600 }));
console.log(`worker ready at ${worker.url}`);
let code = 1;
try {
  const child = spawn(process.execPath, ["--test", "--test-concurrency=1", ...args.filter((a) => !a.endsWith(".test.mjs")), ...files], {
    stdio: "inherit",
    env: {
      ...process.env,
      DICE_MCP_URL: worker.url,
      DICE_MCP_BASE: worker.base,
      DICE_MCP_TOKEN: token,
      DICE_MCP_TEST_KEYS: exportKeys(keys),
    },
  });
  [code] = await once(child, "exit");
} finally {
  await worker.stop();
}
process.exit(code ?? 1);
