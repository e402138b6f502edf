// `npm run dev -- --oauth` as a developer runs it: scripts/dev.sh makes the development
// authorization server's keys and its client at the local OpenID provider (once, in
// keys/dev-oauth.env), builds the `oauth` worker, starts the provider and `wrangler dev`;
// then `npm run oauth-client` (the MCP TypeScript SDK's client, headless) signs in
// through it from nothing and rolls the dice. No step by hand in between.
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { spawn, execFile } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { ROOT, freePort } from "./harness.mjs";

const run = promisify(execFile);
const state = mkdtempSync(path.join(tmpdir(), "dice-dev-oauth-"));
let dev;

after(() => {
  // dev.sh, its provider and wrangler are one process group.
  if (dev && dev.exitCode === null) process.kill(-dev.pid, "SIGTERM");
  rmSync(state, { recursive: true, force: true });
});

test("npm run dev -- --oauth serves its own authorization server with the local provider, and the SDK's client signs in and rolls", async () => {
  const [port, oauthPort, inspectorPort] = [await freePort(), await freePort(), await freePort()];
  dev = spawn(
    "bash",
    [
      "scripts/dev.sh", "--oauth", "--port", String(port), "--oauth-port", String(oauthPort),
      // To wrangler: the test's own state and inspector port, no interactive session.
      "--persist-to", state, "--inspector-port", String(inspectorPort),
      "--show-interactive-dev-session=false", "--live-reload=false",
    ],
    { cwd: ROOT, env: { ...process.env, WRANGLER_SEND_METRICS: "false", CI: "true" }, stdio: ["ignore", "pipe", "pipe"], detached: true },
  );
  let output = "";
  await new Promise((resolve, reject) => {
    const onData = (chunk) => {
      output += chunk.toString();
      if (/Ready on http/.test(output)) resolve();
    };
    dev.stdout.on("data", onData);
    dev.stderr.on("data", onData);
    dev.on("exit", (code) => reject(new Error(`npm run dev -- --oauth exited (${code}) before it was ready:\n${output}`)));
  });
  assert.match(output, /be its own OAuth 2\.1 authorization server/);
  assert.match(output, new RegExp(`local OpenID provider at http://127\\.0\\.0\\.1:${oauthPort}`));
  const secretsFile = path.join(ROOT, "keys", "dev-oauth.env");
  const mode = statSync(secretsFile).mode & 0o777;
  assert.equal(mode, 0o600, "the development secrets are readable by their owner only");
  // Any user may read any process's command line (/proc/PID/cmdline, what ps shows): no
  // secret may be on one, neither wrangler's (or workerd's) nor the provider's.
  const secrets = readFileSync(secretsFile, "utf8").split("\n")
    .map((line) => line.match(/^OAUTH_(?:SEALING_KEY|UPSTREAM_CLIENT_SECRET|SIGNING_KEYS)=(["']?)(.*)\1$/)?.[2])
    .filter(Boolean);
  assert.equal(secrets.length, 3, "the sealing key, the provider client's secret and the signing keys");
  const lines = existsSync("/proc/self/cmdline")
    ? readdirSync("/proc").filter((d) => /^\d+$/.test(d)).map((pid) => {
      try {
        return readFileSync(`/proc/${pid}/cmdline`, "utf8").replaceAll("\0", " ");
      } catch {
        return ""; // gone since the listing
      }
    })
    : (await run("ps", ["-Ao", "args"], { maxBuffer: 1 << 24 })).stdout.split("\n");
  assert.ok(lines.some((l) => l.includes("wrangler") && l.includes(`--port ${port}`)), "wrangler's command line is seen");
  assert.ok(lines.some((l) => l.includes("oauth-server.mjs") && l.includes(`--port ${oauthPort}`)), "the provider's command line is seen");
  for (const secret of secrets) {
    assert.ok(!lines.some((l) => l.includes(secret)), "no process has a development secret on its command line");
  }

  const url = `http://127.0.0.1:${port}/mcp/`;
  const { stdout } = await run(process.execPath, ["scripts/oauth-client.mjs", url], { cwd: ROOT, timeout: 60_000 });
  assert.match(stdout, new RegExp(`signed in: client \\S+, subject dev-user, audience ${url.replace(/[./]/g, "\\$&")}`));
  assert.match(stdout, /^tools: .*\broll_dice\b/m);
  assert.match(stdout, /^roll_dice: .*\d/m);
});
