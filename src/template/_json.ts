/** Go's encoding/json Marshal/MarshalIndent for template values. */
import { bytesOf, compareStrings, formatFloat, kindOf, mapEntries } from "./_fmt.ts";
import { formatGoTime } from "./_time.ts";
import { GoBytes, GoInt64, GoTime, JsonNumber } from "./values.ts";
import { FuncError } from "./_func_def.ts";

function encodeString(s: string, escapeHTML: boolean): string {
  let out = '"';
  for (const ch of s) {
    const cp = ch.codePointAt(0)!;
    if (ch === '"') out += '\\"';
    else if (ch === "\\") out += "\\\\";
    else if (cp < 0x20) {
      if (ch === "\n") out += "\\n";
      else if (ch === "\r") out += "\\r";
      else if (ch === "\t") out += "\\t";
      else if (ch === "\b") out += "\\b";
      else if (ch === "\f") out += "\\f";
      else out += "\\u00" + cp.toString(16).padStart(2, "0");
    } else if (escapeHTML && (ch === "<" || ch === ">" || ch === "&")) {
      out += "\\u00" + cp.toString(16);
    } else if (cp === 0x2028 || cp === 0x2029) out += "\\u" + cp.toString(16);
    // An escaped byte of invalid UTF-8 (_go_string.ts): Go writes it as \ufffd.
    else if (cp >= 0xd800 && cp <= 0xdfff) out += "\\ufffd";
    else out += ch;
  }
  return out + '"';
}

function encodeFloat(f: number): string {
  if (!Number.isFinite(f)) {
    throw new FuncError(`json: unsupported value: ${formatFloat(f, "g", -1)}`);
  }
  const abs = Math.abs(f);
  let fmt = "f";
  if (abs !== 0 && (abs < 1e-6 || abs >= 1e21)) fmt = "e";
  let s = formatFloat(f, fmt, -1);
  if (fmt === "e") s = s.replace(/e([+-])0(\d)$/, "e$1$2");
  return s;
}

function base64(bytes: Uint8Array): string {
  let bin = "";
  for (const b of bytes) bin += String.fromCharCode(b);
  return btoa(bin);
}

/** json.Marshal (indent "" = compact); throws FuncError on unsupported values. */
export function marshalJson(v: unknown, escapeHTML: boolean, indent = ""): string {
  const enc = (x: unknown, depth: number): string => {
    if (x === null || x === undefined) return "null";
    switch (typeof x) {
      case "boolean":
        return x ? "true" : "false";
      case "number":
        return encodeFloat(x);
      case "bigint":
        return x.toString();
      case "string":
        return encodeString(x, escapeHTML);
      case "function":
        throw new FuncError("json: unsupported type: func()");
    }
    if (x instanceof GoInt64) return x.value.toString();
    if (x instanceof JsonNumber) return x.text === "" ? "0" : x.text;
    if (x instanceof GoBytes || x instanceof Uint8Array) return `"${base64(bytesOf(x))}"`;
    if (x instanceof GoTime) return `"${formatGoTime(x, "2006-01-02T15:04:05.999999999Z07:00")}"`;
    const nl = indent ? "\n" + indent.repeat(depth + 1) : "";
    const end = indent ? "\n" + indent.repeat(depth) : "";
    const sep = indent ? ": " : ":";
    if (Array.isArray(x)) {
      if (x.length === 0) return "[]";
      return "[" + x.map((e) => nl + enc(e, depth + 1)).join(",") + end + "]";
    }
    if (kindOf(x) === "struct") {
      const fields = Object.entries(x);
      if (fields.length === 0) return "{}";
      return "{" +
        fields.map(([k, e]) => nl + encodeString(k, escapeHTML) + sep + enc(e, depth + 1)).join(
          ",",
        ) +
        end + "}";
    }
    if (kindOf(x) === "map") {
      const entries = mapEntries(x).sort((a, b) => compareStrings(a[0], b[0]));
      if (entries.length === 0) return "{}";
      return "{" +
        entries.map(([k, e]) => nl + encodeString(k, escapeHTML) + sep + enc(e, depth + 1)).join(
          ",",
        ) + end + "}";
    }
    return "null";
  };
  return enc(v, 0);
}

/** json.Unmarshal into interface{}: numbers become float64. Messages never quote the input. */
export function unmarshalJson(s: string): unknown {
  if (s.trim() === "") throw new FuncError("unexpected end of JSON input");
  try {
    return fromPlain(JSON.parse(s));
  } catch {
    throw new FuncError("invalid JSON: syntax error in input");
  }
}

function fromPlain(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(fromPlain);
  if (v !== null && typeof v === "object") {
    const m: Record<string, unknown> = Object.create(null);
    for (const [k, x] of Object.entries(v)) m[k] = fromPlain(x);
    return m;
  }
  return v;
}
