/** Conversions Sprig relies on: strval, spf13/cast's ToInt64/ToFloat64, empty, DeepEqual. */
import { bytesOf, goTypeName, intOf, kindOf, mapEntries, sprint } from "./_fmt.ts";
import { parseGoFloat, parseGoInt } from "./_literals.ts";
import { GoBytes, GoInt64, type GoTime, JsonNumber } from "./values.ts";

const UTF8_DECODER = new TextDecoder();

/** Sprig's strval: strings as-is, []byte decoded, everything else as fmt's %v. */
export function strval(v: unknown): string {
  if (typeof v === "string") return v;
  if (v instanceof GoBytes || v instanceof Uint8Array) return UTF8_DECODER.decode(bytesOf(v));
  if (v instanceof JsonNumber) return v.text;
  if (v === undefined) return "<nil>";
  return sprint([v]);
}

function trimZeroDecimal(s: string): string {
  let foundZero = false;
  for (let i = s.length; i > 0; i--) {
    const c = s[i - 1]!;
    if (c === ".") return foundZero ? s.slice(0, i - 1) : s;
    if (c === "0") foundZero = true;
    else return s;
  }
  return s;
}

const INT64_MIN = -(1n << 63n);

/** Wraps to int64 the way Go's int64(float64) conversion does on amd64 for out-of-range values. */
function floatToInt64(f: number): bigint {
  if (!Number.isFinite(f) || f >= 2 ** 63 || f < -(2 ** 63)) return INT64_MIN;
  return BigInt(Math.trunc(f));
}

/** cast.ToInt64 (errors become 0). */
export function toInt64(v: unknown): bigint {
  if (v === null || v === undefined) return 0n;
  switch (typeof v) {
    case "bigint":
      return BigInt.asIntN(64, v);
    case "number":
      return floatToInt64(v);
    case "boolean":
      return v ? 1n : 0n;
    case "string": {
      const n = parseGoInt(trimZeroDecimal(v));
      return n ?? 0n;
    }
  }
  if (v instanceof JsonNumber) return toInt64(v.text);
  if (v instanceof GoInt64) return v.value;
  return 0n;
}

/** cast.ToFloat64 (errors become 0). */
export function toFloat64(v: unknown): number {
  if (v === null || v === undefined) return 0;
  switch (typeof v) {
    case "bigint":
      return Number(v);
    case "number":
      return v;
    case "boolean":
      return v ? 1 : 0;
    case "string": {
      const f = parseGoFloat(v);
      return f ?? 0;
    }
  }
  if (v instanceof JsonNumber) return toFloat64(v.text);
  if (v instanceof GoInt64) return Number(v.value);
  return 0;
}

/** Sprig's empty: zero values, empty collections and nil are empty. */
export function empty(v: unknown): boolean {
  if (v === null || v === undefined) return true;
  switch (kindOf(v)) {
    case "bool":
      return v === false;
    case "int":
      return intOf(v) === 0n;
    case "float":
      return v === 0;
    case "string":
      return String(v).length === 0;
    case "bytes":
      return bytesOf(v as GoBytes).length === 0;
    case "slice":
      return (v as unknown[]).length === 0;
    case "map":
      return v instanceof Map ? v.size === 0 : Object.keys(v as object).length === 0;
    default:
      return false;
  }
}

/** reflect.DeepEqual over template values. */
export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (a === undefined || b === undefined) return false;
  const ka = kindOf(a);
  if (ka !== kindOf(b)) return false;
  switch (ka) {
    case "string":
      return String(a) === String(b) && (a instanceof JsonNumber) === (b instanceof JsonNumber);
    case "float":
      return a === b;
    case "int":
      return intOf(a) === intOf(b) && goTypeName(a) === goTypeName(b);
    case "bool":
      return a === b;
    case "bytes": {
      const x = bytesOf(a as GoBytes);
      const y = bytesOf(b as GoBytes);
      return x.length === y.length && x.every((v, i) => v === y[i]);
    }
    case "slice": {
      const x = a as unknown[];
      const y = b as unknown[];
      return x.length === y.length && x.every((v, i) => deepEqual(v, y[i]));
    }
    case "map": {
      const x = mapEntries(a);
      const y = mapEntries(b);
      return x.length === y.length &&
        x.every(([k, v], i) => k === y[i]![0] && deepEqual(v, y[i]![1]));
    }
    case "time":
      return (a as GoTime).ms === (b as GoTime).ms;
    default:
      return false;
  }
}

/** Sprig's strslice: a list of strings from a list (nil elements dropped) or a single value. */
export function strslice(v: unknown): string[] {
  if (v === null || v === undefined) return [];
  if (Array.isArray(v)) return v.filter((x) => x !== null && x !== undefined).map(strval);
  return [strval(v)];
}

/** Makes a fresh map[string]interface{} (no prototype, so any key is safe). */
export function newMap(): Record<string, unknown> {
  return Object.create(null) as Record<string, unknown>;
}

export function isMap(v: unknown): v is Record<string, unknown> {
  return kindOf(v) === "map";
}

export function mapKeys(m: unknown): string[] {
  return m instanceof Map ? [...m.keys()].map(String) : Object.keys(m as object);
}

export function mapGetValue(m: unknown, k: string): unknown {
  if (m instanceof Map) return m.has(k) ? m.get(k) ?? null : undefined;
  const o = m as Record<string, unknown>;
  return Object.hasOwn(o, k) ? o[k] ?? null : undefined;
}

export function mapHas(m: unknown, k: string): boolean {
  return m instanceof Map ? m.has(k) : Object.hasOwn(m as object, k);
}
