// The official conformance suite's tool scenarios against the fixture worker
// (tests/conformance: dice-mcp's core serving the suite's fixture tools), started the way
// docs/tests.md says, without authentication, at both revisions the scenarios cover.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import path from "node:path";
import { startFixture, ROOT } from "./harness.mjs";
import { conformance } from "./conformance-run.mjs";
import { post, rpc } from "./client.mjs";

const BASELINE = path.join(ROOT, "tests/conformance/expected-failures.fixture.yml");
const BOTH = [
  "tools-list", "tools-call-simple-text", "tools-call-image", "tools-call-audio",
  "tools-call-embedded-resource", "tools-call-mixed-content", "tools-call-error",
  "tools-call-with-progress", "json-schema-2020-12",
];
export const SCENARIOS = {
  "2025-11-25": ["server-initialize", "ping", ...BOTH, "tools-call-with-logging", "logging-set-level",
    "tools-call-sampling", "tools-call-elicitation"],
  "2026-07-28": [...BOTH, "server-stateless",
    ...["basic-elicitation", "basic-sampling", "basic-list-roots", "request-state",
      "multiple-input-requests", "multi-round", "missing-input-response", "non-tool-request",
      "result-type", "unsupported-methods", "tampered-state", "capability-check",
      "ignore-extra-params", "validate-input"].map((s) => `input-required-result-${s}`)],
};

let fixture;
before(async () => {
  fixture = await startFixture();
});
after(() => fixture?.stop());

for (const [version, scenarios] of Object.entries(SCENARIOS)) {
  for (const scenario of scenarios) {
    test(`fixture conformance ${version}: ${scenario}`, async () => {
      const checks = await conformance(`${fixture.base}/mcp`, scenario, version, BASELINE);
      assert.ok(checks.length > 0, "the scenario ran checks");
    });
  }
}

test("without authentication, a tool that needs a scope says why it cannot run", async () => {
  const r = await post(
    rpc("tools/call", { name: "ask_upstream", arguments: { question: "q" } }),
    { authorization: null, "mcp-protocol-version": "2025-11-25" },
    `${fixture.base}/mcp`,
  );
  assert.equal(r.status, 200);
  assert.equal(r.json.result.isError, true);
  assert.match(r.json.result.content[0].text, /upstream:ask.*ALLOW_UNAUTHENTICATED/);
});
