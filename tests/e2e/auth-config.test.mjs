// Key configuration, each in a worker of its own: PEM forms, a weak key, no key at all,
// and keys fetched from an identity provider's JWKS URL.
import { test, describe, before, after } from "node:test";
import assert from "node:assert/strict";
import http from "node:http";
import { once } from "node:events";
import { constants, createPublicKey, sign } from "node:crypto";
import { startWorker } from "./harness.mjs";
import { post, rpc } from "./client.mjs";
import { newKey, mint, claims, b64url } from "./tokens.mjs";

const ping = rpc("ping");
const H = { "mcp-protocol-version": "2025-11-25" };

async function withWorker(vars, fn) {
  const worker = await startWorker({ vars });
  try {
    await fn(worker);
  } finally {
    await worker.stop();
  }
}

test("a PEM public key (SPKI, multi-line) verifies tokens", async () => {
  const key = newKey(undefined);
  await withWorker({ JWT_PUBLIC_KEY: key.publicPem }, async (w) => {
    const ok = await post(ping, { ...H, authorization: `Bearer ${mint(key, claims({ iss: "any" }), { alg: "RS256", typ: "JWT" })}` }, w.url);
    assert.equal(ok.status, 200);
    const none = await post(ping, { ...H, authorization: null }, w.url);
    assert.equal(none.status, 401);
    const forged = mint(newKey(undefined), claims(), { alg: "RS256" });
    const bad = await post(ping, { ...H, authorization: `Bearer ${forged}` }, w.url);
    assert.equal(bad.status, 401);
    const logs = await w.waitForLog(/"auth":"invalid_token".*"reason":"the token's signature does not verify".*"status":401/);
    assert.ok(!logs.includes(forged.split(".")[2]), "the log never holds a token");
  });
});

test("a PKCS#1 PEM public key (BEGIN RSA PUBLIC KEY) verifies tokens", async () => {
  const key = newKey(undefined);
  const pkcs1 = createPublicKey(key.privateKey).export({ type: "pkcs1", format: "pem" });
  await withWorker({ JWT_PUBLIC_KEY: pkcs1 }, async (w) => {
    const r = await post(ping, { ...H, authorization: `Bearer ${mint(key, claims(), { alg: "RS256" })}` }, w.url);
    assert.equal(r.status, 200);
  });
});

test("every RSA algorithm verifies under its key, and forgeries of each are refused", async () => {
  const algs = ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512"];
  const keys = algs.map((alg) => newKey(alg.toLowerCase(), { alg }));
  const stranger = newKey("stranger");
  await withWorker({ JWT_PUBLIC_KEY: JSON.stringify({ keys: keys.map((k) => k.jwk) }) }, async (w) => {
    const status = async (token) => (await post(ping, { ...H, authorization: `Bearer ${token}` }, w.url)).status;
    for (const key of keys) {
      assert.equal(await status(mint(key)), 200, `${key.alg} accepted`);
      // The same key again: the import WebCrypto keeps per isolate is reused.
      assert.equal(await status(mint(key, claims({ jti: "second" }))), 200, `${key.alg} again`);
      const header = { alg: key.alg, typ: "JWT", kid: key.kid };
      assert.equal(await status(mint(stranger, claims(), header)), 401, `${key.alg} signed by another key`);
      const [h, , sig] = mint(key).split(".");
      const altered = `${h}.${mint(key, claims({ sub: "mallory" })).split(".")[1]}.${sig}`;
      assert.equal(await status(altered), 401, `${key.alg} with an altered payload`);
    }
    // RFC 7518 section 3.5: a PSS salt must be as long as the hash.
    const pss = keys[3];
    const input = `${b64url(JSON.stringify({ alg: "PS256", typ: "JWT", kid: pss.kid }))}.${b64url(JSON.stringify(claims()))}`;
    const shortSalt = sign("sha256", Buffer.from(input), { key: pss.privateKey, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 0 });
    assert.equal(await status(`${input}.${b64url(shortSalt)}`), 401, "PS256 with an empty salt");
  });
});

test("a 1024-bit key is refused at load: 500 naming JWT_PUBLIC_KEY", async () => {
  const weak = newKey(undefined, { bits: 1024 });
  await withWorker({ JWT_PUBLIC_KEY: weak.publicPem }, async (w) => {
    const r = await post(ping, { ...H, authorization: `Bearer ${mint(weak, claims(), { alg: "RS256" })}` }, w.url);
    assert.equal(r.status, 500);
    assert.match(r.json.error_description, /JWT_PUBLIC_KEY.*1024 bits.*2048/);
  });
});

test("no key and no opt-out: fails closed with 500 naming the secret", async () => {
  await withWorker({}, async (w) => {
    const r = await post(ping, H, w.url);
    assert.equal(r.status, 500);
    assert.equal(r.json.error, "server_misconfigured");
    assert.match(r.json.error_description, /wrangler secret put JWT_PUBLIC_KEY/);
  });
});

test("ALLOW_UNAUTHENTICATED=true serves without a token", async () => {
  await withWorker({ ALLOW_UNAUTHENTICATED: "true" }, async (w) => {
    const r = await post(ping, { ...H, authorization: null }, w.url);
    assert.equal(r.status, 200);
    await w.waitForLog(/ALLOW_UNAUTHENTICATED=true: the MCP endpoint answers anyone/);
  });
});

describe("JWT_JWKS_URL", () => {
  const key = newKey("idp-1");
  let jwksServer;
  let fetches = 0;
  let worker;

  before(async () => {
    jwksServer = http.createServer((req, res) => {
      fetches += 1;
      res.writeHead(200, { "content-type": "application/json", "cache-control": "max-age=600" });
      res.end(JSON.stringify({ keys: [key.jwk] }));
    });
    jwksServer.listen(0, "127.0.0.1");
    await once(jwksServer, "listening");
    worker = await startWorker({
      vars: { JWT_JWKS_URL: `http://127.0.0.1:${jwksServer.address().port}/jwks.json` },
    });
  });

  after(async () => {
    await worker?.stop();
    jwksServer?.close();
  });

  test("keys are fetched on first use and cached", async () => {
    for (let i = 0; i < 3; i++) {
      const r = await post(ping, { ...H, authorization: `Bearer ${mint(key)}` }, worker.url);
      assert.equal(r.status, 200, r.text);
    }
    assert.equal(fetches, 1);
  });

  test("a kid not in the fetched set is refused without another fetch right away", async () => {
    const other = newKey("idp-2");
    const r = await post(ping, { ...H, authorization: `Bearer ${mint(other)}` }, worker.url);
    assert.equal(r.status, 401);
    assert.match(r.json.error_description, /kid/);
    assert.equal(fetches, 1);
  });
});

describe("JWT_JWKS_URL that misbehaves", () => {
  // Each key server holds what it received so that the test can end it; none of them ever
  // completes a key set.
  async function keyServer(handler) {
    const open = new Set();
    const server = http.createServer((req, res) => {
      open.add(res);
      handler(req, res);
    });
    server.listen(0, "127.0.0.1");
    await once(server, "listening");
    return {
      url: `http://127.0.0.1:${server.address().port}/jwks.json`,
      close: () => {
        for (const res of open) res.destroy();
        server.closeAllConnections();
        server.close();
      },
    };
  }

  test("a key server that never answers does not hold the request: 503 after the fetch times out", async () => {
    let asked;
    const askedOnce = new Promise((resolve) => (asked = resolve));
    const server = await keyServer(() => asked()); // never writes a byte
    try {
      await withWorker({ JWT_JWKS_URL: server.url }, async (w) => {
        const r = await post(ping, { ...H, authorization: `Bearer ${mint(newKey("k"))}` }, w.url);
        await askedOnce;
        assert.equal(r.status, 503, r.text);
        assert.equal(r.json.error, "temporarily_unavailable");
        assert.equal(r.headers.get("retry-after"), "10");
        await w.waitForLog(/fetching JWT_JWKS_URL failed: no complete answer within 5000 ms/);
      });
    } finally {
      server.close();
    }
  });

  test("a key server that sends an endless body: reading stops past 64 KiB and the fetch is dropped", async () => {
    let sent = 0;
    let hungUp;
    const workerHungUp = new Promise((resolve) => (hungUp = resolve));
    const server = await keyServer((req, res) => {
      res.writeHead(200, { "content-type": "application/json" }); // no Content-Length
      const chunk = Buffer.alloc(16 * 1024, " ");
      res.write('{"keys": [');
      const pump = () => {
        while (!res.destroyed && res.write(chunk)) sent += chunk.length;
      };
      res.on("drain", pump);
      res.on("close", hungUp);
      pump();
    });
    try {
      await withWorker({ JWT_JWKS_URL: server.url }, async (w) => {
        const r = await post(ping, { ...H, authorization: `Bearer ${mint(newKey("k"))}` }, w.url);
        assert.equal(r.status, 503, r.text);
        await w.waitForLog(/fetching JWT_JWKS_URL failed: the key set is larger than 65536 bytes/);
        await workerHungUp;
        assert.ok(sent > 64 * 1024, `the server got to send ${sent} bytes`);
      });
    } finally {
      server.close();
    }
  });
});
