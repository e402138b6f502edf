// Questions to the user, asked statelessly (2026-07-28 input_required), in workerd with the
// fixture worker's tools: the answer carries input requests and a sealed requestState, and
// the client retries the same call with inputResponses, on any isolate. States for the
// expired and foreign-key cases are made here with Node's own HMAC, independently of the
// server's code.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { createHash, createHmac } from "node:crypto";
import { startFixture, FIXTURE_STATE_KEY } from "./harness.mjs";

let fixture;
before(async () => {
  fixture = await startFixture();
});
after(() => fixture?.stop());

const CAPS = { elicitation: {}, sampling: {}, roots: { listChanged: true } };
let nextId = 1;

async function callTool(worker, name, extra = {}, { caps = CAPS, version = "2026-07-28" } = {}) {
  const modern = version === "2026-07-28";
  const params = { name, arguments: {}, ...extra };
  if (modern) {
    params._meta = {
      "io.modelcontextprotocol/protocolVersion": version,
      "io.modelcontextprotocol/clientCapabilities": caps,
    };
  }
  const headers = { "content-type": "application/json", accept: "application/json, text/event-stream", "mcp-protocol-version": version };
  if (modern) Object.assign(headers, { "mcp-method": "tools/call", "mcp-name": name });
  const res = await fetch(`${worker.base}/mcp`, {
    method: "POST",
    headers,
    body: JSON.stringify({ jsonrpc: "2.0", id: nextId++, method: "tools/call", params }),
  });
  return { status: res.status, body: await res.json() };
}

const accept = (content) => ({ action: "accept", content });
const b64url = (b) => Buffer.from(b).toString("base64url");

/** A requestState made the way the server seals one (src/mcp/state.rs). */
function forgeState(key, { tool, exp, args = {}, owner = "anyone" }) {
  const payload = JSON.stringify({
    args: b64url(createHash("sha256").update(JSON.stringify(args)).digest()),
    exp, owner, pending: ["confirm"], responses: {}, server: "dice-mcp-conformance", state: null, tool, v: 1,
  });
  return `${b64url(payload)}.${b64url(createHmac("sha256", key).update(payload).digest())}`;
}

test("three rounds: each answer brings the next question, then the result", async () => {
  const tool = "test_input_required_result_multi_round";
  const r1 = (await callTool(fixture, tool)).body.result;
  assert.equal(r1.resultType, "input_required");
  assert.deepEqual(Object.keys(r1.inputRequests), ["step1"]);
  assert.equal(r1.inputRequests.step1.method, "elicitation/create");
  assert.equal(typeof r1.requestState, "string");

  const r2 = (await callTool(fixture, tool, {
    inputResponses: { step1: accept({ name: "Alice" }) }, requestState: r1.requestState,
  })).body.result;
  assert.equal(r2.resultType, "input_required");
  assert.deepEqual(Object.keys(r2.inputRequests), ["step2"]);
  assert.notEqual(r2.requestState, r1.requestState);

  // Only step2's answer: step1's travels in the state.
  const r3 = (await callTool(fixture, tool, {
    inputResponses: { step2: accept({ color: "blue" }) }, requestState: r2.requestState,
  })).body.result;
  assert.equal(r3.resultType, "complete");
  assert.deepEqual(r3.content, [{ type: "text", text: "Alice likes blue." }]);
  await fixture.waitForLog(/"input_required":true/);

  // A retry cannot replace an answer the state already holds, nor add one to a question
  // it was not asked: step1 stays Alice's.
  const forged = (await callTool(fixture, tool, {
    inputResponses: { step2: accept({ color: "red" }), step1: accept({ name: "Mallory" }) },
    requestState: r2.requestState,
  })).body.result;
  assert.deepEqual(forged.content, [{ type: "text", text: "Alice likes red." }]);
});

async function firstRound(worker = fixture) {
  const r1 = (await callTool(worker, "test_input_required_result_request_state")).body.result;
  assert.equal(r1.resultType, "input_required");
  return r1.requestState;
}
const retry = (worker, requestState) =>
  callTool(worker, "test_input_required_result_request_state", {
    inputResponses: { confirm: accept({ ok: true }) }, requestState,
  });

function refused(r, pattern) {
  assert.equal(r.status, 400);
  assert.equal(r.body.error.code, -32602);
  assert.match(r.body.error.message, pattern);
}

test("a tampered state is refused with -32602 before the tool runs", async () => {
  const state = await firstRound();
  refused(await retry(fixture, `${state}-TAMPERED`), /requestState/);
  const [payload, tag] = state.split(".");
  const flipped = `${payload.slice(0, 10)}${payload[10] === "A" ? "B" : "A"}${payload.slice(11)}.${tag}`;
  refused(await retry(fixture, flipped), /altered or sealed by another server|not a state this server issued/);
  refused(await callTool(fixture, "test_input_required_result_request_state", { requestState: 42 }), /must be a string/);
  refused(await callTool(fixture, "test_input_required_result_request_state", { inputResponses: null }), /inputResponses/);
});

test("an expired state is refused", async () => {
  const expired = forgeState(FIXTURE_STATE_KEY, {
    tool: "test_input_required_result_request_state", exp: Math.floor(Date.now() / 1000) - 1,
  });
  refused(await retry(fixture, expired), /expired/);
  // The same, still valid, is taken: the forgery above matches the server's format.
  const fresh = forgeState(FIXTURE_STATE_KEY, {
    tool: "test_input_required_result_request_state", exp: Math.floor(Date.now() / 1000) + 60,
  });
  const r = await retry(fixture, fresh);
  assert.equal(r.body.result.resultType, "complete");
});

test("a state sealed under another key, or for another call, is refused", async () => {
  const other = forgeState("another-server-key-that-is-long-enough-000000", {
    tool: "test_input_required_result_request_state", exp: Math.floor(Date.now() / 1000) + 60,
  });
  refused(await retry(fixture, other), /altered or sealed by another server/);
  const state = await firstRound();
  const r = await callTool(fixture, "test_input_required_result_tampered_state", {
    inputResponses: { confirm: accept({ ok: true }) }, requestState: state,
  });
  refused(r, /another tool call/);
});

test("a freshly started worker, sharing no memory with the first, finishes the call", async () => {
  const first = await startFixture();
  const state = await firstRound(first);
  await first.stop();
  const second = await startFixture();
  try {
    const r = await retry(second, state);
    assert.equal(r.status, 200);
    assert.equal(r.body.result.resultType, "complete");
    assert.deepEqual(r.body.result.content, [{ type: "text", text: "state-ok confirmed=true" }]);
  } finally {
    await second.stop();
  }
});

test("a client without the capability a tool needs gets -32021 with HTTP 400", async () => {
  const r = await callTool(fixture, "test_missing_capability", {}, { caps: {} });
  assert.equal(r.status, 400);
  assert.equal(r.body.error.code, -32021);
  assert.deepEqual(r.body.error.data, { requiredCapabilities: { sampling: {} } });
});

test("a tool asks only for kinds of input the client declared", async () => {
  const r = await callTool(fixture, "test_input_required_result_capabilities", {}, { caps: { sampling: {} } });
  assert.deepEqual(Object.values(r.body.result.inputRequests).map((q) => q.method), ["sampling/createMessage"]);
});

test("legacy revisions get a tool error that says the client must speak 2026-07-28", async () => {
  const r = await callTool(fixture, "test_input_required_result_elicitation", {}, { version: "2025-11-25" });
  assert.equal(r.status, 200);
  assert.equal(r.body.result.isError, true);
  assert.match(r.body.result.content[0].text, /2026-07-28/);
});

test("without INPUT_STATE_KEY, a server whose tools ask for input refuses to serve, naming it", async () => {
  const keyless = await startFixture({ vars: { INPUT_STATE_KEY: "" } });
  try {
    const r = await callTool(keyless, "test_simple_text");
    assert.equal(r.status, 500);
    assert.equal(r.body.error, "server_misconfigured");
    assert.match(r.body.error_description, /INPUT_STATE_KEY/);
  } finally {
    await keyless.stop();
  }
});
