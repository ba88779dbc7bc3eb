import { assertAlmostEquals, assertEquals, assertThrows } from "../support/assert.ts";
import { backoffDelay } from "../../src/resilience/mod.ts";

const base = { initialMs: 1000, maxMs: 60000, multiplier: 2, jitter: 0, random: () => 0.5 };

Deno.test("backoffDelay() grows exponentially from initialMs without jitter", () => {
  const delays = [1, 2, 3, 4, 5].map((attempt) => backoffDelay(attempt, base));
  assertEquals(delays, [1000, 2000, 4000, 8000, 16000]);
});

Deno.test("backoffDelay() is capped at maxMs", () => {
  assertEquals(backoffDelay(7, { ...base, maxMs: 30000 }), 30000);
  assertEquals(backoffDelay(5000, base), 60000);
});

Deno.test("backoffDelay() with full jitter stays within (0, delay]", () => {
  for (const r of [0, 0.1, 0.5, 0.9, 0.999999]) {
    const delay = backoffDelay(3, { ...base, jitter: 1, random: () => r });
    assertAlmostEquals(delay, 4000 * (1 - r), 1e-6);
    if (!(delay > 0 && delay <= 4000)) throw new Error(`delay ${delay} out of bounds for r=${r}`);
  }
});

Deno.test("backoffDelay() with partial jitter keeps the non-random share", () => {
  assertEquals(backoffDelay(2, { ...base, jitter: 0.5, random: () => 0.5 }), 1500);
  assertAlmostEquals(backoffDelay(2, { ...base, jitter: 0.5, random: () => 0.999 }), 1001, 0.01);
});

Deno.test("backoffDelay() uses the @std/async defaults", () => {
  assertEquals(backoffDelay(1, { jitter: 0 }), 1000);
  assertEquals(backoffDelay(4, { random: () => 0.5 }), 4000);
});

Deno.test("backoffDelay() rejects out-of-range arguments naming them", () => {
  const cases: [number, Parameters<typeof backoffDelay>[1], string][] = [
    [0, base, "attempt"],
    [1.5, base, "attempt"],
    [1, { ...base, initialMs: -1 }, "initialMs"],
    [1, { ...base, maxMs: 10 }, "maxMs"],
    [1, { ...base, multiplier: 0.5 }, "multiplier"],
    [1, { ...base, jitter: 1.5 }, "jitter"],
    [1, { ...base, jitter: Number.NaN }, "jitter"],
  ];
  for (const [attempt, options, name] of cases) {
    assertThrows(() => backoffDelay(attempt, options), RangeError, name);
  }
});
