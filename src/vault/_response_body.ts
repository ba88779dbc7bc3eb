/**
 * Reads a response body with a byte cap, counting the stream (Content-Length is only a hint).
 *
 * @module
 */
import { VaultError } from "./vault_error.ts";

/**
 * Reads all of `response`'s body, refusing more than `maxBytes`.
 *
 * @throws {VaultError} `invalid_response` when the body is larger than `maxBytes`
 */
export async function readBodyCapped(
  response: Response,
  maxBytes: number,
  path: string,
): Promise<Uint8Array> {
  const tooLarge = () =>
    new VaultError(
      `Cannot read response of "${path}": body larger than ${maxBytes} bytes`,
      { kind: "invalid_response", status: response.status, path },
    );
  const declared = Number(response.headers.get("content-length") ?? "NaN");
  if (Number.isFinite(declared) && declared > maxBytes) {
    await response.body?.cancel().catch(() => {});
    throw tooLarge();
  }
  if (response.body === null) return new Uint8Array(0);
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > maxBytes) {
      await reader.cancel().catch(() => {});
      throw tooLarge();
    }
    chunks.push(value);
  }
  if (chunks.length === 1) return chunks[0]!;
  const out = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return out;
}
