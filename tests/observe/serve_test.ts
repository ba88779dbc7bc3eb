import { assertEquals, assertRejects, assertThrows } from "../support/assert.ts";
import { settlesWithin } from "../support/poll.ts";
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
  await settlesWithin(server.finished, "finished after shutdown()", 2_000);
  await assertRejects(() => fetch(`http://127.0.0.1:${server.addr.port}/readyz`));
});

Deno.test("serveObservability() stops when its signal aborts", async () => {
  const controller = new AbortController();
  const server = serveObservability(handler, {
    hostname: "127.0.0.1",
    port: 0,
    signal: controller.signal,
  });
  const url = `http://127.0.0.1:${server.addr.port}/readyz`;
  const response = await fetch(url);
  assertEquals(response.status, 200);
  await response.body?.cancel();
  controller.abort();
  await settlesWithin(server.finished, "finished after the signal aborted", 2_000);
  // Stopped means the port no longer answers.
  await assertRejects(() => fetch(url));
});

Deno.test("serveObservability() rejects an invalid port", () => {
  assertThrows(
    () => serveObservability(handler, { hostname: "127.0.0.1", port: 70000 }),
    RangeError,
    "invalid port 70000",
  );
});
