import { assert, assertEquals, assertFalse, assertRejects } from "../support/assert.ts";
import { withSpan } from "../../src/observe/tracing.ts";
import { startOtlpReceiver } from "../support/otlp_receiver.ts";

const CHILD = new URL("./_traced_child.ts", import.meta.url).pathname;
const CONFIG = new URL("../../deno.json", import.meta.url).pathname;

Deno.test("withSpan() returns the function's result and rethrows its error without OTel", async () => {
  assertEquals(await withSpan("t", { a: 1 }, () => Promise.resolve(42)), 42);
  const error = new RangeError("x");
  assert((await assertRejects(() => withSpan("t", {}, () => Promise.reject(error)))) === error);
});

for (const protocol of ["http/json", "http/protobuf"]) {
  Deno.test(`withSpan() spans reach an OTLP receiver over ${protocol} with names, attributes and error kind only`, async () => {
    await using receiver = startOtlpReceiver();
    const { code, stderr } = await new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", "--config", CONFIG, CHILD],
      env: {
        OTEL_DENO: "true",
        OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint,
        OTEL_EXPORTER_OTLP_PROTOCOL: protocol,
        OTEL_SERVICE_NAME: "secrets-sync-test",
      },
      stdout: "null",
      stderr: "piped",
    }).output();
    assertEquals(code, 0, new TextDecoder().decode(stderr));
    const outer = await receiver.waitForSpan("test.outer", { timeoutMs: 10_000 });
    const inner = await receiver.waitForSpan("test.inner", { timeoutMs: 10_000 });
    const failing = await receiver.waitForSpan("test.failing", { timeoutMs: 10_000 });
    assertEquals(outer.scope, "secrets-sync");
    assertEquals(outer.attributes, { secret: "db", attempt: 2, cached: false });
    assertEquals(inner.traceId, outer.traceId);
    assert(inner.parentSpanId !== "");
    assertEquals(failing.statusCode, 2);
    assertEquals(failing.statusMessage, "permission_denied");
    assertEquals(failing.attributes["error.type"], "permission_denied");
    for (const body of receiver.bodies) {
      assertFalse(new TextDecoder().decode(body).includes("hunter2"));
    }
    const expectedType = protocol === "http/json" ? "application/json" : "application/x-protobuf";
    assert(
      receiver.contentTypes.every((t) => t.startsWith(expectedType)),
      String(receiver.contentTypes),
    );
  });
}
