// Signs in to an MCP server as an OAuth client would, headless, and calls a tool:
// `npm run -s oauth-client -- http://127.0.0.1:8787/mcp/` against `npm run dev -- --oauth`.
// The MCP TypeScript SDK's client runs the flow (401, metadata, registration, PKCE,
// token); the authorization server's pages are followed without a browser.
import { HeadlessClient, connect } from "./oauth-server.mjs";

const url = process.argv[2] ?? "http://127.0.0.1:8787/mcp/";
const p = new HeadlessClient();
const { client } = await connect(p, url);
const { claims } = p.token();
console.log(`signed in: client ${claims.client_id}, subject ${claims.sub}, audience ${claims.aud}, scope "${claims.scope ?? ""}"`);
const { tools } = await client.listTools();
console.log(`tools: ${tools.map((t) => t.name).join(", ")}`);
const r = await client.callTool({ name: "roll_dice", arguments: { n_dice: 3 } });
console.log(`roll_dice: ${r.content.map((c) => c.text).join(" ")}`);
await client.close();
