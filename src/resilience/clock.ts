/**
 * Time as a port: everything in src/ that depends on time takes a `Clock`, so tests can step it.
 *
 * @module
 */

/** A handle returned by {@linkcode Clock.setTimeout}. */
export type TimerId = number;

/** The operations on time the program needs. */
export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
  setTimeout(fn: () => void, ms: number): TimerId;
  clearTimeout(id: TimerId): void;
}

/** The real clock. */
export const SYSTEM_CLOCK: Clock = {
  now: () => Date.now(),
  // Node's typings (pulled in by npm packages) make setTimeout return an object.
  setTimeout: (fn, ms) => setTimeout(fn, ms) as unknown as number,
  clearTimeout: (id) => clearTimeout(id),
};

/** A source of randomness in [0, 1). */
export type Random = () => number;

/** The real random source. */
export const SYSTEM_RANDOM: Random = () => Math.random();

/**
 * Resolves after `ms` on `clock`, or rejects with the signal's reason when it aborts.
 *
 * @example
 * ```ts
 * await sleep(100, { clock: SYSTEM_CLOCK });
 * ```
 */
export function sleep(
  ms: number,
  options: { clock?: Clock; signal?: AbortSignal } = {},
): Promise<void> {
  const { clock = SYSTEM_CLOCK, signal } = options;
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason);
      return;
    }
    const onAbort = () => {
      clock.clearTimeout(id);
      reject(signal?.reason);
    };
    const id = clock.setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}
