// BENCHMARK PEER, not part of dice-mcp. The same dice server as ../ts-agents (the agents
// SDK's stateless createMcpHandler around an MCP SDK v2 McpServer), behind Cloudflare's
// @cloudflare/workers-oauth-provider as its own OAuth 2.1 authorization server, the
// library's one-Worker shape (`OAuthProvider`): DCR at /register, the token endpoint at
// /token (refresh tokens on, rotating), and /authorize, which is the application's. Here
// it approves a fixed user at once (parseAuthRequest, completeAuthorization): no sign-in
// and no consent page, so that the bench gets codes without a browser. Tokens are opaque;
// every request to /mcp looks its token up in KV (OAUTH_KV).
import OAuthProvider, { type OAuthHelpers } from "@cloudflare/workers-oauth-provider";
import { McpServer, completable } from "@modelcontextprotocol/server";
import { createMcpHandler } from "agents/mcp/server";
import { z } from "zod";

interface Env {
  OAUTH_KV: KVNamespace;
  OAUTH_PROVIDER: OAuthHelpers;
  /** The origin the worker is reached at (the resource and issuer; the bench's port). */
  PUBLIC_URL: string;
}

/** Who /authorize signs in: the bench has one user. */
const USER = "alice";

// createServer is ../ts-agents/src/index.ts's, unchanged: the same tool, resource and prompt.
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

/** /authorize and everything else outside /mcp and the provider's own endpoints. */
const defaultHandler = {
  async fetch(request: Request, env: Env): Promise<Response> {
    if (new URL(request.url).pathname !== "/authorize") return new Response("Not found", { status: 404 });
    const oauthRequest = await env.OAUTH_PROVIDER.parseAuthRequest(request);
    const { redirectTo } = await env.OAUTH_PROVIDER.completeAuthorization({
      request: oauthRequest,
      userId: USER,
      metadata: {},
      scope: oauthRequest.scope,
      props: { userId: USER },
      // The bench holds many grants of one user and one client at once, each a chain of
      // refreshes (dice-mcp's authorization server keeps every grant too).
      revokeExistingGrants: false,
    });
    return Response.redirect(redirectTo, 302);
  },
};

// The resource (the token audience) is this worker's own URL, which the bench learns only
// once workerd listens: the provider is made once per isolate, from PUBLIC_URL, as a
// deployment would make it at the top level from a fixed https URL.
let provider: OAuthProvider<Env> | undefined;

export default {
  fetch(request: Request, env: Env, ctx: ExecutionContext): Promise<Response> {
    provider ??= new OAuthProvider<Env>({
      apiRoute: "/mcp",
      apiHandler: { fetch: (req, e, c) => mcp(req, e, c) },
      defaultHandler,
      authorizeEndpoint: "/authorize",
      tokenEndpoint: "/token",
      clientRegistrationEndpoint: "/register",
      resourceMetadata: { resource: `${env.PUBLIC_URL}/mcp` },
    });
    return provider.fetch(request, env, ctx);
  },
};
