// A KV namespace in memory, for the bench's workerd: the service a `kvNamespace` binding
// turns its calls into (the HTTP protocol miniflare's KV emulation also serves: GET, PUT
// and DELETE of /<key>?urlencoded=true, GET / to list, POST /bulk/get), with expirations
// and metadata. Run in a workerd process of its own, so that the worker under test pays for
// its KV calls as it does on Cloudflare (a subrequest) and not for the store's own work;
// it counts the operations it serves (GET /__bench/stats, not a key: keys come encoded).
const store = new Map(); // key -> { value: ArrayBuffer, expiration?: seconds, metadata?: JSON text }
const stats = { get: 0, put: 0, delete: 0, list: 0, bulkGet: 0 };

const now = () => Date.now() / 1000;
function live(key) {
  const e = store.get(key);
  if (e && e.expiration !== undefined && e.expiration <= now()) {
    store.delete(key);
    return undefined;
  }
  return e;
}

export default {
  async fetch(request) {
    const url = new URL(request.url);
    const q = url.searchParams;
    if (url.pathname === "/__bench/stats") return Response.json({ ...stats, keys: store.size });
    if (request.method === "GET" && url.pathname === "/") {
      stats.list++;
      const prefix = q.get("prefix") ?? "";
      const limit = Number(q.get("key_count_limit") ?? 1000);
      const cursor = q.get("cursor") ?? "";
      const names = [...store.keys()].filter((k) => k.startsWith(prefix) && k > cursor && live(k)).sort();
      const page = names.slice(0, limit);
      const more = names.length > limit;
      const keys = page.map((name) => {
        const e = store.get(name);
        return { name, ...(e.expiration !== undefined && { expiration: Math.floor(e.expiration) }), ...(e.metadata !== undefined && { metadata: e.metadata }) };
      });
      return Response.json({ keys, list_complete: !more, ...(more && { cursor: page[page.length - 1] }), cacheStatus: null });
    }
    if (request.method === "POST" && url.pathname === "/bulk/get") {
      stats.bulkGet++;
      const { keys, type, withMetadata } = await request.json();
      const out = {};
      for (const k of keys) {
        const e = live(k);
        let value = e ? new TextDecoder().decode(e.value) : null;
        if (value !== null && type === "json") value = JSON.parse(value);
        out[k] = value !== null && withMetadata ? { value, metadata: e.metadata === undefined ? null : JSON.parse(e.metadata) } : value;
      }
      return Response.json(out);
    }
    const raw = url.pathname.slice(1);
    const key = q.get("urlencoded")?.toLowerCase() === "true" ? decodeURIComponent(raw) : raw;
    switch (request.method) {
      case "GET": {
        stats.get++;
        const e = live(key);
        if (!e) return new Response("Not Found", { status: 404 });
        const headers = new Headers();
        if (e.expiration !== undefined) headers.set("CF-Expiration", String(Math.floor(e.expiration)));
        if (e.metadata !== undefined) headers.set("CF-KV-Metadata", e.metadata);
        return new Response(e.value, { headers });
      }
      case "PUT": {
        stats.put++;
        const ttl = q.get("expiration_ttl");
        const at = q.get("expiration");
        const expiration = ttl !== null ? now() + Number(ttl) : at !== null ? Number(at) : undefined;
        const metadata = request.headers.get("CF-KV-Metadata") ?? undefined;
        store.set(key, { value: await request.arrayBuffer(), expiration, metadata });
        return new Response(null);
      }
      case "DELETE":
        stats.delete++;
        store.delete(key);
        return new Response(null);
      default:
        return new Response("Method Not Allowed", { status: 405 });
    }
  },
};
