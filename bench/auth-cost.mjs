// What one token verification costs inside the worker, seen from a client on loopback:
// the same tools/call sent with one repeated token (served from the verified-token cache)
// and with a fresh token each time (a full RS256 verification). Reports numbers; asserts
// nothing. Usage: npm run bench:auth [-- N]
import { startWorker } from "../tests/e2e/harness.mjs";
import { newKey, mint, claims } from "../tests/e2e/tokens.mjs";

const N = Number(process.argv[2] ?? 400);
const key = newKey("bench");
const worker = await startWorker({ vars: { JWT_PUBLIC_KEY: JSON.stringify({ keys: [key.jwk] }) } });
// The same worker code with auth switched off: the floor a cache hit is compared with.
const open = await startWorker({ vars: { ALLOW_UNAUTHENTICATED: "true" } });

const body = JSON.stringify({
  jsonrpc: "2.0", id: 1, method: "tools/call",
  params: { name: "roll_dice", arguments: { n_dice: 3 } },
});
async function timed(token, url = worker.url) {
  const t0 = process.hrtime.bigint();
  const res = await fetch(url, {
    method: "POST",
    headers: {
      "content-type": "application/json", accept: "application/json",
      "mcp-protocol-version": "2025-11-25", authorization: `Bearer ${token}`,
    },
    body,
  });
  await res.arrayBuffer();
  if (res.status !== 200) throw new Error(`status ${res.status}`);
  return Number(process.hrtime.bigint() - t0) / 1e6;
}

const stats = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const q = (p) => s[Math.min(s.length - 1, Math.floor(p * s.length))];
  return { median: q(0.5), p90: q(0.9), mean: s.reduce((a, b) => a + b, 0) / s.length };
};

try {
  const repeated = mint(key, claims({ exp: Math.floor(Date.now() / 1000) + 3600 }));
  const fresh = Array.from({ length: N }, (_, i) => mint(key, claims({ jti: `t${i}` })));
  for (let i = 0; i < 50; i++) {
    // warm both isolates and the JIT
    await timed(repeated);
    await timed("none", open.url);
  }
  const cached = [];
  const first = [];
  const none = [];
  for (let i = 0; i < N; i++) {
    none.push(await timed("none", open.url));
    cached.push(await timed(repeated));
    first.push(await timed(fresh[i]));
  }
  const n = stats(none);
  const c = stats(cached);
  const f = stats(first);
  const fmt = (x) => x.toFixed(3);
  console.log(`requests per mode: ${N} (interleaved), loopback, wrangler dev (workerd)`);
  console.log(`no auth (ALLOW_UNAUTHENTICATED): median ${fmt(n.median)} ms  p90 ${fmt(n.p90)} ms  mean ${fmt(n.mean)} ms`);
  console.log(`repeated token (cache hit):   median ${fmt(c.median)} ms  p90 ${fmt(c.p90)} ms  mean ${fmt(c.mean)} ms`);
  console.log(`fresh token (RS256 verify):   median ${fmt(f.median)} ms  p90 ${fmt(f.p90)} ms  mean ${fmt(f.mean)} ms`);
  console.log(`added by a cache hit:          median ${fmt(c.median - n.median)} ms, mean ${fmt(c.mean - n.mean)} ms`);
  console.log(`added by a first verification: median ${fmt(f.median - n.median)} ms, mean ${fmt(f.mean - n.mean)} ms`);
} finally {
  await worker.stop();
  await open.stop();
}
