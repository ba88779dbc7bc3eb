/**
 * The sync engine's schedule, end to end: the real sidecar (`deno run -P=sidecar`) against the real
 * OpenBao, refreshes counted on the server side from a file audit device. Only what needs the real
 * server and process is here; the schedule itself (intervals, jitter, backoff, a change reaching the
 * file at the next refresh, unchanged content) is stepped on a FakeClock in tests/sync/.
 */
import {
  assertEquals,
  assertGreaterOrEqual,
  assertLessOrEqual,
  assertNoLeaks,
  auditReads,
  sleep,
} from "./sync_support.ts";
import { configYaml } from "../support/config_yaml.ts";
import { startOpenBao } from "../support/openbao.ts";
import { readIfExists, type Sidecar, startSidecar } from "../support/sidecar.ts";
import { tmpDir } from "../support/tmp_dir.ts";

function run(configPath: string, env: Record<string, string>): Sidecar {
  return startSidecar({ args: ["run", "--config", configPath], env });
}

Deno.test("the real sidecar reads each secret once per interval and writes a change at the next refresh", async () => {
  await using dir = await tmpDir();
  const audit = dir.join("audit.log");
  await using bao = await startOpenBao({ auditFile: audit });
  const seeded = [`fast-${crypto.randomUUID()}`, `slow-${crypto.randomUUID()}`];
  await bao.writeKv2("secret", "app/fast", { v: seeded[0] });
  await bao.writeKv2("secret", "app/slow", { v: seeded[1] });
  const configPath = dir.join("config.yaml");
  await Deno.writeTextFile(
    configPath,
    configYaml([
      {
        name: "fast",
        key: "app/fast",
        jitter: 0,
        template: { v: "{{ .v }}" },
        files: [dir.join("fast")],
      },
      {
        name: "slow",
        key: "app/slow",
        refreshInterval: "3s",
        jitter: 0,
        template: { v: "{{ .v }}" },
        files: [dir.join("slow")],
      },
    ]),
  );
  await using sidecar = run(configPath, {
    VAULT_ADDR: bao.address,
    VAULT_TOKEN: bao.rootToken,
    STATUS_FILE: dir.join("status"),
    LOG_LEVEL: "debug",
  });
  await sidecar.waitFor(
    async () =>
      (await readIfExists(dir.join("fast"))) === seeded[0] &&
      (await readIfExists(dir.join("slow"))) === seeded[1],
    "the first sync",
  );
  const started = performance.now();
  const slowBefore = await Deno.stat(dir.join("slow"));
  const startFast = await auditReads(audit, "secret/data/app/fast");
  const startSlow = await auditReads(audit, "secret/data/app/slow");
  assertEquals([startFast, startSlow], [1, 1], "one read each at start");

  // A change in OpenBao reaches the file at the next refresh: within the interval (+ slack).
  const next = `fast-next-${crypto.randomUUID()}`;
  seeded.push(next);
  await bao.writeKv2("secret", "app/fast", { v: next });
  const written = performance.now();
  await sidecar.waitFor(
    async () => (await readIfExists(dir.join("fast"))) === next,
    "the change to reach the file",
    1_000 + 500,
  );
  assertLessOrEqual(performance.now() - written, 1_500, "ms from the change to the file");

  // 3.6 s after the first sync: the 1 s secret refreshed ~3 times, the 3 s secret once.
  await sleep(3_600 - (performance.now() - started));
  const fastReads = (await auditReads(audit, "secret/data/app/fast")) - startFast;
  const slowReads = (await auditReads(audit, "secret/data/app/slow")) - startSlow;
  assertGreaterOrEqual(fastReads, 2, `fast refreshed ${fastReads} times`);
  assertLessOrEqual(fastReads, 4, `fast refreshed ${fastReads} times`);
  assertEquals(slowReads, 1, `slow refreshed ${slowReads} times`);
  // The slow secret did not change: its refresh left the file alone (no rename, same mtime).
  const slowAfter = await Deno.stat(dir.join("slow"));
  assertEquals(slowAfter.ino, slowBefore.ino, "same inode: no rename happened");
  assertEquals(slowAfter.mtime?.getTime(), slowBefore.mtime?.getTime(), "mtime kept");
  // Every refresh asked the server: none reused the previous refresh's read (shared-read window).
  const syncs = sidecar.logs().filter((l) => String(l.message).startsWith('Synced "fast"')).length;
  const reads = await auditReads(audit, "secret/data/app/fast");
  // (One more read when a refresh was in flight between the two counts.)
  assertGreaterOrEqual(reads, syncs, `${syncs} syncs, ${reads} server reads`);
  assertLessOrEqual(reads, syncs + 1, `${syncs} syncs, ${reads} server reads`);
  assertGreaterOrEqual(syncs, 3, `${syncs} syncs logged`);
  assertNoLeaks(sidecar, [...seeded, bao.rootToken]);
});

Deno.test("secrets reading the same path share one read at start", async () => {
  await using dir = await tmpDir();
  const audit = dir.join("audit.log");
  await using bao = await startOpenBao({ auditFile: audit });
  const password = `pw-${crypto.randomUUID()}`;
  await bao.writeKv2("secret", "app/shared", { password, user: "app" });
  const configPath = dir.join("config.yaml");
  await Deno.writeTextFile(
    configPath,
    configYaml(["a", "b", "c"].map((name) => ({
      name,
      key: "app/shared",
      refreshInterval: "30s",
      template: { out: `${name}={{ .password }}` },
      files: [dir.join(name)],
    }))),
  );
  const env = {
    VAULT_ADDR: bao.address,
    VAULT_TOKEN: bao.rootToken,
    STATUS_FILE: dir.join("status"),
  };

  // once: all three secrets sync concurrently from one read.
  const once = startSidecar({ args: ["once", "--config", configPath], env });
  assertEquals((await once.status).code, 0, once.stdout() + once.stderr());
  for (const name of ["a", "b", "c"]) {
    assertEquals(await Deno.readTextFile(dir.join(name)), `${name}=${password}`);
  }
  assertEquals(await auditReads(audit, "secret/data/app/shared"), 1, "once read the path once");
  assertNoLeaks(once, [password, bao.rootToken]);

  // run: the start-up pass shares one read too.
  for (const name of ["a", "b", "c"]) await Deno.remove(dir.join(name));
  await using sidecar = run(configPath, env);
  await sidecar.waitFor(async () => {
    for (const name of ["a", "b", "c"]) {
      if ((await readIfExists(dir.join(name))) === undefined) return false;
    }
    return true;
  }, "every file");
  await sleep(300);
  assertEquals(await auditReads(audit, "secret/data/app/shared"), 2, "run read the path once");
  assertNoLeaks(sidecar, [password, bao.rootToken]);
});
