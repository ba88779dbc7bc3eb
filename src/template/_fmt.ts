/** Go's fmt package (Sprint, Sprintln, Sprintf) over the template value model. */
import { isPrintRune, quoteChar } from "./_lexer.ts";
import { GoBytes, GoInt64, GoTime, JsonNumber, recordedGoType } from "./values.ts";
import { formatGoTime } from "./_time.ts";
import { isGoObject, isStruct, structName } from "./_methods.ts";
import { goStringBytes } from "./_go_string.ts";

interface Flags {
  plus: boolean;
  minus: boolean;
  sharp: boolean;
  space: boolean;
  zero: boolean;
  plusV: boolean;
  sharpV: boolean;
  wid: number;
  widPresent: boolean;
  prec: number;
  precPresent: boolean;
}

function newFlags(): Flags {
  return {
    plus: false,
    minus: false,
    sharp: false,
    space: false,
    zero: false,
    plusV: false,
    sharpV: false,
    wid: 0,
    widPresent: false,
    prec: 0,
    precPresent: false,
  };
}

/** Go's type name of a template value, as reflect.Type.String() prints it. */
export function goTypeName(v: unknown): string {
  if (v === null || v === undefined) return "<nil>";
  switch (typeof v) {
    case "boolean":
      return "bool";
    case "number":
      return "float64";
    case "bigint":
      return "int";
    case "string":
      return "string";
    case "function":
      return "func(...interface {}) (interface {}, error)";
  }
  if (v instanceof JsonNumber) return "json.Number";
  if (v instanceof GoInt64) return v.goType;
  if (v instanceof GoBytes || v instanceof Uint8Array) return "[]uint8";
  if (v instanceof GoTime || v instanceof Date) return "time.Time";
  if (isGoObject(v)) return v.goTypeName;
  if (isStruct(v)) return "main." + structName(v);
  const recorded = recordedGoType(v as object);
  if (recorded !== undefined) return recorded;
  if (Array.isArray(v)) return "[]interface {}";
  return "map[string]interface {}";
}

/** Kinds used by fmt and the comparison builtins. */
export type Kind =
  | "invalid"
  | "nil"
  | "bool"
  | "int"
  | "float"
  | "string"
  | "bytes"
  | "slice"
  | "map"
  | "time"
  | "struct"
  | "func";

export function kindOf(v: unknown): Kind {
  if (v === undefined) return "invalid";
  if (v === null) return "nil";
  switch (typeof v) {
    case "boolean":
      return "bool";
    case "number":
      return "float";
    case "bigint":
      return "int";
    case "string":
      return "string";
    case "function":
      return "func";
  }
  if (v instanceof JsonNumber) return "string";
  if (v instanceof GoInt64) return "int";
  if (v instanceof GoBytes || v instanceof Uint8Array) return "bytes";
  if (v instanceof GoTime || v instanceof Date || isGoObject(v)) return "time";
  if (Array.isArray(v)) return "slice";
  if (isStruct(v)) return "struct";
  return "map";
}

/** The integer value of an int-kind value (bigint or GoInt64). */
export function intOf(v: unknown): bigint {
  return v instanceof GoInt64 ? v.value : v as bigint;
}

export function bytesOf(v: GoBytes | Uint8Array): Uint8Array {
  return v instanceof GoBytes ? v.bytes : v;
}

/** Entries of a map value sorted as Go's fmt and range sort string keys (bytewise). */
export function mapEntries(v: unknown): [string, unknown][] {
  const entries: [string, unknown][] = v instanceof Map
    ? [...(v as Map<unknown, unknown>).entries()].map(([k, x]) => [String(k), x])
    : Object.entries(v as Record<string, unknown>);
  return entries.sort((a, b) => compareStrings(a[0], b[0]));
}

/** Bytewise (UTF-8 order) string comparison, as Go compares strings. */
export function compareStrings(a: string, b: string): number {
  if (a === b) return 0;
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x !== y) {
      // Surrogates (astral code points) sort after all BMP characters in UTF-8.
      const xs = x >= 0xd800 && x <= 0xdfff;
      const ys = y >= 0xd800 && y <= 0xdfff;
      if (xs !== ys) return xs ? 1 : -1;
      return x < y ? -1 : 1;
    }
  }
  return a.length < b.length ? -1 : 1;
}

const UTF8_DECODER = new TextDecoder();

export function utf8Length(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (c >= 0xd800 && c <= 0xdbff) {
      n += 4;
      i++;
    } else n += 3;
  }
  return n;
}

// ---------------------------------------------------------------- floats

interface Digits {
  d: string; // significant digits, no leading zeros
  dp: number; // decimal point position
  neg: boolean;
}

/** Exact decimal expansion of a finite double's magnitude. */
function exactDecimal(x: number): { d: string; dp: number } {
  if (x === 0) return { d: "", dp: 0 };
  const buf = new DataView(new ArrayBuffer(8));
  buf.setFloat64(0, Math.abs(x));
  const hi = buf.getUint32(0);
  const lo = buf.getUint32(4);
  const expBits = (hi >>> 20) & 0x7ff;
  let mant = (BigInt(hi & 0xfffff) << 32n) | BigInt(lo);
  let exp: number;
  if (expBits === 0) exp = -1074;
  else {
    mant |= 1n << 52n;
    exp = expBits - 1075;
  }
  let digits: string;
  let dp: number;
  if (exp >= 0) {
    digits = (mant << BigInt(exp)).toString();
    dp = digits.length;
  } else {
    digits = (mant * 5n ** BigInt(-exp)).toString();
    dp = digits.length + exp;
  }
  digits = digits.replace(/0+$/, "");
  return { d: digits, dp };
}

/** Rounds a decimal to nd digits, half to even (as strconv does on exact values). */
function roundDigits(dec: { d: string; dp: number }, nd: number): { d: string; dp: number } {
  let { d, dp } = dec;
  if (nd < 0) return { d: "", dp };
  if (nd >= d.length) return { d, dp };
  const rest = d.slice(nd);
  let up: boolean;
  if (rest[0]! > "5") up = true;
  else if (rest[0]! < "5") up = false;
  else if (/[1-9]/.test(rest.slice(1))) up = true;
  else up = nd > 0 && (d.charCodeAt(nd - 1) - 48) % 2 === 1;
  d = d.slice(0, nd);
  if (up) {
    let i = nd - 1;
    const arr = d.split("");
    while (i >= 0 && arr[i] === "9") {
      arr[i] = "0";
      i--;
    }
    if (i < 0) {
      arr.unshift("1");
      dp++;
    } else arr[i] = String.fromCharCode(arr[i]!.charCodeAt(0) + 1);
    d = arr.join("");
  }
  d = d.replace(/0+$/, "");
  return { d, dp };
}

function shortestDigits(x: number): { d: string; dp: number } {
  if (x === 0) return { d: "", dp: 0 };
  const [m, e] = Math.abs(x).toExponential().split("e");
  const d = m!.replace(".", "").replace(/0+$/, "");
  return { d, dp: Number(e) + 1 };
}

/** strconv.FormatFloat(x, fmt, prec, 64) for fmt in e E f g G. */
export function formatFloat(x: number, fmt: string, prec: number): string {
  if (Number.isNaN(x)) return "NaN";
  if (x === Infinity) return "+Inf";
  if (x === -Infinity) return "-Inf";
  const neg = x < 0 || Object.is(x, -0);
  const shortest = prec < 0;
  let digs: Digits;
  let eprecShortest = false;
  if (shortest) {
    digs = { ...shortestDigits(x), neg };
    switch (fmt) {
      case "e":
      case "E":
        prec = Math.max(digs.d.length - 1, 0);
        break;
      case "f":
        prec = Math.max(digs.d.length - digs.dp, 0);
        break;
      case "g":
      case "G":
        prec = digs.d.length;
        eprecShortest = true;
        break;
    }
  } else {
    const exact = exactDecimal(x);
    switch (fmt) {
      case "e":
      case "E":
        digs = { ...roundDigits(exact, prec + 1), neg };
        break;
      case "f":
        digs = { ...roundDigits(exact, exact.dp + prec), neg };
        break;
      default:
        if (prec === 0) prec = 1;
        digs = { ...roundDigits(exact, prec), neg };
    }
  }
  if (fmt === "e" || fmt === "E") return fmtE(digs, prec, fmt);
  if (fmt === "f") return fmtF(digs, prec);
  // %g
  let eprec = prec;
  const nd = digs.d.length;
  if (eprec > nd && nd >= digs.dp) eprec = nd;
  if (eprecShortest) eprec = 6;
  const exp = digs.dp - 1;
  if (nd === 0 ? false : exp < -4 || exp >= eprec) {
    if (prec > nd) prec = nd;
    return fmtE(digs, prec - 1, fmt === "g" ? "e" : "E");
  }
  if (prec > digs.dp) prec = nd;
  return fmtF(digs, Math.max(prec - digs.dp, 0));
}

function fmtE(digs: Digits, prec: number, fmt: string): string {
  let s = digs.neg ? "-" : "";
  s += digs.d.length === 0 ? "0" : digs.d[0];
  if (prec > 0) {
    s += ".";
    let i = 1;
    const m = Math.min(digs.d.length, prec + 1);
    if (i < m) {
      s += digs.d.slice(i, m);
      i = m;
    }
    for (; i <= prec; i++) s += "0";
  }
  s += fmt;
  let exp = digs.dp - 1;
  if (digs.d.length === 0) exp = 0;
  s += exp < 0 ? "-" : "+";
  exp = Math.abs(exp);
  s += exp < 10 ? "0" + exp : String(exp);
  return s;
}

function fmtF(digs: Digits, prec: number): string {
  let s = digs.neg ? "-" : "";
  if (digs.dp > 0) {
    const m = Math.min(digs.d.length, digs.dp);
    s += digs.d.slice(0, m);
    for (let i = m; i < digs.dp; i++) s += "0";
  } else s += "0";
  if (prec > 0) {
    s += ".";
    for (let i = 1; i <= prec; i++) {
      const j = digs.dp + i - 1;
      s += j >= 0 && j < digs.d.length ? digs.d[j] : "0";
    }
  }
  return s;
}

/** strconv.Quote. */
export function goQuoteString(s: string, asciiOnly = false): string {
  let out = '"';
  for (const ch of s) {
    const escapedByte = ch.length === 1 && /[\udc80-\udcff]/.test(ch);
    if (asciiOnly && ch.codePointAt(0)! >= 0x80 && !escapedByte) {
      const cp = ch.codePointAt(0)!;
      out += cp < 0x10000
        ? "\\u" + cp.toString(16).padStart(4, "0")
        : "\\U" + cp.toString(16).padStart(8, "0");
    } else out += quoteChar(ch, '"');
  }
  return out + '"';
}

function quoteRune(cp: number, asciiOnly = false): string {
  if (cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff) || cp < 0) cp = 0xfffd;
  const ch = String.fromCodePoint(cp);
  if (asciiOnly && cp >= 0x80) {
    return "'" + (cp < 0x10000
      ? "\\u" + cp.toString(16).padStart(4, "0")
      : "\\U" + cp.toString(16).padStart(8, "0")) +
      "'";
  }
  return "'" + quoteChar(ch, "'") + "'";
}

function canBackquote(s: string): boolean {
  for (const ch of s) {
    const cp = ch.codePointAt(0)!;
    if (ch === "`" || ch === "\ufeff") return false;
    if (cp < 0x20 && ch !== "\t") return false;
    if (cp === 0x7f) return false;
  }
  return true;
}

// ---------------------------------------------------------------- printer

class Printer {
  buf = "";
  f: Flags = newFlags();
  arg: unknown = undefined;

  writePadding(n: number): void {
    if (n <= 0) return;
    this.buf += (this.f.zero ? "0" : " ").repeat(n);
  }
  pad(s: string): void {
    if (!this.f.widPresent || this.f.wid === 0) {
      this.buf += s;
      return;
    }
    const width = this.f.wid - [...s].length;
    if (!this.f.minus) {
      this.writePadding(width);
      this.buf += s;
    } else {
      this.buf += s;
      this.writePadding(width);
    }
  }
  padString(s: string): void {
    this.pad(s);
  }

  badVerb(verb: string, value: unknown): void {
    this.buf += "%!" + verb + "(";
    if (value === null || value === undefined) {
      this.buf += "<nil>";
    } else {
      this.buf += goTypeName(value) + "=";
      this.printArg(value, "v", 1, true);
    }
    this.buf += ")";
  }

  fmtBool(v: boolean, verb: string): void {
    if (verb === "t" || verb === "v") this.padString(v ? "true" : "false");
    else this.badVerb(verb, v);
  }

  fmtInteger(u: bigint, verb: string, typeForBad: unknown = u): void {
    switch (verb) {
      case "v":
        if (this.f.sharpV) return this.fmtIntegerBase(u, 10, "d");
        return this.fmtIntegerBase(u, 10, "d");
      case "d":
        return this.fmtIntegerBase(u, 10, verb);
      case "b":
        return this.fmtIntegerBase(u, 2, verb);
      case "o":
      case "O":
        return this.fmtIntegerBase(u, 8, verb);
      case "x":
        return this.fmtIntegerBase(u, 16, verb);
      case "X":
        return this.fmtIntegerBase(u, 16, verb);
      case "c":
        return this.padString(runeString(u));
      case "q":
        return this.padString(quoteRune(Number(u), this.f.plus));
      case "U":
        return this.fmtUnicode(u);
      default:
        this.badVerb(verb, typeForBad);
    }
  }

  fmtUnicode(u: bigint): void {
    let s = "U+" + (u < 0n ? (u + (1n << 64n)) : u).toString(16).toUpperCase().padStart(4, "0");
    if (this.f.precPresent && this.f.prec > 4) {
      s = "U+" + u.toString(16).toUpperCase().padStart(this.f.prec, "0");
    }
    if (this.f.sharp && u >= 0n && u <= 0x10ffffn && isPrintRune(Number(u))) {
      s += " '" + String.fromCodePoint(Number(u)) + "'";
    }
    const oldZero = this.f.zero;
    this.f.zero = false;
    this.pad(s);
    this.f.zero = oldZero;
  }

  fmtIntegerBase(u: bigint, base: number, verb: string): void {
    const negative = u < 0n;
    const f = this.f;
    let prec = 0;
    if (f.precPresent) {
      prec = f.prec;
      if (prec === 0 && u === 0n) {
        const oldZero = f.zero;
        f.zero = false;
        this.writePadding(f.wid);
        f.zero = oldZero;
        return;
      }
    } else if (f.zero && !f.minus && f.widPresent) {
      prec = f.wid;
      if (negative || f.plus || f.space) prec--;
    }
    let digits = (negative ? -u : u).toString(base);
    if (verb === "X") digits = digits.toUpperCase();
    while (digits.length < prec) digits = "0" + digits;
    if (f.sharp) {
      if (base === 2) digits = "0b" + digits;
      else if (base === 8 && digits[0] !== "0") digits = "0" + digits;
      else if (base === 16) digits = (verb === "X" ? "0X" : "0x") + digits;
    }
    if (verb === "O") digits = "0o" + digits;
    if (negative) digits = "-" + digits;
    else if (f.plus) digits = "+" + digits;
    else if (f.space) digits = " " + digits;
    const oldZero = f.zero;
    f.zero = false;
    this.pad(digits);
    f.zero = oldZero;
  }

  fmtFloat(v: number, verb: string): void {
    switch (verb) {
      case "v":
        return this.fmtFloatWith(v, "g", -1);
      case "g":
      case "G":
      case "x":
      case "X":
      case "b":
        return this.fmtFloatWith(v, verb, -1);
      case "f":
      case "F":
      case "e":
      case "E":
        return this.fmtFloatWith(v, verb === "F" ? "f" : verb, 6);
      default:
        this.badVerb(verb, v);
    }
  }

  fmtFloatWith(v: number, verb: string, prec: number): void {
    const f = this.f;
    if (f.precPresent) prec = f.prec;
    let num: string;
    if (verb === "x" || verb === "X" || verb === "b") num = formatFloatHex(v, verb, prec);
    else num = formatFloat(v, verb, prec);
    if (num[0] !== "-" && num[0] !== "+") num = "+" + num;
    if (f.space && num[0] === "+" && !f.plus) num = " " + num.slice(1);
    if (num[1] === "I" || num[1] === "N") {
      const oldZero = f.zero;
      f.zero = false;
      if (num[1] === "N" && !f.space && !f.plus) num = num.slice(1);
      this.pad(num);
      f.zero = oldZero;
      return;
    }
    if (f.sharp && verb !== "b") {
      let digits = 0;
      if (verb === "v" || verb === "g" || verb === "G" || verb === "x") {
        digits = prec;
        if (digits === -1) digits = 6;
      }
      // Split off the exponent.
      let tail = "";
      const expIdx = num.search(/[eEpP]/);
      let body = num;
      if (expIdx >= 0) {
        tail = num.slice(expIdx);
        body = num.slice(0, expIdx);
      }
      let sawNonzero = false;
      let hasDot = false;
      for (let i = 1; i < body.length; i++) {
        const c = body[i]!;
        if (c === ".") hasDot = true;
        else if (c >= "1" && c <= "9") {
          sawNonzero = true;
          digits--;
        } else if (c === "0" && sawNonzero) digits--;
        else if (c === "0" && !hasDot) {
          // leading zero
        }
      }
      if (!hasDot) {
        if (body.length === 2 && body[1] === "0") digits--;
        body += ".";
      }
      while (digits > 0) {
        body += "0";
        digits--;
      }
      num = body + tail;
    }
    if (f.plus || num[0] !== "+") {
      if (f.zero && !f.minus && f.widPresent && f.wid > num.length) {
        this.buf += num[0];
        this.writePadding(f.wid - num.length);
        this.buf += num.slice(1);
        return;
      }
      this.pad(num);
      return;
    }
    this.pad(num.slice(1));
  }

  fmtString(s: string, verb: string, value: unknown): void {
    switch (verb) {
      case "v":
        if (this.f.sharpV) return this.fmtQ(s);
        return this.fmtS(s);
      case "s":
        return this.fmtS(s);
      case "x":
      case "X":
        return this.fmtSx(goStringBytes(s), verb);
      case "q":
        return this.fmtQ(s);
      default:
        this.badVerb(verb, value);
    }
  }

  truncate(s: string): string {
    if (this.f.precPresent) {
      const runes = [...s];
      if (runes.length > this.f.prec) return runes.slice(0, this.f.prec).join("");
    }
    return s;
  }

  fmtS(s: string): void {
    this.padString(this.truncate(s));
  }

  fmtQ(s: string): void {
    s = this.truncate(s);
    if (this.f.sharp && canBackquote(s)) {
      this.padString("`" + s + "`");
      return;
    }
    this.padString(goQuoteString(s, this.f.plus));
  }

  fmtSx(bytes: Uint8Array, verb: string): void {
    const digits = verb === "X" ? "0123456789ABCDEF" : "0123456789abcdef";
    let length = bytes.length;
    if (this.f.precPresent && this.f.prec < length) length = this.f.prec;
    let s = "";
    for (let i = 0; i < length; i++) {
      if (this.f.space && i > 0) s += " ";
      if (this.f.sharp && (this.f.space || i === 0)) s += verb === "X" ? "0X" : "0x";
      const b = bytes[i]!;
      s += digits[b >> 4]! + digits[b & 15]!;
    }
    if (length === 0 && this.f.widPresent) {
      this.writePadding(this.f.wid);
      return;
    }
    this.pad(s);
  }

  fmtBytes(bytes: Uint8Array, verb: string, value: unknown, depth = 0): void {
    switch (verb) {
      case "v":
      case "d": {
        if (this.f.sharpV) {
          this.buf += depth === 0 ? "[]byte{" : "[]uint8{";
          bytes.forEach((b, i) => {
            if (i > 0) this.buf += ", ";
            this.buf += "0x" + b.toString(16);
          });
          this.buf += "}";
          return;
        }
        this.buf += "[";
        bytes.forEach((b, i) => {
          if (i > 0) this.buf += " ";
          this.fmtIntegerBase(BigInt(b), 10, "d");
        });
        this.buf += "]";
        return;
      }
      case "s":
        return this.fmtS(UTF8_DECODER.decode(bytes));
      case "x":
      case "X":
        return this.fmtSx(bytes, verb);
      case "q":
        return this.fmtQ(UTF8_DECODER.decode(bytes));
    }
    this.buf += "[";
    bytes.forEach((b, i) => {
      if (i > 0) this.buf += " ";
      this.fmtInteger(BigInt(b), verb, new GoInt64(BigInt(b), "uint8"));
    });
    this.buf += "]";
    void value;
  }

  /** printArg / printValue merged: depth > 0 means inside a container. */
  printArg(v: unknown, verb: string, depth = 0, inBadVerb = false): void {
    if (v === null || v === undefined) {
      if (depth > 0 && !inBadVerb) {
        this.buf += this.f.sharpV ? "interface {}(nil)" : "<nil>";
        return;
      }
      if (verb === "T" || verb === "v") this.padString(this.f.sharpV ? "<nil>" : "<nil>");
      else this.badVerb(verb, v);
      return;
    }
    if (verb === "T") {
      this.fmtS(goTypeName(v));
      return;
    }
    if (v instanceof GoInt64) {
      this.fmtInteger(v.value, verb, v);
      return;
    }
    switch (typeof v) {
      case "boolean":
        return this.fmtBool(v, verb);
      case "number":
        return this.fmtFloat(v, verb);
      case "bigint":
        return this.fmtInteger(v, verb);
      case "string":
        return this.fmtString(v, verb, v);
      case "function":
        if (verb === "v" || verb === "p") this.padString("0xc000010000");
        else this.badVerb(verb, v);
        return;
    }
    if (v instanceof JsonNumber) {
      if (verb === "v" || verb === "s" || verb === "x" || verb === "X" || verb === "q") {
        return this.fmtString(v.text, verb === "v" && this.f.sharpV ? "q" : verb, v);
      }
      return this.fmtString(v.text, verb, v);
    }
    if (v instanceof GoBytes || v instanceof Uint8Array) {
      return this.fmtBytes(bytesOf(v), verb, v, depth);
    }
    if (v instanceof GoTime || v instanceof Date || isGoObject(v)) {
      const s = isGoObject(v) ? v.goString() : formatGoTime(
        v instanceof Date ? new GoTime(v.getTime()) : v,
        "2006-01-02 15:04:05.999999999 -0700 MST",
      );
      if (verb === "v" || verb === "s" || verb === "x" || verb === "X" || verb === "q") {
        return this.fmtString(s, verb, v);
      }
      this.badVerb(verb, v);
      return;
    }
    if (Array.isArray(v)) {
      if (verb === "s" || verb === "q" || verb === "x" || verb === "X") {
        // []interface{} is not a byte slice: elementwise.
      }
      if (this.f.sharpV) {
        this.buf += goTypeName(v) + "{";
        v.forEach((x, i) => {
          if (i > 0) this.buf += ", ";
          this.printArg(x, verb, depth + 1);
        });
        this.buf += "}";
        return;
      }
      this.buf += "[";
      v.forEach((x, i) => {
        if (i > 0) this.buf += " ";
        this.printArg(x, verb, depth + 1);
      });
      this.buf += "]";
      return;
    }
    if (isStruct(v)) {
      // A struct: {v1 v2}, %+v {A:v1 B:v2}, %#v main.T{A:v1, B:v2}.
      const fields = Object.entries(v);
      const named = this.f.plusV || this.f.sharpV;
      this.buf += this.f.sharpV ? goTypeName(v) + "{" : "{";
      fields.forEach(([k, x], i) => {
        if (i > 0) this.buf += this.f.sharpV ? ", " : " ";
        if (named) this.buf += k + ":";
        this.printArg(x, verb, depth + 1);
      });
      this.buf += "}";
      return;
    }
    // map
    const entries = mapEntries(v);
    if (this.f.sharpV) {
      this.buf += goTypeName(v) + "{";
      entries.forEach(([k, x], i) => {
        if (i > 0) this.buf += ", ";
        this.printArg(k, verb, depth + 1);
        this.buf += ":";
        this.printArg(x, verb, depth + 1);
      });
      this.buf += "}";
      return;
    }
    this.buf += "map[";
    entries.forEach(([k, x], i) => {
      if (i > 0) this.buf += " ";
      this.printArg(k, verb, depth + 1);
      this.buf += ":";
      this.printArg(x, verb, depth + 1);
    });
    this.buf += "]";
  }
}

function runeString(u: bigint): string {
  const n = Number(u);
  if (n < 0 || n > 0x10ffff || (n >= 0xd800 && n <= 0xdfff)) return "\ufffd";
  return String.fromCodePoint(n);
}

/** %x / %b of a float (rarely used; approximates strconv's 'x' and 'b'). */
function formatFloatHex(v: number, verb: string, prec: number): string {
  if (Number.isNaN(v)) return "NaN";
  if (!Number.isFinite(v)) return v > 0 ? "+Inf" : "-Inf";
  const buf = new DataView(new ArrayBuffer(8));
  buf.setFloat64(0, v);
  const hi = buf.getUint32(0);
  const lo = buf.getUint32(4);
  const neg = (hi >>> 31) === 1;
  const expBits = (hi >>> 20) & 0x7ff;
  let mant = (BigInt(hi & 0xfffff) << 32n) | BigInt(lo);
  let exp = expBits - 1075;
  if (expBits === 0) exp = -1074;
  else mant |= 1n << 52n;
  if (verb === "b") return `${neg ? "-" : ""}${mant}p${exp >= 0 ? "+" : ""}${exp}`;
  if (mant === 0n) {
    const z = prec > 0 ? "0." + "0".repeat(prec) : "0";
    const s = `${neg ? "-" : ""}0x${z}p+00`;
    return verb === "X" ? s.toUpperCase() : s;
  }
  // Normalize to 1.xxx * 2^e with 52 fraction bits.
  while (mant < (1n << 52n)) {
    mant <<= 1n;
    exp--;
  }
  let e = exp + 52;
  let frac = mant - (1n << 52n);
  let fracHex = frac.toString(16).padStart(13, "0");
  let lead = 1n;
  if (prec >= 0 && prec < 13) {
    const shift = BigInt((13 - prec) * 4);
    const full = (lead << 52n) | frac;
    const half = 1n << (shift - 1n);
    let q = full >> shift;
    const r = full & ((1n << shift) - 1n);
    if (r > half || (r === half && (q & 1n) === 1n)) q++;
    if (q >> BigInt(prec * 4) >= 2n) {
      q >>= 1n;
      e++;
    }
    lead = q >> BigInt(prec * 4);
    frac = q & ((1n << BigInt(prec * 4)) - 1n);
    fracHex = prec === 0 ? "" : frac.toString(16).padStart(prec, "0");
  } else {
    fracHex = fracHex.replace(/0+$/, "");
    if (prec > 13) fracHex = fracHex.padEnd(prec, "0");
  }
  const es = Math.abs(e) < 10 ? "0" + Math.abs(e) : String(Math.abs(e));
  let s = `${neg ? "-" : ""}0x${lead}${fracHex ? "." + fracHex : ""}p${e < 0 ? "-" : "+"}${es}`;
  if (verb === "X") s = s.toUpperCase();
  return s;
}

/** fmt.Sprint. */
export function sprint(args: unknown[]): string {
  const p = new Printer();
  let prevString = false;
  args.forEach((a, i) => {
    const isString = typeof a === "string" || a instanceof JsonNumber;
    if (i > 0 && !isString && !prevString) p.buf += " ";
    p.f = newFlags();
    p.printArg(a, "v");
    prevString = isString;
  });
  return p.buf;
}

/** fmt.Sprintln. */
export function sprintln(args: unknown[]): string {
  const p = new Printer();
  args.forEach((a, i) => {
    if (i > 0) p.buf += " ";
    p.f = newFlags();
    p.printArg(a, "v");
  });
  return p.buf + "\n";
}

/** fmt.Sprintf. */
export function sprintf(format: string, args: unknown[]): string {
  const p = new Printer();
  let argNum = 0;
  let afterIndex = false;
  let reordered = false;
  const end = format.length;
  let i = 0;

  const argNumber = (): { n: number; ok: boolean; found: boolean } => {
    // [n] explicit argument index
    if (i >= end || format[i] !== "[") return { n: argNum, ok: true, found: false };
    reordered = true;
    const close = format.indexOf("]", i);
    if (close < 0) {
      i = end;
      return { n: argNum, ok: false, found: true };
    }
    const num = format.slice(i + 1, close);
    i = close + 1;
    if (!/^[0-9]+$/.test(num)) return { n: argNum, ok: false, found: true };
    const idx = Number(num) - 1;
    if (idx < 0 || idx >= args.length) return { n: argNum, ok: false, found: true };
    return { n: idx, ok: true, found: true };
  };

  const intFromArg = (): { num: number; isInt: boolean } => {
    if (argNum >= args.length) return { num: 0, isInt: false };
    const a = args[argNum];
    argNum++;
    if (kindOf(a) !== "int") return { num: 0, isInt: false };
    const num = Number(intOf(a));
    if (num > 1e6 || num < -1e6) return { num: 0, isInt: false };
    return { num, isInt: true };
  };

  while (i < end) {
    p.f = newFlags();
    const lasti = i;
    while (i < end && format[i] !== "%") i++;
    if (i > lasti) p.buf += format.slice(lasti, i);
    if (i >= end) break;
    i++; // skip %
    // flags
    flags: while (i < end) {
      switch (format[i]) {
        case "#":
          p.f.sharp = true;
          break;
        case "0":
          p.f.zero = !p.f.minus;
          break;
        case "+":
          p.f.plus = true;
          break;
        case "-":
          p.f.minus = true;
          p.f.zero = false;
          break;
        case " ":
          p.f.space = true;
          break;
        default:
          break flags;
      }
      i++;
    }
    // argument index and width
    let r = argNumber();
    if (r.found) afterIndex = true;
    if (!r.ok) {
      // bad index; handled at verb
    }
    argNum = r.ok ? r.n : argNum;
    let badIndex = !r.ok;
    if (i < end && format[i] === "*") {
      i++;
      const w = intFromArg();
      p.f.wid = w.num;
      p.f.widPresent = w.isInt;
      if (!w.isInt) p.buf += "%!(BADWIDTH)";
      if (p.f.wid < 0) {
        p.f.wid = -p.f.wid;
        p.f.minus = true;
        p.f.zero = false;
      }
      afterIndex = false;
    } else {
      const start = i;
      while (i < end && format[i]! >= "0" && format[i]! <= "9") i++;
      if (i > start) {
        p.f.wid = Number(format.slice(start, i));
        p.f.widPresent = true;
        if (afterIndex) p.buf += "%!(BADWIDTH)";
      }
    }
    // precision
    if (i + 1 <= end && format[i] === ".") {
      i++;
      if (afterIndex) p.buf += "%!(BADPREC)";
      r = argNumber();
      if (r.found) afterIndex = true;
      argNum = r.ok ? r.n : argNum;
      badIndex = badIndex || !r.ok;
      if (i < end && format[i] === "*") {
        i++;
        const pr = intFromArg();
        p.f.prec = pr.num;
        p.f.precPresent = pr.isInt;
        if (p.f.prec < 0) {
          p.f.prec = 0;
          p.f.precPresent = false;
        }
        if (!pr.isInt) p.buf += "%!(BADPREC)";
        afterIndex = false;
      } else {
        const start = i;
        while (i < end && format[i]! >= "0" && format[i]! <= "9") i++;
        p.f.prec = i > start ? Number(format.slice(start, i)) : 0;
        p.f.precPresent = true;
      }
    }
    if (!afterIndex) {
      r = argNumber();
      if (r.found) afterIndex = true;
      argNum = r.ok ? r.n : argNum;
      badIndex = badIndex || !r.ok;
    }
    if (i >= end) {
      p.buf += "%!(NOVERB)";
      break;
    }
    const verb = String.fromCodePoint(format.codePointAt(i)!);
    i += verb.length;
    if (verb === "%") {
      p.buf += "%";
      continue;
    }
    if (badIndex) {
      p.buf += "%!" + verb + "(BADINDEX)";
      continue;
    }
    if (argNum >= args.length) {
      p.buf += "%!" + verb + "(MISSING)";
      continue;
    }
    if (verb === "w") {
      p.badVerb(verb, args[argNum]);
      argNum++;
      continue;
    }
    if (verb === "v") {
      p.f.sharpV = p.f.sharp;
      p.f.sharp = false;
      p.f.plusV = p.f.plus;
      p.f.plus = false;
    }
    p.printArg(args[argNum], verb);
    argNum++;
    afterIndex = false;
  }
  if (!reordered && argNum < args.length) {
    p.f = newFlags();
    p.buf += "%!(EXTRA ";
    args.slice(argNum).forEach((a, k) => {
      if (k > 0) p.buf += ", ";
      if (a === null || a === undefined) p.buf += "<nil>";
      else {
        p.buf += goTypeName(a) + "=";
        p.printArg(a, "v");
      }
    });
    p.buf += ")";
  }
  return p.buf;
}
