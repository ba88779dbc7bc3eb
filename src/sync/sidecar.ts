/**
 * The sidecar's core: the long-running loop of `run`. It schedules every secret of a plan, keeps
 * the heartbeat, readiness, the status file and the observability server, and applies reloads —
 * validated in full first, queued when one is already running, the old config kept when the new
 * one is rejected.
 *
 * It is built from ports so tests step it with a fake clock and in-memory parts: `runtime(plan)`
 * gives the working parts of a plan (Vault clients, sink, syncer), `loadPlan()` reads and checks
 * the config again for a reload; the status file, the server and the config watcher have real
 * defaults.
 *
 * Which settings a reload applies at once, and which wait for the next restart:
 * - at once: `secrets`, the store and credentials, `concurrency` and `resilience` (a new engine:
 *   every secret re-syncs), and `statusFile` (the next status goes to the new path; the old file
 *   is marked not ready);
 * - at the next restart: `logLevel`, `logFormat`, `metrics` (the server's address, port and on/off)
 *   and `watch`; a reload that changes them says so by name and keeps running with the old values.
 *
 * @example
 * ```ts
 * const sidecar = new Sidecar(plan, { runtime: (p) => new Runtime(p, { redactor }), loadPlan, metrics });
 * await sidecar.start(signal);
 * await sidecar.reload(); // SIGHUP
 * await sidecar.stop();
 * ```
 *
 * @module
 */
import { getLogger } from "@logtape/logtape";
import { type Plan, type SecretPlan, type SettingsPlan, watchConfig } from "../config/mod.ts";
import {
  createHandler,
  type Metrics,
  type ObservabilityServer,
  type ReadinessSnapshot,
  readyUrl,
  serveObservability,
  STATUS_HEARTBEAT_MS,
  STATUS_MAX_AGE_MS,
  StatusFile,
  type StatusFileOptions,
} from "../observe/mod.ts";
import { type Clock, SYSTEM_CLOCK } from "../resilience/mod.ts";
import { Scheduler } from "./scheduler.ts";
import { computeReadiness, type SecretState } from "./secret_state.ts";
import type { SyncResult } from "./syncer.ts";

const log = getLogger(["secrets-sync", "run"]);

/** How often the liveness heartbeat turns and the status file is written, ms. */
export const HEARTBEAT_MS = STATUS_HEARTBEAT_MS;
/** How long in-flight work may take after stop() before it gives up waiting, ms. */
export const SHUTDOWN_GRACE_MS = 4_000;

/** Settings that take effect at the next restart only. */
export const RESTART_SETTINGS = ["logLevel", "logFormat", "metrics", "watch"] as const;

/** The working parts of one plan, as the sidecar uses them. */
export interface SidecarRuntime {
  /** Parses the secret's templates; throws a TemplateError when one does not parse. */
  compile(secret: SecretPlan): void;
  /** Builds the clients of the credential sets the plan uses (reads TLS files); throws if one fails. */
  prepare(): void;
  /** Starts logging in (and renewing) for the credential sets the plan uses. */
  startClients(signal: AbortSignal): void;
  /** One read → render → write → hooks pass for a secret. */
  sync(secret: SecretPlan, signal: AbortSignal): Promise<SyncResult>;
  /** Logs and counts a result. */
  recordResult(result: SyncResult, state?: SecretState): void;
  /** Drops what is remembered about a secret that left the config. */
  forget(name: string): void;
  /** Revokes the leases the templates of `secrets` hold (`revokeOnStop`); best effort. */
  revokeLeases(secrets: readonly SecretPlan[]): Promise<void>;
  /** Removes temp files a killed process left in the output directories; resolves with the count. */
  cleanupTemps(): Promise<number>;
  /** Deletes a secret's files (a removed secret with `deleteOnRemove`). */
  removeFiles(secret: SecretPlan): Promise<void>;
  close(): void;
}

/** What a reload did. */
export type ReloadOutcome = "applied" | "unchanged" | "rejected";

/** Options of {@linkcode Sidecar}. */
export interface SidecarOptions {
  /** Builds the working parts of a plan. */
  runtime: (plan: Plan) => SidecarRuntime;
  /** Reads and checks the config again for a reload; throws with the reason when it is invalid. */
  loadPlan: () => Promise<Plan>;
  metrics: Metrics;
  /** Logged at start. */
  version?: string;
  /** @default SYSTEM_CLOCK */
  clock?: Clock;
  /** Writes one status snapshot to a path. @default writeStatusFile */
  writeStatus?: StatusFileOptions["write"];
  /** Starts the /health, /ready and /metrics server. @default serveObservability */
  serve?: typeof serveObservability;
  /** Watches the config file. @default watchConfig */
  watch?: typeof watchConfig;
}

/** The long-running sidecar: start, reload, stop. */
export class Sidecar {
  #plan: Plan;
  #options: SidecarOptions;
  #clock: Clock;
  #runtime: SidecarRuntime;
  #scheduler: Scheduler;
  #controller = new AbortController();
  /** One writer per path: a snapshot in flight never lands after a later one, nor after close. */
  #status: StatusFile;
  #server: ObservabilityServer | undefined;
  #heartbeat: number | undefined;
  #lastTick = 0;
  #publishedReady: boolean | undefined;
  #readyUrl: string | undefined;
  #reloading: Promise<ReloadOutcome> | undefined;
  #queued: { plan: Plan | undefined } | undefined;
  /** Secrets that synced at least once (for the not-ready → ready flip). */
  #everSynced = new Set<string>();
  /** Secrets in sync as of the last heartbeat plus those that synced since (secrets_synced). */
  #inSync = new Set<string>();

  constructor(plan: Plan, options: SidecarOptions) {
    this.#plan = plan;
    this.#options = options;
    this.#clock = options.clock ?? SYSTEM_CLOCK;
    this.#runtime = options.runtime(plan);
    this.#scheduler = this.#newScheduler(plan);
    this.#status = this.#statusFile(plan.settings.statusFile);
  }

  #statusFile(path: string): StatusFile {
    const write = this.#options.writeStatus;
    return new StatusFile(path, { clock: this.#clock, ...(write ? { write } : {}) });
  }

  /** The plan in effect (restart-only settings as they were at start). */
  get plan(): Plan {
    return this.#plan;
  }

  /** Readiness now. */
  readiness(): ReadinessSnapshot {
    return computeReadiness(
      this.#scheduler.secrets(),
      this.#scheduler.states(),
      this.#clock.now(),
    );
  }

  /** Starts syncing, the heartbeat and (per the plan) the server and the config watcher. */
  async start(signal: AbortSignal): Promise<void> {
    const { metrics } = this.#options;
    const plan = this.#plan;
    signal.addEventListener("abort", () => this.#controller.abort(signal.reason), { once: true });
    log.info("Starting secrets-sync {version} with {count} secret(s) from {config}", {
      version: this.#options.version ?? "",
      count: plan.secrets.length,
      config: plan.file,
    });
    // The sink logs what it removed.
    await this.#runtime.cleanupTemps().catch(() => 0);
    for (const secret of plan.secrets) {
      try {
        this.#runtime.compile(secret);
      } catch (err) {
        // Reported again by each sync; said once here so it is seen at start.
        log.error("Template of {secret} does not parse: {error}", {
          secret: secret.name,
          error: (err as Error).message,
        });
      }
    }
    this.#runtime.startClients(this.#controller.signal);
    this.#scheduler.start(plan.secrets, this.#controller.signal);
    metrics.setSecretsConfigured(plan.secrets.length);

    const settings = plan.settings.metrics;
    if (settings.enabled) {
      const serve = this.#options.serve ?? serveObservability;
      this.#server = serve(
        createHandler({
          readiness: () => this.readiness(),
          liveness: () => {
            const age = this.#clock.now() - this.#lastTick;
            return { alive: age < STATUS_MAX_AGE_MS, lastTickAgeMs: age };
          },
          metrics,
        }),
        { hostname: settings.addr, port: settings.port, signal: this.#controller.signal },
      );
      this.#readyUrl = readyUrl(this.#server.addr.hostname, this.#server.addr.port);
    }
    if (plan.settings.watch) {
      const watch = this.#options.watch ?? watchConfig;
      watch(plan.file, {
        onChange: () => {
          log.info("Config file changed: reloading");
          void this.reload();
        },
        signal: this.#controller.signal,
        clock: this.#clock,
      });
      log.info("Watching {config} for changes", { config: plan.file });
    }
    await this.#beat();
  }

  #newScheduler(plan: Plan): Scheduler {
    const r = plan.settings.resilience;
    return new Scheduler((secret, signal) => this.#runtime.sync(secret, signal), {
      clock: this.#clock,
      concurrency: plan.settings.concurrency,
      backoff: {
        initialMs: r.initialBackoffMs,
        maxMs: r.maxBackoffMs,
        multiplier: r.backoffMultiplier,
      },
      onResult: (result, state) => this.#onResult(result, state),
    });
  }

  #onResult(result: SyncResult, state: SecretState): void {
    this.#runtime.recordResult(result, state);
    if (result.status === "ok") {
      this.#everSynced.add(result.secret);
      this.#inSync.add(result.secret);
      this.#options.metrics.setSecretsSynced(this.#inSync.size);
    }
    // Becoming ready is published at once, not at the next heartbeat; the O(n) readiness is
    // computed only when it can have turned true, not after every sync.
    if (this.#publishedReady !== true && this.#everSynced.size >= this.#plan.secrets.length) {
      const readiness = this.readiness();
      if (readiness.ready) void this.#writeStatus(readiness);
    }
  }

  async #beat(): Promise<void> {
    this.#lastTick = this.#clock.now();
    const readiness = this.readiness();
    // The exact count (staleness moves with time); results in between only add to it.
    this.#inSync = new Set(
      readiness.secrets.filter((s) => s.status === "ok" || s.status === "failing")
        .map((s) => s.name),
    );
    this.#options.metrics.setSecretsSynced(this.#inSync.size);
    await this.#writeStatus(readiness);
    if (this.#controller.signal.aborted) return;
    this.#heartbeat = this.#clock.setTimeout(() => void this.#beat(), HEARTBEAT_MS);
  }

  async #writeStatus(readiness: ReadinessSnapshot): Promise<void> {
    this.#publishedReady = readiness.ready;
    try {
      await this.#status.write(readiness, this.#readyUrl ? { readyUrl: this.#readyUrl } : {});
    } catch (err) {
      log.warn("Cannot write status file: {error}", { error: (err as Error).message });
    }
  }

  /**
   * Reloads: with `plan`, applies it; without, reads the config through `loadPlan`. The new config
   * is checked in full before anything changes; a reload asked for while one runs is applied right
   * after it (never merged into it).
   */
  reload(plan?: Plan): Promise<ReloadOutcome> {
    if (this.#reloading) {
      // The running reload picks this up when it is done and resolves with the last outcome.
      this.#queued = { plan };
      return this.#reloading;
    }
    this.#reloading = (async () => {
      let outcome = await this.#safeReload(plan);
      while (this.#queued && !this.#controller.signal.aborted) {
        const next = this.#queued;
        this.#queued = undefined;
        outcome = await this.#safeReload(next.plan);
      }
      return outcome;
    })().finally(() => this.#reloading = undefined);
    return this.#reloading;
  }

  /** Never an unhandled rejection: whatever fails, the running config stays. */
  async #safeReload(plan: Plan | undefined): Promise<ReloadOutcome> {
    try {
      return await this.#reload(plan);
    } catch (err) {
      return this.#reject(err instanceof Error ? err.message : String(err));
    }
  }

  #reject(reason: string): ReloadOutcome {
    this.#options.metrics.recordConfigReload("failure");
    log.error("Config reload rejected, keeping the running config: {error}", { error: reason });
    return "rejected";
  }

  async #reload(given: Plan | undefined): Promise<ReloadOutcome> {
    const { metrics } = this.#options;
    let loaded: Plan;
    try {
      loaded = given ?? await this.#options.loadPlan();
    } catch (err) {
      return this.#reject(err instanceof Error ? err.message : String(err));
    }
    for (const secret of loaded.secrets) {
      try {
        this.#runtime.compile(secret);
      } catch (err) {
        return this.#reject(`secret "${secret.name}": ${(err as Error).message}`);
      }
    }
    const old = this.#plan;
    const { next, waiting } = withRestartSettings(old, loaded);
    if (waiting.length > 0) {
      log.warn("Settings {settings} changed; they take effect at the next restart", {
        settings: waiting,
      });
    }
    if (JSON.stringify(old) === JSON.stringify(next)) {
      metrics.recordConfigReload("unchanged");
      log.info("Config reloaded: nothing changed");
      return "unchanged";
    }
    const engineChanged = JSON.stringify(engineOf(old)) !== JSON.stringify(engineOf(next));
    // Clients read their TLS files when built: build them before anything changes, so a file that
    // broke since the checks still leaves the running config alone.
    let fresh: SidecarRuntime | undefined;
    if (engineChanged) {
      fresh = this.#options.runtime(next);
      try {
        fresh.prepare();
      } catch (err) {
        fresh.close();
        return this.#reject(err instanceof Error ? err.message : String(err));
      }
    }
    this.#plan = next;
    if (old.settings.statusFile !== next.settings.statusFile) {
      const previous = this.#status;
      this.#status = this.#statusFile(next.settings.statusFile);
      const reason = `status file moved to ${next.settings.statusFile}`;
      await previous.close({ ...this.readiness(), ready: false, reason }).catch((err) =>
        log.warn("Cannot write status file: {error}", { error: (err as Error).message })
      );
      await this.#writeStatus(this.readiness());
      log.info("Status file is now {statusFile}", { statusFile: next.settings.statusFile });
    }
    if (fresh) {
      // New clients, breakers and scheduler; syncs in flight finish on the old ones.
      const previous = this.#runtime;
      const previousScheduler = this.#scheduler;
      this.#runtime = fresh;
      this.#runtime.startClients(this.#controller.signal);
      await previousScheduler.stop();
      // Secrets that left: their leases go (revokeOnStop) through the clients that hold them.
      const kept = new Set(next.secrets.map((s) => s.name));
      const gone = old.secrets.filter((s) => !kept.has(s.name));
      await previous.revokeLeases(gone.filter((s) => s.revokeOnStop));
      for (const secret of gone) previous.forget(secret.name);
      previous.close();
      this.#everSynced.clear();
      this.#scheduler = this.#newScheduler(next);
      this.#scheduler.start(next.secrets, this.#controller.signal);
      log.info(
        "Config reloaded: store, credentials, concurrency or resilience changed, every secret re-syncs now",
      );
    } else {
      const summary = this.#scheduler.update(next.secrets);
      this.#runtime.startClients(this.#controller.signal);
      await summary.removedDone;
      const oldByName = new Map(old.secrets.map((s) => [s.name, s]));
      for (const name of summary.removed) {
        const gone = oldByName.get(name);
        if (gone?.revokeOnStop) await this.#runtime.revokeLeases([gone]);
        this.#runtime.forget(name);
        this.#everSynced.delete(name);
        this.#inSync.delete(name);
        metrics.removeSecret(name);
        if (gone?.deleteOnRemove) await this.#runtime.removeFiles(gone);
      }
      log.info("Config reloaded: {added} added, {removed} removed, {changed} changed", {
        added: summary.added,
        removed: summary.removed,
        changed: summary.changed,
      });
    }
    metrics.setSecretsConfigured(next.secrets.length);
    metrics.recordConfigReload("success");
    return "applied";
  }

  /** Gives up a start that failed part-way: stops what started, writes nothing. */
  abandon(): void {
    this.#controller.abort();
    if (this.#heartbeat !== undefined) this.#clock.clearTimeout(this.#heartbeat);
    this.#runtime.close();
  }

  /** Stops syncing (in-flight syncs get {@linkcode SHUTDOWN_GRACE_MS}), the server and the clients. */
  async stop(): Promise<void> {
    this.#controller.abort();
    if (this.#heartbeat !== undefined) this.#clock.clearTimeout(this.#heartbeat);
    let timer: number | undefined;
    await Promise.race([
      this.#scheduler.stop(),
      new Promise<void>((resolve) => timer = this.#clock.setTimeout(resolve, SHUTDOWN_GRACE_MS)),
    ]);
    if (timer !== undefined) this.#clock.clearTimeout(timer);
    await this.#server?.shutdown();
    await this.#runtime.revokeLeases(this.#plan.secrets.filter((s) => s.revokeOnStop));
    this.#runtime.close();
    // After any write still in flight (a heartbeat, a result), so "stopped" is what stays.
    const readiness = { ...this.readiness(), ready: false, reason: "stopped" };
    await this.#status.close(readiness).catch(() => {});
  }
}

/** What a new runtime and scheduler are built from. */
function engineOf(plan: Plan) {
  return [
    plan.store,
    plan.credentials,
    plan.settings.concurrency,
    plan.settings.resilience,
  ];
}

/**
 * `next` with the restart-only settings of `old` (they keep running as they started), and the
 * names of those that differ.
 */
export function withRestartSettings(
  old: Plan,
  next: Plan,
): { next: Plan; waiting: (keyof SettingsPlan)[] } {
  const waiting = RESTART_SETTINGS.filter((key) =>
    JSON.stringify(old.settings[key]) !== JSON.stringify(next.settings[key])
  );
  const { logLevel, logFormat, metrics, watch } = old.settings;
  const settings = { ...next.settings, logLevel, logFormat, metrics, watch };
  return { next: { ...next, settings }, waiting };
}
