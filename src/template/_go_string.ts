/**
 * Go strings hold arbitrary bytes; JavaScript strings hold UTF-16. A function that yields bytes
 * (b64dec, hexdec, decryptAES, rsaDecrypt...) turns them into a string with
 * {@linkcode bytesToGoString} and a function that consumes bytes (b64enc, sha256sum, the PKCS#12
 * and RSA functions...) reads them back with {@linkcode goStringBytes}, so binary data survives a
 * pipeline such as `sha256sum | hexdec | b64enc` byte for byte.
 *
 * Valid UTF-8 decodes as usual. Each byte that is not part of a valid UTF-8 sequence (by Go's
 * rules: no overlong forms, no surrogates, nothing above U+10FFFF) becomes the lone surrogate
 * U+DC80–U+DCFF ("surrogate escape"). Text never contains lone surrogates, so the mapping is
 * lossless both ways; printed, each such byte becomes U+FFFD, as Go's encoding/json shows it.
 */

const UTF8 = new TextEncoder();
const STRICT_UTF8 = new TextDecoder("utf-8", { fatal: true });

/** Length of the valid UTF-8 sequence starting at `i`, or 0 when the byte there starts none. */
function utf8SequenceLength(b: Uint8Array, i: number): number {
  const c = b[i]!;
  if (c < 0x80) return 1;
  const cont = (j: number, lo = 0x80, hi = 0xbf) => j < b.length && b[j]! >= lo && b[j]! <= hi;
  if (c >= 0xc2 && c <= 0xdf) return cont(i + 1) ? 2 : 0;
  if (c >= 0xe0 && c <= 0xef) {
    const lo = c === 0xe0 ? 0xa0 : 0x80;
    const hi = c === 0xed ? 0x9f : 0xbf;
    return cont(i + 1, lo, hi) && cont(i + 2) ? 3 : 0;
  }
  if (c >= 0xf0 && c <= 0xf4) {
    const lo = c === 0xf0 ? 0x90 : 0x80;
    const hi = c === 0xf4 ? 0x8f : 0xbf;
    return cont(i + 1, lo, hi) && cont(i + 2) && cont(i + 3) ? 4 : 0;
  }
  return 0;
}

/** The string Go would hold for `bytes` (see the module doc for invalid UTF-8). */
export function bytesToGoString(bytes: Uint8Array): string {
  try {
    return STRICT_UTF8.decode(bytes);
  } catch {
    let s = "";
    let i = 0;
    while (i < bytes.length) {
      const n = utf8SequenceLength(bytes, i);
      if (n === 0) {
        s += String.fromCharCode(0xdc00 + bytes[i]!);
        i++;
      } else {
        s += STRICT_UTF8.decode(bytes.subarray(i, i + n));
        i += n;
      }
    }
    return s;
  }
}

/** Whether `s` holds escaped bytes from {@linkcode bytesToGoString}. */
export function hasEscapedBytes(s: string): boolean {
  return /(?<![\ud800-\udbff])[\udc80-\udcff]/.test(s);
}

/** The bytes of a Go string: UTF-8, with escaped bytes restored. */
export function goStringBytes(s: string): Uint8Array {
  if (!hasEscapedBytes(s)) return UTF8.encode(s);
  const out: number[] = [];
  let run = "";
  const flush = () => {
    for (const b of UTF8.encode(run)) out.push(b);
    run = "";
  };
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    const lonelyLow = c >= 0xdc80 && c <= 0xdcff &&
      !(i > 0 && s.charCodeAt(i - 1) >= 0xd800 && s.charCodeAt(i - 1) <= 0xdbff);
    if (lonelyLow) {
      flush();
      out.push(c - 0xdc00);
    } else run += s[i];
  }
  flush();
  return new Uint8Array(out);
}
