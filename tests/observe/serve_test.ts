import { assertEquals, assertRejects } from "./_assert.ts";
import { createHandler } from "../../src/observe/handler.ts";
import { serveObservability } from "../../src/observe/serve.ts";

const handler = createHandler({
  readiness: () => ({ ready: true, secrets: [] }),
  liveness: () => ({ alive: true }),
});

Deno.test("serveObservability() serves the handler on a free port and shuts down", async () => {
  const server = serveObservability(handler, { hostname: "127.0.0.1", port: 0 });
  try {
    const response = await fetch(`http://127.0.0.1:${server.addr.port}/readyz`);
    assertEquals(response.status, 200);
    assertEquals((await response.json()).ready, true);
  } finally {
    await server.shutdown();
  }
  await server.finished;
  await assertRejects(() => fetch(`http://127.0.0.1:${server.addr.port}/readyz`));
});

Deno.test("serveObservability() stops when its signal aborts", async () => {
  const controller = new AbortController();
  const server = serveObservability(handler, {
    hostname: "127.0.0.1",
    port: 0,
    signal: controller.signal,
  });
  controller.abort();
  await server.finished;
});

Deno.test("serveObservability() rejects an invalid port", () => {
  let error: unknown;
  try {
    serveObservability(handler, { hostname: "127.0.0.1", port: 70000 });
  } catch (e) {
    error = e;
  }
  assertEquals(error instanceof RangeError, true);
});
