// Small raw-HTTP helpers for the rule tests: no MCP library between the test and the wire.
export const URL_MCP = process.env.DICE_MCP_URL;
export const BASE = process.env.DICE_MCP_BASE;
export const TOKEN = process.env.DICE_MCP_TOKEN;
export const AUTH = { authorization: `Bearer ${TOKEN}` };
if (!URL_MCP) throw new Error("run through tests/e2e/run.mjs (npm test), which starts the worker");

export const MODERN = "2026-07-28";
export const META_VERSION = "io.modelcontextprotocol/protocolVersion";
export const META_CAPS = "io.modelcontextprotocol/clientCapabilities";

export const BOTH = "application/json, text/event-stream";

/** POSTs `body` (an object, or a string sent as is) with the suite's valid token unless
 *  `headers` sets `authorization` (to null, to send none) and reads the answer. */
export async function post(body, headers = {}, url = URL_MCP) {
  const all = { "content-type": "application/json", accept: BOTH, ...AUTH, ...headers };
  for (const [k, v] of Object.entries(all)) if (v === null) delete all[k];
  const res = await fetch(url, {
    method: "POST",
    redirect: "manual",
    headers: all,
    body: typeof body === "string" || body instanceof Uint8Array ? body : JSON.stringify(body),
  });
  return read(res);
}

export async function read(res) {
  const text = await res.text();
  let json;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, headers: res.headers, text, json };
}

export function rpc(method, params, id = 1) {
  return { jsonrpc: "2.0", id, method, ...(params === undefined ? {} : { params }) };
}

export function initialize(protocolVersion = "2025-11-25", id = 1) {
  return rpc("initialize", {
    protocolVersion,
    capabilities: {},
    clientInfo: { name: "raw-http-test", version: "1.0.0" },
  }, id);
}

/** A 2026-07-28 request: `_meta` in the body and the mirrored headers. */
export function modern(method, params = {}, { id = 1, headers = {} } = {}) {
  const body = rpc(method, {
    ...params,
    _meta: { [META_VERSION]: MODERN, [META_CAPS]: {}, ...(params._meta ?? {}) },
  }, id);
  const hdrs = { "mcp-protocol-version": MODERN, "mcp-method": method };
  if (params.name !== undefined) hdrs["mcp-name"] = params.name;
  return { body, headers: { ...hdrs, ...headers } };
}

export async function postModern(method, params, opts) {
  const { body, headers } = modern(method, params, opts);
  return post(body, headers);
}
