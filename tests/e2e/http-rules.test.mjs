// One test per Streamable HTTP / JSON-RPC rule the server promises, over raw HTTP against
// the worker running in workerd. Each would fail if the rule were dropped.
import { test, describe } from "node:test";
import assert from "node:assert/strict";
import {
  URL_MCP, BASE, BOTH, MODERN, META_VERSION, post, read, rpc, initialize, modern, postModern,
} from "./client.mjs";

// The dice server's: its tool, and roll_dice's view as its one resource (docs/apps.md).
const CAPABILITIES = { tools: { listChanged: false }, resources: { listChanged: false, subscribe: false } };

/** The product's capabilities: these exactly, plus `prompts` and `completions` once it has
 *  prompts or templates (adding one breaks no test, docs/testing.md), and nothing else. */
function assertCapabilities(capabilities) {
  const { prompts, completions, ...rest } = capabilities;
  assert.deepEqual(rest, CAPABILITIES);
  if (prompts !== undefined) assert.deepEqual(prompts, { listChanged: false });
  if (completions !== undefined) assert.deepEqual(completions, {});
}

const LEGACY = ["2024-11-05", "2025-03-26", "2025-06-18", "2025-11-25"];
const ALL = [MODERN, ...LEGACY.slice().reverse()];

describe("endpoint and methods", () => {
  for (const path of ["/mcp", "/mcp/"]) {
    test(`POST ${path} is served directly, without a redirect`, async () => {
      const r = await post(initialize(), {}, BASE + path);
      assert.equal(r.status, 200);
      assert.equal(r.json.result.serverInfo.name, "dice-mcp");
    });
  }
});

describe("responses", () => {
  test("a request gets application/json", async () => {
    const r = await post(initialize());
    assert.equal(r.status, 200);
    assert.match(r.headers.get("content-type"), /^application\/json/);
  });

  test("a client that accepts only text/event-stream gets one SSE event", async () => {
    const r = await post(initialize(), { accept: "text/event-stream" });
    assert.equal(r.status, 200);
    assert.match(r.headers.get("content-type"), /^text\/event-stream/);
    const events = r.text.split("\n\n").filter(Boolean);
    assert.equal(events.length, 1);
    const data = events[0].split("\n").find((l) => l.startsWith("data: "));
    assert.equal(JSON.parse(data.slice(6)).result.serverInfo.name, "dice-mcp");
  });

  test("a notification gets 202 with no body", async () => {
    const r = await post({ jsonrpc: "2.0", method: "notifications/initialized" }, {
      "mcp-protocol-version": "2025-11-25",
    });
    assert.equal(r.status, 202);
    assert.equal(r.text, "");
  });

  test("a client's JSON-RPC response gets 202 with no body", async () => {
    const r = await post({ jsonrpc: "2.0", id: 9, result: {} }, { "mcp-protocol-version": "2025-11-25" });
    assert.equal(r.status, 202);
    assert.equal(r.text, "");
  });
});

describe("statelessness", () => {
  test("no session id is minted", async () => {
    const r = await post(initialize());
    assert.equal(r.headers.get("mcp-session-id"), null);
  });

  test("tools/call works with no initialize before it, and an unknown session id is ignored", async () => {
    const r = await post(rpc("tools/call", { name: "roll_dice", arguments: { n_dice: 2 } }), {
      "mcp-protocol-version": "2025-11-25",
      "mcp-session-id": "never-issued",
    });
    assert.equal(r.status, 200);
    assert.equal(r.json.result.structuredContent.result.length, 2);
  });
});

describe("batches", () => {
  test("accepted for 2025-03-26 (no header): one response per request, in an array", async () => {
    const r = await post([
      rpc("ping", undefined, 1),
      { jsonrpc: "2.0", method: "notifications/initialized" },
      rpc("tools/list", undefined, "two"),
    ]);
    assert.equal(r.status, 200);
    assert.deepEqual(r.json.map((m) => m.id), [1, "two"]);
    assert.ok(r.json[1].result.tools.some((t) => t.name === "roll_dice"));
  });

  test("a batch of notifications only gets 202", async () => {
    const r = await post([{ jsonrpc: "2.0", method: "notifications/initialized" }], {
      "mcp-protocol-version": "2025-03-26",
    });
    assert.equal(r.status, 202);
  });
});

describe("Origin and CORS", () => {

  test("a loopback Origin is allowed by default and echoed for CORS", async () => {
    const r = await post(initialize(), { origin: "http://localhost:6274" });
    assert.equal(r.status, 200);
    assert.equal(r.headers.get("access-control-allow-origin"), "http://localhost:6274");
    assert.match(r.headers.get("access-control-expose-headers"), /WWW-Authenticate/);
  });

  test("OPTIONS is a CORS preflight", async () => {
    const r = await read(await fetch(URL_MCP, {
      method: "OPTIONS",
      headers: {
        origin: "http://localhost:6274",
        "access-control-request-method": "POST",
        "access-control-request-headers": "authorization, content-type, mcp-protocol-version",
      },
    }));
    assert.equal(r.status, 204);
    assert.equal(r.headers.get("access-control-allow-origin"), "http://localhost:6274");
    assert.match(r.headers.get("access-control-allow-methods"), /POST/);
    assert.match(r.headers.get("access-control-allow-headers"), /authorization/i);
  });

  test("a preflight from a disallowed Origin is 403", async () => {
    const r = await read(await fetch(URL_MCP, {
      method: "OPTIONS",
      headers: { origin: "http://evil.example", "access-control-request-method": "POST" },
    }));
    assert.equal(r.status, 403);
  });
});

describe("protocol versions", () => {

  test("a legacy request without the header is served as 2025-03-26", async () => {
    const r = await post(rpc("tools/list"));
    const tool = r.json.result.tools.find((t) => t.name === "roll_dice");
    assert.ok(tool.annotations, "2025-03-26 has annotations");
    assert.equal(tool.outputSchema, undefined, "outputSchema is 2025-06-18 and later");
  });

  for (const v of LEGACY) {
    test(`initialize negotiates ${v}`, async () => {
      const r = await post(initialize(v));
      assert.equal(r.json.result.protocolVersion, v);
      assertCapabilities(r.json.result.capabilities);
    });
  }

  test("initialize with an unknown version answers with 2025-11-25", async () => {
    const r = await post(initialize("2030-01-01"));
    assert.equal(r.json.result.protocolVersion, "2025-11-25");
  });

  test("initialize without protocolVersion is -32602", async () => {
    const r = await post(rpc("initialize", { capabilities: {} }));
    assert.equal(r.json.error.code, -32602);
  });

  test("results follow the revision: structuredContent from 2025-06-18, not before", async () => {
    const call = rpc("tools/call", { name: "roll_dice", arguments: { n_dice: 1 } });
    const old = await post(call, { "mcp-protocol-version": "2025-03-26" });
    assert.equal(old.json.result.structuredContent, undefined);
    assert.match(old.json.result.content[0].text, /^\{"result":\[[1-6]\]\}$/);
    const now = await post(call, { "mcp-protocol-version": "2025-06-18" });
    assert.equal(now.json.result.structuredContent.result.length, 1);
  });
});

describe("2026-07-28 (modern)", () => {
  test("server/discover lists versions, capabilities and identity", async () => {
    const r = await postModern("server/discover");
    assert.equal(r.status, 200);
    const res = r.json.result;
    assert.equal(res.resultType, "complete");
    assert.deepEqual(res.supportedVersions, ALL);
    assertCapabilities(res.capabilities);
    assert.equal(res._meta["io.modelcontextprotocol/serverInfo"].name, "dice-mcp");
    assert.equal(typeof res.ttlMs, "number");
  });

  test("tools/list carries resultType, ttlMs and cacheScope", async () => {
    const r = await postModern("tools/list");
    assert.equal(r.json.result.resultType, "complete");
    assert.equal(r.json.result.cacheScope, "public");
    assert.ok(r.json.result.tools.some((t) => t.name === "roll_dice"));
  });

  test("tools/call rolls with per-request _meta and no initialize", async () => {
    const r = await postModern("tools/call", { name: "roll_dice", arguments: { n_dice: 3 } });
    assert.equal(r.status, 200);
    assert.equal(r.json.result.resultType, "complete");
    assert.equal(r.json.result.structuredContent.result.length, 3);
  });

  test("a base64-encoded Mcp-Name is decoded before comparing", async () => {
    const encoded = `=?base64?${Buffer.from("roll_dice").toString("base64")}?=`;
    const r = await postModern("tools/call", { name: "roll_dice", arguments: { n_dice: 1 } }, {
      headers: { "mcp-name": encoded },
    });
    assert.equal(r.status, 200);
  });

  // The worker asks the runtime for the 2026-07-28 headers only when MCP-Protocol-Version
  // is there and names no earlier revision (crates/mcp-worker/src/adapter/runtime.rs, http::MODERN_HEADERS). These
  // two check the two cases in the worker; fuzz/checks.rs (http_request) checks that a
  // request without the headers the worker would not take is answered the same.
  test("a request in an earlier revision is answered whatever Mcp-Method and Mcp-Name say", async () => {
    const body = rpc("tools/call", { name: "roll_dice", arguments: { n_dice: 1 } });
    const r = await post(body, { "mcp-protocol-version": "2025-11-25", "mcp-method": "tools/list", "mcp-name": "other" });
    assert.equal(r.status, 200);
    assert.equal(r.json.result.structuredContent.result.length, 1);
  });

  test("a 2026-07-28 body without the version header is refused for that header, Mcp-Method or not", async () => {
    const body = rpc("tools/list", { _meta: { [META_VERSION]: MODERN, "io.modelcontextprotocol/clientCapabilities": {} } });
    for (const headers of [{}, { "mcp-method": "tools/list" }, { "mcp-method": "tools/call" }]) {
      const r = await post(body, headers);
      assert.equal(r.status, 400, JSON.stringify(headers));
      assert.equal(r.json.error.code, -32020);
      assert.match(r.json.error.message, /MCP-Protocol-Version header is missing/);
    }
  });

  test("an unsupported version in header and _meta alike is 400 -32022 with the supported list", async () => {
    const body = rpc("tools/list", { _meta: { [META_VERSION]: "2099-01-01", "io.modelcontextprotocol/clientCapabilities": {} } });
    const r = await post(body, { "mcp-protocol-version": "2099-01-01", "mcp-method": "tools/list" });
    assert.equal(r.status, 400);
    assert.equal(r.json.error.code, -32022);
    assert.equal(r.json.error.data.requested, "2099-01-01");
    assert.deepEqual(r.json.error.data.supported, ALL);
  });

  test("a header and a _meta version that differ are 400 -32020, supported or not", async () => {
    const body = (v) => rpc("tools/list", { _meta: { [META_VERSION]: v, "io.modelcontextprotocol/clientCapabilities": {} } });
    for (const [header, meta] of [[MODERN, "2099-01-01"], ["2099-01-01", MODERN]]) {
      const r = await post(body(meta), { "mcp-protocol-version": header, "mcp-method": "tools/list" });
      assert.equal(r.status, 400, `${header} / ${meta}`);
      assert.equal(r.json.error.code, -32020, `${header} / ${meta}`);
    }
  });

  test("ping and initialize are not 2026-07-28 methods: 404 -32601", async () => {
    for (const m of ["ping", "initialize"]) {
      const r = await postModern(m);
      assert.equal(r.status, 404, m);
      assert.equal(r.json.error.code, -32601, m);
    }
  });
});

describe("JSON-RPC", () => {
  test("ping answers an empty result", async () => {
    const r = await post(rpc("ping", undefined, 42), { "mcp-protocol-version": "2025-11-25" });
    assert.deepEqual(r.json, { jsonrpc: "2.0", id: 42, result: {} });
  });

  test("tools/list has no nextCursor when everything fits in one page", async () => {
    const r = await post(rpc("tools/list"), { "mcp-protocol-version": "2025-11-25" });
    assert.equal(r.json.result.nextCursor, undefined);
  });
});

describe("roll_dice", () => {
  const call = (args) =>
    post(rpc("tools/call", { name: "roll_dice", arguments: args }), { "mcp-protocol-version": "2025-11-25" });

  test("returns n_dice values from 1 to 6, structured and as text", async () => {
    const r = await call({ n_dice: 100 });
    const dice = r.json.result.structuredContent.result;
    assert.equal(dice.length, 100);
    assert.ok(dice.every((d) => Number.isInteger(d) && d >= 1 && d <= 6));
    assert.deepEqual(JSON.parse(r.json.result.content[0].text), r.json.result.structuredContent);
    assert.equal(r.json.result.isError, false);
  });
});
