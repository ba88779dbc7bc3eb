import { assert, assertEquals, assertRejects, assertThrows } from "../support/assert.ts";
import { track } from "./_track.ts";
import { FakeClock } from "../support/fake_clock.ts";
import { deadline, isTimeoutError } from "../../src/resilience/mod.ts";

function later<T>(clock: FakeClock, ms: number, value: T): Promise<T> {
  return new Promise((resolve) => clock.setTimeout(() => resolve(value), ms));
}

Deno.test("deadline() resolves with the value when it arrives in time", async () => {
  const clock = new FakeClock();
  const run = track(deadline(later(clock, 50, "value"), 100, { clock }));
  await clock.tick(50);
  assertEquals(await run.result, "value");
  assertEquals(clock.pending, 0);
});

Deno.test("deadline() rejects with a TimeoutError DOMException when time runs out", async () => {
  const clock = new FakeClock();
  const run = track(deadline(new Promise<never>(() => {}), 100, { clock }));
  await clock.tick(99);
  assert(!run.settled());
  await clock.tick(1);
  const error = await assertRejects(() => run.result, DOMException);
  assertEquals(error.name, "TimeoutError");
  assert(isTimeoutError(error));
});

Deno.test("deadline() passes the promise's own rejection through", async () => {
  const clock = new FakeClock();
  const error = await assertRejects(
    () => deadline(Promise.reject(new TypeError("bad")), 100, { clock }),
    TypeError,
    "bad",
  );
  assert(!isTimeoutError(error));
  assertEquals(clock.pending, 0);
});

Deno.test("deadline() rejects with the signal's reason when it aborts first", async () => {
  const clock = new FakeClock();
  const controller = new AbortController();
  const run = track(deadline(new Promise<never>(() => {}), 100, {
    clock,
    signal: controller.signal,
  }));
  await clock.tick(10);
  controller.abort(new Error("cancelled"));
  await assertRejects(() => run.result, Error, "cancelled");
  assertEquals(clock.pending, 0);
});

Deno.test("deadline() rejects at once when the signal is already aborted", async () => {
  const clock = new FakeClock();
  const controller = new AbortController();
  controller.abort(new Error("already"));
  await assertRejects(
    () => deadline(later(clock, 1, 1), 100, { clock, signal: controller.signal }),
    Error,
    "already",
  );
});

Deno.test("deadline() sets no timer for Number.MAX_SAFE_INTEGER", async () => {
  const clock = new FakeClock();
  const run = track(deadline(later(clock, 1_000_000, "slow"), Number.MAX_SAFE_INTEGER, { clock }));
  assertEquals(clock.pending, 1);
  await clock.tick(1_000_000);
  assertEquals(await run.result, "slow");
});

Deno.test("deadline() rejects a negative or NaN duration", () => {
  assertThrows(() => deadline(Promise.resolve(1), -1), RangeError, "-1");
  assertThrows(() => deadline(Promise.resolve(1), Number.NaN), RangeError, "NaN");
});

Deno.test("isTimeoutError() recognises AbortSignal.timeout's reason only", () => {
  assert(isTimeoutError(new DOMException("x", "TimeoutError")));
  assert(!isTimeoutError(new DOMException("x", "AbortError")));
  assert(!isTimeoutError(new Error("TimeoutError")));
});
