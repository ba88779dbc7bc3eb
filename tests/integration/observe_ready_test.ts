/**
 * Readiness end to end: the sidecar process (`deno run -P=sidecar`) against the real OpenBao, asked over
 * HTTP (`/ready`, `/readyz`) and through `isready` in both of its modes (HTTP and status file).
 */
import {
  assert,
  assertEquals,
  assertMatch,
  assertNotIncludes,
  assertStringIncludes,
} from "../support/assert.ts";
import { startFaultProxy } from "../support/fault_proxy.ts";
import { freePort } from "../support/free_port.ts";
import { configYaml, type ConfigYamlOptions } from "../support/config_yaml.ts";
import { startOpenBao } from "../support/openbao.ts";
import { pollUntil } from "../support/poll.ts";
import { readIfExists, type Sidecar, startSidecar } from "../support/sidecar.ts";
import { tmpDir } from "../support/tmp_dir.ts";

/** One secret, metrics from the environment (METRICS_PORT), quick backoff. */
function config(out: string, options: ConfigYamlOptions = {}): string {
  return configYaml([{
    name: "db",
    key: "app/db",
    mountPath: "secret",
    kvVersion: "v2",
    jitter: 0,
    maxStaleness: "2s",
    template: { "db.env": "DB_PASSWORD={{ .password }}" },
    files: [`${out}/db.env`],
  }], {
    store: { authMethod: "token", ...options.store },
    settings: {
      metrics: undefined,
      backoff: { initial: "200ms", max: "500ms", multiplier: 2 },
      ...options.settings,
    },
  });
}

interface ReadyAnswer {
  status: number;
  // deno-lint-ignore no-explicit-any
  body: any;
  text: string;
}

async function getReady(port: number, path = "/ready"): Promise<ReadyAnswer> {
  const res = await fetch(`http://127.0.0.1:${port}${path}`);
  const text = await res.text();
  return { status: res.status, body: JSON.parse(text), text };
}

/** Polls `/ready` until it answers `status`; returns that answer. */
async function waitForReady(
  sidecar: Sidecar,
  port: number,
  status: number,
  what: string,
  timeoutMs = 15_000,
): Promise<ReadyAnswer> {
  let last: ReadyAnswer | undefined;
  await sidecar.waitFor(
    async () => {
      try {
        last = await getReady(port);
        return last.status === status;
      } catch {
        return false; // not listening yet
      }
    },
    `${what} (last /ready: ${last?.status} ${last?.text})`,
    timeoutMs,
  );
  return last!;
}

/** Runs `secrets-sync isready` with `env`; returns its exit code, output and wall time. */
async function isready(
  env: Record<string, string>,
  permissions?: string[],
): Promise<{ code: number; output: string; ms: number }> {
  const started = performance.now();
  await using child = startSidecar({
    args: ["isready"],
    env,
    ...(permissions ? { permissions } : {}),
  });
  const { code } = await child.status;
  return { code, output: child.stdout() + child.stderr(), ms: performance.now() - started };
}

const SECRET_ENTRY_KEYS = ["ageSeconds", "lastErrorKind", "lastSuccess", "name", "status"];

function assertReadyShape(
  body: { ready: unknown; reason?: unknown; secrets: Array<Record<string, unknown>> },
) {
  assertEquals(typeof body.ready, "boolean");
  assertEquals(Object.keys(body).filter((k) => !["ready", "reason", "secrets"].includes(k)), []);
  assertEquals(body.secrets.length, 1);
  const entry = body.secrets[0]!;
  assertEquals(Object.keys(entry).sort(), SECRET_ENTRY_KEYS);
  assertEquals(entry.name, "db");
  assert(["pending", "ok", "stale", "failing"].includes(String(entry.status)));
  assert(entry.lastSuccess === null || typeof entry.lastSuccess === "string");
  if (typeof entry.lastSuccess === "string") {
    assertEquals(new Date(entry.lastSuccess).toISOString(), entry.lastSuccess);
  }
  assert(entry.ageSeconds === null || typeof entry.ageSeconds === "number");
  assert(entry.lastErrorKind === null || typeof entry.lastErrorKind === "string");
}

Deno.test("ready answers 503 before the first sync, 200 after it, and 503 once the secret is deleted and stale", async () => {
  await using bao = await startOpenBao();
  await using dir = await tmpDir();
  await Deno.mkdir(dir.join("out"));
  const configPath = dir.join("config.yaml");
  await Deno.writeTextFile(configPath, config(dir.join("out")));
  const port = freePort();
  // The secret does not exist yet: the first syncs fail with not_found.
  await using sidecar = startSidecar({
    args: ["run", "--config", configPath],
    env: {
      VAULT_ADDR: bao.address,
      VAULT_TOKEN: bao.rootToken,
      STATUS_FILE: dir.join("status"),
      METRICS_PORT: String(port),
    },
  });
  await sidecar.waitFor(
    () => sidecar.logs().some((l) => String(l.message).includes("Cannot sync")),
    "a failed first sync",
  );
  const before = await waitForReady(sidecar, port, 503, "503 before the first sync");
  assertReadyShape(before.body);
  assertEquals(before.body.ready, false);
  assertEquals(before.body.secrets[0].status, "pending");
  assertEquals(before.body.secrets[0].lastSuccess, null);
  assertEquals(before.body.secrets[0].ageSeconds, null);
  assertEquals(before.body.secrets[0].lastErrorKind, "not_found");
  assertStringIncludes(before.body.reason, "never synced");
  assertEquals((await getReady(port, "/readyz")).status, 503);

  const password = `pw-${crypto.randomUUID()}`;
  await bao.writeKv2("secret", "app/db", { password });
  const ready = await waitForReady(sidecar, port, 200, "200 after the first sync");
  assertReadyShape(ready.body);
  assertEquals(ready.body.ready, true);
  assertEquals(ready.body.reason, undefined);
  assertEquals(ready.body.secrets[0].status, "ok");
  assertEquals(ready.body.secrets[0].lastErrorKind, null);
  assert(ready.body.secrets[0].ageSeconds >= 0 && ready.body.secrets[0].ageSeconds <= 2);
  assertEquals((await getReady(port, "/readyz")).status, 200);
  assertEquals(await Deno.readTextFile(dir.join("out/db.env")), `DB_PASSWORD=${password}`);
  assertNotIncludes(ready.text, password);

  await bao.deleteKv2("secret", "app/db");
  const deletedAt = Date.now();
  const stale = await waitForReady(sidecar, port, 503, "503 after maxStaleness");
  // Not before maxStaleness (2 s) is exceeded: up to 1 s (refreshInterval) had already passed.
  assert(Date.now() - deletedAt >= 500, `stale too early: ${Date.now() - deletedAt} ms`);
  assertReadyShape(stale.body);
  assertEquals(stale.body.secrets[0].status, "stale");
  // A soft-deleted KV v2 version reads as "deleted".
  assertEquals(stale.body.secrets[0].lastErrorKind, "deleted");
  assert(stale.body.secrets[0].ageSeconds >= 2, stale.text); // rounded to 0.1 s
  assertEquals(typeof stale.body.secrets[0].lastSuccess, "string");
  assertStringIncludes(stale.body.reason, "stale");
  assertNotIncludes(stale.text, password);
  assertNotIncludes(stale.text, "app/db");
  // A failed sync never deletes the file (onMissing: keep).
  assertEquals(await Deno.readTextFile(dir.join("out/db.env")), `DB_PASSWORD=${password}`);

  const output = sidecar.stdout() + sidecar.stderr();
  assertNotIncludes(output, password);
  assertNotIncludes(output, bao.rootToken);
});

Deno.test("ready answers 503 and health 200 while Vault does not answer, and 200 once it does", async () => {
  await using bao = await startOpenBao();
  await using proxy = await startFaultProxy(bao.address);
  proxy.setMode({ kind: "drop" });
  await using dir = await tmpDir();
  await Deno.mkdir(dir.join("out"));
  await bao.writeKv2("secret", "app/db", { password: "dropped-password" });
  const configPath = dir.join("config.yaml");
  await Deno.writeTextFile(
    configPath,
    config(dir.join("out"), {
      store: { requestTimeout: "1s" },
      settings: { circuitBreaker: { timeout: "1s" } },
    }),
  );
  const port = freePort();
  await using sidecar = startSidecar({
    args: ["run", "--config", configPath],
    env: {
      VAULT_ADDR: proxy.address,
      VAULT_TOKEN: bao.rootToken,
      STATUS_FILE: dir.join("status"),
      METRICS_PORT: String(port),
    },
  });
  const hanging = await waitForReady(sidecar, port, 503, "503 while Vault hangs");
  assertReadyShape(hanging.body);
  assertEquals(hanging.body.secrets[0].status, "pending");
  await sidecar.waitFor(() => proxy.requests > 0, "a request to reach the proxy");
  // The loop is alive although every request hangs.
  const health = await fetch(`http://127.0.0.1:${port}/health`);
  assertEquals(health.status, 200, await health.text());
  await sidecar.waitFor(
    () => sidecar.logs().some((l) => String(l.message).includes("Cannot sync")),
    "the first sync to time out",
  );
  assertEquals((await getReady(port)).status, 503);

  proxy.setMode({ kind: "pass" });
  const ready = await waitForReady(sidecar, port, 200, "200 once Vault answers", 20_000);
  assertEquals(ready.body.secrets[0].status, "ok");
  assertEquals(await Deno.readTextFile(dir.join("out/db.env")), "DB_PASSWORD=dropped-password");
});

for (const mode of ["http", "status file"] as const) {
  Deno.test(`isready over ${mode} exits 0 when ready, 1 when not, and 1 after the sidecar is killed`, async () => {
    await using bao = await startOpenBao();
    await using dir = await tmpDir();
    await Deno.mkdir(dir.join("out"));
    const configPath = dir.join("config.yaml");
    await Deno.writeTextFile(configPath, config(dir.join("out")));
    const port = freePort();
    const statusFile = dir.join("status");
    const modeEnv: Record<string, string> = mode === "http"
      ? { METRICS_PORT: String(port), STATUS_FILE: statusFile }
      : { ENABLE_METRICS: "false", STATUS_FILE: statusFile };
    const timings: number[] = [];
    const check = async (expected: 0 | 1, what: string) => {
      const result = await isready(modeEnv);
      timings.push(result.ms);
      assertEquals(result.code, expected, `${what}: ${result.output}`);
      return result;
    };

    // No sidecar at all: not ready.
    const nothing = await check(1, "before the sidecar starts");
    assertMatch(nothing.output, /^not ready: /);

    await using sidecar = startSidecar({
      args: ["run", "--config", configPath],
      env: { VAULT_ADDR: bao.address, VAULT_TOKEN: bao.rootToken, ...modeEnv },
    });
    // Running, but the secret is missing: not ready.
    await sidecar.waitFor(
      () => sidecar.logs().some((l) => String(l.message).includes("Cannot sync")),
      "a failed first sync",
    );
    await sidecar.waitFor(async () => (await readIfExists(statusFile)) !== undefined, "status");
    await check(1, "while the first sync fails");

    await bao.writeKv2("secret", "app/db", { password: "isready-password" });
    await sidecar.waitFor(
      async () => (await readIfExists(dir.join("out/db.env"))) !== undefined,
      "the first sync",
    );
    // The status file follows readiness flips at once; HTTP asks the live state.
    await sidecar.waitFor(async () => (await isready(modeEnv)).code === 0, "isready to pass");
    const ok = await check(0, "after the first sync");
    assertMatch(ok.output, /^ready/);
    if (mode === "status file") {
      // Metrics are off: nothing listens on the port.
      await assertRefused(port);
    }

    sidecar.kill("SIGKILL");
    await sidecar.status;
    const killedAt = performance.now();
    if (mode === "http") {
      const dead = await check(1, "after SIGKILL");
      assertMatch(dead.output, /^not ready: /);
      await assertRefused(port);
    } else {
      // The status file survives SIGKILL and still says ready.
      const status = JSON.parse((await readIfExists(statusFile))!);
      assertEquals(status.ready, true);
      assertEquals(status.pid, sidecar.pid);
      // Where /proc can be read (only with --allow-all), the dead pid gives it away at once.
      const all = await isready(modeEnv, ["-A"]);
      assertEquals(all.code, 1, all.output);
      assertStringIncludes(all.output, `process ${sidecar.pid} is not running`);
      // Under -P=sidecar Deno refuses every /proc path ("Requires all access"), so the pid cannot
      // be checked and the heartbeat's age (limit 5 heartbeats = 10 s) is what turns it false.
      let dead = await isready(modeEnv);
      await pollUntil(
        async () => (dead = await isready(modeEnv)).code !== 0,
        "isready to say not ready after SIGKILL",
        { timeoutMs: Math.max(0, 15_000 - (performance.now() - killedAt)), intervalMs: 250 },
      );
      assertEquals(dead.code, 1, `after SIGKILL: ${dead.output}`);
      assertMatch(dead.output, /^not ready: (heartbeat is|process \d+ is not running)/);
      console.log(
        `isready (status file, -P=sidecar) said not ready ${
          ((performance.now() - killedAt) / 1000).toFixed(1)
        } s after SIGKILL: ${dead.output.trim()}`,
      );
    }
    timings.sort((a, b) => a - b);
    console.log(
      `isready (${mode}) wall time over ${timings.length} runs: min ${
        timings[0]!.toFixed(0)
      } ms, ` +
        `median ${timings[timings.length >> 1]!.toFixed(0)} ms, max ${
          timings.at(-1)!.toFixed(0)
        } ms`,
    );
  });
}

Deno.test("isready over the status file answers not ready when the heartbeat is stale, even if the pid lives", async () => {
  await using dir = await tmpDir();
  const statusFile = dir.join("status");
  // A live pid (this test process) with a heartbeat far older than the limit (5 heartbeats).
  await Deno.writeTextFile(
    statusFile,
    JSON.stringify({
      version: 1,
      ready: true,
      pid: Deno.pid,
      heartbeat: Date.now() - 60_000,
      secrets: { total: 1, pending: 0, ok: 1, stale: 0, failing: 0, expired: 0 },
    }),
  );
  const stale = await isready({ ENABLE_METRICS: "false", STATUS_FILE: statusFile });
  assertEquals(stale.code, 1, stale.output);
  assertMatch(stale.output, /^not ready: /);
  // The same file with a fresh heartbeat is ready: the heartbeat made the difference.
  const fresh = JSON.parse(await Deno.readTextFile(statusFile));
  fresh.heartbeat = Date.now();
  await Deno.writeTextFile(statusFile, JSON.stringify(fresh));
  const ok = await isready({ ENABLE_METRICS: "false", STATUS_FILE: statusFile });
  assertEquals(ok.code, 0, ok.output);
});

async function assertRefused(port: number): Promise<void> {
  try {
    const conn = await Deno.connect({ hostname: "127.0.0.1", port });
    conn.close();
  } catch (error) {
    assert(error instanceof Deno.errors.ConnectionRefused, String(error));
    return;
  }
  throw new Error(`port ${port} still accepts connections`);
}
