import { assertEquals, assertRejects } from "../support/assert.ts";
import { readBodyCapped } from "../../src/vault/_response_body.ts";
import { VaultError } from "../../src/vault/vault_error.ts";

function streamOf(chunks: number[], onCancel?: () => void): ReadableStream<Uint8Array> {
  let i = 0;
  return new ReadableStream({
    pull(controller) {
      if (i >= chunks.length) return controller.close();
      controller.enqueue(new Uint8Array(chunks[i++]!).fill(65));
    },
    cancel() {
      onCancel?.();
    },
  });
}

Deno.test("readBodyCapped() returns a body within the cap", async () => {
  const bytes = await readBodyCapped(new Response(streamOf([3, 4])), 7, "p");
  assertEquals(bytes.byteLength, 7);
});

Deno.test("readBodyCapped() counts the stream and cancels it past the cap", async () => {
  let cancelled = false;
  const response = new Response(streamOf([4, 4, 4, 4], () => (cancelled = true)));
  const err = await assertRejects(() => readBodyCapped(response, 10, "secret/data/x"), VaultError);
  assertEquals((err as VaultError).kind, "invalid_response");
  assertEquals(cancelled, true);
});

Deno.test("readBodyCapped() refuses a declared Content-Length over the cap before reading", async () => {
  let pulled = 0;
  const body = new ReadableStream<Uint8Array>({
    pull(c) {
      pulled++;
      c.enqueue(new Uint8Array(1));
    },
  });
  const response = new Response(body, { headers: { "content-length": "999" } });
  await assertRejects(() => readBodyCapped(response, 10, "p"), VaultError);
  assertEquals(pulled <= 1, true);
});

Deno.test("readBodyCapped() does not trust a small Content-Length", async () => {
  const response = new Response(streamOf([8, 8]), { headers: { "content-length": "2" } });
  await assertRejects(() => readBodyCapped(response, 10, "p"), VaultError);
});

Deno.test("readBodyCapped() returns an empty array without a body", async () => {
  assertEquals((await readBodyCapped(new Response(null, { status: 204 }), 10, "p")).byteLength, 0);
});

Deno.test("readBodyCapped() reads a body of its declared Content-Length within the cap", async () => {
  const response = new Response(streamOf([3, 4]), { headers: { "content-length": "7" } });
  const bytes = await readBodyCapped(response, 7, "p");
  assertEquals(new TextDecoder().decode(bytes), "AAAAAAA");
});
