// Load and soak: a mixed stream of valid calls, invalid tokens and malformed requests at
// high concurrency against the built worker in workerd (loopback only), bounded in time.
// Every response is checked against the answer its kind of request must get; the run fails
// on any wrong answer, any 5xx, any connection error, or a dead worker at the end.
// workerd's memory is sampled every second and reported (start, peak, end, and by minute).
//
//   npm run soak [-- SECONDS [CONNECTIONS]]     (defaults: 180 s, 32 connections)
import autocannon from "autocannon";
import { randomBytes } from "node:crypto";
import path from "node:path";
import { ROOT } from "../tests/e2e/harness.mjs";
import { newKey, mint, claims, b64url } from "../tests/e2e/tokens.mjs";
import { startWorkerd } from "./workerd.mjs";

const SECONDS = Number(process.argv[2] ?? 180);
const CONNECTIONS = Number(process.argv[3] ?? 32);

const key = newKey("soak");
// The shipped per-address limit. The per-caller limit is raised out of the way: every valid
// call here carries one token by design (that limit has its own tests in tests/e2e).
const ADDRESS_LIMIT = 100;
const worker = await startWorkerd({
  dir: path.join(ROOT, "build"),
  vars: { JWT_PUBLIC_KEY: JSON.stringify({ keys: [key.jwk] }), REQUIRED_SCOPES: "dice:roll" },
  ratelimits: [
    { name: "ADDRESS_RATE_LIMIT", limit: ADDRESS_LIMIT, period: 60 },
    { name: "CALLER_RATE_LIMIT", limit: 1e9, period: 60 },
  ],
});
const PATH = "/mcp/";
const MCP_URL = worker.url + PATH;
const rssMiB = worker.rssMiB;

const token = mint(key, claims({ exp: Math.floor(Date.now() / 1000) + 3 * 3600 }));
const expired = mint(key, claims({ iat: 1_700_000_000, exp: 1_700_000_600 }));
const wrongScope = mint(key, claims({ scope: "other" }));
const JSON_H = { "content-type": "application/json", accept: "application/json, text/event-stream" };
// Client addresses (CF-Connecting-IP, which Cloudflare sets): the mixed traffic comes from
// one, the flood from another.
const MIXED_IP = "198.51.100.1";
const FLOOD_IP = "203.0.113.66";
const AUTH = { ...JSON_H, authorization: `Bearer ${token}`, "mcp-protocol-version": "2025-11-25", "cf-connecting-ip": MIXED_IP };
const rpc = (method, params, id = 1) => JSON.stringify({ jsonrpc: "2.0", id, method, params });
const META = { "io.modelcontextprotocol/protocolVersion": "2026-07-28", "io.modelcontextprotocol/clientCapabilities": {} };
const json = (body) => {
  try {
    return JSON.parse(body);
  } catch {
    return undefined;
  }
};
const diceOk = (body, n) => {
  const dice = json(body)?.result?.structuredContent?.result;
  return Array.isArray(dice) && dice.length === n && dice.every((d) => d >= 1 && d <= 6);
};

// Each kind of request, what it must be answered with, and how often it comes in a cycle.
const kinds = [
  { name: "tools/call roll_dice (2025-11-25)", weight: 6, status: 200, method: "POST", headers: AUTH,
    body: rpc("tools/call", { name: "roll_dice", arguments: { n_dice: 5 } }), check: (b) => diceOk(b, 5) },
  { name: "tools/call roll_dice (2026-07-28)", weight: 2, status: 200, method: "POST",
    headers: { ...AUTH, "mcp-protocol-version": "2026-07-28", "mcp-method": "tools/call", "mcp-name": "roll_dice" },
    body: rpc("tools/call", { name: "roll_dice", arguments: { n_dice: 2 }, _meta: META }), check: (b) => diceOk(b, 2) },
  { name: "tools/list", weight: 1, status: 200, method: "POST", headers: AUTH, body: rpc("tools/list", {}),
    check: (b) => json(b)?.result?.tools?.[0]?.name === "roll_dice" },
  { name: "bad arguments (tool error)", weight: 1, status: 200, method: "POST", headers: AUTH,
    body: rpc("tools/call", { name: "roll_dice", arguments: { n_dice: 0 } }), check: (b) => json(b)?.result?.isError === true },
  { name: "unknown tool", weight: 1, status: 200, method: "POST", headers: AUTH,
    body: rpc("tools/call", { name: "nope", arguments: {} }), check: (b) => json(b)?.error?.code === -32602 },
  { name: "fresh token with a bad signature, each from an address of its own", weight: 1, status: 401, method: "POST", headers: AUTH,
    body: rpc("ping"), fresh: true, spread: true, check: (b) => json(b)?.error === "invalid_token" },
  // The flood: a fresh forged token on every request, all from one address. The first
  // ADDRESS_LIMIT of each minute are verified and refused (401); the rest must be stopped
  // by the limiter (429) before any RSA work.
  { name: "flood: fresh forged tokens from one address", weight: 6, statuses: [401, 429], method: "POST",
    headers: { ...AUTH, "cf-connecting-ip": FLOOD_IP }, body: rpc("ping"), fresh: true,
    check: (b) => json(b)?.error === "invalid_token" },
  { name: "expired token", weight: 1, status: 401, method: "POST", headers: { ...AUTH, authorization: `Bearer ${expired}` },
    body: rpc("ping"), check: (b) => /expired/.test(json(b)?.error_description ?? "") },
  { name: "token without the scope", weight: 1, status: 403, method: "POST", headers: { ...AUTH, authorization: `Bearer ${wrongScope}` },
    body: rpc("ping"), check: (b) => json(b)?.error === "insufficient_scope" },
  { name: "no token", weight: 1, status: 401, method: "POST", headers: JSON_H, body: rpc("ping"),
    check: (b) => json(b)?.error === "invalid_request" },
  { name: "malformed JSON", weight: 1, status: 400, method: "POST", headers: AUTH, body: '{"jsonrpc":"2.0",',
    check: (b) => json(b)?.error?.code === -32700 },
  { name: "deep nesting", weight: 1, status: 400, method: "POST", headers: AUTH, body: "[".repeat(10_000),
    check: (b) => json(b)?.error?.code === -32700 },
  { name: "wrong content type", weight: 1, status: 415, method: "POST", headers: { ...AUTH, "content-type": "text/plain" },
    body: rpc("ping") },
  { name: "GET on the endpoint", weight: 1, status: 405, method: "GET", headers: AUTH },
  { name: "wrong path", weight: 1, status: 404, method: "POST", headers: AUTH, body: rpc("ping"), path: "/elsewhere" },
];
// The worker refuses a body declared over 1 MiB without reading it, so workerd closes that
// connection; autocannon would then pair later answers with the wrong requests. This kind
// runs beside the load instead, each request on a connection of its own.
const oversize = { name: "body over 1 MiB (own connections)", status: 413, body: rpc("ping", { pad: "x".repeat(1 << 20) }) };
const tally = new Map([...kinds, oversize].map((k) => [k.name, { sent: 0, right: 0, wrong: 0, examples: [], byStatus: new Map() }]));
function record(k, status, body) {
  const t = tally.get(k.name);
  t.sent++;
  t.byStatus.set(status, (t.byStatus.get(status) ?? 0) + 1);
  // A 429 is right only where a kind expects it, and only from the address limit.
  const right =
    status === 429
      ? Boolean(k.statuses?.includes(429)) && json(body)?.error?.data?.limit === "address"
      : (k.statuses ?? [k.status]).includes(status) && (!k.check || k.check(body));
  if (right) t.right++;
  else {
    t.wrong++;
    if (t.examples.length < 3) t.examples.push(`${status} ${String(body).slice(0, 160)}`);
  }
}
// When the server answers 413 and closes while the client is still sending the body, the
// client can see the connection reset instead of the answer: TCP discards the unread
// upload. Those are counted apart, by code; any other failure counts as an error.
const uploadResets = new Map();
let connectionErrors = 0;
async function oversizeLoop(until) {
  while (Date.now() < until) {
    try {
      const res = await fetch(MCP_URL, { method: "POST", headers: { ...AUTH, connection: "close" }, body: oversize.body });
      record(oversize, res.status, await res.text());
    } catch (e) {
      const code = e.cause?.code ?? e.code ?? e.name;
      if (["ECONNRESET", "EPIPE", "UND_ERR_SOCKET"].includes(code)) {
        uploadResets.set(code, (uploadResets.get(code) ?? 0) + 1);
      } else {
        connectionErrors++;
        console.error(`oversize request failed: ${code}: ${e.cause?.message ?? e.message}`);
      }
    }
  }
}
// A fresh, well-formed token with a random signature: a full RSA verification each time.
const [head, payload] = token.split(".");
const forged = () => `${head}.${payload}.${b64url(randomBytes(256))}`;

// Round by round, each kind as often as its weight: every connection sees every kind, with
// the valid calls spread between the bad ones.
const requests = [];
const rounds = Math.max(...kinds.map((k) => k.weight));
for (let round = 0; round < rounds; round++) {
  for (const k of kinds.filter((kind) => kind.weight > round)) {
    requests.push({
      method: k.method,
      path: k.path ?? PATH,
      headers: k.headers,
      body: k.body,
      ...(k.fresh && {
        setupRequest: (req) => ({
          ...req,
          headers: {
            ...req.headers,
            authorization: `Bearer ${forged()}`,
            ...(k.spread && { "cf-connecting-ip": `10.${randomBytes(3).join(".")}` }),
          },
        }),
      }),
      onResponse: (status, body) => record(k, status, body),
    });
  }
}

const memory = [];
let floodStart;
let floodEnd;
let result;
let code = 1;
try {
  // Warm the isolate before the first memory reading.
  for (let i = 0; i < 20; i++) await fetch(MCP_URL, { method: "POST", headers: AUTH, body: kinds[0].body });
  memory.push(rssMiB());
  const sampler = setInterval(() => memory.push(rssMiB()), 1000);
  console.log(`soak: ${SECONDS} s, ${CONNECTIONS} connections, ${kinds.length} kinds of request, workerd pid ${worker.pid}`);
  floodStart = Date.now();
  const side = oversizeLoop(Date.now() + SECONDS * 1000);
  result = await autocannon({
    url: worker.url,
    connections: CONNECTIONS,
    duration: SECONDS,
    requests,
  });
  await side;
  floodEnd = Date.now();
  clearInterval(sampler);
  memory.push(rssMiB());
  const after = await fetch(MCP_URL, { method: "POST", headers: AUTH, body: kinds[0].body });
  const alive = after.status === 200 && diceOk(await after.text(), 5);

  const fivexx = result["5xx"];
  const wrong = [...tally.values()].reduce((n, t) => n + t.wrong, 0);
  const total = [...tally.values()].reduce((n, t) => n + t.sent, 0);
  console.log("\n| kind of request | expected | answered | right | wrong |");
  console.log("| --- | --- | --- | --- | --- |");
  for (const k of [...kinds, oversize]) {
    const t = tally.get(k.name);
    const expected = (k.statuses ?? [k.status]).join(" or ");
    const statuses = [...t.byStatus].sort().map(([s, n]) => `${n} × ${s}`).join(", ");
    console.log(`| ${k.name} | ${expected} | ${t.sent} (${statuses}) | ${t.right} | ${t.wrong} |`);
    for (const e of t.examples) console.log(`|   example of a wrong answer: ${e.replace(/\|/g, "/")} | | | | |`);
  }
  // The flood may verify at most ADDRESS_LIMIT tokens in each clock-aligned minute it
  // touched; everything past that must have been answered by the limiter.
  const flood = tally.get(kinds.find((k) => k.statuses).name);
  const minutes = Math.floor(floodEnd / 60_000) - Math.floor(floodStart / 60_000) + 1;
  const floodVerified = flood.byStatus.get(401) ?? 0;
  const floodOk = floodVerified <= ADDRESS_LIMIT * minutes && (flood.byStatus.get(429) ?? 0) > 0;
  console.log(`\nflood from one address: ${flood.sent} requests, ${floodVerified} verified and refused (limit ${ADDRESS_LIMIT} a minute × ${minutes} clock minutes = ${ADDRESS_LIMIT * minutes} at most), ${flood.byStatus.get(429) ?? 0} answered 429 by the limiter: ${floodOk ? "ok" : "NOT BOUNDED"}`);
  const peak = Math.max(...memory);
  console.log(`\nrequests answered: ${total} in ${result.duration.toFixed(1)} s (${Math.round(total / result.duration)}/s), latency p50 ${result.latency.p50} ms, p99 ${result.latency.p99} ms`);
  const errors = result.errors + connectionErrors;
  console.log(`wrong answers: ${wrong}; 5xx: ${fivexx}; connection errors: ${errors} (load ${result.errors}, oversize ${connectionErrors}); timeouts: ${result.timeouts}`);
  const resets = [...uploadResets].map(([c, n]) => `${n} ${c}`).join(", ") || "none";
  console.log(`oversize uploads cut off by the early 413 (client saw a reset, not the answer): ${resets}`);
  console.log(`workerd memory (RSS): start ${memory[0].toFixed(1)} MiB, peak ${peak.toFixed(1)} MiB, end ${memory.at(-1).toFixed(1)} MiB (${memory.length} samples)`);
  const every30s = memory.filter((_, i) => i % 30 === 0 || i === memory.length - 1).map((m) => m.toFixed(0));
  console.log(`workerd memory every 30 s (MiB): ${every30s.join(" → ")}`);
  console.log(`worker answers a valid call after the run: ${alive ? "yes" : "NO"}`);
  code = floodOk && wrong === 0 && fivexx === 0 && errors === 0 && result.timeouts === 0 && alive && total > 0 ? 0 : 1;
  console.log(code === 0 ? "soak: passed" : "soak: FAILED");
} finally {
  await worker.stop();
}
process.exit(code);
