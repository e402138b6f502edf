// roll_dice as an MCP App, in a real browser: headless Chromium (Debian's, driven by
// playwright-core) opens a host page built here from ext-apps' AppBridge
// (tests/e2e/apps/host.mjs). The page lists the worker's tools, reads the view roll_dice
// names, loads it into a sandboxed iframe, calls roll_dice on the worker and hands the view
// the input and the result, as ChatGPT, Claude or VS Code do. Everything asserted about the
// view is read from the iframe's DOM; the view's own tools/call is seen in the worker's log.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import http from "node:http";
import { once } from "node:events";
import { mkdirSync } from "node:fs";
import path from "node:path";
import { build } from "esbuild";
import { chromium } from "playwright-core";
import { startWorker, startFixture, ROOT } from "./harness.mjs";
import { newKey, mint, claims } from "./tokens.mjs";
import { post, rpc, initialize, postModern, META_CAPS } from "./client.mjs";

const CHROMIUM = process.env.DICE_MCP_CHROMIUM || "/usr/bin/chromium";
/** Where the screenshots go (not committed; docs/ holds a copy of one). */
export const SHOTS = path.join(ROOT, ".cache", "screenshots");
const VIEW_URI = "ui://dice-mcp/dice-v1.html";
const MIME = "text/html;profile=mcp-app";

let pageServer, hostOrigin, worker, fixture, token, browser;

before(async () => {
  // The host page: a bundle of host.mjs and ext-apps' app-bridge, made fresh for each run.
  const bundled = await build({
    entryPoints: [path.join(ROOT, "tests/e2e/apps/host.mjs")],
    bundle: true,
    format: "iife",
    platform: "browser",
    minify: true,
    write: false,
    logLevel: "error",
  });
  const hostJs = bundled.outputFiles[0].text;
  const page = `<!doctype html><meta charset="utf-8"><title>MCP Apps test host</title>
<body style="margin:0;background:#8e8e93"><div id="slot" style="width:440px;padding:12px"></div>
<script src="/host.js"></script>`;
  pageServer = http.createServer((req, res) => {
    if (req.url === "/") res.writeHead(200, { "content-type": "text/html" }).end(page);
    else if (req.url === "/host.js") res.writeHead(200, { "content-type": "text/javascript" }).end(hostJs);
    else res.writeHead(404).end();
  });
  pageServer.listen(0, "127.0.0.1");
  await once(pageServer, "listening");
  // A name under .localhost: the browser reaches it on loopback, but it is not one of the
  // worker's default loopback origins, so only ALLOWED_ORIGINS lets its requests through.
  hostOrigin = `http://dice-host.localhost:${pageServer.address().port}`;

  const key = newKey("apps");
  worker = await startWorker({
    vars: { JWT_PUBLIC_KEY: JSON.stringify({ keys: [key.jwk] }), ALLOWED_ORIGINS: hostOrigin },
  });
  token = mint(key, claims({ jti: "apps-test" }));
  // The fixture worker serves the docs' example app (examples/apps/greeting.rs).
  fixture = await startFixture({ vars: { ALLOWED_ORIGINS: hostOrigin } });
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ["--no-sandbox"] });
  mkdirSync(SHOTS, { recursive: true });
});

after(async () => {
  await browser?.close();
  await worker?.stop();
  await fixture?.stop();
  pageServer?.close();
});

/** A host page with the view rendered for one roll_dice call. */
async function render({ args, theme = "light" }) {
  const page = await browser.newPage({ deviceScaleFactor: 2 });
  const problems = [];
  page.on("pageerror", (e) => problems.push(e.message));
  await page.goto(`${hostOrigin}/`);
  const result = await page.evaluate(
    (o) => window.diceHost.start(o),
    { url: worker.url, token, tool: "roll_dice", args, theme },
  );
  made++;
  const view = page.frameLocator("#view");
  return { page, view, result, problems };
}

/** What the view shows: each die's value, the total, and its status line. */
async function shown(view) {
  return {
    dice: await view.locator("#dice .die").evaluateAll((ds) => ds.map((d) => Number(d.dataset.value))),
    pips: await view.locator("#dice .die").evaluateAll((ds) => ds.map((d) => d.querySelectorAll("i.on").length)),
    total: await view.locator("#total").textContent(),
    status: await view.locator("#status").textContent(),
  };
}

const toolCalls = () => worker.records().filter((r) => r.method === "tools/call" && r.tool === "roll_dice");
/** roll_dice calls the host pages made so far, and a wait for the worker to have logged
 *  that many (its log line is written after the answer). */
let made = 0;
const loggedCalls = (n) => worker.waitForLog(new RegExp(`(?:"tool":"roll_dice"[\\s\\S]*?){${n}}`));

test("the product's origin default refuses the host page; only the test's ALLOWED_ORIGINS lets it in", async () => {
  const refused = await post(initialize(), { origin: hostOrigin });
  assert.equal(refused.status, 403, "the main worker runs with the product's default origins");
  const allowed = await post(initialize(), { origin: hostOrigin, authorization: `Bearer ${token}` }, worker.url);
  assert.equal(allowed.status, 200);
});

test("the view shows exactly the dice roll_dice rolled, with pips, and their total", async () => {
  const { page, view, result, problems } = await render({ args: { n_dice: 5 } });
  try {
    const rolled = result.structuredContent.result;
    assert.equal(rolled.length, 5);
    await view.locator("#dice .die[data-value]").first().waitFor();
    const seen = await shown(view);
    assert.deepEqual(seen.dice, rolled);
    assert.deepEqual(seen.pips, rolled, "a die shows as many pips as its value");
    assert.equal(seen.total, `Total: ${rolled.reduce((a, b) => a + b, 0)}`);
    assert.equal(await view.locator("html").getAttribute("data-theme"), "light");

    // The view told the host its height, and the host sized the iframe to it.
    const log = await page.evaluate(() => window.diceHost.log);
    assert.ok(log.sizes.length > 0 && log.sizes.every((h) => h > 0), JSON.stringify(log.sizes));
    const docHeight = await view.locator("html").evaluate((e) => Math.ceil(e.getBoundingClientRect().height));
    assert.equal(log.sizes.at(-1), docHeight);
    assert.equal((await page.locator("#view").boundingBox()).height, docHeight);

    assert.equal(log.resource.uri, VIEW_URI);
    await page.locator("#view").screenshot({ path: path.join(SHOTS, "dice-view-light.png") });
    assert.deepEqual(problems, []);
  } finally {
    await page.close();
  }
});

test("Roll again calls roll_dice through the host, the call reaches the worker, and the view redraws", async () => {
  const { page, view, result } = await render({ args: { n_dice: 4 } });
  try {
    await view.locator("#again:enabled").waitFor();
    await loggedCalls(made);
    assert.equal(toolCalls().length, made);
    await view.locator("#again").click();
    await page.waitForFunction(() => window.diceHost.log.viewResults?.length === 1);
    await view.locator("#again:enabled").waitFor();
    const log = await page.evaluate(() => window.diceHost.log);
    assert.deepEqual(log.calls.map((c) => c.from), ["host", "view"]);
    assert.deepEqual(log.calls[1].params, { name: "roll_dice", arguments: { n_dice: 4 } }, "the same n_dice");
    const again = log.viewResults[0].structuredContent.result;
    assert.equal(again.length, 4);
    const seen = await shown(view);
    assert.deepEqual(seen.dice, again);
    assert.equal(seen.total, `Total: ${again.reduce((a, b) => a + b, 0)}`);
    // The worker's own request log shows the view's call: one more roll_dice than the hosts made.
    made++;
    await loggedCalls(made);
    assert.equal(toolCalls().length, made);
    assert.equal(result.structuredContent.result.length, 4);
  } finally {
    await page.close();
  }
});

test("the host's dark theme is applied, and a change of theme follows", async () => {
  const { page, view } = await render({ args: { n_dice: 3 }, theme: "dark" });
  try {
    await view.locator("#dice .die[data-value]").first().waitFor();
    assert.equal(await view.locator("html").getAttribute("data-theme"), "dark");
    const colours = () => view.locator("body").evaluate((b) => getComputedStyle(b).backgroundColor);
    assert.equal(await colours(), "rgb(28, 28, 30)");
    await page.locator("#view").screenshot({ path: path.join(SHOTS, "dice-view-dark.png") });
    await page.evaluate(() => window.diceHost.setTheme("light"));
    await view.locator("html[data-theme=light]").waitFor();
    assert.equal(await colours(), "rgb(255, 255, 255)");
  } finally {
    await page.close();
  }
});

test("a tool error is shown as its text", async () => {
  const { page, view, result } = await render({ args: { n_dice: 0 } });
  try {
    assert.equal(result.isError, true);
    const message = result.content[0].text;
    assert.equal(message, "'n_dice' must be from 1 to 100; got 0.");
    await view.locator("#status.error").waitFor();
    const seen = await shown(view);
    assert.equal(seen.status, message);
    assert.deepEqual(seen.dice, []);
    assert.equal(seen.total, "");
    assert.equal(await view.locator("#again").isDisabled(), true, "nothing to roll again");
  } finally {
    await page.close();
  }
});

test("before the result arrives the view says it is rolling", async () => {
  const page = await browser.newPage();
  try {
    await page.goto(`${hostOrigin}/`);
    // The host hands over the input and holds the result back.
    await page.evaluate(
      (o) => window.diceHost.start({ ...o, holdResult: true }),
      { url: worker.url, token, tool: "roll_dice", args: { n_dice: 2 } },
    );
    const view = page.frameLocator("#view");
    await view.locator("#status", { hasText: "Rolling 2 dice…" }).waitFor();
    assert.equal(await view.locator("#dice.rolling .die").count(), 2);
    assert.equal(await view.locator("#again").isDisabled(), true);
    await page.evaluate(() => window.diceHost.release());
    made++;
    await view.locator("#dice .die[data-value]").first().waitFor();
    assert.equal(await view.locator("#dice.rolling").count(), 0);
  } finally {
    await page.close();
  }
});

test("the docs' example app: say_hello draws its card, and the view calls the app-only shout", async () => {
  const page = await browser.newPage();
  try {
    await page.goto(`${hostOrigin}/`);
    const result = await page.evaluate(
      (o) => window.diceHost.start(o),
      { url: fixture.url, token: null, tool: "say_hello", args: { name: "Ada" } },
    );
    assert.deepEqual(result.structuredContent, { greeting: "Hello, Ada!" });
    const view = page.frameLocator("#view");
    await view.locator("#card", { hasText: "Hello, Ada!" }).waitFor();
    const tools = await page.evaluate(() => window.diceHost.log.tools);
    assert.deepEqual(tools.find((t) => t.name === "shout")._meta.ui, { visibility: ["app"] });
    await view.locator("#shout:enabled").click();
    await view.locator("#card", { hasText: "HELLO, ADA!" }).waitFor();
    const log = await page.evaluate(() => window.diceHost.log);
    assert.deepEqual(log.calls.at(-1), { from: "view", params: { name: "shout", arguments: { text: "Hello, Ada!" } } });
    await fixture.waitForLog(/"tool":"shout"/);
  } finally {
    await page.close();
  }
});

// What hosts read from the wire, checked without a browser against the main worker.
const V = (v) => ({ "mcp-protocol-version": v });
const TOOL_META = {
  ui: { resourceUri: VIEW_URI },
  "openai/outputTemplate": VIEW_URI,
  "openai/widgetAccessible": true,
  "openai/toolInvocation/invoking": "Rolling the dice…",
  "openai/toolInvocation/invoked": "Rolled the dice",
};
const VIEW_META = {
  ui: { csp: { connectDomains: [], resourceDomains: [] }, prefersBorder: true },
  "openai/widgetCSP": { connect_domains: [], resource_domains: [] },
  "openai/widgetDescription": "Shows the dice roll_dice rolled, with pips, their total and a Roll again button.",
  "openai/widgetPrefersBorder": true,
};

test("every revision lists roll_dice with its view's keys, and the call's answer is the seed's", async () => {
  for (const v of ["2024-11-05", "2025-03-26", "2025-06-18", "2025-11-25"]) {
    const { json } = await post(rpc("tools/list"), V(v));
    const dice = json.result.tools.find((t) => t.name === "roll_dice");
    assert.deepEqual(dice._meta, TOOL_META, v);
    for (const text of [dice._meta["openai/toolInvocation/invoking"], dice._meta["openai/toolInvocation/invoked"]]) {
      assert.ok([...text].length <= 64);
    }
    const call = await post(rpc("tools/call", { name: "roll_dice", arguments: { n_dice: 3 } }), V(v));
    const { content, structuredContent, _meta } = call.json.result;
    assert.equal(_meta, undefined, "the result carries nothing for views");
    const rolled = JSON.parse(content[0].text).result;
    assert.equal(rolled.length, 3);
    // 2024-11-05 and 2025-03-26 have no structuredContent: a view reads the text block.
    if (v >= "2025-06-18") assert.deepEqual(structuredContent, { result: rolled }, v);
    else assert.equal(structuredContent, undefined, v);
  }
});

test("the view is listed and read as one HTML document of at most 8 KiB with its CSP", async () => {
  const init = await post(initialize("2025-11-25"));
  assert.deepEqual(init.json.result.capabilities.resources, { listChanged: false, subscribe: false });
  const listed = (await post(rpc("resources/list"), V("2025-11-25"))).json.result.resources;
  // Found by its URI: resources added to the product break nothing here.
  const view = listed.find((r) => r.uri === VIEW_URI);
  assert.ok(view, JSON.stringify(listed.map((r) => r.uri)));
  assert.equal(view.mimeType, MIME);
  assert.deepEqual(view._meta, VIEW_META);
  const read = await post(rpc("resources/read", { uri: VIEW_URI }), V("2025-11-25"));
  const [contents] = read.json.result.contents;
  assert.equal(read.json.result.contents.length, 1);
  assert.equal(contents.uri, VIEW_URI);
  assert.equal(contents.mimeType, MIME);
  assert.deepEqual(contents._meta, VIEW_META);
  assert.match(contents.text, /^<!doctype html>/i);
  assert.ok(Buffer.byteLength(contents.text) <= 8192, `${Buffer.byteLength(contents.text)} bytes`);
  assert.equal(view.size, Buffer.byteLength(contents.text));
  assert.doesNotMatch(contents.text, /\b(?:src|href)=["']?(?:https?:)?\/\//i, "nothing loaded from elsewhere");
  const templates = await post(rpc("resources/templates/list"), V("2025-11-25"));
  // Answered, not -32601 (Claude asks), whatever templates the product has.
  assert.equal(templates.json.error, undefined, templates.text);
  assert.ok(Array.isArray(templates.json.result.resourceTemplates), templates.text);
});

test("2026-07-28: a client without the UI extension gets the same tools and the same call", async () => {
  const without = await postModern("tools/list", { _meta: { [META_CAPS]: {} } });
  const withUi = await postModern("tools/list", {
    _meta: { [META_CAPS]: { extensions: { "io.modelcontextprotocol/ui": { mimeTypes: [MIME] } } } },
  });
  assert.deepEqual(without.json.result.tools, withUi.json.result.tools, "tools/list does not depend on the client");
  assert.ok(without.json.result.tools.some((t) => t.name === "roll_dice"), "roll_dice is never hidden");
  const call = await postModern("tools/call", { name: "roll_dice", arguments: { n_dice: 2 } });
  assert.equal(call.json.result.structuredContent.result.length, 2);
  const read = await postModern("resources/read", { uri: VIEW_URI }, { headers: { "mcp-name": VIEW_URI } });
  assert.equal(read.json.result.contents[0].mimeType, MIME);
  assert.equal(read.json.result.cacheScope, "public");
  assert.equal(read.json.result.ttlMs, 86400000);
});
