/**
 * Observes how a promise settles without awaiting it (for stepping a FakeClock).
 *
 * @module
 */

/** Observes how a promise settled, without awaiting it. */
export function track<T>(p: Promise<T>): { settled: () => boolean; result: Promise<T> } {
  let done = false;
  const result = p.finally(() => {
    done = true;
  });
  result.catch(() => {});
  return { settled: () => done, result };
}
