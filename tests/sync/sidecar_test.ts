/**
 * The sidecar's core on a fake clock with an in-memory runtime: start, readiness and the status
 * file, the heartbeat, reloads (added/removed secrets, rejected configs, queueing, which settings
 * apply at once) and stop. No server, no files, no real sleeps.
 */
import { assert, assertEquals } from "../support/assert.ts";
import { FakeClock } from "../support/fake_clock.ts";
import { secretPlan, testPlan } from "./_fixtures.ts";
import type { Plan, SecretPlan } from "../../src/config/plan.ts";
import type { ReadinessSnapshot } from "../../src/observe/mod.ts";
import { createMetrics } from "../../src/observe/metrics.ts";
import { HEARTBEAT_MS, Sidecar, type SidecarRuntime, type SyncResult } from "../../src/sync/mod.ts";

/** A runtime that records what the sidecar asks of it and answers syncs as told. */
class MemoryRuntime implements SidecarRuntime {
  syncs: string[] = [];
  forgotten: string[] = [];
  removedFiles: string[] = [];
  /** Secrets whose leases were revoked, in order. */
  revoked: string[] = [];
  closed = false;
  clientsStarted = 0;
  /** Secrets whose sync fails. */
  failing = new Set<string>();
  /** Secrets whose templates do not parse. */
  broken = new Set<string>();

  constructor(readonly plan: Plan) {}

  compile(secret: SecretPlan): void {
    if (this.broken.has(secret.name)) throw new Error(`template of ${secret.name} does not parse`);
  }
  prepare(): void {
    if (this.plan.store.tls.caCert === "/broken.pem") throw new Error("Cannot load CA certificate");
  }
  startClients(): void {
    this.clientsStarted++;
  }
  sync(secret: SecretPlan): Promise<SyncResult> {
    this.syncs.push(secret.name);
    if (this.failing.has(secret.name)) {
      return Promise.resolve({
        status: "failed",
        secret: secret.name,
        stage: "read",
        errorKind: "unavailable",
        error: new Error("connection refused"),
        durationMs: 1,
      });
    }
    return Promise.resolve({
      status: "ok",
      secret: secret.name,
      files: secret.files.map((f) => ({ path: f.path, result: "written" as const })),
      changed: true,
      hooks: [],
      durationMs: 1,
    });
  }
  recordResult(): void {}
  forget(name: string): void {
    this.forgotten.push(name);
  }
  cleanupTemps(): Promise<number> {
    return Promise.resolve(0);
  }
  removeFiles(secret: SecretPlan): Promise<void> {
    this.removedFiles.push(...secret.files.map((f) => f.path));
    return Promise.resolve();
  }
  revokeLeases(secrets: readonly SecretPlan[]): Promise<void> {
    if (this.closed) throw new Error("revokeLeases after close");
    this.revoked.push(...secrets.map((s) => s.name));
    return Promise.resolve();
  }
  close(): void {
    this.closed = true;
  }
}

interface Rig {
  clock: FakeClock;
  sidecar: Sidecar;
  runtimes: MemoryRuntime[];
  /** Every status written, by path, newest last. */
  statuses: Map<string, ReadinessSnapshot[]>;
  /** What the next loadPlan() resolves with (or throws). */
  next: { plan?: Plan; error?: Error };
  loads: number;
  controller: AbortController;
}

function rig(plan: Plan, options: { failing?: string[] } = {}): Rig {
  const clock = new FakeClock();
  const runtimes: MemoryRuntime[] = [];
  const statuses = new Map<string, ReadinessSnapshot[]>();
  const r: Rig = {
    clock,
    runtimes,
    statuses,
    next: {},
    loads: 0,
    controller: new AbortController(),
    sidecar: undefined as unknown as Sidecar,
  };
  r.sidecar = new Sidecar(plan, {
    runtime: (p) => {
      const runtime = new MemoryRuntime(p);
      for (const name of options.failing ?? []) runtime.failing.add(name);
      runtimes.push(runtime);
      return runtime;
    },
    loadPlan: () => {
      r.loads++;
      if (r.next.error) return Promise.reject(r.next.error);
      return Promise.resolve(r.next.plan ?? plan);
    },
    metrics: createMetrics({ clock }),
    clock,
    writeStatus: (path, readiness) => {
      statuses.set(path, [...(statuses.get(path) ?? []), readiness]);
      return Promise.resolve();
    },
  });
  return r;
}

const last = (r: Rig, path: string) => r.statuses.get(path)?.at(-1);
const STATUS = "/tmp/never-written/status";

Deno.test("Sidecar.start() syncs every secret and publishes ready at once, not at the next beat", async () => {
  const plan = testPlan([secretPlan({ name: "a" }), secretPlan({ name: "b" })]);
  const r = rig(plan);
  await r.sidecar.start(r.controller.signal);
  // The first heartbeat ran before any sync finished: not ready yet.
  assertEquals(r.statuses.get(STATUS)?.[0]?.ready, false);
  await r.clock.tick(0);
  assertEquals(r.runtimes[0]!.syncs.sort(), ["a", "b"]);
  assertEquals(last(r, STATUS)?.ready, true);
  assertEquals(r.statuses.get(STATUS)!.length, 2, "ready was written between heartbeats");
  await r.sidecar.stop();
});

Deno.test("Sidecar writes the status file every heartbeat and marks it not ready on stop", async () => {
  const r = rig(testPlan([secretPlan({ name: "a", refreshIntervalMs: 60_000 })]));
  await r.sidecar.start(r.controller.signal);
  await r.clock.tick(0);
  const before = r.statuses.get(STATUS)!.length;
  await r.clock.tick(HEARTBEAT_MS * 3);
  assertEquals(r.statuses.get(STATUS)!.length, before + 3);
  await r.sidecar.stop();
  assertEquals(last(r, STATUS)?.ready, false);
  assertEquals(last(r, STATUS)?.reason, "stopped");
  assert(r.runtimes[0]!.closed, "the runtime was closed");
  const pending = r.clock.pending;
  await r.clock.tick(HEARTBEAT_MS * 3);
  assertEquals(r.clock.pending, pending, "no heartbeat after stop");
});

Deno.test("Sidecar stays not ready while one secret has never synced", async () => {
  const plan = testPlan([secretPlan({ name: "a" }), secretPlan({ name: "b" })]);
  const r = rig(plan, { failing: ["b"] });
  await r.sidecar.start(r.controller.signal);
  await r.clock.tick(HEARTBEAT_MS);
  const readiness = r.sidecar.readiness();
  assertEquals(readiness.ready, false);
  assertEquals(
    readiness.secrets.map((s) => [s.name, s.status]),
    [["a", "ok"], ["b", "pending"]],
  );
  await r.sidecar.stop();
});

Deno.test("Sidecar.reload() adds and removes secrets, deleting files only with deleteOnRemove", async () => {
  const keep = secretPlan({ name: "keep" });
  const dropped = secretPlan({
    name: "dropped",
    deleteOnRemove: true,
    files: [{ ...secretPlan().files[0]!, path: "/tmp/never-written/dropped" }],
  });
  const r = rig(testPlan([keep, dropped]));
  await r.sidecar.start(r.controller.signal);
  await r.clock.tick(0);
  r.next.plan = testPlan([keep, secretPlan({ name: "added" })]);
  assertEquals(await r.sidecar.reload(), "applied");
  await r.clock.tick(0);
  assertEquals(r.runtimes.length, 1, "same store: the runtime is kept");
  assertEquals(r.runtimes[0]!.forgotten, ["dropped"]);
  assertEquals(r.runtimes[0]!.removedFiles, ["/tmp/never-written/dropped"]);
  assert(r.runtimes[0]!.syncs.includes("added"), "the added secret synced");
  assertEquals(r.sidecar.readiness().secrets.map((s) => s.name), ["keep", "added"]);
  await r.sidecar.stop();
});

Deno.test("Sidecar revokes leases of revokeOnStop secrets on stop and on removal, before closing", async () => {
  const revoking = secretPlan({ name: "revoking", revokeOnStop: true });
  const leaving = secretPlan({ name: "leaving", revokeOnStop: true });
  const keeping = secretPlan({ name: "keeping" });
  const r = rig(testPlan([revoking, leaving, keeping]));
  await r.sidecar.start(r.controller.signal);
  await r.clock.tick(0);
  r.next.plan = testPlan([revoking, keeping]);
  assertEquals(await r.sidecar.reload(), "applied");
  assertEquals(r.runtimes[0]!.revoked, ["leaving"], "a removed secret's leases go with it");
  await r.sidecar.stop();
  assertEquals(r.runtimes[0]!.revoked, ["leaving", "revoking"]);
  assert(r.runtimes[0]!.closed);
});

Deno.test("Sidecar.reload() keeps the running config when the new one is invalid or does not parse", async () => {
  const plan = testPlan([secretPlan({ name: "a" })]);
  const r = rig(plan);
  await r.sidecar.start(r.controller.signal);
  r.next.error = new Error("config.yaml:3:5: secrets[0].refreshInterval: too short");
  assertEquals(await r.sidecar.reload(), "rejected");
  r.next = { plan: testPlan([secretPlan({ name: "a" }), secretPlan({ name: "bad" })]) };
  r.runtimes[0]!.broken.add("bad");
  assertEquals(await r.sidecar.reload(), "rejected");
  assertEquals(r.sidecar.plan, plan);
  assertEquals(r.sidecar.readiness().secrets.map((s) => s.name), ["a"]);
  await r.sidecar.stop();
});

Deno.test("Sidecar.reload() during a reload runs once more after it, never merged into it", async () => {
  const r = rig(testPlan([secretPlan({ name: "a" })]));
  await r.sidecar.start(r.controller.signal);
  r.next.plan = testPlan([secretPlan({ name: "a" }), secretPlan({ name: "b" })]);
  const first = r.sidecar.reload();
  const second = r.sidecar.reload();
  const third = r.sidecar.reload();
  await Promise.all([first, second, third]);
  assertEquals(r.loads, 2, "one reload, then one more for the requests made while it ran");
  await r.sidecar.stop();
});

Deno.test("Sidecar.reload() applies concurrency and resilience at once with a new engine", async () => {
  const secrets = [secretPlan({ name: "a" })];
  const r = rig(testPlan(secrets));
  await r.sidecar.start(r.controller.signal);
  await r.clock.tick(0);
  r.next.plan = testPlan(secrets, { concurrency: 2 });
  assertEquals(await r.sidecar.reload(), "applied");
  await r.clock.tick(0);
  assertEquals(r.runtimes.length, 2);
  assert(r.runtimes[0]!.closed, "the old runtime was closed");
  assertEquals(r.runtimes[1]!.syncs, ["a"], "every secret re-synced on the new engine");
  assertEquals(r.sidecar.plan.settings.concurrency, 2);
  await r.sidecar.stop();
});

Deno.test("Sidecar.reload() with a new engine revokes and forgets the secrets that left through the old one", async () => {
  const stays = secretPlan({ name: "stays", revokeOnStop: true });
  const leaves = secretPlan({ name: "leaves", revokeOnStop: true });
  const r = rig(testPlan([stays, leaves]));
  await r.sidecar.start(r.controller.signal);
  await r.clock.tick(0);
  r.next.plan = testPlan([stays], { concurrency: 2 });
  assertEquals(await r.sidecar.reload(), "applied");
  assertEquals(r.runtimes[0]!.revoked, ["leaves"]);
  assertEquals(r.runtimes[0]!.forgotten, ["leaves"]);
  assertEquals(r.runtimes[1]!.revoked, []);
  await r.sidecar.stop();
  assertEquals(r.runtimes[1]!.revoked, ["stays"]);
});

Deno.test("Sidecar.reload() moves the status file at once and marks the old one not ready", async () => {
  const secrets = [secretPlan({ name: "a" })];
  const r = rig(testPlan(secrets));
  await r.sidecar.start(r.controller.signal);
  await r.clock.tick(0);
  r.next.plan = testPlan(secrets, { statusFile: "/tmp/never-written/moved" });
  assertEquals(await r.sidecar.reload(), "applied");
  assertEquals(last(r, STATUS)?.ready, false);
  assertEquals(last(r, STATUS)?.reason, "status file moved to /tmp/never-written/moved");
  assertEquals(last(r, "/tmp/never-written/moved")?.ready, true);
  await r.clock.tick(HEARTBEAT_MS);
  assertEquals(
    r.statuses.get(STATUS)!.at(-1)?.reason,
    "status file moved to /tmp/never-written/moved",
  );
  assertEquals(r.runtimes.length, 1, "the status file alone needs no new engine");
  await r.sidecar.stop();
});

Deno.test("Sidecar.reload() keeps restart-only settings as they started and reports them", async () => {
  const secrets = [secretPlan({ name: "a" })];
  const plan = testPlan(secrets);
  const r = rig(plan);
  await r.sidecar.start(r.controller.signal);
  r.next.plan = testPlan(secrets, {
    logLevel: "debug",
    metrics: { enabled: true, addr: "0.0.0.0", port: 9999 },
  });
  assertEquals(await r.sidecar.reload(), "unchanged");
  assertEquals(r.sidecar.plan.settings.logLevel, "info");
  assertEquals(r.sidecar.plan.settings.metrics, plan.settings.metrics);
  await r.sidecar.stop();
});

Deno.test("Sidecar.reload() keeps the running engine when the new one's clients cannot be built", async () => {
  const secrets = [secretPlan({ name: "a" })];
  const plan = testPlan(secrets);
  const r = rig(plan);
  await r.sidecar.start(r.controller.signal);
  await r.clock.tick(0);
  r.next.plan = testPlan(secrets, {}, {
    store: { ...plan.store, tls: { skipVerify: false, caCert: "/broken.pem" } },
  });
  assertEquals(await r.sidecar.reload(), "rejected");
  assertEquals(r.sidecar.plan, plan);
  assertEquals(r.runtimes.length, 2, "a new runtime was tried");
  assert(r.runtimes[1]!.closed, "and closed");
  assert(!r.runtimes[0]!.closed, "the running one goes on");
  await r.clock.tick(10_000);
  assert(r.runtimes[0]!.syncs.length >= 2, "and keeps syncing");
  await r.sidecar.stop();
});
