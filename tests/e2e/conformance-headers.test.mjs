// Against the fixture worker (tests/conformance): 2026-07-28 custom headers (`x-mcp-header` /
// `Mcp-Param-{Name}`, its tool `test_header_route`) and the skills extension (SEP-2640, its
// skill `pdf-processing`): the official suite's scenarios for each, and the same rules over
// raw HTTP.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { startFixture, ROOT } from "./harness.mjs";
import { conformance } from "./conformance-run.mjs";
import { post, rpc, modern } from "./client.mjs";

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

test("a browser's preflight for Mcp-Param headers is answered with the names it asks for", async () => {
  const r = await fetch(`${fixture.base}/mcp`, {
    method: "OPTIONS",
    headers: {
      origin: "http://localhost:6274",
      "access-control-request-method": "POST",
      "access-control-request-headers": "content-type, mcp-method, mcp-param-region",
    },
  });
  assert.equal(r.status, 204);
  assert.match(r.headers.get("access-control-allow-headers"), /mcp-param-region/);
});

// ---------------------------------------------------------------- skills (SEP-2640)

/** An extension scenario: not on the revision timeline, so the suite runs it only when
 *  forced; at 2026-07-28 (stateless, server/discover) and 2025-11-25 (initialize). */
async function extensionScenario(scenario, version) {
  const out = mkdtempSync(path.join(tmpdir(), "conformance-"));
  const args = ["server", "--url", `${fixture.base}/mcp`, "--scenario", scenario, "--spec-version", version,
    "--force", "--expected-failures", BASELINE, "-o", out];
  try {
    await promisify(execFile)("conformance", args, { maxBuffer: 16 << 20 });
  } catch (e) {
    throw new Error(`conformance ${args.join(" ")} failed:\n${e.stdout}\n${e.stderr}`);
  }
  const [dir] = readdirSync(out);
  return JSON.parse(readFileSync(path.join(out, dir, "checks.json"), "utf8"));
}

for (const version of ["2026-07-28", "2025-11-25"]) {
  for (const scenario of ["sep-2640-skills-enumeration", "sep-2640-skills-manifest", "sep-2640-skills-directory"]) {
    test(`fixture conformance ${version}: ${scenario}`, async () => {
      const checks = await extensionScenario(scenario, version);
      const bad = checks.filter((c) => c.status === "FAILURE" || c.status === "WARNING");
      assert.deepEqual(bad.map((c) => `${c.id}: ${c.errorMessage}`), []);
      assert.ok(checks.filter((c) => c.status === "SUCCESS").length >= 5, "the checks ran");
    });
  }
}

const latest = async (method, params) => {
  // resources/read mirrors params.uri in Mcp-Name (2026-07-28).
  const { body, headers } = modern(method, params, { headers: params?.uri ? { "mcp-name": params.uri } : {} });
  return post(body, { authorization: null, ...headers }, `${fixture.base}/mcp`);
};

test("the fixture declares the skills extension beside resources", async () => {
  const r = await latest("server/discover");
  assert.deepEqual(r.json.result.capabilities.extensions["io.modelcontextprotocol/skills"], { directoryRead: true });
  assert.ok(r.json.result.capabilities.resources);
});

test("a skill's files are resources, SKILL.md named and described by its frontmatter", async () => {
  const all = [];
  for (let cursor; ;) {
    const r = await latest("resources/list", cursor ? { cursor } : {});
    all.push(...r.json.result.resources);
    cursor = r.json.result.nextCursor;
    if (!cursor) break;
  }
  const md = all.find((x) => x.uri === "skill://pdf-processing/SKILL.md");
  assert.equal(md.name, "pdf-processing");
  assert.match(md.description, /^Extract text and tables from PDF files/);
  assert.equal(md.mimeType, "text/markdown");
  const read = await latest("resources/read", { uri: "skill://pdf-processing/references/FORMS.md" });
  assert.match(read.json.result.contents[0].text, /^# Filling PDF forms/);
});

test("skills/get and resources/directory/read say what is wrong with a URI", async () => {
  const unknown = await latest("skills/get", { uri: "skill://nothing/SKILL.md" });
  assert.equal(unknown.status, 400);
  assert.equal(unknown.json.error.code, -32602);
  assert.match(unknown.json.error.message, /no skill has the URI 'skill:\/\/nothing\/SKILL.md'/);
  const file = await latest("resources/directory/read", { uri: "skill://pdf-processing/SKILL.md" });
  assert.equal(file.json.error.code, -32602);
  assert.match(file.json.error.message, /is not a directory of a skill/);
  const root = await latest("resources/directory/read", { uri: "skill://pdf-processing" });
  assert.deepEqual(root.json.result.resources.map((c) => [c.name, c.mimeType]),
    [["SKILL.md", "text/markdown"], ["references", "inode/directory"]]);
});

test("the dice server publishes no skills: no extension, and the methods are unknown", async () => {
  const { body, headers } = modern("server/discover");
  const r = await post(body, headers);
  assert.equal(r.json.result.capabilities.extensions, undefined);
  const list = await post(rpc("skills/list", {}), { "mcp-protocol-version": "2025-11-25" });
  assert.equal(list.json.error.code, -32601);
});
