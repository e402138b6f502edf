// Runs the end-to-end suite: one worker in workerd for every test file, then `node --test`.
import { spawn } from "node:child_process";
import { once } from "node:events";
import { readdirSync } from "node:fs";
import path from "node:path";
import { startWorker, ROOT } from "./harness.mjs";

const dir = path.join(ROOT, "tests", "e2e");
const files = readdirSync(dir)
  .filter((f) => f.endsWith(".test.mjs"))
  .map((f) => path.join(dir, f));

const worker = await startWorker();
console.log(`worker ready at ${worker.url}`);
let code = 1;
try {
  const child = spawn(process.execPath, ["--test", "--test-concurrency=1", ...process.argv.slice(2), ...files], {
    stdio: "inherit",
    env: { ...process.env, DICE_MCP_URL: worker.url, DICE_MCP_BASE: worker.base },
  });
  [code] = await once(child, "exit");
} finally {
  await worker.stop();
}
process.exit(code ?? 1);
