/**
 * Go methods on the few struct values the engine creates: time.Time (from now, toDate...)
 * and *semver.Version (from semver), so `{{ (now).Year }}` and `{{ (semver "1.2").Major }}`
 * work as in Go.
 */
import { def, type FuncDef } from "./_func_def.ts";
import { civil, DAYS, formatGoTime, MONTHS } from "./_time.ts";
import { GoInt64, GoTime } from "./values.ts";

/** A Go struct value with methods; `goString` makes it a fmt.Stringer. */
export interface GoObject {
  readonly goTypeName: string;
  goString(): string;
  methods(): Record<string, FuncDef>;
}

export function isGoObject(v: unknown): v is GoObject {
  return typeof v === "object" && v !== null && "methods" in v && "goTypeName" in v;
}

function timeMethods(t: GoTime): Record<string, FuncDef> {
  const c = () => civil(t);
  const ns = () => BigInt(t.ms) * 1000000n + BigInt(t.nsExtra);
  return {
    Year: def(() => BigInt(c().year)),
    Month: def(() => MONTHS[c().month - 1]),
    Day: def(() => BigInt(c().day)),
    Hour: def(() => BigInt(c().hour)),
    Minute: def(() => BigInt(c().minute)),
    Second: def(() => BigInt(c().second)),
    Nanosecond: def(() => BigInt((((t.ms % 1000) + 1000) % 1000) * 1e6 + t.nsExtra)),
    YearDay: def(() => BigInt(c().yday)),
    Weekday: def(() => DAYS[c().weekday]),
    Unix: def(() => new GoInt64(BigInt(Math.floor(t.ms / 1000)))),
    UnixMilli: def(() => new GoInt64(BigInt(Math.floor(t.ms)))),
    UnixNano: def(() => new GoInt64(ns())),
    Format: def((layout: string) => formatGoTime(t, layout), "string"),
    String: def(() => formatGoTime(t, "2006-01-02 15:04:05.999999999 -0700 MST")),
    UTC: def(() => new GoTime(t.ms, "UTC", t.nsExtra)),
    Local: def(() => new GoTime(t.ms, "Local", t.nsExtra)),
    IsZero: def(() => t.ms === -62135596800000 && t.nsExtra === 0),
    Before: def((u: GoTime) => ns() < BigInt(u.ms) * 1000000n + BigInt(u.nsExtra), "time"),
    After: def((u: GoTime) => ns() > BigInt(u.ms) * 1000000n + BigInt(u.nsExtra), "time"),
    Equal: def((u: GoTime) => ns() === BigInt(u.ms) * 1000000n + BigInt(u.nsExtra), "time"),
    AddDate: def(
      (y: bigint, m: bigint, d: bigint) => {
        const x = c();
        const ms = Date.UTC(
          x.year + Number(y),
          x.month - 1 + Number(m),
          x.day + Number(d),
          x.hour,
          x.minute,
          x.second,
          x.ms,
        ) - x.offsetSec * 1000;
        return new GoTime(ms, t.zone, t.nsExtra);
      },
      "int",
      "int",
      "int",
    ),
  };
}

/**
 * Whether a value is a class instance standing in for a Go struct: its own properties are
 * fields and its prototype's functions are methods (plain objects and Maps are Go maps).
 */
export function isStruct(v: unknown): v is object {
  if (typeof v !== "object" || v === null || Array.isArray(v) || v instanceof Map) return false;
  const proto = Object.getPrototypeOf(v);
  if (proto === null || proto === Object.prototype) return false;
  return !(v instanceof GoTime || v instanceof Date || v instanceof Uint8Array ||
    isGoObject(v) || proto.constructor?.name === "JsonNumber" ||
    proto.constructor?.name === "GoBytes" || proto.constructor?.name === "GoInt64");
}

/** The Go type name of a struct stand-in: its class name. */
export function structName(v: object): string {
  return Object.getPrototypeOf(v)?.constructor?.name || "struct";
}

function structMethod(v: object, name: string): FuncDef | undefined {
  if (Object.hasOwn(v, name)) return undefined;
  const f = (v as Record<string, unknown>)[name];
  if (typeof f !== "function" || name === "constructor") return undefined;
  return def((...args: unknown[]) => (f as (...a: unknown[]) => unknown).apply(v, args), "...any");
}

/** Methods of a value, or undefined when it has none. */
export function methodsOf(v: unknown): Record<string, FuncDef> | undefined {
  if (v instanceof GoTime) return timeMethods(v);
  if (isGoObject(v)) return v.methods();
  if (isStruct(v)) {
    return new Proxy({} as Record<string, FuncDef>, {
      get: (_t, name) => typeof name === "string" ? structMethod(v, name) : undefined,
    });
  }
  return undefined;
}
