/** Sprig's date functions; `now` comes from the injected clock. */
import { def, type FuncDef, FuncError } from "./_func_def.ts";
import { formatGoTime, parseGoTime, zoneOffset } from "./_time.ts";
import { GoInt64, GoTime } from "./values.ts";

const NS_PER: Record<string, bigint> = {
  ns: 1n,
  us: 1000n,
  "µs": 1000n,
  "μs": 1000n,
  ms: 1000000n,
  s: 1000000000n,
  m: 60000000000n,
  h: 3600000000000n,
};

/** time.ParseDuration, in nanoseconds. */
/** Sprig's dateModify: the time moved by a duration, or unchanged when the duration is invalid. */
function dateModifyOrSame(fmt: string, t: GoTime): GoTime {
  try {
    return dateModify(fmt, t);
  } catch {
    return t;
  }
}

export function parseDuration(s: string): bigint {
  const orig = s;
  let neg = false;
  if (s.startsWith("-") || s.startsWith("+")) {
    neg = s[0] === "-";
    s = s.slice(1);
  }
  if (s === "0") return 0n;
  if (s === "") throw new FuncError(`time: invalid duration ${JSON.stringify(orig)}`);
  let total = 0n;
  const re = /^([0-9]*)(?:\.([0-9]*))?(ns|us|µs|μs|ms|s|m|h)/;
  while (s.length > 0) {
    const m = re.exec(s);
    if (!m || (m[1] === "" && (m[2] ?? "") === "")) {
      throw new FuncError(`time: invalid duration ${JSON.stringify(orig)}`);
    }
    const unit = NS_PER[m[3]!]!;
    total += BigInt(m[1] || "0") * unit;
    if (m[2]) {
      const frac = m[2];
      total += (BigInt(frac) * unit) / 10n ** BigInt(frac.length);
    }
    s = s.slice(m[0].length);
  }
  return neg ? -total : total;
}

/** time.Duration.String. */
export function formatDuration(d: bigint): string {
  if (d === 0n) return "0s";
  const neg = d < 0n;
  let u = neg ? -d : d;
  let out: string;
  if (u < 1000000000n) {
    let unit: string;
    let div: bigint;
    if (u < 1000n) return (neg ? "-" : "") + u + "ns";
    if (u < 1000000n) {
      unit = "µs";
      div = 1000n;
    } else {
      unit = "ms";
      div = 1000000n;
    }
    out = fracString(u, div) + unit;
  } else {
    const h = u / 3600000000000n;
    u -= h * 3600000000000n;
    const m = u / 60000000000n;
    u -= m * 60000000000n;
    out = fracString(u, 1000000000n) + "s";
    if (h > 0n) out = `${h}h${m}m` + out;
    else if (m > 0n) out = `${m}m` + out;
  }
  return (neg ? "-" : "") + out;
}

function fracString(v: bigint, div: bigint): string {
  const whole = v / div;
  const frac = v % div;
  if (frac === 0n) return String(whole);
  const digits = String(div).length - 1;
  return `${whole}.${String(frac).padStart(digits, "0").replace(/0+$/, "")}`;
}

function validZone(zone: string): string {
  if (zone === "UTC" || zone === "Local" || zone === "") return zone === "" ? "UTC" : zone;
  try {
    zoneOffset(zone, 0);
    return zone;
  } catch {
    return "UTC";
  }
}

export interface DateEnv {
  now: () => number;
}

function toTime(env: DateEnv, date: unknown): GoTime {
  if (date instanceof GoTime) return date;
  if (date instanceof Date) return new GoTime(date.getTime(), "UTC");
  if (typeof date === "bigint") return new GoTime(Number(date) * 1000, "Local");
  if (date instanceof GoInt64) return new GoTime(Number(date.value) * 1000, "Local");
  return new GoTime(env.now(), "Local");
}

function inZone(t: GoTime, zone: string): GoTime {
  return new GoTime(t.ms, validZone(zone), t.nsExtra);
}

function dateModify(fmt: string, t: GoTime): GoTime {
  const d = parseDuration(fmt);
  const totalNs = BigInt(t.ms) * 1000000n + BigInt(t.nsExtra) + d;
  const ms = totalNs / 1000000n;
  return new GoTime(Number(ms), t.zone, Number(totalNs - ms * 1000000n));
}

function durationRound(env: DateEnv, v: unknown): string {
  let d = 0n;
  if (typeof v === "string") {
    try {
      d = parseDuration(v);
    } catch {
      d = 0n;
    }
  } else if (v instanceof GoInt64) d = v.value;
  else if (v instanceof GoTime) d = BigInt(env.now() - v.ms) * 1000000n;
  const u = d < 0n ? -d : d;
  const second = 1000000000n;
  const minute = 60n * second;
  const hour = 60n * minute;
  const day = 24n * hour;
  const month = 30n * day;
  const year = 365n * day;
  if (u > year) return `${u / year}y`;
  if (u > month) return `${u / month}mo`;
  if (u > day) return `${u / day}d`;
  if (u > hour) return `${u / hour}h`;
  if (u > minute) return `${u / minute}m`;
  if (u > second) return `${u / second}s`;
  return "0s";
}

/** Date functions bound to `env`. */
export function dateFuncs(env: DateEnv): Record<string, FuncDef> {
  const dateInZone = (fmt: string, date: unknown, zone: string) =>
    formatGoTime(inZone(toTime(env, date), zone), fmt);
  return {
    now: def(() => new GoTime(env.now(), "Local")),
    date: def((fmt: string, d: unknown) => dateInZone(fmt, d, "Local"), "string", "any"),
    dateInZone: def(dateInZone, "string", "any", "string"),
    date_in_zone: def(dateInZone, "string", "any", "string"),
    htmlDate: def((d: unknown) => dateInZone("2006-01-02", d, "Local"), "any"),
    htmlDateInZone: def((d: unknown, z: string) => dateInZone("2006-01-02", d, z), "any", "string"),
    dateModify: def(dateModifyOrSame, "string", "time"),
    date_modify: def(dateModifyOrSame, "string", "time"),
    mustDateModify: def(dateModify, "string", "time"),
    must_date_modify: def(dateModify, "string", "time"),
    ago: def((d: unknown) => {
      const t = toTime(env, d);
      const ns = BigInt(env.now() - t.ms) * 1000000n;
      const rounded = ((ns + (ns >= 0n ? 500000000n : -500000000n)) / 1000000000n) * 1000000000n;
      return formatDuration(rounded);
    }, "any"),
    duration: def((v: unknown) => {
      let n = 0n;
      if (typeof v === "string") n = /^[+-]?\d+$/.test(v) ? BigInt(v) : 0n;
      else if (v instanceof GoInt64) n = v.value;
      return formatDuration(n * 1000000000n);
    }, "any"),
    durationRound: def((v: unknown) => durationRound(env, v), "any"),
    toDate: def(
      (fmt: string, s: string) => {
        try {
          return parseGoTime(fmt, s, "Local");
        } catch {
          return new GoTime(-62135596800000, "UTC");
        }
      },
      "string",
      "string",
    ),
    mustToDate: def(
      (fmt: string, s: string) => {
        try {
          return parseGoTime(fmt, s, "Local");
        } catch (e) {
          throw new FuncError((e as Error).message);
        }
      },
      "string",
      "string",
    ),
    unixEpoch: def((t: GoTime) => String(Math.floor(t.ms / 1000)), "time"),
  };
}
