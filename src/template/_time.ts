/** Go time.Time formatting/parsing subset used by Sprig's date functions and fmt. */
import { GoTime } from "./values.ts";

/** Go's month names. */
export const MONTHS = [
  "January",
  "February",
  "March",
  "April",
  "May",
  "June",
  "July",
  "August",
  "September",
  "October",
  "November",
  "December",
];
/** Go's weekday names. */
export const DAYS = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"];

export interface Civil {
  year: number;
  month: number; // 1-12
  day: number;
  hour: number;
  minute: number;
  second: number;
  ms: number;
  weekday: number;
  yday: number;
  offsetSec: number;
  abbrev: string;
}

const offsetCache = new Map<string, Intl.DateTimeFormat>();

/** Offset (seconds east of UTC) and abbreviation of `zone` at `ms`. */
export function zoneOffset(zone: string, ms: number): { offsetSec: number; abbrev: string } {
  if (zone === "UTC" || zone === "Local" || zone === "") return { offsetSec: 0, abbrev: "UTC" };
  const fixed = /^FIXED([+-]\d+)(?::(.*))?$/.exec(zone);
  if (fixed) return { offsetSec: Number(fixed[1]), abbrev: fixed[2] ?? "" };
  let dtf = offsetCache.get(zone);
  if (!dtf) {
    dtf = new Intl.DateTimeFormat("en-US", { timeZone: zone, timeZoneName: "longOffset" });
    offsetCache.set(zone, dtf);
  }
  const part = dtf.formatToParts(new Date(ms)).find((p) => p.type === "timeZoneName")?.value ??
    "GMT";
  const m = /GMT([+-])(\d{2}):(\d{2})/.exec(part);
  const offsetSec = m ? (m[1] === "-" ? -1 : 1) * (Number(m[2]) * 3600 + Number(m[3]) * 60) : 0;
  const abbrev = zoneAbbrev(zone, ms, offsetSec);
  return { offsetSec, abbrev };
}

// Go takes abbreviations from tzdata; ICU only knows them per locale, so ask the locale
// whose users write them, and fall back to Go's numeric form ("+04") like tzdata does.
const ABBREV_LOCALE: [RegExp, string][] = [
  [/^(America|US|Canada)\//, "en-US"],
  [/^(Europe\/|GB|Eire|WET|CET|EET|MET)/, "en-GB"],
  [/^Asia\/(Kolkata|Calcutta)$/, "en-IN"],
  [/^Australia\//, "en-AU"],
  [/^(Asia\/Tokyo|Japan)$/, "ja-JP"],
  [/^Africa\/Johannesburg$/, "en-ZA"],
  [/^(Pacific\/Auckland|NZ)$/, "en-NZ"],
];
const STATIC_ABBREV: Record<string, string> = {
  "Asia/Shanghai": "CST",
  "Asia/Taipei": "CST",
  "PRC": "CST",
  "Europe/Moscow": "MSK",
  "Asia/Seoul": "KST",
  "Asia/Hong_Kong": "HKT",
  "Asia/Karachi": "PKT",
  "Asia/Jakarta": "WIB",
};

function zoneAbbrev(zone: string, ms: number, offsetSec: number): string {
  const fixed = STATIC_ABBREV[zone];
  if (fixed !== undefined) return fixed;
  const locale = ABBREV_LOCALE.find(([re]) => re.test(zone))?.[1];
  if (locale !== undefined) {
    try {
      const short = new Intl.DateTimeFormat(locale, { timeZone: zone, timeZoneName: "short" })
        .formatToParts(new Date(ms)).find((p) => p.type === "timeZoneName")?.value ?? "";
      if (/^[A-Z]{2,5}$/.test(short) && (short !== "GMT" || offsetSec === 0)) return short;
    } catch {
      // fall through to the numeric form
    }
  }
  return offsetSec === 0 ? "GMT" : goNumericAbbrev(offsetSec);
}

function goNumericAbbrev(offsetSec: number): string {
  const sign = offsetSec < 0 ? "-" : "+";
  const a = Math.abs(offsetSec);
  const h = Math.floor(a / 3600);
  const m = Math.floor((a % 3600) / 60);
  return sign + String(h).padStart(2, "0") + (m ? String(m).padStart(2, "0") : "");
}

export function civil(t: GoTime): Civil {
  const { offsetSec, abbrev } = zoneOffset(t.zone, t.ms);
  const d = new Date(t.ms + offsetSec * 1000);
  const start = Date.UTC(d.getUTCFullYear(), 0, 1);
  const dayStart = Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate());
  return {
    year: d.getUTCFullYear(),
    month: d.getUTCMonth() + 1,
    day: d.getUTCDate(),
    hour: d.getUTCHours(),
    minute: d.getUTCMinutes(),
    second: d.getUTCSeconds(),
    ms: d.getUTCMilliseconds(),
    weekday: d.getUTCDay(),
    yday: Math.round((dayStart - start) / 86400000) + 1,
    offsetSec,
    abbrev,
  };
}

const TOKENS = [
  "January",
  "Jan",
  "Monday",
  "Mon",
  "MST",
  "2006",
  "-07:00:00",
  "-070000",
  "-07:00",
  "-0700",
  "-07",
  "Z07:00:00",
  "Z070000",
  "Z07:00",
  "Z0700",
  "Z07",
  "002",
  "__2",
  "_2",
  "01",
  "02",
  "03",
  "04",
  "05",
  "06",
  "15",
  "PM",
  "pm",
  "1",
  "2",
  "3",
  "4",
  "5",
];

function pad(n: number, w: number): string {
  return String(n).padStart(w, "0");
}

/** time.Time.Format(layout). */
export function formatGoTime(t: GoTime, layout: string): string {
  const c = civil(t);
  const nanos = (((t.ms % 1000) + 1000) % 1000) * 1e6 + t.nsExtra;
  let out = "";
  let i = 0;
  while (i < layout.length) {
    // fractional seconds .000 / .999 / ,000
    const frac = /^[.,](0+|9+)(?![0-9])/.exec(layout.slice(i));
    if (frac && (i === 0 || true)) {
      const n = frac[1]!.length;
      const digits = String(nanos).padStart(9, "0").slice(0, Math.min(n, 9));
      if (frac[1]![0] === "0") out += frac[0][0] + digits.padEnd(n, "0");
      else {
        const trimmed = digits.replace(/0+$/, "");
        if (trimmed) out += frac[0][0] + trimmed;
      }
      i += frac[0].length;
      continue;
    }
    const tok = TOKENS.find((k) => layout.startsWith(k, i));
    if (!tok) {
      out += layout[i];
      i++;
      continue;
    }
    // "Jan" must not match inside words like "January" handled by ordering.
    i += tok.length;
    const off = c.offsetSec;
    const sign = off < 0 ? "-" : "+";
    const oa = Math.abs(off);
    const oh = pad(Math.floor(oa / 3600), 2);
    const om = pad(Math.floor((oa % 3600) / 60), 2);
    const os = pad(oa % 60, 2);
    switch (tok) {
      case "January":
        out += MONTHS[c.month - 1];
        break;
      case "Jan":
        out += MONTHS[c.month - 1]!.slice(0, 3);
        break;
      case "Monday":
        out += DAYS[c.weekday];
        break;
      case "Mon":
        out += DAYS[c.weekday]!.slice(0, 3);
        break;
      case "MST":
        out += c.abbrev;
        break;
      case "2006":
        out += pad(c.year, 4);
        break;
      case "06":
        out += pad(c.year % 100, 2);
        break;
      case "01":
        out += pad(c.month, 2);
        break;
      case "1":
        out += String(c.month);
        break;
      case "02":
        out += pad(c.day, 2);
        break;
      case "_2":
        out += String(c.day).padStart(2, " ");
        break;
      case "2":
        out += String(c.day);
        break;
      case "002":
        out += pad(c.yday, 3);
        break;
      case "__2":
        out += String(c.yday).padStart(3, " ");
        break;
      case "15":
        out += pad(c.hour, 2);
        break;
      case "03":
        out += pad(c.hour % 12 === 0 ? 12 : c.hour % 12, 2);
        break;
      case "3":
        out += String(c.hour % 12 === 0 ? 12 : c.hour % 12);
        break;
      case "04":
        out += pad(c.minute, 2);
        break;
      case "4":
        out += String(c.minute);
        break;
      case "05":
        out += pad(c.second, 2);
        break;
      case "5":
        out += String(c.second);
        break;
      case "PM":
        out += c.hour >= 12 ? "PM" : "AM";
        break;
      case "pm":
        out += c.hour >= 12 ? "pm" : "am";
        break;
      case "-07:00:00":
        out += `${sign}${oh}:${om}:${os}`;
        break;
      case "-070000":
        out += `${sign}${oh}${om}${os}`;
        break;
      case "-07:00":
        out += `${sign}${oh}:${om}`;
        break;
      case "-0700":
        out += `${sign}${oh}${om}`;
        break;
      case "-07":
        out += `${sign}${oh}`;
        break;
      default: // Z forms
        if (off === 0) out += "Z";
        else if (tok === "Z07:00:00") out += `${sign}${oh}:${om}:${os}`;
        else if (tok === "Z070000") out += `${sign}${oh}${om}${os}`;
        else if (tok === "Z07:00") out += `${sign}${oh}:${om}`;
        else if (tok === "Z0700") out += `${sign}${oh}${om}`;
        else out += `${sign}${oh}`;
    }
  }
  return out;
}

/** time.Parse / ParseInLocation for common layouts; throws on mismatch. */
export function parseGoTime(layout: string, value: string, zone = "UTC"): GoTime {
  let year = 1, month = 1, day = 1, hour = 0, minute = 0, second = 0, nanos = 0;
  let pm: boolean | undefined;
  let offset: number | undefined;
  let i = 0;
  let v = 0;
  const fail = (): never => {
    throw new Error(
      `parsing time ${JSON.stringify(value)} as ${JSON.stringify(layout)}: cannot parse`,
    );
  };
  const num = (min: number, max: number): number => {
    const m = new RegExp(`^\\d{${min},${max}}`).exec(value.slice(v));
    if (!m) fail();
    v += m![0].length;
    return Number(m![0]);
  };
  while (i < layout.length) {
    const frac = /^[.,](0+|9+)(?![0-9])/.exec(layout.slice(i));
    if (frac) {
      i += frac[0].length;
      const m = /^[.,](\d+)/.exec(value.slice(v));
      if (m) {
        nanos = Number(m[1]!.slice(0, 9).padEnd(9, "0"));
        v += m[0].length;
      } else if (frac[1]![0] === "0") fail();
      continue;
    }
    const tok = TOKENS.find((k) => layout.startsWith(k, i));
    if (!tok) {
      if (value[v] !== layout[i]) fail();
      i++;
      v++;
      continue;
    }
    i += tok.length;
    // Go accepts fractional seconds after a seconds field even when the layout has none.
    switch (tok) {
      case "2006":
        year = num(4, 4);
        break;
      case "06":
        year = num(2, 2);
        year += year >= 69 ? 1900 : 2000;
        break;
      case "01":
        month = num(2, 2);
        break;
      case "1":
        month = num(1, 2);
        break;
      case "January":
      case "Jan": {
        const idx = MONTHS.findIndex((mn) =>
          value.slice(v).toLowerCase().startsWith(
            (tok === "Jan" ? mn.slice(0, 3) : mn).toLowerCase(),
          )
        );
        if (idx < 0) fail();
        v += tok === "Jan" ? 3 : MONTHS[idx]!.length;
        month = idx + 1;
        break;
      }
      case "Monday":
      case "Mon": {
        const idx = DAYS.findIndex((dn) =>
          value.slice(v).toLowerCase().startsWith(
            (tok === "Mon" ? dn.slice(0, 3) : dn).toLowerCase(),
          )
        );
        if (idx < 0) fail();
        v += tok === "Mon" ? 3 : DAYS[idx]!.length;
        break;
      }
      case "02":
        day = num(2, 2);
        break;
      case "_2":
        if (value[v] === " ") v++;
        day = num(1, 2);
        break;
      case "2":
        day = num(1, 2);
        break;
      case "002":
      case "__2":
        num(1, 3);
        break;
      case "15":
        hour = num(1, 2);
        break;
      case "03":
      case "3":
        hour = num(1, 2);
        break;
      case "04":
      case "4":
        minute = num(1, 2);
        break;
      case "05":
      case "5":
        second = num(1, 2);
        {
          const m = /^[.,](\d+)/.exec(value.slice(v));
          if (m && !/^[.,][09]/.test(layout.slice(i))) {
            nanos = Number(m[1]!.slice(0, 9).padEnd(9, "0"));
            v += m[0].length;
          }
        }
        break;
      case "PM":
      case "pm": {
        const s = value.slice(v, v + 2).toUpperCase();
        if (s !== "AM" && s !== "PM") fail();
        pm = s === "PM";
        v += 2;
        break;
      }
      case "MST": {
        const m = /^[A-Z]{3,5}|^[+-]\d{2,4}/.exec(value.slice(v));
        if (!m) fail();
        v += m![0].length;
        if (m![0] === "UTC" || m![0] === "GMT") offset ??= 0;
        break;
      }
      default: {
        if (tok.startsWith("Z") && value[v] === "Z") {
          v++;
          offset = 0;
          break;
        }
        const m = /^([+-])(\d{2}):?(\d{2})?(?::?(\d{2}))?/.exec(value.slice(v));
        if (!m) fail();
        v += m![0].length;
        offset = (m![1] === "-" ? -1 : 1) *
          (Number(m![2]) * 3600 + Number(m![3] ?? 0) * 60 + Number(m![4] ?? 0));
      }
    }
  }
  if (v !== value.length) fail();
  if (pm !== undefined) {
    if (pm && hour < 12) hour += 12;
    if (!pm && hour === 12) hour = 0;
  }
  if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 59) {
    throw new Error(`parsing time ${JSON.stringify(value)}: value out of range`);
  }
  const utc = Date.UTC(year, month - 1, day, hour, minute, second);
  const yFix = new Date(utc);
  if (year < 100) yFix.setUTCFullYear(year);
  let ms = yFix.getTime() + Math.floor(nanos / 1e6);
  let z = zone;
  if (offset !== undefined) {
    ms -= offset * 1000;
    z = offset === 0 ? "UTC" : `FIXED${offset}`;
  } else if (zone !== "UTC" && zone !== "Local") {
    const first = zoneOffset(zone, ms).offsetSec;
    ms -= first * 1000;
    const second2 = zoneOffset(zone, ms).offsetSec;
    if (second2 !== first) ms += (first - second2) * 1000;
  }
  return new GoTime(ms, z, nanos % 1e6);
}
