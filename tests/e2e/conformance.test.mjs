// The official MCP conformance suite (0.2.0-alpha.12) against the dice server itself, auth
// on: the runner has no option for an Authorization header, so it talks to the worker
// through a loopback proxy that adds the suite's token. Checks that cannot pass here are in
// tests/conformance/expected-failures.dice.yml, each with its reason.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import path from "node:path";
import { URL_MCP, AUTH } from "./client.mjs";
import { startHeaderProxy, ROOT } from "./harness.mjs";
import { conformance, figures } from "./conformance-run.mjs";

const BASELINE = path.join(ROOT, "tests/conformance/expected-failures.dice.yml");
// Every server scenario of the suite that asks nothing of a server but what it must do
// with its own tools: the others read the suite's fixtures (test_simple_text,
// test://static-text, test_simple_prompt…), which the fixture worker serves
// (conformance-fixture.test.mjs). sep-2164-resource-not-found applies to a server with
// resources: the dice server has one, roll_dice's view.
const BOTH = ["tools-list", "dns-rebinding-protection", "server-sse-multiple-streams"];
export const SCENARIOS = {
  "2025-11-25": ["server-initialize", "ping", ...BOTH],
  "2026-07-28": ["server-stateless", "http-header-validation", "caching", "sep-2164-resource-not-found", ...BOTH],
};

let proxy;
before(async () => {
  proxy = await startHeaderProxy(URL_MCP, AUTH);
});
after(async () => proxy?.stop());

const results = {};
for (const [version, scenarios] of Object.entries(SCENARIOS)) {
  results[version] = {};
  for (const scenario of scenarios) {
    test(`conformance ${version}: ${scenario}`, async () => {
      const checks = await conformance(`${proxy.base}/mcp`, scenario, version, BASELINE);
      assert.ok(checks.length > 0, "the scenario ran checks");
      results[version][scenario] = checks;
    });
  }
}

test("conformance figures of the dice server", () => {
  for (const [version, byScenario] of Object.entries(results)) {
    console.log(figures(`dice ${version}`, byScenario));
  }
});
