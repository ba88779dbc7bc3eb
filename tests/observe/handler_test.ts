import { assertEquals, assertFalse, assertStringIncludes } from "../support/assert.ts";
import { createHandler } from "../../src/observe/handler.ts";
import { createMetrics } from "../../src/observe/metrics.ts";
import type { ReadinessSnapshot } from "../../src/observe/readiness.ts";

const READY: ReadinessSnapshot = {
  ready: true,
  secrets: [
    { name: "db", status: "ok", lastSuccess: Date.UTC(2026, 0, 1), ageMs: 12_345 },
    { name: "api", status: "failing", lastErrorKind: "permission_denied" },
  ],
};

function handlerWith(
  ready: ReadinessSnapshot = READY,
  alive = true,
  withMetrics = true,
) {
  const deps = {
    readiness: () => ready,
    liveness: () => ({ alive, lastTickAgeMs: 1500 }),
  };
  return createHandler(withMetrics ? { ...deps, metrics: createMetrics() } : deps);
}

function get(path: string, method = "GET"): Request {
  return new Request(`http://localhost${path}`, { method });
}

Deno.test("createHandler() answers /health and /healthz with 200 while alive", async () => {
  const handler = handlerWith();
  for (const path of ["/health", "/healthz"]) {
    const response = await handler(get(path));
    assertEquals(response.status, 200);
    assertEquals(await response.json(), { alive: true, lastTickAgeMs: 1500 });
  }
});

Deno.test("createHandler() answers /health with 503 when the loop is not alive", async () => {
  const response = await handlerWith(READY, false)(get("/healthz"));
  assertEquals(response.status, 503);
  assertEquals((await response.json()).alive, false);
});

Deno.test("createHandler() answers /ready with 200 and each secret's name, last success, age and error kind", async () => {
  const handler = handlerWith();
  for (const path of ["/ready", "/readyz"]) {
    const response = await handler(get(path));
    assertEquals(response.status, 200);
    assertEquals(response.headers.get("content-type"), "application/json; charset=utf-8");
    assertEquals(await response.json(), {
      ready: true,
      secrets: [
        {
          name: "db",
          status: "ok",
          lastSuccess: "2026-01-01T00:00:00.000Z",
          ageSeconds: 12.3,
          lastErrorKind: null,
        },
        {
          name: "api",
          status: "failing",
          lastSuccess: null,
          ageSeconds: null,
          lastErrorKind: "permission_denied",
        },
      ],
    });
  }
});

Deno.test("createHandler() answers /ready with 503 and the reason when not ready", async () => {
  const response = await handlerWith({
    ready: false,
    reason: 'secret "db" has never synced',
    secrets: [{ name: "db", status: "pending" }],
  })(get("/readyz"));
  assertEquals(response.status, 503);
  const body = await response.json();
  assertEquals(body.ready, false);
  assertEquals(body.reason, 'secret "db" has never synced');
});

Deno.test("createHandler() serves metrics text with the Prometheus content type", async () => {
  const response = await handlerWith()(get("/metrics"));
  assertEquals(response.status, 200);
  assertStringIncludes(response.headers.get("content-type") ?? "", "text/plain; version=0.0.4");
  assertStringIncludes(await response.text(), "# TYPE secret_fetch_total counter");
});

Deno.test("createHandler() answers /metrics with 404 when metrics are disabled", async () => {
  const response = await handlerWith(READY, true, false)(get("/metrics"));
  assertEquals(response.status, 404);
  await response.body?.cancel();
});

Deno.test("createHandler() answers unknown paths with 404", async () => {
  for (const path of ["/", "/ready/x", "/favicon.ico"]) {
    const response = await handlerWith()(get(path));
    assertEquals(response.status, 404, path);
    await response.body?.cancel();
  }
});

Deno.test("createHandler() answers other methods with 405 and an Allow header", async () => {
  for (const method of ["POST", "PUT", "DELETE"]) {
    const response = await handlerWith()(get("/readyz", method));
    assertEquals(response.status, 405, method);
    assertEquals(response.headers.get("allow"), "GET, HEAD");
    await response.body?.cancel();
  }
});

Deno.test("createHandler() answers HEAD with the status and no body", async () => {
  const response = await handlerWith({ ready: false, secrets: [] })(get("/readyz", "HEAD"));
  assertEquals(response.status, 503);
  assertEquals(await response.text(), "");
});

Deno.test("createHandler() answers 500 without detail when the readiness function throws", async () => {
  const handler = createHandler({
    readiness: () => {
      throw new Error("boom with hunter2-value");
    },
    liveness: () => ({ alive: true }),
  });
  const response = await handler(get("/readyz"));
  assertEquals(response.status, 500);
  assertFalse((await response.text()).includes("hunter2"));
});
