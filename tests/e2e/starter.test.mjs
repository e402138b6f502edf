// The starter (starter/, docs/start.md) as an author uses it: copied out of the
// repository, its host tests and `worker-build --release` run there (scripts/starter.sh),
// served by `wrangler dev` from its own folder with its own wrangler.toml, and called by
// the official TypeScript SDK client. If the library's API or the starter drifts, this
// fails.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { ROOT, startWorker } from "./harness.mjs";
import { newKey, mint, claims } from "./tokens.mjs";

const outside = mkdtempSync(path.join(tmpdir(), "starter-"));
const dir = path.join(outside, "my-mcp-server");
const key = newKey("starter");
// The library's default audience is the server's name.
const token = mint(key, claims({ iss: undefined, scope: undefined, aud: "my-mcp-server" }));
let worker;

before(async () => {
  execFileSync("bash", [path.join(ROOT, "scripts/starter.sh"), dir], { stdio: "inherit" });
  // wrangler dev runs the starter's build command again: with the tools the script used
  // (no downloads here) and its target folder, so it only re-links.
  for (const line of readFileSync(path.join(dir, ".build-env"), "utf8").split("\n")) {
    const at = line.indexOf("=");
    if (at > 0) process.env[line.slice(0, at)] = line.slice(at + 1);
  }
  // Served as docs/start.md says to before deploying: tokens required, verified
  // against a key of the test's (the library's default audience, no issuer).
  worker = await startWorker({ cwd: dir, vars: { JWT_PUBLIC_KEY: JSON.stringify({ keys: [key.jwk] }) } });
});
after(async () => {
  await worker?.stop();
  rmSync(outside, { recursive: true, force: true });
});

async function connect() {
  const client = new Client({ name: "starter-e2e", version: "1.0.0" });
  const headers = { authorization: `Bearer ${token}` };
  await client.connect(new StreamableHTTPClientTransport(new URL(worker.url), { requestInit: { headers } }));
  return client;
}

test("the copied-out starter serves its tool, resource and prompt to a real client", async () => {
  const client = await connect();
  try {
    assert.equal(client.getServerVersion().name, "my-mcp-server");
    const { tools } = await client.listTools();
    assert.deepEqual(tools.map((t) => t.name), ["add"]);
    const sum = await client.callTool({ name: "add", arguments: { a: 2, b: 3.5 } });
    assert.equal(sum.isError, false, JSON.stringify(sum));
    assert.equal(sum.content[0].text, "5.5");
    const bad = await client.callTool({ name: "add", arguments: { a: "two", b: 3 } });
    assert.equal(bad.isError, true);
    const { contents } = await client.readResource({ uri: "docs://about" });
    assert.match(contents[0].text, /add tool/);
    const prompt = await client.getPrompt({ name: "explain", arguments: { topic: "dice" } });
    assert.equal(prompt.messages[0].content.text, "Explain dice in three sentences.");
  } finally {
    await client.close();
  }
});

test("the smoke check passes against it, calling the tool it is told to", () => {
  const out = execFileSync(process.execPath,
    [path.join(ROOT, "scripts/smoke.mjs"), worker.url, "--token", token, "--tool", "add", "--args", '{"a": 1, "b": 2}'],
    { encoding: "utf8" });
  assert.match(out, /ok +tools\/list: add/);
  assert.match(out, /ok +tools\/call add: .*"3"/);
  assert.match(out, /All 7 checks passed/);
});
