/**
 * `run`: keep every secret in sync until SIGTERM/SIGINT. Never exits because Vault is down; reloads
 * the config on SIGHUP (and on file changes when watching), keeping the old config when the new one
 * is invalid.
 *
 * @module
 */
import { getLogger } from "@logtape/logtape";
import { loadConfig, type Plan, watchConfig } from "../config/mod.ts";
import {
  createHandler,
  createMetrics,
  type Metrics,
  type ObservabilityServer,
  type ReadinessSnapshot,
  type Redactor,
  serveObservability,
  STATUS_HEARTBEAT_MS,
  writeStatusFile,
} from "../observe/mod.ts";
import { type Clock, SYSTEM_CLOCK } from "../resilience/mod.ts";
import { computeReadiness, Scheduler } from "../sync/mod.ts";
import { preflight, revokeUnneeded } from "./_preflight.ts";
import { Runtime, startUp } from "./_runtime.ts";

import { readyUrl } from "./isready.ts";
import { VERSION } from "./version.ts";

const log = getLogger(["secrets-sync", "run"]);

/** How often the liveness heartbeat turns and the status file is written, ms. */
export const HEARTBEAT_MS = STATUS_HEARTBEAT_MS;
/** How long in-flight work may take after SIGTERM before the process exits anyway, ms. */
export const SHUTDOWN_GRACE_MS = 4_000;

/** Options of {@linkcode runCommand}. */
export interface RunCommandOptions {
  configPath: string;
  env: (name: string) => string | undefined;
  /** Aborted on SIGTERM/SIGINT. */
  signal: AbortSignal;
  /** Where log lines go. @default stdout */
  write?: (line: string) => void;
  /** Where messages for a human go before logging is set up. @default stderr */
  error?: (line: string) => void;
  clock?: Clock;
  /** Subscribe to reload requests (SIGHUP); returns an unsubscribe function. */
  onReloadRequest?: (reload: () => void) => () => void;
}

/**
 * Runs the sidecar until `signal` aborts. Returns the exit code: 0 after a clean stop, 2 when the
 * config is invalid at start.
 */
export async function runCommand(options: RunCommandOptions): Promise<number> {
  const { configPath, env, signal, clock = SYSTEM_CLOCK } = options;
  const error = options.error ?? ((line: string) => console.error(line));
  const started = await startUp({
    configPath,
    env,
    command: "run",
    error,
    ...(options.write ? { write: options.write } : {}),
  });
  if (typeof started === "number") return started;
  const { plan, redactor } = started;
  const metrics = createMetrics({ version: VERSION, clock });
  const sidecar = new Sidecar(plan, { redactor, metrics, clock, env, configPath });
  const unsubscribe = options.onReloadRequest?.(() => void sidecar.reload());
  try {
    await sidecar.start(signal);
    const revoked = await revokeUnneeded(plan, { watch: plan.settings.watch });
    if (revoked.length > 0) {
      log.info("Gave back permissions the config does not need: {revoked}", { revoked });
    }
    await new Promise<void>((resolve) => {
      if (signal.aborted) resolve();
      else signal.addEventListener("abort", () => resolve(), { once: true });
    });
    log.info("Stopping: letting in-flight syncs finish");
    await sidecar.stop();
    log.info("Stopped");
    return 0;
  } finally {
    unsubscribe?.();
  }
}

interface SidecarOptions {
  redactor: Redactor;
  metrics: Metrics;
  clock: Clock;
  env: (name: string) => string | undefined;
  configPath: string;
}

/** The long-running parts of `run`, with reload. */
class Sidecar {
  #plan: Plan;
  #options: SidecarOptions;
  #runtime: Runtime;
  #scheduler!: Scheduler;
  #controller = new AbortController();
  #server: ObservabilityServer | undefined;
  #heartbeat: number | undefined;
  #lastTick = 0;
  #publishedReady: boolean | undefined;
  #readyUrl: string | undefined;
  #reloading: Promise<void> | undefined;
  #reloadAgain = false;
  /** Secrets that synced at least once (for the not-ready → ready flip). */
  #everSynced = new Set<string>();
  /** Secrets in sync as of the last heartbeat plus those that synced since (secrets_synced). */
  #inSync = new Set<string>();

  constructor(plan: Plan, options: SidecarOptions) {
    this.#plan = plan;
    this.#options = options;
    this.#runtime = new Runtime(plan, options);
  }

  readiness(): ReadinessSnapshot {
    return computeReadiness(
      this.#scheduler.secrets(),
      this.#scheduler.states(),
      this.#options.clock.now(),
    );
  }

  async start(signal: AbortSignal): Promise<void> {
    const { clock, metrics } = this.#options;
    const plan = this.#plan;
    signal.addEventListener("abort", () => this.#controller.abort(signal.reason), { once: true });
    log.info("Starting secrets-sync {version} with {count} secret(s) from {config}", {
      version: VERSION,
      count: plan.secrets.length,
      config: plan.file,
    });
    if (plan.store.tls.skipVerify) {
      log.warn("TLS certificate verification is disabled (tlsSkipVerify): use only for testing");
    }
    const removed = await this.#runtime.sink.cleanupTemps(this.#runtime.outputDirs()).catch(
      () => 0,
    );
    if (removed > 0) log.info("Removed {count} leftover temp file(s)", { count: removed });
    for (const secret of plan.secrets) {
      try {
        this.#runtime.syncer.compile(secret);
      } catch (err) {
        // Reported again by each sync; said once here so it is seen at start.
        log.error("Template of {secret} does not parse: {error}", {
          secret: secret.name,
          error: (err as Error).message,
        });
      }
    }
    this.#runtime.startClients(this.#controller.signal);
    this.#scheduler = this.#newScheduler(plan);
    this.#scheduler.start(plan.secrets, this.#controller.signal);
    metrics.setSecretsConfigured(plan.secrets.length);

    const settings = plan.settings.metrics;
    if (settings.enabled) {
      this.#server = serveObservability(
        createHandler({
          readiness: () => this.readiness(),
          liveness: () => {
            const age = clock.now() - this.#lastTick;
            return { alive: age < HEARTBEAT_MS * 10, lastTickAgeMs: age };
          },
          metrics,
        }),
        { hostname: settings.addr, port: settings.port, signal: this.#controller.signal },
      );
      this.#readyUrl = readyUrl(this.#server.addr.hostname, this.#server.addr.port);
      log.info("Serving /health, /ready and /metrics on {addr}:{port}", {
        addr: this.#server.addr.hostname,
        port: this.#server.addr.port,
      });
    }
    if (plan.settings.watch) {
      watchConfig(plan.file, {
        onChange: () => {
          log.info("Config file changed: reloading");
          void this.reload();
        },
        signal: this.#controller.signal,
        clock,
      });
      log.info("Watching {config} for changes", { config: plan.file });
    }
    await this.#beat();
  }

  #newScheduler(plan: Plan): Scheduler {
    const r = plan.settings.resilience;
    return new Scheduler((secret, signal) => this.#runtime.sync(secret, signal), {
      clock: this.#options.clock,
      concurrency: plan.settings.concurrency,
      backoff: {
        initialMs: r.initialBackoffMs,
        maxMs: r.maxBackoffMs,
        multiplier: r.backoffMultiplier,
      },
      onResult: (result, state) => {
        this.#runtime.recordResult(result, state);
        if (result.status === "ok") {
          this.#everSynced.add(result.secret);
          this.#inSync.add(result.secret);
          this.#options.metrics.setSecretsSynced(this.#inSync.size);
        }
        // Becoming ready is published at once, not at the next heartbeat; the O(n) readiness
        // is computed only when it can have turned true, not after every sync.
        if (this.#publishedReady !== true && this.#everSynced.size >= this.#plan.secrets.length) {
          const readiness = this.readiness();
          if (readiness.ready) void this.#writeStatus(readiness);
        }
      },
    });
  }

  async #beat(): Promise<void> {
    const { clock } = this.#options;
    this.#lastTick = clock.now();
    const readiness = this.readiness();
    // The exact count (staleness moves with time); results in between only add to it.
    this.#inSync = new Set(
      readiness.secrets.filter((s) => s.status === "ok" || s.status === "failing").map((s) =>
        s.name
      ),
    );
    this.#options.metrics.setSecretsSynced(this.#inSync.size);
    await this.#writeStatus(readiness);
    if (this.#controller.signal.aborted) return;
    this.#heartbeat = clock.setTimeout(() => void this.#beat(), HEARTBEAT_MS);
  }

  async #writeStatus(readiness: ReadinessSnapshot): Promise<void> {
    this.#publishedReady = readiness.ready;
    try {
      await writeStatusFile(this.#plan.settings.statusFile, readiness, {
        clock: this.#options.clock,
        ...(this.#readyUrl ? { readyUrl: this.#readyUrl } : {}),
      });
    } catch (err) {
      log.warn("Cannot write status file: {error}", { error: (err as Error).message });
    }
  }

  /** Reloads the config: validates it fully first, then applies the difference. */
  reload(): Promise<void> {
    if (this.#reloading) {
      // A change during a reload is applied right after it, never merged into it.
      this.#reloadAgain = true;
      return this.#reloading;
    }
    this.#reloading = (async () => {
      do {
        this.#reloadAgain = false;
        await this.#reload();
      } while (this.#reloadAgain && !this.#controller.signal.aborted);
    })().finally(() => this.#reloading = undefined);
    return this.#reloading;
  }

  async #reload(): Promise<void> {
    const { metrics, env, configPath } = this.#options;
    let next: Plan;
    try {
      next = await loadConfig(configPath, { env });
    } catch (err) {
      metrics.recordConfigReload("failure");
      log.error("Config reload rejected, keeping the running config: {error}", {
        error: err instanceof Error ? err.message : String(err),
      });
      return;
    }
    const gaps = await preflight(next, { configPath: next.file, command: "run" });
    if (gaps.length > 0) {
      metrics.recordConfigReload("failure");
      log.error("Config reload rejected, keeping the running config: {error}", {
        error: gaps.join("; "),
      });
      return;
    }
    for (const secret of next.secrets) {
      try {
        this.#runtime.syncer.compile(secret);
      } catch (err) {
        metrics.recordConfigReload("failure");
        log.error("Config reload rejected, keeping the running config: {error}", {
          error: `secret "${secret.name}": ${(err as Error).message}`,
        });
        return;
      }
    }
    const old = this.#plan;
    if (JSON.stringify(old) === JSON.stringify(next)) {
      metrics.recordConfigReload("unchanged");
      log.info("Config reloaded: nothing changed");
      return;
    }
    const storeChanged = JSON.stringify([old.store, old.credentials]) !==
      JSON.stringify([next.store, next.credentials]);
    if (JSON.stringify(old.settings) !== JSON.stringify(next.settings)) {
      log.warn("Settings changed in the config; they take effect at the next restart");
    }
    this.#plan = next;
    if (storeChanged) {
      // New clients for the new store/credentials; syncs in flight finish on the old ones.
      const previous = this.#runtime;
      this.#runtime = new Runtime(next, this.#options);
      this.#runtime.startClients(this.#controller.signal);
      await this.#scheduler.stop();
      previous.close();
      this.#everSynced.clear();
      this.#scheduler = this.#newScheduler(next);
      this.#scheduler.start(next.secrets, this.#controller.signal);
      log.info("Config reloaded: secret store changed, every secret re-syncs now");
    } else {
      const summary = this.#scheduler.update(next.secrets);
      this.#runtime.startClients(this.#controller.signal);
      await summary.removedDone;
      const oldByName = new Map(old.secrets.map((s) => [s.name, s]));
      for (const name of summary.removed) {
        const gone = oldByName.get(name);
        this.#runtime.syncer.forget(name);
        this.#everSynced.delete(name);
        this.#inSync.delete(name);
        metrics.removeSecret(name);
        if (gone?.deleteOnRemove) {
          for (const file of gone.files) await this.#runtime.sink.remove(file).catch(() => {});
        }
      }
      log.info("Config reloaded: {added} added, {removed} removed, {changed} changed", {
        added: summary.added,
        removed: summary.removed,
        changed: summary.changed,
      });
    }
    metrics.setSecretsConfigured(next.secrets.length);
    metrics.recordConfigReload("success");
  }

  async stop(): Promise<void> {
    const { clock } = this.#options;
    this.#controller.abort();
    if (this.#heartbeat !== undefined) clock.clearTimeout(this.#heartbeat);
    let timer: number | undefined;
    await Promise.race([
      this.#scheduler.stop(),
      new Promise<void>((resolve) => timer = clock.setTimeout(resolve, SHUTDOWN_GRACE_MS)),
    ]);
    if (timer !== undefined) clock.clearTimeout(timer);
    await this.#server?.shutdown();
    this.#runtime.close();
    const readiness = { ...this.readiness(), ready: false, reason: "stopped" };
    await writeStatusFile(this.#plan.settings.statusFile, readiness, { clock }).catch(() => {});
  }
}
