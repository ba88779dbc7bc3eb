/**
 * Races a promise against a signal: settle like the promise, or reject when the signal aborts.
 *
 * @module
 */

/**
 * Settles like `p`, or rejects with `signal.reason` as soon as the signal aborts. A rejection of
 * `p` after the abort is observed here, so it never becomes an unhandled rejection.
 */
export function abortable<T>(p: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return p;
  if (signal.aborted) {
    p.catch(() => {});
    return Promise.reject(signal.reason);
  }
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => {
      p.catch(() => {});
      reject(signal.reason);
    };
    signal.addEventListener("abort", onAbort, { once: true });
    p.then(resolve, reject).finally(() => signal.removeEventListener("abort", onAbort));
  });
}
