/** Go literal syntax: strconv.Unquote, ParseInt(base 0), ParseFloat, as text/template uses them. */

const UTF8 = new TextEncoder();
const UTF8_DECODER = new TextDecoder("utf-8", { fatal: false });

/** strconv.Unquote for "..." and `...`; throws SyntaxError("invalid syntax"). */
export function unquote(quoted: string): string {
  const q = quoted[0];
  if (q === "`") {
    if (quoted.length < 2 || !quoted.endsWith("`")) throw new SyntaxError("invalid syntax");
    return quoted.slice(1, -1).replaceAll("\r", "");
  }
  if (q !== '"' || quoted.length < 2 || !quoted.endsWith('"')) {
    throw new SyntaxError("invalid syntax");
  }
  const body = quoted.slice(1, -1);
  if (!body.includes("\\")) {
    if (body.includes('"') || body.includes("\n")) throw new SyntaxError("invalid syntax");
    return body;
  }
  const bytes: number[] = [];
  let i = 0;
  while (i < body.length) {
    const [value, isByte, next] = unquoteChar(body, i, '"');
    if (isByte) bytes.push(value);
    else for (const b of UTF8.encode(String.fromCodePoint(value))) bytes.push(b);
    i = next;
  }
  return UTF8_DECODER.decode(new Uint8Array(bytes));
}

/** strconv.UnquoteChar: returns [value, isRawByte, nextIndex]. */
export function unquoteChar(s: string, i: number, quote: string): [number, boolean, number] {
  const c = s[i]!;
  if (c === quote && (quote === "'" || quote === '"')) throw new SyntaxError("invalid syntax");
  if (c !== "\\") {
    const cp = s.codePointAt(i)!;
    return [cp, false, i + (cp > 0xffff ? 2 : 1)];
  }
  if (i + 1 >= s.length) throw new SyntaxError("invalid syntax");
  const e = s[i + 1]!;
  i += 2;
  const simple: Record<string, number> = {
    a: 7,
    b: 8,
    f: 12,
    n: 10,
    r: 13,
    t: 9,
    v: 11,
    "\\": 92,
  };
  if (e in simple) return [simple[e]!, false, i];
  if (e === "x" || e === "u" || e === "U") {
    const n = e === "x" ? 2 : e === "u" ? 4 : 8;
    const hex = s.slice(i, i + n);
    if (hex.length !== n || !/^[0-9a-fA-F]+$/.test(hex)) throw new SyntaxError("invalid syntax");
    const v = parseInt(hex, 16);
    if (e === "x") return [v, true, i + n];
    if (v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff)) throw new SyntaxError("invalid syntax");
    return [v, false, i + n];
  }
  if (e >= "0" && e <= "7") {
    const oct = s.slice(i - 1, i + 2);
    if (!/^[0-7]{3}$/.test(oct)) throw new SyntaxError("invalid syntax");
    const v = parseInt(oct, 8);
    if (v > 255) throw new SyntaxError("invalid syntax");
    return [v, true, i + 2];
  }
  if (e === "'" || e === '"') {
    if (e !== quote) throw new SyntaxError("invalid syntax");
    return [e.charCodeAt(0), false, i];
  }
  throw new SyntaxError("invalid syntax");
}

function underscoreOK(s: string): boolean {
  // Mirrors strconv.underscoreOK: '_' must separate digits (a base prefix counts as a digit).
  let saw = "^";
  let i = 0;
  if (s.length >= 1 && (s[0] === "-" || s[0] === "+")) s = s.slice(1);
  let hex = false;
  if (s.length >= 2 && s[0] === "0" && "bBoOxX".includes(s[1]!)) {
    i = 2;
    saw = "0";
    hex = s[1] === "x" || s[1] === "X";
  }
  for (; i < s.length; i++) {
    const c = s[i]!;
    if ((c >= "0" && c <= "9") || (hex && /[a-fA-F]/.test(c))) {
      saw = "0";
      continue;
    }
    if (c === "_") {
      if (saw !== "0") return false;
      saw = "_";
      continue;
    }
    if (saw === "_") return false;
    saw = "!";
  }
  return saw !== "_";
}

const INT64_MIN = -(1n << 63n);
const INT64_MAX = (1n << 63n) - 1n;
const UINT64_MAX = (1n << 64n) - 1n;

/** strconv.ParseInt(s, 0, 64) (unsigned when `unsigned`); undefined on error. */
export function parseGoInt(text: string, unsigned = false): bigint | undefined {
  let s = text;
  let neg = false;
  if (s.startsWith("+") || s.startsWith("-")) {
    if (unsigned) return undefined;
    neg = s[0] === "-";
    s = s.slice(1);
  }
  if (s.includes("_")) {
    if (!underscoreOK(s)) return undefined;
    s = s.replaceAll("_", "");
  }
  let re = /^[0-9]+$/;
  let digits = s;
  let prefix = "";
  if (/^0[xX]/.test(s)) {
    re = /^[0-9a-fA-F]+$/;
    digits = s.slice(2);
    prefix = "0x";
  } else if (/^0[bB]/.test(s)) {
    re = /^[01]+$/;
    digits = s.slice(2);
    prefix = "0b";
  } else if (/^0[oO]/.test(s)) {
    re = /^[0-7]+$/;
    digits = s.slice(2);
    prefix = "0o";
  } else if (s.length > 1 && s[0] === "0") {
    re = /^[0-7]+$/;
    digits = s.slice(1);
    prefix = "0o";
  }
  if (!re.test(digits)) return undefined;
  let v = BigInt(prefix + digits);
  if (neg) v = -v;
  if (unsigned ? v > UINT64_MAX : v < INT64_MIN || v > INT64_MAX) return undefined;
  return v;
}

/** strconv.ParseFloat(s, 64) for Go literal syntax; undefined on syntax error. */
export function parseGoFloat(text: string): number | undefined {
  let s = text;
  let sign = 1;
  if (s.startsWith("+") || s.startsWith("-")) {
    sign = s[0] === "-" ? -1 : 1;
    s = s.slice(1);
  }
  if (s.includes("_")) {
    if (!underscoreOK(s)) return undefined;
    s = s.replaceAll("_", "");
  }
  if (/^0[xX]/.test(s)) {
    const m = /^0[xX]([0-9a-fA-F]*)(?:\.([0-9a-fA-F]*))?[pP]([+-]?[0-9]+)$/.exec(s);
    if (!m || (m[1] === "" && (m[2] ?? "") === "")) return undefined;
    const mant = parseInt((m[1] ?? "") + (m[2] ?? ""), 16) || 0;
    const exp = Number(m[3]) - 4 * (m[2] ?? "").length;
    return sign * mant * Math.pow(2, exp);
  }
  if (!/^([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?$/.test(s)) return undefined;
  return sign * Number(s);
}
