// `npm run smoke`: passes against the local worker, and names the problem when the URL,
// the token or the server is wrong.
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import http from "node:http";
import { once } from "node:events";
import path from "node:path";
import { ROOT, freePort } from "./harness.mjs";
import { URL_MCP, BASE, TOKEN } from "./client.mjs";
import { importKeys, mint, claims } from "./tokens.mjs";

const [key] = importKeys(process.env.DICE_MCP_TEST_KEYS);

function smoke(...args) {
  return new Promise((resolve) => {
    execFile(process.execPath, [path.join(ROOT, "scripts", "smoke.mjs"), ...args],
      { env: { ...process.env, DICE_MCP_TOKEN: "", TOKEN: "" } },
      (error, stdout, stderr) => resolve({ code: error ? error.code : 0, out: stdout + stderr }));
  });
}

test("passes against the running worker with a valid token", async () => {
  const r = await smoke(URL_MCP, "--token", TOKEN);
  assert.equal(r.code, 0, r.out);
  for (const line of ["a request without a token is refused with 401", "protected resource metadata", "the token is accepted",
    "MCP handshake", "tools/list: roll_dice", "tools/call roll_dice: rolled", "server/discover"]) {
    assert.match(r.out, new RegExp(`ok +${line.replace(/[/()]/g, "\\$&")}`));
  }
  assert.match(r.out, /All 7 checks passed/);
});

test("a wrong path is named, with the endpoint to use", async () => {
  const r = await smoke(`${BASE}/api/mcp`, "--token", TOKEN);
  assert.equal(r.code, 1);
  assert.match(r.out, /wrong path: \/api\/mcp is not the MCP endpoint/);
  assert.match(r.out, new RegExp(`Use ${BASE}/mcp/`));
});

test("a token for another audience is refused with the reason and what to do", async () => {
  const r = await smoke(URL_MCP, "--token", mint(key, claims({ aud: "someone-else" })));
  assert.equal(r.code, 1);
  assert.match(r.out, /FAIL +the token is accepted/);
  assert.match(r.out, /audience \('aud'\) does not include 'dice-server'/);
  assert.match(r.out, /JWT_AUDIENCE/);
});

test("a token the server's key did not sign is named as such", async () => {
  const r = await smoke(URL_MCP, "--token", `${TOKEN.slice(0, -8)}AAAAAAAA`);
  assert.equal(r.code, 1);
  assert.match(r.out, /signature does not verify/);
});

test("no token says how to get one", async () => {
  const r = await smoke(URL_MCP);
  assert.equal(r.code, 1);
  assert.match(r.out, /no token given/);
});

test("a server that is down is reported as nothing listening", async () => {
  const port = await freePort();
  const r = await smoke(`http://127.0.0.1:${port}/mcp/`, "--token", TOKEN);
  assert.equal(r.code, 1);
  assert.match(r.out, new RegExp(`nothing is listening at 127.0.0.1:${port}`));
});

test("a redirect is reported with where it goes", async () => {
  const server = http.createServer((req, res) => {
    res.writeHead(307, { location: URL_MCP });
    res.end();
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  try {
    const r = await smoke(`http://127.0.0.1:${server.address().port}/mcp`, "--token", TOKEN);
    assert.equal(r.code, 1);
    assert.match(r.out, /redirects \(307\)/);
    assert.match(r.out, new RegExp(`use ${URL_MCP}`));
  } finally {
    server.close();
  }
});

test("a disallowed Origin is reported as a CORS problem", async () => {
  const r = await smoke(URL_MCP, "--token", TOKEN, "--origin", "https://evil.example");
  assert.equal(r.code, 1);
  assert.match(r.out, /CORS: Origin 'https:\/\/evil.example' is not allowed/);
});
