// BENCHMARK PEER, not part of dice-mcp. The same dice server written the way Cloudflare's
// TypeScript path suggests: the agents SDK's stateless createMcpHandler around an MCP SDK
// v2 McpServer, with the bearer JWT verified by jose (WebCrypto) against the same public key.
import { McpServer, completable } from "@modelcontextprotocol/server";
import { createMcpHandler } from "agents/mcp/server";
import { importSPKI, jwtVerify } from "jose";
import { z } from "zod";

interface Env {
  JWT_PUBLIC_KEY: string;
  JWT_AUDIENCE?: string;
  /** "1" only to measure what verification costs, by its absence. */
  SKIP_AUTH?: string;
}

function createServer() {
  const server = new McpServer({ name: "dice-ts-agents", version: "1.0.0" });
  server.registerTool(
    "roll_dice",
    {
      title: "Roll dice",
      description: "Roll `n_dice` 6-sided dice and return the results.",
      inputSchema: z.object({ n_dice: z.number().int().min(1).max(100) }),
      outputSchema: z.object({ result: z.array(z.number().int().min(1).max(6)) }),
    },
    async ({ n_dice }) => {
      const result: number[] = [];
      while (result.length < n_dice) {
        for (const b of crypto.getRandomValues(new Uint8Array(n_dice - result.length + 4))) {
          if (b < 252 && result.length < n_dice) result.push((b % 6) + 1);
        }
      }
      const output = { result };
      return { content: [{ type: "text", text: JSON.stringify(output) }], structuredContent: output };
    },
  );
  // The bench's rows for the other primitives: the same small text resource, the same
  // prompt with its completion, as dice-mcp's conformance fixture worker serves them
  // (tests/conformance/src/primitives.rs StaticText, examples/prompts/roll_for.rs).
  server.registerResource(
    "static-text",
    "test://static-text",
    { title: "Static text", description: "A static text resource for testing", mimeType: "text/plain", cacheHint: { ttlMs: 60_000, cacheScope: "public" } },
    async (uri) => ({ contents: [{ uri: uri.href, mimeType: "text/plain", text: "This is the content of the static text resource." }] }),
  );
  server.registerPrompt(
    "roll_for",
    {
      title: "Roll for it",
      description: "Let the dice decide whether an action succeeds.",
      argsSchema: z.object({
        action: z.string().describe("What the character tries to do"),
        // Optional outside completable: the SDK looks for a completer inside `.optional()`.
        dice: completable(z.string().describe("How many dice to roll (default 2)"), (value) =>
          ["1", "2", "3", "4", "5", "6"].filter((d) => d.startsWith(value)),
        ).optional(),
      }),
    },
    ({ action, dice }) => {
      const n = dice ? Number(dice) : 2;
      if (!Number.isInteger(n) || n < 1 || n > 100) throw new Error("'dice' must be a whole number from 1 to 100");
      return {
        description: `Roll ${n} dice for: ${action}`,
        messages: [{
          role: "user" as const,
          content: { type: "text" as const, text: `I try to ${action}. Call roll_dice with n_dice=${n}; if the total is at least ${n * 4}, say I succeed, otherwise that I fail, and tell the story.` },
        }],
      };
    },
  );
  return server;
}

const mcp = createMcpHandler(createServer, { route: "/mcp" });
let key: Promise<CryptoKey> | undefined;

function unauthorized(description: string): Response {
  return Response.json(
    { error: "invalid_token", error_description: description },
    { status: 401, headers: { "www-authenticate": `Bearer error="invalid_token"` } },
  );
}

export default {
  async fetch(request: Request, env: Env, ctx: ExecutionContext): Promise<Response> {
    if (request.method === "POST" && env.SKIP_AUTH !== "1") {
      const header = request.headers.get("authorization") ?? "";
      const token = /^Bearer\s+(.+)$/i.exec(header)?.[1];
      if (!token) return unauthorized("send 'Authorization: Bearer <token>'");
      key ??= importSPKI(env.JWT_PUBLIC_KEY, "RS256");
      try {
        await jwtVerify(token, await key, {
          algorithms: ["RS256"],
          audience: env.JWT_AUDIENCE ?? "dice-server",
          requiredClaims: ["exp"],
        });
      } catch (e) {
        return unauthorized(e instanceof Error ? e.message : "invalid token");
      }
    }
    return mcp(request, env, ctx);
  },
};
