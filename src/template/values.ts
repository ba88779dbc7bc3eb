/**
 * Go values that plain JavaScript cannot express, for data handed to templates:
 * `json.Number` and `[]byte`. Everything else maps directly: `number` is Go's
 * float64 (as encoding/json decodes into interface{}), `bigint` is int, strings,
 * booleans, `null` (nil), arrays ([]interface{}), plain objects and `Map`s
 * (map[string]interface{}), `Date` (time.Time) and functions (for `call`).
 */

/** Go's encoding/json.Number: a string type that prints exactly its text. */
export class JsonNumber {
  constructor(readonly text: string) {}
  toString(): string {
    return this.text;
  }
}

/** A Go []byte value. */
export class GoBytes {
  constructor(readonly bytes: Uint8Array) {}
}

/**
 * Wraps a numeric text as Go's json.Number (what a decoder with UseNumber yields):
 * it prints exactly as given and compares as a string, like Go.
 * @example
 * ```ts
 * import { jsonNumber, render } from "./mod.ts";
 * render("{{ .port }}", { port: jsonNumber("8200") }); // "8200"
 * ```
 */
export function jsonNumber(text: string): JsonNumber {
  return new JsonNumber(text);
}

/**
 * Wraps bytes as a Go []byte value: `{{ . }}` prints `[104 105]`, `printf "%s"`
 * prints the text, and functions taking interface{} (toString, b64enc via
 * toString...) see the bytes, exactly as Go would.
 */
export function bytesValue(bytes: Uint8Array): GoBytes {
  return new GoBytes(bytes);
}

/** A Go time.Time: epoch milliseconds plus nanoseconds below the millisecond and a zone. */
export class GoTime {
  constructor(
    /** Milliseconds since the epoch. */
    readonly ms: number,
    /** Zone: IANA name, "UTC" or "Local". */
    readonly zone: string = "UTC",
    /** Extra nanoseconds beyond `ms` (0-999999). */
    readonly nsExtra: number = 0,
  ) {}
}

/**
 * A sized Go integer: int64 (what Sprig's math functions return) or uint8 (a byte of a
 * []byte or string). Plain `bigint` is Go's int.
 */
export class GoInt64 {
  constructor(readonly value: bigint, readonly goType: "int64" | "uint8" | "uint64" = "int64") {}
}

const GO_TYPES = new WeakMap<object, string>();

/** Records the Go type of a slice or map a function returns (e.g. "[]string"). */
export function withGoType<T extends object>(value: T, goType: string): T {
  GO_TYPES.set(value, goType);
  return value;
}

/** The recorded Go type of a slice or map, if any. */
export function recordedGoType(value: object): string | undefined {
  return GO_TYPES.get(value);
}
