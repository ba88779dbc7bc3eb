/**
 * Run as a child process by tracing_test.ts with OTEL_DENO=true: makes a few spans through
 * withSpan() and exits, letting Deno's exporter flush them.
 *
 * @module
 */
import { withSpan } from "../../src/observe/tracing.ts";
import { errorKind } from "../../src/vault/vault_error.ts";

await withSpan("test.outer", { secret: "db", attempt: 2, cached: false }, async () => {
  await withSpan("test.inner", { step: "render" }, () => Promise.resolve());
});
try {
  await withSpan("test.failing", {}, () => {
    throw Object.assign(new Error("the value hunter2-secret-value leaked"), {
      kind: "permission_denied",
    });
  }, errorKind);
} catch {
  // Expected: the span records the kind, the test checks the message never left.
}
