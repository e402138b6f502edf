// Instructions per cached tools/call inside workerd, counted by valgrind's callgrind: the
// whole process (runtime, JavaScript glue, wasm). Per-function counts repeat exactly from
// run to run; totals move by a few percent (up to 10% for the tiny floor worker: garbage
// collections and compiler jobs land in the measured window or not), where CPU time on a
// shared 2-core machine moves by 15% or more. For judging a change to the hot path: run
// each build twice, and compare functions, not only totals.
//   npx wrangler deploy --dry-run --outdir /tmp/a    (and /tmp/b for the other build)
//   node bench/instructions.mjs /tmp/a [/tmp/b ...]  [--requests 1000] [--warm 10000] [--path /mcp/] [--keep]
// Needs valgrind (Debian: apt-get install valgrind). V8 runs with --no-liftoff, so every
// wasm function is measured as TurboFan compiles it, as in a warm isolate; WARM requests
// first let the JavaScript glue reach its optimised tiers. One connection, so each request
// is its own turn of workerd's event loop. With --keep the callgrind files stay (and V8's
// perf map beside them, naming the JIT code) for callgrind_annotate or a script of yours.
// A wasm function's cost is filed under the address its callers jump to, its slot in V8's
// jump table (8 bytes a slot in this V8 on x64, in function order after the imported ones), not under
// its code: the map names each function's code with its index ("…-2421-turbofan"), so a
// slot's index is the import count plus (address - table start) / 8 (in this pass's runs
// the table began at the page of the lowest such address; docs/benchmarks.md).
// Cold start: instructions to the first answer, with V8's default tiers (--liftoff-cold).
import autocannon from "autocannon";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { startWorkerd } from "./workerd.mjs";
import { newKey, mint, claims } from "../tests/e2e/tokens.mjs";

const args = process.argv.slice(2);
const option = (name, fallback) => {
  const i = args.indexOf(name);
  if (i < 0) return fallback;
  const [value] = args.splice(i, 2).slice(1);
  return value;
};
const flag = (name) => {
  const i = args.indexOf(name);
  if (i >= 0) args.splice(i, 1);
  return i >= 0;
};
const REQUESTS = Number(option("--requests", "1000"));
const WARM = Number(option("--warm", "10000"));
const PATH = option("--path", "/mcp/");
const KEEP = flag("--keep");
const COLD = flag("--liftoff-cold");
if (!args.length) {
  console.error("usage: node bench/instructions.mjs BUNDLE_DIR [BUNDLE_DIR ...] [--requests N] [--warm N] [--path P] [--keep] [--liftoff-cold]");
  process.exit(2);
}
try {
  execFileSync("valgrind", ["--version"], { stdio: "ignore" });
} catch {
  console.error("valgrind is not installed (Debian: apt-get install valgrind)");
  process.exit(2);
}

const key = newKey("instructions");
const token = mint(key, claims({ exp: Math.floor(Date.now() / 1000) + 3600 }));
const body = JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/call", params: { name: "roll_dice", arguments: { n_dice: 3 } } });
const headers = { "content-type": "application/json", accept: "application/json, text/event-stream", "mcp-protocol-version": "2025-11-25", authorization: `Bearer ${token}` };
const requests = [{ method: "POST", path: PATH, headers, body }];

for (const dir of args) {
  const out = mkdtempSync(path.join(tmpdir(), "dice-callgrind-"));
  const w = await startWorkerd({
    dir,
    vars: { JWT_PUBLIC_KEY: key.publicPem },
    // --perf-basic-prof also starts V8's log: into the run's folder, not the working one.
    // Lazily compiled wasm functions never reach the perf map: warm runs compile the
    // module whole, up front (the same TurboFan code), so that the map names every one.
    v8Flags: ["--perf-basic-prof", `--logfile=${out}/v8.log`, ...(COLD ? [] : ["--no-liftoff", "--no-wasm-lazy-compilation"])],
    wrapper: ["valgrind", "--tool=callgrind", "--smc-check=all-non-file", `--callgrind-out-file=${out}/callgrind.%p`, "--compress-strings=no"],
  });
  try {
    const cold = dump(w.pid, out, "cold");
    await autocannon({ url: w.url, connections: 1, amount: WARM, requests });
    dump(w.pid, out, "warm");
    const run = await autocannon({ url: w.url, connections: 1, amount: REQUESTS, requests });
    const measured = dump(w.pid, out, "measured");
    if (run["2xx"] !== REQUESTS) throw new Error(`${dir}: ${run["2xx"]} of ${REQUESTS} answers were 2xx`);
    try {
      execFileSync("cp", [`/tmp/perf-${w.pid}.map`, `${out}/perf.map`]);
    } catch {}
    console.log(JSON.stringify({ bundle: dir, coldStartInstructions: cold, instructionsPerRequest: Math.round(measured / REQUESTS), ...(KEEP && { callgrind: out }) }));
  } finally {
    await w.stop();
    try {
      rmSync(`/tmp/perf-${w.pid}.map`, { force: true });
    } catch {}
    if (!KEEP) rmSync(out, { recursive: true, force: true });
  }
}

/** Writes callgrind's counts since the last dump (a file of their own) and returns their total. */
function dump(pid, out, label) {
  execFileSync("callgrind_control", ["-d", label, String(pid)], { stdio: "ignore" });
  execFileSync("callgrind_control", ["-z", String(pid)], { stdio: "ignore" });
  const parts = readdirSync(out).filter((f) => /^callgrind\.\d+\.\d+$/.test(f));
  const last = parts.sort((a, b) => Number(a.split(".").pop()) - Number(b.split(".").pop())).at(-1);
  const m = /^summary: (\d+)/m.exec(readFileSync(path.join(out, last), "utf8"));
  if (!m) throw new Error(`no summary in ${last}`);
  return Number(m[1]);
}
