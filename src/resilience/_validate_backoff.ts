/**
 * Range checks shared by backoffDelay and retry (internal).
 *
 * @module
 */

/** Checks backoff parameters; `names` maps them to the caller's option names for messages. */
export function validateBackoff(
  values: { initialMs: number; maxMs: number; multiplier: number; jitter: number },
  names: { initialMs: string; maxMs: string },
): void {
  const { initialMs, maxMs, multiplier, jitter } = values;
  if (!Number.isFinite(initialMs) || initialMs < 0) {
    throw new RangeError(`Invalid option "${names.initialMs}": must be >= 0, got ${initialMs}`);
  }
  if (Number.isNaN(maxMs) || maxMs < initialMs) {
    throw new RangeError(
      `Invalid option "${names.maxMs}": must be >= ${names.initialMs} (${initialMs}), got ${maxMs}`,
    );
  }
  if (!Number.isFinite(multiplier) || multiplier < 1) {
    throw new RangeError(`Invalid option "multiplier": must be >= 1, got ${multiplier}`);
  }
  if (!(jitter >= 0 && jitter <= 1)) {
    throw new RangeError(`Invalid option "jitter": must be within [0, 1], got ${jitter}`);
  }
}
