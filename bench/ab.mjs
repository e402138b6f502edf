// A/B of two dice-mcp builds: server CPU per cached tools/call (user + system of the
// workerd process, /proc), each build started fresh and measured in turn, ROUNDS times.
// For judging one change; on a shared machine compare medians and look at the spread.
//   npx wrangler deploy --dry-run --outdir /tmp/a   (before), then again into /tmp/b (after)
//   node bench/ab.mjs /tmp/a /tmp/b [REQUESTS=20000] [ROUNDS=3] [WARM=30000]
// WARM requests first: V8 compiles wasm with Liftoff and moves a function to TurboFan only
// once it has run enough, so a short warm-up measures part of the code unoptimised.
import autocannon from "autocannon";
import { readFileSync } from "node:fs";
import { execFileSync } from "node:child_process";
import { startWorkerd } from "./workerd.mjs";
import { newKey, mint, claims } from "../tests/e2e/tokens.mjs";
const [A, B, N = "20000", ROUNDS = "3", WARM = "30000"] = process.argv.slice(2);
const TCK = Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }));
const cpu = (pid) => { const f = readFileSync(`/proc/${pid}/stat`, "utf8"); const x = f.slice(f.lastIndexOf(")") + 2).split(" "); return (Number(x[11]) + Number(x[12])) / TCK; };
const key = newKey("ab");
const token = mint(key, claims({ exp: Math.floor(Date.now() / 1000) + 3600 }));
const body = JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/call", params: { name: "roll_dice", arguments: { n_dice: 3 } } });
const headers = { "content-type": "application/json", accept: "application/json, text/event-stream", "mcp-protocol-version": "2025-11-25", authorization: `Bearer ${token}` };
const res = { A: [], B: [] };
for (let r = 0; r < Number(ROUNDS); r++) for (const [name, dir] of [["A", A], ["B", B]]) {
  const w = await startWorkerd({ dir, main: "index.js", vars: { JWT_PUBLIC_KEY: key.publicPem } });
  await autocannon({ url: w.url, connections: 8, amount: Number(WARM), requests: [{ method: "POST", path: "/mcp/", headers, body }] });
  const before = cpu(w.pid);
  const out = await autocannon({ url: w.url, connections: 8, amount: Number(N), requests: [{ method: "POST", path: "/mcp/", headers, body }] });
  const us = ((cpu(w.pid) - before) * 1e6) / out.requests.total;
  res[name].push(us);
  console.log(name, us.toFixed(1), "µs", out["2xx"], "2xx");
  await w.stop();
}
const med = (a) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)];
console.log(`median A ${med(res.A).toFixed(1)} µs, B ${med(res.B).toFixed(1)} µs`);
