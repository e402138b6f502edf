// Tools that talk back, in workerd (the fixture worker): progress and log messages stream
// on the request's SSE stream as the tool emits them, before its result. The tool
// `progress_then_wait` reports progress, then waits on this test's loopback server, which
// answers only after the test has read that first event: were the answer buffered until
// the tool finished, the test would never see the event and never release the tool.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import http from "node:http";
import { once } from "node:events";
import path from "node:path";
import { startFixture, ROOT, FIXTURE_STATE_KEY } from "./harness.mjs";
import { rpc } from "./client.mjs";
import { startWorkerd } from "../../bench/workerd.mjs";

let fixture, upstream, url;
/** Requests the tool made to the loopback server, by path, each with its response. */
const arrivals = [];
let notify = () => {};
const arrived = (p) =>
  new Promise((resolve) => {
    const check = () => {
      const i = arrivals.findIndex((a) => a.path === p);
      if (i >= 0) resolve(arrivals.splice(i, 1)[0].res);
      else notify = check;
    };
    check();
  });

before(async () => {
  upstream = http.createServer((req, res) => {
    arrivals.push({ path: req.url, res });
    notify();
  });
  upstream.listen(0, "127.0.0.1");
  await once(upstream, "listening");
  url = `http://127.0.0.1:${upstream.address().port}`;
  fixture = await startFixture();
});
after(async () => {
  await fixture?.stop();
  upstream?.closeAllConnections();
  upstream?.close();
});

const LEGACY = { "mcp-protocol-version": "2025-11-25" };
const call = (name, args, meta = {}, id = 1) =>
  rpc("tools/call", { name, arguments: args, _meta: meta }, id);

function send(body, { accept = "application/json, text/event-stream", headers = LEGACY, signal } = {}) {
  return fetch(`${fixture.base}/mcp`, {
    method: "POST",
    headers: { "content-type": "application/json", accept, ...headers },
    body: JSON.stringify(body),
    signal,
  });
}

/** Reads SSE events one at a time from a response body. */
function events(res) {
  const reader = res.body.getReader();
  const decoder = new TextDecoder();
  let buffer = "";
  return {
    async next() {
      for (;;) {
        const end = buffer.indexOf("\n\n");
        if (end >= 0) {
          const frame = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const data = frame.split("\n").filter((l) => l.startsWith("data: ")).map((l) => l.slice(6)).join("\n");
          return JSON.parse(data);
        }
        const { value, done } = await reader.read();
        if (done) return undefined;
        buffer += decoder.decode(value, { stream: true });
      }
    },
    cancel: () => reader.cancel(),
  };
}

test("progress reaches the client while the tool is still working, then the result", async () => {
  const res = await send(call("progress_then_wait", { url }, { progressToken: "s-1" }, 7));
  assert.equal(res.status, 200);
  assert.equal(res.headers.get("content-type"), "text/event-stream");
  assert.equal(res.headers.get("x-accel-buffering"), "no");
  const stream = events(res);
  const first = await stream.next();
  assert.equal(first.method, "notifications/progress");
  assert.deepEqual(first.params, { progressToken: "s-1", progress: 1, total: 3, message: "waiting for release" });
  // Only now let the tool go on.
  (await arrived("/release")).end("ok");
  const second = await stream.next();
  assert.equal(second.params.progress, 2);
  (await arrived("/second")).end("ok");
  assert.equal((await stream.next()).params.progress, 3);
  (await arrived("/third")).end("ok");
  const result = await stream.next();
  assert.equal(result.id, 7);
  assert.deepEqual(result.result.content, [{ type: "text", text: "done" }]);
  assert.equal(await stream.next(), undefined, "the stream ends after the result");
  await fixture.waitForLog(/"streamed":true/);
});

// wrangler dev's local proxy keeps reading a response after its client has gone, so the
// worker never learns of it there: this test runs the fixture in workerd itself, without
// the proxy, as Cloudflare does. workerd notices the closed connection when it next
// writes to it, so the tool stops at its next event.
test("a client that closes the stream stops the tool at its next event", async () => {
  const direct = await startWorkerd({
    dir: path.join(ROOT, "tests/conformance/build"),
    vars: { ALLOW_UNAUTHENTICATED: "true", INPUT_STATE_KEY: FIXTURE_STATE_KEY },
    localFetch: true,
  });
  try {
    const controller = new AbortController();
    const res = await fetch(`${direct.url}/mcp`, {
      method: "POST",
      headers: { "content-type": "application/json", accept: "application/json, text/event-stream", ...LEGACY },
      body: JSON.stringify(call("progress_then_wait", { url }, { progressToken: "s-2" })),
      signal: controller.signal,
    });
    const stream = events(res);
    assert.equal((await stream.next()).method, "notifications/progress");
    const release = await arrived("/release");
    controller.abort();
    // The tool goes on to its next event, whose write finds the connection closed.
    release.end("ok");
    const second = await arrived("/second");
    await direct.waitForOutput(/"cancelled":true[^\n]*"tool":"progress_then_wait"/);
    // The tool's future is gone: finishing its request starts nothing more.
    second.end("ok");
    assert.equal(arrivals.filter((a) => a.path === "/third").length, 0);
  } finally {
    await direct.stop();
  }
});

test("a client that accepts only JSON gets the result alone", async () => {
  const pending = send(call("progress_then_wait", { url }, { progressToken: "s-3" }), { accept: "application/json" });
  for (const step of ["/release", "/second", "/third"]) (await arrived(step)).end("ok");
  const res = await pending;
  assert.equal(res.headers.get("content-type"), "application/json");
  const body = await res.json();
  assert.deepEqual(body.result.content, [{ type: "text", text: "done" }]);
});

test("without a progress token, a tool's progress goes nowhere and the answer is plain JSON", async () => {
  const res = await send(call("test_tool_with_progress", {}));
  assert.equal(res.headers.get("content-type"), "application/json");
  assert.equal((await res.json()).result.content[0].text, "Progress test completed");
});

const MODERN = (meta) => ({
  "io.modelcontextprotocol/protocolVersion": "2026-07-28",
  "io.modelcontextprotocol/clientCapabilities": {},
  ...meta,
});
const MODERN_HEADERS = (name) => ({
  "mcp-protocol-version": "2026-07-28", "mcp-method": "tools/call", "mcp-name": name,
});

test("2026-07-28: log messages only when the request's _meta sets a level, and from that level up", async () => {
  const quiet = await send(call("test_logging_tool", {}, MODERN({})), { headers: MODERN_HEADERS("test_logging_tool") });
  assert.equal(quiet.headers.get("content-type"), "application/json");
  assert.equal((await quiet.json()).result.resultType, "complete");

  const loud = await send(
    call("test_logging_tool", {}, MODERN({ "io.modelcontextprotocol/logLevel": "info" })),
    { headers: MODERN_HEADERS("test_logging_tool") },
  );
  assert.equal(loud.headers.get("content-type"), "text/event-stream");
  const stream = events(loud);
  assert.deepEqual(await stream.next(), {
    jsonrpc: "2.0", method: "notifications/message", params: { level: "info", data: "test_logging_tool ran" },
  });
  const result = await stream.next();
  assert.equal(result.result.resultType, "complete");
  assert.ok(result.result._meta["io.modelcontextprotocol/serverInfo"]);

  const above = await send(
    call("test_logging_tool", {}, MODERN({ "io.modelcontextprotocol/logLevel": "error" })),
    { headers: MODERN_HEADERS("test_logging_tool") },
  );
  assert.equal(above.headers.get("content-type"), "application/json");
});

test("legacy: logging/setLevel is acknowledged and messages at info and above reach the client", async () => {
  const set = await send(rpc("logging/setLevel", { level: "debug" }));
  assert.deepEqual((await set.json()).result, {});
  const bad = await send(rpc("logging/setLevel", { level: "loud" }));
  assert.equal((await bad.json()).error.code, -32602);
  const res = await send(call("test_tool_with_logging", {}));
  assert.equal(res.headers.get("content-type"), "text/event-stream");
  const stream = events(res);
  const messages = [await stream.next(), await stream.next(), await stream.next()].map((m) => m.params.data);
  assert.deepEqual(messages, ["Tool execution started", "Tool processing data", "Tool execution completed"]);
  assert.equal((await stream.next()).result.content[0].text, "Logging test completed");
});
