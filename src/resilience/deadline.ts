/**
 * `deadline`: reject a promise that takes too long, like @std/async's `deadline`.
 *
 * @module
 */
import { abortable } from "./abortable.ts";
import { timeoutSignal } from "./timeout_signal.ts";
import { type Clock, SYSTEM_CLOCK } from "./clock.ts";

/** Options for {@linkcode deadline}. */
export interface DeadlineOptions {
  /** Rejects early with the signal's reason. */
  signal?: AbortSignal;
  /** @default SYSTEM_CLOCK */
  clock?: Clock;
}

/**
 * Settles like `p`, unless `ms` pass first: then it rejects with a `DOMException` named
 * `"TimeoutError"` (what `AbortSignal.timeout()` aborts with, as @std/async does). An aborted
 * `signal` rejects with its reason. `ms >= Number.MAX_SAFE_INTEGER` means no time limit.
 * The underlying work is not cancelled: pass the same signal into it for that.
 *
 * @example
 * ```ts
 * const res = await deadline(fetch("http://127.0.0.1:8200/v1/sys/health"), 5000);
 * ```
 * @throws {DOMException} `TimeoutError` when the time runs out
 * @throws {RangeError} when `ms` is negative or NaN
 */
export function deadline<T>(p: Promise<T>, ms: number, options: DeadlineOptions = {}): Promise<T> {
  const { signal, clock = SYSTEM_CLOCK } = options;
  if (!(ms >= 0)) {
    throw new RangeError(`Cannot set a deadline: ms must be >= 0, got ${ms}`);
  }
  if (ms >= Number.MAX_SAFE_INTEGER) return abortable(p, signal);
  const timeout = timeoutSignal(ms, {
    clock,
    ...(signal ? { signal } : {}),
    reason: () => new DOMException("Signal timed out.", "TimeoutError"),
  });
  return abortable(p, timeout.signal).finally(timeout.dispose);
}

/** Whether `error` is the rejection of a {@linkcode deadline} (or of `AbortSignal.timeout`). */
export function isTimeoutError(error: unknown): boolean {
  return error instanceof DOMException && error.name === "TimeoutError";
}
