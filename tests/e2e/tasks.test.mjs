// Tasks (SEP-2663) on Durable Objects, in workerd (the fixture worker under wrangler dev,
// with authentication, so that tasks have owners). The tool `await_upstream` waits on this
// test's loopback server, which answers only when the test says: the test, not a timer,
// decides when a task's work ends. Polling loops are bounded and check a condition; none
// waits for time to pass instead of checking.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import http from "node:http";
import { once } from "node:events";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { startFixture, ROOT } from "./harness.mjs";
import { newKey, mint, claims, AUDIENCE, ISSUER } from "./tokens.mjs";

const EXT = "io.modelcontextprotocol/tasks";
const key = newKey("tasks");
const token = (sub) => mint(key, claims({ sub }));
const ALICE = token("alice");
const BOB = token("bob");
const VARS = {
  ALLOW_UNAUTHENTICATED: "",
  JWT_PUBLIC_KEY: JSON.stringify({ keys: [key.jwk] }),
  JWT_AUDIENCE: AUDIENCE,
  JWT_ISSUER: ISSUER,
};

let fixture, upstream, upstreamUrl, state;
/** Requests the tool made to the loopback server, by path. */
const arrivals = [];
let notify = () => {};
const arrived = (p) =>
  new Promise((resolve) => {
    const check = () => {
      const i = arrivals.findIndex((a) => a.path === p);
      if (i >= 0) resolve(arrivals.splice(i, 1)[0]);
      else notify = check;
    };
    check();
  });

before(async () => {
  upstream = http.createServer((req, res) => {
    arrivals.push({ path: req.url, req, res });
    notify();
  });
  upstream.listen(0, "127.0.0.1");
  await once(upstream, "listening");
  upstreamUrl = `http://127.0.0.1:${upstream.address().port}`;
  state = mkdtempSync(path.join(tmpdir(), "dice-mcp-tasks-"));
  VARS.EXPORT_API_URL = `${upstreamUrl}/api`;
  fixture = await startFixture({ vars: VARS, persistTo: state });
});
after(async () => {
  await fixture?.stop();
  upstream?.closeAllConnections();
  upstream?.close();
  rmSync(state, { recursive: true, force: true });
});

/** A 2026-07-28 request with the routing headers; `declare: false` leaves the extension
 *  out of the client's capabilities. */
async function send(method, params, { as = ALICE, declare = true, base = fixture.base } = {}) {
  const caps = declare ? { extensions: { [EXT]: {} }, elicitation: {} } : { elicitation: {} };
  const body = {
    jsonrpc: "2.0", id: 1, method,
    params: { ...params, _meta: { "io.modelcontextprotocol/protocolVersion": "2026-07-28", "io.modelcontextprotocol/clientCapabilities": caps } },
  };
  const headers = {
    "content-type": "application/json", accept: "application/json",
    "mcp-protocol-version": "2026-07-28", "mcp-method": method,
  };
  const name = params.name ?? params.taskId;
  if (name !== undefined) headers["mcp-name"] = name;
  if (as) headers.authorization = `Bearer ${as}`;
  const res = await fetch(`${base}/mcp`, { method: "POST", headers, body: JSON.stringify(body) });
  return { status: res.status, ...(await res.json()) };
}

const create = async (name, args, opts) => {
  const r = await send("tools/call", { name, arguments: args }, opts);
  assert.equal(r.result?.resultType, "task", JSON.stringify(r));
  return r.result;
};
const get = (taskId, opts) => send("tasks/get", { taskId }, opts);

/** Polls tasks/get until `done(task)` holds (at most 100 polls, 100 ms apart). */
async function until(taskId, done, opts) {
  let last;
  for (let i = 0; i < 100; i++) {
    last = await get(taskId, opts);
    if (done(last)) return last;
    await new Promise((r) => setTimeout(r, 100));
  }
  assert.fail(`the task never reached the state expected; last answer ${JSON.stringify(last)}`);
}
const settled = (r) => ["completed", "failed", "cancelled"].includes(r.result?.status);

test("a task outlives the request that created it, and reports progress as its status", async () => {
  const task = await create("await_upstream", { url: `${upstreamUrl}/outlives` });
  // The answer is out, and the tool is still waiting on the upstream.
  const call = await arrived("/outlives");
  const working = await until(task.taskId, (r) => r.result?.statusMessage !== undefined);
  assert.equal(working.result.status, "working");
  assert.equal(working.result.statusMessage, "waiting for the upstream");
  assert.equal(working.result.resultType, "complete");
  call.res.end("finished upstream");
  const done = await until(task.taskId, settled);
  assert.equal(done.result.status, "completed");
  assert.deepEqual(done.result.result.content, [{ type: "text", text: "finished upstream" }]);
});

test("another caller cannot read, answer or cancel a task", async () => {
  const task = await create("await_upstream", { url: `${upstreamUrl}/owned` });
  const call = await arrived("/owned");
  for (const [method, extra] of [["tasks/get", {}], ["tasks/cancel", {}], ["tasks/update", { inputResponses: {} }]]) {
    const r = await send(method, { taskId: task.taskId, ...extra }, { as: BOB });
    assert.equal(r.error?.code, -32602, `${method}: ${JSON.stringify(r)}`);
    assert.equal(r.status, 400);
    assert.ok(!JSON.stringify(r).includes("upstream"), "nothing of the task leaks");
  }
  // Bob's cancel did nothing: the task is Alice's and still working.
  assert.equal((await get(task.taskId)).result.status, "working");
  call.res.end("alice's answer");
  const done = await until(task.taskId, settled);
  assert.equal(done.result.result.content[0].text, "alice's answer");
});

test("without sub, a task belongs to the token's client; a token naming neither owns none", async () => {
  const client = (id) => mint(key, claims({ sub: undefined, client_id: id }));
  const reports = client("reports");
  const task = await create("await_upstream", { url: `${upstreamUrl}/clients` }, { as: reports });
  const call = await arrived("/clients");
  const other = await get(task.taskId, { as: client("billing") });
  assert.equal(other.error?.code, -32602, JSON.stringify(other));
  assert.equal((await get(task.taskId, { as: mint(key, claims({ sub: undefined, azp: "reports" })) })).result?.status, "working", "azp names the same client");
  const nobody = mint(key, claims({ sub: undefined }));
  const r = await send("tools/call", { name: "short_lived", arguments: {} }, { as: nobody });
  assert.equal(r.result?.isError, true, JSON.stringify(r));
  assert.match(r.result.content[0].text, /'sub'.*'client_id'/);
  assert.equal((await get(task.taskId, { as: nobody })).error?.code, -32602);
  call.res.end("done");
  assert.equal((await until(task.taskId, settled, { as: reports })).result.status, "completed");
});

test("a cancelled running task stops: its pending request is abandoned", async () => {
  const task = await create("await_upstream", { url: `${upstreamUrl}/cancel` });
  const call = await arrived("/cancel");
  const closed = once(call.res, "close");
  const ack = await send("tasks/cancel", { taskId: task.taskId });
  assert.deepEqual(Object.keys(ack.result).sort(), ["_meta", "resultType"]);
  assert.equal(ack.result.resultType, "complete");
  // The tool's future was dropped: its outbound request is aborted, and the upstream
  // sees the connection go before it ever answered.
  await closed;
  assert.equal(call.res.writableEnded, false, "the upstream never answered");
  const after = await get(task.taskId);
  assert.equal(after.result.status, "cancelled");
  assert.equal(after.result.result, undefined);
});

test("after its TTL a task is deleted", async () => {
  const task = await create("short_lived", {});
  assert.equal(task.ttlMs, 2000);
  const done = await until(task.taskId, settled);
  assert.equal(done.result.status, "completed");
  const gone = await until(task.taskId, (r) => r.error !== undefined);
  assert.equal(gone.error.code, -32602);
  assert.match(gone.error.message, /not found/);
});

test("a task survives a restart of the worker between creation and polling", async () => {
  const task = await create("confirm_delete", { filename: "report.txt" });
  const waiting = await until(task.taskId, (r) => r.result?.status === "input_required");
  assert.deepEqual(Object.keys(waiting.result.inputRequests), ["confirm"]);
  await fixture.stop();
  fixture = await startFixture({ vars: VARS, persistTo: state });
  const again = await get(task.taskId);
  assert.equal(again.result.status, "input_required");
  assert.equal(again.result.createdAt, waiting.result.createdAt);
  const ack = await send("tasks/update", {
    taskId: task.taskId,
    inputResponses: { confirm: { action: "accept", content: { confirm: true } } },
  });
  assert.equal(ack.result.resultType, "complete");
  const done = await until(task.taskId, settled);
  assert.equal(done.result.result.content[0].text, "Deleted report.txt");
});

test("the example export_report follows an upstream job to its link, its progress shown", async () => {
  const task = await create("export_report", { query: "sales 2026" });
  const start = await arrived("/api/exports");
  let body = "";
  for await (const chunk of start.req) body += chunk;
  assert.deepEqual(JSON.parse(body), { query: "sales 2026" });
  start.res.end(JSON.stringify({ id: "j1" }));
  (await arrived("/api/exports/j1?wait=30")).res.end(JSON.stringify({ state: "running", progress: 40 }));
  const next = await arrived("/api/exports/j1?wait=30");
  const running = await until(task.taskId, (r) => r.result?.statusMessage === "exporting: 40%");
  assert.equal(running.result.status, "working");
  next.res.end(JSON.stringify({ state: "done", url: "https://files.example/j1.csv" }));
  const done = await until(task.taskId, settled);
  assert.equal(done.result.result.content[0].text, "The report is ready: https://files.example/j1.csv");
  assert.equal(done.result.ttlMs, 24 * 3600 * 1000);
});

test("a task-only tool asks a client without the extension to declare it", async () => {
  const r = await send("tools/call", { name: "await_upstream", arguments: { url: upstreamUrl } }, { declare: false });
  assert.equal(r.status, 400);
  assert.equal(r.error.code, -32021);
  assert.deepEqual(r.error.data.requiredCapabilities, { extensions: { [EXT]: {} } });
  const g = await send("tasks/get", { taskId: "AAAAAAAAAAAAAAAAAAAAAA" }, { declare: false });
  assert.equal(g.error.code, -32021);
});

test("without the Durable Object binding, tasks are not offered and task-only tools say why", async () => {
  const unbound = await startFixture({ config: path.join(ROOT, "tests/e2e/tasks-unbound.wrangler.toml") });
  try {
    const d = await send("server/discover", {}, { as: null, base: unbound.base });
    assert.equal(d.result.capabilities.extensions?.["io.modelcontextprotocol/tasks"], undefined);
    const r = await send("tools/call", { name: "short_lived", arguments: {} }, { as: null, base: unbound.base });
    assert.equal(r.result.isError, true);
    assert.match(r.result.content[0].text, /Durable Object binding TASKS/);
    const sync = await send("tools/call", { name: "slow_compute", arguments: { seconds: 0 } }, { as: null, base: unbound.base });
    assert.equal(sync.result.resultType, "complete");
    await unbound.waitForLog(/no Durable Object binding TASKS/);
    const warnings = unbound.logs().match(/no Durable Object binding TASKS/g);
    assert.equal(warnings.length, 1, "said once");
  } finally {
    await unbound.stop();
  }
});
