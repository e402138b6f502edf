// Starts the built worker in workerd through `wrangler dev`, exactly as `npm run dev` does,
// and stops it again. Readiness is wrangler's own "Ready on" line, not a timer.
import { spawn } from "node:child_process";
import { createServer } from "node:net";
import http from "node:http";
import { once } from "node:events";
import { fileURLToPath } from "node:url";
import path from "node:path";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");

/** Every variable the worker reads, blank (= unset) unless given: a developer's own
 *  .dev.vars must not leak into the tests. */
export const WORKER_VARS = [
  "ALLOWED_ORIGINS", "JWT_PUBLIC_KEY", "JWT_JWKS_URL", "JWT_AUDIENCE", "JWT_ISSUER",
  "REQUIRED_SCOPES", "JWT_LEEWAY_SECONDS", "ALLOW_UNAUTHENTICATED", "PUBLIC_URL",
  "AUTHORIZATION_SERVERS", "INPUT_STATE_KEY", "OAUTH_SIGNING_KEYS", "OAUTH_SEALING_KEY",
  "OAUTH_UPSTREAM_ISSUER", "OAUTH_UPSTREAM_CLIENT_ID", "OAUTH_UPSTREAM_CLIENT_SECRET",
  "OAUTH_ALLOWED_USERS",
];

export async function freePort() {
  const srv = createServer();
  srv.listen(0, "127.0.0.1");
  await once(srv, "listening");
  const { port } = srv.address();
  srv.close();
  await once(srv, "close");
  return port;
}

/**
 * `vars` may be a function of the worker's base URL (`http://127.0.0.1:PORT`), for
 * variables that name it (PUBLIC_URL).
 * @param {{ vars?: Record<string,string> | ((base: string) => Record<string,string>), args?: string[], envFile?: string, cwd?: string }} options
 * @returns {Promise<{ base: string, url: string, stop: () => Promise<void>, logs: () => string }>}
 */
export async function startWorker(options = {}) {
  // A free port is found, then released for wrangler to take: another process may take
  // it first. Only that failure is tried again, with new ports.
  for (let attempt = 1; ; attempt++) {
    try {
      return await startWorkerOnce(options);
    } catch (e) {
      if (attempt >= 3 || !/Address already in use/.test(e.message)) throw e;
    }
  }
}

async function startWorkerOnce({ vars = {}, args = [], envFile, persistTo, cwd = ROOT } = {}) {
  const port = await freePort();
  const inspectorPort = await freePort();
  // Local state (the rate limiters' counters) of this worker only: counts must not carry
  // over from another test's worker or an earlier run. A test that restarts a worker on
  // the same state (`persistTo`) owns that folder and removes it itself.
  const state = persistTo ?? mkdtempSync(path.join(tmpdir(), "dice-mcp-state-"));
  const removeState = () => persistTo || rmSync(state, { recursive: true, force: true });
  // With an env file (a .dev.vars of the test's own), it alone supplies the variables.
  const all = envFile ? {} : Object.fromEntries(WORKER_VARS.map((k) => [k, ""]));
  const given = typeof vars === "function" ? vars(`http://127.0.0.1:${port}`) : vars;
  const varArgs = Object.entries({ ...all, ...given }).flatMap(([k, v]) => ["--var", `${k}:${v}`]);
  if (envFile) varArgs.push("--env-file", envFile);
  const child = spawn(
    "wrangler",
    [
      "dev",
      "--ip", "127.0.0.1",
      "--port", String(port),
      "--inspector-port", String(inspectorPort),
      "--show-interactive-dev-session=false",
      "--live-reload=false",
      "--persist-to", state,
      ...varArgs,
      ...args,
    ],
    {
      cwd,
      env: { ...process.env, WRANGLER_SEND_METRICS: "false", CI: "true" },
      stdio: ["ignore", "pipe", "pipe"],
      detached: true,
    },
  );
  let output = "";
  const watchers = new Set();
  const ready = new Promise((resolve, reject) => {
    const onData = (chunk) => {
      output += chunk.toString();
      for (const w of watchers) w();
      const m = output.match(/Ready on (http:\/\/[^\s]+)/);
      if (m) resolve(m[1].replace(/\/$/, ""));
    };
    child.stdout.on("data", onData);
    child.stderr.on("data", onData);
    child.on("exit", (code) =>
      reject(new Error(`wrangler dev exited (${code}) before it was ready:\n${output}`)),
    );
  });
  let base;
  try {
    base = await ready;
  } catch (e) {
    removeState();
    throw e;
  }
  return {
    base,
    url: `${base}/mcp/`,
    logs: () => output,
    /** The worker's structured request log lines (src/log.rs), parsed. */
    records: () => requestRecords(output),
    /** Resolves when wrangler's output matches `pattern` (logs arrive after responses). */
    waitForLog: (pattern, timeoutMs = 10_000) =>
      new Promise((resolve, reject) => {
        const check = () => {
          if (pattern.test(output)) {
            watchers.delete(check);
            clearTimeout(timer);
            resolve(output);
          }
        };
        const timer = setTimeout(() => {
          watchers.delete(check);
          reject(new Error(`no log line matching ${pattern} within ${timeoutMs} ms:\n${output}`));
        }, timeoutMs);
        watchers.add(check);
        check();
      }),
    stop: async () => {
      if (child.exitCode !== null) return removeState();
      const exited = once(child, "exit");
      try {
        process.kill(-child.pid, "SIGTERM");
      } catch {
        return;
      }
      await exited;
      removeState();
    },
  };
}

/** The fixture worker's own test key for requestState (tests/conformance/wrangler.toml). */
export const FIXTURE_CONFIG = path.join(ROOT, "tests/conformance/wrangler.toml");
export const FIXTURE_STATE_KEY = /INPUT_STATE_KEY = "([^"]+)"/.exec(readFileSync(FIXTURE_CONFIG, "utf8"))[1];

/** The conformance fixture worker (tests/conformance), as `wrangler dev -c` serves it: no
 *  authentication and its own state key unless `vars` say otherwise. */
export function startFixture({ vars = {}, persistTo, config = FIXTURE_CONFIG } = {}) {
  return startWorker({
    vars: (base) => ({
      ALLOW_UNAUTHENTICATED: "true",
      INPUT_STATE_KEY: FIXTURE_STATE_KEY,
      ...(typeof vars === "function" ? vars(base) : vars),
    }),
    args: ["--config", config],
    persistTo,
  });
}

/** The JSON request lines in wrangler's output (each a line of its own, maybe with a
 *  prefix or colour codes from wrangler). */
export function requestRecords(output) {
  const records = [];
  for (const line of output.split("\n")) {
    const start = line.indexOf('{"');
    if (start < 0) continue;
    try {
      const record = JSON.parse(line.slice(start).replace(/\x1b\[[0-9;]*m/g, "").trim());
      if (typeof record.status === "number" && typeof record.auth === "string") records.push(record);
    } catch {
      // not a request line
    }
  }
  return records;
}

/** A loopback proxy that adds headers to every request it forwards: lets tools without a
 *  header option (the conformance runner) talk to the authenticated worker. */
export async function startHeaderProxy(target, extraHeaders) {
  const upstream = new URL(target);
  const server = http.createServer((req, res) => {
    const headers = { ...req.headers, ...extraHeaders, host: upstream.host };
    const out = http.request(
      { host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers },
      (up) => {
        res.writeHead(up.statusCode, up.headers);
        up.pipe(res);
      },
    );
    out.on("error", (e) => {
      res.writeHead(502);
      res.end(String(e));
    });
    req.pipe(out);
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  return {
    base: `http://127.0.0.1:${server.address().port}`,
    stop: async () => {
      server.closeAllConnections();
      server.close();
      await once(server, "close");
    },
  };
}
