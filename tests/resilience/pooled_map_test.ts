import { assertEquals, assertRejects } from "../support/assert.ts";
import { pooledMap } from "../../src/resilience/mod.ts";

Deno.test("pooledMap() keeps at most poolLimit calls in flight and yields in input order", async () => {
  let inFlight = 0;
  let most = 0;
  const delays = [30, 5, 20, 1, 10, 2];
  const results = await Array.fromAsync(pooledMap(2, delays.keys(), async (i) => {
    inFlight++;
    most = Math.max(most, inFlight);
    await new Promise((r) => setTimeout(r, delays[i]));
    inFlight--;
    return i * 10;
  }));
  assertEquals(results, [0, 10, 20, 30, 40, 50]);
  assertEquals(most, 2);
});

Deno.test("pooledMap() rejects with the first failing item's error in order", async () => {
  await assertRejects(
    () =>
      Array.fromAsync(
        pooledMap(3, [1, 2, 3], (n) =>
          n === 2 ? Promise.reject(new Error(`item ${n}`)) : Promise.resolve(n)),
      ),
    Error,
    "item 2",
  );
});

Deno.test("pooledMap() refuses a pool limit below 1", async () => {
  const it = pooledMap(0, [1], (n) => Promise.resolve(n));
  await assertRejects(() => it.next(), RangeError, "poolLimit must be an integer >= 1, got 0");
});
