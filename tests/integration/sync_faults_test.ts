/**
 * The sync engine under faults, end to end: Vault unreachable or failing (through the fault proxy)
 * keeps the files as they are; SIGKILL at any moment never leaves a torn file.
 */
import {
  assert,
  assertEquals,
  assertGreaterOrEqual,
  assertNoLeaks,
  pollUntil,
  sleep,
} from "./sync_support.ts";
import { type FaultMode, startFaultProxy } from "../support/fault_proxy.ts";
import { startOpenBao } from "../support/openbao.ts";
import { configYaml } from "../support/config_yaml.ts";
import { readIfExists, startSidecar } from "../support/sidecar.ts";
import { tmpDir } from "../support/tmp_dir.ts";

/** Exit code of `secrets-sync isready` for a status file. */
async function isready(statusFile: string): Promise<number> {
  const check = startSidecar({
    args: ["isready"],
    env: { ENABLE_METRICS: "false", STATUS_FILE: statusFile },
  });
  return (await check.status).code;
}

Deno.test("Vault down keeps the files byte-identical; a change arrives once Vault is back", async () => {
  await using bao = await startOpenBao();
  await using proxy = await startFaultProxy(bao.address);
  await using dir = await tmpDir();
  const first = `pw-${crypto.randomUUID()}`;
  const during = `pw-${crypto.randomUUID()}`;
  const after = `pw-${crypto.randomUUID()}`;
  await bao.writeKv2("secret", "app/db", { password: first });
  const configPath = dir.join("config.yaml");
  await Deno.writeTextFile(
    configPath,
    configYaml([
      { name: "db", key: "app/db", template: { pw: "{{ .password }}" }, files: [dir.join("pw")] },
    ], {
      store: { requestTimeout: "1s" },
      settings: {
        backoff: { initial: "200ms", max: "1s", multiplier: 2 },
        circuitBreaker: { maxFailures: 5, interval: "60s", timeout: "1s" },
      },
    }),
  );
  await using sidecar = startSidecar({
    args: ["run", "--config", configPath],
    env: { VAULT_ADDR: proxy.address, VAULT_TOKEN: bao.rootToken, STATUS_FILE: dir.join("status") },
  });
  const file = dir.join("pw");
  await sidecar.waitFor(async () => (await readIfExists(file)) === first, "the first sync");
  const bytes = await Deno.readFile(file);
  const stat = await Deno.stat(file);
  // The secret changes while the sidecar cannot reach Vault.
  await bao.writeKv2("secret", "app/db", { password: during });

  const faults: FaultMode[] = [
    { kind: "refuse" },
    { kind: "status", status: 500 },
    { kind: "status", status: 503, retryAfter: 1 },
    { kind: "drop" },
    { kind: "reset" },
  ];
  let exited = false;
  sidecar.status.then(() => exited = true);
  const failures = () =>
    sidecar.logs().filter((l) => String(l.message).startsWith("Cannot sync")).length;
  for (const mode of faults) {
    const requestsBefore = proxy.requests;
    const failuresBefore = failures();
    proxy.setMode(mode);
    // Two failed attempts under this fault (the schedule's backoff and the breaker's trials are
    // stepped on a FakeClock in tests/sync/ and tests/resilience/; here the real transport fails).
    await sidecar.waitFor(
      () =>
        failures() - failuresBefore >= 2 &&
        (mode.kind === "refuse" || proxy.requests - requestsBefore >= 1),
      `two failed syncs (and a request through the proxy) under ${JSON.stringify(mode)}`,
      6_000,
    );
    assertEquals(await Deno.readFile(file), bytes, `file changed under ${JSON.stringify(mode)}`);
    const now = await Deno.stat(file);
    assertEquals(now.mtime?.getTime(), stat.mtime?.getTime());
    assertEquals(now.ino, stat.ino);
    assertEquals(exited, false, `the sidecar exited under ${JSON.stringify(mode)}`);
    if (mode.kind !== "refuse") {
      // The sidecar kept trying (backoff, breaker trials) rather than giving up.
      assertGreaterOrEqual(proxy.requests - requestsBefore, 1, JSON.stringify(mode));
    }
  }
  assertGreaterOrEqual(failures(), 10);
  // Older than maxStaleness (3 × 1 s): not ready, though the file is still there.
  await sidecar.waitFor(
    async () => (await isready(dir.join("status"))) === 1,
    "isready to say not ready during the outage",
    5_000,
  );

  // Vault is back: the change made during the outage reaches the file, then a new one too.
  proxy.setMode({ kind: "pass" });
  const back = performance.now();
  await sidecar.waitFor(async () => (await readIfExists(file)) === during, "recovery", 10_000);
  const recoveryMs = performance.now() - back;
  // Bounded by the breaker's open time (1 s) + the longest backoff (1 s) + an interval.
  assert(recoveryMs < 4_500, `recovered after ${Math.round(recoveryMs)} ms`);
  await sidecar.waitFor(async () => (await isready(dir.join("status"))) === 0, "ready again");
  await bao.writeKv2("secret", "app/db", { password: after });
  await sidecar.waitFor(async () => (await readIfExists(file)) === after, "the next change", 5_000);
  assertEquals(exited, false);
  assertNoLeaks(sidecar, [first, during, after, bao.rootToken]);
});

/** Content of version `n`: a tag line, then 512 KiB derived from the tag (so a mix is detected). */
function bigValue(n: number): string {
  const tag = `version-${n}|`;
  return tag + tag.repeat(Math.ceil((512 * 1024) / tag.length)).slice(0, 512 * 1024);
}

/** The version a file's content is exactly, or undefined when it is none of them. */
function versionOf(content: string): number | undefined {
  const m = /^version-(\d+)\|/.exec(content);
  if (!m) return undefined;
  const n = Number(m[1]);
  return content === bigValue(n) ? n : undefined;
}

const TEMP = /^\..*\.secrets-sync\.[0-9a-z]{10}\.tmp$/;

/** Temp files of writes in progress (not the start-up check's probe, which writes nothing). */
async function temps(dir: string): Promise<string[]> {
  const out: string[] = [];
  for await (const entry of Deno.readDir(dir)) {
    if (TEMP.test(entry.name) && !entry.name.startsWith(".secrets-sync-check.")) {
      out.push(entry.name);
    }
  }
  return out;
}

Deno.test("SIGKILL at random moments during writes never leaves a torn or empty file", async () => {
  await using bao = await startOpenBao();
  await using dir = await tmpDir();
  const outDir = dir.join("out");
  await Deno.mkdir(outDir);
  const file = `${outDir}/big`;
  let latest = 0;
  await bao.writeKv2("secret", "app/big", { blob: bigValue(latest) });
  const configPath = dir.join("config.yaml");
  await Deno.writeTextFile(
    configPath,
    configYaml([
      { name: "big", key: "app/big", jitter: 0, template: { blob: "{{ .blob }}" }, files: [file] },
    ]),
  );

  // The secret changes continuously for the whole test.
  const stop = AbortSignal.timeout(60_000);
  let writing = true;
  const writer = (async () => {
    while (writing && !stop.aborted) {
      await bao.writeKv2("secret", "app/big", { blob: bigValue(latest + 1) });
      latest++;
      await sleep(20);
    }
  })();

  const kills = 15;
  const seen = new Set<number>();
  let midWrite = 0;
  let everWritten = false;
  try {
    for (let i = 0; i < kills; i++) {
      await using sidecar = startSidecar({
        args: ["run", "--config", configPath],
        env: {
          VAULT_ADDR: bao.address,
          VAULT_TOKEN: bao.rootToken,
          STATUS_FILE: dir.join("status"),
        },
      });
      // Temp files left by the previous kill (this start removes them).
      const leftover = new Set(await temps(outDir));
      const fresh = async () => (await temps(outDir)).filter((t) => !leftover.has(t)).length;
      if (i % 2 === 0) {
        // Aim: kill as soon as a new temp file shows up (a write in progress), within 2.5 s.
        await pollUntil(async () => (await fresh()) > 0, "a write in progress", {
          timeoutMs: 2_500,
          intervalMs: 1,
        }).catch(() => {}); // only aims the kill: a kill between writes is fine too
      } else {
        // Aim: kill at a random moment after this start wrote a newer version (bounded, so a
        // slow start on a busy machine still lands a kill), between or during refreshes.
        const before = versionOf((await readIfExists(file)) ?? "");
        await pollUntil(
          async () => versionOf((await readIfExists(file)) ?? "") !== before,
          "a newer version",
          { timeoutMs: 10_000, intervalMs: 5 },
        ).catch(() => {}); // only aims the kill
        await sleep(Math.random() * 1_000);
      }
      const tempsAtKill = await fresh();
      sidecar.kill("SIGKILL");
      await sidecar.status;
      if (tempsAtKill > 0) midWrite++;
      assertNoLeaks(sidecar, [bao.rootToken, "|version-"]);

      const content = await readIfExists(file);
      if (content === undefined) {
        assert(!everWritten, `after kill ${i + 1} the file is gone`);
        continue;
      }
      everWritten = true;
      const version = versionOf(content);
      assert(
        version !== undefined,
        `after kill ${i + 1} the file (${content.length} chars) is not exactly one version`,
      );
      assert(version <= latest, "a version that was never written");
      seen.add(version);
    }
  } finally {
    writing = false;
    await writer;
  }
  assert(everWritten, "the sidecar never wrote the file");
  // The kills landed at different points: several versions were observed, some mid-write.
  assertGreaterOrEqual(seen.size, 3, `versions seen after kills: ${[...seen].join(", ")}`);
  assertGreaterOrEqual(midWrite, 1, "no kill hit a write in progress");

  // A normal start removes the temp files the kills left behind and writes the latest version.
  await using sidecar = startSidecar({
    args: ["run", "--config", configPath],
    env: { VAULT_ADDR: bao.address, VAULT_TOKEN: bao.rootToken, STATUS_FILE: dir.join("status") },
  });
  await sidecar.waitFor(
    async () => versionOf((await readIfExists(file)) ?? "") === latest,
    "the latest version",
  );
  assertEquals(await temps(outDir), []);
  sidecar.kill("SIGTERM");
  assertEquals((await sidecar.status).code, 0);
  assertNoLeaks(sidecar, [bao.rootToken, "|version-"]);
});
