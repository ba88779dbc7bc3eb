import { assert, assertEquals } from "../support/assert.ts";
import { FakeClock } from "../support/fake_clock.ts";
import { Scheduler } from "../../src/sync/scheduler.ts";
import { Syncer, type SyncResult } from "../../src/sync/syncer.ts";
import type { FilePlan, SecretPlan } from "../../src/config/plan.ts";
import type { SecretData } from "../../src/vault/mod.ts";
import { NO_LEASE_CALLS, secretPlan } from "./_fixtures.ts";

const BACKOFF = { initialMs: 1_000, maxMs: 8_000, multiplier: 2 };

function ok(secret: SecretPlan): SyncResult {
  return { status: "ok", secret: secret.name, files: [], changed: false, hooks: [], durationMs: 0 };
}

function fail(secret: SecretPlan, retryAfterMs?: number): SyncResult {
  const result: SyncResult = {
    status: "failed",
    secret: secret.name,
    stage: "read",
    errorKind: "unavailable",
    error: new Error("Cannot read secret: unavailable"),
    durationMs: 0,
  };
  if (retryAfterMs !== undefined) result.retryAfterMs = retryAfterMs;
  return result;
}

function recorder(clock: FakeClock, outcome: (s: SecretPlan, n: number) => SyncResult = ok) {
  const calls: Array<{ name: string; at: number }> = [];
  const run = (secret: SecretPlan) => {
    calls.push({ name: secret.name, at: clock.now() });
    const n = calls.filter((c) => c.name === secret.name).length;
    return Promise.resolve(outcome(secret, n));
  };
  return { calls, run };
}

Deno.test("Scheduler syncs every secret at start, then each on its own interval", async () => {
  const clock = new FakeClock(0);
  const { calls, run } = recorder(clock);
  const scheduler = new Scheduler(run, { clock, random: () => 0.5, backoff: BACKOFF });
  const ac = new AbortController();
  scheduler.start([
    secretPlan({ name: "fast", refreshIntervalMs: 1_000 }),
    secretPlan({ name: "slow", refreshIntervalMs: 5_000 }),
  ], ac.signal);
  await clock.tick(10_000);
  const at = (name: string) => calls.filter((c) => c.name === name).map((c) => c.at);
  assertEquals(at("fast"), [0, 1000, 2000, 3000, 4000, 5000, 6000, 7000, 8000, 9000, 10000]);
  assertEquals(at("slow"), [0, 5000, 10000]);
  ac.abort();
  await scheduler.stop();
});

Deno.test("Scheduler spreads refreshes by the configured jitter", async () => {
  const clock = new FakeClock(0);
  const { calls, run } = recorder(clock);
  const randoms = [0, 1 - 1e-9];
  let i = 0;
  const scheduler = new Scheduler(run, {
    clock,
    random: () => randoms[i++ % 2]!,
    backoff: BACKOFF,
  });
  const ac = new AbortController();
  scheduler.start([secretPlan({ refreshIntervalMs: 10_000, jitter: 0.1 })], ac.signal);
  await clock.tick(20_000);
  // First delay uses random 0 → 9,000 ms; second uses ~1 → ~11,000 ms.
  assertEquals(calls.map((c) => c.at), [0, 9_000, 20_000]);
  ac.abort();
});

Deno.test("Scheduler keeps every refresh delay within interval × (1 ± jitter)", async () => {
  const randoms = [0, 0.25, 0.5, 0.75, 1 - 1e-9, 0.1, 0.9];
  const clock = new FakeClock(0);
  const { calls, run } = recorder(clock);
  let i = 0;
  const scheduler = new Scheduler(run, {
    clock,
    random: () => randoms[i++ % randoms.length]!,
    backoff: BACKOFF,
  });
  const ac = new AbortController();
  scheduler.start([secretPlan({ refreshIntervalMs: 1_000, jitter: 0.2 })], ac.signal);
  await clock.tick(8_000);
  const gaps = calls.slice(1).map((c, n) => c.at - calls[n]!.at);
  assert(gaps.length >= randoms.length, `only ${gaps.length} refreshes`);
  for (const gap of gaps) assert(gap >= 800 && gap <= 1_200, `gaps ${gaps.join(", ")} ms`);
  // The spread is used, not just its ends: random 0.5 is the interval itself.
  assertEquals(gaps.slice(0, 3), [800, 900, 1_000]);
  ac.abort();
  await scheduler.stop();
});

Deno.test("Scheduler with a Syncer writes a changed secret at the next refresh, each refresh reading it", async () => {
  // The two together on a fake clock, with an in-memory store and sink (the integration tests
  // run the real pair against OpenBao).
  const clock = new FakeClock(0);
  const store: { data: SecretData } = { data: { data: { password: "v0" }, version: 1 } };
  let reads = 0;
  const reader = {
    readSecret: () => {
      reads++;
      return Promise.resolve(structuredClone(store.data));
    },
    readPath: () => Promise.reject(new Error("not used")),
    ...NO_LEASE_CALLS,
  };
  const written: Array<{ at: number; text: string }> = [];
  let current = "";
  const sink = {
    write(_file: FilePlan, content: Uint8Array): Promise<"written" | "unchanged"> {
      const text = new TextDecoder().decode(content);
      if (text === current) return Promise.resolve("unchanged");
      current = text;
      written.push({ at: clock.now(), text });
      return Promise.resolve("written");
    },
    remove: () => Promise.resolve("absent" as const),
  };
  const syncer = new Syncer({
    reader: () => reader,
    sink,
    runHooks: () => Promise.resolve([]),
    clock,
  });
  const randoms = [0, 1 - 1e-9];
  let r = 0;
  let syncs = 0;
  const runSync = (s: SecretPlan) => {
    syncs++;
    return syncer.sync(s);
  };
  const scheduler = new Scheduler(runSync, {
    clock,
    random: () => randoms[r++ % 2]!,
    backoff: BACKOFF,
  });
  const ac = new AbortController();
  const intervalMs = 1_000;
  const jitter = 0.2;
  const secret = secretPlan({
    refreshIntervalMs: intervalMs,
    jitter,
    templates: [{ name: "pw", source: "{{ .password }}" }],
    files: [{
      path: "/out/pw",
      template: "pw",
      mode: 0o600,
      writeMode: "rename",
      createDirs: false,
    }],
  });
  scheduler.start([secret], ac.signal);
  await clock.tick(0);
  assertEquals(written, [{ at: 0, text: "v0" }]);
  for (let n = 1; n <= 6; n++) {
    await clock.tick(137 * n); // changes land anywhere in a period
    const changedAt = clock.now();
    store.data = { data: { password: `v${n}` }, version: n + 1 };
    await clock.tick(intervalMs * (1 + jitter));
    const write = written.find((w) => w.text === `v${n}`);
    assert(write, `v${n} was not written`);
    assert(
      write.at - changedAt <= intervalMs * (1 + jitter),
      `v${n} written ${write.at - changedAt} ms after the change`,
    );
  }
  assertEquals(scheduler.states().get(secret.name)?.consecutiveFailures, 0);
  ac.abort();
  await scheduler.stop();
  // Every refresh asked the store: none reused the previous refresh's read.
  assert(syncs >= 10, `${syncs} syncs in ~10 s at 1 s ± 20 %`);
  assertEquals(reads, syncs);
});

Deno.test("Scheduler backs off a failing secret without delaying the others", async () => {
  const clock = new FakeClock(0);
  const { calls, run } = recorder(clock, (s) => s.name === "bad" ? fail(s) : ok(s));
  const scheduler = new Scheduler(run, { clock, random: () => 0, backoff: BACKOFF });
  const ac = new AbortController();
  scheduler.start([
    secretPlan({ name: "bad", refreshIntervalMs: 60_000 }),
    secretPlan({ name: "good", refreshIntervalMs: 1_000 }),
  ], ac.signal);
  await clock.tick(20_000);
  const at = (name: string) => calls.filter((c) => c.name === name).map((c) => c.at);
  // jitter 0.2 with random 0 → the full exponential delay: 1s, 2s, 4s, 8s, 8s (capped).
  assertEquals(at("bad"), [0, 1_000, 3_000, 7_000, 15_000]);
  assertEquals(at("good").length, 21);
  const state = scheduler.states().get("bad")!;
  assertEquals(state.consecutiveFailures, 5);
  assertEquals(state.lastErrorKind, "unavailable");
  ac.abort();
});

Deno.test("Scheduler never backs a failing secret off longer than its refresh interval", async () => {
  const clock = new FakeClock(0);
  const { calls, run } = recorder(clock, (s) => fail(s));
  const scheduler = new Scheduler(run, { clock, random: () => 0, backoff: BACKOFF });
  const ac = new AbortController();
  scheduler.start([secretPlan({ refreshIntervalMs: 1_500 })], ac.signal);
  await clock.tick(6_000);
  // 1s, then 2s capped to the 1.5s interval, and so on.
  assertEquals(calls.map((c) => c.at), [0, 1_000, 2_500, 4_000, 5_500]);
  ac.abort();
});

Deno.test("Scheduler waits at least the server's Retry-After", async () => {
  const clock = new FakeClock(0);
  const { calls, run } = recorder(clock, (s, n) => n === 1 ? fail(s, 5_000) : ok(s));
  const scheduler = new Scheduler(run, { clock, random: () => 0, backoff: BACKOFF });
  const ac = new AbortController();
  scheduler.start([secretPlan({ refreshIntervalMs: 60_000 })], ac.signal);
  await clock.tick(6_000);
  assertEquals(calls.map((c) => c.at), [0, 5_000]);
  ac.abort();
});

Deno.test("Scheduler runs at most `concurrency` syncs at once", async () => {
  const clock = new FakeClock(0);
  let running = 0;
  let peak = 0;
  const release: Array<() => void> = [];
  const run = (secret: SecretPlan) => {
    running++;
    peak = Math.max(peak, running);
    return new Promise<SyncResult>((resolve) => {
      release.push(() => {
        running--;
        resolve(ok(secret));
      });
    });
  };
  const scheduler = new Scheduler(run, { clock, concurrency: 3, backoff: BACKOFF });
  const ac = new AbortController();
  scheduler.start(
    Array.from({ length: 10 }, (_, i) => secretPlan({ name: `s${i}` })),
    ac.signal,
  );
  await clock.tick(0);
  assertEquals(running, 3);
  while (release.length > 0) {
    release.shift()!();
    await clock.tick(0);
  }
  assertEquals(peak, 3);
  assertEquals([...scheduler.states().values()].filter((s) => s.lastSuccess === 0).length, 10);
  ac.abort();
});

Deno.test("Scheduler.update() adds, removes and re-syncs changed secrets at once", async () => {
  const clock = new FakeClock(0);
  const { calls, run } = recorder(clock);
  const scheduler = new Scheduler(run, { clock, backoff: BACKOFF });
  const ac = new AbortController();
  scheduler.start([
    secretPlan({ name: "keep", refreshIntervalMs: 60_000 }),
    secretPlan({ name: "change", refreshIntervalMs: 60_000 }),
    secretPlan({ name: "drop", refreshIntervalMs: 1_000 }),
  ], ac.signal);
  await clock.tick(1_000);
  calls.length = 0;
  const summary = scheduler.update([
    secretPlan({ name: "keep", refreshIntervalMs: 60_000 }),
    secretPlan({ name: "change", key: "app/other", refreshIntervalMs: 60_000 }),
    secretPlan({ name: "new", refreshIntervalMs: 60_000 }),
  ]);
  await summary.removedDone;
  assertEquals(summary.added, ["new"]);
  assertEquals(summary.removed, ["drop"]);
  assertEquals(summary.changed, ["change"]);
  assertEquals(summary.unchanged, ["keep"]);
  await clock.tick(5_000);
  assertEquals(calls.map((c) => c.name).sort(), ["change", "new"]);
  assert(!scheduler.states().has("drop"));
  ac.abort();
});

Deno.test("Scheduler.stop() waits for in-flight syncs and schedules nothing after", async () => {
  const clock = new FakeClock(0);
  let finish!: () => void;
  let calls = 0;
  const run = (secret: SecretPlan) => {
    calls++;
    return new Promise<SyncResult>((resolve) => finish = () => resolve(ok(secret)));
  };
  const scheduler = new Scheduler(run, { clock, backoff: BACKOFF });
  const ac = new AbortController();
  scheduler.start([secretPlan({ refreshIntervalMs: 100 })], ac.signal);
  await clock.tick(0);
  let stopped = false;
  const stopping = scheduler.stop().then(() => stopped = true);
  await clock.tick(0);
  assertEquals(stopped, false);
  finish();
  await stopping;
  await clock.tick(1_000);
  assertEquals(calls, 1);
  assertEquals(clock.pending, 0);
});
