// Bearer-token attacks against the worker in workerd, one case each. Every refused token
// gets 401 (403 for a missing scope) with a WWW-Authenticate challenge, never a 500.
import { test, describe } from "node:test";
import assert from "node:assert/strict";
import { post, rpc, URL_MCP, BASE, TOKEN } from "./client.mjs";
import {
  importKeys, newKey, mint, mintHs256, fastmcpStyle, claims, now, b64url, ISSUER, SCOPE,
} from "./tokens.mjs";

const [main, pss] = importKeys(process.env.DICE_MCP_TEST_KEYS);
const stranger = newKey("main");
const weak = newKey("main", { bits: 1024 });
const call = rpc("tools/call", { name: "roll_dice", arguments: { n_dice: 2 } });
const H = { "mcp-protocol-version": "2025-11-25" };

const withAuth = (value) => post(call, { ...H, authorization: value });
const withToken = (token) => withAuth(`Bearer ${token}`);

function assertChallenge(r, error) {
  const challenge = r.headers.get("www-authenticate");
  assert.ok(challenge, "a WWW-Authenticate header");
  // URL_MCP ends in /mcp/: the metadata named is that path's.
  assert.match(challenge, /^Bearer resource_metadata="http:\/\/[^"]+\/\.well-known\/oauth-protected-resource\/mcp\/"/);
  assert.match(challenge, /scope="dice:roll"/);
  if (error) assert.match(challenge, new RegExp(`error="${error}"`));
  else assert.doesNotMatch(challenge, /error=/);
}

async function refused(token, reason) {
  const r = await withToken(token);
  assert.equal(r.status, 401, `${r.status} ${r.text}`);
  assertChallenge(r, "invalid_token");
  assert.equal(r.json.error, "invalid_token");
  if (reason) assert.match(r.json.error_description, reason);
  assert.ok(!r.text.includes(token), "the token is never echoed");
  assert.ok(!(r.headers.get("www-authenticate") ?? "").includes(token));
  return r;
}

/** Splits a token, edits a part, and joins it back. */
function edit(token, part, fn) {
  const parts = token.split(".");
  parts[part] = fn(parts[part]);
  return parts.join(".");
}
const editJson = (token, part, fn) =>
  edit(token, part, (p) => b64url(JSON.stringify(fn(JSON.parse(Buffer.from(p, "base64url"))))));

describe("accepted", () => {
  test("the suite's RS256 token", async () => {
    const r = await withToken(TOKEN);
    assert.equal(r.status, 200);
    assert.equal(r.json.result.isError, false);
  });

  test("a token made the way FastMCP's RSAKeyPair.create_token makes one", async () => {
    const r = await withToken(fastmcpStyle(main));
    assert.equal(r.status, 200);
  });

  test("a PS256 token from the key pinned to PS256", async () => {
    const r = await withToken(mint(pss));
    assert.equal(r.status, 200);
  });

  test("an audience array that includes ours", async () => {
    const r = await withToken(mint(main, claims({ aud: ["other", "dice-server"] })));
    assert.equal(r.status, 200);
  });

  test("the scheme name in any case", async () => {
    const r = await withAuth(`bEaReR ${TOKEN}`);
    assert.equal(r.status, 200);
  });
});

describe("refused", () => {
  test("no Authorization header: 401 with a challenge and no error code", async () => {
    const r = await post(call, { ...H, authorization: null });
    assert.equal(r.status, 401);
    assertChallenge(r, null);
  });

  test("a scheme other than Bearer", async () => {
    const r = await withAuth("Basic dXNlcjpwYXNz");
    assert.equal(r.status, 401);
    assertChallenge(r, null);
  });

  test("an empty token", async () => {
    const r = await withAuth("Bearer ");
    assert.equal(r.status, 401);
  });

  test("garbage", () => refused("garbage", /compact form/));

  for (const alg of ["none", "None", "NONE", "nOnE"]) {
    test(`alg "${alg}" with no signature`, () => {
      const unsigned = `${b64url(JSON.stringify({ alg, typ: "JWT" }))}.${b64url(JSON.stringify(claims()))}.`;
      return refused(unsigned);
    });
    test(`alg "${alg}" with a signature`, () =>
      refused(edit(mint(main), 0, () => b64url(JSON.stringify({ alg, typ: "JWT" }))), /algorithm/));
  }

  test("HS256 signed with the server's public key as the HMAC secret", async () => {
    await refused(mintHs256(main.publicPem), /algorithm 'HS256'/);
    await refused(mintHs256(JSON.stringify(main.jwk)), /algorithm 'HS256'/);
  });

  test("signed by a key the server does not know, under a known kid", () =>
    refused(mint(stranger), /signature/));

  test("a tampered header", () => refused(editJson(mint(main), 0, (h) => ({ ...h, typ: "at+jwt" })), /signature/));
  test("a tampered payload", () => refused(editJson(mint(main), 1, (c) => ({ ...c, sub: "admin" })), /signature/));
  test("a tampered signature", () =>
    refused(edit(mint(main), 2, (s) => (s[0] === "A" ? "B" : "A") + s.slice(1)), /signature/));
  test("a truncated signature", () => refused(edit(mint(main), 2, (s) => s.slice(0, 40)), /signature/));

  test("expired", () => refused(mint(main, claims({ exp: now() - 10 })), /expired/));
  test("exp equal to now", () => refused(mint(main, claims({ exp: now() })), /expired/));
  test("no exp", () => {
    const c = claims();
    delete c.exp;
    return refused(mint(main, c), /'exp'/);
  });
  test("exp as a string", () => refused(mint(main, claims({ exp: String(now() + 3600) })), /malformed/));
  test("nbf in the future", () => refused(mint(main, claims({ nbf: now() + 3600 })), /not valid yet/));
  test("iat in the future", () => refused(mint(main, claims({ iat: now() + 3600 })), /issued in the future/));
  test("the wrong audience", () => refused(mint(main, claims({ aud: "another-server" })), /audience/));
  test("no audience", () => {
    const c = claims();
    delete c.aud;
    return refused(mint(main, c), /audience/);
  });
  test("an audience array without ours", () => refused(mint(main, claims({ aud: ["a", "b"] })), /audience/));
  test("the wrong issuer", () => refused(mint(main, claims({ iss: "https://evil.example" })), /issuer/));

  test("a valid token without the required scope: 403 insufficient_scope", async () => {
    const r = await withToken(mint(main, claims({ scope: "other:thing" })));
    assert.equal(r.status, 403);
    assertChallenge(r, "insufficient_scope");
    assert.equal(r.json.error, "insufficient_scope");
    assert.match(r.json.error_description, /dice:roll/);
  });

  test("the scope in scp (a list) counts", async () => {
    const c = claims({ scp: [SCOPE] });
    delete c.scope;
    assert.equal((await withToken(mint(main, c))).status, 200);
  });

  test("an unknown critical header", () =>
    refused(mint(main, claims(), { alg: "RS256", kid: "main", crit: ["exp"], exp: 1 }), /crit/));
  test("a kid pointing nowhere", () => refused(mint(main, claims(), { alg: "RS256", kid: "nowhere" }), /kid/));
  test("an RS256 token under the key pinned to PS256", () =>
    refused(mint(pss, claims(), { alg: "RS256", kid: "pss" }), /only verifies PS256/));

  test("a jku header pointing at the attacker's key set", () =>
    refused(mint(stranger, claims(), { alg: "RS256", kid: "main", jku: "https://evil.example/jwks.json" }), /jku/));
  test("an x5u header", () =>
    refused(mint(stranger, claims(), { alg: "RS256", kid: "main", x5u: "https://evil.example/cert.pem" }), /x5u/));
  test("an embedded jwk header with the attacker's key", () =>
    refused(mint(stranger, claims(), { alg: "RS256", jwk: stranger.jwk }), /jwk/));

  test("signed by a 1024-bit key", () => refused(mint(weak), /signature/));

  test("a huge Authorization header", async () => {
    const r = await withToken("a".repeat(9000));
    assert.equal(r.status, 401);
    assert.match(r.json.error_description, /longer than 8192 bytes/);
  });

  test("an alg with a newline, a quote and non-ASCII is 401, and the challenge stays a valid header", async () => {
    const r = await withToken(edit(mint(main), 0, () => b64url(JSON.stringify({ alg: 'RS256\n"é' }))));
    assert.equal(r.status, 401);
    assert.match(r.headers.get("www-authenticate"), /error="invalid_token"/);
  });

  test("CBOR claims (cty)", () =>
    refused(mint(main, claims(), { alg: "RS256", kid: "main", cty: "CBOR" }), /content type/));
});

describe("around auth", () => {
  test("a CORS preflight is answered before auth", async () => {
    const r = await fetch(URL_MCP, {
      method: "OPTIONS",
      headers: { origin: "http://localhost:6274", "access-control-request-method": "POST" },
    });
    assert.equal(r.status, 204);
  });

  test("protected resource metadata (RFC 9728) for the MCP endpoint", async () => {
    const r = await fetch(`${BASE}/.well-known/oauth-protected-resource/mcp`);
    assert.equal(r.status, 200);
    const doc = await r.json();
    assert.equal(doc.resource, `${BASE}/mcp`);
    assert.deepEqual(doc.authorization_servers, [ISSUER]);
    // The required scope, and each scope once (tools may add their own).
    assert.ok(doc.scopes_supported.includes(SCOPE), JSON.stringify(doc.scopes_supported));
    assert.equal(new Set(doc.scopes_supported).size, doc.scopes_supported.length);
    assert.deepEqual(doc.bearer_methods_supported, ["header"]);
  });

  test("protected resource metadata at the host's root", async () => {
    const doc = await (await fetch(`${BASE}/.well-known/oauth-protected-resource`)).json();
    assert.equal(doc.resource, BASE);
  });

  test("the challenge's resource_metadata URL serves the metadata", async () => {
    const r = await post(call, { ...H, authorization: null });
    const url = r.headers.get("www-authenticate").match(/resource_metadata="([^"]+)"/)[1];
    assert.equal((await fetch(url)).status, 200);
  });
});
