/**
 * The fault proxy (tests/support/fault_proxy.ts) against a real Deno.serve backend and a real
 * fetch client: every mode is observed as a client would see it.
 */
import { assert, assertEquals, assertRejects, assertThrows } from "../support/assert.ts";
import { type FaultProxy, startFaultProxy } from "../support/fault_proxy.ts";
import { freePort } from "../support/free_port.ts";
import { pollUntil } from "../support/poll.ts";

const BIG = "x".repeat(200_000);

interface Rig extends AsyncDisposable {
  proxy: FaultProxy;
  /** Requests the backend answered. */
  backendHits: () => number;
  get(path: string, init?: RequestInit): Promise<Response>;
  /** A fresh HTTP client, so no pooled connection is shared with `get`. */
  client: Deno.HttpClient;
}

async function rig(): Promise<Rig> {
  let hits = 0;
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, async (req) => {
    hits++;
    const path = new URL(req.url).pathname;
    if (path === "/echo") return new Response(await req.text());
    if (path === "/big") return new Response(BIG);
    if (path === "/stream") {
      const parts = ["one,", "two,", "three"];
      return new Response(
        new ReadableStream({
          pull(controller) {
            const part = parts.shift();
            if (part === undefined) controller.close();
            else controller.enqueue(new TextEncoder().encode(part));
          },
        }),
      );
    }
    if (path === "/empty") return new Response(null, { status: 204 });
    return new Response("hello", { headers: { "x-backend": "yes" } });
  });
  const proxy = await startFaultProxy(`http://127.0.0.1:${server.addr.port}`);
  const client = Deno.createHttpClient({});
  return {
    proxy,
    client,
    backendHits: () => hits,
    get: (path, init = {}) => fetch(`${proxy.address}${path}`, { ...init, client }),
    async [Symbol.asyncDispose]() {
      client.close();
      await proxy.close();
      await server.shutdown();
    },
  };
}

async function statusAndText(res: Response): Promise<[number, string]> {
  return [res.status, await res.text()];
}

Deno.test("fault proxy passes requests and responses through unchanged", async () => {
  await using r = await rig();
  const res = await r.get("/hello");
  assertEquals(await statusAndText(res), [200, "hello"]);
  assertEquals(res.headers.get("x-backend"), "yes");
  const echo = await r.get("/echo", { method: "POST", body: "request body" });
  assertEquals(await echo.text(), "request body");
  assertEquals(await (await r.get("/stream")).text(), "one,two,three");
  assertEquals((await r.get("/big")).status, 200);
  assertEquals(r.backendHits(), 4);
});

Deno.test("fault proxy keeps connections alive and counts each request", async () => {
  await using r = await rig();
  for (const path of ["/hello", "/empty", "/big", "/stream", "/hello"]) {
    await (await r.get(path)).arrayBuffer();
  }
  const head = await r.get("/hello", { method: "HEAD" });
  await head.body?.cancel();
  assertEquals(head.status, 200);
  assertEquals(await (await r.get("/hello")).text(), "hello");
  assertEquals(r.proxy.requests, 7);
  // Keep-alive: the seven requests share a connection. fetch's pool may open a second one when a
  // request starts before the previous connection is handed back (seen on a loaded machine).
  assert(r.proxy.connections <= 2, `${r.proxy.connections} connections for 7 requests`);
});

Deno.test("fault proxy answers a status mode at once with a Vault-style body", async () => {
  await using r = await rig();
  r.proxy.setMode({ kind: "status", status: 429, retryAfter: 7 });
  const res = await r.get("/hello");
  assertEquals(res.status, 429);
  assertEquals(res.headers.get("retry-after"), "7");
  assertEquals(await res.json(), { errors: ["fault proxy: 429 Too Many Requests"] });
  r.proxy.setMode({ kind: "status", status: 503, body: '{"errors":["Vault is sealed"]}' });
  const sealed = await r.get("/hello");
  assertEquals(await statusAndText(sealed), [503, '{"errors":["Vault is sealed"]}']);
  const head = await r.get("/hello", { method: "HEAD" });
  await head.body?.cancel();
  assertEquals(head.status, 503);
  assertEquals(await (await r.get("/hello")).text(), '{"errors":["Vault is sealed"]}');
  assertEquals(r.backendHits(), 0);
  assertEquals(r.proxy.requests, 4);
  assertEquals(r.proxy.connections, 1, "status answers keep the connection alive");
});

Deno.test("fault proxy applies a sequence per request, repeating the last mode", async () => {
  await using r = await rig();
  r.proxy.setMode({
    kind: "sequence",
    modes: [{ kind: "status", status: 500 }, { kind: "status", status: 503 }, { kind: "pass" }],
  });
  const statuses: number[] = [];
  for (let i = 0; i < 4; i++) {
    const res = await r.get("/hello");
    await res.body?.cancel();
    statuses.push(res.status);
  }
  assertEquals(statuses, [500, 503, 200, 200]);
  assertEquals(r.backendHits(), 2);
});

Deno.test("fault proxy fails every n-th request in rate mode", async () => {
  await using r = await rig();
  r.proxy.setMode({ kind: "rate", failEvery: 3 });
  const statuses: number[] = [];
  for (let i = 0; i < 6; i++) {
    const res = await r.get("/hello");
    await res.body?.cancel();
    statuses.push(res.status);
  }
  assertEquals(statuses, [200, 200, 503, 200, 200, 503]);
});

Deno.test("fault proxy drops a request so the client has to time out", async () => {
  await using r = await rig();
  r.proxy.setMode({ kind: "drop" });
  const started = performance.now();
  const error = await assertRejects(() => r.get("/hello", { signal: AbortSignal.timeout(200) }));
  const elapsed = performance.now() - started;
  assertEquals(error.name, "TimeoutError");
  assert(elapsed >= 190, `gave up after ${elapsed}ms`);
  assertEquals(r.proxy.requests, 1);
  assertEquals(r.backendHits(), 0);
});

Deno.test("fault proxy delays a request, then passes it", async () => {
  await using r = await rig();
  r.proxy.setMode({ kind: "delay", ms: 150 });
  const started = performance.now();
  const res = await r.get("/hello");
  const elapsed = performance.now() - started;
  assertEquals(await statusAndText(res), [200, "hello"]);
  assert(elapsed >= 140, `answered after ${elapsed}ms`);
});

Deno.test("fault proxy resets a connection in the middle of the response body", async () => {
  await using r = await rig();
  r.proxy.setMode({ kind: "reset" });
  const res = await r.get("/big");
  assertEquals(res.status, 200, "the head arrives");
  await assertRejects(() => res.text());
  assertEquals(r.backendHits(), 1);
  r.proxy.setMode({ kind: "pass" });
  assertEquals(await (await r.get("/big")).text(), BIG);
});

Deno.test("fault proxy resets a bodiless response inside its head", async () => {
  await using r = await rig();
  r.proxy.setMode({ kind: "reset" });
  await assertRejects(() => r.get("/empty"));
});

Deno.test("fault proxy refuses connections, then listens again on the same port", async () => {
  await using r = await rig();
  assertEquals(await (await r.get("/hello")).text(), "hello");
  r.proxy.setMode({ kind: "refuse" });
  assertEquals(r.proxy.openConnections, 0, "open connections are closed");
  const error = await assertRejects(() => r.get("/hello"));
  assert(error instanceof TypeError, `fetch fails to connect: ${error}`);
  const refused = await assertRejects(() =>
    Deno.connect({ hostname: "127.0.0.1", port: r.proxy.port })
  );
  assertEquals(refused.name, "ConnectionRefused");
  r.proxy.setMode({ kind: "pass" });
  assertEquals(await (await r.get("/hello")).text(), "hello");
});

Deno.test("fault proxy closes the connection for a per-request refuse", async () => {
  await using r = await rig();
  r.proxy.setMode({ kind: "sequence", modes: [{ kind: "refuse" }, { kind: "pass" }] });
  await assertRejects(() => r.get("/hello"));
  assertEquals(await (await r.get("/hello")).text(), "hello");
  assertEquals(r.proxy.requests, 2);
});

Deno.test("fault proxy closes a target-down connection without an answer", async () => {
  const port = freePort();
  await using proxy = await startFaultProxy(`http://127.0.0.1:${port}`);
  using client = Deno.createHttpClient({});
  await assertRejects(() => fetch(`${proxy.address}/`, { client }));
});

Deno.test("fault proxy close() ends hung connections and stops listening", async () => {
  const r = await rig();
  r.proxy.setMode({ kind: "drop" });
  const hung = r.get("/hello");
  hung.catch(() => {});
  await pollUntil(() => r.proxy.requests > 0, "the request to reach the proxy", {
    timeoutMs: 1_000,
    intervalMs: 10,
  });
  assertEquals(r.proxy.requests, 1);
  await r.proxy.close();
  await assertRejects(() => hung);
  await assertRejects(() => Deno.connect({ hostname: "127.0.0.1", port: r.proxy.port }));
  assertThrows(() => r.proxy.setMode({ kind: "pass" }), Error, "closed");
  await r[Symbol.asyncDispose]();
});

Deno.test("fault proxy rejects invalid modes", async () => {
  await using proxy = await startFaultProxy("http://127.0.0.1:1");
  assertThrows(() => proxy.setMode({ kind: "delay", ms: -1 }), RangeError, "ms");
  assertThrows(() => proxy.setMode({ kind: "status", status: 99 }), RangeError, "status");
  assertThrows(() => proxy.setMode({ kind: "rate", failEvery: 0 }), RangeError, "failEvery");
  assertThrows(() => proxy.setMode({ kind: "sequence", modes: [] }), RangeError, "empty");
  assertThrows(
    () =>
      proxy.setMode({
        kind: "sequence",
        modes: [{ kind: "sequence", modes: [{ kind: "pass" }] } as never],
      }),
    TypeError,
    "nested",
  );
  assertEquals(proxy.mode, { kind: "pass" });
  await assertRejects(() => startFaultProxy("https://127.0.0.1:8200"), TypeError, "http://");
});
