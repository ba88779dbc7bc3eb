import { assert, assertEquals, assertMatch, assertStrictEquals } from "../support/assert.ts";
import type { HookPlan } from "../../src/config/plan.ts";
import { runHooks, type SpawnFn } from "../../src/sink/hooks.ts";
import { FakeClock } from "../support/fake_clock.ts";
import { freePort } from "../support/free_port.ts";
import { pollUntil } from "../support/poll.ts";
import { tmpDir } from "../support/tmp_dir.ts";

function command(argv: string[], timeoutMs = 10_000): HookPlan {
  return { kind: "command", argv, timeoutMs };
}

Deno.test("runHooks() reports a command that exits 0 as ok and a failing one as failed", async () => {
  const results = await runHooks(
    [command(["sh", "-c", "exit 3"]), command(["true"])],
    { secret: "app" },
  );
  assertEquals(results.map((r) => r.status), ["failed", "ok"]);
  assertStrictEquals(results[0]!.kind, "command");
  assertStrictEquals(
    results[0]!.error,
    `Cannot run on-change hook command "sh": exited with code 3`,
  );
  assertStrictEquals(results[1]!.error, undefined);
});

Deno.test("runHooks() reports a command that cannot be found as failed", async () => {
  const [result] = await runHooks([command(["/nonexistent/reload"])], { secret: "app" });
  assertStrictEquals(result!.status, "failed");
  assertMatch(result!.error!, /command "\/nonexistent\/reload": not found/);
});

Deno.test("runHooks() kills a command at its timeout", async () => {
  const clock = new FakeClock();
  const pending = runHooks([command(["sleep", "30"], 1000)], { secret: "app", clock });
  await clock.tick(999);
  await clock.tick(1);
  const [result] = await pending;
  assertStrictEquals(result!.status, "timeout");
  assertStrictEquals(result!.durationMs, 1000);
  assertMatch(result!.error!, /no exit after 1000 ms; killed/);
});

Deno.test("runHooks() returns within the timeout on the real clock", async () => {
  const started = Date.now();
  const [result] = await runHooks([command(["sleep", "30"], 200)], { secret: "app" });
  assertStrictEquals(result!.status, "timeout");
  assert(Date.now() - started < 5000);
});

Deno.test("runHooks() does not wait past the timeout for a backgrounded child's output", async () => {
  const started = Date.now();
  const [result] = await runHooks(
    [command(["sh", "-c", "sleep 3 & echo started"], 300)],
    { secret: "app" },
  );
  assertStrictEquals(result!.status, "ok");
  assert(Date.now() - started < 2500);
});

Deno.test("runHooks() gives commands PATH and the secret name but not the sidecar's environment", async () => {
  await using dir = await tmpDir();
  const out = dir.join("env.txt");
  // A name no other test reads: the environment is shared by test modules run in parallel.
  const canary = "SECRETS_SYNC_HOOK_TEST_CANARY";
  Deno.env.set(canary, "s.should-not-leak");
  try {
    const [result] = await runHooks(
      [command(["sh", "-c", 'env > "$1"', "sh", out])],
      { secret: "app-db" },
    );
    assertStrictEquals(result!.status, "ok");
  } finally {
    Deno.env.delete(canary);
  }
  const names = (await Deno.readTextFile(out)).split("\n").filter((l) => l !== "")
    .map((l) => l.split("=")[0]).filter((n) => n !== "PWD" && n !== "SHLVL" && n !== "_");
  assertEquals(names.sort(), ["PATH", "SECRETS_SYNC_SECRET"]);
  assertMatch(await Deno.readTextFile(out), /SECRETS_SYNC_SECRET=app-db/);
});

Deno.test("runHooks() sends the signal to the process named in the pid file", async () => {
  await using dir = await tmpDir();
  const pidFile = dir.join("app.pid");
  const marker = dir.join("got-hup");
  const script = `trap 'echo hup > "$2"; exit 0' HUP; echo $$ > "$1"; while :; do sleep 0.05; done`;
  const child = new Deno.Command("sh", {
    args: ["-c", script, "sh", pidFile, marker],
    stdout: "null",
    stderr: "null",
  }).spawn();
  try {
    await pollUntil(
      () => Deno.readTextFile(pidFile).then((t) => t.endsWith("\n"), () => false),
      "the pid file",
    );
    const [result] = await runHooks(
      [{ kind: "signal", pidFile, signal: "SIGHUP" }],
      { secret: "app" },
    );
    assertEquals(result!.status, "ok");
    const status = await child.status;
    assertStrictEquals(status.code, 0);
    assertStrictEquals(await Deno.readTextFile(marker), "hup\n");
  } finally {
    try {
      child.kill("SIGKILL");
    } catch {
      // exited
    }
    await child.status;
  }
});

Deno.test("runHooks() refuses a pid file without a usable pid", async () => {
  await using dir = await tmpDir();
  const cases: Array<[string | undefined, RegExp]> = [
    [undefined, /cannot read pid file ".*": not found/],
    ["0\n", /does not hold a process id/],
    ["-1\n", /does not hold a process id/],
    ["12 34\n", /does not hold a process id/],
    ["4194303\n", /no process 4194303 \(stale pid file\?\)/],
  ];
  for (const [content, pattern] of cases) {
    const pidFile = dir.join("app.pid");
    await Deno.remove(pidFile).catch(() => {});
    if (content !== undefined) await Deno.writeTextFile(pidFile, content);
    const [result] = await runHooks(
      [{ kind: "signal", pidFile, signal: "SIGHUP" }],
      { secret: "app" },
    );
    assertStrictEquals(result!.status, "failed", String(content));
    assertMatch(result!.error!, pattern);
  }
});

Deno.test("runHooks() calls an http hook with its method and reports the status", async () => {
  const seen: Array<{ method: string; path: string; secret: string | null }> = [];
  await using server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, (req) => {
    const url = new URL(req.url);
    seen.push({
      method: req.method,
      path: url.pathname,
      secret: req.headers.get("x-secrets-sync-secret"),
    });
    return new Response("body", { status: url.pathname === "/fail" ? 500 : 200 });
  });
  const base = `http://127.0.0.1:${server.addr.port}`;
  const results = await runHooks([
    { kind: "http", url: `${base}/reload?token=abc`, method: "POST", timeoutMs: 5000 },
    { kind: "http", url: `${base}/fail`, method: "GET", timeoutMs: 5000 },
  ], { secret: "app" });
  assertEquals(results.map((r) => r.status), ["ok", "failed"]);
  assertStrictEquals(
    results[1]!.error,
    `Cannot run on-change hook http GET "${base}/fail": HTTP 500`,
  );
  assertEquals(seen, [
    { method: "POST", path: "/reload", secret: "app" },
    { method: "GET", path: "/fail", secret: "app" },
  ]);
});

Deno.test("runHooks() times out an http hook and never shows the query string", async () => {
  const clock = new FakeClock();
  const hangingFetch: typeof fetch = (_input, init) =>
    new Promise((_resolve, reject) => {
      init?.signal?.addEventListener("abort", () => reject(init.signal?.reason));
    });
  const pending = runHooks(
    [{ kind: "http", url: "http://app:8080/reload?token=abc", method: "POST", timeoutMs: 2000 }],
    { secret: "app", clock, fetch: hangingFetch },
  );
  await clock.tick(2000);
  const [result] = await pending;
  assertStrictEquals(result!.status, "timeout");
  assertStrictEquals(result!.durationMs, 2000);
  assertStrictEquals(
    result!.error,
    `Cannot run on-change hook http POST "http://app:8080/reload": no response after 2000 ms`,
  );
  assertStrictEquals(clock.pending, 0);
});

Deno.test("runHooks() reports a refused connection as failed without throwing", async () => {
  const port = freePort();
  const [result] = await runHooks(
    [{ kind: "http", url: `http://127.0.0.1:${port}/x?secret=1`, method: "POST", timeoutMs: 5000 }],
    { secret: "app" },
  );
  assertStrictEquals(result!.status, "failed");
  if (result!.error!.includes("secret=1")) {
    throw new Error("the query string leaked into the error");
  }
});

Deno.test("runHooks() skips the remaining hooks once the signal aborts", async () => {
  const controller = new AbortController();
  const started: string[][] = [];
  const spawn: SpawnFn = (argv) => {
    started.push(argv);
    controller.abort();
    return Promise.resolve({ code: 0, signal: null, killed: false, stdout: "", stderr: "" });
  };
  const results = await runHooks(
    [command(["first"]), command(["second"])],
    { secret: "app", spawn, signal: controller.signal },
  );
  assertEquals(started, [["first"]]);
  assertEquals(results.map((r) => r.status), ["ok", "failed"]);
  assertMatch(results[1]!.error!, /command "second": aborted/);
});

Deno.test("runHooks() reports invalid hooks as failed instead of throwing", async () => {
  const results = await runHooks([
    command([]),
    command(["true"], 0),
    { kind: "http", url: "not a url", method: "POST", timeoutMs: 1000 },
  ], { secret: "app" });
  assertEquals(results.map((r) => r.status), ["failed", "failed", "failed"]);
  assertMatch(results[2]!.error!, /http POST "<invalid url>"/);
});
