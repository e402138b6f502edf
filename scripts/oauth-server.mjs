// A real OAuth 2.1 authorization server on loopback, for the sign-in tests
// (tests/e2e/oauth.test.mjs) and, as the OpenID provider people sign in with, for the
// authorization server in the worker (tests/e2e/authorization-server.test.mjs, `npm run
// dev -- --oauth`): oidc-provider (a certified OpenID provider) with open dynamic
// client registration, Client ID Metadata Documents, PKCE S256, resource indicators
// (RFC 8707) issuing RS256 JWT access tokens (RFC 9068) whose `aud` is the resource, and
// refresh tokens. Login and consent are answered by this file's code through the
// provider's interaction API: every sign-in is `accountId`, granting what was asked.
import http from "node:http";
import https from "node:https";
import { once } from "node:events";
import { generateKeyPairSync, randomBytes } from "node:crypto";
import { pathToFileURL } from "node:url";
import Provider, { errors } from "oidc-provider";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { UnauthorizedError } from "@modelcontextprotocol/sdk/client/auth.js";

/**
 * @param {{ resources: () => string[], scopes: string[], accountId?: string, port?: number,
 *           trustedCa?: string | Buffer }} options
 *   `resources`: the resource indicators tokens may be issued for (asked on every request,
 *   so they can be set once the resource server is up); `scopes`: what those resources
 *   accept; `trustedCa`: a CA certificate for fetching https client metadata documents
 *   served on loopback by a test.
 */
export async function startAuthServer({ resources = () => [], scopes = [], accountId = "oauth-user", port = 0, trustedCa, clients = [] } = {}) {
  const server = http.createServer();
  server.listen(port, "127.0.0.1");
  await once(server, "listening");
  const issuer = `http://127.0.0.1:${server.address().port}`;

  const { privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
  const signing = { ...privateKey.export({ format: "jwk" }), kid: `as-${randomBytes(4).toString("hex")}`, alg: "RS256", use: "sig" };

  /** What the server saw, for tests to assert on. */
  const seen = { grants: [], registrations: 0, metadataFetches: [] };

  // Who the next sign-in is: a test may change it (`setAccount`).
  let account = accountId;
  const provider = new Provider(issuer, {
    jwks: { keys: [signing] },
    // Static clients: an MCP server's authorization server signing people in here (its
    // redirect URI on loopback, any port, as RFC 8252 allows native clients).
    clients,
    claims: { openid: ["sub"], email: ["email", "email_verified"], profile: ["name"] },
    // The ID token carries the scopes' claims (e-mail for the allow list), as Google's does.
    conformIdTokenClaims: false,
    clientDefaults: {
      token_endpoint_auth_method: "none",
      grant_types: ["authorization_code", "refresh_token"],
      response_types: ["code"],
    },
    // The resources' scopes too: clients register with them (RFC 7591 `scope`).
    scopes: ["openid", "offline_access", ...scopes],
    pkce: { required: () => true },
    features: {
      devInteractions: { enabled: false },
      registration: { enabled: true },
      clientIdMetadataDocument: { enabled: true, ack: "draft-02" },
      resourceIndicators: {
        enabled: true,
        defaultResource: () => undefined,
        useGrantedResource: () => true,
        getResourceServerInfo(ctx, resource) {
          if (!resources().includes(resource)) throw new errors.InvalidTarget(`unknown resource ${resource}`);
          return {
            scope: scopes.join(" "),
            audience: resource,
            accessTokenTTL: 3600,
            accessTokenFormat: "jwt",
            jwt: { sign: { alg: "RS256" } },
          };
        },
      },
    },
    // Every client that may refresh gets a refresh token, offline_access or not: hosts
    // ask for it, and the SDK client does not.
    issueRefreshToken: async (ctx, client) => client.grantTypeAllowed("refresh_token"),
    findAccount: async (ctx, id) => ({
      accountId: id,
      claims: async () => ({ sub: id, email: `${id}@example.com`, email_verified: true, name: `User ${id}` }),
    }),
    interactions: { url: (ctx, interaction) => `/interaction/${interaction.uid}` },
    cookies: { keys: [randomBytes(16).toString("hex")] },
    // Browser-based clients on loopback (the MCP Inspector) call the token and
    // registration endpoints from their own origin.
    clientBasedCORS: () => true,
    // Client metadata documents are fetched here. Loopback addresses are refused by the
    // provider's own fetch (SSRF protection), and the document must be https: a test
    // serves it over TLS on loopback with its own CA, trusted here and nowhere else.
    fetch: (url, options) => fetchTrusting(url, options, trustedCa, seen),
  });
  provider.on("grant.success", (ctx) => seen.grants.push(ctx.oidc.params.grant_type));
  provider.on("registration_create.success", () => seen.registrations++);

  // A client may ask for no scope at all (the MCP Inspector does, whatever the 401
  // says); the provider would then grant nothing and deny. Such a request gets the
  // default scopes: `openid` and every scope of the resources, as many servers do.
  const defaultScope = ["openid", ...scopes].join(" ");
  provider.use(async (ctx, next) => {
    if (ctx.method === "GET" && ctx.path === "/auth" && !ctx.query.scope) ctx.query = { ...ctx.query, scope: defaultScope };
    // An empty `scope` in a registration (the MCP Inspector sends one) means no scope,
    // not an invalid one, as the provider would have it.
    if (ctx.method === "POST" && ctx.path === "/reg" && ctx.is("application/json")) {
      const chunks = [];
      for await (const c of ctx.req) chunks.push(c);
      const metadata = JSON.parse(Buffer.concat(chunks).toString() || "{}");
      if (metadata.scope === "") delete metadata.scope;
      ctx.request.body = Buffer.from(JSON.stringify(metadata));
    }
    // Registration has no CORS of its own: a browser-based client on loopback (the MCP
    // Inspector) registers from its page.
    const origin = ctx.get("origin");
    if (ctx.path === "/reg" && /^https?:\/\/(localhost|127\.0\.0\.1|\[::1\])(:\d+)?$/.test(origin)) {
      ctx.set("access-control-allow-origin", origin);
      ctx.set("vary", "Origin");
      if (ctx.method === "OPTIONS") {
        ctx.set("access-control-allow-methods", "POST");
        ctx.set("access-control-allow-headers", ctx.get("access-control-request-headers") || "content-type");
        ctx.status = 204;
        return;
      }
    }
    await next();
  });
  provider.on("server_error", (ctx, e) => console.error("oidc-provider:", e));
  const callback = provider.callback();
  server.on("request", async (req, res) => {
    const m = req.url.match(/^\/interaction\/([^/?]+)/);
    if (!m) return callback(req, res);
    try {
      await answerInteraction(provider, req, res, account);
    } catch (e) {
      res.writeHead(500, { "content-type": "text/plain" });
      res.end(`interaction failed: ${e.message}`);
    }
  });

  return {
    issuer,
    jwksUrl: `${issuer}/jwks`,
    provider,
    seen,
    setAccount: (id) => {
      account = id;
    },
    stop: async () => {
      server.closeAllConnections();
      server.close();
      await once(server, "close");
    },
  };
}

/** Logs `accountId` in, then grants every scope and resource the client asked for. */
async function answerInteraction(provider, req, res, accountId) {
  const details = await provider.interactionDetails(req, res);
  const { prompt, params, session } = details;
  if (prompt.name === "login") {
    return provider.interactionFinished(req, res, { login: { accountId } }, { mergeWithLastSubmission: false });
  }
  if (prompt.name !== "consent") throw new Error(`unexpected prompt ${prompt.name}`);
  const grant = details.grantId
    ? await provider.Grant.find(details.grantId)
    : new provider.Grant({ accountId: session.accountId, clientId: params.client_id });
  const missing = prompt.details;
  if (missing.missingOIDCScope) grant.addOIDCScope(missing.missingOIDCScope.join(" "));
  if (missing.missingOIDCClaims) grant.addOIDCClaims(missing.missingOIDCClaims);
  for (const [resource, scopes] of Object.entries(missing.missingResourceScopes ?? {})) {
    grant.addResourceScope(resource, scopes.join(" "));
  }
  const grantId = await grant.save();
  return provider.interactionFinished(req, res, { consent: { grantId } }, { mergeWithLastSubmission: true });
}

/** `fetch` for the provider's outgoing requests, trusting `ca` for https. */
async function fetchTrusting(url, options, ca, seen) {
  seen.metadataFetches.push(String(url));
  const target = new URL(url);
  if (target.protocol !== "https:") return fetch(url, { ...options, dispatcher: undefined });
  return new Promise((resolve, reject) => {
    const req = https.get(target, { ca, headers: Object.fromEntries(options.headers ?? []), signal: options.signal }, (res) => {
      const chunks = [];
      res.on("data", (c) => chunks.push(c));
      res.on("end", () => {
        const headers = new Headers();
        for (const [k, v] of Object.entries(res.headers)) headers.set(k, Array.isArray(v) ? v.join(", ") : v);
        resolve(new Response(Buffer.concat(chunks), { status: res.statusCode, headers }));
      });
    });
    req.on("error", reject);
  });
}

/**
 * A browser without a person: follows the authorization URL through the servers'
 * redirects (keeping its cookies) until it reaches `redirectUri`, and returns that URL's
 * query (`code` and `state`, or `error`). On a consent page (an MCP server's own
 * authorization server) it answers the form with `decision` ("approve" or "deny").
 */
export async function signInHeadless(authorizationUrl, redirectUri, { decision = "approve" } = {}) {
  const jar = new Map();
  const keep = (r) => {
    for (const c of r.headers.getSetCookie()) {
      const [pair] = c.split(";");
      const i = pair.indexOf("=");
      const [name, value] = [pair.slice(0, i), pair.slice(i + 1)];
      if (/max-age=0/i.test(c)) jar.delete(name);
      else jar.set(name, value);
    }
  };
  const cookie = () => [...jar].map(([k, v]) => `${k}=${v}`).join("; ");
  let url = String(authorizationUrl);
  for (let hop = 0; hop < 20; hop++) {
    if (url.startsWith(redirectUri)) return new URL(url).searchParams;
    let r = await fetch(url, { redirect: "manual", headers: jar.size ? { cookie: cookie() } : {} });
    keep(r);
    if (!r.headers.get("location")) {
      const text = await r.text();
      const form = r.status === 200 && /<form method="post" action="([^"]+)"/.exec(text);
      if (!form) throw new Error(`sign-in stopped at ${url}: ${r.status} ${text}`);
      const field = (name) => new RegExp(`name="${name}" value="([^"]*)"`).exec(text)[1];
      const action = new URL(form[1], url);
      r = await fetch(action, {
        method: "POST",
        redirect: "manual",
        headers: { cookie: cookie(), origin: action.origin, "content-type": "application/x-www-form-urlencoded" },
        body: new URLSearchParams({ session: field("session"), csrf: field("csrf"), decision }),
      });
      keep(r);
      if (!r.headers.get("location")) throw new Error(`consent refused at ${action}: ${r.status} ${await r.text()}`);
    }
    url = new URL(r.headers.get("location"), url).href;
  }
  throw new Error("sign-in did not reach the redirect URI in 20 hops");
}

/** Where the headless client is sent back to: never opened, the browser stops there. */
export const REDIRECT = "http://127.0.0.1:1/callback";

export function clientMetadata({ refresh = true } = {}) {
  return {
    client_name: "dice-mcp sign-in test",
    redirect_uris: [REDIRECT],
    grant_types: refresh ? ["authorization_code", "refresh_token"] : ["authorization_code"],
    response_types: ["code"],
    token_endpoint_auth_method: "none",
  };
}

/** The SDK's OAuthClientProvider, with a headless browser in redirectToAuthorization. */
export class HeadlessClient {
  /** `refresh: false` registers a client without refresh tokens. */
  constructor({ metadataUrl, resource, refresh = true, decision = "approve" } = {}) {
    this.clientMetadataUrl = metadataUrl;
    this.decision = decision;
    this.refresh = refresh;
    this.authorizations = [];
    if (resource) this.validateResourceURL = async () => new URL(resource);
  }
  get redirectUrl() { return REDIRECT; }
  get clientMetadata() { return clientMetadata({ refresh: this.refresh }); }
  clientInformation() { return this.client; }
  saveClientInformation(info) { this.client = info; }
  tokens() { return this.saved; }
  saveTokens(tokens) { this.saved = tokens; }
  saveCodeVerifier(v) { this.verifier = v; }
  codeVerifier() { return this.verifier; }
  invalidateCredentials(what) {
    if (what === "all" || what === "tokens") this.saved = undefined;
    if (what === "all" || what === "client") this.client = undefined;
  }
  async redirectToAuthorization(url) {
    this.authorizations.push(url);
    const answer = await signInHeadless(url, REDIRECT, { decision: this.decision });
    if (answer.get("error")) throw new Error(`the AS refused: ${answer.get("error")} ${answer.get("error_description")}`);
    this.code = answer.get("code");
  }
  /** The current access token's claims and header. */
  token() {
    const [h, p] = this.saved.access_token.split(".");
    const json = (s) => JSON.parse(Buffer.from(s, "base64url").toString());
    return { header: json(h), claims: json(p) };
  }
}

/** Connects, signing in first if the server asks for it (the SDK's documented flow:
 *  `finishAuth` on the transport that was refused, which remembers the 401's
 *  `resource_metadata`, then a new connection). */
export async function connect(provider, url) {
  const open = () => ({
    transport: new StreamableHTTPClientTransport(new URL(url), { authProvider: provider }),
    client: new Client({ name: "dice-mcp-oauth-client", version: "1.0.0" }),
  });
  const first = open();
  try {
    await first.client.connect(first.transport);
    return first;
  } catch (e) {
    if (!(e instanceof UnauthorizedError)) throw e;
  }
  await first.transport.finishAuth(provider.code);
  const again = open();
  await again.client.connect(again.transport);
  return again;
}

// `node scripts/oauth-server.mjs [--port 8788] [--account dev-user] ...`: serves until
// stopped, for `npm run dev -- --oauth`. Prints one line, `ready <issuer>`, once it
// accepts requests. As the OpenID provider of an authorization server (the worker's own):
//   --client-id ID --redirect-uri http://127.0.0.1:8787/oauth/callback
// with the client's secret in OAUTH_UPSTREAM_CLIENT_SECRET (the environment, which other
// users cannot read, unlike the command line) registers that server as a static client
// (client_secret_basic; a loopback redirect URI matches on any port, RFC 8252). As the authorization server of MCP clients itself:
//   --resource http://127.0.0.1:8787 [--scopes "a b"]
// issues access tokens for that server's MCP endpoint. Both may be given.
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const arg = (name, fallback) => {
    const i = process.argv.indexOf(`--${name}`);
    return i > 0 ? process.argv[i + 1] : fallback;
  };
  const base = arg("resource");
  const clientId = arg("client-id");
  const usage = () => {
    console.error("usage: oauth-server.mjs [--port 8788] [--account dev-user]\n" +
      "  [--resource http://127.0.0.1:8787 [--scopes \"a b\"]]\n" +
      "  [--client-id ID --redirect-uri http://127.0.0.1:8787/oauth/callback]\n" +
      "  (with --client-id, the client's secret in the environment: OAUTH_UPSTREAM_CLIENT_SECRET)");
    process.exit(2);
  };
  if (!base && !clientId) usage();
  if (process.argv.includes("--client-secret")) {
    console.error("oauth-server.mjs: --client-secret is gone: a command line is visible to every user of the machine (ps). " +
      "Set OAUTH_UPSTREAM_CLIENT_SECRET in the environment instead.");
    process.exit(2);
  }
  const clients = [];
  if (clientId) {
    const secret = process.env.OAUTH_UPSTREAM_CLIENT_SECRET;
    const redirect = arg("redirect-uri");
    if (!secret || !redirect) usage();
    clients.push({
      client_id: clientId,
      client_secret: secret,
      redirect_uris: [redirect],
      application_type: "native",
      grant_types: ["authorization_code"],
      response_types: ["code"],
      token_endpoint_auth_method: "client_secret_basic",
    });
  }
  const as = await startAuthServer({
    resources: () => (base ? [`${base}/mcp/`, `${base}/mcp`] : []),
    scopes: base ? (arg("scopes", "dice:roll") ?? "").split(/\s+/).filter(Boolean) : [],
    accountId: arg("account", "dev-user"),
    port: Number(arg("port", "0")),
    clients,
  });
  as.provider.on("grant.success", (ctx) =>
    console.error(`oauth-server: ${ctx.oidc.params.grant_type} grant for client ${ctx.oidc.client?.clientId}`));
  console.log(`ready ${as.issuer}`);
  for (const signal of ["SIGINT", "SIGTERM"]) process.on(signal, () => as.stop().then(() => process.exit(0)));
}
