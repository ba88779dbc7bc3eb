/** How the executor sees a function: its Go parameter types and implementation. */
import type { Library } from "./_libraries.ts";

/**
 * Go parameter types the executor converts and checks arguments against.
 * `value` is reflect.Value (builtins: anything, even "no value"); `any` is interface{}; `text`
 * is a Go string that also takes a []byte (the ESO functions read binary data directly).
 */
export type ParamType =
  | "value"
  | "any"
  | "string"
  | "text"
  | "int"
  | "int64"
  | "float64"
  | "bool"
  | "list"
  | "map"
  | "strings"
  | "bytes"
  | "time"
  | "uint32";

export interface FuncDef {
  fn: (...args: unknown[]) => unknown;
  params: ParamType[];
  /** Element type of a trailing variadic parameter. */
  variadic?: ParamType;
  /** Builtin and/or: short-circuit evaluation. */
  lazy?: "and" | "or";
  /**
   * Lazily loaded libraries the implementation calls, directly or through helpers (set with
   * {@linkcode needs}): `prepare()` loads them for a template that calls the function.
   */
  needs?: readonly Library[];
}

/** Shorthand: `def(fn, "string", "...any")`. */
export function def(fn: (...args: never[]) => unknown, ...types: string[]): FuncDef {
  const params: ParamType[] = [];
  let variadic: ParamType | undefined;
  for (const t of types) {
    if (t.startsWith("...")) variadic = t.slice(3) as ParamType;
    else params.push(t as ParamType);
  }
  const d: FuncDef = { fn: fn as (...args: unknown[]) => unknown, params };
  if (variadic !== undefined) d.variadic = variadic;
  return d;
}

/**
 * `d`, marked as calling `library` (e.g. `forgeLib()`), so that `prepare()` loads it for a template
 * that calls the function, and a template that calls none of the marked functions never loads it.
 * The mark sits next to the definition so that a new function is marked where it is written.
 */
export function needs(library: Library, d: FuncDef): FuncDef {
  return { ...d, needs: [...(d.needs ?? []), library] };
}

/** Every definition of `defs`, marked as calling `library` (see {@linkcode needs}). */
export function needsAll(library: Library, defs: Record<string, FuncDef>): Record<string, FuncDef> {
  return Object.fromEntries(Object.entries(defs).map(([name, d]) => [name, needs(library, d)]));
}

/** Go type names of parameter types, for error messages. */
export const PARAM_TYPE_NAMES: Record<ParamType, string> = {
  value: "reflect.Value",
  any: "interface {}",
  string: "string",
  text: "string",
  int: "int",
  int64: "int64",
  float64: "float64",
  bool: "bool",
  list: "[]interface {}",
  map: "map[string]interface {}",
  strings: "[]string",
  bytes: "[]uint8",
  time: "time.Time",
  uint32: "uint32",
};

/** Parameter types a nil value cannot be assigned to. */
export const NON_NILLABLE: ReadonlySet<ParamType> = new Set<ParamType>([
  "string",
  "text",
  "int",
  "int64",
  "float64",
  "bool",
  "time",
  "uint32",
]);

/** An error a template function reports; the executor wraps it as `error calling f: ...`. */
export class FuncError extends Error {
  override name = "FuncError";
}
