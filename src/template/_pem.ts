/** encoding/pem as Go 1.26 has it: Decode (block by block) and Encode. */

/** One PEM block. */
export interface PemBlock {
  type: string;
  headers: [string, string][];
  bytes: Uint8Array;
}

/** Go's getLine: the line without its end-of-line and trailing spaces/tabs, the rest, consumed. */
function getLine(data: string): [string, string, number] {
  let i = data.indexOf("\n");
  let j: number;
  if (i < 0) {
    i = data.length;
    j = i;
  } else {
    j = i + 1;
    if (i > 0 && data[i - 1] === "\r") i--;
  }
  return [data.slice(0, i).replace(/[ \t]+$/, ""), data.slice(j), j];
}

/** base64.StdEncoding.Decode (CR and LF ignored, padding required); undefined when invalid. */
export function decodeBase64Std(s: string): Uint8Array | undefined {
  const b64 = s.replace(/[\r\n]/g, "");
  if (
    b64.length % 4 !== 0 || !/^[A-Za-z0-9+/]*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/.test(b64)
  ) {
    return undefined;
  }
  return Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
}

/**
 * pem.Decode: the first block and the input after it, or no block and the whole input. Like Go,
 * a BEGIN line counts only at the start of the input or of a line.
 */
export function pemDecode(data: string): { block: PemBlock | undefined; rest: string } {
  const none = { block: undefined, rest: data };
  let rest = data;
  let endTrailerIndex = 0;
  for (;;) {
    if (endTrailerIndex < 0 || endTrailerIndex > rest.length) return none;
    rest = rest.slice(endTrailerIndex);
    let endIndex = rest.indexOf("\n-----END ");
    if (endIndex < 0) return none;
    endTrailerIndex = endIndex + "\n-----END ".length;
    const beginIndex = rest.slice(0, endIndex).lastIndexOf("-----BEGIN ");
    if (beginIndex < 0 || (beginIndex > 0 && rest[beginIndex - 1] !== "\n")) continue;
    const skip = beginIndex + "-----BEGIN ".length;
    rest = rest.slice(skip);
    endIndex -= skip;
    endTrailerIndex -= skip;

    let [typeLine, next, consumed] = getLine(rest);
    rest = next;
    endIndex -= consumed;
    endTrailerIndex -= consumed;
    if (!typeLine.endsWith("-----")) continue;
    typeLine = typeLine.slice(0, -5);

    const headers: [string, string][] = [];
    let truncated = false;
    for (;;) {
      if (rest.length === 0) {
        truncated = true;
        break;
      }
      const [line, after, used] = getLine(rest);
      const colon = line.indexOf(":");
      if (colon < 0) break;
      headers.push([line.slice(0, colon).trim(), line.slice(colon + 1).trim()]);
      rest = after;
      endIndex -= used;
      endTrailerIndex -= used;
    }
    if (truncated) return none;
    if (headers.length > 0 && endIndex < 0) continue;

    let endTrailer = rest.slice(endTrailerIndex);
    const endTrailerLen = typeLine.length + 5;
    if (endTrailer.length < endTrailerLen) continue;
    const restOfEndLine = endTrailer.slice(endTrailerLen);
    endTrailer = endTrailer.slice(0, endTrailerLen);
    if (!endTrailer.startsWith(typeLine) || !endTrailer.endsWith("-----")) continue;
    if (getLine(restOfEndLine)[0].length !== 0) continue;

    let bytes: Uint8Array = new Uint8Array(0);
    if (endIndex > 0) {
      const decoded = decodeBase64Std(rest.slice(0, endIndex).replace(/[ \t]/g, ""));
      if (decoded === undefined) continue;
      bytes = decoded;
    }
    rest = getLine(rest.slice(endIndex + "\n-----END ".length - 1))[1];
    return { block: { type: typeLine, headers, bytes }, rest };
  }
}

/** Every block pem.Decode finds, in order, as a decode loop does. */
export function pemDecodeAll(data: string): PemBlock[] {
  const blocks: PemBlock[] = [];
  let rest = data;
  for (;;) {
    const r = pemDecode(rest);
    if (r.block === undefined) return blocks;
    blocks.push(r.block);
    rest = r.rest;
  }
}

/** pem.EncodeToMemory for a block without headers. */
export function pemEncode(type: string, bytes: Uint8Array): string {
  let bin = "";
  for (const b of bytes) bin += String.fromCharCode(b);
  const b64 = btoa(bin);
  let out = `-----BEGIN ${type}-----\n`;
  for (let i = 0; i < b64.length; i += 64) out += b64.slice(i, i + 64) + "\n";
  return out + `-----END ${type}-----\n`;
}
