// The official Python SDK (mcp 2.x): with mode "auto" it probes server/discover and speaks
// 2026-07-28; with "legacy" it uses the initialize handshake.
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import path from "node:path";
import { promisify } from "node:util";
import { ROOT } from "./harness.mjs";
import { URL_MCP } from "./client.mjs";

const run = promisify(execFile);
const PYTHON = path.join(ROOT, ".cache", "venv", "bin", "python");

async function drive(mode) {
  const { stdout } = await run(PYTHON, [path.join(ROOT, "tests", "e2e", "python_client.py"), URL_MCP, mode]);
  return JSON.parse(stdout.trim().split("\n").pop());
}

for (const [mode, version] of [["auto", "2026-07-28"], ["legacy", "2025-11-25"]]) {
  test(`python mcp client, mode ${mode}: speaks ${version}, lists and rolls`, async () => {
    const out = await drive(mode);
    assert.equal(out.protocol_version, version);
    assert.equal(out.server_name, "dice-mcp");
    assert.ok(out.tools.includes("roll_dice"), JSON.stringify(out.tools));
    assert.equal(out.rolled.result.length, 5);
    assert.equal(out.ok_is_error, false);
    assert.equal(out.bad_is_error, true);
    assert.match(out.bad_text, /from 1 to 100/);
  });
}
