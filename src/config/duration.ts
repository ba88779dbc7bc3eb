/**
 * Go-style durations (`100ms`, `30s`, `5m`, `1h30m`, `1.5h`) to milliseconds and back.
 *
 * @module
 */

const UNIT_MS: Record<string, number> = {
  ns: 1e-6,
  us: 1e-3,
  "µs": 1e-3,
  "μs": 1e-3,
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
};

const PART = /(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h)/y;

/**
 * Parses a Go duration string (as `time.ParseDuration` does) into milliseconds.
 *
 * Accepts an optional sign and one or more `<number><unit>` parts with units `ns`, `us`/`µs`,
 * `ms`, `s`, `m`, `h`; `"0"` alone is zero. Sub-millisecond results are fractional.
 *
 * @example
 * ```ts
 * parseDuration("1h30m"); // 5_400_000
 * parseDuration("100ms"); // 100
 * ```
 * @throws {SyntaxError} when the text is not a duration; the message quotes the text.
 */
export function parseDuration(text: string): number {
  const trimmed = text.trim();
  let rest = trimmed;
  let sign = 1;
  if (rest.startsWith("-") || rest.startsWith("+")) {
    if (rest[0] === "-") sign = -1;
    rest = rest.slice(1);
  }
  if (rest === "0") return 0;
  if (rest === "") {
    throw new SyntaxError(`Invalid duration "${text}": expected e.g. "30s", "5m", "1h30m"`);
  }
  let total = 0;
  PART.lastIndex = 0;
  while (PART.lastIndex < rest.length) {
    const start = PART.lastIndex;
    const match = PART.exec(rest);
    if (match === null) {
      const unitless = /^\d+(?:\.\d*)?$/.test(rest.slice(start));
      throw new SyntaxError(
        unitless
          ? `Invalid duration "${text}": missing unit (ns, us, ms, s, m, h), e.g. "${
            rest.slice(start)
          }s"`
          : `Invalid duration "${text}": expected e.g. "30s", "5m", "1h30m"`,
      );
    }
    total += Number(match[1]) * (UNIT_MS[match[2]!] ?? Number.NaN);
  }
  if (!Number.isFinite(total)) throw new SyntaxError(`Invalid duration "${text}": out of range`);
  return sign * total;
}

const FORMAT_UNITS: [string, number][] = [["h", 3_600_000], ["m", 60_000], ["s", 1000], ["ms", 1]];

/**
 * Formats milliseconds as a compact duration that {@linkcode parseDuration} reads back:
 * `5400000 → "1h30m"`, `1500 → "1s500ms"`, `0 → "0s"`.
 *
 * @example
 * ```ts
 * formatDuration(300_000); // "5m"
 * ```
 */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms)) throw new RangeError(`Cannot format duration: ${ms} is not finite`);
  if (ms === 0) return "0s";
  const sign = ms < 0 ? "-" : "";
  let rest = Math.abs(ms);
  let out = "";
  for (const [unit, size] of FORMAT_UNITS) {
    const count = unit === "ms" ? rest : Math.floor(rest / size);
    if (count > 0) {
      out += unit === "ms" ? `${formatNumber(count)}${unit}` : `${count}${unit}`;
      rest -= count * size;
    }
  }
  return sign + out;
}

function formatNumber(n: number): string {
  // Sub-millisecond parts: keep up to microsecond precision without float noise.
  return String(Math.round(n * 1000) / 1000);
}
