/**
 * Observability: JSON Lines logging through LogTape with secret-value redaction, Prometheus
 * metrics on a registry of our own, the health/ready/metrics HTTP handler and its server, the
 * status file that `isready` reads, and tracing spans on `@opentelemetry/api`.
 *
 * observe never imports the sync layer: readiness is handed in as a function returning a
 * {@linkcode ReadinessSnapshot}. Nothing here carries secret values: log records are redacted
 * field by field, metric labels and span attributes hold configured names only.
 *
 * @example
 * ```ts
 * import {
 *   createHandler, loadMetrics, Redactor, serveObservability, setupLogging,
 * } from "./src/observe/mod.ts";
 *
 * const redactor = new Redactor();
 * await setupLogging({ level: "info", format: "json", redactor });
 * const metrics = await loadMetrics({ version: "1.0.0" }); // or NO_METRICS when not served
 * const server = serveObservability(
 *   createHandler({ readiness: () => scheduler.readiness(), liveness, metrics }),
 *   { hostname: "0.0.0.0", port: 9090, signal },
 * );
 * redactor.registerAll(secret.data); // after every read, before anything is logged
 * ```
 *
 * @module
 */
export { isSensitiveKey, MIN_REDACT_LENGTH, REDACTED, Redactor } from "./redactor.ts";
export type { RedactorOptions } from "./redactor.ts";
export { formatJsonLine, formatPrettyLine } from "./log_format.ts";
export type { LogFormat } from "./log_format.ts";
export { LOG_CATEGORY, parseLogLevel, resetLogging, setupLogging } from "./logging.ts";
export type { LogLevelSetting, SetupLoggingOptions } from "./logging.ts";
// Types only: metrics.ts loads prom-client, which only a process serving /metrics needs.
export { loadMetrics, NO_METRICS } from "./load_metrics.ts";
export type {
  AuthResult,
  CreateMetricsOptions,
  FileWriteResult,
  HookOutcome,
  LeaseEventKind,
  Metrics,
  ReloadResult,
} from "./metrics.ts";
export { countSecrets } from "./readiness.ts";
export type {
  LivenessSnapshot,
  ReadinessSnapshot,
  SecretReadiness,
  SecretStatus,
  StatusCounts,
} from "./readiness.ts";
export { createHandler, readyBody } from "./handler.ts";
export type { HandlerDeps, ReadyBody } from "./handler.ts";
export { serveObservability } from "./serve.ts";
export type { ObservabilityServer, ServeObservabilityOptions } from "./serve.ts";
export {
  checkReadyHttp,
  readStatus,
  readyUrl,
  STATUS_HEARTBEAT_MS,
  STATUS_MAX_AGE_MS,
  StatusFile,
  StatusFileError,
  writeStatusFile,
} from "./status_file.ts";
export type {
  CheckReadyHttpOptions,
  ReadStatusOptions,
  ReadyCheck,
  StatusFileContent,
  StatusFileOptions,
  WriteStatusFileOptions,
} from "./status_file.ts";
export { startSpan, TRACER_NAME, withSpan } from "./tracing.ts";
export type { Span, SpanAttributes } from "./tracing.ts";
