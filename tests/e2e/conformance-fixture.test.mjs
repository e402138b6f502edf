// The official conformance suite, whole (`--suite all`: every server scenario of the
// pinned version that applies at the revision), against the fixture worker
// (tests/conformance: dice-mcp's core serving the suite's fixture tools, resources and
// prompts), started the way the README says, without authentication. One suite process
// per revision. What cannot pass is in tests/conformance/expected-failures.fixture.yml,
// each with its reason; anything else failing, or an expected failure passing, fails here.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import path from "node:path";
import { startFixture, ROOT } from "./harness.mjs";
import { conformanceSuite, conformanceExtension, extensionScenarios, figures } from "./conformance-run.mjs";
import { post, rpc, modern } from "./client.mjs";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";

const BASELINE = path.join(ROOT, "tests/conformance/expected-failures.fixture.yml");
export const VERSIONS = ["2025-06-18", "2025-11-25", "2026-07-28"];

let fixture;
before(async () => {
  fixture = await startFixture();
});
after(() => fixture?.stop());

for (const version of VERSIONS) {
  test(`fixture conformance ${version}: the whole suite`, async () => {
    const started = Date.now();
    const byScenario = await conformanceSuite(`${fixture.base}/mcp`, version, BASELINE);
    const names = Object.keys(byScenario);
    const seconds = ((Date.now() - started) / 1000).toFixed(1);
    console.log(`${figures(`fixture ${version}`, byScenario)}; ${seconds} s`);
    for (const s of ["resources-list", "resources-templates-read", "prompts-get-with-args", "completion-complete"]) {
      assert.ok(names.includes(s), `${s} ran`);
    }
    assert.ok(names.length >= 25, `only ${names.length} scenarios ran`);
  });
}

test("fixture conformance: the extension scenarios", async () => {
  const scenarios = await extensionScenarios();
  assert.ok(scenarios.length >= 10, `only ${scenarios.length} extension scenarios are listed`);
  const all = {};
  for (const scenario of scenarios) {
    Object.assign(all, await conformanceExtension(`${fixture.base}/mcp`, scenario, BASELINE));
  }
  console.log(figures("fixture extensions", all));
});

const fixturePost = (body, headers) => post(body, { authorization: null, ...headers }, `${fixture.base}/mcp`);
const legacy = (method, params) => fixturePost(rpc(method, params), { "mcp-protocol-version": "2025-11-25" });
const latest = (method, params) => {
  const { body, headers } = modern(method, params);
  if (params.uri !== undefined) headers["mcp-name"] = params.uri;
  return fixturePost(body, headers);
};

test("without authentication, a tool that needs a scope says why it cannot run", async () => {
  const r = await legacy("tools/call", { name: "ask_upstream", arguments: { question: "q" } });
  assert.equal(r.status, 200);
  assert.equal(r.json.result.isError, true);
  assert.match(r.json.result.content[0].text, /upstream:ask.*ALLOW_UNAUTHENTICATED/);
});

test("the example template reads, completes, and says what exists when nothing matches", async () => {
  const r = await legacy("resources/read", { uri: "rules://dice/craps" });
  assert.equal(r.json.result.contents[0].uri, "rules://dice/craps");
  assert.match(r.json.result.contents[0].text, /7 or 11/);
  const missing = await latest("resources/read", { uri: "rules://dice/poker" });
  assert.equal(missing.status, 400);
  assert.equal(missing.json.error.code, -32602);
  assert.match(missing.json.error.message, /no rules for 'poker'; the games are craps, farkle, yahtzee/);
  assert.equal(missing.json.error.data.uri, "rules://dice/poker");
  const c = await latest("completion/complete", {
    ref: { type: "ref/resource", uri: "rules://dice/{game}" },
    argument: { name: "game", value: "f" },
  });
  assert.deepEqual(c.json.result.completion, { values: ["farkle"], total: 1, hasMore: false });
});

test("the example prompt fills in its arguments and completes one", async () => {
  const r = await legacy("prompts/get", { name: "roll_for", arguments: { action: "jump the gap", dice: "3" } });
  assert.match(r.json.result.messages[0].content.text, /I try to jump the gap. Call roll_dice with n_dice=3/);
  assert.equal(r.json.result.description, "Roll 3 dice for: jump the gap");
  const bad = await legacy("prompts/get", { name: "roll_for", arguments: { action: "x", dice: "lots" } });
  assert.equal(bad.json.error.code, -32602);
  assert.match(bad.json.error.message, /'dice' must be a whole number/);
  const c = await legacy("completion/complete", {
    ref: { type: "ref/prompt", name: "roll_for" },
    argument: { name: "dice", value: "" },
  });
  assert.equal(c.json.result.completion.values.length, 6);
});

test("capabilities name resources, prompts and completions, none of them with notifications", async () => {
  const r = await fixturePost(rpc("initialize", {
    protocolVersion: "2025-11-25", capabilities: {}, clientInfo: { name: "t", version: "1" },
  }));
  const caps = r.json.result.capabilities;
  assert.deepEqual(caps.resources, { listChanged: false, subscribe: false });
  assert.deepEqual(caps.prompts, { listChanged: false });
  assert.deepEqual(caps.completions, {});
  const d = await latest("server/discover", {});
  assert.deepEqual(d.json.result.capabilities.resources, { listChanged: false, subscribe: false });
  for (const method of ["resources/list", "resources/templates/list", "prompts/list"]) {
    const l = await latest(method, {});
    assert.equal(l.json.result.cacheScope, "public", method);
    assert.equal(typeof l.json.result.ttlMs, "number", method);
  }
});

test("the TypeScript SDK client lists, reads, gets and completes, and its schemas accept the answers", async () => {
  const client = new Client({ name: "sdk-primitives", version: "1.0.0" });
  await client.connect(new StreamableHTTPClientTransport(new URL(`${fixture.base}/mcp`)));
  try {
    const caps = client.getServerCapabilities();
    assert.ok(caps.resources && caps.prompts && caps.completions);
    const { resources } = await client.listResources();
    assert.ok(resources.some((r) => r.uri === "whoami://caller"));
    const { resourceTemplates } = await client.listResourceTemplates();
    assert.ok(resourceTemplates.some((t) => t.uriTemplate === "rules://dice/{game}"));
    const read = await client.readResource({ uri: "rules://dice/yahtzee" });
    assert.match(read.contents[0].text, /five of a kind/);
    const blob = await client.readResource({ uri: "test://static-binary" });
    assert.equal(blob.contents[0].mimeType, "image/png");
    const { prompts } = await client.listPrompts();
    assert.ok(prompts.some((p) => p.name === "roll_for" && p.arguments.length === 2));
    const prompt = await client.getPrompt({ name: "roll_for", arguments: { action: "open the door" } });
    assert.equal(prompt.messages[0].role, "user");
    const c = await client.complete({ ref: { type: "ref/prompt", name: "roll_for" }, argument: { name: "dice", value: "4" } });
    assert.deepEqual(c.completion.values, ["4"]);
    await assert.rejects(client.readResource({ uri: "rules://dice/poker" }), /no rules for 'poker'/);
  } finally {
    await client.close();
  }
});
