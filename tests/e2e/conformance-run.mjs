// Runs the official MCP conformance suite against a URL, at one protocol revision, with an
// expected-failures file: one scenario, or every server scenario of the pinned suite in
// one process (`--suite all`). Returns what it checked.
import { execFile } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, existsSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);

/** The checks of each scenario that ran, by scenario name (from each checks.json). */
function results(out) {
  const byScenario = {};
  const walk = (dir) => {
    for (const entry of readdirSync(dir)) {
      const p = path.join(dir, entry);
      if (statSync(p).isDirectory()) walk(p);
      else if (entry === "checks.json") {
        // Folders are named `<scenario>-<timestamp>`.
        const name = path.basename(dir).replace(/-\d{4}-\d{2}-\d{2}T[\d-]+Z?$/, "");
        byScenario[name] = JSON.parse(readFileSync(p, "utf8"));
      }
    }
  };
  walk(out);
  return byScenario;
}

async function runSuite(args, out) {
  try {
    await run("conformance", args, { maxBuffer: 64 << 20 });
  } catch (e) {
    throw new Error(`conformance ${args.join(" ")} failed:\n${e.stdout}\n${e.stderr}`);
  }
  return results(out);
}

/** Resolves to the checks of one scenario; rejects with the suite's output when the run
 *  fails: an unexpected failure, or an expected one that now passes. */
export async function conformance(url, scenario, version, baseline) {
  const out = mkdtempSync(path.join(tmpdir(), "conformance-"));
  const args = ["server", "--url", url, "--scenario", scenario, "--spec-version", version,
    "--expected-failures", baseline, "-o", out];
  const byScenario = await runSuite(args, out);
  return Object.values(byScenario)[0] ?? [];
}

/** Every server scenario of the suite that applies at `version` (or those in `only`), in
 *  one process. Resolves to `{ scenario: checks }`; rejects as `conformance` does. */
export async function conformanceSuite(url, version, baseline) {
  const out = mkdtempSync(path.join(tmpdir(), "conformance-"));
  const args = ["server", "--url", url, "--suite", "all", "--spec-version", version,
    "--expected-failures", baseline, "-o", out];
  return runSuite(args, out);
}

/** A scenario run passed when none of its checks failed (warnings and skips allowed). */
export function passed(checks) {
  return checks.length > 0 && checks.every((c) => c.status !== "FAILURE");
}
