/**
 * A deadline as a signal, on the injected clock: `AbortSignal.any([AbortSignal.timeout(ms), signal])`
 * that a fake clock can step, and whose timer is cleared when the work is done.
 *
 * @module
 */
import { type Clock, SYSTEM_CLOCK } from "./clock.ts";

/** Options of {@linkcode timeoutSignal}. */
export interface TimeoutSignalOptions {
  /** @default SYSTEM_CLOCK */
  clock?: Clock;
  /** Aborts the result too (its reason wins when it aborts first). */
  signal?: AbortSignal;
  /** The abort reason when the time runs out. @default a `TimeoutError` DOMException */
  reason?: () => unknown;
}

/** A signal that aborts after a while; dispose it (or `using` it) when the work is done. */
export interface TimeoutSignal extends Disposable {
  readonly signal: AbortSignal;
  /** True when the time ran out (not when the outer signal aborted). */
  timedOut(): boolean;
  /** Clears the timer. */
  dispose(): void;
}

/**
 * Aborts after `ms` on `clock`, or when `signal` aborts.
 *
 * @example
 * ```ts
 * using timeout = timeoutSignal(5_000, { clock, signal });
 * await client.waitForLogin(timeout.signal);
 * ```
 * @throws {RangeError} when `ms` is negative or NaN
 */
export function timeoutSignal(ms: number, options: TimeoutSignalOptions = {}): TimeoutSignal {
  const { clock = SYSTEM_CLOCK, signal, reason } = options;
  if (!(ms >= 0)) throw new RangeError(`Cannot set a timeout: ms must be >= 0, got ${ms}`);
  const controller = new AbortController();
  let fired = false;
  const id = clock.setTimeout(() => {
    fired = true;
    controller.abort(
      reason ? reason() : new DOMException(`Timed out after ${ms} ms`, "TimeoutError"),
    );
  }, ms);
  const dispose = () => clock.clearTimeout(id);
  return {
    signal: signal ? AbortSignal.any([controller.signal, signal]) : controller.signal,
    timedOut: () => fired && !signal?.aborted,
    dispose,
    [Symbol.dispose]: dispose,
  };
}
