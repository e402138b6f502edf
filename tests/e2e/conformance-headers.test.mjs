// 2026-07-28 custom headers (`x-mcp-header` / `Mcp-Param-{Name}`) against the fixture worker
// (tests/conformance), which serves `test_header_route`: the official suite's
// `http-custom-header-server-validation` scenario, and the same rules over raw HTTP.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import path from "node:path";
import { startFixture, ROOT } from "./harness.mjs";
import { conformance } from "./conformance-run.mjs";
import { post, modern } from "./client.mjs";

const BASELINE = path.join(ROOT, "tests/conformance/expected-failures.fixture.yml");

let fixture;
before(async () => {
  fixture = await startFixture();
});
after(() => fixture?.stop());

const call = (args, headers = {}) => {
  const { body, headers: h } = modern("tools/call", { name: "test_header_route", arguments: args });
  return post(body, { authorization: null, ...h, ...headers }, `${fixture.base}/mcp`);
};

test("fixture conformance 2026-07-28: http-custom-header-server-validation", async () => {
  const checks = await conformance(`${fixture.base}/mcp`, "http-custom-header-server-validation", "2026-07-28", BASELINE);
  const ran = checks.filter((c) => c.status === "SUCCESS").map((c) => c.id);
  // The scenario found the annotated tool: its decode and mismatch checks ran and passed.
  for (const id of ["sep-2243-server-decode-base64", "sep-2243-server-reject-invalid-param-chars",
    "sep-2243-server-validate-param-match", "sep-2243-server-reject-param-mismatch"]) {
    assert.ok(ran.includes(id), `${id} passed: ${JSON.stringify(checks.map((c) => [c.id, c.status]))}`);
  }
});

test("tools/list shows the annotation clients mirror", async () => {
  const { body, headers } = modern("tools/list");
  const r = await post(body, { authorization: null, ...headers }, `${fixture.base}/mcp`);
  const tool = r.json.result.tools.find((t) => t.name === "test_header_route");
  assert.equal(tool.inputSchema.properties.region["x-mcp-header"], "Region");
});

test("headers that agree with the arguments are accepted, in any case and either encoding", async () => {
  const r = await call(
    { region: "Hello, 世界", priority: 42, dry_run: true },
    {
      "MCP-PARAM-REGION": `=?base64?${Buffer.from("Hello, 世界").toString("base64")}?=`,
      "mcp-param-priority": "42.0",
      "Mcp-Param-Dry-Run": "true",
    },
  );
  assert.equal(r.status, 200, r.text);
  assert.match(r.json.result.content[0].text, /routed to Hello, 世界 \(priority 42, dry run true\)/);
});

test("a missing, disagreeing, stray or undecodable Mcp-Param header is -32020 over 400", async () => {
  const cases = [
    [{ region: "eu" }, {}, /Mcp-Param-Region header is missing/],
    [{ region: "eu" }, { "mcp-param-region": "us" }, /Mcp-Param-Region header 'us' does not match arguments.region/],
    [{ region: "eu", priority: 1 }, { "mcp-param-region": "eu", "mcp-param-priority": "2" }, /Mcp-Param-Priority/],
    [{ region: "eu" }, { "mcp-param-region": "eu", "mcp-param-dry-run": "false" }, /arguments.dry_run is absent/],
    [{ region: "Hello" }, { "mcp-param-region": "=?base64?SGVsbG8?=" }, /malformed =\?base64\?/],
  ];
  for (const [args, headers, message] of cases) {
    const r = await call(args, headers);
    assert.equal(r.status, 400, r.text);
    assert.equal(r.json.error.code, -32020, r.text);
    assert.match(r.json.error.message, message);
  }
});

test("before 2026-07-28 the headers are not part of the protocol and are not checked", async () => {
  const body = { jsonrpc: "2.0", id: 1, method: "tools/call", params: { name: "test_header_route", arguments: { region: "eu" } } };
  const r = await post(body, { authorization: null, "mcp-protocol-version": "2025-11-25", "mcp-param-region": "us" }, `${fixture.base}/mcp`);
  assert.equal(r.status, 200, r.text);
  assert.match(r.json.result.content[0].text, /routed to eu/);
});
