/** Masterminds/semver v3 subset: parsing and constraint checks for semver/semverCompare. */
import { def, type FuncDef, FuncError } from "./_func_def.ts";
import type { GoObject } from "./_methods.ts";
import { GoInt64 } from "./values.ts";

interface Version {
  major: number;
  minor: number;
  patch: number;
  pre: string;
  meta: string;
  original: string;
}

const VERSION_RE =
  /^v?([0-9]+)(?:\.([0-9]+))?(?:\.([0-9]+))?(?:-([0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*))?(?:\+([0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*))?$/;

function parseVersion(s: string): Version {
  const m = VERSION_RE.exec(s.trim());
  if (!m) throw new FuncError("Invalid Semantic Version");
  return {
    major: Number(m[1]),
    minor: Number(m[2] ?? 0),
    patch: Number(m[3] ?? 0),
    pre: m[4] ?? "",
    meta: m[5] ?? "",
    original: s,
  };
}

function versionString(v: Version): string {
  return `${v.major}.${v.minor}.${v.patch}${v.pre ? "-" + v.pre : ""}${v.meta ? "+" + v.meta : ""}`;
}

function comparePre(a: string, b: string): number {
  if (a === b) return 0;
  if (a === "") return 1;
  if (b === "") return -1;
  const x = a.split(".");
  const y = b.split(".");
  for (let i = 0; i < Math.max(x.length, y.length); i++) {
    const p = x[i];
    const q = y[i];
    if (p === undefined) return -1;
    if (q === undefined) return 1;
    const pn = /^[0-9]+$/.test(p);
    const qn = /^[0-9]+$/.test(q);
    if (pn && qn) {
      if (Number(p) !== Number(q)) return Number(p) < Number(q) ? -1 : 1;
    } else if (pn !== qn) return pn ? -1 : 1;
    else if (p !== q) return p < q ? -1 : 1;
  }
  return 0;
}

function compare(a: Version, b: Version): number {
  for (const k of ["major", "minor", "patch"] as const) {
    if (a[k] !== b[k]) return a[k] < b[k] ? -1 : 1;
  }
  return comparePre(a.pre, b.pre);
}

type Check = (v: Version) => boolean;

function parseSingle(op: string, ver: string): Check {
  const wild = (x: string | undefined) => x === undefined || x === "x" || x === "X" || x === "*";
  const parts = /^v?([0-9xX*]+)(?:\.([0-9xX*]+))?(?:\.([0-9xX*]+))?(.*)$/.exec(ver);
  if (!parts) throw new FuncError(`improper constraint: ${op}${ver}`);
  const [, ma, mi, pa, rest] = parts;
  const isWildMinor = wild(mi);
  const isWildPatch = wild(pa);
  const base = parseVersion(
    `${wild(ma) ? 0 : ma}.${isWildMinor ? 0 : mi}.${isWildPatch ? 0 : pa}${rest ?? ""}`,
  );
  const upper = (v: Version) => {
    if (wild(ma)) return true;
    if (isWildMinor) return v.major === base.major;
    if (isWildPatch) return v.major === base.major && v.minor === base.minor;
    return compare(v, base) === 0;
  };
  switch (op) {
    case "":
    case "=":
      return upper;
    case "!=":
      return (v) => !upper(v);
    case ">":
      if (isWildMinor) return (v) => v.major > base.major;
      if (isWildPatch) {
        return (v) => v.major > base.major || (v.major === base.major && v.minor > base.minor);
      }
      return (v) => compare(v, base) > 0;
    case ">=":
    case "=>":
      return (v) => compare(v, base) >= 0;
    case "<":
      return (v) => compare(v, base) < 0;
    case "<=":
    case "=<":
      if (isWildMinor) return (v) => v.major <= base.major;
      if (isWildPatch) {
        return (v) => v.major < base.major || (v.major === base.major && v.minor <= base.minor);
      }
      return (v) => compare(v, base) <= 0;
    case "~":
    case "~>":
      return (v) => {
        if (compare(v, base) < 0) return false;
        if (v.major !== base.major) return false;
        if (!isWildMinor && mi !== undefined && v.minor !== base.minor) return false;
        return true;
      };
    case "^":
      return (v) => {
        if (compare(v, base) < 0) return false;
        if (base.major > 0 || isWildMinor) return v.major === base.major;
        if (base.minor > 0 || isWildPatch) return v.major === 0 && v.minor === base.minor;
        return v.major === 0 && v.minor === 0 && v.patch === base.patch;
      };
  }
  throw new FuncError(`improper constraint: ${op}${ver}`);
}

function parseConstraint(c: string): (v: Version) => boolean {
  const ors = c.split("||").map((group) => {
    const g = group.trim().replace(/\s*-\s+/g, " - ");
    const hy = /^(\S+) - (\S+)$/.exec(g);
    if (hy) {
      const lo = parseSingle(">=", hy[1]!);
      const hi = parseSingle("<=", hy[2]!);
      return { checks: [lo, hi], pre: /-/.test(hy[1]! + hy[2]!) };
    }
    const tokens = g.replace(/(>=|<=|=>|=<|!=|~>|[<>=~^])\s+/g, "$1").split(/[\s,]+/).filter(
      Boolean,
    );
    if (tokens.length === 0) throw new FuncError(`improper constraint: ${c}`);
    const checks = tokens.map((t) => {
      const m = /^(>=|<=|=>|=<|!=|~>|[<>=~^]?)(.*)$/.exec(t)!;
      return parseSingle(m[1]!, m[2]!);
    });
    return { checks, pre: tokens.some((t) => /-/.test(t)) };
  });
  return (v) =>
    ors.some(({ checks, pre }) => (v.pre === "" || pre) && checks.every((check) => check(v)));
}

/** A *semver.Version with its Go methods. */
class SemverVersion implements GoObject {
  readonly goTypeName = "*semver.Version";
  constructor(readonly v: Version) {}
  goString(): string {
    return versionString(this.v);
  }
  methods(): Record<string, FuncDef> {
    const v = this.v;
    const other = (o: unknown): Version => {
      if (!(o instanceof SemverVersion)) throw new FuncError("expected a *semver.Version");
      return o.v;
    };
    return {
      Major: def(() => new GoInt64(BigInt(v.major), "uint64")),
      Minor: def(() => new GoInt64(BigInt(v.minor), "uint64")),
      Patch: def(() => new GoInt64(BigInt(v.patch), "uint64")),
      Prerelease: def(() => v.pre),
      Metadata: def(() => v.meta),
      Original: def(() => v.original),
      String: def(() => versionString(v)),
      Compare: def((o: unknown) => BigInt(compare(v, other(o))), "any"),
      LessThan: def((o: unknown) => compare(v, other(o)) < 0, "any"),
      GreaterThan: def((o: unknown) => compare(v, other(o)) > 0, "any"),
      Equal: def((o: unknown) => compare(v, other(o)) === 0, "any"),
    };
  }
}

export const SEMVER_FUNCS: Record<string, FuncDef> = {
  semver: def((s: string) => new SemverVersion(parseVersion(s)), "string"),
  semverCompare: def(
    (c: string, v: string) => parseConstraint(c)(parseVersion(v)),
    "string",
    "string",
  ),
};
