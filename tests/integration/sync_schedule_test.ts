/**
 * The sync engine's schedule, end to end: the real sidecar (`deno run -P=sidecar`) against the real OpenBao.
 * Refreshes are counted on the server side, from a file audit device.
 */
import {
  assert,
  assertEquals,
  assertGreaterOrEqual,
  assertLessOrEqual,
  assertNoLeaks,
  auditReads,
  sleep,
  storeYaml,
} from "./sync_support.ts";
import { startOpenBao } from "../support/openbao.ts";
import { readIfExists, type Sidecar, startSidecar } from "../support/sidecar.ts";
import { tmpDir } from "../support/tmp_dir.ts";

const STORE = storeYaml();

function run(configPath: string, env: Record<string, string>): Sidecar {
  return startSidecar({ args: ["run", "--config", configPath], env });
}

Deno.test("secrets with different intervals are each refreshed at their own pace", async () => {
  await using dir = await tmpDir();
  const audit = dir.join("audit.log");
  await using bao = await startOpenBao({ auditFile: audit });
  const seeded: string[] = [];
  const value = (tag: string, i: number) => {
    const v = `${tag}-${i}-${crypto.randomUUID()}`;
    seeded.push(v);
    return v;
  };
  await bao.writeKv2("secret", "app/fast", { v: value("fast", 0) });
  await bao.writeKv2("secret", "app/slow", { v: value("slow", 0) });
  const configPath = dir.join("config.yaml");
  await Deno.writeTextFile(
    configPath,
    STORE + `
  - name: fast
    key: app/fast
    refreshInterval: 1s
    jitter: 0
    template: { data: { v: "{{ .v }}" } }
    files: [{ path: ${dir.join("fast")} }]
  - name: slow
    key: app/slow
    refreshInterval: 3s
    jitter: 0
    template: { data: { v: "{{ .v }}" } }
    files: [{ path: ${dir.join("slow")} }]
`,
  );
  await using sidecar = run(configPath, {
    VAULT_ADDR: bao.address,
    VAULT_TOKEN: bao.rootToken,
    STATUS_FILE: dir.join("status"),
  });
  await sidecar.waitFor(
    async () =>
      (await readIfExists(dir.join("fast"))) !== undefined &&
      (await readIfExists(dir.join("slow"))) !== undefined,
    "the first sync",
  );
  const startFast = await auditReads(audit, "secret/data/app/fast");
  const startSlow = await auditReads(audit, "secret/data/app/slow");
  assertEquals([startFast, startSlow], [1, 1], "one read each at start");

  // Both secrets change every 150 ms; each file only sees the values its refreshes catch.
  const seen = { fast: new Set<string>(), slow: new Set<string>() };
  const windowMs = 6_500;
  const end = Date.now() + windowMs;
  let i = 1;
  const writer = (async () => {
    while (Date.now() < end) {
      await bao.writeKv2("secret", "app/fast", { v: value("fast", i) });
      await bao.writeKv2("secret", "app/slow", { v: value("slow", i) });
      i++;
      await sleep(150);
    }
  })();
  while (Date.now() < end) {
    for (const name of ["fast", "slow"] as const) {
      const text = await readIfExists(dir.join(name));
      if (text !== undefined) seen[name].add(text);
    }
    await sleep(20);
  }
  await writer;
  const fastReads = (await auditReads(audit, "secret/data/app/fast")) - startFast;
  const slowReads = (await auditReads(audit, "secret/data/app/slow")) - startSlow;
  // 6.5 s at 1 s: 6 refreshes; at 3 s: 2 (each period is the interval plus one sync's duration).
  assertGreaterOrEqual(fastReads, 5, `fast refreshed ${fastReads} times`);
  assertLessOrEqual(fastReads, 7, `fast refreshed ${fastReads} times`);
  assertEquals(slowReads, 2, `slow refreshed ${slowReads} times`);
  // Every refresh caught a new value: the files changed at their secret's pace.
  assertGreaterOrEqual(seen.fast.size, 6, `fast file took ${seen.fast.size} values`);
  assertLessOrEqual(seen.slow.size, 3, `slow file took ${seen.slow.size} values`);
  assertGreaterOrEqual(seen.slow.size, 2, `slow file took ${seen.slow.size} values`);
  assert(sidecar.logs().length > 0);
  assertNoLeaks(sidecar, [...seeded, bao.rootToken]);
});

Deno.test("a change in Vault reaches the file within interval + jitter", async () => {
  await using dir = await tmpDir();
  const audit = dir.join("audit.log");
  await using bao = await startOpenBao({ auditFile: audit });
  const seeded = [`start-${crypto.randomUUID()}`];
  await bao.writeKv2("secret", "app/db", { password: seeded[0] });
  const configPath = dir.join("config.yaml");
  const intervalMs = 1_000;
  const jitter = 0.2;
  await Deno.writeTextFile(
    configPath,
    STORE + `
  - name: db
    key: app/db
    refreshInterval: 1s
    jitter: ${jitter}
    template: { data: { pw: "{{ .password }}" } }
    files: [{ path: ${dir.join("pw")} }]
`,
  );
  await using sidecar = run(configPath, {
    VAULT_ADDR: bao.address,
    VAULT_TOKEN: bao.rootToken,
    STATUS_FILE: dir.join("status"),
    LOG_LEVEL: "debug",
  });
  await sidecar.waitFor(async () => (await readIfExists(dir.join("pw"))) === seeded[0], "sync");
  const bound = intervalMs * (1 + jitter) + 500;
  const latencies: number[] = [];
  for (let n = 0; n < 6; n++) {
    await sleep(Math.random() * intervalMs);
    const next = `change-${n}-${crypto.randomUUID()}`;
    seeded.push(next);
    await bao.writeKv2("secret", "app/db", { password: next });
    const written = performance.now();
    while ((await readIfExists(dir.join("pw"))) !== next) {
      if (performance.now() - written > bound + 2_000) break;
      await sleep(5);
    }
    latencies.push(performance.now() - written);
  }
  for (const ms of latencies) {
    assertLessOrEqual(ms, bound, `latencies ${latencies.map(Math.round).join(", ")} ms`);
  }
  // Every refresh asked the server: none reused the previous refresh's read (shared-read window).
  const syncs = sidecar.logs().filter((l) => String(l.message).startsWith('Synced "db"')).length;
  const reads = await auditReads(audit, "secret/data/app/db");
  assertGreaterOrEqual(syncs, 6);
  // (One more read when a refresh was in flight between the two counts.)
  assertGreaterOrEqual(reads, syncs, `${syncs} syncs, ${reads} server reads`);
  assertLessOrEqual(reads, syncs + 1, `${syncs} syncs, ${reads} server reads`);
  assertNoLeaks(sidecar, [...seeded, bao.rootToken]);
});

Deno.test("unchanged content is not rewritten and does not run the hook", async () => {
  await using dir = await tmpDir();
  const audit = dir.join("audit.log");
  await using bao = await startOpenBao({ auditFile: audit });
  let hookCalls = 0;
  const hookServer = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, () => {
    hookCalls++;
    return new Response("ok");
  });
  try {
    const password = `pw-${crypto.randomUUID()}`;
    const unused = [`u1-${crypto.randomUUID()}`, `u2-${crypto.randomUUID()}`];
    await bao.writeKv2("secret", "app/db", { password, unused: unused[0] });
    const configPath = dir.join("config.yaml");
    await Deno.writeTextFile(
      configPath,
      STORE + `
  - name: db
    key: app/db
    refreshInterval: 1s
    jitter: 0
    template: { data: { pw: "{{ .password }}" } }
    files: [{ path: ${dir.join("pw")} }]
    onChange:
      - http: { url: "http://127.0.0.1:${hookServer.addr.port}/reload" }
`,
    );
    await using sidecar = run(configPath, {
      VAULT_ADDR: bao.address,
      VAULT_TOKEN: bao.rootToken,
      STATUS_FILE: dir.join("status"),
    });
    const file = dir.join("pw");
    await sidecar.waitFor(() => hookCalls === 1, "the first write and its hook");
    assertEquals(await Deno.readTextFile(file), password);
    const before = await Deno.stat(file);
    const readsBefore = await auditReads(audit, "secret/data/app/db");

    // Same secret for 3 refreshes, then a new version whose rendered content is the same.
    await sleep(2_200);
    await bao.writeKv2("secret", "app/db", { password, unused: unused[1] });
    await sleep(2_200);
    const reads = (await auditReads(audit, "secret/data/app/db")) - readsBefore;
    assertGreaterOrEqual(reads, 4, `refreshed ${reads} times`);
    const after = await Deno.stat(file);
    assertEquals(after.mtime?.getTime(), before.mtime?.getTime(), "mtime kept");
    assertEquals(after.ino, before.ino, "same inode: no rename happened");
    assertEquals(hookCalls, 1, "hook not run for unchanged content");

    // A real change is written and runs the hook once.
    const next = `pw2-${crypto.randomUUID()}`;
    await bao.writeKv2("secret", "app/db", { password: next, unused: unused[1] });
    await sidecar.waitFor(() => hookCalls === 2, "the hook after a change", 5_000);
    assertEquals(await Deno.readTextFile(file), next);
    await sleep(1_500);
    assertEquals(hookCalls, 2);
    assertNoLeaks(sidecar, [password, next, ...unused, bao.rootToken]);
  } finally {
    await hookServer.shutdown();
  }
});

Deno.test("secrets reading the same path share one read at start", async () => {
  await using dir = await tmpDir();
  const audit = dir.join("audit.log");
  await using bao = await startOpenBao({ auditFile: audit });
  const password = `pw-${crypto.randomUUID()}`;
  await bao.writeKv2("secret", "app/shared", { password, user: "app" });
  const configPath = dir.join("config.yaml");
  const secrets = ["a", "b", "c"].map((name) => `
  - name: ${name}
    key: app/shared
    refreshInterval: 30s
    template: { data: { out: "${name}={{ .password }}" } }
    files: [{ path: ${dir.join(name)} }]
`).join("");
  await Deno.writeTextFile(configPath, STORE + secrets);
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
