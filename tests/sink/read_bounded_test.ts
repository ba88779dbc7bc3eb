import { assert, assertEquals, assertStrictEquals } from "../support/assert.ts";
import { readBounded } from "../../src/sink/_read_bounded.ts";

function streamOf(chunks: Uint8Array[]): ReadableStream<Uint8Array> {
  return new ReadableStream({
    start(controller) {
      for (const chunk of chunks) controller.enqueue(chunk);
      controller.close();
    },
  });
}

Deno.test("readBounded() keeps the first bytes and counts the rest", async () => {
  const chunk = new TextEncoder().encode("0123456789");
  const result = await readBounded(streamOf([chunk, chunk, chunk]), 15);
  assertEquals(result, { text: "012345678901234", totalBytes: 30, truncated: true });
});

Deno.test("readBounded() returns everything under the bound", async () => {
  const result = await readBounded(streamOf([new TextEncoder().encode("ok\n")]), 15);
  assertEquals(result, { text: "ok\n", totalBytes: 3, truncated: false });
});

Deno.test("readBounded() stops at abort and returns what it has", async () => {
  const controller = new AbortController();
  let cancelled = false;
  const stream = new ReadableStream<Uint8Array>({
    start(c) {
      c.enqueue(new TextEncoder().encode("partial"));
    },
    cancel() {
      cancelled = true;
    },
  });
  const pending = readBounded(stream, 100, controller.signal);
  await Promise.resolve();
  controller.abort();
  const result = await pending;
  assertStrictEquals(result.text, "partial");
  assert(cancelled);
});
