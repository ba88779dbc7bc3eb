/** Sprig's list, dict, default, math, reflection, path and URL functions. */
import { def, type FuncDef, FuncError } from "./_func_def.ts";
import { goTypeName, kindOf, mapEntries, sprint } from "./_fmt.ts";
import {
  deepEqual,
  empty,
  isMap,
  mapGetValue,
  mapHas,
  mapKeys,
  newMap,
  strval,
  toFloat64,
  toInt64,
} from "./_conv.ts";
import { GoBytes, GoInt64, withGoType } from "./values.ts";
import { byteSlice } from "./_sprig_strings.ts";
import { BUILTINS } from "./_builtins.ts";

type GoMap = Record<string, unknown>;

const NIL_DEREFERENCE = "runtime error: invalid memory address or nil pointer dereference";

function listOf(v: unknown, what: string, prefix = `Cannot ${what} on type`): unknown[] {
  if (Array.isArray(v)) return v;
  if (v instanceof GoBytes) return [...v.bytes].map((b) => BigInt(b));
  if (v === null || v === undefined) throw new FuncError(NIL_DEREFERENCE);
  throw new FuncError(`${prefix} ${goKind(v)}`);
}

/** reflect.Kind names. */
function goKind(v: unknown): string {
  switch (kindOf(v)) {
    case "invalid":
    case "nil":
      return "invalid";
    case "bool":
      return "bool";
    case "int":
      return v instanceof GoInt64 ? "int64" : "int";
    case "float":
      return "float64";
    case "string":
      return "string";
    case "bytes":
    case "slice":
      return "slice";
    case "map":
      return "map";
    case "time":
    case "struct":
      return "struct";
    case "func":
      return "func";
  }
}

function toInt(v: unknown): bigint {
  return toInt64(v);
}

function sliceList(list: unknown, ...indices: unknown[]): unknown {
  // Sprig's slice replaces Go's builtin; strings keep the builtin's meaning (Sprig would fail).
  if (typeof list === "string") return BUILTINS.slice!.fn(list, ...indices);
  if (!Array.isArray(list) && !(list instanceof GoBytes)) {
    throw new FuncError(`list should be type of slice or array but ${goKind(list)}`);
  }
  const l = listOf(list, "slice");
  if (l.length === 0) return null;
  const start = indices.length > 0 ? Number(toInt(indices[0])) : 0;
  const end = indices.length < 2 ? l.length : Number(toInt(indices[1]));
  if (start < 0 || end > l.length || start > end) {
    throw new FuncError("reflect: slice index out of range");
  }
  return l.slice(start, end);
}

/** Sprig's chunk/mustChunk: the list cut into lists of `size` items (the last may be shorter). */
function chunkList(size: bigint, l: unknown): unknown[][] {
  const x = listOf(l, "chunk", "Cannot chunk type");
  const n = Number(size);
  const out: unknown[][] = [];
  for (let i = 0; i < x.length; i += n) out.push(x.slice(i, i + n));
  return out;
}

/** Sprig's has/mustHas: whether `hay` (a list, or nil) holds `needle`. */
function hasItem(needle: unknown, hay: unknown): boolean {
  if (hay === null || hay === undefined) return false;
  return inList(listOf(hay, "find has"), needle);
}

function inList(list: unknown[], v: unknown): boolean {
  return list.some((x) => deepEqual(x, v));
}

function dict(...v: unknown[]): GoMap {
  const m = newMap();
  for (let i = 0; i < v.length; i += 2) {
    const key = strval(v[i]);
    m[key] = i + 1 >= v.length ? "" : v[i + 1] ?? null;
  }
  return m;
}

function copyMap(m: unknown): GoMap {
  const out = newMap();
  for (const [k, v] of mapEntries(m)) out[k] = v;
  return out;
}

function mergeInto(dst: GoMap, src: unknown, overwrite: boolean): void {
  if (!isMap(src)) return;
  for (const k of mapKeys(src)) {
    const sv = mapGetValue(src, k);
    const has = Object.hasOwn(dst, k);
    const dv = dst[k];
    if (has && isMap(dv) && isMap(sv)) {
      const merged = dv instanceof Map ? copyMap(dv) : dv as GoMap;
      mergeInto(merged, sv, overwrite);
      dst[k] = merged;
    } else if (!has || empty(dv) || (overwrite && !empty(sv))) {
      dst[k] = sv;
    }
  }
}

function merge(overwrite: boolean) {
  return (dst: GoMap, ...srcs: GoMap[]): GoMap => {
    // A nil destination is a nil map: it prints as map[].
    dst ??= newMap();
    for (const s of srcs) mergeInto(dst, s, overwrite);
    return dst;
  };
}

function dig(...ps: unknown[]): unknown {
  if (ps.length < 3) throw new FuncError("dig needs at least three arguments");
  let d = ps[ps.length - 1];
  const dflt = ps[ps.length - 2];
  const keys = ps.slice(0, -2);
  for (let i = 0; i < keys.length; i++) {
    if (typeof keys[i] !== "string") {
      throw new FuncError(
        `interface conversion: interface {} is ${goTypeName(keys[i])}, not string`,
      );
    }
    if (!isMap(d)) {
      throw new FuncError(
        `interface conversion: interface {} is ${goTypeName(d)}, not map[string]interface {}`,
      );
    }
    if (!mapHas(d, keys[i] as string)) return dflt;
    d = mapGetValue(d, keys[i] as string);
  }
  return d;
}

function untilStep(start: bigint, stop: bigint, step: bigint): bigint[] {
  const v: bigint[] = withGoType([], "[]int");
  if (stop < start) {
    if (step >= 0n) return v;
    for (let i = start; i > stop; i += step) v.push(i);
    return v;
  }
  if (step <= 0n) return v;
  for (let i = start; i < stop; i += step) v.push(i);
  return v;
}

function seq(...params: bigint[]): string {
  let inc = 1n;
  switch (params.length) {
    case 1: {
      const end = params[0]!;
      if (end < 1n) inc = -1n;
      return untilStep(1n, end + inc, inc).join(" ");
    }
    case 2: {
      const [start, end] = params as [bigint, bigint];
      const step = end < start ? -1n : 1n;
      return untilStep(start, end + step, step).join(" ");
    }
    case 3: {
      const [start, step, end] = params as [bigint, bigint, bigint];
      if (end < start) {
        inc = -1n;
        if (step > 0n) return "";
      }
      return untilStep(start, end + inc, step).join(" ");
    }
  }
  return "";
}

// --- decimal arithmetic for addf/subf/mulf/divf (shopspring/decimal semantics)

interface Dec {
  m: bigint;
  e: number; // value = m * 10^e
}

function decFromFloat(f: number): Dec {
  if (!Number.isFinite(f)) return { m: 0n, e: 0 };
  if (f === 0) return { m: 0n, e: 0 };
  const [mant, exp] = f.toExponential().split("e");
  const digits = mant!.replace(".", "").replace("-", "");
  const fracLen = (mant!.split(".")[1] ?? "").length;
  const m = BigInt(digits) * (f < 0 ? -1n : 1n);
  return { m, e: Number(exp) - fracLen };
}

function decAlign(a: Dec, b: Dec): [bigint, bigint, number] {
  const e = Math.min(a.e, b.e);
  return [a.m * 10n ** BigInt(a.e - e), b.m * 10n ** BigInt(b.e - e), e];
}

function decToFloat(d: Dec): number {
  return Number(`${d.m}e${d.e}`);
}

const DECIMAL_OPS: Record<string, (a: Dec, b: Dec) => Dec> = {
  add: (a, b) => {
    const [x, y, e] = decAlign(a, b);
    return { m: x + y, e };
  },
  sub: (a, b) => {
    const [x, y, e] = decAlign(a, b);
    return { m: x - y, e };
  },
  mul: (a, b) => ({ m: a.m * b.m, e: a.e + b.e }),
  div: (a, b) => {
    if (b.m === 0n) throw new FuncError("decimal division by 0");
    // DivRound(b, 16): 16 fractional digits, half away from zero.
    const scale = 16;
    const num = a.m * 10n ** BigInt(scale + 1 + Math.max(0, b.e - a.e + 0));
    const shift = scale + 1 + Math.max(0, b.e - a.e);
    let q = num / b.m; // value = q * 10^(a.e - b.e - shift)
    let e = a.e - b.e - shift;
    // round to exponent -16
    const target = -scale;
    if (e < target) {
      const p = 10n ** BigInt(target - e);
      const r = q % p;
      q = q / p;
      const twice = (r < 0n ? -r : r) * 2n;
      if (twice >= p) q += q < 0n || (q === 0n && r < 0n) ? -1n : 1n;
      e = target;
    }
    return { m: q, e };
  },
};

function decimalOp(op: string) {
  return (a: unknown, ...rest: unknown[]): number => {
    let acc = decFromFloat(toFloat64(a));
    for (const x of rest) acc = DECIMAL_OPS[op]!(acc, decFromFloat(toFloat64(x)));
    return decToFloat(acc);
  };
}

function round(a: unknown, p: bigint, ...rOpt: number[]): number {
  const roundOn = rOpt.length > 0 ? rOpt[0]! : 0.5;
  const val = toFloat64(a);
  const pow = Math.pow(10, Number(p));
  const digit = pow * val;
  const frac = digit - Math.trunc(digit);
  const r = frac >= roundOn ? Math.ceil(digit) : Math.floor(digit);
  return r / pow;
}

function wrap64(v: bigint): bigint {
  return BigInt.asIntN(64, v);
}

function i64(v: bigint): GoInt64 {
  return new GoInt64(BigInt.asIntN(64, v));
}

function intDiv(a: unknown, b: unknown): GoInt64 {
  const y = toInt64(b);
  if (y === 0n) throw new FuncError("runtime error: integer divide by zero");
  return i64(toInt64(a) / y);
}

function intMod(a: unknown, b: unknown): GoInt64 {
  const y = toInt64(b);
  if (y === 0n) throw new FuncError("runtime error: integer divide by zero");
  return i64(toInt64(a) % y);
}

// --- paths (Go's path package)

function cleanPath(p: string): string {
  if (p === "") return ".";
  const rooted = p.startsWith("/");
  const parts: string[] = [];
  for (const seg of p.split("/")) {
    if (seg === "" || seg === ".") continue;
    if (seg === "..") {
      if (parts.length > 0 && parts[parts.length - 1] !== "..") parts.pop();
      else if (!rooted) parts.push("..");
      continue;
    }
    parts.push(seg);
  }
  const out = (rooted ? "/" : "") + parts.join("/");
  return out === "" ? "." : out;
}

function basePath(p: string): string {
  if (p === "") return ".";
  p = p.replace(/\/+$/, "");
  const i = p.lastIndexOf("/");
  if (i >= 0) p = p.slice(i + 1);
  return p === "" ? "/" : p;
}

function dirPath(p: string): string {
  const i = p.lastIndexOf("/");
  return cleanPath(p.slice(0, i + 1));
}

function extPath(p: string): string {
  for (let i = p.length - 1; i >= 0 && p[i] !== "/"; i--) {
    if (p[i] === ".") return p.slice(i);
  }
  return "";
}

// --- URLs

function urlParse(v: string): GoMap {
  const m = newMap();
  const re =
    /^(?:([a-zA-Z][a-zA-Z0-9+.-]*):)?(?:\/\/(?:([^@/?#]*)@)?([^/?#]*))?([^?#]*)(?:\?([^#]*))?(?:#(.*))?$/;
  const x = re.exec(v);
  if (!x) throw new FuncError("unable to parse url");
  const host = x[3] ?? "";
  m.scheme = (x[1] ?? "").toLowerCase();
  m.host = host;
  m.hostname = host.startsWith("[") ? host.slice(1, host.indexOf("]")) : host.replace(/:\d*$/, "");
  m.path = decodeURIComponentSafe(x[4] ?? "");
  m.query = x[5] ?? "";
  m.opaque = "";
  m.fragment = decodeURIComponentSafe(x[6] ?? "");
  m.userinfo = x[2] ?? "";
  if (x[1] && x[3] === undefined && !(x[4] ?? "").startsWith("/")) {
    m.opaque = x[4] ?? "";
    m.path = "";
  }
  return m;
}

function decodeURIComponentSafe(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

function urlJoin(d: GoMap): string {
  const get = (k: string) => {
    const v = mapGetValue(d, k);
    return v === undefined || v === null ? "" : typeof v === "string" ? v : (() => {
      throw new FuncError(`unable to parse ${k} field: ${goTypeName(v)}`);
    })();
  };
  let s = "";
  const scheme = get("scheme");
  if (scheme) s += scheme + ":";
  const opaque = get("opaque");
  if (opaque) {
    return s + opaque + (get("query") ? "?" + get("query") : "") +
      (get("fragment") ? "#" + get("fragment") : "");
  }
  const host = get("host");
  const userinfo = get("userinfo");
  if (scheme || host || userinfo) {
    s += "//";
    if (userinfo) s += userinfo + "@";
    s += host;
  }
  const path = get("path");
  if (path && !path.startsWith("/") && host) s += "/";
  s += encodeURI(path).replace(/%25/g, "%25");
  if (get("query")) s += "?" + get("query");
  if (get("fragment")) s += "#" + encodeURIComponent(get("fragment")).replace(/%2F/g, "/");
  return s;
}

function kindName(v: unknown): string {
  return goKind(v === undefined ? null : v);
}

export const DATA_FUNCS: Record<string, FuncDef> = {
  // defaults
  default: def(
    (d: unknown, ...given: unknown[]) => given.length === 0 || empty(given[0]) ? d : given[0],
    "any",
    "...any",
  ),
  empty: def(empty, "any"),
  coalesce: def((...v: unknown[]) => v.find((x) => !empty(x)) ?? null, "...any"),
  all: def((...v: unknown[]) => v.every((x) => !empty(x)), "...any"),
  any: def((...v: unknown[]) => v.some((x) => !empty(x)), "...any"),
  compact: def((l: unknown) => listOf(l, "compact").filter((x) => !empty(x)), "any"),
  mustCompact: def((l: unknown) => listOf(l, "compact").filter((x) => !empty(x)), "any"),
  ternary: def((t: unknown, f: unknown, v: boolean) => v ? t : f, "any", "any", "bool"),
  fail: def((msg: string) => {
    throw new FuncError(msg);
  }, "string"),
  deepCopy: def((v: unknown) => structuredCloneValue(v), "any"),
  mustDeepCopy: def((v: unknown) => structuredCloneValue(v), "any"),
  // lists
  list: def((...v: unknown[]) => v, "...any"),
  tuple: def((...v: unknown[]) => v, "...any"),
  append: def((l: unknown, v: unknown) => [...listOf(l, "push"), v], "any", "any"),
  push: def((l: unknown, v: unknown) => [...listOf(l, "push"), v], "any", "any"),
  mustAppend: def((l: unknown, v: unknown) => [...listOf(l, "push"), v], "any", "any"),
  mustPush: def((l: unknown, v: unknown) => [...listOf(l, "push"), v], "any", "any"),
  prepend: def((l: unknown, v: unknown) => [v, ...listOf(l, "prepend")], "any", "any"),
  mustPrepend: def((l: unknown, v: unknown) => [v, ...listOf(l, "prepend")], "any", "any"),
  first: def((l: unknown) => listOf(l, "find first")[0] ?? null, "any"),
  mustFirst: def((l: unknown) => listOf(l, "find first")[0] ?? null, "any"),
  last: def((l: unknown) => {
    const x = listOf(l, "find last");
    return x.length === 0 ? null : x[x.length - 1];
  }, "any"),
  mustLast: def((l: unknown) => {
    const x = listOf(l, "find last");
    return x.length === 0 ? null : x[x.length - 1];
  }, "any"),
  rest: def((l: unknown) => {
    const x = listOf(l, "find rest");
    return x.slice(1);
  }, "any"),
  mustRest: def((l: unknown) => {
    const x = listOf(l, "find rest");
    return x.slice(1);
  }, "any"),
  initial: def((l: unknown) => {
    const x = listOf(l, "find initial");
    return x.slice(0, -1);
  }, "any"),
  mustInitial: def((l: unknown) => {
    const x = listOf(l, "find initial");
    return x.slice(0, -1);
  }, "any"),
  reverse: def((l: unknown) => [...listOf(l, "find reverse")].reverse(), "any"),
  mustReverse: def((l: unknown) => [...listOf(l, "find reverse")].reverse(), "any"),
  uniq: def((l: unknown) => {
    const out: unknown[] = [];
    for (const x of listOf(l, "find uniq")) if (!inList(out, x)) out.push(x);
    return out;
  }, "any"),
  mustUniq: def((l: unknown) => {
    const out: unknown[] = [];
    for (const x of listOf(l, "find uniq")) if (!inList(out, x)) out.push(x);
    return out;
  }, "any"),
  without: def(
    (l: unknown, ...omit: unknown[]) => listOf(l, "find without").filter((x) => !inList(omit, x)),
    "any",
    "...any",
  ),
  mustWithout: def(
    (l: unknown, ...omit: unknown[]) => listOf(l, "find without").filter((x) => !inList(omit, x)),
    "any",
    "...any",
  ),
  has: def(hasItem, "any", "any"),
  mustHas: def(hasItem, "any", "any"),
  slice: def(sliceList, "any", "...any"),
  mustSlice: def(sliceList, "any", "...any"),
  concat: def((...lists: unknown[]) => {
    const out: unknown[] = [];
    for (const l of lists) {
      if (l === null || l === undefined) throw new FuncError(NIL_DEREFERENCE);
      if (!Array.isArray(l)) throw new FuncError(`Cannot concat type ${goKind(l)} as list`);
      out.push(...l);
    }
    return out;
  }, "...any"),
  chunk: def(chunkList, "int", "any"),
  mustChunk: def(chunkList, "int", "any"),
  until: def((n: bigint) => untilStep(0n, n, n < 0n ? -1n : 1n), "int"),
  untilStep: def(untilStep, "int", "int", "int"),
  seq: def(seq, "...int"),
  // dicts
  dict: def(dict, "...any"),
  get: def(
    (d: GoMap, k: string) => {
      const v = mapGetValue(d ?? newMap(), k);
      return v === undefined ? "" : v;
    },
    "map",
    "string",
  ),
  set: def(
    (d: GoMap, k: string, v: unknown) => {
      if (d === null) throw new FuncError("assignment to entry in nil map");
      if (d instanceof Map) d.set(k, v);
      else d[k] = v;
      return d;
    },
    "map",
    "string",
    "any",
  ),
  unset: def(
    (d: GoMap, k: string) => {
      if (d instanceof Map) d.delete(k);
      else if (d !== null) delete d[k];
      return d;
    },
    "map",
    "string",
  ),
  hasKey: def((d: GoMap, k: string) => d !== null && mapHas(d, k), "map", "string"),
  pluck: def(
    (name: string, ...ds: GoMap[]) =>
      ds.filter((d) => d !== null && mapHas(d, name)).map((d) => mapGetValue(d, name)),
    "string",
    "...map",
  ),
  keys: def(
    (...ds: GoMap[]) => withGoType(ds.flatMap((d) => (d === null ? [] : mapKeys(d))), "[]string"),
    "...map",
  ),
  pick: def(
    (d: GoMap, ...keys: string[]) => {
      const m = newMap();
      for (const k of keys) if (d !== null && mapHas(d, k)) m[k] = mapGetValue(d, k);
      return m;
    },
    "map",
    "...string",
  ),
  omit: def(
    (d: GoMap, ...keys: string[]) => {
      const m = newMap();
      for (const [k, v] of d === null ? [] : mapEntries(d)) if (!keys.includes(k)) m[k] = v;
      return m;
    },
    "map",
    "...string",
  ),
  values: def((d: GoMap) => (d === null ? [] : mapKeys(d).map((k) => mapGetValue(d, k))), "map"),
  merge: def(merge(false), "map", "...map"),
  mergeOverwrite: def(merge(true), "map", "...map"),
  mustMerge: def(merge(false), "map", "...map"),
  mustMergeOverwrite: def(merge(true), "map", "...map"),
  dig: def(dig, "...any"),
  // math
  add1: def((i: unknown) => i64(toInt64(i) + 1n), "any"),
  add: def(
    (...i: unknown[]) => i64(i.reduce<bigint>((a, b) => wrap64(a + toInt64(b)), 0n)),
    "...any",
  ),
  sub: def((a: unknown, b: unknown) => i64(toInt64(a) - toInt64(b)), "any", "any"),
  div: def(intDiv, "any", "any"),
  mod: def(intMod, "any", "any"),
  mul: def(
    (a: unknown, ...v: unknown[]) =>
      i64(v.reduce<bigint>((acc, b) => wrap64(acc * toInt64(b)), toInt64(a))),
    "any",
    "...any",
  ),
  add1f: def((i: unknown) => decimalOp("add")(i, 1n), "any"),
  addf: def((...i: unknown[]) => decimalOp("add")(0, ...i), "...any"),
  subf: def(decimalOp("sub"), "any", "...any"),
  divf: def(decimalOp("div"), "any", "...any"),
  mulf: def(decimalOp("mul"), "any", "...any"),
  biggest: def(
    (a: unknown, ...i: unknown[]) =>
      i64(i.reduce<bigint>((m, b) => (toInt64(b) > m ? toInt64(b) : m), toInt64(a))),
    "any",
    "...any",
  ),
  max: def(
    (a: unknown, ...i: unknown[]) =>
      i64(i.reduce<bigint>((m, b) => (toInt64(b) > m ? toInt64(b) : m), toInt64(a))),
    "any",
    "...any",
  ),
  min: def(
    (a: unknown, ...i: unknown[]) =>
      i64(i.reduce<bigint>((m, b) => (toInt64(b) < m ? toInt64(b) : m), toInt64(a))),
    "any",
    "...any",
  ),
  maxf: def(
    (a: unknown, ...i: unknown[]) =>
      i.reduce<number>((m, b) => Math.max(m, toFloat64(b)), toFloat64(a)),
    "any",
    "...any",
  ),
  minf: def(
    (a: unknown, ...i: unknown[]) =>
      i.reduce<number>((m, b) => Math.min(m, toFloat64(b)), toFloat64(a)),
    "any",
    "...any",
  ),
  ceil: def((a: unknown) => Math.ceil(toFloat64(a)), "any"),
  floor: def((a: unknown) => Math.floor(toFloat64(a)), "any"),
  round: def(round, "any", "int", "...float64"),
  int: def((v: unknown) => toInt64(v), "any"),
  int64: def((v: unknown) => new GoInt64(toInt64(v)), "any"),
  float64: def((v: unknown) => toFloat64(v), "any"),
  atoi: def((s: string) => {
    const m = /^[+-]?[0-9]+$/.exec(s);
    if (!m) return 0n;
    const v = BigInt(s);
    return v === BigInt.asIntN(64, v) ? v : 0n;
  }, "string"),
  toDecimal: def((v: unknown) => {
    const s = sprint([v]);
    if (!/^[+-]?[0-7]+$/.test(s)) return new GoInt64(0n);
    const neg = s.startsWith("-");
    const r = BigInt("0o" + s.replace(/^[+-]/, ""));
    const x = neg ? -r : r;
    return new GoInt64(x === BigInt.asIntN(64, x) ? x : 0n);
  }, "any"),
  // reflection
  typeOf: def((v: unknown) => goTypeName(v), "any"),
  typeIs: def((t: string, v: unknown) => t === goTypeName(v), "string", "any"),
  typeIsLike: def(
    (t: string, v: unknown) => t === goTypeName(v) || "*" + t === goTypeName(v),
    "string",
    "any",
  ),
  kindOf: def(kindName, "any"),
  kindIs: def((t: string, v: unknown) => t === kindName(v), "string", "any"),
  deepEqual: def(deepEqual, "any", "any"),
  // paths
  base: def(basePath, "string"),
  dir: def(dirPath, "string"),
  clean: def(cleanPath, "string"),
  ext: def(extPath, "string"),
  isAbs: def((p: string) => p.startsWith("/"), "string"),
  osBase: def(basePath, "string"),
  osDir: def(dirPath, "string"),
  osClean: def(cleanPath, "string"),
  osExt: def(extPath, "string"),
  osIsAbs: def((p: string) => p.startsWith("/"), "string"),
  // urls
  urlParse: def(urlParse, "string"),
  urlJoin: def(urlJoin, "map"),
};

function structuredCloneValue(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(structuredCloneValue);
  if (isMap(v)) {
    const m = newMap();
    for (const [k, x] of mapEntries(v)) m[k] = structuredCloneValue(x);
    return m;
  }
  return v;
}

export { byteSlice };
