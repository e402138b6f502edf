// Checks that a URL (local or deployed) really answers as an MCP server with your token,
// before you wire OpenAI to it: OpenAI's only feedback is a terse 424
// external_connector_error. Any server on mcp-worker: it calls roll_dice where the server
// has it, else the tool --tool names (with --args, a JSON object), else none.
//
//   npm run smoke -- https://dice-mcp.example.workers.dev/mcp/ [--token T] [--origin O]
//                    [--tool NAME [--args JSON]]
//
// The token comes from --token, else DICE_MCP_TOKEN, else TOKEN. Each check prints a line;
// a failure also prints what is most likely wrong. Exits 0 only when every check passed.
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";

const USAGE = "usage: npm run smoke -- <url> [--token TOKEN] [--origin ORIGIN] [--tool NAME [--args JSON]]";
const TIMEOUT_MS = 15_000;

function parseArgs(argv) {
  const opts = { token: process.env.DICE_MCP_TOKEN || process.env.TOKEN || "" };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = () => {
      if (i + 1 >= argv.length) throw new Error(`${a} needs a value\n${USAGE}`);
      return argv[++i];
    };
    if (a === "--token") opts.token = value();
    else if (a === "--origin") opts.origin = value();
    else if (a === "--tool") opts.tool = value();
    else if (a === "--args") {
      const text = value();
      try {
        opts.args = JSON.parse(text);
      } catch {
        throw new Error(`--args takes a JSON object, e.g. '{"a": 2}'; got ${text}\n${USAGE}`);
      }
    }
    else if (a.startsWith("--token=")) opts.token = a.slice(8);
    else if (a.startsWith("--origin=")) opts.origin = a.slice(9);
    else if (a === "-h" || a === "--help") throw new Error(USAGE);
    else if (!opts.url) opts.url = a;
    else throw new Error(`unexpected argument '${a}'\n${USAGE}`);
  }
  if (!opts.url) throw new Error(`no URL given\n${USAGE}`);
  let url;
  try {
    url = new URL(opts.url);
  } catch {
    throw new Error(`'${opts.url}' is not a URL; write it in full, e.g. http://127.0.0.1:8787/mcp/`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new Error(`'${opts.url}' is not an http(s) URL`);
  }
  opts.token = opts.token.replace(/^Bearer\s+/i, "").trim();
  return { ...opts, url };
}

const results = [];
function pass(name, detail = "") {
  results.push(true);
  console.log(`  ok    ${name}${detail ? `: ${detail}` : ""}`);
}
function fail(name, diagnosis) {
  results.push(false);
  console.log(`  FAIL  ${name}\n        ${diagnosis.replace(/\n/g, "\n        ")}`);
}
function skip(name, why) {
  console.log(`  skip  ${name}: ${why}`);
}

/** One raw HTTP exchange, never following redirects. A network failure is returned as
 *  `{ error }` with a sentence saying what it means. */
async function request(url, { method = "POST", headers = {}, body } = {}) {
  try {
    const res = await fetch(url, {
      method,
      headers,
      body,
      redirect: "manual",
      signal: AbortSignal.timeout(TIMEOUT_MS),
    });
    const text = await res.text();
    let json;
    try {
      json = JSON.parse(text);
    } catch {
      json = undefined;
    }
    return { status: res.status, headers: res.headers, text, json };
  } catch (e) {
    return { error: networkDiagnosis(url, e) };
  }
}

function networkDiagnosis(url, e) {
  const code = e.cause?.code ?? e.code ?? e.name;
  const where = new URL(url).host;
  switch (code) {
    case "ECONNREFUSED":
      return `nothing is listening at ${where}: the server is down, or the port is wrong (npm run dev serves 127.0.0.1:8787)`;
    case "ENOTFOUND":
    case "EAI_AGAIN":
      return `the host name ${new URL(url).hostname} does not resolve: check the URL (a deployed worker is https://<name>.<subdomain>.workers.dev/mcp/)`;
    case "TimeoutError":
    case "UND_ERR_CONNECT_TIMEOUT":
      return `no answer from ${where} within ${TIMEOUT_MS / 1000} s`;
    case "ECONNRESET":
      return `${where} closed the connection without answering`;
    default:
      if (/certificate|SSL|TLS/i.test(String(e.cause?.message ?? e.message))) {
        return `TLS failed with ${where}: ${e.cause?.message ?? e.message}`;
      }
      return `could not reach ${where}: ${e.cause?.message ?? e.message}`;
  }
}

const JSON_HEADERS = { "content-type": "application/json", accept: "application/json, text/event-stream" };
const INITIALIZE = JSON.stringify({
  jsonrpc: "2.0", id: 1, method: "initialize",
  params: { protocolVersion: "2025-11-25", capabilities: {}, clientInfo: { name: "dice-mcp-smoke", version: "1" } },
});

/** What an answer that is not the expected one most likely means. */
function explain(r, url) {
  if (r.error) return r.error;
  const description = r.json?.error_description ?? r.json?.error?.message;
  if (r.status >= 300 && r.status < 400) {
    const to = r.headers.get("location");
    return `the URL redirects (${r.status}) to ${to ?? "nowhere"}. MCP clients POST and many (OpenAI's connector among them) do not follow redirects: use ${to ? new URL(to, url).href : "the final URL"}`;
  }
  if (r.status === 404) {
    const ours = r.json?.error === "not_found" && /MCP endpoint/.test(description ?? "");
    return ours
      ? `wrong path: ${new URL(url).pathname} is not the MCP endpoint. ${description} Use ${new URL("/mcp/", url).href}`
      : `404 at ${new URL(url).pathname}: nothing is served there. The dice-mcp endpoint is /mcp/ (e.g. ${new URL("/mcp/", url).href})`;
  }
  if (r.status === 403 && /Origin/.test(description ?? "")) {
    return `CORS: ${description}`;
  }
  if (r.status === 405) return `${r.status}: this URL does not take POST; is it the MCP endpoint? ${description ?? ""}`.trim();
  if (r.status === 500 && r.json?.error === "server_misconfigured") return `the server is misconfigured: ${description}`;
  if (r.status >= 500) return `the server failed (${r.status}): ${description ?? r.text.slice(0, 200)}`;
  return `unexpected answer ${r.status}: ${description ?? r.text.slice(0, 200)}`;
}

/** Turns a 401/403 with an RFC 6750 challenge into advice about the token. */
function explainTokenRefusal(r) {
  const challenge = r.headers.get("www-authenticate") ?? "";
  const reason = /error_description="([^"]*)"/.exec(challenge)?.[1] ?? r.json?.error_description ?? "";
  const code = /error="([^"]*)"/.exec(challenge)?.[1] ?? r.json?.error ?? "";
  let advice = "";
  if (/audience/.test(reason)) advice = "mint the token for the server's JWT_AUDIENCE (npm run -s token -- --aud <audience>)";
  else if (/issuer/.test(reason)) advice = "the token's iss must equal the server's JWT_ISSUER";
  else if (/expired/.test(reason)) advice = "get a fresh token";
  else if (/signature|no configured key/.test(reason)) advice = "the token was not signed by the key the server has in JWT_PUBLIC_KEY (or JWT_JWKS_URL)";
  else if (code === "insufficient_scope") advice = "the token needs the scopes in the server's REQUIRED_SCOPES";
  return `${r.status} ${code || "refused"}: ${reason || "no reason given"}${advice ? `\n${advice}` : ""}`;
}

async function main() {
  let opts;
  try {
    opts = parseArgs(process.argv.slice(2));
  } catch (e) {
    console.error(e.message);
    process.exit(2);
  }
  const { url, token, origin } = opts;
  const extra = origin ? { origin } : {};
  console.log(`MCP smoke check of ${url.href}${origin ? ` as Origin ${origin}` : ""}`);

  // 1. Without a token: the endpoint must exist and refuse, pointing at its metadata.
  const anon = await request(url, { headers: { ...JSON_HEADERS, ...extra }, body: INITIALIZE });
  let metadataUrl;
  if (anon.status === 401) {
    const challenge = anon.headers.get("www-authenticate") ?? "";
    metadataUrl = /resource_metadata="([^"]+)"/.exec(challenge)?.[1];
    pass("a request without a token is refused with 401", challenge ? "" : "(no WWW-Authenticate header)");
  } else if (anon.status === 200 && anon.json?.result?.serverInfo) {
    fail("a request without a token is refused with 401",
      "the server answered without a token: anyone can call it (ALLOW_UNAUTHENTICATED=true?). Set JWT_PUBLIC_KEY to require tokens");
  } else {
    fail("the URL answers as an MCP endpoint", explain(anon, url));
    return finish();
  }

  // 2. RFC 9728 protected resource metadata, where the challenge says it is.
  if (!metadataUrl) {
    skip("protected resource metadata", "the 401 named no resource_metadata URL");
  } else {
    const meta = await request(metadataUrl, { method: "GET" });
    if (meta.status === 200 && meta.json?.resource) {
      const resource = meta.json.resource.replace(/\/$/, "");
      const here = url.href.replace(/\/$/, "");
      if (resource === here) pass("protected resource metadata", `resource ${meta.json.resource}`);
      else {
        fail("protected resource metadata",
          `it names the resource ${meta.json.resource}, not ${url.href}: behind a proxy or custom domain, set PUBLIC_URL to the public base URL`);
      }
    } else {
      fail("protected resource metadata", `${metadataUrl}: ${explain(meta, metadataUrl)}`);
    }
  }

  // 3. A browser-style preflight, when an Origin was given.
  if (origin) {
    const pre = await request(url, {
      method: "OPTIONS",
      headers: { origin, "access-control-request-method": "POST", "access-control-request-headers": "authorization, content-type, mcp-protocol-version" },
    });
    if (pre.status === 204 && pre.headers.get("access-control-allow-origin") === origin) pass("CORS preflight", `${origin} is allowed`);
    else if (pre.status === 403) fail("CORS preflight", `Origin ${origin} is not allowed: add it to ALLOWED_ORIGINS`);
    else fail("CORS preflight", explain(pre, url));
  }

  // 4. With the token: the token itself, then a real MCP client.
  if (!token) {
    fail("a token", "no token given: pass --token, or set DICE_MCP_TOKEN (npm run -s token prints a development token)");
    return finish();
  }
  const authed = await request(url, { headers: { ...JSON_HEADERS, ...extra, authorization: `Bearer ${token}` }, body: INITIALIZE });
  if (authed.status === 401 || authed.status === 403) {
    fail("the token is accepted", explainTokenRefusal(authed));
    return finish();
  }
  if (authed.status !== 200) {
    fail("the token is accepted", explain(authed, url));
    return finish();
  }
  pass("the token is accepted");

  const client = new Client({ name: "dice-mcp-smoke", version: "1.0.0" });
  const transport = new StreamableHTTPClientTransport(url, {
    requestInit: { headers: { authorization: `Bearer ${token}`, ...extra } },
  });
  try {
    await client.connect(transport);
    const server = client.getServerVersion();
    pass("MCP handshake (official TypeScript SDK)", `${server?.name} ${server?.version}, protocol ${transport.protocolVersion}`);
    const { tools } = await client.listTools();
    const names = tools.map((t) => t.name);
    pass("tools/list", names.join(", ") || "no tools");
    const tool = opts.tool ?? (names.includes("roll_dice") ? "roll_dice" : undefined);
    if (!tool) {
      skip("tools/call", "name a tool to call with --tool NAME (and --args JSON)");
    } else if (!names.includes(tool)) {
      fail(`tools/call ${tool}`, `${tool} is not among the tools: ${names.join(", ") || "none"}`);
    } else {
      const args = opts.args ?? (tool === "roll_dice" ? { n_dice: 3 } : {});
      const result = await client.callTool({ name: tool, arguments: args });
      const dice = result.structuredContent?.result;
      if (result.isError) {
        fail(`tools/call ${tool}`, `a tool error: ${JSON.stringify(result.content).slice(0, 300)}`);
      } else if (tool !== "roll_dice") {
        pass(`tools/call ${tool}`, JSON.stringify(result.structuredContent ?? result.content).slice(0, 120));
      } else if (Array.isArray(dice) && dice.length === 3 && dice.every((d) => Number.isInteger(d) && d >= 1 && d <= 6)) {
        pass("tools/call roll_dice", `rolled ${dice.join(", ")}`);
      } else {
        fail("tools/call roll_dice", `unexpected result: ${JSON.stringify(result).slice(0, 300)}`);
      }
    }
  } catch (e) {
    fail("MCP session with the official TypeScript SDK", e.message);
  } finally {
    await client.close().catch(() => {});
  }

  // 5. The 2026-07-28 form, stateless with per-request _meta.
  const meta = { "io.modelcontextprotocol/protocolVersion": "2026-07-28", "io.modelcontextprotocol/clientCapabilities": {} };
  const discover = await request(url, {
    headers: {
      ...JSON_HEADERS, ...extra, authorization: `Bearer ${token}`,
      "mcp-protocol-version": "2026-07-28", "mcp-method": "server/discover",
    },
    body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "server/discover", params: { _meta: meta } }),
  });
  if (discover.status === 200 && discover.json?.result?.supportedVersions) {
    pass("server/discover (2026-07-28)", discover.json.result.supportedVersions.join(", "));
  } else {
    fail("server/discover (2026-07-28)", explain(discover, url));
  }
  return finish();
}

function finish() {
  const failed = results.filter((ok) => !ok).length;
  console.log(failed ? `\n${failed} of ${results.length} checks failed.` : `\nAll ${results.length} checks passed.`);
  process.exit(failed ? 1 : 0);
}

await main();
