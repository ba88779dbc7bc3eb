import { assert, assertEquals, assertRejects, assertThrows } from "../support/assert.ts";
import { FakeClock } from "../support/fake_clock.ts";
import {
  CircuitBreaker,
  type CircuitBreakerOptions,
  CircuitOpenError,
  type CircuitState,
} from "../../src/resilience/mod.ts";

class Transient extends Error {}
class NotFound extends Error {}

function setup(options: CircuitBreakerOptions = {}) {
  const clock = new FakeClock();
  const breaker = new CircuitBreaker({
    name: "vault",
    maxFailures: 3,
    timeoutMs: 10_000,
    isFailure: (e) => !(e instanceof NotFound),
    clock,
    ...options,
  });
  const events: string[] = [];
  breaker.onStateChange((from, to) => events.push(`${from}->${to}`));
  let calls = 0;
  const ok = () =>
    breaker.execute(() => {
      calls++;
      return Promise.resolve("ok");
    });
  const fail = (error: Error = new Transient("unavailable")) =>
    breaker.execute(() => {
      calls++;
      return Promise.reject(error);
    }).then(
      () => {
        throw new Error("expected a rejection");
      },
      (e: unknown) => e,
    );
  return { clock, breaker, events, ok, fail, calls: () => calls };
}

async function failTimes(fail: () => Promise<unknown>, n: number): Promise<void> {
  for (let i = 0; i < n; i++) await fail();
}

Deno.test("CircuitBreaker passes results and errors through while closed", async () => {
  const { breaker, ok, fail } = setup();
  assertEquals(await ok(), "ok");
  const error = await fail(new Transient("boom"));
  assert(error instanceof Transient);
  assertEquals(breaker.state, "closed");
});

Deno.test("CircuitBreaker opens after maxFailures consecutive failures", async () => {
  const { breaker, events, fail } = setup();
  await failTimes(fail, 2);
  assertEquals(breaker.state, "closed");
  await fail();
  assertEquals(breaker.state, "open");
  assertEquals(events, ["closed->open"]);
});

Deno.test("CircuitBreaker rejects without calling fn while open", async () => {
  const { clock, breaker, fail, ok, calls } = setup();
  await failTimes(fail, 3);
  await clock.tick(4000);
  const before = calls();
  const error = await assertRejects(ok, CircuitOpenError, '"vault"');
  assert(error instanceof CircuitOpenError);
  assertEquals(error.name, "CircuitOpenError");
  assertEquals(error.remainingCooldownMs, 6000);
  assertEquals(calls(), before);
  assertEquals(breaker.stats().totalRejected, 1);
});

Deno.test("CircuitBreaker forgives failures after a success in consecutive mode", async () => {
  const { breaker, ok, fail } = setup();
  await failTimes(fail, 2);
  await ok();
  await failTimes(fail, 2);
  assertEquals(breaker.state, "closed");
  assertEquals(breaker.stats().failures, 2);
});

Deno.test("CircuitBreaker goes half-open when the cooldown has passed", async () => {
  const { clock, breaker, events, fail } = setup();
  await failTimes(fail, 3);
  await clock.tick(9999);
  assertEquals(breaker.state, "open");
  await clock.tick(1);
  assertEquals(breaker.state, "half_open");
  assertEquals(events, ["closed->open", "open->half_open"]);
});

Deno.test("CircuitBreaker closes after a successful half-open probe", async () => {
  const { clock, breaker, events, fail, ok } = setup();
  await failTimes(fail, 3);
  await clock.tick(10_000);
  assertEquals(await ok(), "ok");
  assertEquals(breaker.state, "closed");
  assertEquals(events, ["closed->open", "open->half_open", "half_open->closed"]);
  assertEquals(breaker.stats().failures, 0);
});

Deno.test("CircuitBreaker reopens with a fresh cooldown when the probe fails", async () => {
  const { clock, breaker, events, fail } = setup();
  await failTimes(fail, 3);
  await clock.tick(10_000);
  await fail();
  assertEquals(breaker.state, "open");
  assertEquals(breaker.stats().remainingCooldownMs, 10_000);
  assertEquals(events, ["closed->open", "open->half_open", "half_open->open"]);
});

Deno.test("CircuitBreaker admits only halfOpenMaxRequests probes at once", async () => {
  const { clock, breaker, fail } = setup({ halfOpenMaxRequests: 2 });
  await failTimes(fail, 3);
  await clock.tick(10_000);
  const gates = [Promise.withResolvers<string>(), Promise.withResolvers<string>()];
  const probes = gates.map((g) => breaker.execute(() => g.promise));
  const error = await assertRejects(() => breaker.execute(() => "third"), CircuitOpenError);
  assertEquals((error as CircuitOpenError).remainingCooldownMs, 0);
  gates[0]!.resolve("a");
  assertEquals(await probes[0], "a");
  assertEquals(breaker.state, "half_open", "one success of two must not close it");
  gates[1]!.resolve("b");
  assertEquals(await probes[1], "b");
  assertEquals(breaker.state, "closed");
});

Deno.test("CircuitBreaker counts failures within intervalMs only", async () => {
  const { clock, breaker, fail } = setup({ intervalMs: 1000 });
  await fail();
  await clock.tick(600);
  await fail();
  await clock.tick(600); // the first failure is now out of the window
  await fail();
  assertEquals(breaker.state, "closed");
  assertEquals(breaker.stats().failures, 2);
  await clock.tick(100);
  await fail();
  assertEquals(breaker.state, "open");
});

Deno.test("CircuitBreaker in window mode does not forgive failures after a success", async () => {
  const { breaker, ok, fail } = setup({ intervalMs: 60_000 });
  await failTimes(fail, 2);
  await ok();
  await fail();
  assertEquals(breaker.state, "open");
});

Deno.test("CircuitBreaker ignores errors that are not failures of the dependency", async () => {
  const { breaker, fail } = setup();
  for (let i = 0; i < 10; i++) {
    const error = await fail(new NotFound("secret not found"));
    assert(error instanceof NotFound, "the original error is rethrown");
  }
  assertEquals(breaker.state, "closed");
  const stats = breaker.stats();
  assertEquals(stats.totalIgnored, 10);
  assertEquals(stats.failures, 0);
});

Deno.test("CircuitBreaker neither resets nor trips on an ignored error", async () => {
  const { breaker, fail } = setup();
  await failTimes(fail, 2);
  await fail(new NotFound("missing"));
  assertEquals(breaker.stats().failures, 2);
  await fail();
  assertEquals(breaker.state, "open");
});

Deno.test("CircuitBreaker stays half-open after an ignored error and frees the probe slot", async () => {
  const { clock, breaker, fail, ok } = setup();
  await failTimes(fail, 3);
  await clock.tick(10_000);
  await fail(new NotFound("missing"));
  assertEquals(breaker.state, "half_open");
  assertEquals(await ok(), "ok");
  assertEquals(breaker.state, "closed");
});

Deno.test("CircuitBreaker ignores a slow success admitted before it opened", async () => {
  const { breaker, fail } = setup();
  const slow = Promise.withResolvers<string>();
  const pending = breaker.execute(() => slow.promise);
  await failTimes(fail, 3);
  assertEquals(breaker.state, "open");
  slow.resolve("late");
  assertEquals(await pending, "late");
  assertEquals(breaker.state, "open");
});

Deno.test("CircuitBreaker.stats() reports totals", async () => {
  const { breaker, ok, fail } = setup();
  await ok();
  await fail(new NotFound("x"));
  await failTimes(fail, 3);
  await assertRejects(ok, CircuitOpenError);
  const stats = breaker.stats();
  assertEquals(stats.name, "vault");
  assertEquals(stats.state, "open");
  assertEquals(stats.totalCalls, 5);
  assertEquals(stats.totalSuccesses, 1);
  assertEquals(stats.totalFailures, 3);
  assertEquals(stats.totalIgnored, 1);
  assertEquals(stats.totalRejected, 1);
  assertEquals(stats.remainingCooldownMs, 10_000);
});

Deno.test("CircuitBreaker.reset() closes it", async () => {
  const { breaker, events, fail, ok } = setup();
  await failTimes(fail, 3);
  breaker.reset();
  assertEquals(breaker.state, "closed");
  assertEquals(await ok(), "ok");
  assertEquals(events, ["closed->open", "open->closed"]);
});

Deno.test("CircuitBreaker keeps working when a listener throws, and listeners can unsubscribe", async () => {
  const { breaker, fail } = setup();
  breaker.onStateChange(() => {
    throw new Error("broken listener");
  });
  const seen: [CircuitState, CircuitState][] = [];
  const off = breaker.onStateChange((from, to) => seen.push([from, to]));
  await failTimes(fail, 3);
  assertEquals(breaker.state, "open");
  off();
  breaker.reset();
  assertEquals(seen, [["closed", "open"]]);
});

Deno.test("CircuitBreaker treats a synchronous throw as a failure", async () => {
  const { breaker } = setup({ maxFailures: 1 });
  await assertRejects(
    () =>
      breaker.execute(() => {
        throw new Transient("sync");
      }),
    Transient,
  );
  assertEquals(breaker.state, "open");
});

Deno.test("CircuitBreaker rejects invalid options naming them", () => {
  const cases: [CircuitBreakerOptions, string][] = [
    [{ maxFailures: 0 }, "maxFailures"],
    [{ intervalMs: -1 }, "intervalMs"],
    [{ timeoutMs: Number.POSITIVE_INFINITY }, "timeoutMs"],
    [{ halfOpenMaxRequests: 0 }, "halfOpenMaxRequests"],
  ];
  for (const [options, name] of cases) {
    assertThrows(() => new CircuitBreaker(options), RangeError, name);
  }
});
