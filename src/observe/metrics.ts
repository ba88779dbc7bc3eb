/**
 * Prometheus metrics behind typed methods, on a registry of our own (never prom-client's
 * global one). Labels carry configured names only — never values, tokens or Vault paths.
 *
 * @module
 */
import { Counter, Gauge, Histogram, Registry } from "prom-client";
import { type CircuitState, type Clock, SYSTEM_CLOCK } from "../resilience/mod.ts";

/** State of a circuit breaker, exported as 0 (closed), 1 (half_open), 2 (open) like the seed. */

/** Outcome of one file write. */
export type FileWriteResult = "written" | "unchanged" | "failed";
/** Outcome of one on-change hook run. */
export type HookOutcome = "success" | "failure" | "timeout";
/** Outcome of a login or token renewal. */
export type AuthResult = "success" | "failure";
/** Outcome of a config reload: applied, rejected (old config kept) or nothing changed. */
export type ReloadResult = "success" | "failure" | "unchanged";
/** What happened to a lease or certificate a secret's templates hold. */
export type LeaseEventKind = "issued" | "renewed" | "renew_failed" | "adopted" | "revoked";

/** The program's metrics. Every method is cheap and never throws for valid input. */
export interface Metrics {
  /** `Content-Type` of {@linkcode Metrics.text}. */
  readonly contentType: string;
  /** `secret_fetch_total{status="success"}` +1. */
  recordFetchSuccess(secret: string): void;
  /** `secret_fetch_total{status="error"}` and `secret_fetch_errors_total{kind}` +1. */
  recordFetchError(secret: string, kind: string): void;
  /** Observes one whole sync (read → render → write) in `secret_sync_duration_seconds`. */
  observeSyncDuration(secret: string, seconds: number): void;
  /** Sets `secret_last_success_timestamp_seconds`; staleness is derived from it at scrape. */
  recordSyncSuccess(secret: string, atMs: number): void;
  /** Sets `circuit_breaker_state{breaker}`. */
  setBreakerState(breaker: string, state: CircuitState): void;
  /** Sets `secrets_configured`. */
  setSecretsConfigured(count: number): void;
  /** Sets `secrets_synced`: secrets currently in sync (it goes down as well as up). */
  setSecretsSynced(count: number): void;
  /** `file_writes_total{secret,result}` +1. */
  recordFileWrite(secret: string, result: FileWriteResult): void;
  /** `hook_runs_total{secret,kind,result}` +1; `kind` is the hook kind (command, signal, http). */
  recordHookRun(secret: string, kind: string, result: HookOutcome): void;
  /**
   * Observes one Vault request in `vault_request_duration_seconds{operation,status}`.
   * `operation` is a fixed verb (`read`, `login`, `renew`, `lookup`, `unwrap`, `mounts`), never a
   * path; `status` is the HTTP status or `error`/`timeout`.
   */
  observeVaultRequest(operation: string, status: number | string, seconds: number): void;
  /** Sets `vault_token_ttl_seconds{credentials}`. */
  setTokenTtl(credentials: string, seconds: number): void;
  /** `auth_total{credentials,operation,result}` +1. */
  recordAuth(credentials: string, operation: "login" | "renew", result: AuthResult): void;
  /** `config_reloads_total{result}` +1. */
  recordConfigReload(result: ReloadResult): void;
  /** Drops every series labelled with this secret (it left the config). */
  /** Counts a lease/certificate event of a secret (`lease_events_total`). */
  recordLeaseEvent(secret: string, event: LeaseEventKind): void;
  /**
   * When the first lease or certificate a secret holds ends, epoch ms (`undefined`: none held);
   * `lease_expiry_timestamp_seconds`.
   */
  setLeaseExpiry(secret: string, atMs: number | undefined): void;
  removeSecret(secret: string): void;
  /** Drops the series of a credential set that left the config. */
  removeCredentials(credentials: string): void;
  /** Drops a circuit breaker's series. */
  removeBreaker(breaker: string): void;
  /** The exposition text (Prometheus text format 0.0.4). */
  text(): Promise<string>;
}

/** Options of {@linkcode createMetrics}. */
export interface CreateMetricsOptions {
  /**
   * Registry to register on.
   * @default a new Registry
   */
  registry?: Registry;
  /**
   * Program version for `secrets_sync_build_info`.
   * @default "unknown"
   */
  version?: string;
  /**
   * Clock used to derive `secret_staleness_seconds` at scrape time.
   * @default SYSTEM_CLOCK
   */
  clock?: Pick<Clock, "now">;
}

const BREAKER_VALUES: Record<CircuitState, number> = { closed: 0, half_open: 1, open: 2 };

/** Buckets of `secret_sync_duration_seconds` (Go client's DefBuckets, as the seed used). */
const SYNC_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
/** Buckets of `vault_request_duration_seconds`: requests may wait up to the 10 s deadline. */
const REQUEST_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

/**
 * Creates the metrics on their own registry.
 *
 * @example
 * ```ts
 * const metrics = createMetrics({ version: "1.2.3" });
 * metrics.recordFetchSuccess("db");
 * const body = await metrics.text();
 * ```
 */
export function createMetrics(options: CreateMetricsOptions = {}): Metrics {
  const { registry = new Registry(), version = "unknown", clock = SYSTEM_CLOCK } = options;
  return new PromMetrics(registry, version, clock);
}

type Labels = Record<string, string>;

/** Something a series can be removed from. */
interface Removable {
  remove(labels: Labels): void;
}

class PromMetrics implements Metrics {
  readonly #registry: Registry;
  readonly #clock: Pick<Clock, "now">;
  /** Series per secret / credential set / breaker, so `remove*` can drop them all. */
  readonly #series = new Map<string, Map<string, () => void>>();
  readonly #lastSuccess = new Map<string, number>();

  readonly #fetch: Counter<"secret" | "status">;
  readonly #fetchErrors: Counter<"secret" | "kind">;
  readonly #syncDuration: Histogram<"secret">;
  readonly #breaker: Gauge<"breaker">;
  readonly #configured: Gauge;
  readonly #synced: Gauge;
  readonly #lastSuccessGauge: Gauge<"secret">;
  readonly #fileWrites: Counter<"secret" | "result">;
  readonly #hookRuns: Counter<"secret" | "kind" | "result">;
  readonly #vaultRequests: Histogram<"operation" | "status">;
  readonly #tokenTtl: Gauge<"credentials">;
  readonly #auth: Counter<"credentials" | "operation" | "result">;
  readonly #reloads: Counter<"result">;
  readonly #leaseEvents: Counter<"secret" | "event">;
  readonly #leaseExpiry: Gauge<"secret">;

  constructor(registry: Registry, version: string, clock: Pick<Clock, "now">) {
    this.#registry = registry;
    this.#clock = clock;
    const registers = [registry];
    this.#fetch = new Counter({
      name: "secret_fetch_total",
      help: "Secret fetch attempts by outcome (success or error).",
      labelNames: ["secret", "status"],
      registers,
    });
    this.#fetchErrors = new Counter({
      name: "secret_fetch_errors_total",
      help: "Failed secret fetches by error kind.",
      labelNames: ["secret", "kind"],
      registers,
    });
    this.#syncDuration = new Histogram({
      name: "secret_sync_duration_seconds",
      help: "Duration of one sync of a secret (read, render, write), in seconds.",
      labelNames: ["secret"],
      buckets: SYNC_BUCKETS,
      registers,
    });
    this.#breaker = new Gauge({
      name: "circuit_breaker_state",
      help: "Circuit breaker state (0=closed, 1=half-open, 2=open).",
      labelNames: ["breaker"],
      registers,
    });
    this.#configured = new Gauge({
      name: "secrets_configured",
      help: "Number of configured secrets.",
      registers,
    });
    this.#synced = new Gauge({
      name: "secrets_synced",
      help: "Number of secrets currently in sync.",
      registers,
    });
    this.#lastSuccessGauge = new Gauge({
      name: "secret_last_success_timestamp_seconds",
      help: "Unix time of the last successful sync of a secret.",
      labelNames: ["secret"],
      registers,
    });
    const lastSuccess = this.#lastSuccess;
    const now = () => this.#clock.now();
    new Gauge({
      name: "secret_staleness_seconds",
      help: "Seconds since the last successful sync of a secret (absent before the first).",
      labelNames: ["secret"],
      registers,
      collect() {
        this.reset();
        const at = now();
        for (const [secret, ms] of lastSuccess) this.set({ secret }, Math.max(0, at - ms) / 1000);
      },
    });
    this.#fileWrites = new Counter({
      name: "file_writes_total",
      help: "File writes by result (written, unchanged, failed).",
      labelNames: ["secret", "result"],
      registers,
    });
    this.#hookRuns = new Counter({
      name: "hook_runs_total",
      help: "On-change hook runs by hook kind and result.",
      labelNames: ["secret", "kind", "result"],
      registers,
    });
    this.#leaseEvents = new Counter({
      name: "lease_events_total",
      help: "Leases and certificates of templates' secret/pkiCert calls: issued, renewed, " +
        "renew_failed, adopted (read back from files at start), revoked.",
      labelNames: ["secret", "event"],
      registers,
    });
    this.#leaseExpiry = new Gauge({
      name: "lease_expiry_timestamp_seconds",
      help: "When the first lease or certificate a secret's templates hold ends (Unix time).",
      labelNames: ["secret"],
      registers,
    });
    this.#vaultRequests = new Histogram({
      name: "vault_request_duration_seconds",
      help: "Duration of requests to Vault/OpenBao by operation and HTTP status, in seconds.",
      labelNames: ["operation", "status"],
      buckets: REQUEST_BUCKETS,
      registers,
    });
    this.#tokenTtl = new Gauge({
      name: "vault_token_ttl_seconds",
      help: "Remaining TTL of the Vault token of a credential set, in seconds.",
      labelNames: ["credentials"],
      registers,
    });
    this.#auth = new Counter({
      name: "auth_total",
      help: "Logins and token renewals by credential set and result.",
      labelNames: ["credentials", "operation", "result"],
      registers,
    });
    this.#reloads = new Counter({
      name: "config_reloads_total",
      help: "Config reloads by result (success, failure: old config kept, unchanged).",
      labelNames: ["result"],
      registers,
    });
    new Gauge({
      name: "secrets_sync_build_info",
      help: "Build information; the value is always 1.",
      labelNames: ["version", "deno"],
      registers,
    }).set({ version, deno: Deno.version.deno }, 1);
  }

  get contentType(): string {
    return this.#registry.contentType;
  }

  recordFetchSuccess(secret: string): void {
    this.#inc(this.#fetch, { secret, status: "success" }, `s:${secret}`);
  }

  recordFetchError(secret: string, kind: string): void {
    this.#inc(this.#fetch, { secret, status: "error" }, `s:${secret}`);
    this.#inc(this.#fetchErrors, { secret, kind }, `s:${secret}`);
  }

  observeSyncDuration(secret: string, seconds: number): void {
    if (!Number.isFinite(seconds) || seconds < 0) return;
    this.#syncDuration.observe({ secret }, seconds);
    this.#note(`s:${secret}`, this.#syncDuration, { secret });
  }

  recordSyncSuccess(secret: string, atMs: number): void {
    this.#lastSuccess.set(secret, atMs);
    this.#lastSuccessGauge.set({ secret }, atMs / 1000);
    this.#note(`s:${secret}`, this.#lastSuccessGauge, { secret });
  }

  setBreakerState(breaker: string, state: CircuitState): void {
    this.#breaker.set({ breaker }, BREAKER_VALUES[state]);
    this.#note(`b:${breaker}`, this.#breaker, { breaker });
  }

  setSecretsConfigured(count: number): void {
    this.#configured.set(count);
  }

  setSecretsSynced(count: number): void {
    this.#synced.set(count);
  }

  recordFileWrite(secret: string, result: FileWriteResult): void {
    this.#inc(this.#fileWrites, { secret, result }, `s:${secret}`);
  }

  recordHookRun(secret: string, kind: string, result: HookOutcome): void {
    this.#inc(this.#hookRuns, { secret, kind, result }, `s:${secret}`);
  }

  observeVaultRequest(operation: string, status: number | string, seconds: number): void {
    if (!Number.isFinite(seconds) || seconds < 0) return;
    this.#vaultRequests.observe({ operation, status: String(status) }, seconds);
  }

  setTokenTtl(credentials: string, seconds: number): void {
    this.#tokenTtl.set({ credentials }, seconds);
    this.#note(`c:${credentials}`, this.#tokenTtl, { credentials });
  }

  recordAuth(credentials: string, operation: "login" | "renew", result: AuthResult): void {
    this.#inc(this.#auth, { credentials, operation, result }, `c:${credentials}`);
  }

  recordConfigReload(result: ReloadResult): void {
    this.#reloads.inc({ result });
  }

  recordLeaseEvent(secret: string, event: LeaseEventKind): void {
    this.#inc(this.#leaseEvents, { secret, event }, `s:${secret}`);
  }

  setLeaseExpiry(secret: string, atMs: number | undefined): void {
    if (atMs === undefined) {
      this.#leaseExpiry.remove({ secret });
      return;
    }
    this.#leaseExpiry.set({ secret }, atMs / 1000);
    this.#note(`s:${secret}`, this.#leaseExpiry, { secret });
  }

  removeSecret(secret: string): void {
    this.#lastSuccess.delete(secret);
    this.#drop(`s:${secret}`);
  }

  removeCredentials(credentials: string): void {
    this.#drop(`c:${credentials}`);
  }

  removeBreaker(breaker: string): void {
    this.#drop(`b:${breaker}`);
  }

  text(): Promise<string> {
    return this.#registry.metrics();
  }

  #inc<T extends string>(counter: Counter<T>, labels: Record<T, string>, owner: string): void {
    counter.inc(labels);
    this.#note(owner, counter as unknown as Removable, labels);
  }

  #note(owner: string, metric: Removable, labels: Labels): void {
    let series = this.#series.get(owner);
    if (series === undefined) {
      series = new Map();
      this.#series.set(owner, series);
    }
    const key = `${(metric as unknown as { name: string }).name}${JSON.stringify(labels)}`;
    if (!series.has(key)) series.set(key, () => metric.remove(labels));
  }

  #drop(owner: string): void {
    const series = this.#series.get(owner);
    if (series === undefined) return;
    for (const remove of series.values()) remove();
    this.#series.delete(owner);
  }
}
