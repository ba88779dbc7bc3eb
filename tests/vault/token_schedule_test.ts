import { assert, assertEquals } from "../support/assert.ts";
import {
  isCapped,
  MIN_STEP_MS,
  planNextStep,
  renewDelayMs,
  simulateLifecycle,
} from "../../src/vault/_token_schedule.ts";

Deno.test("renewDelayMs() renews at 2/3 of the lease without jitter", () => {
  assertEquals(renewDelayMs(3600, 0), 2_400_000);
  assertEquals(renewDelayMs(3, 0), 2000);
});

Deno.test("renewDelayMs() jitters only earlier, by at most 10 %", () => {
  assertEquals(renewDelayMs(3600, 1), 2_160_000);
  for (const r of [0, 0.25, 0.5, 0.999]) {
    const d = renewDelayMs(60, r);
    assert(d <= 40_000 && d >= 36_000, `delay ${d} for random ${r}`);
  }
});

Deno.test("renewDelayMs() never schedules sooner than the minimum step", () => {
  assertEquals(renewDelayMs(0.01, 0.5), MIN_STEP_MS);
});

Deno.test("isCapped() notices a renewal that granted less than requested", () => {
  assertEquals(isCapped(3600, 3600), false);
  assertEquals(isCapped(3600, 1800), true);
  assertEquals(isCapped(3, 2), true);
});

Deno.test("planNextStep() does nothing for a token that never expires", () => {
  assertEquals(
    planNextStep({ leaseSeconds: 0, renewable: false, capped: false, canRelogin: false }, 0),
    { action: "none" },
  );
});

Deno.test("planNextStep() renews a renewable token at 2/3 of its lease", () => {
  assertEquals(
    planNextStep({ leaseSeconds: 30, renewable: true, capped: false, canRelogin: true }, 0),
    { action: "renew", delayMs: 20_000 },
  );
});

Deno.test("planNextStep() logs in again when the max TTL capped the last renewal", () => {
  assertEquals(
    planNextStep({ leaseSeconds: 3, renewable: true, capped: true, canRelogin: true }, 0),
    { action: "relogin", delayMs: 2000 },
  );
});

Deno.test("planNextStep() logs in again before a non-renewable AppRole token expires", () => {
  assertEquals(
    planNextStep({ leaseSeconds: 60, renewable: false, capped: false, canRelogin: true }, 0),
    { action: "relogin", delayMs: 40_000 },
  );
});

Deno.test("planNextStep() only re-checks a static token it cannot renew", () => {
  assertEquals(
    planNextStep({ leaseSeconds: 60, renewable: false, capped: false, canRelogin: false }, 0),
    { action: "recheck", delayMs: 40_000 },
  );
});

Deno.test("simulateLifecycle() renews a 3 s / 6 s AppRole token, then logs in again", () => {
  const cost = simulateLifecycle({ ttlSeconds: 3, maxTtlSeconds: 6, canRelogin: true }, 20);
  assert(cost.logins >= 3, `logins ${cost.logins}`);
  assert(cost.renewals >= cost.logins, `renewals ${cost.renewals}`);
});

Deno.test("simulateLifecycle() costs an AppRole 1 h / 24 h token under 2 requests per hour", () => {
  const day = simulateLifecycle(
    { ttlSeconds: 3600, maxTtlSeconds: 86_400, canRelogin: true },
    86_400,
  );
  assert(day.total / 24 < 2, `per hour ${day.total / 24}`);
  assert(day.logins >= 1, "a re-login within the day");
});

Deno.test("simulateLifecycle() costs a 768 h token nothing within an hour", () => {
  const hour = simulateLifecycle({
    ttlSeconds: 768 * 3600,
    maxTtlSeconds: 768 * 3600,
    canRelogin: false,
  }, 3600);
  assertEquals(hour.total, 0);
});
