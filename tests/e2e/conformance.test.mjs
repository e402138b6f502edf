// The MCP conformance suite's server scenarios that apply to a one-tool server.
// The others need fixture tools, prompts, resources, logging, completions or sampling that
// this server does not have by design (see README, "Conformance").
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { test, before, after } from "node:test";
import { URL_MCP, AUTH } from "./client.mjs";
import { startHeaderProxy } from "./harness.mjs";

const run = promisify(execFile);
export const SCENARIOS = ["server-initialize", "ping", "tools-list", "dns-rebinding-protection"];

// The runner has no option for an Authorization header, so it talks to the worker through
// a loopback proxy that adds the suite's token; the worker's auth stays on.
let proxy;
before(async () => {
  proxy = await startHeaderProxy(URL_MCP, AUTH);
});
after(async () => proxy?.stop());

for (const scenario of SCENARIOS) {
  test(`conformance: ${scenario}`, async () => {
    const out = mkdtempSync(path.join(tmpdir(), "conformance-"));
    await run("conformance", ["server", "--url", `${proxy.base}/mcp`, "--scenario", scenario, "-o", out]);
    const [dir] = readdirSync(out);
    const checks = JSON.parse(readFileSync(path.join(out, dir, "checks.json"), "utf8"));
    assert.ok(checks.length > 0, "the scenario ran checks");
    for (const c of checks) assert.equal(c.status, "SUCCESS", `${c.id}: ${c.errorMessage ?? ""}`);
  });
}
