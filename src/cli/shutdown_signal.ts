/**
 * The stop request of `run` and `once`: SIGTERM or SIGINT aborts a signal, so in-flight work can
 * finish; a later signal ends the process at once.
 *
 * @module
 */
import { type Clock, SYSTEM_CLOCK } from "../resilience/mod.ts";

/** Options of {@linkcode shutdownSignal}. */
export interface ShutdownSignalOptions {
  /** Ends the process at once with this exit code (main.ts passes `Deno.exit`). */
  exit: (code: number) => void;
  /** Subscribes to a process signal. @default Deno.addSignalListener */
  listen?: (name: Deno.Signal, handler: () => void) => void;
  /** @default SYSTEM_CLOCK */
  clock?: Pick<Clock, "now">;
  /**
   * A signal this soon after the first is the same request delivered twice, not a second one, ms.
   * @default 1000
   */
  duplicateWindowMs?: number;
}

/** Exit code of a stop forced by a second signal (128 + SIGINT, as shells report Ctrl-C). */
export const FORCED_EXIT_CODE = 130;

/**
 * Returns a signal aborted by the first SIGTERM or SIGINT (its reason an `Error` named after the
 * signal). A signal that comes more than `duplicateWindowMs` after the first calls `exit(130)`.
 *
 * Signals within the window are ignored because one Ctrl-C often arrives twice: without a terminal
 * it reaches the whole process group, and a wrapper in that group forwards it again (`deno task`,
 * `timeout`, systemd's default control-group kill, a demo script stopping its child). Taken as a
 * second request, it cut the graceful stop short (exit 130, the status file's temp file left).
 *
 * @throws {RangeError} when `duplicateWindowMs` is negative or not a number.
 * @example
 * ```ts
 * const signal = shutdownSignal({ exit: (code) => Deno.exit(code) });
 * ```
 */
export function shutdownSignal(options: ShutdownSignalOptions): AbortSignal {
  const {
    exit,
    listen = (name, handler) => Deno.addSignalListener(name, handler),
    clock = SYSTEM_CLOCK,
    duplicateWindowMs = 1000,
  } = options;
  if (!(duplicateWindowMs >= 0)) {
    throw new RangeError(`Cannot watch signals: invalid duplicateWindowMs ${duplicateWindowMs}`);
  }
  const controller = new AbortController();
  let firstAt = 0;
  for (const name of ["SIGTERM", "SIGINT"] as const) {
    listen(name, () => {
      if (!controller.signal.aborted) {
        firstAt = clock.now();
        controller.abort(new Error(name));
      } else if (clock.now() - firstAt >= duplicateWindowMs) {
        exit(FORCED_EXIT_CODE);
      }
    });
  }
  return controller.signal;
}
