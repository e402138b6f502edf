// Starts the built worker in workerd through `wrangler dev`, exactly as `npm run dev` does,
// and stops it again. Readiness is wrangler's own "Ready on" line, not a timer.
import { spawn } from "node:child_process";
import { createServer } from "node:net";
import { once } from "node:events";
import { fileURLToPath } from "node:url";
import path from "node:path";

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");

async function freePort() {
  const srv = createServer();
  srv.listen(0, "127.0.0.1");
  await once(srv, "listening");
  const { port } = srv.address();
  srv.close();
  await once(srv, "close");
  return port;
}

/**
 * @param {{ vars?: Record<string,string>, args?: string[] }} options
 * @returns {Promise<{ base: string, url: string, stop: () => Promise<void>, logs: () => string }>}
 */
export async function startWorker({ vars = {}, args = [] } = {}) {
  const port = await freePort();
  const inspectorPort = await freePort();
  const varArgs = Object.entries(vars).flatMap(([k, v]) => ["--var", `${k}:${v}`]);
  const child = spawn(
    "wrangler",
    [
      "dev",
      "--ip", "127.0.0.1",
      "--port", String(port),
      "--inspector-port", String(inspectorPort),
      "--show-interactive-dev-session=false",
      "--live-reload=false",
      ...varArgs,
      ...args,
    ],
    {
      cwd: ROOT,
      env: { ...process.env, WRANGLER_SEND_METRICS: "false", CI: "true" },
      stdio: ["ignore", "pipe", "pipe"],
      detached: true,
    },
  );
  let output = "";
  const ready = new Promise((resolve, reject) => {
    const onData = (chunk) => {
      output += chunk.toString();
      const m = output.match(/Ready on (http:\/\/[^\s]+)/);
      if (m) resolve(m[1].replace(/\/$/, ""));
    };
    child.stdout.on("data", onData);
    child.stderr.on("data", onData);
    child.on("exit", (code) =>
      reject(new Error(`wrangler dev exited (${code}) before it was ready:\n${output}`)),
    );
  });
  const base = await ready;
  return {
    base,
    url: `${base}/mcp/`,
    logs: () => output,
    stop: async () => {
      if (child.exitCode !== null) return;
      const exited = once(child, "exit");
      try {
        process.kill(-child.pid, "SIGTERM");
      } catch {
        return;
      }
      await exited;
    },
  };
}
