// Runs one scenario of the official MCP conformance suite against a URL, at one protocol
// revision, with an expected-failures file; returns what it checked.
import { execFile } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);

/** Resolves to the checks (from checks.json); rejects with the suite's output when the run
 *  fails: an unexpected failure, or an expected one that now passes. */
export async function conformance(url, scenario, version, baseline) {
  const out = mkdtempSync(path.join(tmpdir(), "conformance-"));
  const args = ["server", "--url", url, "--scenario", scenario, "--spec-version", version,
    "--expected-failures", baseline, "-o", out];
  try {
    await run("conformance", args, { maxBuffer: 16 << 20 });
  } catch (e) {
    throw new Error(`conformance ${args.join(" ")} failed:\n${e.stdout}\n${e.stderr}`);
  }
  const [dir] = readdirSync(out);
  const file = dir && path.join(out, dir, "checks.json");
  return file && existsSync(file) ? JSON.parse(readFileSync(file, "utf8")) : [];
}
