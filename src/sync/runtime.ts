/**
 * One plan's working parts: a Vault client per credential set in use, the file sink and the
 * syncer, and the translation of sync results and client events into logs and metrics. The
 * {@linkcode Sidecar} builds one per plan (a new one when a reload changes the store, the
 * credentials or the engine settings); `once` uses one directly.
 *
 * @module
 */
import { getLogger } from "@logtape/logtape";
import { type AuthPlan, dirname, type Plan, type SecretPlan } from "../config/mod.ts";
import type { Metrics, Redactor } from "../observe/mod.ts";
import {
  type Clock,
  type Random,
  SYSTEM_CLOCK,
  SYSTEM_RANDOM,
  timeoutSignal,
} from "../resilience/mod.ts";
import { FileSink, runHooks } from "../sink/mod.ts";
import { VaultClient, type VaultEvent } from "../vault/mod.ts";
import type { SecretState } from "./secret_state.ts";
import { Syncer, type SyncResult } from "./syncer.ts";
import { DynamicSecrets, type LeaseEvent } from "./dynamic_secrets.ts";
import type { SidecarRuntime } from "./sidecar.ts";

const log = getLogger(["secrets-sync", "sync"]);

/** How long a clean stop waits for lease revocations (`revokeOnStop`). */
const REVOKE_TIMEOUT_MS = 5_000;

/** Options of {@linkcode Runtime}. */
export interface RuntimeOptions {
  redactor: Redactor;
  metrics?: Metrics;
  clock?: Clock;
  random?: Random;
  /**
   * The leases and certificates held for templates. `run` passes one made by
   * {@linkcode createDynamicSecrets} to every runtime, so a reload keeps them. @default a new one
   */
  dynamic?: DynamicSecrets;
}

/** Options of {@linkcode createDynamicSecrets}. */
export interface CreateDynamicSecretsOptions {
  metrics?: Metrics;
  clock?: Clock;
  random?: Random;
}

/** Held leases and certificates whose events are logged and counted (never a lease id or value). */
export function createDynamicSecrets(options: CreateDynamicSecretsOptions = {}): DynamicSecrets {
  const { metrics, clock, random } = options;
  return new DynamicSecrets({
    ...(clock ? { clock } : {}),
    ...(random ? { random } : {}),
    onEvent: (event) => recordLeaseEvent(event, metrics),
  });
}

function recordLeaseEvent(event: LeaseEvent, metrics: Metrics | undefined): void {
  metrics?.recordLeaseEvent(event.secret, event.type);
  switch (event.type) {
    case "issued":
      log.info("{secret}: new answer from {path} ({reason})", {
        ...event,
        ...(event.expiresAt !== undefined ? { expiresAt: new Date(event.expiresAt) } : {}),
      });
      break;
    case "renewed":
      log.debug("{secret}: lease of {path} renewed for {leaseDurationS} s", { ...event });
      break;
    case "renew_failed":
      log.warn("{secret}: cannot renew the lease of {path} ({errorKind})", { ...event });
      break;
    case "adopted":
      log.info("{secret}: kept the certificate in its files, valid until {expiresAt}", {
        ...event,
        expiresAt: new Date(event.expiresAt),
      });
      break;
    case "revoked":
      log.info("{secret}: revoked {count} lease(s)", { ...event });
      break;
  }
}

/**
 * How long a sync waits for its client's login to succeed or fail: one request deadline, plus a
 * little, so that a login whose request times out reports that (with the host) before the wait
 * gives up.
 */
export function loginWaitMs(plan: Plan): number {
  return plan.store.requestTimeoutMs + 250;
}

/** Registers every credential value of a plan with the redactor. */
export function registerPlanSecrets(plan: Plan, redactor: Redactor): void {
  for (const auth of Object.values(plan.credentials)) registerAuth(auth, redactor);
}

function registerAuth(auth: AuthPlan, redactor: Redactor): void {
  if (auth.method === "token") {
    if (auth.token) redactor.register(auth.token);
  } else if (auth.method === "approle") {
    if (auth.roleId) redactor.register(auth.roleId);
    if (auth.secretId) redactor.register(auth.secretId);
  }
}

/** The credential sets that `secrets` use. */
export function credentialsInUse(secrets: readonly SecretPlan[]): string[] {
  return [...new Set(secrets.map((s) => s.credentials))].sort();
}

/** Clients, sink and syncer for one plan. */
export class Runtime implements SidecarRuntime {
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
      random: this.#random,
      dynamic: options.dynamic ??
        createDynamicSecrets({
          clock: this.#clock,
          random: this.#random,
          ...(options.metrics ? { metrics: options.metrics } : {}),
        }),
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

  /**
   * Creates the clients of every credential set the secrets use (each reads its TLS files), without
   * starting them; throws when one cannot be built.
   */
  prepare(): void {
    for (const name of credentialsInUse(this.#plan.secrets)) this.client(name);
  }

  /** Creates and starts the clients of every credential set the secrets use. */
  startClients(signal: AbortSignal): VaultClient[] {
    const started = credentialsInUse(this.#plan.secrets).map((name) => this.client(name));
    for (const client of started) client.start(signal);
    return started;
  }

  /**
   * Syncs `secret` once its client has logged in or failed to (waiting at most one request
   * deadline, so a first sync right after start does not fail just because the login is still in
   * flight, and one whose login failed says why at once).
   */
  async sync(secret: SecretPlan, signal: AbortSignal): Promise<SyncResult> {
    await this.awaitLogin(secret.credentials, signal);
    return await this.syncer.sync(secret, signal);
  }

  /**
   * Waits until the client of a credential set has logged in or failed to, at most
   * {@linkcode loginWaitMs}; a failed login is then reported by the read that follows.
   */
  async awaitLogin(credentials: string, signal: AbortSignal): Promise<void> {
    const client = this.client(credentials);
    if (client.ready()) return;
    using wait = timeoutSignal(loginWaitMs(this.#plan), { clock: this.#clock, signal });
    // No login result within the deadline: the read fails saying so, and is retried.
    await client.waitForLogin(wait.signal).catch(() => {});
  }

  /** Parses a secret's templates (cached by the syncer); throws a TemplateError. */
  compile(secret: SecretPlan): void {
    this.syncer.compile(secret);
  }

  /** Drops what the syncer remembers about a secret that left the config. */
  forget(name: string): void {
    this.syncer.forget(name);
  }

  /**
   * Revokes the leases the templates of `secrets` hold, each through its own client, within
   * `timeoutMs` in all; best effort.
   */
  async revokeLeases(secrets: readonly SecretPlan[], timeoutMs = REVOKE_TIMEOUT_MS): Promise<void> {
    if (secrets.length === 0) return;
    using deadline = timeoutSignal(timeoutMs, { clock: this.#clock });
    await Promise.all(secrets.map((s) => this.syncer.revokeLeases(s, deadline.signal)));
  }

  /** Removes temp files a killed process left in the output directories. */
  cleanupTemps(): Promise<number> {
    return this.sink.cleanupTemps(this.outputDirs());
  }

  /** Deletes a secret's files; a file that cannot be removed is left as it is. */
  async removeFiles(secret: SecretPlan): Promise<void> {
    for (const file of secret.files) await this.sink.remove(file).catch(() => {});
  }

  /** Directories that hold output files (for temp clean-up and permission checks). */
  outputDirs(): string[] {
    const dirs = new Set<string>();
    for (const secret of this.#plan.secrets) {
      for (const file of secret.files) {
        dirs.add(dirname(file.path));
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
      metrics?.setLeaseExpiry(result.secret, result.leases?.expiresAt);
      metrics?.recordSyncSuccess(result.secret, this.#clock.now());
      for (const file of result.files) metrics?.recordFileWrite(result.secret, file.result);
      for (const hook of result.hooks) {
        metrics?.recordHookRun(
          result.secret,
          hook.kind,
          hook.status === "ok" ? "success" : hook.status === "timeout" ? "timeout" : "failure",
        );
        // The hook runner (sink/hooks.ts) logs each run once; here only the metric.
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
        // The client logs the transition (vault/vault_client.ts); here only the metric.
        metrics?.setBreakerState(event.credentials, event.state);
        break;
    }
  }

  /** Closes every client. */
  close(): void {
    for (const client of this.#clients.values()) client.close();
    this.#clients.clear();
  }
}
