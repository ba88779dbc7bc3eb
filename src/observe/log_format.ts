/**
 * Turns LogTape records into redacted text lines: JSON Lines for machines, a compact line for
 * people. Every field goes through the {@linkcode Redactor}, then the finished line once more.
 *
 * @module
 */
import type { LogRecord } from "@logtape/logtape";
import { isSensitiveKey, type Redactor } from "./redactor.ts";

/** The output formats. */
export type LogFormat = "json" | "pretty";

/**
 * Formats a record as one JSON object (no trailing newline):
 * `{"timestamp","level","logger","message","properties"?}`. `properties` is omitted when empty.
 *
 * @example
 * ```ts
 * formatJsonLine(record, redactor);
 * // {"timestamp":"2026-01-01T00:00:00.000Z","level":"info","logger":"secrets-sync.sync",
 * //  "message":"Synced secret \"db\"","properties":{"secret":"db","durationMs":12}}
 * ```
 */
export function formatJsonLine(record: LogRecord, redactor: Redactor): string {
  const entry: Record<string, unknown> = {
    timestamp: isoTime(record.timestamp),
    level: record.level,
    logger: record.category.map((part) => redactor.redact(part)).join("."),
    message: renderMessage(record, redactor),
  };
  const properties = redactor.redactValue(record.properties) as Record<string, unknown>;
  if (Object.keys(properties).length > 0) entry.properties = properties;
  const line = JSON.stringify(entry, jsonReplacer);
  // Every field is already redacted; this pass only bites when a value spans JSON syntax.
  const checked = redactor.redact(line);
  if (checked === line || isJson(checked)) return checked;
  return JSON.stringify({
    timestamp: entry.timestamp,
    level: entry.level,
    logger: entry.logger,
    message: `${redactor.replacement} (a registered value spanned several fields)`,
  });
}

function isJson(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

/**
 * Formats a record for a terminal:
 * `2026-01-01T00:00:00.000Z INFO  sync: Synced secret "db" secret=db durationMs=12`.
 */
export function formatPrettyLine(record: LogRecord, redactor: Redactor): string {
  const category = record.category[0] === "secrets-sync"
    ? record.category.slice(1)
    : record.category;
  const properties = redactor.redactValue(record.properties) as Record<string, unknown>;
  const pairs = Object.entries(properties).map(([key, value]) =>
    `${key}=${typeof value === "string" ? quoteIfNeeded(value) : stringify(value)}`
  );
  const head = `${isoTime(record.timestamp)} ${LEVEL_LABELS[record.level]} ${
    category.join(".") || "secrets-sync"
  }: ${renderMessage(record, redactor)}`;
  return redactor.redact(pairs.length > 0 ? `${head} ${pairs.join(" ")}` : head);
}

const LEVEL_LABELS: Record<LogRecord["level"], string> = {
  trace: "TRACE",
  debug: "DEBUG",
  info: "INFO ",
  warning: "WARN ",
  error: "ERROR",
  fatal: "FATAL",
};

/**
 * The message with its substituted values, each redacted; a value whose placeholder name is
 * sensitive (`{token}`) is masked even when it was never registered.
 */
function renderMessage(record: LogRecord, redactor: Redactor): string {
  const names = typeof record.rawMessage === "string" ? placeholderNames(record.rawMessage) : [];
  let text = "";
  record.message.forEach((part, index) => {
    if (index % 2 === 0) {
      text += typeof part === "string" ? redactor.redact(part) : stringify(part);
      return;
    }
    const name = names[(index - 1) / 2];
    if (name !== undefined && isSensitiveKey(lastSegment(name))) {
      text += redactor.replacement;
      return;
    }
    const safe = redactor.redactValue(part);
    // Substituted strings are quoted, as LogTape's own formatters do: `Synced secret "db"`.
    if (typeof safe === "string") text += JSON.stringify(safe);
    else if (part instanceof Error && safe !== null && typeof safe === "object") {
      const { name, message } = safe as { name?: unknown; message?: unknown };
      text += `${String(name)}: ${String(message)}`;
    } else text += stringify(safe);
  });
  return text;
}

/** Placeholder names of a LogTape message template, in order, scanned as LogTape scans them. */
function placeholderNames(template: string): string[] {
  const names: string[] = [];
  for (let i = 0; i < template.length; i++) {
    const char = template[i];
    if (char === "{") {
      if (template[i + 1] === "{") {
        i++;
        continue;
      }
      const close = template.indexOf("}", i + 1);
      if (close === -1) continue;
      names.push(template.slice(i + 1, close).trim());
      i = close;
    } else if (char === "}" && template[i + 1] === "}") i++;
  }
  return names;
}

/** The last property name of a placeholder path: `user.password` → `password`. */
function lastSegment(path: string): string {
  return path.split(/[.[\]?"']+/).filter((part) => part !== "").at(-1) ?? path;
}

function stringify(value: unknown): string {
  if (value === undefined) return "undefined";
  try {
    return JSON.stringify(value, jsonReplacer) ?? String(value);
  } catch {
    return "[unserialisable]";
  }
}

function jsonReplacer(_key: string, value: unknown): unknown {
  return typeof value === "bigint" ? value.toString() : value;
}

function quoteIfNeeded(value: string): string {
  return /^[^\s"=]+$/.test(value) ? value : JSON.stringify(value);
}

function isoTime(ms: number): string {
  const date = new Date(ms);
  return Number.isNaN(date.getTime()) ? String(ms) : date.toISOString();
}
