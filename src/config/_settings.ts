/**
 * `settings` → {@linkcode SettingsPlan}: process-level options. Each has an environment
 * variable (the seed's names), which wins over the file.
 *
 * @module
 */

import type { SettingsPlan } from "./plan.ts";
import type { SettingsInput } from "./seed_schema.ts";
import { configPath, envValue, type PlanContext } from "./_context.ts";
import { parseDuration } from "./duration.ts";
import { parseEnvBool } from "./_store.ts";
import type { KeyPath } from "./source_locator.ts";
import { SETTINGS_DEFAULTS } from "./defaults.ts";

type LogLevel = SettingsPlan["logLevel"];
type LogFormat = SettingsPlan["logFormat"];

const LOG_LEVELS: Record<string, LogLevel> = {
  debug: "debug",
  info: "info",
  warn: "warning",
  warning: "warning",
  error: "error",
};
const LOG_FORMATS: Record<string, LogFormat> = { json: "json", pretty: "pretty", text: "pretty" };

/** Resolves settings from the file section and the environment. */
export function resolveSettings(
  ctx: PlanContext,
  input: SettingsInput | undefined,
  path: KeyPath,
): SettingsPlan {
  const file = input ?? {};
  const d = SETTINGS_DEFAULTS;

  const fromEnv = <T>(name: string, parse: (raw: string) => T | undefined, expected: string) => {
    const raw = envValue(ctx, name);
    if (raw === undefined) return undefined;
    const value = parse(raw);
    if (value === undefined) {
      ctx.issues.addEnv(name, `Invalid value "${raw}": expected ${expected}`);
    }
    return value;
  };
  const envInt = (name: string, min: number, max: number) =>
    fromEnv(name, (raw) => {
      const n = Number(raw);
      return /^\d+$/.test(raw) && n >= min && n <= max ? n : undefined;
    }, `an integer from ${min} to ${max}`);
  const envDuration = (name: string) =>
    fromEnv(name, (raw) => {
      try {
        const ms = parseDuration(raw);
        return ms > 0 ? ms : undefined;
      } catch {
        return undefined;
      }
    }, 'a positive duration like "30s"');
  const envBool = (name: string) => fromEnv(name, parseEnvBool, "true or false");

  const logLevel =
    fromEnv("LOG_LEVEL", (raw) => LOG_LEVELS[raw.toLowerCase()], "debug, info, warn or error") ??
      (file.logLevel === undefined ? undefined : LOG_LEVELS[file.logLevel]) ?? d.logLevel;
  const logFormat =
    fromEnv("LOG_FORMAT", (raw) => LOG_FORMATS[raw.toLowerCase()], "json or pretty") ??
      (file.logFormat === undefined ? undefined : LOG_FORMATS[file.logFormat]) ?? d.logFormat;
  const metrics = {
    enabled: envBool("ENABLE_METRICS") ?? file.metrics?.enabled ?? d.metricsEnabled,
    addr: envValue(ctx, "METRICS_ADDR") ?? file.metrics?.addr ?? d.metricsAddr,
    // HTTP_PORT is v0.1.0's name of METRICS_PORT (the program warns about it at start).
    port: envInt("METRICS_PORT", 1, 65535) ?? envInt("HTTP_PORT", 1, 65535) ??
      file.metrics?.port ?? d.metricsPort,
  };
  const statusFile = envValue(ctx, "STATUS_FILE") ?? file.statusFile ?? d.statusFile;
  const watch = envBool("WATCH_CONFIG") ?? file.watch ?? d.watch;
  const concurrency = envInt("CONCURRENCY", 1, 1024) ?? file.concurrency ?? d.concurrency;

  const breaker = file.circuitBreaker ?? {};
  const backoff = file.backoff ?? {};
  if (breaker.maxFailures !== undefined && breaker.maxRequests !== undefined) {
    ctx.issues.add(
      [...path, "circuitBreaker", "maxRequests"],
      "Give either maxFailures or maxRequests (its older name), not both",
      "key",
    );
  }
  const resilience = {
    initialBackoffMs: envDuration("INITIAL_BACKOFF") ?? backoff.initial ?? d.initialBackoffMs,
    maxBackoffMs: envDuration("MAX_BACKOFF") ?? backoff.max ?? d.maxBackoffMs,
    backoffMultiplier: fromEnv("BACKOFF_MULTIPLIER", (raw) => {
      const n = Number(raw);
      return raw.trim() !== "" && Number.isFinite(n) && n >= 1 && n <= 100 ? n : undefined;
    }, "a number from 1 to 100") ?? backoff.multiplier ?? d.backoffMultiplier,
    breakerMaxFailures: envInt("CIRCUIT_BREAKER_MAX_REQUESTS", 1, 1_000_000) ??
      breaker.maxFailures ?? breaker.maxRequests ?? d.breakerMaxFailures,
    breakerIntervalMs: envDuration("CIRCUIT_BREAKER_INTERVAL") ?? breaker.interval ??
      d.breakerIntervalMs,
    breakerTimeoutMs: envDuration("CIRCUIT_BREAKER_TIMEOUT") ?? breaker.timeout ??
      d.breakerTimeoutMs,
  };
  for (
    const [value, key] of [
      [backoff.initial, ["backoff", "initial"]],
      [backoff.max, ["backoff", "max"]],
      [breaker.interval, ["circuitBreaker", "interval"]],
      [breaker.timeout, ["circuitBreaker", "timeout"]],
    ] as const
  ) {
    if (value !== undefined && value <= 0) {
      ctx.issues.add([...path, ...key], "Must be more than 0s");
    }
  }
  if (resilience.maxBackoffMs < resilience.initialBackoffMs) {
    ctx.issues.add(
      [...path, "backoff", backoff.max !== undefined ? "max" : "initial"],
      "backoff.max must not be less than backoff.initial",
    );
  }
  return {
    logLevel,
    logFormat,
    metrics,
    statusFile: configPath(ctx, statusFile),
    watch,
    concurrency,
    resilience,
  };
}
