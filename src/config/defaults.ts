/**
 * The defaults of every config field that has one, in one place: the config loader fills them in,
 * and `isready` and `help` read them from here (isready imports this file directly: the container
 * healthcheck must not load the whole config module).
 *
 * @module
 */
import type { KvVersion } from "./plan.ts";

/** Defaults of every setting. */
export const SETTINGS_DEFAULTS = {
  logLevel: "info",
  logFormat: "json",
  metricsEnabled: true,
  metricsAddr: "127.0.0.1",
  metricsPort: 8080,
  statusFile: "/tmp/.secrets-sync-ready",
  watch: false,
  concurrency: 8,
  initialBackoffMs: 1000,
  maxBackoffMs: 300_000,
  backoffMultiplier: 2,
  breakerMaxFailures: 5,
  breakerIntervalMs: 60_000,
  breakerTimeoutMs: 30_000,
} as const;

/** Defaults of a secret's fields. */
export const SECRET_DEFAULTS = {
  refreshIntervalMs: 300_000,
  /** Smallest refresh interval accepted, so a typo cannot hammer the server. */
  minRefreshIntervalMs: 100,
  jitter: 0.1,
  /** maxStaleness defaults to this many refresh intervals. */
  stalenessIntervals: 3,
  fileMode: 0o600,
  commandTimeoutMs: 30_000,
  httpTimeoutMs: 10_000,
  httpMethod: "POST",
  signal: "SIGHUP" as Deno.Signal,
} as const;

/** Defaults of the store section. */
export const STORE_DEFAULTS = {
  requestTimeoutMs: 10_000,
  maxResponseBytes: 10 * 1024 * 1024,
  kvVersion: 2 as KvVersion,
  mountPath: "secret",
  authMount: "approle",
  /** The service account token Kubernetes mounts into every pod (`authMethod: kubernetes`). */
  kubernetesJwtFile: "/var/run/secrets/kubernetes.io/serviceaccount/token",
} as const;
