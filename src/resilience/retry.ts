/**
 * `retry`: call a function until it succeeds, with exponential backoff and jitter.
 *
 * @module
 */
import { abortable } from "./abortable.ts";
import { backoffDelay } from "./backoff.ts";
import { validateBackoff } from "./_validate_backoff.ts";
import { type Clock, type Random, sleep, SYSTEM_CLOCK, SYSTEM_RANDOM } from "./clock.ts";

/** What {@linkcode RetryOptions.onRetry} is told before each wait. */
export interface RetryInfo {
  /** The attempt that just failed, 1 for the first. */
  attempt: number;
  /** How long retry waits before the next attempt, ms. */
  delayMs: number;
  /** What the failed attempt threw. */
  error: unknown;
}

/** Options for {@linkcode retry}; the first five match @std/async's `RetryOptions`. */
export interface RetryOptions {
  /** How much the delay grows after each failure. @default 2 */
  multiplier?: number;
  /** The largest delay between attempts, ms (also caps `retryAfterMs`). @default 60000 */
  maxTimeout?: number;
  /** The number of attempts, the first included. @default 5 */
  maxAttempts?: number;
  /** The delay after the first failure, ms. @default 1000 */
  minTimeout?: number;
  /** Share of each delay that is random, 0 to 1 (1 = full jitter). @default 1 */
  jitter?: number;
  /** Stops waiting and attempting; retry rejects with the signal's reason. */
  signal?: AbortSignal;
  /** @default SYSTEM_CLOCK */
  clock?: Clock;
  /** @default Math.random */
  random?: Random;
  /** Errors for which this returns false are rethrown at once, unwrapped. @default () => true */
  isRetriable?: (error: unknown) => boolean;
  /**
   * A server-given wait for this error (e.g. a 429's Retry-After), ms. When it returns a number,
   * that number (capped at `maxTimeout`) replaces the computed delay.
   */
  retryAfterMs?: (error: unknown) => number | undefined;
  /** Called before each wait; for logs and metrics. */
  onRetry?: (info: RetryInfo) => void;
}

/** Thrown by {@linkcode retry} when every attempt failed; `cause` is the last error. */
export class RetryError extends Error {
  /** The number of attempts made. */
  readonly attempts: number;

  constructor(cause: unknown, attempts: number) {
    const detail = cause instanceof Error ? cause.message : String(cause);
    super(`Cannot complete the operation after ${attempts} attempts: ${detail}`, { cause });
    this.name = "RetryError";
    this.attempts = attempts;
  }
}

/**
 * Calls `fn` until it resolves, at most `maxAttempts` times, waiting a jittered exponential
 * delay between attempts (`minTimeout * multiplier ** n`, capped at `maxTimeout`).
 *
 * `fn` receives the attempt number (1 for the first) and a signal to pass on to the work it
 * starts (the caller's, or one that never aborts). Non-retriable errors are
 * rethrown as they are; when attempts run out, a {@linkcode RetryError} wraps the last error.
 * Aborting the signal rejects at once with its reason, also while `fn` is still running.
 *
 * @example
 * ```ts
 * const body = await retry(async (_attempt, signal) => {
 *   const res = await fetch("http://127.0.0.1:8200/v1/sys/health", { signal });
 *   if (res.status >= 500) throw new Error(`status ${res.status}`);
 *   return await res.text();
 * }, { maxAttempts: 3, minTimeout: 100 });
 * ```
 * @throws {RetryError} when all attempts failed
 * @throws {RangeError} for invalid options
 */
export async function retry<T>(
  fn: (attempt: number, signal: AbortSignal) => Promise<T> | T,
  options: RetryOptions = {},
): Promise<T> {
  const {
    multiplier = 2,
    maxTimeout = 60000,
    maxAttempts = 5,
    minTimeout = 1000,
    jitter = 1,
    signal,
    clock = SYSTEM_CLOCK,
    random = SYSTEM_RANDOM,
    isRetriable = () => true,
    retryAfterMs,
    onRetry,
  } = options;
  if (!Number.isInteger(maxAttempts) || maxAttempts < 1) {
    throw new RangeError(
      `Invalid option "maxAttempts": must be an integer >= 1, got ${maxAttempts}`,
    );
  }
  validateBackoff({ initialMs: minTimeout, maxMs: maxTimeout, multiplier, jitter }, {
    initialMs: "minTimeout",
    maxMs: "maxTimeout",
  });

  const fnSignal = signal ?? new AbortController().signal;
  for (let attempt = 1;; attempt++) {
    signal?.throwIfAborted();
    try {
      return await abortable(Promise.resolve().then(() => fn(attempt, fnSignal)), signal);
    } catch (error) {
      if (signal?.aborted) throw signal.reason;
      if (!isRetriable(error)) throw error;
      if (attempt >= maxAttempts) throw new RetryError(error, attempt);
      const delayMs = nextDelay(error, attempt);
      onRetry?.({ attempt, delayMs, error });
      await sleep(delayMs, signal ? { clock, signal } : { clock });
    }
  }

  function nextDelay(error: unknown, attempt: number): number {
    const serverMs = retryAfterMs?.(error);
    if (serverMs !== undefined && Number.isFinite(serverMs)) {
      return Math.min(maxTimeout, Math.max(0, serverMs));
    }
    return backoffDelay(attempt, {
      initialMs: minTimeout,
      maxMs: maxTimeout,
      multiplier,
      jitter,
      random,
    });
  }
}
