// The MCP Inspector CLI (`mcp-inspector --cli`), as a user would run it against the worker.
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { URL_MCP, TOKEN } from "./client.mjs";

const run = promisify(execFile);

async function inspector(...args) {
  // --transport http: the Inspector cannot infer it from a URL ending in "/mcp/".
  const { stdout } = await run("mcp-inspector", [
    "--cli", URL_MCP, "--transport", "http", "--header", `Authorization: Bearer ${TOKEN}`, ...args,
  ]);
  return JSON.parse(stdout);
}

test("tools/list shows roll_dice", async () => {
  const out = await inspector("--method", "tools/list");
  const dice = out.tools.find((t) => t.name === "roll_dice");
  assert.ok(dice, JSON.stringify(out.tools.map((t) => t.name)));
  assert.equal(dice.inputSchema.properties.n_dice.type, "integer");
});

test("tools/call returns dice", async () => {
  const out = await inspector("--method", "tools/call", "--tool-name", "roll_dice", "--tool-arg", "n_dice=4");
  assert.equal(out.isError, false);
  assert.equal(out.structuredContent.result.length, 4);
  assert.ok(out.structuredContent.result.every((d) => d >= 1 && d <= 6));
});
