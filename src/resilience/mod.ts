/**
 * Resilience primitives, pure and driven by an injected clock and random source: `retry` and
 * `deadline` (the shapes of @std/async's), `backoffDelay` (jittered exponential backoff) and a
 * `CircuitBreaker`. Imports nothing from the rest of src/.
 *
 * One layer owns retries (the caller of the Vault client); the client itself never retries.
 * Classify errors once and pass the classifier as `isRetriable` (retry) and `isFailure` (breaker),
 * so a 403/404 is neither retried nor trips the breaker. A `CircuitOpenError` carries
 * `remainingCooldownMs`; return it from `retryAfterMs` to wait out the cooldown instead of
 * hammering an open breaker.
 *
 * @example
 * ```ts
 * import { CircuitBreaker, deadline, retry } from "./mod.ts";
 *
 * const breaker = new CircuitBreaker({ name: "vault", maxFailures: 5, timeoutMs: 30_000 });
 * const health = await retry(
 *   (_attempt, signal) =>
 *     breaker.execute(() =>
 *       deadline(fetch("http://127.0.0.1:8200/v1/sys/health", { signal }), 5_000)
 *     ),
 *   { maxAttempts: 3, minTimeout: 250 },
 * );
 * ```
 *
 * @module
 */
export { backoffDelay, type BackoffOptions } from "./backoff.ts";
export {
  CircuitBreaker,
  type CircuitBreakerOptions,
  type CircuitBreakerStats,
  CircuitOpenError,
  type CircuitState,
  type CircuitStateListener,
} from "./circuit_breaker.ts";
export {
  type Clock,
  type Random,
  sleep,
  SYSTEM_CLOCK,
  SYSTEM_RANDOM,
  type TimerId,
} from "./clock.ts";
export { abortable } from "./abortable.ts";
export { pooledMap } from "./pooled_map.ts";
export { deadline, type DeadlineOptions, isTimeoutError } from "./deadline.ts";
export { type TimeoutSignal, timeoutSignal, type TimeoutSignalOptions } from "./timeout_signal.ts";
export { retry, RetryError, type RetryInfo, type RetryOptions } from "./retry.ts";
