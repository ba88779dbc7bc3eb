/**
 * Bounded waiting for tests that run real servers and processes, where time is real: poll a
 * condition until it holds, or await a promise, each failing with what it waited for once the
 * bound passes. Unit tests use `FakeClock` instead.
 *
 * @example
 * ```ts
 * import { pollUntil, settlesWithin } from "./poll.ts";
 * await pollUntil(async () => (await Deno.stat(path)).size > 0, "the file to be written");
 * await settlesWithin(server.finished, "the server to stop", 2_000);
 * ```
 *
 * @module
 */
import { AssertionError } from "./assert.ts";

/** Options of {@linkcode pollUntil}. */
export interface PollUntilOptions {
  /** How long to keep polling, ms. @default 5_000 */
  timeoutMs?: number;
  /** Pause between two probes, ms. @default 25 */
  intervalMs?: number;
  /** Ends the wait early (e.g. a watched process exited); the last probe still runs. */
  stop?: () => boolean;
  /** Added to the timeout message, e.g. a process's output. */
  detail?: () => string;
}

/** A real sleep (integration tests only). */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * Probes `predicate` until it returns true; throws an {@linkcode AssertionError} naming `what`
 * when `timeoutMs` pass first. A probe that throws ends the wait with its error (catch inside the
 * predicate what may fail while waiting, e.g. a connection refused before a server listens).
 */
export async function pollUntil(
  predicate: () => boolean | Promise<boolean>,
  what: string,
  options: PollUntilOptions = {},
): Promise<void> {
  const { timeoutMs = 5_000, intervalMs = 25, stop, detail } = options;
  if (!(timeoutMs >= 0)) {
    throw new RangeError(`Cannot poll: timeoutMs must be >= 0, got ${timeoutMs}`);
  }
  const end = performance.now() + timeoutMs;
  let stopped = false;
  while (performance.now() < end) {
    if (await predicate()) return;
    if (stop?.()) {
      stopped = true;
      break;
    }
    await sleep(intervalMs);
  }
  if (await predicate()) return;
  throw new AssertionError(
    `Timed out waiting for ${what}${stopped ? " (stopped early)" : ` after ${timeoutMs} ms`}${
      detail ? `\n${detail()}` : ""
    }`,
  );
}

/**
 * Resolves with `promise`'s value, or throws an {@linkcode AssertionError} naming `what` when it
 * has not settled after `timeoutMs`: a test that awaits a promise fails instead of hanging.
 */
export async function settlesWithin<T>(
  promise: Promise<T>,
  what: string,
  timeoutMs = 5_000,
): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new AssertionError(`Timed out waiting for ${what} after ${timeoutMs} ms`)),
      timeoutMs,
    );
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
