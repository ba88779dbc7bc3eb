/**
 * Wiring shared by `run` and `once`: one Vault client per credential set in use, the file sink, the
 * syncer, and the translation of results and client events into logs and metrics.
 *
 * @module
 */
import { getLogger } from "@logtape/logtape";
import { ConfigError, loadConfig } from "../config/mod.ts";
import type { AuthPlan, Plan, SecretPlan } from "../config/mod.ts";
import { type Metrics, Redactor, setupLogging } from "../observe/mod.ts";
import { type Clock, type Random, SYSTEM_CLOCK, SYSTEM_RANDOM } from "../resilience/mod.ts";
import { FileSink, runHooks } from "../sink/mod.ts";
import type { SecretState, SyncResult } from "../sync/mod.ts";
import { Syncer } from "../sync/mod.ts";
import { VaultClient, type VaultEvent } from "../vault/mod.ts";
import { preflight } from "./_preflight.ts";

const log = getLogger(["secrets-sync", "sync"]);
const vaultLog = getLogger(["secrets-sync", "vault"]);

/** Options of {@linkcode Runtime}. */
export interface RuntimeOptions {
  redactor: Redactor;
  metrics?: Metrics;
  clock?: Clock;
  random?: Random;
}

/** Options of {@linkcode startUp}. */
export interface StartUpOptions {
  configPath: string;
  env: (name: string) => string | undefined;
  command: "run" | "once";
  /** Where messages for a person go before logging is set up. */
  error: (line: string) => void;
  /** Where log lines go. @default stdout */
  write?: (line: string) => void;
}

/**
 * What `run` and `once` do before anything else: load the config, check every permission it
 * needs (before anything contacts Vault), and set up redacting logs. Resolves with the plan and
 * the redactor, or with exit code 2 after saying what is wrong.
 */
export async function startUp(
  options: StartUpOptions,
): Promise<{ plan: Plan; redactor: Redactor } | number> {
  const { configPath, env, command, error } = options;
  let plan: Plan;
  try {
    plan = await loadConfig(configPath, { env });
  } catch (err) {
    error(describeStartError(err));
    return 2;
  }
  const gaps = await preflight(plan, { configPath: plan.file, command });
  if (gaps.length > 0) {
    for (const gap of gaps) error(gap);
    return 2;
  }
  const redactor = new Redactor();
  await setupLogging({
    level: plan.settings.logLevel,
    format: plan.settings.logFormat,
    redactor,
    ...(options.write ? { write: options.write } : {}),
  });
  return { plan, redactor };
}

/** A human-readable message for an error that prevents the start. */
export function describeStartError(err: unknown): string {
  if (err instanceof ConfigError) return `Invalid configuration:\n${err.message}`;
  if (err instanceof Error) return `Cannot start: ${err.message}`;
  return `Cannot start: ${String(err)}`;
}

/** Registers every credential value of a plan with the redactor. */
export function registerPlanSecrets(plan: Plan, redactor: Redactor): void {
  for (const auth of Object.values(plan.credentials)) registerAuth(auth, redactor);
}

function registerAuth(auth: AuthPlan, redactor: Redactor): void {
  if (auth.method === "token") {
    if (auth.token) redactor.register(auth.token);
  } else {
    if (auth.roleId) redactor.register(auth.roleId);
    if (auth.secretId) redactor.register(auth.secretId);
  }
}

/** The credential sets that `secrets` use. */
export function credentialsInUse(secrets: readonly SecretPlan[]): string[] {
  return [...new Set(secrets.map((s) => s.credentials))].sort();
}

/** Clients, sink and syncer for one plan. */
export class Runtime {
  readonly sink: FileSink;
  readonly syncer: Syncer;
  #clients = new Map<string, VaultClient>();
  #plan: Plan;
  #options: RuntimeOptions;
  #clock: Clock;
  #random: Random;

  constructor(plan: Plan, options: RuntimeOptions) {
    this.#plan = plan;
    this.#options = options;
    this.#clock = options.clock ?? SYSTEM_CLOCK;
    this.#random = options.random ?? SYSTEM_RANDOM;
    registerPlanSecrets(plan, options.redactor);
    this.sink = new FileSink({ clock: this.#clock, random: this.#random });
    this.syncer = new Syncer({
      reader: (name) => this.client(name),
      sink: this.sink,
      runHooks: (hooks, opts) => runHooks(hooks, { ...opts, clock: this.#clock }),
      clock: this.#clock,
      onSensitive: (value) => options.redactor.register(value),
    });
  }

  get plan(): Plan {
    return this.#plan;
  }

  /** The client of a credential set, created (not started) on first use. */
  client(name: string): VaultClient {
    let client = this.#clients.get(name);
    if (!client) {
      const auth = this.#plan.credentials[name];
      if (!auth) throw new Error(`Cannot find credentials "${name}"`);
      client = new VaultClient({
        store: this.#plan.store,
        auth,
        credentialsName: name,
        resilience: this.#plan.settings.resilience,
        clock: this.#clock,
        random: this.#random,
        onSensitive: (value) => this.#options.redactor.register(value),
        onEvent: (event) => this.#onVaultEvent(event),
      });
      this.#clients.set(name, client);
      // A new client's breaker is closed; publish it so circuit_breaker_state has a series from
      // the start, not only after the first transition.
      this.#options.metrics?.setBreakerState(name, "closed");
    }
    return client;
  }

  /** Creates and starts the clients of every credential set the secrets use. */
  startClients(signal: AbortSignal): VaultClient[] {
    const started = credentialsInUse(this.#plan.secrets).map((name) => this.client(name));
    for (const client of started) client.start(signal);
    return started;
  }

  /**
   * Syncs `secret` once its client has logged in (waiting at most one request deadline, so a
   * first sync right after start does not fail just because the login is still in flight).
   */
  async sync(secret: SecretPlan, signal: AbortSignal): Promise<SyncResult> {
    const client = this.client(secret.credentials);
    if (!client.ready()) {
      const controller = new AbortController();
      const timer = this.#clock.setTimeout(
        () => controller.abort(),
        this.#plan.store.requestTimeoutMs,
      );
      try {
        await client.waitReady(AbortSignal.any([signal, controller.signal]));
      } catch {
        // Not logged in yet: the sync fails with auth_failed and the scheduler backs off.
      } finally {
        this.#clock.clearTimeout(timer);
      }
    }
    return await this.syncer.sync(secret, signal);
  }

  /** Directories that hold output files (for temp clean-up and permission checks). */
  outputDirs(): string[] {
    const dirs = new Set<string>();
    for (const secret of this.#plan.secrets) {
      for (const file of secret.files) {
        dirs.add(file.path.slice(0, file.path.lastIndexOf("/")) || "/");
      }
    }
    return [...dirs].sort();
  }

  /** Logs and counts one sync result. */
  recordResult(result: SyncResult, state?: SecretState): void {
    const metrics = this.#options.metrics;
    const seconds = result.durationMs / 1000;
    metrics?.observeSyncDuration(result.secret, seconds);
    if (result.status === "ok") {
      metrics?.recordFetchSuccess(result.secret);
      metrics?.recordSyncSuccess(result.secret, this.#clock.now());
      for (const file of result.files) metrics?.recordFileWrite(result.secret, file.result);
      for (const hook of result.hooks) {
        metrics?.recordHookRun(
          result.secret,
          hook.kind,
          hook.status === "ok" ? "success" : hook.status === "timeout" ? "timeout" : "failure",
        );
        if (hook.status !== "ok") {
          log.warn("On-change hook {kind} of {secret} failed: {error}", {
            secret: result.secret,
            kind: hook.kind,
            status: hook.status,
            error: hook.error ?? hook.status,
          });
        }
      }
      const written = result.files.filter((f) => f.result === "written").map((f) => f.path);
      const properties = {
        secret: result.secret,
        written,
        unchanged: result.files.length - written.length,
        durationMs: result.durationMs,
        ...(result.version !== undefined ? { version: result.version } : {}),
      };
      if (written.length > 0) log.info("Synced {secret}: wrote {written}", properties);
      else log.debug("Synced {secret}: unchanged", properties);
    } else {
      metrics?.recordFetchError(result.secret, result.errorKind);
      if (result.stage === "write") metrics?.recordFileWrite(result.secret, "failed");
      log.warn("Cannot sync {secret} ({stage}): {error}", {
        secret: result.secret,
        stage: result.stage,
        errorKind: result.errorKind,
        error: result.error.message,
        attempt: state?.consecutiveFailures ?? 1,
        ...(result.removed ? { removed: result.removed } : {}),
      });
    }
  }

  #onVaultEvent(event: VaultEvent): void {
    const metrics = this.#options.metrics;
    switch (event.type) {
      case "request":
        metrics?.observeVaultRequest(
          event.operation,
          event.status ?? event.outcome,
          event.durationMs / 1000,
        );
        break;
      case "login":
        metrics?.recordAuth(
          event.credentials,
          "login",
          event.outcome === "success" ? "success" : "failure",
        );
        break;
      case "renew":
        metrics?.recordAuth(
          event.credentials,
          "renew",
          event.outcome === "success" || event.outcome === "capped" ? "success" : "failure",
        );
        break;
      case "token_ttl":
        metrics?.setTokenTtl(event.credentials, event.seconds ?? Infinity);
        break;
      case "breaker":
        metrics?.setBreakerState(event.credentials, event.state);
        vaultLog.info("Circuit breaker of {credentials} is {state}", {
          credentials: event.credentials,
          state: event.state,
        });
        break;
    }
  }

  /** Closes every client. */
  close(): void {
    for (const client of this.#clients.values()) client.close();
    this.#clients.clear();
  }
}
