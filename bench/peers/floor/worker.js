// BENCHMARK PEER, not part of dice-mcp: the floor. Answers every request with a fixed
// JSON-RPC result after checking nothing; what the runtime itself costs per request.
const BODY = JSON.stringify({
  jsonrpc: "2.0",
  id: 1,
  result: { content: [{ type: "text", text: '{"result":[3,1,4]}' }], structuredContent: { result: [3, 1, 4] }, isError: false },
});

export default {
  async fetch(request) {
    await request.arrayBuffer();
    return new Response(BODY, { headers: { "content-type": "application/json" } });
  },
};
