// BENCHMARK PEER, not part of dice-mcp: the task floor. A task's life in the fewest
// Durable Object steps, checking nothing: tools/call stores a record in a new object and
// sets its alarm; the alarm marks it completed, and a second alarm 2 s later deletes it;
// tasks/get reads it. The method and task id come from the Mcp-Method and Mcp-Name
// headers (2026-07-28), so no JSON is parsed. What the runtime costs per task round trip.
const TTL_MS = 2000;
const DONE = { status: "completed", result: { content: [{ type: "text", text: "done" }] } };
const answer = (result) => new Response(JSON.stringify({ jsonrpc: "2.0", id: 1, result }), { headers: { "content-type": "application/json" } });

export class FloorTask {
  constructor(state) {
    this.storage = state.storage;
  }
  async fetch(request) {
    if (request.method === "PUT") {
      await this.storage.put("task", { status: "working" });
      await this.storage.setAlarm(Date.now());
      return new Response(null, { status: 204 });
    }
    return Response.json((await this.storage.get("task")) ?? null);
  }
  async alarm() {
    const task = await this.storage.get("task");
    if (task?.status === "working") {
      await this.storage.put("task", DONE);
      await this.storage.setAlarm(Date.now() + TTL_MS);
    } else {
      await this.storage.deleteAll();
    }
  }
}

export default {
  async fetch(request, env) {
    await request.arrayBuffer();
    const method = request.headers.get("mcp-method");
    const name = request.headers.get("mcp-name") ?? "";
    if (method === "tools/call") {
      const taskId = crypto.randomUUID();
      await env.TASKS.get(env.TASKS.idFromName(taskId)).fetch("http://task/", { method: "PUT" });
      return answer({ resultType: "task", taskId, status: "working" });
    }
    if (method === "tasks/get") {
      const task = await (await env.TASKS.get(env.TASKS.idFromName(name)).fetch("http://task/")).json();
      return answer({ resultType: "complete", ...(task ?? { status: "failed" }) });
    }
    return new Response(null, { status: 204 });
  },
};
