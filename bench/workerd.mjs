// Runs a built worker in the workerd binary that wrangler ships, with no wrangler in front
// of it: the runtime Cloudflare deploys to, minus the local dev proxy (which alone caps a
// trivial worker at about a tenth of workerd's rate on this machine). For benchmarks and
// the soak run; the tests use `wrangler dev` (tests/e2e/harness.mjs), as a developer does.
import { spawn } from "node:child_process";
import { once } from "node:events";
import { closeSync, cpSync, fstatSync, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, readSync, rmSync, watch, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import path from "node:path";
import { freePort, ROOT } from "../tests/e2e/harness.mjs";

const require = createRequire(path.join(ROOT, "package.json"));
/** The workerd binary from wrangler's own dependency. */
export const WORKERD = path.join(path.dirname(require.resolve("@cloudflare/workerd-linux-64/package.json")), "bin", "workerd");

const quote = (s) => JSON.stringify(String(s));

/**
 * Serves the bundle in `dir` (ES modules and .wasm files, as `worker-build` or
 * `wrangler deploy --dry-run --outdir` write them; `main` is the entry module).
 * @returns {Promise<{ url: string, pid: number, coldStartMs: number, output: () => string, rssMiB: () => number, stop: () => Promise<void> }>}
 */
/** Stands in for the Workers Rate Limiting binding, which workerd alone does not have
 *  (wrangler dev emulates it with a Durable Object; the tests use that). Same API and the
 *  same counting: fixed windows aligned to the clock, per key, in this process. */
const RATELIMIT_MODULE = `export default function (env) { return new Ratelimit(env); }
class Ratelimit {
  constructor(env) { this.max = env.limit; this.period = env.period; this.window = -1; this.counts = new Map(); }
  async limit({ key }) {
    const window = Math.floor(Date.now() / (this.period * 1000));
    if (window !== this.window) { this.window = window; this.counts.clear(); }
    const n = this.counts.get(key) ?? 0;
    if (n >= this.max) return { success: false };
    this.counts.set(key, n + 1);
    return { success: true };
  }
}
`;

/** Tail events counted by `countInvocations`: by entrypoint (a Durable Object's class, or
 *  "-" for the worker's own handler) and event kind, and the first few events as sent. */
const TAIL_MODULE = `const counts = {};
const samples = [];
export default {
  tail(events) {
    for (const e of events) {
      const kind = e.event?.request ? "fetch" : e.event?.scheduledTime ? "alarm" : e.event ? Object.keys(e.event).join("+") || "event" : "none";
      const key = (e.entrypoint ?? "-") + " " + kind;
      counts[key] = (counts[key] ?? 0) + 1;
      if (samples.length < 4) samples.push({ entrypoint: e.entrypoint, scriptName: e.scriptName, executionModel: e.executionModel, outcome: e.outcome, url: e.event?.request?.url });
    }
  },
  fetch() { return Response.json({ counts, samples }); },
};
`;

/** `ratelimits`: [{ name, limit, period }], as `[[ratelimits]]` in wrangler.toml. */
/** `localFetch`: the worker may fetch loopback addresses (workerd's default outbound
 *  allows public addresses only), for tests whose tools call a server of the test's. */
/** `v8Flags`: V8 flags for the run (workerd's `v8Flags`), e.g. `--perf-basic-prof` for a profile.
 *  `wrapper`: a command to run workerd under, e.g. `["valgrind", "--tool=callgrind", ...]`. */
/** `durableObjects`: [{ name, className }], as `[[durable_objects.bindings]]` with a
 *  `new_sqlite_classes` migration: SQLite-backed objects of a class the worker exports,
 *  stored on disk in the run's temporary folder (alarms included), as `wrangler dev` does. */
/** `vars` may be a function of the worker's own origin (`http://127.0.0.1:<port>`), for
 *  a worker that must know it (PUBLIC_URL).
 *  `kvNamespaces`: [{ name, url }]: KV namespace bindings served by the HTTP service at
 *  `url` (bench/kv/worker.js in a workerd of its own).
 *  `countInvocations`: a tail worker beside the worker, counting the invocations workerd
 *  reports to it (the worker's own and its Durable Objects'): `invocations()` reads the
 *  counts. Only for counting: it adds work to every request. */
export async function startWorkerd({ dir, main = "index.js", vars = {}, flags = [], ratelimits = [], durableObjects = [], durableObjectsInMemory = false, kvNamespaces = [], countInvocations = false, compatibilityDate = "2026-11-01", localFetch = false, v8Flags = [], wrapper = [] }) {
  const port = await freePort();
  const tailPort = countInvocations ? await freePort() : undefined;
  if (typeof vars === "function") vars = vars(`http://127.0.0.1:${port}`);
  // capnp embeds files relative to the config: copy the bundle beside it.
  const tmp = mkdtempSync(path.join(tmpdir(), "dice-workerd-"));
  cpSync(dir, path.join(tmp, "bundle"), { recursive: true });
  const modules = [main, ...readdirSync(dir, { recursive: true }).map(String).filter((f) => f !== main)]
    .filter((f) => /\.(m?js|wasm)$/.test(f))
    .map((f) => {
      const kind = f.endsWith(".wasm") ? "wasm" : "esModule";
      return `(name = ${quote(f)}, ${kind} = embed ${quote(`bundle/${f}`)})`;
    });
  const bindings = Object.entries(vars).map(([k, v]) => `(name = ${quote(k)}, text = ${quote(v)})`);
  for (const { name, limit, period } of ratelimits) {
    bindings.push(`(name = ${quote(name)}, wrapped = (moduleName = "dice-bench:ratelimit", innerBindings = [ (name = "limit", json = ${quote(limit)}), (name = "period", json = ${quote(period)}) ]))`);
  }
  for (const { name, className } of durableObjects) {
    bindings.push(`(name = ${quote(name)}, durableObjectNamespace = (className = ${quote(className)}))`);
  }
  for (const { name } of kvNamespaces) bindings.push(`(name = ${quote(name)}, kvNamespace = ${quote(`kv-${name}`)})`);
  const kvServices = kvNamespaces.map(({ name, url }) => `, (name = ${quote(`kv-${name}`)}, external = (address = ${quote(new URL(url).host)}, http = ()))`).join("");
  const namespaces = durableObjects.map(({ className }) => `(className = ${quote(className)}, uniqueKey = ${quote(`dice-bench-${className}`)}, enableSql = true)`);
  const doStorage = path.join(tmp, "durable-objects");
  const onDisk = durableObjects.length && !durableObjectsInMemory;
  if (onDisk) mkdirSync(doStorage);
  writeFileSync(path.join(tmp, "ratelimit.mjs"), RATELIMIT_MODULE);
  if (countInvocations) writeFileSync(path.join(tmp, "tail.mjs"), TAIL_MODULE);
  const tailService = countInvocations ? `, (name = "tail", worker = (modules = [ (name = "tail.mjs", esModule = embed "tail.mjs") ], compatibilityDate = ${quote(compatibilityDate)}))` : "";
  const tailSocket = countInvocations ? `, (name = "tail", address = "127.0.0.1:${tailPort}", http = (), service = "tail")` : "";
  const config = `using Workerd = import "/workerd/workerd.capnp";
const config :Workerd.Config = (${v8Flags.length ? `\n  v8Flags = [ ${v8Flags.map(quote).join(", ")} ],` : ""}
  services = [ (name = "main", worker = .worker)${localFetch ? ', (name = "local", network = (allow = ["public", "private", "local"]))' : ""}${onDisk ? `, (name = "do-disk", disk = (path = ${quote(doStorage)}, writable = true))` : ""}${kvServices}${tailService} ],
  sockets = [ (name = "http", address = "127.0.0.1:${port}", http = (), service = "main")${tailSocket} ],
  extensions = [ ( modules = [ (name = "dice-bench:ratelimit", esModule = embed "ratelimit.mjs", internal = true) ] ) ],
);
const worker :Workerd.Worker = (
  modules = [ ${modules.join(", ")} ],
  compatibilityDate = ${quote(compatibilityDate)},
  compatibilityFlags = [ ${flags.map(quote).join(", ")} ],
  bindings = [ ${bindings.join(", ")} ],${localFetch ? '\n  globalOutbound = "local",' : ""}${countInvocations ? '\n  tails = [ "tail" ],' : ""}${durableObjects.length ? `\n  durableObjectNamespaces = [ ${namespaces.join(", ")} ],\n  durableObjectStorage = ${onDisk ? '(localDisk = "do-disk")' : "(inMemory = void)"},` : ""}
);
`;
  const file = path.join(tmp, "config.capnp");
  writeFileSync(file, config);
  const server = await startServer({
    name: "workerd",
    command: wrapper.length ? wrapper[0] : WORKERD,
    args: [...wrapper.slice(1), ...(wrapper.length ? [WORKERD] : []), "serve", file, "--experimental"],
    // workerd prints nothing when it listens: it is ready when the worker answers.
    readyUrl: `http://127.0.0.1:${port}`,
    readyMethod: "OPTIONS",
  });
  return {
    ...server,
    ...(countInvocations && { invocations: async () => (await fetch(`http://127.0.0.1:${tailPort}/`)).json() }),
    stop: async () => {
      await server.stop();
      rmSync(tmp, { recursive: true, force: true });
    },
  };
}

/**
 * Starts a server process and waits until `readyUrl` answers. The time from spawning to
 * that first answer is the cold start: process, runtime, and (for workerd) isolate and
 * module compilation. Used for workerd and for the FastMCP peer alike.
 */
export async function startServer({ name, command, args, env = process.env, readyUrl, readyMethod }) {
  // The server writes its output to a file, read back only when asked for: dice-mcp
  // under load logs a line per request, and a pipe to this process (which also drives
  // the load) woke it for every line, on the same two cores as the measured worker. A
  // file is also nearer to where a deployed worker's logs go: not to a process beside it.
  const logDir = mkdtempSync(path.join(tmpdir(), "bench-output-"));
  const logFile = path.join(logDir, "output.log");
  const fd = openSync(logFile, "a");
  const startedAt = process.hrtime.bigint();
  const child = spawn(command, args, { env, stdio: ["ignore", fd, fd] });
  closeSync(fd);
  const TAIL = 64 * 1024;
  /** The last 64 KiB written (a soak writes hundreds of MB). */
  const output = () => {
    let f;
    try {
      f = openSync(logFile, "r");
    } catch {
      return "";
    }
    try {
      const size = fstatSync(f).size;
      const length = Math.min(size, TAIL);
      const buffer = Buffer.alloc(length);
      readSync(f, buffer, 0, length, size - length);
      return buffer.toString();
    } finally {
      closeSync(f);
    }
  };
  for (;;) {
    if (child.exitCode !== null) {
      const text = output();
      rmSync(logDir, { recursive: true, force: true });
      throw new Error(`${name} exited (${child.exitCode}):\n${text}`);
    }
    try {
      await fetch(readyUrl, { method: readyMethod });
      break;
    } catch {
      await new Promise((r) => setTimeout(r, 1));
    }
  }
  return {
    url: readyUrl,
    pid: child.pid,
    coldStartMs: Number(process.hrtime.bigint() - startedAt) / 1e6,
    output,
    /** Resolves when the output matches `pattern` (a log line written after an answer). */
    waitForOutput: (pattern, timeoutMs = 10_000) =>
      new Promise((resolve, reject) => {
        // Woken by the file's changes (inotify), not by polling.
        const watcher = watch(logFile);
        const check = () => {
          const text = output();
          if (!pattern.test(text)) return;
          watcher.close();
          clearTimeout(timer);
          resolve(text);
        };
        const timer = setTimeout(() => {
          watcher.close();
          reject(new Error(`${name} printed nothing matching ${pattern} within ${timeoutMs} ms:\n${output()}`));
        }, timeoutMs);
        watcher.on("change", check);
        check();
      }),
    rssMiB: () => {
      try {
        return Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${child.pid}/status`, "utf8"))[1]) / 1024;
      } catch {
        return NaN;
      }
    },
    stop: async () => {
      if (child.exitCode === null) {
        const exited = once(child, "exit");
        child.kill("SIGTERM");
        await exited;
      }
      rmSync(logDir, { recursive: true, force: true });
    },
  };
}
