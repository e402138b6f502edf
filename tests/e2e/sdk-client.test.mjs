// The official TypeScript SDK client (StreamableHTTPClientTransport) against the worker.
import { test } from "node:test";
import assert from "node:assert/strict";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { LATEST_PROTOCOL_VERSION } from "@modelcontextprotocol/sdk/types.js";
import { URL_MCP, AUTH } from "./client.mjs";

async function connect(url = URL_MCP) {
  const client = new Client({ name: "sdk-e2e", version: "1.0.0" });
  const transport = new StreamableHTTPClientTransport(new URL(url), { requestInit: { headers: AUTH } });
  await client.connect(transport);
  return { client, transport };
}

test("connects, negotiating the SDK's latest protocol version", async () => {
  const { client, transport } = await connect();
  assert.equal(client.getServerVersion().name, "dice-mcp");
  assert.equal(transport.protocolVersion, LATEST_PROTOCOL_VERSION);
  assert.equal(transport.sessionId, undefined, "stateless: no session");
  await client.close();
});

test("lists roll_dice with its schemas", async () => {
  const { client } = await connect();
  const { tools } = await client.listTools();
  const dice = tools.find((t) => t.name === "roll_dice");
  assert.ok(dice, JSON.stringify(tools.map((t) => t.name)));
  assert.equal(dice.inputSchema.properties.n_dice.type, "integer");
  assert.equal(dice.outputSchema.properties.result.type, "array");
  await client.close();
});

test("rolls dice; the SDK validates structuredContent against outputSchema", async () => {
  const { client } = await connect();
  const result = await client.callTool({ name: "roll_dice", arguments: { n_dice: 6 } });
  assert.equal(result.isError, false);
  assert.equal(result.structuredContent.result.length, 6);
  await client.close();
});

test("a bad argument comes back as a tool error, not an exception", async () => {
  const { client } = await connect();
  const result = await client.callTool({ name: "roll_dice", arguments: { n_dice: 1000 } });
  assert.equal(result.isError, true);
  assert.match(result.content[0].text, /from 1 to 100/);
  await client.close();
});

test("works at the path without the trailing slash too", async () => {
  const { client } = await connect(URL_MCP.replace(/\/$/, ""));
  await client.ping();
  await client.close();
});
