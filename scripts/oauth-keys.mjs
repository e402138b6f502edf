// A new signing key for the authorization server in the worker, as the JWKS that
// OAUTH_SIGNING_KEYS holds: one private RSA key (2048 bits, RS256, `use: sig`) with a
// fresh `kid`, printed on one line.
//   npm run -s oauth-keys | npx wrangler secret put OAUTH_SIGNING_KEYS
// The server signs with the first key of the set and publishes them all. To rotate, put
// a new key first and keep the old one listed after it for at least an access token's
// lifetime (an hour) plus the time resource servers cache the key set.
import { generateKeyPairSync, randomBytes } from "node:crypto";

const { privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
const date = new Date().toISOString().slice(0, 10);
const key = { ...privateKey.export({ format: "jwk" }), kid: `${date}-${randomBytes(4).toString("hex")}`, alg: "RS256", use: "sig" };
console.log(JSON.stringify({ keys: [key] }));
