// A small MCP Apps host, as ChatGPT, Claude or VS Code are one: it lists the server's tools,
// reads the `ui://` resource a tool names, loads it into a sandboxed iframe, calls the tool
// on the server and hands the view the input and the result. The view's own `tools/call`
// requests go to the server too. The host side of the protocol is ext-apps' `AppBridge`;
// the server is reached with plain JSON-RPC over fetch. Bundled by esbuild at test time
// (tests/e2e/apps.test.mjs), never committed.
import { AppBridge, PostMessageTransport, getToolUiResourceUri } from "@modelcontextprotocol/ext-apps/app-bridge";

const UI = "io.modelcontextprotocol/ui";
const MIME = "text/html;profile=mcp-app";
const PROTOCOL = "2025-11-25";

/** What happened, for the test to read: every message the server answered, size changes. */
const log = { calls: [], viewResults: [], sizes: [], errors: [] };
let nextId = 1;
let config;

async function rpc(method, params) {
  const res = await fetch(config.url, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      accept: "application/json, text/event-stream",
      "mcp-protocol-version": PROTOCOL,
      ...(config.token ? { authorization: `Bearer ${config.token}` } : {}),
    },
    body: JSON.stringify({ jsonrpc: "2.0", id: nextId++, method, params }),
  });
  const text = await res.text();
  // The worker answers a tool call as JSON or, when it streams, as SSE: take the last event.
  const body = res.headers.get("content-type")?.startsWith("text/event-stream")
    ? JSON.parse(text.trim().split("\n").filter((l) => l.startsWith("data:")).pop().slice(5))
    : JSON.parse(text);
  if (body.error) throw new Error(`${method}: ${body.error.message}`);
  return body.result;
}

let bridge;
let frame;

let held;

/** Connects to the server, finds the tool's view, renders it and calls the tool once.
 *  With `holdResult` the view gets the input only, until `release()`. */
async function start({ url, token, tool, args, theme = "light", holdResult = false }) {
  config = { url, token };
  await rpc("initialize", {
    protocolVersion: PROTOCOL,
    capabilities: { extensions: { [UI]: { mimeTypes: [MIME] } } },
    clientInfo: { name: "dice-mcp-test-host", version: "1.0.0" },
  });
  const { tools } = await rpc("tools/list", {});
  log.tools = tools;
  const def = tools.find((t) => t.name === tool);
  if (!def) throw new Error(`the server lists no tool ${tool}`);
  const uri = getToolUiResourceUri(def);
  if (!uri) throw new Error(`${tool} names no view (_meta.ui.resourceUri)`);
  const { contents } = await rpc("resources/read", { uri });
  const view = contents.find((c) => c.uri === uri);
  if (view?.mimeType !== MIME) throw new Error(`${uri} is ${view?.mimeType}, not ${MIME}`);
  log.resource = { uri, meta: view._meta ?? null, bytes: view.text.length };

  frame = document.createElement("iframe");
  frame.id = "view";
  // As hosts do: scripts run, but the view gets an opaque origin of its own.
  frame.setAttribute("sandbox", "allow-scripts");
  frame.style.cssText = "width: 100%; border: 0; height: 0; display: block";
  document.getElementById("slot").append(frame);

  bridge = new AppBridge(
    null,
    { name: "dice-mcp-test-host", version: "1.0.0" },
    { serverTools: {} },
    { hostContext: { theme, displayMode: "inline", platform: "web", locale: "en-US" } },
  );
  bridge.onsizechange = ({ height }) => {
    log.sizes.push(height);
    if (typeof height === "number") frame.style.height = `${height}px`;
  };
  // The view's own calls go to the server; the host passes the answer back unchanged.
  bridge.oncalltool = async (params) => {
    log.calls.push({ from: "view", params });
    const result = await rpc("tools/call", params);
    log.viewResults.push(result);
    return result;
  };
  const initialized = new Promise((resolve) => (bridge.oninitialized = resolve));
  // Listening before the document loads: the view sends ui/initialize as soon as it runs.
  await bridge.connect(new PostMessageTransport(frame.contentWindow, frame.contentWindow));
  frame.srcdoc = view.text;
  await initialized;

  await bridge.sendToolInput({ arguments: args });
  const finish = async () => {
    log.calls.push({ from: "host", params: { name: tool, arguments: args } });
    const result = await rpc("tools/call", { name: tool, arguments: args });
    log.result = result;
    await bridge.sendToolResult(result);
    return result;
  };
  if (holdResult) {
    held = finish;
    return null;
  }
  return finish();
}

const release = () => held();

function setTheme(theme) {
  bridge.setHostContext({ theme, displayMode: "inline", platform: "web", locale: "en-US" });
}

window.addEventListener("error", (e) => log.errors.push(String(e.message)));
window.diceHost = { start, release, setTheme, log };
