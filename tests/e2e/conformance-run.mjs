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
        // Folders are named `server-<scenario>-<timestamp>`.
        const name = path.basename(dir).replace(/^server-/, "").replace(/-\d{4}-\d{2}-\d{2}T[\d-]+Z?$/, "");
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

/** Every server scenario of the suite that applies at `version`, in one process.
 *  Resolves to `{ scenario: checks }`; rejects as `conformance` does. */
export async function conformanceSuite(url, version, baseline) {
  const out = mkdtempSync(path.join(tmpdir(), "conformance-"));
  const args = ["server", "--url", url, "--suite", "all", "--spec-version", version,
    "--expected-failures", baseline, "-o", out];
  return runSuite(args, out);
}

/** The suite's extension scenarios (tasks-*, sep-2640-*): on no revision's timeline, so
 *  `--spec-version` leaves them out; they run one by one without it. */
export async function extensionScenarios() {
  const { stdout } = await run("conformance", ["list", "--server"]);
  return [...stdout.matchAll(/^\s*- (\S+) \[extension\]/gm)].map((m) => m[1]);
}

/** One scenario at the suite's own wire (for extensions). Resolves to `{ scenario: checks }`;
 *  rejects on an unexpected failure, as `conformance` does. */
export async function conformanceExtension(url, scenario, baseline) {
  const out = mkdtempSync(path.join(tmpdir(), "conformance-"));
  const args = ["server", "--url", url, "--scenario", scenario,
    "--expected-failures", baseline, "-o", out];
  return runSuite(args, out);
}

/** A scenario run passed when no check failed or warned (as the suite counts them);
 *  skipped and informational checks are allowed. */
export function passed(checks) {
  return checks.every((c) => c.status !== "FAILURE" && c.status !== "WARNING");
}

/** One line of figures: runs passed (with a successful check), runs that only skipped
 *  (nothing applied), and the names of those that did not pass. */
export function figures(label, byScenario) {
  const names = Object.keys(byScenario);
  const ok = names.filter((n) => passed(byScenario[n]));
  const skipped = ok.filter((n) => !byScenario[n].some((c) => c.status === "SUCCESS"));
  const failed = names.filter((n) => !ok.includes(n));
  return `${label}: ${ok.length - skipped.length} of ${names.length} scenario runs passed` +
    `, ${skipped.length} had nothing that applied (${skipped.join(", ") || "none"})` +
    `, not passed (expected): ${failed.join(", ") || "none"}`;
}
