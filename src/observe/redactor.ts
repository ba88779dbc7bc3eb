/**
 * The value redactor: every secret value the program reads is registered here, and every log
 * record passes through it before it is written.
 *
 * @module
 */

/** What replaces a masked value or a sensitive field. */
export const REDACTED = "[REDACTED]";

/**
 * Values shorter than this are registered but not masked in free text: masking a 1-character
 * secret would erase that character from every log line. Fields with a sensitive key (see
 * {@linkcode isSensitiveKey}) are masked whatever their length.
 */
export const MIN_REDACT_LENGTH = 4;

/** Lines of a multi-line value (a PEM key, say) at least this long are registered on their own. */
const MIN_LINE_LENGTH = 16;

/** Prefix lengths of the lookup levels; the first is MIN_REDACT_LENGTH. */
const KEY_LENGTHS = [MIN_REDACT_LENGTH, 8, 16, 32];

const STARTS_SIZE = 1 << 16;

/** Hash of two UTF-16 code units into [0, STARTS_SIZE). */
function startHash(a: number, b: number): number {
  return ((a * 131) ^ b) & (STARTS_SIZE - 1);
}

/** Deepest nesting {@linkcode Redactor.redactValue} descends into. */
const MAX_DEPTH = 12;

/** Normalised key names (lower case, no `_`/`-`/`.`) whose values are always masked. */
const SENSITIVE_KEYS: ReadonlySet<string> = new Set([
  "token",
  "clienttoken",
  "xvaulttoken",
  "vaulttoken",
  "wrappingtoken",
  "secretid",
  "roleid",
  "password",
  "passwd",
  "passphrase",
  "authorization",
  "proxyauthorization",
  "cookie",
  "setcookie",
  "privatekey",
  "apikey",
  "secretvalue",
  "value",
  "values",
  "content",
  "rendered",
  "data",
]);

/** Normalised key suffixes whose values are always masked (`vault_token`, `db_password`, …). */
const SENSITIVE_SUFFIXES = [
  "token",
  "password",
  "secretid",
  "roleid",
  "privatekey",
  "apikey",
  "jwt",
];

/**
 * Whether a structured-field name looks like it holds a credential or secret content.
 *
 * The names a log call uses for *identifiers* stay visible: `secret` (the configured secret
 * name), `path`, `tokenFile`, `jwtFile`, `tokenTtl`, `kind`.
 *
 * @example
 * ```ts
 * isSensitiveKey("client_token"); // true
 * isSensitiveKey("secret"); // false: the configured name of a secret
 * ```
 */
export function isSensitiveKey(key: string): boolean {
  const normalised = key.toLowerCase().replace(/[-_.\s]/g, "");
  if (SENSITIVE_KEYS.has(normalised)) return true;
  return SENSITIVE_SUFFIXES.some((suffix) => normalised.endsWith(suffix));
}

/** Options of {@linkcode Redactor}. */
export interface RedactorOptions {
  /**
   * The text that replaces a value.
   * @default "[REDACTED]"
   */
  replacement?: string;
}

/**
 * Masks registered secret values in text and in structured values.
 *
 * Registering a value also registers its derived forms that leak the same secret: the JSON
 * string escape (`"` → `\"`, newline → `\n`), unpadded standard and URL-safe base64 of its UTF-8
 * bytes, and each line of a multi-line value that is at least 16 characters long. Values stay
 * registered for the life of the process: an old value that was rotated away is still a secret.
 *
 * Matching walks the text once; at each position a two-character filter and a lookup by prefix
 * (4, 8, 16 or 32 characters, by the value's length) find the few candidates, so the cost of
 * {@linkcode Redactor.redact} grows with the text's length, not with the number of values.
 *
 * @example
 * ```ts
 * const redactor = new Redactor();
 * redactor.register("hunter2-db-password");
 * redactor.redact("login failed for hunter2-db-password"); // "login failed for [REDACTED]"
 * ```
 */
export class Redactor {
  readonly #replacement: string;
  /** Every registered form, including short ones (kept so `size` and `has` are truthful). */
  readonly #values = new Set<string>();
  /** The values passed to register(), so a repeat is a no-op. */
  readonly #registered = new Set<string>();
  /**
   * Maskable forms bucketed by a prefix: a form of length n sits in the level with the longest
   * key length ≤ n, keyed by its first key-length characters. Long keys keep buckets small even
   * when many values share a prefix (every Vault token starts with "hvs.CAES").
   */
  readonly #levels: Array<{ keyLength: number; buckets: Map<string, string[]> }> = KEY_LENGTHS
    .map((keyLength) => ({ keyLength, buckets: new Map() }));
  /** Bit per hash of a form's first two characters: a cheap "can anything start here?". */
  readonly #starts = new Uint8Array(STARTS_SIZE);
  #maskable = 0;

  constructor(options: RedactorOptions = {}) {
    const { replacement = REDACTED } = options;
    this.#replacement = replacement;
  }

  /** The text that replaces masked values. */
  get replacement(): string {
    return this.#replacement;
  }

  /** Number of distinct registered forms. */
  get size(): number {
    return this.#values.size;
  }

  /** Registers a secret value (and its derived forms). Empty strings are ignored. */
  register(value: string): void {
    if (typeof value !== "string" || value.length === 0 || this.#registered.has(value)) return;
    this.#registered.add(value);
    this.#add(value);
    const escaped = JSON.stringify(value).slice(1, -1);
    if (escaped !== value) this.#add(escaped);
    if (value.length >= MIN_REDACT_LENGTH) {
      const b64 = base64(value);
      this.#add(b64);
      const url = b64.replaceAll("+", "-").replaceAll("/", "_");
      if (url !== b64) this.#add(url);
    }
    if (value.includes("\n")) {
      for (const line of value.split(/\r?\n/)) {
        const trimmed = line.trim();
        if (trimmed.length >= MIN_LINE_LENGTH) this.#add(trimmed);
      }
    }
  }

  /** Registers every string found inside `value` (object values, array items), deeply. */
  registerAll(value: unknown): void {
    const seen = new Set<object>();
    const walk = (v: unknown, depth: number): void => {
      if (typeof v === "string") this.register(v);
      else if (typeof v === "number" || typeof v === "bigint") this.register(String(v));
      else if (v !== null && typeof v === "object" && depth < MAX_DEPTH && !seen.has(v)) {
        seen.add(v);
        for (const item of Array.isArray(v) ? v : Object.values(v)) walk(item, depth + 1);
      }
    };
    walk(value, 0);
  }

  /** Whether `value` was registered, or is a derived form of a registered value. */
  has(value: string): boolean {
    return this.#values.has(value);
  }

  /** Returns `text` with every registered value of at least 4 characters replaced. */
  redact(text: string): string {
    if (this.#maskable === 0 || text.length < MIN_REDACT_LENGTH) return text;
    const replacement = this.#replacement;
    const levels = this.#levels;
    const starts = this.#starts;
    let out = "";
    let copiedUpTo = 0;
    let i = 0;
    const last = text.length - MIN_REDACT_LENGTH;
    while (i <= last) {
      // Never mask inside an earlier mask (a value "REDA" would otherwise mangle "[REDACTED]").
      if (text.startsWith(replacement, i)) {
        i += replacement.length;
        continue;
      }
      if (starts[startHash(text.charCodeAt(i), text.charCodeAt(i + 1))] === 0) {
        i++;
        continue;
      }
      let match: string | undefined;
      // Longest keys first: their forms are longer than any in a shorter level.
      for (let level = levels.length - 1; level >= 0 && match === undefined; level--) {
        const { keyLength, buckets } = levels[level]!;
        if (buckets.size === 0 || i + keyLength > text.length) continue;
        match = buckets.get(text.slice(i, i + keyLength))?.find((form) => text.startsWith(form, i));
      }
      if (match === undefined) {
        i++;
        continue;
      }
      out += text.slice(copiedUpTo, i) + replacement;
      i += match.length;
      copiedUpTo = i;
    }
    return copiedUpTo === 0 ? text : out + text.slice(copiedUpTo);
  }

  /**
   * Returns a deep copy of `value` that is safe to serialise: strings redacted, fields with a
   * sensitive key masked, errors turned into plain `{ name, message, stack, cause, … }`
   * objects (message, stack and cause redacted too), byte arrays summarised by length,
   * cycles cut. Keys are redacted as well.
   */
  redactValue(value: unknown): unknown {
    return this.#redactDeep(value, 0, new Set());
  }

  #add(form: string): void {
    if (this.#values.has(form)) return;
    this.#values.add(form);
    if (form.length < MIN_REDACT_LENGTH) return;
    let level = this.#levels[0]!;
    for (const candidate of this.#levels) if (candidate.keyLength <= form.length) level = candidate;
    const key = form.slice(0, level.keyLength);
    let bucket = level.buckets.get(key);
    if (bucket === undefined) {
      bucket = [];
      level.buckets.set(key, bucket);
    }
    // Kept longest first as forms arrive: sorting a bucket before each redact() was quadratic
    // when thousands of values share a prefix (every sync registers its values).
    let at = bucket.length;
    while (at > 0 && bucket[at - 1]!.length < form.length) at--;
    bucket.splice(at, 0, form);
    this.#starts[startHash(form.charCodeAt(0), form.charCodeAt(1))] = 1;
    this.#maskable++;
  }

  #redactDeep(value: unknown, depth: number, seen: Set<object>): unknown {
    switch (typeof value) {
      case "string":
        return this.redact(value);
      case "number": {
        // A registered number (registerAll() takes them from KV data) becomes the mask text.
        const text = String(value);
        const masked = this.redact(text);
        return masked === text ? value : masked;
      }
      case "boolean":
      case "undefined":
        return value;
      case "bigint":
        return this.redact(value.toString());
      case "symbol":
        return this.redact(value.toString());
      case "function":
        return `[function ${this.redact(value.name || "anonymous")}]`;
    }
    if (value === null) return null;
    const object = value as object;
    if (seen.has(object)) return "[Circular]";
    if (depth >= MAX_DEPTH) return "[Nested too deep]";
    seen.add(object);
    try {
      if (object instanceof Error) return this.#redactError(object, depth, seen);
      if (object instanceof Date) {
        return Number.isNaN(object.getTime()) ? "Invalid Date" : object.toISOString();
      }
      if (object instanceof Uint8Array || object instanceof ArrayBuffer) {
        return `[${object.byteLength} bytes]`;
      }
      if (ArrayBuffer.isView(object)) return `[${object.byteLength} bytes]`;
      if (object instanceof RegExp) return this.redact(String(object));
      if (Array.isArray(object)) {
        return object.map((item) => this.#redactDeep(item, depth + 1, seen));
      }
      if (object instanceof Map || object instanceof Headers) {
        const out: Record<string, unknown> = {};
        for (const [k, v] of object) this.#setField(out, String(k), v, depth, seen);
        return out;
      }
      if (object instanceof Set) {
        return [...object].map((item) => this.#redactDeep(item, depth + 1, seen));
      }
      if (object instanceof URL) return this.redact(redactUrl(object));
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(object)) this.#setField(out, k, v, depth, seen);
      return out;
    } finally {
      seen.delete(object);
    }
  }

  #setField(
    out: Record<string, unknown>,
    key: string,
    value: unknown,
    depth: number,
    seen: Set<object>,
  ): void {
    const safeKey = this.redact(key);
    out[safeKey] = isSensitiveKey(key) && value !== undefined && value !== null
      ? this.#replacement
      : this.#redactDeep(value, depth + 1, seen);
  }

  #redactError(error: Error, depth: number, seen: Set<object>): Record<string, unknown> {
    const out: Record<string, unknown> = {
      name: this.redact(String(error.name)),
      message: this.redact(String(error.message)),
    };
    if (typeof error.stack === "string") out.stack = this.redact(error.stack);
    for (const [k, v] of Object.entries(error)) {
      if (k === "name" || k === "message" || k === "stack" || k === "cause") continue;
      this.#setField(out, k, v, depth, seen);
    }
    if (error instanceof AggregateError && Array.isArray(error.errors)) {
      out.errors = error.errors.map((e) => this.#redactDeep(e, depth + 1, seen));
    }
    if ("cause" in error && error.cause !== undefined) {
      out.cause = this.#redactDeep(error.cause, depth + 1, seen);
    }
    return out;
  }
}

/** Base64 (standard alphabet, no padding) of the UTF-8 bytes of `text`. */
function base64(text: string): string {
  const bytes = new TextEncoder().encode(text);
  let binary = "";
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary).replace(/=+$/, "");
}

/** A URL as text without its password or query values. */
function redactUrl(url: URL): string {
  const copy = new URL(url.href);
  if (copy.password) copy.password = REDACTED;
  for (const key of [...copy.searchParams.keys()]) {
    if (isSensitiveKey(key)) copy.searchParams.set(key, REDACTED);
  }
  return copy.href;
}
