/**
 * The per-secret scheduler: every secret on its own timer with jitter, failures backing off per
 * secret without delaying the others, a bound on how many syncs run at once, and a live update when
 * the configuration changes.
 *
 * @module
 */
import type { SecretPlan } from "../config/mod.ts";
import {
  backoffDelay,
  type Clock,
  type Random,
  SYSTEM_CLOCK,
  SYSTEM_RANDOM,
  type TimerId,
} from "../resilience/mod.ts";
import type { SecretState } from "./secret_state.ts";
import type { SyncResult } from "./syncer.ts";
import { Semaphore } from "./_semaphore.ts";

/** Runs one sync of one secret; must not throw (failures are values). */
export type RunSecret = (secret: SecretPlan, signal: AbortSignal) => Promise<SyncResult>;

/** Options of {@linkcode Scheduler}. */
export interface SchedulerOptions {
  /** @default SYSTEM_CLOCK */
  clock?: Clock;
  /** @default SYSTEM_RANDOM */
  random?: Random;
  /** Most syncs running at once. @default 8 */
  concurrency?: number;
  /** Backoff after failures, per secret. */
  backoff: { initialMs: number; maxMs: number; multiplier: number };
  /** Called after every sync attempt, with the state it produced. */
  onResult?: (result: SyncResult, state: SecretState) => void;
}

/** What {@linkcode Scheduler.update} changed. */
export interface UpdateSummary {
  added: string[];
  removed: string[];
  changed: string[];
  unchanged: string[];
}

interface Job {
  secret: SecretPlan;
  state: SecretState;
  timer?: TimerId;
  running?: Promise<void>;
  /** Set when the plan changed while the job was running: sync again at once. */
  dirty: boolean;
  removed: boolean;
  nextDelay?: number;
}

/**
 * Schedules syncs. `start()` syncs every secret at once (bounded by `concurrency`), then each on its
 * own interval with ±jitter; a failed secret waits an exponential, capped backoff instead.
 *
 * @example
 * ```ts
 * const scheduler = new Scheduler(runSecret, { backoff: { initialMs: 1000, maxMs: 60000, multiplier: 2 } });
 * scheduler.start(plan.secrets, controller.signal);
 * ```
 */
export class Scheduler {
  #run: RunSecret;
  #clock: Clock;
  #random: Random;
  #backoff: SchedulerOptions["backoff"];
  #onResult: SchedulerOptions["onResult"];
  #jobs = new Map<string, Job>();
  #slots: Semaphore;
  #signal: AbortSignal | undefined;
  #stopped = false;

  constructor(run: RunSecret, options: SchedulerOptions) {
    const {
      clock = SYSTEM_CLOCK,
      random = SYSTEM_RANDOM,
      concurrency = 8,
      backoff,
      onResult,
    } = options;
    if (!Number.isInteger(concurrency) || concurrency < 1) {
      throw new RangeError(`Cannot create scheduler: concurrency must be >= 1, got ${concurrency}`);
    }
    this.#run = run;
    this.#clock = clock;
    this.#random = random;
    this.#backoff = backoff;
    this.#onResult = onResult;
    this.#slots = new Semaphore(concurrency);
  }

  /** Starts scheduling `secrets`; the first sync of each is queued at once. */
  start(secrets: readonly SecretPlan[], signal: AbortSignal): void {
    this.#signal = signal;
    signal.addEventListener("abort", () => void this.stop(), { once: true });
    for (const secret of secrets) this.#add(secret);
  }

  /** Current per-secret state, by name. */
  states(): ReadonlyMap<string, SecretState> {
    const out = new Map<string, SecretState>();
    for (const [name, job] of this.#jobs) out.set(name, job.state);
    return out;
  }

  /** The secrets currently scheduled. */
  secrets(): SecretPlan[] {
    return [...this.#jobs.values()].map((job) => job.secret);
  }

  /**
   * Applies a new list of secrets: starts added ones, stops removed ones (after their in-flight sync
   * finishes) and re-syncs changed ones at once. Returns what changed; `removedDone` settles when the
   * removed secrets' in-flight syncs have finished.
   */
  update(secrets: readonly SecretPlan[]): UpdateSummary & { removedDone: Promise<void> } {
    const summary: UpdateSummary = { added: [], removed: [], changed: [], unchanged: [] };
    const next = new Map(secrets.map((s) => [s.name, s]));
    const waits: Promise<void>[] = [];
    for (const [name, job] of this.#jobs) {
      if (next.has(name)) continue;
      job.removed = true;
      if (job.timer !== undefined) this.#clock.clearTimeout(job.timer);
      if (job.running) waits.push(job.running);
      this.#jobs.delete(name);
      summary.removed.push(name);
    }
    for (const secret of secrets) {
      const job = this.#jobs.get(secret.name);
      if (!job) {
        this.#add(secret);
        summary.added.push(secret.name);
      } else if (JSON.stringify(job.secret) !== JSON.stringify(secret)) {
        job.secret = secret;
        summary.changed.push(secret.name);
        if (job.running) {
          job.dirty = true;
        } else {
          this.#schedule(job, 0);
        }
      } else {
        summary.unchanged.push(secret.name);
      }
    }
    return { ...summary, removedDone: Promise.all(waits).then(() => {}) };
  }

  /** Stops scheduling and waits for in-flight syncs to finish. */
  async stop(): Promise<void> {
    this.#stopped = true;
    const running: Promise<void>[] = [];
    for (const job of this.#jobs.values()) {
      if (job.timer !== undefined) this.#clock.clearTimeout(job.timer);
      delete job.timer;
      if (job.running) running.push(job.running);
    }
    await Promise.all(running);
  }

  #add(secret: SecretPlan): void {
    const job: Job = {
      secret,
      state: { name: secret.name, consecutiveFailures: 0 },
      dirty: false,
      removed: false,
    };
    this.#jobs.set(secret.name, job);
    this.#schedule(job, 0);
  }

  #schedule(job: Job, delayMs: number): void {
    if (this.#stopped || job.removed) return;
    if (job.timer !== undefined) this.#clock.clearTimeout(job.timer);
    if (delayMs <= 0) {
      delete job.timer;
      job.running = this.#execute(job);
      return;
    }
    job.timer = this.#clock.setTimeout(() => {
      delete job.timer;
      job.running = this.#execute(job);
    }, delayMs);
  }

  async #execute(job: Job): Promise<void> {
    const release = await this.#slots.acquire();
    try {
      if (this.#stopped || job.removed) return;
      const signal = this.#signal ?? new AbortController().signal;
      job.dirty = false;
      const secret = job.secret;
      const result = await this.#run(secret, signal);
      const now = this.#clock.now();
      job.state.lastAttempt = now;
      if (result.status === "ok") {
        job.state.lastSuccess = now;
        job.state.consecutiveFailures = 0;
        delete job.state.lastErrorKind;
        if (result.version !== undefined) job.state.version = result.version;
        if (result.leases?.expiresAt !== undefined) job.state.expiresAt = result.leases.expiresAt;
        else delete job.state.expiresAt;
      } else {
        job.state.consecutiveFailures++;
        job.state.lastErrorKind = result.errorKind;
      }
      this.#onResult?.(result, { ...job.state });
      job.nextDelay = this.#nextDelay(job, result);
    } finally {
      release();
      const delay = job.dirty ? 0 : (job.nextDelay ?? job.secret.refreshIntervalMs);
      delete job.running;
      this.#schedule(job, delay);
    }
  }

  #nextDelay(job: Job, result: SyncResult): number {
    if (result.status === "ok") {
      const { refreshIntervalMs, jitter } = job.secret;
      const factor = 1 + jitter * (2 * this.#random() - 1);
      const refresh = Math.max(1, Math.round(refreshIntervalMs * factor));
      // A lease to renew or a certificate to re-issue comes before the next refresh.
      const due = result.leases?.dueAt;
      return due === undefined ? refresh : Math.max(1, Math.min(refresh, due - this.#clock.now()));
    }
    // A failing secret is never retried less often than a healthy one is refreshed: after an
    // outage it catches up within its own interval, not after a long backoff. The circuit breaker
    // keeps such retries from reaching a failing server.
    const backoff = backoffDelay(job.state.consecutiveFailures, {
      initialMs: this.#backoff.initialMs,
      maxMs: Math.max(1, Math.min(this.#backoff.maxMs, job.secret.refreshIntervalMs)),
      multiplier: this.#backoff.multiplier,
      jitter: 0.2,
      random: this.#random,
    });
    return Math.max(backoff, result.retryAfterMs ?? 0);
  }
}
