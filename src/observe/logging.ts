/**
 * Process-wide LogTape configuration: one sink that redacts every record and writes it as a
 * JSON line (default) or a human-readable line.
 *
 * @module
 */
import { configure, type LogRecord, reset } from "@logtape/logtape";
import { formatJsonLine, formatPrettyLine, type LogFormat } from "./log_format.ts";
import type { Redactor } from "./redactor.ts";

/** The levels a user can choose (`LOG_LEVEL`, `settings.logLevel`). */
export type LogLevelSetting = "debug" | "info" | "warning" | "error";

/** Options of {@linkcode setupLogging}. */
export interface SetupLoggingOptions {
  /** Lowest level written. */
  level: LogLevelSetting;
  /** `json` (JSON Lines) or `pretty`. */
  format: LogFormat;
  /** Applied to every field of every record, at every level. */
  redactor: Redactor;
  /**
   * Receives each finished line (without newline).
   * @default a synchronous write of the line and "\n" to stdout
   */
  write?: (line: string) => void;
}

/** Category every logger of this program lives under. */
export const LOG_CATEGORY = "secrets-sync";

/**
 * Configures LogTape for the whole process (replacing any earlier configuration). Records of
 * `["secrets-sync", …]` loggers at `level` or above are redacted, formatted and written;
 * LogTape's own diagnostics go to the same sink at warning and above.
 *
 * @example
 * ```ts
 * const redactor = new Redactor();
 * await setupLogging({ level: "info", format: "json", redactor });
 * getLogger(["secrets-sync", "sync"]).info("Synced secret {secret}", { secret: "db" });
 * ```
 */
export async function setupLogging(options: SetupLoggingOptions): Promise<void> {
  const { level, format, redactor, write = writeStdout } = options;
  if (!LEVELS.includes(level)) {
    throw new RangeError(`Cannot set up logging: invalid level "${String(level)}"`);
  }
  if (format !== "json" && format !== "pretty") {
    throw new RangeError(`Cannot set up logging: invalid format "${String(format)}"`);
  }
  const formatLine = format === "json" ? formatJsonLine : formatPrettyLine;
  const sink = (record: LogRecord): void => {
    let line: string;
    try {
      line = formatLine(record, redactor);
    } catch (error) {
      // Never fall back to the raw record: it may hold values. Say only what failed.
      line = formatLine(
        {
          category: record.category,
          level: record.level,
          message: ["Cannot format a log record: {kind}"],
          rawMessage: "Cannot format a log record: {kind}",
          timestamp: record.timestamp,
          properties: { kind: error instanceof Error ? error.name : typeof error },
        },
        redactor,
      );
    }
    try {
      write(line);
    } catch {
      // Logging must never break the sync loop; a closed stdout is not our problem to raise.
    }
  };
  await configure({
    reset: true,
    sinks: { main: sink },
    loggers: [
      { category: LOG_CATEGORY, sinks: ["main"], lowestLevel: level },
      { category: ["logtape", "meta"], sinks: ["main"], lowestLevel: "warning" },
    ],
  });
}

/** Removes the logging configuration (tests; shutdown). */
export async function resetLogging(): Promise<void> {
  await reset();
}

const LEVELS: readonly LogLevelSetting[] = ["debug", "info", "warning", "error"];

/**
 * Parses a `LOG_LEVEL` value: `debug`, `info`, `warn`/`warning`, `error` (any case).
 *
 * @throws {RangeError} for any other value.
 * @example
 * ```ts
 * parseLogLevel("WARN"); // "warning"
 * ```
 */
export function parseLogLevel(value: string): LogLevelSetting {
  const normalised = value.trim().toLowerCase();
  if (normalised === "warn") return "warning";
  if ((LEVELS as readonly string[]).includes(normalised)) return normalised as LogLevelSetting;
  throw new RangeError(
    `Cannot parse log level "${value}": expected debug, info, warn or error`,
  );
}

const encoder = new TextEncoder();

function writeStdout(line: string): void {
  const bytes = encoder.encode(line + "\n");
  let offset = 0;
  while (offset < bytes.length) offset += Deno.stdout.writeSync(bytes.subarray(offset));
}
