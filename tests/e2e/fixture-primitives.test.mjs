// The fixture worker's scoped resource and prompt, and its templates with typed, `{+var}`
// and `{#var}` variables, end to end in workerd with real tokens: a scope a primitive
// needs is challenged before it runs, and each template's variables arrive as its schema
// says. Host tests of the same fixtures: tests/conformance/src/lib.rs.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startFixture } from "./harness.mjs";
import { post, rpc, modern } from "./client.mjs";
import { newKey, mint, claims } from "./tokens.mjs";

const key = newKey("fixture-primitives");
let fixture, url;

before(async () => {
  fixture = await startFixture({ vars: { ALLOW_UNAUTHENTICATED: "", JWT_PUBLIC_KEY: JSON.stringify({ keys: [key.jwk] }) } });
  url = `${fixture.base}/mcp`;
});
after(() => fixture?.stop());

const as = (scope) => ({ authorization: `Bearer ${mint(key, claims({ sub: "reader", iss: undefined, scope }))}` });
const legacy = (method, params, scope = "") =>
  post(rpc(method, params), { ...as(scope), "mcp-protocol-version": "2025-11-25" }, url);
const current = (method, params, scope = "") => {
  const { body, headers } = modern(method, params);
  if (params.uri !== undefined) headers["mcp-name"] = params.uri;
  return post(body, { ...as(scope), ...headers }, url);
};

/** The 403 step-up challenge naming `scope`. */
function challenged(r, scope) {
  assert.equal(r.status, 403, r.text);
  const challenge = r.headers.get("www-authenticate");
  assert.match(challenge, /error="insufficient_scope"/);
  assert.ok(challenge.split("scope=\"")[1].split("\"")[0].split(" ").includes(scope), challenge);
}

test("the scoped resource is challenged without its scope and read with it", async () => {
  for (const send of [legacy, current]) {
    challenged(await send("resources/read", { uri: "test://scoped/plans" }), "plans:read");
    const r = await send("resources/read", { uri: "test://scoped/plans" }, "plans:read");
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json.result.contents[0].text, "the plans, for reader");
  }
  // The list shows it to everyone; scopes_supported names its scope.
  const list = await legacy("resources/list", {});
  assert.ok(list.json.result.resources.some((x) => x.uri === "test://scoped/plans"), list.text);
  const meta = await (await fetch(`${fixture.base}/.well-known/oauth-protected-resource/mcp`)).json();
  assert.ok(meta.scopes_supported.includes("plans:read") && meta.scopes_supported.includes("brief"), JSON.stringify(meta));
});

test("the scoped prompt and its completion are challenged without their scope", async () => {
  const get = { name: "test_scoped_prompt", arguments: { topic: "dice" } };
  const complete = { ref: { type: "ref/prompt", name: "test_scoped_prompt" }, argument: { name: "topic", value: "d" } };
  for (const send of [legacy, current]) {
    challenged(await send("prompts/get", get), "brief");
    challenged(await send("completion/complete", complete), "brief");
    const r = await send("prompts/get", get, "brief");
    assert.equal(r.json.result.messages[0].content.text, "Brief me on dice.", r.text);
    const c = await send("completion/complete", complete, "brief");
    assert.deepEqual(c.json.result.completion.values, ["dice"], c.text);
  }
});

test("a typed template reads its variables as integers and refuses what is not one", async () => {
  const r = await legacy("resources/read", { uri: "test://dice/3d6" });
  assert.equal(r.status, 200, r.text);
  assert.deepEqual(JSON.parse(r.json.result.contents[0].text), { count: 3, sides: 6, min: 3, max: 18 });
  for (const uri of ["test://dice/xd6", "test://dice/0d6", "test://dice/101d6", "test://dice/2d1"]) {
    const bad = await current("resources/read", { uri });
    assert.equal(bad.status, 400, `${uri}: ${bad.text}`);
    assert.equal(bad.json.error.code, -32602);
  }
  const listed = await legacy("resources/templates/list", {});
  const templates = listed.json.result.resourceTemplates.map((t) => t.uriTemplate);
  for (const t of ["test://dice/{count}d{sides}", "test://files/{+path}", "test://manual{#section}"]) {
    assert.ok(templates.includes(t), `${t} in ${templates}`);
  }
});

test("{+path} takes slashes and escapes, {#section} what follows the '#'", async () => {
  const path = await current("resources/read", { uri: "test://files/a/b%20c/d.txt" });
  assert.equal(path.json.result.contents[0].text, "path: a/b c/d.txt", path.text);
  const climb = await current("resources/read", { uri: "test://files/a/../../secret" });
  assert.equal(climb.json.error.code, -32602, climb.text);
  const section = await current("resources/read", { uri: "test://manual#rolling/dice" });
  assert.equal(section.json.result.contents[0].text, "section: rolling/dice", section.text);
  const none = await current("resources/read", { uri: "test://manualrolling" });
  assert.equal(none.status, 400, none.text);
  assert.match(none.json.error.message, /Resource not found/);
});
