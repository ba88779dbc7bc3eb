/**
 * The two contents of the crash test: different lengths and bytes, so a torn, truncated or empty
 * file can never equal either.
 *
 * @module
 */

/** A (3 MiB of a pattern) and B (2 MiB of another). */
export function crashContents(): { a: Uint8Array; b: Uint8Array } {
  return { a: pattern(3 * 1024 * 1024, 65), b: pattern(2 * 1024 * 1024, 97) };
}

function pattern(length: number, base: number): Uint8Array {
  const bytes = new Uint8Array(length);
  for (let i = 0; i < length; i++) bytes[i] = base + (i % 26);
  return bytes;
}

/** True when both arrays hold the same bytes. */
export function sameBytes(x: Uint8Array, y: Uint8Array): boolean {
  if (x.length !== y.length) return false;
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return false;
  return true;
}
