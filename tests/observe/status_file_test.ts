import { assert, assertEquals, assertRejects, assertStringIncludes } from "../support/assert.ts";
import {
  checkReadyHttp,
  readStatus,
  StatusFile,
  StatusFileError,
  writeStatusFile,
} from "../../src/observe/status_file.ts";
import type { ReadinessSnapshot } from "../../src/observe/readiness.ts";
import { FakeClock } from "../support/fake_clock.ts";
import { tmpDir } from "../support/tmp_dir.ts";

const READY: ReadinessSnapshot = {
  ready: true,
  secrets: [
    { name: "db", status: "ok", lastSuccess: 1, ageMs: 2 },
    { name: "api", status: "stale" },
  ],
};

Deno.test("writeStatusFile() writes ready, pid, heartbeat and counts as JSON with mode 0644", async () => {
  await using dir = await tmpDir();
  const clock = new FakeClock();
  const path = dir.join("status.json");
  await writeStatusFile(path, READY, { clock });
  assertEquals(JSON.parse(await Deno.readTextFile(path)), {
    version: 1,
    ready: true,
    pid: Deno.pid,
    heartbeat: clock.now(),
    secrets: { total: 2, pending: 0, ok: 1, stale: 1, failing: 0, expired: 0 },
  });
  assertEquals((await Deno.stat(path)).mode! & 0o777, 0o644);
  const leftovers = [...Deno.readDirSync(dir.path)].map((e) => e.name);
  assertEquals(leftovers, ["status.json"]);
});

Deno.test("writeStatusFile() replaces the previous content", async () => {
  await using dir = await tmpDir();
  const clock = new FakeClock();
  const path = dir.join("status.json");
  await writeStatusFile(path, READY, { clock });
  await clock.tick(1000);
  await writeStatusFile(path, { ...READY, ready: false, reason: "x" }, { clock });
  const second = JSON.parse(await Deno.readTextFile(path));
  assertEquals([second.ready, second.heartbeat, second.reason], [false, clock.now(), "x"]);
});

Deno.test("writeStatusFile() removes its temp file when the rename fails", async () => {
  await using dir = await tmpDir();
  const path = dir.join("status.json");
  // A non-empty directory in the way makes the rename fail, even for root.
  await Deno.mkdir(dir.join("status.json", "inside"), { recursive: true });
  const error = await assertRejects(
    () => writeStatusFile(path, READY, { clock: new FakeClock() }),
    StatusFileError,
  );
  assertStringIncludes(error.message, `Cannot write status file "${path}"`);
  assertEquals([...Deno.readDirSync(dir.path)].map((e) => e.name), ["status.json"]);
});

Deno.test("writeStatusFile() throws StatusFileError when the directory does not exist", async () => {
  await using dir = await tmpDir();
  const error = await assertRejects(
    () => writeStatusFile(dir.join("missing", "status.json"), READY, { clock: new FakeClock() }),
    StatusFileError,
  );
  assertEquals((error as StatusFileError).path, dir.join("missing", "status.json"));
});

Deno.test("readStatus() says ready for a fresh heartbeat of a live, ready process", async () => {
  await using dir = await tmpDir();
  const clock = new FakeClock();
  const path = dir.join("status.json");
  await writeStatusFile(path, READY, { clock });
  await clock.tick(5_000);
  assertEquals(await readStatus(path, { clock, maxAgeMs: 30_000 }), {
    ready: true,
    reason: "ready (1/2 secrets ok)",
  });
});

Deno.test("readStatus() says not ready when the heartbeat is older than maxAgeMs", async () => {
  await using dir = await tmpDir();
  const clock = new FakeClock();
  const path = dir.join("status.json");
  await writeStatusFile(path, READY, { clock });
  await clock.tick(45_000);
  assertEquals(await readStatus(path, { clock, maxAgeMs: 30_000 }), {
    ready: false,
    reason: "heartbeat is 45.0 s old (limit 30.0 s)",
  });
});

Deno.test("readStatus() says not ready when the recorded process is gone", async () => {
  await using dir = await tmpDir();
  const clock = new FakeClock();
  const path = dir.join("status.json");
  const child = new Deno.Command("true").spawn();
  await child.status;
  await writeStatusFile(path, READY, { clock, pid: child.pid });
  const check = await readStatus(path, { clock, maxAgeMs: 30_000 });
  assertEquals(check, { ready: false, reason: `process ${child.pid} is not running` });
  const ignored = await readStatus(path, { clock, maxAgeMs: 30_000, checkPid: false });
  assertEquals(ignored.ready, true);
});

Deno.test("readStatus() reports the writer's reason when it is not ready", async () => {
  await using dir = await tmpDir();
  const clock = new FakeClock();
  const path = dir.join("status.json");
  await writeStatusFile(path, {
    ready: false,
    reason: 'secret "db" has never synced',
    secrets: [{ name: "db", status: "pending" }],
  }, { clock });
  assertEquals(await readStatus(path, { clock, maxAgeMs: 30_000 }), {
    ready: false,
    reason: 'secret "db" has never synced',
  });
});

Deno.test("readStatus() says not ready for a missing or malformed file", async () => {
  await using dir = await tmpDir();
  const clock = new FakeClock();
  const missing = await readStatus(dir.join("nope.json"), { clock, maxAgeMs: 1 });
  assertEquals(missing.ready, false);
  assertStringIncludes(missing.reason, "not found");
  await Deno.writeTextFile(dir.join("bad.json"), "{not json");
  const bad = await readStatus(dir.join("bad.json"), { clock, maxAgeMs: 1 });
  assertEquals(bad.ready, false);
  assertStringIncludes(bad.reason, "not a valid status file");
});

Deno.test("readStatus() rejects a non-positive maxAgeMs", async () => {
  await assertRejects(
    () => readStatus("/nonexistent", { clock: new FakeClock(), maxAgeMs: 0 }),
    RangeError,
  );
});

function serve(handler: (request: Request) => Response | Promise<Response>) {
  return Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, handler);
}

Deno.test("checkReadyHttp() says ready on 200 and not ready with the body's reason on 503", async () => {
  let ready = true;
  await using server = serve(() =>
    ready
      ? Response.json({ ready: true })
      : Response.json({ ready: false, reason: 'secret "db" is stale' }, { status: 503 })
  );
  const url = `http://127.0.0.1:${server.addr.port}/readyz`;
  assertEquals(await checkReadyHttp(url), { ready: true, reason: "ready" });
  ready = false;
  assertEquals(await checkReadyHttp(url), { ready: false, reason: 'secret "db" is stale' });
});

Deno.test("checkReadyHttp() gives up at its deadline", async () => {
  const { promise: never, resolve } = Promise.withResolvers<Response>();
  await using server = serve(() => never);
  const url = `http://127.0.0.1:${server.addr.port}/readyz`;
  const start = performance.now();
  const check = await checkReadyHttp(url, { timeoutMs: 50 });
  const elapsed = performance.now() - start;
  resolve(new Response("late"));
  assertEquals(check, { ready: false, reason: `no answer from ${url} within 50 ms` });
  assert(elapsed < 500, `took ${elapsed} ms`);
});

Deno.test("checkReadyHttp() says not ready when nothing listens", async () => {
  const server = serve(() => new Response());
  const port = server.addr.port;
  await server.shutdown();
  const check = await checkReadyHttp(`http://127.0.0.1:${port}/readyz`, { timeoutMs: 1000 });
  assertEquals(check.ready, false);
  assertStringIncludes(check.reason, `cannot reach http://127.0.0.1:${port}/readyz`);
});

Deno.test("writeStatusFile() leaves no temp file when the process exits during the write", async () => {
  await using dir = await tmpDir();
  const child = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      new URL("./_status_exit_child.ts", import.meta.url).pathname,
      dir.join("st"),
    ],
    stdout: "piped",
    stderr: "piped",
  }).output();
  assertEquals(child.code, 130, new TextDecoder().decode(child.stderr));
  assertEquals([...Deno.readDirSync(dir.path)].map((e) => e.name), []);
});

/** A write function that records its calls and finishes each only when the test says so. */
function gatedWrites() {
  const calls: Array<{ ready: boolean; reason?: string; finish: () => void }> = [];
  const write = (_path: string, snapshot: ReadinessSnapshot) =>
    new Promise<void>((resolve) => {
      calls.push({
        ready: snapshot.ready,
        ...(snapshot.reason ? { reason: snapshot.reason } : {}),
        finish: resolve,
      });
    });
  return { calls, write };
}

Deno.test("StatusFile writes one snapshot at a time and only the newest of those that waited", async () => {
  const { calls, write } = gatedWrites();
  const status = new StatusFile("/unused", { clock: new FakeClock(), write });
  const first = status.write({ ready: false, secrets: [], reason: "a" });
  const second = status.write({ ready: false, secrets: [], reason: "b" });
  const third = status.write({ ready: true, secrets: [] });
  await Promise.resolve();
  assertEquals(calls.map((c) => c.reason ?? "ready"), ["a"]);
  calls[0]!.finish();
  await first;
  await new Promise((r) => setTimeout(r, 0));
  assertEquals(calls.map((c) => c.reason ?? "ready"), ["a", "ready"]);
  calls[1]!.finish();
  await Promise.all([second, third]);
});

Deno.test("StatusFile.close() waits for the write in flight, then writes the final state last", async () => {
  const { calls, write } = gatedWrites();
  const status = new StatusFile("/unused", { clock: new FakeClock(), write });
  void status.write({ ready: true, secrets: [] }); // a heartbeat, still in flight
  const closed = status.close({ ready: false, secrets: [], reason: "stopped" });
  await Promise.resolve();
  assertEquals(calls.length, 1);
  calls[0]!.finish();
  await new Promise((r) => setTimeout(r, 0));
  assertEquals(calls.map((c) => c.reason ?? "ready"), ["ready", "stopped"]);
  calls[1]!.finish();
  await closed;
  await status.write({ ready: true, secrets: [] }); // after close: ignored
  assertEquals(calls.length, 2);
});
