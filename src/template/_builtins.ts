/** Go text/template's builtin functions (mirrors text/template/funcs.go). */
import { def, type FuncDef, FuncError } from "./_func_def.ts";
import { bytesOf, goTypeName, intOf, kindOf, sprint, sprintf, sprintln } from "./_fmt.ts";
import { isTrue } from "./_exec.ts";
import { isPrintRune } from "./_lexer.ts";
import { GoBytes, GoInt64, GoTime, JsonNumber } from "./values.ts";
import { bytesToGoString, goStringBytes } from "./_go_string.ts";

const UTF8 = new TextEncoder();

type BasicKind = "bool" | "int" | "float" | "string" | "invalid";

function basicKind(v: unknown): BasicKind {
  switch (kindOf(v)) {
    case "bool":
      return "bool";
    case "int":
      return "int";
    case "float":
      return "float";
    case "string":
      return "string";
    default:
      return "invalid";
  }
}

/** indirectInterface: a nil interface is no value. */
function ind(v: unknown): unknown {
  return v === null ? undefined : v;
}

function str(v: unknown): string {
  return v instanceof JsonNumber ? v.text : (v as string);
}

function goLess(a: unknown, b: unknown, k: BasicKind): boolean {
  if (k === "string") {
    const x = str(a);
    const y = str(b);
    return x < y; // UTF-16 order matches UTF-8 order for BMP text.
  }
  if (k === "int") return intOf(a) < intOf(b);
  return (a as number) < (b as number);
}

function basicEqual(a: unknown, b: unknown, k: BasicKind): boolean {
  if (k === "string") return str(a) === str(b);
  if (k === "int") return intOf(a) === intOf(b);
  return a === b;
}

function isComparable(v: unknown): boolean {
  const k = kindOf(v);
  return k === "time" || k === "struct" || k === "bool" || k === "int" || k === "float" ||
    k === "string";
}

function eq(arg1: unknown, ...arg2: unknown[]): boolean {
  arg1 = ind(arg1);
  if (arg2.length === 0) throw new FuncError("missing argument for comparison");
  const k1 = basicKind(arg1);
  for (let arg of arg2) {
    arg = ind(arg);
    const k2 = basicKind(arg);
    let truth = false;
    if (k1 !== k2) {
      if (arg1 !== undefined && arg !== undefined) {
        throw new FuncError(
          `incompatible types for comparison: ${goTypeName(arg1)} and ${goTypeName(arg)}`,
        );
      }
    } else if (k1 !== "invalid") {
      truth = basicEqual(arg1, arg, k1);
    } else {
      const a = kindOf(arg1);
      const b = kindOf(arg);
      if (a !== b && a !== "invalid" && b !== "invalid") {
        throw new FuncError(
          `non-comparable types ${goTypeName(arg1)}, ${goTypeName(arg)}`,
        );
      }
      if (arg1 === undefined || arg === undefined) {
        truth = (arg1 === undefined) === (arg === undefined);
      } else {
        if (!isComparable(arg)) throw new FuncError(`non-comparable type ${goTypeName(arg)}`);
        truth = arg1 instanceof GoTime && arg instanceof GoTime
          ? arg1.ms === arg.ms && arg1.nsExtra === arg.nsExtra && arg1.zone === arg.zone
          : arg1 === arg;
      }
    }
    if (truth) return true;
  }
  return false;
}

function lt(arg1: unknown, arg2: unknown): boolean {
  arg1 = ind(arg1);
  const k1 = basicKind(arg1);
  if (k1 === "invalid") throw new FuncError("invalid type for comparison");
  arg2 = ind(arg2);
  const k2 = basicKind(arg2);
  if (k2 === "invalid") throw new FuncError("invalid type for comparison");
  if (k1 !== k2) {
    throw new FuncError(
      `incompatible types for comparison: ${goTypeName(arg1)} and ${goTypeName(arg2)}`,
    );
  }
  if (k1 === "bool") throw new FuncError("invalid type for comparison");
  return goLess(arg1, arg2, k1);
}

function le(a: unknown, b: unknown): boolean {
  return lt(a, b) || eq(a, b);
}

function length(item: unknown): bigint {
  if (item === null) throw new FuncError("len of nil pointer");
  switch (kindOf(item)) {
    case "string":
      return BigInt(goStringBytes(str(item)).length);
    case "slice":
      return BigInt((item as unknown[]).length);
    case "bytes":
      return BigInt(bytesOf(item as GoBytes).length);
    case "map":
      return BigInt(
        item instanceof Map ? item.size : Object.keys(item as object).length,
      );
    case "invalid":
      throw new FuncError("reflect: call of reflect.Value.Type on zero Value");
  }
  throw new FuncError(`len of type ${goTypeName(item)}`);
}

function indexArg(index: unknown, cap: number): number {
  index = ind(index);
  let x: bigint;
  const k = kindOf(index);
  if (k === "int") x = intOf(index);
  else if (k === "invalid") throw new FuncError("cannot index slice/array with nil");
  else throw new FuncError(`cannot index slice/array with type ${goTypeName(index)}`);
  if (x < 0n || x > BigInt(cap)) throw new FuncError(`index out of range: ${x}`);
  return Number(x);
}

function mapGet(m: unknown, key: string): unknown {
  if (m instanceof Map) return m.has(key) ? (m.get(key) ?? null) : undefined;
  const o = m as Record<string, unknown>;
  return Object.hasOwn(o, key) ? (o[key] ?? null) : undefined;
}

function index(item: unknown, ...indexes: unknown[]): unknown {
  item = ind(item);
  if (item === undefined) throw new FuncError("index of untyped nil");
  for (let idx of indexes) {
    idx = ind(idx);
    if (item === null) throw new FuncError("index of nil pointer");
    switch (kindOf(item)) {
      case "slice": {
        const arr = item as unknown[];
        const x = indexArg(idx, arr.length);
        if (x === arr.length) throw new FuncError("reflect: slice index out of range");
        item = arr[x] ?? null;
        break;
      }
      case "bytes":
      case "string": {
        const b = kindOf(item) === "bytes" ? bytesOf(item as GoBytes) : goStringBytes(str(item));
        const x = indexArg(idx, b.length);
        if (x === b.length) {
          throw new FuncError(
            `reflect: ${kindOf(item) === "string" ? "string" : "slice"} index out of range`,
          );
        }
        item = new GoInt64(BigInt(b[x]!), "uint8");
        break;
      }
      case "map": {
        if (idx === undefined) {
          throw new FuncError("value is nil; should be of type string");
        }
        if (typeof idx !== "string") {
          throw new FuncError(`value has type ${goTypeName(idx)}; should be string`);
        }
        const v = mapGet(item, idx);
        item = v === undefined ? null : v;
        break;
      }
      default:
        throw new FuncError(`can't index item of type ${goTypeName(item)}`);
    }
  }
  return item;
}

function slice(item: unknown, ...indexes: unknown[]): unknown {
  item = ind(item);
  if (item === undefined) throw new FuncError("slice of untyped nil");
  if (indexes.length > 3) throw new FuncError(`too many slice indexes: ${indexes.length}`);
  const k = kindOf(item);
  let len: number;
  let cap: number;
  let bytes: Uint8Array | undefined;
  if (k === "string") {
    if (indexes.length === 3) throw new FuncError("cannot 3-index slice a string");
    bytes = goStringBytes(str(item));
    len = cap = bytes.length;
  } else if (k === "slice") {
    len = cap = (item as unknown[]).length;
  } else if (k === "bytes") {
    bytes = bytesOf(item as GoBytes);
    len = cap = bytes.length;
  } else throw new FuncError(`can't slice item of type ${goTypeName(item)}`);
  const idx = [0, len, cap];
  indexes.forEach((x, i) => {
    idx[i] = indexArg(x, cap);
  });
  if (idx[0]! > idx[1]!) throw new FuncError(`invalid slice index: ${idx[0]} > ${idx[1]}`);
  if (indexes.length === 3 && idx[1]! > idx[2]!) {
    throw new FuncError(`invalid slice index: ${idx[1]} > ${idx[2]}`);
  }
  if (k === "string") return bytesToGoString(bytes!.slice(idx[0], idx[1]));
  if (k === "bytes") return new GoBytes(bytes!.slice(idx[0], idx[1]));
  return (item as unknown[]).slice(idx[0], idx[1]);
}

function evalArgs(args: unknown[]): string {
  if (args.length === 1 && typeof args[0] === "string") return args[0];
  return sprint(args.map((a) => (a === null || a === undefined ? "<no value>" : a)));
}

/** template.HTMLEscapeString. */
export function htmlEscape(s: string): string {
  return s.replace(/[\0"'&<>]/g, (c) =>
    ({
      "\0": "\ufffd",
      '"': "&#34;",
      "'": "&#39;",
      "&": "&amp;",
      "<": "&lt;",
      ">": "&gt;",
    })[c]!);
}

/** template.JSEscapeString. */
export function jsEscape(s: string): string {
  let out = "";
  for (const ch of s) {
    const cp = ch.codePointAt(0)!;
    switch (ch) {
      case "\\":
        out += "\\\\";
        continue;
      case "'":
        out += "\\'";
        continue;
      case '"':
        out += '\\"';
        continue;
      case "<":
        out += "\\u003C";
        continue;
      case ">":
        out += "\\u003E";
        continue;
      case "&":
        out += "\\u0026";
        continue;
      case "=":
        out += "\\u003D";
        continue;
    }
    if (cp < 0x20) out += "\\u00" + cp.toString(16).toUpperCase().padStart(2, "0");
    else if (cp < 0x80) out += ch;
    else if (isPrintRune(cp)) out += ch;
    else out += "\\u" + cp.toString(16).toUpperCase().padStart(4, "0");
  }
  return out;
}

/** url.QueryEscape. */
export function queryEscape(s: string): string {
  let out = "";
  for (const b of UTF8.encode(s)) {
    const unreserved = (b >= 97 && b <= 122) || (b >= 65 && b <= 90) || (b >= 48 && b <= 57) ||
      b === 45 || b === 95 || b === 46 || b === 126;
    if (unreserved) out += String.fromCharCode(b);
    else if (b === 32) out += "+";
    else out += "%" + b.toString(16).toUpperCase().padStart(2, "0");
  }
  return out;
}

function call(name: unknown, fn: unknown, ...args: unknown[]): unknown {
  fn = ind(fn);
  if (fn === undefined) throw new FuncError("call of nil");
  if (typeof fn !== "function") {
    throw new FuncError(`non-function ${name} of type ${goTypeName(fn)}`);
  }
  return (fn as (...a: unknown[]) => unknown)(...args.map((a) => a === undefined ? null : a));
}

/** The builtin function map. */
export const BUILTINS: Record<string, FuncDef> = {
  and: { ...def(() => undefined, "value", "...value"), lazy: "and" },
  or: { ...def(() => undefined, "value", "...value"), lazy: "or" },
  not: def((a: unknown) => !isTrue(ind(a)), "value"),
  len: def(length, "value"),
  index: def(index, "value", "...value"),
  slice: def(slice, "value", "...value"),
  call: def(call, "value", "...value"),
  print: def((...a: unknown[]) => sprint(a), "...any"),
  printf: def((f: string, ...a: unknown[]) => sprintf(f, a), "string", "...any"),
  println: def((...a: unknown[]) => sprintln(a), "...any"),
  html: def((...a: unknown[]) => htmlEscape(evalArgs(a)), "...any"),
  js: def((...a: unknown[]) => jsEscape(evalArgs(a)), "...any"),
  urlquery: def((...a: unknown[]) => queryEscape(evalArgs(a)), "...any"),
  eq: def(eq, "value", "...value"),
  ne: def((a: unknown, b: unknown) => !eq(a, b), "value", "value"),
  lt: def(lt, "value", "value"),
  le: def(le, "value", "value"),
  gt: def((a: unknown, b: unknown) => !le(a, b), "value", "value"),
  ge: def((a: unknown, b: unknown) => !lt(a, b), "value", "value"),
};
