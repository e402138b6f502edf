// The official conformance suite's tasks scenarios (SEP-2663, the
// io.modelcontextprotocol/tasks extension) against the fixture worker, whose tasks live in
// Durable Objects under wrangler dev. Every one must pass: the expected-failures file
// lists none.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import path from "node:path";
import { startFixture, ROOT } from "./harness.mjs";
import { conformance } from "./conformance-run.mjs";

const BASELINE = path.join(ROOT, "tests/conformance/expected-failures.tasks.yml");
export const TASK_SCENARIOS = [
  "tasks-lifecycle", "tasks-capability-negotiation", "tasks-wire-fields",
  "tasks-request-state-removal", "tasks-mrtr-input", "tasks-request-headers",
  "tasks-dispatch-and-envelope", "tasks-status-notifications", "tasks-required-task-error",
  "tasks-mrtr-composition",
];

let fixture;
before(async () => {
  fixture = await startFixture();
});
after(() => fixture?.stop());

for (const scenario of TASK_SCENARIOS) {
  test(`fixture conformance 2026-07-28: ${scenario}`, async () => {
    const checks = await conformance(`${fixture.base}/mcp`, scenario, "2026-07-28", BASELINE);
    assert.ok(checks.length > 0, "the scenario ran checks");
    const failed = checks.filter((c) => c.status === "FAILURE");
    assert.deepEqual(failed, [], "no check failed");
  });
}
