// Test keys and tokens, made with Node's own crypto: an implementation independent of the
// server's. Private keys exist only in memory and in the environment of the test processes.
import { generateKeyPairSync, createPrivateKey, createPublicKey, sign, createHmac, constants } from "node:crypto";

export const AUDIENCE = "dice-server";
export const ISSUER = "https://fastmcp.example.com"; // FastMCP's RSAKeyPair.create_token default
export const SCOPE = "dice:roll";

export const b64url = (data) =>
  Buffer.from(typeof data === "string" ? data : data).toString("base64url");

export function newKey(kid, { bits = 2048, alg = "RS256" } = {}) {
  const { privateKey } = generateKeyPairSync("rsa", { modulusLength: bits });
  return describeKey(privateKey, kid, alg);
}

function describeKey(privateKey, kid, alg) {
  const publicKey = createPublicKey(privateKey);
  const jwk = { ...publicKey.export({ format: "jwk" }), kid, alg, use: "sig" };
  return {
    kid,
    alg,
    privateKey,
    publicKey,
    jwk,
    publicPem: publicKey.export({ type: "spki", format: "pem" }),
    privatePem: privateKey.export({ type: "pkcs8", format: "pem" }),
  };
}

/** Keys passed from the runner to test files through the environment. */
export function exportKeys(keys) {
  return JSON.stringify(keys.map((k) => ({ kid: k.kid, alg: k.alg, pem: k.privatePem })));
}

export function importKeys(json) {
  return JSON.parse(json).map((k) => describeKey(createPrivateKey(k.pem), k.kid, k.alg));
}

export const now = () => Math.floor(Date.now() / 1000);

export function claims(overrides = {}) {
  const t = now();
  return { sub: "e2e-user", iss: ISSUER, iat: t, exp: t + 3600, aud: AUDIENCE, scope: SCOPE, ...overrides };
}

/** Signs `payload` (an object, or raw text) with `key` under `header`. */
export function mint(key, payload = claims(), header = { alg: key.alg, typ: "JWT", kid: key.kid }) {
  const h = b64url(JSON.stringify(header));
  const p = b64url(typeof payload === "string" ? payload : JSON.stringify(payload));
  const input = `${h}.${p}`;
  const alg = header.alg;
  let signature;
  if (alg.startsWith("RS")) {
    signature = sign(`sha${alg.slice(2)}`, Buffer.from(input), key.privateKey);
  } else if (alg.startsWith("PS")) {
    signature = sign(`sha${alg.slice(2)}`, Buffer.from(input), {
      key: key.privateKey,
      padding: constants.RSA_PKCS1_PSS_PADDING,
      saltLength: Number(alg.slice(2)) / 8,
    });
  } else {
    throw new Error(`mint: no signer for ${alg}`);
  }
  return `${input}.${b64url(signature)}`;
}

/** HS256 with the given secret: the classic algorithm-confusion forgery. */
export function mintHs256(secret, payload = claims(), header = { alg: "HS256", typ: "JWT" }) {
  const input = `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(payload))}`;
  return `${input}.${b64url(createHmac("sha256", secret).update(input).digest())}`;
}

/** A token the way FastMCP's RSAKeyPair.create_token(audience=..., scopes=[...]) makes it:
 *  header {"alg": "RS256", "typ": "JWT"} (authlib adds typ), claims sub, iss, iat, exp, aud,
 *  scope, in that order, no kid. */
export function fastmcpStyle(key, { audience = AUDIENCE, scopes = [SCOPE] } = {}) {
  const t = now();
  const payload = { sub: "fastmcp-user", iss: ISSUER, iat: t, exp: t + 3600, aud: audience };
  if (scopes.length) payload.scope = scopes.join(" ");
  return mint(key, payload, { alg: "RS256", typ: "JWT" });
}
