/**
 * Exponential backoff with jitter, as a pure function.
 *
 * @module
 */
import { type Random, SYSTEM_RANDOM } from "./clock.ts";
import { validateBackoff } from "./_validate_backoff.ts";

/** Options for {@linkcode backoffDelay}. */
export interface BackoffOptions {
  /** Delay after the first failure, ms. @default 1000 */
  initialMs?: number;
  /** Upper bound of any delay, ms. @default 60000 */
  maxMs?: number;
  /** Growth factor per failure. @default 2 */
  multiplier?: number;
  /**
   * Share of the delay that is random: `0` waits exactly the exponential delay, `1` ("full
   * jitter") waits anywhere in `(0, delay]`. @default 1
   */
  jitter?: number;
  /** Source of randomness in [0, 1). @default Math.random */
  random?: Random;
}

/**
 * The delay before the next try, after `attempt` consecutive failures (1 for the first).
 *
 * The exponential delay is `min(maxMs, initialMs * multiplier ** (attempt - 1))`; the result is
 * that delay scaled by `1 - jitter * random()`, so it lies in `((1 - jitter) * delay, delay]`.
 * The same shape as @std/async's `retry`; the scheduler uses it for per-secret failure backoff.
 *
 * @example
 * ```ts
 * backoffDelay(3, { initialMs: 1000, maxMs: 60000, multiplier: 2, jitter: 0 }); // 4000
 * ```
 * @throws {RangeError} when an option or `attempt` is out of range
 */
export function backoffDelay(attempt: number, options: BackoffOptions = {}): number {
  const {
    initialMs = 1000,
    maxMs = 60000,
    multiplier = 2,
    jitter = 1,
    random = SYSTEM_RANDOM,
  } = options;
  if (!Number.isInteger(attempt) || attempt < 1) {
    throw new RangeError(`Cannot compute backoff: attempt must be an integer >= 1, got ${attempt}`);
  }
  validateBackoff({ initialMs, maxMs, multiplier, jitter }, {
    initialMs: "initialMs",
    maxMs: "maxMs",
  });
  const exponential = Math.min(maxMs, initialMs * multiplier ** (attempt - 1));
  return (1 - jitter * random()) * exponential;
}
