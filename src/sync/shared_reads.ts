/**
 * Coalesces reads: secrets that read the same Vault path at about the same time share one request.
 *
 * @module
 */
import { type Clock, SYSTEM_CLOCK } from "../resilience/mod.ts";

interface Entry<T> {
  promise: Promise<T>;
  /** Epoch ms when the read settled successfully; undefined while in flight. */
  settledAt?: number;
}

/**
 * Shares in-flight reads by key, and keeps a successful result for `windowMs` so that secrets
 * refreshed in the same cycle (all of them at start, or a burst after a reload) reuse it. Failures
 * are never kept beyond their flight: the next caller reads again.
 */
/**
 * How long a successful read is shared, at most: below the shortest period a secret can have
 * (100 ms interval is the minimum; each secret narrows it further to half its own period).
 */
export const SHARE_WINDOW_MS = 250;

export class SharedReads {
  #entries = new Map<string, Entry<unknown>>();
  #clock: Clock;
  #windowMs: number;

  constructor(options: { clock?: Clock; windowMs?: number } = {}) {
    const { clock = SYSTEM_CLOCK, windowMs = SHARE_WINDOW_MS } = options;
    if (!(windowMs >= 0)) {
      throw new RangeError(`Cannot share reads: windowMs must be >= 0, got ${windowMs}`);
    }
    this.#clock = clock;
    this.#windowMs = windowMs;
  }

  /**
   * Returns the shared result for `key`, calling `read` only when none is in flight or fresh.
   * `windowMs` narrows the window for this caller (never widens it).
   */
  get<T>(key: string, read: () => Promise<T>, windowMs = this.#windowMs): Promise<T> {
    const now = this.#clock.now();
    const existing = this.#entries.get(key) as Entry<T> | undefined;
    if (existing) {
      if (existing.settledAt === undefined) return existing.promise;
      if (now - existing.settledAt <= Math.min(windowMs, this.#windowMs)) {
        return existing.promise;
      }
    }
    const entry: Entry<T> = { promise: read() };
    this.#entries.set(key, entry);
    entry.promise.then(
      () => {
        entry.settledAt = this.#clock.now();
      },
      () => {
        if (this.#entries.get(key) === entry) this.#entries.delete(key);
      },
    );
    this.#prune(now);
    return entry.promise;
  }

  #prune(now: number): void {
    if (this.#entries.size < 256) return;
    for (const [key, entry] of this.#entries) {
      if (entry.settledAt !== undefined && now - entry.settledAt > this.#windowMs) {
        this.#entries.delete(key);
      }
    }
  }
}
