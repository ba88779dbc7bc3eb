/** Sprig's string functions. */
import { def, type FuncDef, FuncError } from "./_func_def.ts";
import { goQuoteString, sprint, sprintf } from "./_fmt.ts";
import { strslice, strval } from "./_conv.ts";
import { camelCaseToLowerCase } from "./_xstrings.ts";
import { withGoType } from "./values.ts";
import { bytesToGoString, goStringBytes } from "./_go_string.ts";

const strings = (a: string[]): string[] => withGoType(a, "[]string");

const UTF8 = new TextEncoder();

/** Go's unicode.IsSpace. */
export function isSpaceRune(c: string): boolean {
  return /^[\t\n\v\f\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]$/.test(c);
}

/** strings.TrimSpace. */
export function trimSpace(s: string): string {
  return s.replace(
    /^[\t\n\v\f\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+/,
    "",
  )
    .replace(/[\t\n\v\f\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+$/, "");
}

/** strings.Trim(s, cutset). */
function trimCutset(s: string, cutset: string): string {
  const set = new Set([...cutset]);
  const chars = [...s];
  let i = 0;
  let j = chars.length;
  while (i < j && set.has(chars[i]!)) i++;
  while (j > i && set.has(chars[j - 1]!)) j--;
  return chars.slice(i, j).join("");
}

/** Byte-offset slicing, as Go slices strings. */
export function byteSlice(s: string, start: number, end?: number): string {
  // deno-lint-ignore no-control-regex
  if (/^[\x00-\x7f]*$/.test(s)) return s.slice(start, end);
  return bytesToGoString(goStringBytes(s).slice(start, end));
}

export function byteLen(s: string): number {
  // deno-lint-ignore no-control-regex
  return /^[\x00-\x7f]*$/.test(s) ? s.length : goStringBytes(s).length;
}

/** strings.Title: upper-cases the first letter of each word. */
export function title(s: string): string {
  let prev = " ";
  let out = "";
  for (const c of s) {
    const sep = !/^[\p{L}\p{Nd}\p{M}_]$/u.test(prev) && !(prev.codePointAt(0)! >= 0x80 &&
      !isSpaceRune(prev) && !/^[\p{P}\p{S}]$/u.test(prev));
    out += sep ? c.toUpperCase() === c ? c : titleCase(c) : c;
    prev = c;
  }
  return out;
}

function titleCase(c: string): string {
  const u = c.toUpperCase();
  return [...u].length === 1 ? u : c;
}

function untitle(s: string): string {
  // goutils.Uncapitalize: lower-cases the first letter of each whitespace-separated word.
  let prevSpace = true;
  let out = "";
  for (const c of s) {
    out += prevSpace ? c.toLowerCase() : c;
    prevSpace = isSpaceRune(c);
  }
  return out;
}

function abbreviate(s: string, offset: number, maxWidth: number): string {
  const runes = [...s];
  if (runes.length <= maxWidth) return s;
  if (offset > runes.length) offset = runes.length;
  if (runes.length - offset < maxWidth - 3) offset = runes.length - (maxWidth - 3);
  if (offset <= 4) return runes.slice(0, maxWidth - 3).join("") + "...";
  if ((offset + maxWidth - 3) < runes.length) {
    return "..." + abbreviate(runes.slice(offset).join(""), 0, maxWidth - 3);
  }
  return "..." + runes.slice(runes.length - (maxWidth - 3)).join("");
}

/** goutils.DeleteWhiteSpace works byte by byte: each UTF-8 byte becomes a rune (Latin-1). */
function deleteWhiteSpace(s: string): string {
  const bytes = UTF8.encode(s);
  let out = "";
  let kept = 0;
  for (const b of bytes) {
    const c = String.fromCharCode(b);
    if (!isSpaceRune(c)) {
      out += c;
      kept++;
    }
  }
  // Nothing removed: Go returns the input untouched.
  return kept === bytes.length ? s : out;
}

function initials(s: string): string {
  let out = "";
  let lastSpace = true;
  for (const c of s) {
    const space = isSpaceRune(c);
    if (lastSpace && !space) out += c;
    lastSpace = space;
  }
  return out;
}

function swapcase(s: string): string {
  let out = "";
  let whitespace = true;
  for (const c of s) {
    const up = c.toUpperCase();
    const low = c.toLowerCase();
    if (c === up && c !== low) out += low;
    else if (c === low && c !== up) out += whitespace ? up : up;
    else out += c;
    whitespace = isSpaceRune(c);
  }
  return out;
}

function isConnector(c: string): boolean {
  return c === "-" || c === "_" || isSpaceRune(c);
}

/** xstrings.ToPascalCase (Sprig's camelcase). */
function pascalCase(s: string): string {
  const chars = [...s];
  let out = "";
  let i = 0;
  // Leading connectors are kept; the first letter is upper-cased.
  while (i < chars.length && isConnector(chars[i]!)) out += chars[i++];
  if (i >= chars.length) return out;
  let firstUpper = isUpperRune(chars[i]!);
  let cur = chars[i++]!.toUpperCase();
  for (; i < chars.length; i++) {
    const prev = cur;
    cur = chars[i]!;
    if (isConnector(cur) && isConnector(prev)) {
      out += prev; // of a run of connectors, all but the last one are kept
      continue;
    }
    if (isConnector(prev)) {
      // The connector is dropped and the next letter upper-cased.
      firstUpper = isUpperRune(cur);
      cur = cur.toUpperCase();
    } else {
      if (firstUpper) {
        if (isUpperRune(cur)) cur = cur.toLowerCase();
        else firstUpper = false;
      }
      out += prev;
    }
  }
  return out + cur;
}

function isUpperRune(c: string): boolean {
  return /^\p{Lu}$/u.test(c);
}

function wrapCustom(s: string, width: number, newline: string, wrapLong: boolean): string {
  if (width < 1) width = 1;
  const lines = s.split("\n");
  return lines.map((line) => {
    const words = line.split(" ");
    const out: string[] = [];
    let cur = "";
    for (let w of words) {
      if (w === "") {
        if (cur !== "") cur += " ";
        continue;
      }
      if (cur === "") {
        while (wrapLong && w.length > width) {
          out.push(w.slice(0, width));
          w = w.slice(width);
        }
        cur = w;
      } else if (cur.length + 1 + w.length <= width) cur += " " + w;
      else {
        out.push(cur);
        while (wrapLong && w.length > width) {
          out.push(w.slice(0, width));
          w = w.slice(width);
        }
        cur = w;
      }
    }
    out.push(cur);
    return out.join(newline);
  }).join(newline);
}

function substr(start: bigint, end: bigint, s: string): string {
  const len = BigInt(byteLen(s));
  const oob = (detail: string) =>
    new FuncError(`runtime error: slice bounds out of range ${detail}`);
  if (start < 0n) {
    if (end > len) throw oob(`[:${end}] with length ${len}`);
    if (end < 0n) throw oob(`[:${end}]`);
    return byteSlice(s, 0, Number(end));
  }
  if (end < 0n || end > len) {
    if (start > len) throw oob(`[${start}:${len}]`);
    return byteSlice(s, Number(start));
  }
  if (start > end) throw oob(`[${start}:${end}]`);
  return byteSlice(s, Number(start), Number(end));
}

function trunc(c: bigint, s: string): string {
  const len = BigInt(byteLen(s));
  if (c < 0n && len + c > 0n) return byteSlice(s, Number(len + c));
  if (c >= 0n && len > c) return byteSlice(s, 0, Number(c));
  return s;
}

function splitMap(parts: string[]): Record<string, unknown> {
  const m: Record<string, unknown> = Object.create(null);
  parts.forEach((p, i) => (m[`_${i}`] = p));
  return withGoType(m, "map[string]string");
}

/** strings.Split semantics (empty separator splits into UTF-8 characters). */
export function goSplit(s: string, sep: string, n = -1): string[] {
  if (n === 0) return [];
  if (sep === "") {
    const chars = [...s];
    if (n > 0 && chars.length > n) return [...chars.slice(0, n - 1), chars.slice(n - 1).join("")];
    return chars;
  }
  const parts = s.split(sep);
  if (n > 0 && parts.length > n) return [...parts.slice(0, n - 1), parts.slice(n - 1).join(sep)];
  return parts;
}

function repeat(count: bigint, s: string): string {
  if (count < 0n) throw new FuncError("strings: negative Repeat count");
  return s.repeat(Number(count));
}

function quote(...args: unknown[]): string {
  return args.filter((a) => a !== null && a !== undefined).map((a) => goQuoteString(strval(a)))
    .join(" ");
}

function squote(...args: unknown[]): string {
  return args.filter((a) => a !== null && a !== undefined).map((a) => `'${sprint([a])}'`).join(" ");
}

function cat(...args: unknown[]): string {
  const v = args.filter((a) => a !== null && a !== undefined);
  return sprintf(Array(v.length).fill("%v").join(" "), v);
}

function indent(spaces: bigint, v: string): string {
  const pad = " ".repeat(Math.max(0, Number(spaces)));
  return pad + v.replaceAll("\n", "\n" + pad);
}

function plural(one: string, many: string, count: bigint): string {
  return count === 1n ? one : many;
}

export const STRING_FUNCS: Record<string, FuncDef> = {
  hello: def(() => "Hello!"),
  abbrev: def((w: bigint, s: string) => w < 4n ? s : abbreviate(s, 0, Number(w)), "int", "string"),
  abbrevboth: def(
    (l: bigint, r: bigint, s: string) =>
      r < 4n || (l > 0n && r < 7n) ? s : abbreviate(s, Number(l), Number(r)),
    "int",
    "int",
    "string",
  ),
  trunc: def(trunc, "int", "string"),
  trim: def(trimSpace, "string"),
  upper: def((s: string) => s.toUpperCase(), "string"),
  lower: def((s: string) => s.toLowerCase(), "string"),
  title: def(title, "string"),
  untitle: def(untitle, "string"),
  substr: def(substr, "int", "int", "string"),
  repeat: def(repeat, "int", "string"),
  trimall: def((a: string, b: string) => trimCutset(b, a), "string", "string"),
  trimAll: def((a: string, b: string) => trimCutset(b, a), "string", "string"),
  trimSuffix: def(
    (a: string, b: string) => a !== "" && b.endsWith(a) ? b.slice(0, b.length - a.length) : b,
    "string",
    "string",
  ),
  trimPrefix: def(
    (a: string, b: string) => b.startsWith(a) ? b.slice(a.length) : b,
    "string",
    "string",
  ),
  nospace: def(deleteWhiteSpace, "string"),
  initials: def(initials, "string"),
  swapcase: def(swapcase, "string"),
  snakecase: def((s: string) => camelCaseToLowerCase(s, "_"), "string"),
  camelcase: def(pascalCase, "string"),
  kebabcase: def((s: string) => camelCaseToLowerCase(s, "-"), "string"),
  wrap: def((l: bigint, s: string) => wrapCustom(s, Number(l), "\n", false), "int", "string"),
  wrapWith: def(
    (l: bigint, sep: string, s: string) => wrapCustom(s, Number(l), sep, true),
    "int",
    "string",
    "string",
  ),
  contains: def((sub: string, s: string) => s.includes(sub), "string", "string"),
  hasPrefix: def((sub: string, s: string) => s.startsWith(sub), "string", "string"),
  hasSuffix: def((sub: string, s: string) => s.endsWith(sub), "string", "string"),
  quote: def(quote, "...any"),
  squote: def(squote, "...any"),
  cat: def(cat, "...any"),
  indent: def(indent, "int", "string"),
  nindent: def((n: bigint, v: string) => "\n" + indent(n, v), "int", "string"),
  replace: def(
    (o: string, n: string, s: string) => s.replaceAll(o, n),
    "string",
    "string",
    "string",
  ),
  plural: def(plural, "string", "string", "int"),
  toString: def(strval, "any"),
  split: def((sep: string, s: string) => splitMap(goSplit(s, sep)), "string", "string"),
  splitList: def((sep: string, s: string) => strings(goSplit(s, sep)), "string", "string"),
  splitn: def(
    (sep: string, n: bigint, s: string) => splitMap(goSplit(s, sep, Number(n))),
    "string",
    "int",
    "string",
  ),
  toStrings: def((v: unknown) => strings(strslice(v)), "any"),
  join: def((sep: string, v: unknown) => strslice(v).join(sep), "string", "any"),
  sortAlpha: def((v: unknown) => {
    if (Array.isArray(v)) return strings(strslice(v)).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    return strings([strval(v)]);
  }, "any"),
};
