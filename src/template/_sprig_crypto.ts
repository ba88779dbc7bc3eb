/** Sprig's encoding, hashing, random and regex functions. */
import { bcryptLib, nodeCrypto } from "./_libraries.ts";
import { def, type FuncDef, FuncError, needs } from "./_func_def.ts";
import { marshalJson, unmarshalJson } from "./_json.ts";
import { withGoType } from "./values.ts";
import { bytesToGoString, goStringBytes } from "./_go_string.ts";
import { isPrintRune } from "./_lexer.ts";

const UTF8 = new TextEncoder();

function b64enc(s: string): string {
  let bin = "";
  for (const b of goStringBytes(s)) bin += String.fromCharCode(b);
  return btoa(bin);
}

const B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/** base64.StdEncoding.DecodeString; returns the error text on bad input, like Sprig. */
function b64dec(s: string): string {
  const src = UTF8.encode(s);
  const out: number[] = [];
  let si = 0;
  const corrupt = (at: number) => `illegal base64 data at input byte ${at}`;
  for (;;) {
    const dbuf = [0, 0, 0, 0];
    let j = 0;
    let dlen = 4;
    let done = false;
    while (j < 4) {
      if (si === src.length) {
        if (j === 0) return bytesToGoString(new Uint8Array(out));
        return corrupt(si - j);
      }
      const c = src[si++]!;
      const v = B64.indexOf(String.fromCharCode(c));
      if (v >= 0 && c < 128) {
        dbuf[j++] = v;
        continue;
      }
      if (c === 10 || c === 13) continue;
      if (c !== 61) return corrupt(si - 1);
      // Padding: "=" ends the input.
      if (j < 2) return corrupt(si - 1);
      if (j === 2) {
        while (si < src.length && (src[si] === 10 || src[si] === 13)) si++;
        if (si === src.length) return corrupt(src.length);
        if (src[si] !== 61) return corrupt(si - 1);
        si++;
      }
      while (si < src.length && (src[si] === 10 || src[si] === 13)) si++;
      if (si < src.length) return corrupt(si);
      dlen = j;
      done = true;
      break;
    }
    const val = (dbuf[0]! << 18) | (dbuf[1]! << 12) | (dbuf[2]! << 6) | dbuf[3]!;
    const bytes = [(val >> 16) & 255, (val >> 8) & 255, val & 255];
    // A full quantum gives 3 bytes; "xx==" gives 1 and "xxx=" gives 2.
    out.push(...bytes.slice(0, dlen - 1));
    if (done) return bytesToGoString(new Uint8Array(out));
  }
}

/** hex.DecodeString; returns the error text on bad input, like b64dec (ESO's hexdec). */
function hexdec(s: string): string {
  const src = goStringBytes(s);
  const nibble = (c: number) =>
    c >= 0x30 && c <= 0x39
      ? c - 0x30
      : (c | 0x20) >= 0x61 && (c | 0x20) <= 0x66
      ? (c | 0x20) - 0x57
      : -1;
  const invalid = (c: number) =>
    `encoding/hex: invalid byte: U+${c.toString(16).toUpperCase().padStart(4, "0")}` +
    (isPrintRune(c) ? ` '${String.fromCharCode(c)}'` : "");
  const out = new Uint8Array(src.length >> 1);
  let j = 1;
  for (; j < src.length; j += 2) {
    const hi = nibble(src[j - 1]!);
    const lo = nibble(src[j]!);
    if (hi < 0) return invalid(src[j - 1]!);
    if (lo < 0) return invalid(src[j]!);
    out[j >> 1] = (hi << 4) | lo;
  }
  if (src.length % 2 === 1) {
    // Like Go: an invalid last character is reported before the odd length.
    if (nibble(src[j - 1]!) < 0) return invalid(src[j - 1]!);
    return "encoding/hex: odd length hex string";
  }
  return bytesToGoString(out);
}

const B32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

function b32enc(s: string): string {
  const bytes = goStringBytes(s);
  let out = "";
  let bits = 0;
  let value = 0;
  for (const b of bytes) {
    value = (value << 8) | b;
    bits += 8;
    while (bits >= 5) {
      out += B32[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out += B32[(value << (5 - bits)) & 31];
  while (out.length % 8 !== 0) out += "=";
  return out;
}

function b32dec(s: string): string {
  const src = UTF8.encode(s).filter((b) => b !== 10 && b !== 13);
  const olen = src.length;
  const corrupt = (at: number) => `illegal base32 data at input byte ${at}`;
  const out: number[] = [];
  let p = 0;
  for (;;) {
    if (p === olen) return bytesToGoString(new Uint8Array(out));
    const dbuf = [0, 0, 0, 0, 0, 0, 0, 0];
    let j = 0;
    let dlen = 8;
    let end = false;
    while (j < 8) {
      if (p === olen) return corrupt(olen - 0 - j);
      const c = src[p++]!;
      const left = olen - p;
      if (c === 61 && j >= 2 && left < 8) {
        if (left + j < 7) return corrupt(olen);
        for (let k = 0; k < 7 - j; k++) {
          if (left > k && src[p + k] !== 61) return corrupt(olen - left + k - 1);
        }
        dlen = j;
        end = true;
        if (dlen === 1 || dlen === 3 || dlen === 6) return corrupt(olen - left - 1);
        break;
      }
      const v = B32.indexOf(String.fromCharCode(c));
      if (v < 0 || c >= 128) return corrupt(olen - left - 1);
      dbuf[j++] = v;
    }
    let bits = 0n;
    for (const v of dbuf) bits = (bits << 5n) | BigInt(v);
    const bytes = [];
    for (let k = 4; k >= 0; k--) bytes.push(Number((bits >> BigInt(k * 8)) & 255n));
    const n = [0, 0, 1, 0, 2, 3, 0, 4, 5][dlen]!;
    out.push(...bytes.slice(0, n));
    if (end) return bytesToGoString(new Uint8Array(out));
  }
}

function hash(alg: string) {
  return (s: string) => nodeCrypto().createHash(alg).update(goStringBytes(s)).digest("hex");
}

function adler32(s: string): string {
  let a = 1;
  let b = 0;
  for (const byte of goStringBytes(s)) {
    a = (a + byte) % 65521;
    b = (b + a) % 65521;
  }
  return String(((b << 16) | a) >>> 0);
}

function bcrypt(s: string): string {
  const bcryptjs = bcryptLib();
  return bcryptjs.hashSync(s, bcryptjs.genSaltSync(10)).replace(/^\$2b\$/, "$2a$");
}

function htpasswd(user: string, pass: string, ...hashType: string[]): string {
  if (user.includes(":")) return `invalid username: ${user}`;
  if ((hashType[0] ?? "bcrypt") === "sha") {
    const digest = nodeCrypto().createHash("sha1").update(pass, "utf8").digest("base64");
    return `${user}:{SHA}${digest}`;
  }
  return `${user}:${bcrypt(pass)}`;
}

/** Converts Go RE2 syntax to a JavaScript RegExp (flags groups, named groups, \z, \A). */
export function goRegExp(pattern: string, global = false): RegExp {
  let flags = "u" + (global ? "g" : "");
  let src = pattern;
  const lead = /^\(\?([imsU]+)\)/.exec(src);
  if (lead) {
    for (const f of lead[1]!) if (f !== "U" && !flags.includes(f)) flags += f;
    src = src.slice(lead[0].length);
  }
  src = src.replace(/\(\?P</g, "(?<").replace(/\\z/g, "$(?![\\s\\S])").replace(/\\A/g, "^");
  try {
    return new RegExp(src, flags);
  } catch {
    try {
      return new RegExp(src, flags.replace("u", ""));
    } catch {
      throw new FuncError(`error parsing regexp: invalid syntax in \`${pattern}\``);
    }
  }
}

/** Go's Regexp.Expand template ($1, ${1}, $name, ${name}, $$). */
function expand(template: string, m: RegExpExecArray): string {
  return template.replace(/\$(\$|\{([A-Za-z0-9_]+)\}|([A-Za-z0-9_]+))/g, (_all, d, b, n) => {
    if (d === "$") return "$";
    const name = (b ?? n) as string;
    if (/^[0-9]+$/.test(name)) return m[Number(name)] ?? "";
    return m.groups?.[name] ?? "";
  });
}

function findAll(re: RegExp, s: string, n: number): RegExpExecArray[] {
  const out: RegExpExecArray[] = [];
  re.lastIndex = 0;
  let m: RegExpExecArray | null;
  while ((n < 0 || out.length < n) && (m = re.exec(s)) !== null) {
    out.push(m);
    if (m[0] === "") re.lastIndex += 1;
  }
  return out;
}

function replaceAll(regex: string, s: string, repl: string, literal: boolean): string {
  const re = goRegExp(regex, true);
  return s.replace(re, (...args) => {
    if (literal) return repl;
    const groups = typeof args[args.length - 1] === "object" ? args[args.length - 1] : undefined;
    const m = args.slice(0, typeof groups === "object" ? -3 : -2) as unknown as RegExpExecArray;
    if (groups) (m as { groups?: Record<string, string> }).groups = groups;
    return expand(repl, m);
  });
}

function regexSplit(regex: string, s: string, n: bigint): string[] {
  return withGoType(regexSplitRaw(regex, s, n), "[]string");
}

function regexSplitRaw(regex: string, s: string, n: bigint): string[] {
  const count = Number(n);
  if (count === 0) return [];
  const re = goRegExp(regex, true);
  if (regex.length > 0 && s.length === 0) return [""];
  const matches = findAll(re, s, count);
  const out: string[] = [];
  let beg = 0;
  for (const m of matches) {
    if (count > 0 && out.length === count - 1) break;
    const end = m.index;
    if (m[0] === "" && m.index === 0) continue;
    out.push(s.slice(beg, end));
    beg = m.index + m[0].length;
  }
  out.push(s.slice(beg));
  return out;
}

function quoteMeta(s: string): string {
  return s.replace(/[\\.+*?()|[\]{}^$]/g, "\\$&");
}

export interface RandomEnv {
  random: () => number;
}

function randString(env: RandomEnv, alphabet: string) {
  return (count: bigint): string => {
    let out = "";
    for (let i = 0n; i < count; i++) out += alphabet[Math.floor(env.random() * alphabet.length)];
    return out;
  };
}

const ALPHA = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
const NUM = "0123456789";
let ASCII = "";
for (let c = 32; c <= 126; c++) ASCII += String.fromCharCode(c);

function uuidv4(env: RandomEnv): string {
  const b = Array.from({ length: 16 }, () => Math.floor(env.random() * 256));
  b[6] = (b[6]! & 0x0f) | 0x40;
  b[8] = (b[8]! & 0x3f) | 0x80;
  const h = b.map((x) => x.toString(16).padStart(2, "0")).join("");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

/** Functions that need randomness, bound to `env`. */
export function randomFuncs(env: RandomEnv): Record<string, FuncDef> {
  return {
    randAlphaNum: def(randString(env, ALPHA + NUM), "int"),
    randAlpha: def(randString(env, ALPHA), "int"),
    randAscii: def(randString(env, ASCII), "int"),
    randNumeric: def(randString(env, NUM), "int"),
    randInt: def(
      (min: bigint, max: bigint) => {
        if (max - min <= 0n) throw new FuncError("invalid argument to Intn");
        return min + BigInt(Math.floor(env.random() * Number(max - min)));
      },
      "int",
      "int",
    ),
    randBytes: def((count: bigint) => {
      let bin = "";
      for (let i = 0n; i < count; i++) bin += String.fromCharCode(Math.floor(env.random() * 256));
      return btoa(bin);
    }, "int"),
    shuffle: def((s: string) => {
      const chars = [...s];
      for (let i = chars.length - 1; i > 0; i--) {
        const j = Math.floor(env.random() * (i + 1));
        [chars[i], chars[j]] = [chars[j]!, chars[i]!];
      }
      return chars.join("");
    }, "string"),
    uuidv4: def(() => uuidv4(env)),
  };
}

function mustFromJson(s: string): unknown {
  return unmarshalJson(s);
}

function fromJson(s: string): unknown {
  try {
    return unmarshalJson(s);
  } catch {
    return null;
  }
}

function quiet(f: () => string): string {
  try {
    return f();
  } catch {
    return "";
  }
}

export const CRYPTO_FUNCS: Record<string, FuncDef> = {
  b64enc: def(b64enc, "string"),
  b64dec: def(b64dec, "string"),
  b32enc: def(b32enc, "string"),
  b32dec: def(b32dec, "string"),
  hexdec: def(hexdec, "string"),
  sha1sum: needs("node:crypto", def(hash("sha1"), "string")),
  sha256sum: needs("node:crypto", def(hash("sha256"), "string")),
  sha512sum: needs("node:crypto", def(hash("sha512"), "string")),
  adler32sum: def(adler32, "string"),
  bcrypt: needs("bcryptjs", def(bcrypt, "string")),
  // Its variant is an argument: bcrypt by default, SHA-1 (node:crypto) with "sha".
  htpasswd: needs(
    "bcryptjs",
    needs("node:crypto", def(htpasswd, "string", "string", "...string")),
  ),
  fromJson: def(fromJson, "string"),
  mustFromJson: def(mustFromJson, "string"),
  toJson: def((v: unknown) => quiet(() => marshalJson(v, true)), "any"),
  mustToJson: def((v: unknown) => marshalJson(v, true), "any"),
  toPrettyJson: def((v: unknown) => quiet(() => marshalJson(v, true, "  ")), "any"),
  mustToPrettyJson: def((v: unknown) => marshalJson(v, true, "  "), "any"),
  toRawJson: def((v: unknown) => marshalJson(v, false), "any"),
  mustToRawJson: def((v: unknown) => marshalJson(v, false), "any"),
  regexMatch: def(
    (r: string, s: string) => {
      try {
        return goRegExp(r).test(s);
      } catch {
        return false;
      }
    },
    "string",
    "string",
  ),
  mustRegexMatch: def((r: string, s: string) => goRegExp(r).test(s), "string", "string"),
  regexFindAll: def(
    (r: string, s: string, n: bigint) =>
      withGoType(findAll(goRegExp(r, true), s, Number(n)).map((m) => m[0]), "[]string"),
    "string",
    "string",
    "int",
  ),
  mustRegexFindAll: def(
    (r: string, s: string, n: bigint) =>
      withGoType(findAll(goRegExp(r, true), s, Number(n)).map((m) => m[0]), "[]string"),
    "string",
    "string",
    "int",
  ),
  regexFind: def((r: string, s: string) => goRegExp(r).exec(s)?.[0] ?? "", "string", "string"),
  mustRegexFind: def((r: string, s: string) => goRegExp(r).exec(s)?.[0] ?? "", "string", "string"),
  regexReplaceAll: def(
    (r: string, s: string, repl: string) => replaceAll(r, s, repl, false),
    "string",
    "string",
    "string",
  ),
  mustRegexReplaceAll: def(
    (r: string, s: string, repl: string) => replaceAll(r, s, repl, false),
    "string",
    "string",
    "string",
  ),
  regexReplaceAllLiteral: def(
    (r: string, s: string, repl: string) => replaceAll(r, s, repl, true),
    "string",
    "string",
    "string",
  ),
  mustRegexReplaceAllLiteral: def(
    (r: string, s: string, repl: string) => replaceAll(r, s, repl, true),
    "string",
    "string",
    "string",
  ),
  regexSplit: def(regexSplit, "string", "string", "int"),
  mustRegexSplit: def(regexSplit, "string", "string", "int"),
  regexQuoteMeta: def(quoteMeta, "string"),
};
