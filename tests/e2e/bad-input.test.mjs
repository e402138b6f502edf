// Every class of bad input and its answer, over raw HTTP against the worker in workerd.
// The rows are docs/bad-input.md's table, by name: the last test fails if the two
// lists differ, so the table never claims a row nothing tests.
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";
import { ROOT, startFixture } from "./harness.mjs";
import { URL_MCP, BASE, AUTH, post, read, rpc, initialize, postModern, modern, META_VERSION, META_CAPS } from "./client.mjs";
import { randomBytes } from "node:crypto";
import { request as httpRequest } from "node:http";
import { importKeys, newKey, mint, claims, b64url, AUDIENCE, ISSUER } from "./tokens.mjs";

const V = { "mcp-protocol-version": "2025-11-25" };
const callDice = (args) => post(rpc("tools/call", { name: "roll_dice", arguments: args }), V);
const callDiceAs = (headers) => post(rpc("tools/call", { name: "roll_dice", arguments: { n_dice: 1 } }), headers);

/** Asserts a JSON-RPC error answer. `id` undefined means "not checked". */
function rpcError(r, status, code, { id, message } = {}) {
  assert.equal(r.status, status, r.text);
  assert.equal(r.json.jsonrpc, "2.0");
  assert.equal(r.json.error.code, code, r.text);
  if (id !== undefined) assert.deepEqual(r.json.id, id);
  if (message) assert.match(r.json.error.message, message);
}

// The limits the shipped wrangler.toml sets. The binding counts in windows aligned to the
// clock, so a flood may straddle one change of window: it is given room for two.
const ADDRESS_LIMIT = 100;
const CALLER_LIMIT = 600;
const [suiteKey] = importKeys(process.env.DICE_MCP_TEST_KEYS);
const run = randomBytes(2).toString("hex");

/** Sends until a 429; asserts the 429 and what came before it. */
async function floodUntil429(send, limit, status, limitName) {
  // +2: the address limit counts a failure after its verification, so the request the
  // binding refuses is still answered (401), and the next one is the 429.
  for (let i = 0; i < 2 * limit + 2; i++) {
    const r = await send();
    if (r.status === 429) {
      assert.ok(i >= 1, "some requests are served first");
      assert.equal(r.headers.get("retry-after"), "60");
      rpcError(r, 429, -32000, { id: null, message: /wait up to 60 seconds/ });
      assert.equal(r.json.error.data.limit, limitName);
      return;
    }
    assert.equal(r.status, status, r.text);
  }
  assert.fail(`no 429 after ${2 * limit + 2} requests`);
}

// The rows about resources, templates, prompts, completion, x-mcp-header parameters and
// skills need a server that has some: the fixture worker (tests/conformance), started once, the first time one asks.
let fixture;
after(() => fixture?.stop());
async function atFixture(method, params, version = "2025-11-25") {
  fixture ??= await startFixture();
  const url = `${fixture.base}/mcp`;
  if (version !== "2026-07-28") {
    return post(rpc(method, params), { authorization: null, "mcp-protocol-version": version }, url);
  }
  const { body, headers } = modern(method, params);
  if (params.uri !== undefined) headers["mcp-name"] = params.uri;
  return post(body, { authorization: null, ...headers }, url);
}
const fixtureUrl = async () => {
  fixture ??= await startFixture();
  return `${fixture.base}/mcp`;
};

/** POSTs `count` chunks of `size` bytes with chunked transfer encoding, stopping as soon as
 *  the server answers; resolves to the answer's status and JSON body. The server answers
 *  and closes while the client is still sending, so the client's write can fail (EPIPE,
 *  ECONNRESET) before it has read the answer, a race of HTTP/1.1 itself that a loaded
 *  machine makes likelier: then the request is made again, a few times at most. */
async function chunkedUntilAnswered(url, headers, size, count) {
  for (let attempt = 1; ; attempt++) {
    try {
      return await chunkedOnce(url, headers, size, count);
    } catch (e) {
      if (attempt >= 5 || !["EPIPE", "ECONNRESET"].includes(e.code)) throw e;
    }
  }
}

function chunkedOnce(url, headers, size, count) {
  return new Promise((resolve, reject) => {
    let answered = false;
    const req = httpRequest(url, { method: "POST", headers }, (res) => {
      answered = true;
      let text = "";
      res.setEncoding("utf8");
      res.on("data", (d) => (text += d));
      res.on("end", () => {
        resolve({ status: res.statusCode, json: JSON.parse(text) });
        req.destroy();
      });
      res.on("error", reject);
    });
    req.on("error", (e) => {
      if (!answered) reject(e);
    });
    const chunk = Buffer.alloc(size, "x");
    let sent = 0;
    const next = () => {
      if (answered) return;
      if (sent++ >= count) return req.end();
      if (req.write(chunk)) setImmediate(next);
      else req.once("drain", next);
    };
    next();
  });
}

const rows = {
  "wrong HTTP method": async () => {
    for (const method of ["GET", "DELETE", "PUT", "PATCH"]) {
      const r = await read(await fetch(URL_MCP, { method, headers: AUTH }));
      assert.equal(r.status, 405, method);
      assert.equal(r.headers.get("allow"), "POST, OPTIONS");
      assert.match(r.json.error.message, /send JSON-RPC messages with POST/);
    }
  },
  "wrong HTTP method without a valid token": async () => {
    // The challenge comes first whatever the method: mcp-remote opens with a GET and must
    // find resource_metadata for the path the user typed, slash or not.
    const stranger = mint(newKey("stranger"));
    for (const p of ["/mcp", "/mcp/"]) {
      for (const method of ["GET", "DELETE", "PUT"]) {
        for (const authorization of [undefined, "Bearer not-a-token", `Bearer ${stranger}`]) {
          // Refused tokens count against their address: one of this row's own.
          const headers = { "cf-connecting-ip": `2001:db8:${run}::7`, ...(authorization ? { authorization } : {}) };
          const r = await read(await fetch(BASE + p, { method, headers }));
          assert.equal(r.status, 401, `${method} ${p} ${authorization}`);
          const challenge = r.headers.get("www-authenticate");
          assert.match(challenge, /^Bearer resource_metadata="/);
          assert.ok(challenge.includes(`/.well-known/oauth-protected-resource${p}"`), challenge);
          assert.equal(r.headers.get("allow"), null);
        }
      }
    }
  },
  "wrong path": async () => {
    for (const p of ["/", "/mcp/tools", "/MCP", "/sse"]) {
      const r = await read(await fetch(BASE + p, { method: "POST", headers: AUTH }));
      assert.equal(r.status, 404, p);
      assert.equal(r.json.error, "not_found");
      assert.match(r.json.error_description, /The MCP endpoint is \/mcp\//);
    }
  },
  "Origin not allowed": async () => {
    const r = await post(initialize(), { origin: "https://evil.example" });
    assert.equal(r.status, 403);
    assert.match(r.json.error.message, /ALLOWED_ORIGINS/);
  },
  "wrong content type": async () => {
    for (const type of ["text/plain", "application/x-www-form-urlencoded", "application/jsonl", null]) {
      const r = await post(JSON.stringify(initialize()), { "content-type": type });
      assert.equal(r.status, 415, String(type));
      assert.match(r.json.error.message, /Content-Type must be application\/json/);
    }
  },
  "unacceptable Accept": async () => {
    // A q-value of 0 refuses a type; `q=0.000` is still 0.
    for (const accept of ["text/html, application/xml", "application/json;q=0, text/event-stream;q=0.000"]) {
      const r = await post(initialize(), { accept });
      assert.equal(r.status, 406, accept);
      assert.match(r.json.error.message, /Accept must allow application\/json or text\/event-stream/);
    }
    // A malformed q-value (RFC 9110 section 12.4.2 allows 0 to 1 with at most three
    // decimals) is ignored (q=1), so the type stays acceptable.
    for (const q of ["-1", "0.0001", "1.5", "abc"]) {
      const r = await post(initialize(), { accept: `application/json;q=${q}` });
      assert.equal(r.status, 200, q);
    }
  },
  "body over 1 MiB": async () => {
    const big = JSON.stringify(rpc("ping", { pad: "x".repeat(1 << 20) }));
    assert.equal((await post(big)).status, 413);
    // Without a Content-Length (chunked), reading stops once the limit is passed: the
    // answer comes while the client is still sending, so the client stops when it does
    // (a write after the server closed is the client's own EPIPE, not the server's answer).
    const r = await chunkedUntilAnswered(URL_MCP, { "content-type": "application/json", ...AUTH }, 64 * 1024, 20);
    assert.equal(r.status, 413);
    assert.match(r.json.error.message, /larger than 1048576 bytes/);
  },
  "empty body": async () => {
    for (const body of ["", "   \n"]) rpcError(await post(body), 400, -32700, { id: null, message: /empty/ });
  },
  "invalid JSON": async () => {
    for (const body of ["{not json", '{"jsonrpc":"2.0",', "{'a':1}", "[1,]"]) {
      rpcError(await post(body), 400, -32700, { id: null, message: /not valid JSON/ });
    }
  },
  "invalid UTF-8": async () => {
    const body = Buffer.concat([Buffer.from('{"jsonrpc":"2.0","id":"'), Buffer.from([0xc3, 0x28]), Buffer.from('","method":"ping"}')]);
    rpcError(await post(new Uint8Array(body)), 400, -32700, { id: null });
  },
  "deep nesting": async () => {
    const deep = `{"jsonrpc":"2.0","id":1,"method":"ping","params":{"a":${"[".repeat(5000)}${"]".repeat(5000)}}}`;
    rpcError(await post(deep), 400, -32700, { message: /recursion limit/ });
  },
  "huge numbers": async () => {
    rpcError(await post('{"jsonrpc":"2.0","id":1,"method":"ping","params":{"x":1e400}}'), 400, -32700, {
      message: /number out of range/,
    });
    rpcError(await post('{"jsonrpc":"2.0","id":99999999999999999999999,"method":"ping"}'), 400, -32600, {
      message: /fits in 64 bits/,
    });
    const r = await callDice({ n_dice: 1e20 });
    assert.equal(r.json.result.isError, true);
    assert.match(r.json.result.content[0].text, /must be an integer from 1 to 100/);
  },
  "not a JSON-RPC object": async () => {
    for (const body of ['"hello"', "42", "null", "true"]) {
      rpcError(await post(body), 400, -32600, { id: null, message: /one JSON-RPC message/ });
    }
    rpcError(await post({ jsonrpc: "2.0", id: 1 }), 400, -32600, { id: 1, message: /needs 'method'/ });
    rpcError(await post({ jsonrpc: "2.0", id: 1, method: 7 }), 400, -32600, { id: 1 });
  },
  "wrong JSON-RPC version": async () => {
    for (const jsonrpc of ["1.0", 2, undefined]) {
      rpcError(await post({ jsonrpc, id: "abc", method: "ping" }), 400, -32600, { id: "abc", message: /"2.0"/ });
    }
  },
  "null, fractional, object or array id": async () => {
    for (const id of [null, 1.5, { a: 1 }, [1], true]) {
      rpcError(await post({ jsonrpc: "2.0", id, method: "ping" }), 400, -32600, { id: null, message: /'id' must be/ });
    }
  },
  "params not an object": async () => {
    rpcError(await post(rpc("ping", [1, 2]), V), 200, -32602, { id: 1, message: /named parameters/ });
  },
  "batch where not allowed": async () => {
    const batch = [rpc("ping", undefined, 1), rpc("ping", undefined, 2)];
    for (const v of ["2025-06-18", "2025-11-25", "2026-07-28"]) {
      const r = await post(batch, { "mcp-protocol-version": v });
      rpcError(r, 400, -32600, { message: /only in protocol version 2025-03-26/ });
    }
    rpcError(await post([]), 400, -32600, { message: /empty/ });
    const tooMany = Array.from({ length: 101 }, (_, i) => rpc("ping", undefined, i));
    rpcError(await post(tooMany), 400, -32600, { message: /at most 100/ });
  },
  "unknown method": async () => {
    // A method no server has: prompts/list would pin the product to having no prompts
    // (tests/apps_flow.rs checks that answer on a server built without them).
    rpcError(await post(rpc("dice/unknown", undefined, "q"), V), 200, -32601, { id: "q" });
    const modern = await postModern("dice/unknown", {});
    rpcError(modern, 404, -32601, { id: 1 });
  },
  "unknown tool": async () => {
    const r = await post(rpc("tools/call", { name: "roll_d20", arguments: {} }), V);
    rpcError(r, 200, -32602, { id: 1, message: /Unknown tool: 'roll_d20'. Available tools: (.*, )?roll_dice\b/ });
    rpcError(await post(rpc("tools/call", { arguments: {} }), V), 200, -32602, { message: /params.name/ });
  },
  "bad tool arguments": async () => {
    for (const [args, pattern] of [
      [{ n_dice: 0 }, /from 1 to 100/],
      [{ n_dice: 101 }, /from 1 to 100/],
      [{ n_dice: "3" }, /must be an integer/],
      [{ n_dice: 2.5 }, /must be an integer/],
      [{}, /Missing required argument 'n_dice'/],
      [{ n_dice: 1, sides: 20 }, /Unknown argument 'sides'/],
    ]) {
      const r = await callDice(args);
      assert.equal(r.status, 200);
      assert.equal(r.json.result.isError, true, JSON.stringify(args));
      assert.match(r.json.result.content[0].text, pattern);
    }
    const r = await post(rpc("tools/call", { name: "roll_dice", arguments: [3] }), V);
    rpcError(r, 200, -32602, { message: /'arguments' must be an object/ });
  },
  "unknown resource": async () => {
    for (const uri of ["test://nope", "test://template/%zz/data", "test://template/%ff/data", `test://${"x".repeat(5000)}`]) {
      const r = await atFixture("resources/read", { uri });
      rpcError(r, 200, -32002, { id: 1, message: /Resource not found: no resource has the URI .* resources\/templates\/list/ });
      assert.ok(r.json.error.data.uri.length <= 65, "at most 64 characters and an ellipsis");
    }
    const modernNope = await atFixture("resources/read", { uri: "test://nope" }, "2026-07-28");
    rpcError(modernNope, 400, -32602, { message: /Resource not found/ });
    assert.equal(modernNope.json.error.data.uri, "test://nope");
    rpcError(await atFixture("resources/read", { uri: 7 }), 200, -32602, { message: /needs params.uri/ });
  },
  "bad template variables": async () => {
    const r = await atFixture("resources/read", { uri: `rules://dice/${"y".repeat(40)}` });
    rpcError(r, 200, -32602, { message: /'game' must be at most 32 characters long; got 40/ });
  },
  "unknown prompt or bad prompt arguments": async () => {
    const unknown = await atFixture("prompts/get", { name: "nope" });
    rpcError(unknown, 200, -32602, { message: /Unknown prompt: 'nope'. Available prompts: test_simple_prompt/ });
    const name = "test_prompt_with_arguments";
    for (const [args, pattern] of [
      [{ arg1: "a" }, /Missing required argument 'arg2'/],
      [{ arg1: "a", arg2: 2 }, /'arg2' must be a string; got the number 2/],
      [{ arg1: "a", arg2: "b", arg3: "c" }, /Unknown argument 'arg3'; this prompt takes only: arg1, arg2/],
    ]) {
      rpcError(await atFixture("prompts/get", { name, arguments: args }), 200, -32602, { message: pattern });
    }
    rpcError(await atFixture("prompts/get", { name, arguments: [1] }), 200, -32602, { message: /'arguments' must be an object/ });
  },
  "bad completion request": async () => {
    const ref = { type: "ref/prompt", name: "test_prompt_with_arguments" };
    for (const [params, pattern] of [
      [{ ref, argument: { name: "arg9", value: "" } }, /has no argument 'arg9'. Its arguments: arg1, arg2/],
      [{ ref }, /needs params.argument/],
      [{ ref: { type: "ref/tool", name: "x" }, argument: { name: "a", value: "" } }, /ref\/prompt" or "ref\/resource/],
      [{ ref: { type: "ref/resource", uri: "x://{nope}" }, argument: { name: "a", value: "" } }, /No resource template is 'x:\/\/\{nope\}'/],
    ]) {
      rpcError(await atFixture("completion/complete", params), 200, -32602, { message: pattern });
    }
  },
  "unknown cursor": async () => {
    rpcError(await post(rpc("tools/list", { cursor: "bogus" }), V), 200, -32602, { message: /unknown cursor/ });
  },
  "unsupported protocol version": async () => {
    const r = await post(rpc("ping"), { "mcp-protocol-version": "2099-01-01" });
    rpcError(r, 400, -32022, { id: 1 });
    assert.deepEqual(r.json.error.data.requested, "2099-01-01");
    assert.deepEqual(r.json.error.data.supported, ["2026-07-28", "2025-11-25", "2025-06-18", "2025-03-26", "2024-11-05"]);
  },
  "2026-07-28 header/body mismatch": async () => {
    const wrongMethod = await postModern("tools/list", {}, { headers: { "mcp-method": "tools/call" } });
    rpcError(wrongMethod, 400, -32020, { message: /does not match body method/ });
    const noMethod = await postModern("tools/list", {}, { headers: { "mcp-method": null } });
    rpcError(noMethod, 400, -32020, { message: /Mcp-Method header is missing/ });
    const wrongName = await postModern("tools/call", { name: "roll_dice", arguments: { n_dice: 1 } }, {
      headers: { "mcp-name": "other" },
    });
    rpcError(wrongName, 400, -32020, { message: /Mcp-Name/ });
    const wrongVersion = await postModern("tools/list", {}, { headers: { "mcp-protocol-version": "2025-11-25" } });
    rpcError(wrongVersion, 400, -32020, { message: /does not match _meta protocol version/ });
    // Checked before whether the version is one we speak (the conformance suite's probe).
    const unknownInBody = await postModern("tools/list", { _meta: { [META_VERSION]: "v999.0.0" } });
    rpcError(unknownInBody, 400, -32020, { message: /does not match _meta protocol version/ });
  },
  "2026-07-28 Mcp-Param header mismatch": async () => {
    // The dice server mirrors no argument; the fixture worker's test_header_route does.
    const url = await fixtureUrl();
    const send = (args, headers) => {
      const { body, headers: h } = modern("tools/call", { name: "test_header_route", arguments: args });
      return post(body, { authorization: null, ...h, ...headers }, url);
    };
    rpcError(await send({ region: "eu" }, {}), 400, -32020, { id: 1, message: /Mcp-Param-Region header is missing/ });
    rpcError(await send({ region: "eu" }, { "mcp-param-region": "us" }), 400, -32020, { message: /does not match arguments\.region/ });
    rpcError(await send({}, { "mcp-param-region": "eu" }), 400, -32020, { message: /arguments\.region is absent/ });
    rpcError(await send({ region: "x" }, { "mcp-param-region": "=?base64?eA?=" }), 400, -32020, { message: /malformed/ });
  },
  "unknown skill or not a skill directory": async () => {
    // The fixture worker publishes the skill pdf-processing.
    const url = await fixtureUrl();
    const legacy = (method, params) => post(rpc(method, params), { authorization: null, ...V }, url);
    rpcError(await legacy("skills/get", { uri: "skill://nothing/SKILL.md" }), 200, -32602, { message: /no skill has the URI/ });
    rpcError(await legacy("skills/get", {}), 200, -32602, { message: /needs params.uri/ });
    for (const uri of ["skill://pdf-processing/SKILL.md", "skill://pdf-processing/none", "skill://pdf-processing/../x", "file:///etc"]) {
      rpcError(await legacy("resources/directory/read", { uri }), 200, -32602, { message: /is not a directory of a skill/ });
    }
    const { body, headers } = modern("skills/get", { uri: "skill://nothing/SKILL.md" });
    rpcError(await post(body, { authorization: null, ...headers }, url), 400, -32602);
  },
  "2026-07-28 requestState of another principal": async () => {
    // A state is bound to issuer and subject (or issuer and client), as tasks are: the
    // same `sub` from another issuer sharing the key set is someone else.
    const key = newKey("bad-input-state");
    const authed = await startFixture({ vars: { ALLOW_UNAUTHENTICATED: "", JWT_PUBLIC_KEY: JSON.stringify({ keys: [key.jwk] }) } });
    try {
      const url = `${authed.base}/mcp`;
      const as = (who, params) => {
        const { body, headers } = modern("prompts/get", { name: "test_input_required_result_prompt", ...params }, { headers: {} });
        body.params._meta[META_CAPS] = { elicitation: {} };
        return post(body, { ...headers, authorization: `Bearer ${mint(key, claims(who))}` }, url);
      };
      const alice = { sub: "alice", iss: "https://one.example" };
      const first = await as(alice, {});
      assert.equal(first.status, 200, first.text);
      const requestState = first.json.result.requestState;
      const inputResponses = { user_context: { action: "accept", content: { context: "dice" } } };
      for (const other of [{ sub: "alice", iss: "https://two.example" }, { sub: undefined, client_id: "alice", iss: "https://one.example" }]) {
        rpcError(await as(other, { requestState, inputResponses }), 400, -32602, { message: /belongs to another/ });
      }
      // A token naming neither subject nor client gets no round, and no state is its own.
      const nobody = { sub: undefined, iss: "https://one.example" };
      rpcError(await as(nobody, {}), 400, -32602, { message: /this token names neither/ });
      rpcError(await as(nobody, { requestState, inputResponses }), 400, -32602, { message: /names neither/ });
      const done = await as(alice, { requestState, inputResponses });
      assert.equal(done.json.result.messages[0].content.text, "Use this context: dice", done.text);
    } finally {
      await authed.stop();
    }
  },
  "input asked of a client before 2026-07-28": async () => {
    // A prompt or a read that asks for input: the client is told the revision it takes,
    // as a client error (-32602, in a 200 before 2026-07-28), never a 500.
    const url = await fixtureUrl();
    for (const [method, params] of [
      ["prompts/get", { name: "test_input_required_result_prompt" }],
      ["resources/read", { uri: "test://confirmed" }],
    ]) {
      const r = await post(rpc(method, params), { authorization: null, ...V }, url);
      rpcError(r, 200, -32602, { message: /takes MCP protocol 2026-07-28; this client speaks 2025-11-25/ });
    }
    // No revision lets a completion ask for input: a client error there too.
    const complete = { ref: { type: "ref/resource", uri: "test://manual{#section}" }, argument: { name: "section", value: "" } };
    rpcError(await atFixture("completion/complete", complete), 200, -32602, { message: /completion\/complete cannot carry/ });
    rpcError(await atFixture("completion/complete", complete, "2026-07-28"), 400, -32602, { message: /completion\/complete cannot carry/ });
  },
  "2026-07-28 routing header with characters past ASCII": async () => {
    // Raw bytes past ASCII (here the UTF-8 of "dé", sent byte for byte) are refused in
    // Mcp-Name and Mcp-Method alike, even where they decode to the body's value; such
    // values travel as =?base64?…?=.
    const raw = Buffer.from("dé").toString("latin1");
    const { body, headers } = modern("tools/call", { name: "dé", arguments: {} });
    rpcError(await post(body, { ...headers, "mcp-name": raw }), 400, -32020, { message: /Mcp-Name header holds characters a header may not carry/ });
    rpcError(await post(body, { ...headers, "mcp-method": `tools/call${raw}` }), 400, -32020, { message: /Mcp-Method header holds characters/ });
    // The encoded form is accepted: the request gets as far as the tool lookup.
    rpcError(await post(body, { ...headers, "mcp-name": `=?base64?${Buffer.from("dé").toString("base64")}?=` }), 400, -32602, { message: /Unknown tool/ });
  },
  "long values echoed": async () => {
    // No answer repeats more than 64 characters of what the client sent.
    const long = "x".repeat(300);
    const url = await fixtureUrl();
    const answers = [
      await post(rpc("skills/get", { uri: `skill://${long}/SKILL.md` }), { authorization: null, ...V }, url),
      await post(rpc("resources/directory/read", { uri: `skill://${long}` }), { authorization: null, ...V }, url),
      await post(rpc("resources/read", { uri: `test://${long}` }), { authorization: null, ...V }, url),
      await post(rpc(long, {}), V),
      await callDice({ n_dice: 1, [long]: true }),
      await post(rpc("tools/call", { name: long, arguments: {} }), V),
    ];
    for (const r of answers) {
      assert.ok(r.json.error || r.json.result?.isError, r.text);
      assert.ok(!r.text.includes("x".repeat(65)), r.text);
      assert.ok(r.text.includes("x".repeat(64)) || r.text.includes("…"), r.text);
    }
  },
  "2026-07-28 bad requestState": async () => {
    const roll = { name: "roll_dice", arguments: { n_dice: 1 } };
    const foreign = await postModern("tools/call", { ...roll, requestState: "eyJ2IjoxfQ.c2ln" });
    rpcError(foreign, 400, -32602, { message: /requestState/ });
    const notAnObject = await postModern("tools/call", { ...roll, inputResponses: null });
    rpcError(notAnObject, 400, -32602, { message: /inputResponses/ });
  },
  "flood of new tokens from one address": async () => {
    const [h, p] = mint(suiteKey).split(".");
    const headers = () => ({ ...V, "cf-connecting-ip": `2001:db8:${run}::1`, authorization: `Bearer ${h}.${p}.${b64url(randomBytes(256))}` });
    await floodUntil429(() => post(rpc("ping"), headers()), ADDRESS_LIMIT, 401, "address");
    // The suite's token, verified long before, is not limited from that address.
    const r = await post(rpc("ping"), { ...V, "cf-connecting-ip": `2001:db8:${run}::1` });
    assert.equal(r.status, 200);
  },
  "too many tool calls from one caller": async () => {
    const token = mint(suiteKey, claims({ sub: `bad-input-${run}` }));
    const headers = { ...V, authorization: `Bearer ${token}` };
    await floodUntil429(() => callDiceAs(headers), CALLER_LIMIT, 200, "caller");
    assert.equal((await post(rpc("tools/list"), headers)).status, 200, "other methods are not limited");
  },
  "2026-07-28 _meta incomplete": async () => {
    const r = await postModern("tools/list", { _meta: { "io.modelcontextprotocol/clientCapabilities": null } });
    rpcError(r, 400, -32602, { message: /clientCapabilities/ });
  },
  "task-only tool the caller cannot use": async () => {
    // Before 2026-07-28 no client can take a task: a tool error naming what would work.
    const legacy = await atFixture("tools/call", { name: "short_lived", arguments: {} });
    assert.equal(legacy.status, 200, legacy.text);
    assert.equal(legacy.json.result.isError, true, legacy.text);
    assert.match(legacy.json.result.content[0].text, /takes MCP protocol 2026-07-28 with the io\.modelcontextprotocol\/tasks extension; this client speaks 2025-11-25/);
    // A token naming neither a subject nor a client could be anyone's, so it owns no task.
    const key = newKey("bad-input-tasks");
    const authed = await startFixture({
      vars: { ALLOW_UNAUTHENTICATED: "", JWT_PUBLIC_KEY: JSON.stringify({ keys: [key.jwk] }), JWT_AUDIENCE: AUDIENCE, JWT_ISSUER: ISSUER },
    });
    try {
      const method = "tools/call";
      const body = rpc(method, { name: "short_lived", arguments: {}, _meta: { [META_VERSION]: "2026-07-28", "io.modelcontextprotocol/clientCapabilities": { extensions: { "io.modelcontextprotocol/tasks": {} } } } });
      const headers = { authorization: `Bearer ${mint(key, claims({ sub: undefined }))}`, "mcp-protocol-version": "2026-07-28", "mcp-method": method, "mcp-name": "short_lived" };
      const r = await post(body, headers, `${authed.base}/mcp`);
      assert.equal(r.status, 200, r.text);
      assert.equal(r.json.result.isError, true, r.text);
      assert.match(r.json.result.content[0].text, /this token names neither/);
    } finally {
      await authed.stop();
    }
  },
  "2026-07-28 bad task request": async () => {
    // The dice server keeps no tasks: the methods do not exist there.
    rpcError(await postModern("tasks/get", { taskId: "x" }, { headers: { "mcp-name": "x" } }), 404, -32601);
    // A server that keeps them (the fixture worker) checks each request.
    const fixture = await startFixture();
    try {
      const url = `${fixture.base}/mcp`;
      const caps = (declare) => (declare ? { extensions: { "io.modelcontextprotocol/tasks": {} } } : {});
      const send = (method, params, { declare = true, name = params.taskId } = {}) => {
        const body = rpc(method, { ...params, _meta: { [META_VERSION]: "2026-07-28", "io.modelcontextprotocol/clientCapabilities": caps(declare) } });
        const headers = { authorization: null, "mcp-protocol-version": "2026-07-28", "mcp-method": method };
        if (name !== undefined) headers["mcp-name"] = name;
        return post(body, headers, url);
      };
      rpcError(await send("tasks/get", { taskId: "AAAAAAAAAAAAAAAAAAAAAA" }, { declare: false }), 400, -32021);
      rpcError(await send("tasks/get", {}), 400, -32602, { message: /taskId/ });
      rpcError(await send("tasks/get", { taskId: 7 }, { name: "7" }), 400, -32602);
      for (const id of ["AAAAAAAAAAAAAAAAAAAAAA", "not-a-task-id", "x".repeat(5000)]) {
        rpcError(await send("tasks/cancel", { taskId: id }), 400, -32602, { message: /Task not found/ });
      }
      rpcError(await send("tasks/update", { taskId: "AAAAAAAAAAAAAAAAAAAAAA", inputResponses: [] }), 400, -32602, { message: /inputResponses/ });
      rpcError(await send("tasks/get", { taskId: "AAAAAAAAAAAAAAAAAAAAAA" }, { name: "BBBBBBBBBBBBBBBBBBBBBB" }), 400, -32020);
      rpcError(await send("tasks/list", {}), 404, -32601);
    } finally {
      await fixture.stop();
    }
  },
};

for (const [name, check] of Object.entries(rows)) test(name, check);

test("docs/bad-input.md's table lists exactly these rows", () => {
  // The first table, the MCP endpoint's; the authorization server's, under its own
  // heading, is checked by tests/oauth_flow.rs.
  const section = readFileSync(path.join(ROOT, "docs", "bad-input.md"), "utf8").split("\n## ")[0];
  const named = [...section.matchAll(/^\| ([^|]+?) \|/gm)]
    .map((m) => m[1].trim())
    .filter((cell) => cell !== "Input" && !/^-+$/.test(cell));
  assert.deepEqual(named.sort(), Object.keys(rows).sort());
});
