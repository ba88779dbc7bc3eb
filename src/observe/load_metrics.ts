/**
 * Metrics loaded only when they are served: prom-client costs about 18 MiB of RSS and 100–170 ms
 * at start (bench/import_cost.ts), so a sidecar with `metrics.enabled: false` runs on
 * {@linkcode NO_METRICS} and never loads it.
 *
 * @module
 */
import type { CreateMetricsOptions, Metrics } from "./metrics.ts";

/**
 * Metrics that record nothing, for a process that serves no /metrics.
 *
 * @example
 * ```ts
 * const metrics = enabled ? await loadMetrics({ version }) : NO_METRICS;
 * ```
 */
export const NO_METRICS: Metrics = Object.freeze({
  contentType: "text/plain; version=0.0.4; charset=utf-8",
  recordFetchSuccess() {},
  recordFetchError() {},
  observeSyncDuration() {},
  recordSyncSuccess() {},
  setBreakerState() {},
  setSecretsConfigured() {},
  setSecretsSynced() {},
  recordFileWrite() {},
  recordHookRun() {},
  observeVaultRequest() {},
  setTokenTtl() {},
  recordAuth() {},
  recordConfigReload() {},
  recordLeaseEvent() {},
  setLeaseExpiry() {},
  removeSecret() {},
  removeCredentials() {},
  removeBreaker() {},
  text: () => Promise.resolve(""),
});

/**
 * Loads prom-client and creates the metrics on a registry of their own (see `createMetrics` in
 * metrics.ts). Needs no permissions.
 */
export async function loadMetrics(options: CreateMetricsOptions = {}): Promise<Metrics> {
  const { createMetrics } = await import("./metrics.ts");
  return createMetrics(options);
}
