import { assert, assertEquals, assertRejects } from "../support/assert.ts";
import { track } from "./_track.ts";
import { FakeClock } from "../support/fake_clock.ts";
import {
  CircuitBreaker,
  CircuitOpenError,
  retry,
  RetryError,
  type RetryInfo,
} from "../../src/resilience/mod.ts";

/** A function that fails `failures` times, then returns "ok"; records its calls. */
function flaky(failures: number) {
  const calls: { attempt: number; signal: AbortSignal }[] = [];
  const fn = (attempt: number, signal: AbortSignal) => {
    calls.push({ attempt, signal });
    if (calls.length <= failures) return Promise.reject(new Error(`failure ${calls.length}`));
    return Promise.resolve("ok");
  };
  return { fn, calls };
}

const noJitter = { jitter: 0, minTimeout: 100, maxTimeout: 10000 };

Deno.test("retry() returns the first result without waiting", async () => {
  const clock = new FakeClock();
  const { fn, calls } = flaky(0);
  assertEquals(await retry(fn, { clock }), "ok");
  assertEquals(calls.length, 1);
  assertEquals(clock.pending, 0);
});

Deno.test("retry() waits the exponential delay between attempts", async () => {
  const clock = new FakeClock();
  const { fn, calls } = flaky(2);
  const run = track(retry(fn, { ...noJitter, clock }));
  await clock.tick(0);
  assertEquals(calls.length, 1);
  await clock.tick(99);
  assertEquals(calls.length, 1);
  await clock.tick(1);
  assertEquals(calls.length, 2);
  await clock.tick(199);
  assertEquals(calls.length, 2);
  await clock.tick(1);
  assertEquals(calls.length, 3);
  assertEquals(await run.result, "ok");
  assertEquals(calls.map((c) => c.attempt), [1, 2, 3]);
});

Deno.test("retry() throws RetryError with the last error after maxAttempts", async () => {
  const clock = new FakeClock();
  const { fn, calls } = flaky(Infinity);
  const delays: number[] = [];
  const run = track(retry(fn, {
    ...noJitter,
    maxAttempts: 4,
    maxTimeout: 300,
    clock,
    onRetry: (info) => delays.push(info.delayMs),
  }));
  await clock.tick(10_000);
  const error = await assertRejects(() => run.result, RetryError, "after 4 attempts");
  assert(error instanceof RetryError);
  assertEquals(error.name, "RetryError");
  assertEquals(error.attempts, 4);
  assertEquals((error.cause as Error).message, "failure 4");
  assertEquals(calls.length, 4);
  assertEquals(delays, [100, 200, 300]);
});

Deno.test("retry() defaults to 5 attempts and @std/async's delays", async () => {
  const clock = new FakeClock();
  const { fn, calls } = flaky(Infinity);
  const delays: number[] = [];
  const run = track(retry(fn, { clock, jitter: 0, onRetry: (i) => delays.push(i.delayMs) }));
  await clock.tick(15_000);
  await assertRejects(() => run.result, RetryError);
  assertEquals(calls.length, 5);
  assertEquals(delays, [1000, 2000, 4000, 8000]);
});

Deno.test("retry() applies jitter from the injected random source", async () => {
  const clock = new FakeClock();
  const { fn } = flaky(3);
  const infos: RetryInfo[] = [];
  const randoms = [0.25, 0.5, 0.75];
  const run = track(retry(fn, {
    minTimeout: 1000,
    jitter: 1,
    clock,
    random: () => randoms.shift()!,
    onRetry: (info) => infos.push(info),
  }));
  await clock.tick(10_000);
  assertEquals(await run.result, "ok");
  assertEquals(infos.map((i) => i.delayMs), [750, 1000, 1000]);
  assertEquals(infos.map((i) => i.attempt), [1, 2, 3]);
  assertEquals(infos.map((i) => (i.error as Error).message), [
    "failure 1",
    "failure 2",
    "failure 3",
  ]);
});

Deno.test("retry() rethrows a non-retriable error at once, unwrapped", async () => {
  const clock = new FakeClock();
  const forbidden = new Error("permission denied");
  let calls = 0;
  const error = await assertRejects(
    () =>
      retry(() => {
        calls++;
        return Promise.reject(forbidden);
      }, { clock, isRetriable: (e) => e !== forbidden }),
    Error,
  );
  assert(error === forbidden);
  assertEquals(calls, 1);
  assertEquals(clock.pending, 0);
});

Deno.test("retry() waits the server's retry-after instead of the computed delay", async () => {
  const clock = new FakeClock();
  const { fn, calls } = flaky(1);
  const delays: number[] = [];
  const run = track(retry(fn, {
    ...noJitter,
    clock,
    retryAfterMs: () => 5000,
    onRetry: (i) => delays.push(i.delayMs),
  }));
  await clock.tick(4999);
  assertEquals(calls.length, 1);
  await clock.tick(1);
  assertEquals(await run.result, "ok");
  assertEquals(delays, [5000]);
});

Deno.test("retry() caps the server's retry-after at maxTimeout", async () => {
  const clock = new FakeClock();
  const { fn } = flaky(2);
  const delays: number[] = [];
  const run = track(retry(fn, {
    ...noJitter,
    maxTimeout: 3000,
    clock,
    retryAfterMs: (e) => (e as Error).message === "failure 1" ? 120_000 : undefined,
    onRetry: (i) => delays.push(i.delayMs),
  }));
  await clock.tick(10_000);
  assertEquals(await run.result, "ok");
  assertEquals(delays, [3000, 200]);
});

Deno.test("retry() stops waiting when the signal aborts", async () => {
  const clock = new FakeClock();
  const { fn, calls } = flaky(Infinity);
  const controller = new AbortController();
  const run = track(retry(fn, { ...noJitter, clock, signal: controller.signal }));
  await clock.tick(0);
  assertEquals(calls.length, 1);
  assertEquals(clock.pending, 1);
  const reason = new Error("shutting down");
  controller.abort(reason);
  const error = await assertRejects(() => run.result, Error);
  assert(error === reason);
  assertEquals(clock.pending, 0);
  await clock.tick(10_000);
  assertEquals(calls.length, 1);
});

Deno.test("retry() does not call fn when the signal is already aborted", async () => {
  const { fn, calls } = flaky(0);
  const controller = new AbortController();
  controller.abort(new Error("gone"));
  await assertRejects(() => retry(fn, { signal: controller.signal }), Error, "gone");
  assertEquals(calls.length, 0);
});

Deno.test("retry() rejects at once when aborted while fn ignores the signal", async () => {
  const clock = new FakeClock();
  const controller = new AbortController();
  const run = track(retry(() => new Promise<never>(() => {}), {
    clock,
    signal: controller.signal,
  }));
  await clock.tick(0);
  assert(!run.settled());
  controller.abort(new Error("stop"));
  await assertRejects(() => run.result, Error, "stop");
});

Deno.test("retry() hands fn the caller's signal, or one that never aborts", async () => {
  const { fn, calls } = flaky(0);
  const controller = new AbortController();
  await retry(fn, { signal: controller.signal });
  assert(calls[0]?.signal === controller.signal);
  await retry(fn);
  assert(calls[1]?.signal instanceof AbortSignal && !calls[1].signal.aborted);
});

Deno.test("retry() counts a synchronous throw as a failed attempt", async () => {
  const clock = new FakeClock();
  let calls = 0;
  const run = track(retry(() => {
    if (++calls === 1) throw new Error("sync");
    return "second";
  }, { ...noJitter, clock }));
  await clock.tick(100);
  assertEquals(await run.result, "second");
  assertEquals(calls, 2);
});

Deno.test("retry() rejects invalid options with a RangeError naming the option", async () => {
  const cases: [Parameters<typeof retry>[1], string][] = [
    [{ maxAttempts: 0 }, "maxAttempts"],
    [{ maxAttempts: 2.5 }, "maxAttempts"],
    [{ minTimeout: -1 }, "minTimeout"],
    [{ minTimeout: 10, maxTimeout: 5 }, "maxTimeout"],
    [{ jitter: 2 }, "jitter"],
    [{ multiplier: 0 }, "multiplier"],
  ];
  for (const [options, name] of cases) {
    let called = false;
    await assertRejects(
      () =>
        retry(() => {
          called = true;
        }, options),
      RangeError,
      name,
    );
    assert(!called, `fn must not run with invalid ${name}`);
  }
});

Deno.test("retry() waits out an open circuit's cooldown when told by retryAfterMs", async () => {
  const clock = new FakeClock();
  const breaker = new CircuitBreaker({ maxFailures: 1, timeoutMs: 5000, clock });
  let calls = 0;
  const delays: number[] = [];
  const run = track(retry(
    () =>
      breaker.execute(() => {
        calls++;
        return calls === 1 ? Promise.reject(new Error("unavailable")) : Promise.resolve("ok");
      }),
    {
      ...noJitter,
      clock,
      retryAfterMs: (e) => e instanceof CircuitOpenError ? e.remainingCooldownMs : undefined,
      onRetry: (i) => delays.push(i.delayMs),
    },
  ));
  await clock.tick(10_000);
  assertEquals(await run.result, "ok");
  assertEquals(delays, [100, 4900]);
  assertEquals(calls, 2);
});
