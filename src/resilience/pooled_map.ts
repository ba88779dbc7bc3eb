/**
 * `pooledMap`: transform items with at most `poolLimit` calls in flight, with the shape of
 * @std/async's `pooledMap`. Results come out in input order.
 *
 * @module
 */

/**
 * Calls `iteratorFn` on every item of `array`, never more than `poolLimit` at once, and yields the
 * results in the order of the items. A rejection ends the iteration with that error (calls
 * already started run to their end).
 *
 * @example
 * ```ts
 * const results = await Array.fromAsync(pooledMap(8, secrets, (s) => sync(s)));
 * ```
 * @throws {RangeError} when `poolLimit` is not an integer >= 1
 */
export async function* pooledMap<T, R>(
  poolLimit: number,
  array: Iterable<T>,
  iteratorFn: (data: T) => Promise<R>,
): AsyncIterableIterator<R> {
  if (!Number.isInteger(poolLimit) || poolLimit < 1) {
    throw new RangeError(`Cannot map: poolLimit must be an integer >= 1, got ${poolLimit}`);
  }
  const items = [...array];
  // One settled-later slot per item, so results come out in order whenever their call starts.
  const slots = items.map(() => Promise.withResolvers<R>());
  for (const slot of slots) slot.promise.catch(() => {}); // reported when its turn comes
  let next = 0;
  const startNext = (): void => {
    if (next >= items.length) return;
    const i = next++;
    const slot = slots[i]!;
    iteratorFn(items[i]!).then(slot.resolve, slot.reject).finally(startNext);
  };
  for (let k = 0; k < Math.min(poolLimit, items.length); k++) startNext();
  for (const slot of slots) yield await slot.promise;
}
