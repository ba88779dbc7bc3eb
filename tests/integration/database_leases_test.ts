/**
 * Dynamic database credentials through the real sidecar process: OpenBao's `database` engine over
 * a real PostgreSQL. The credentials in the file work; their lease is renewed at ~2/3 while it can
 * be; before the max TTL ends new credentials are written (file and hook consistent, hook once
 * per new credentials); `revokeOnStop` revokes them on a clean stop; `once` writes working ones.
 */
import { assert, assertEquals, assertNoLeaks, auditRequests } from "./sync_support.ts";
import { configYaml } from "../support/config_yaml.ts";
import { freePort, startOpenBao } from "../support/openbao.ts";
import { configureDatabaseEngine } from "../support/openbao_database.ts";
import { type Postgres, requirePostgres, startPostgres } from "../support/postgres.ts";
import { pollUntil } from "../support/poll.ts";
import { readIfExists, startSidecar } from "../support/sidecar.ts";
import { type TmpDir, tmpDir } from "../support/tmp_dir.ts";

const binaries = await requirePostgres({
  test: import.meta.url,
  skips: "the dynamic database credentials tests (they need a real PostgreSQL)",
});
const ignore = !binaries;

const TEMPLATE = '{{ with secret "database/creds/app" }}user={{ .Data.username }}\n' +
  "password={{ .Data.password }}\n{{ end }}";

function parseEnv(text: string): { user: string; password: string } {
  const get = (k: string) => text.match(new RegExp(`^${k}=(.*)$`, "m"))?.[1] ?? "";
  return { user: get("user"), password: get("password") };
}

async function canLogIn(pg: Postgres, creds: { user: string; password: string }) {
  try {
    await pg.query("SELECT 1", { as: creds });
    return true;
  } catch {
    return false;
  }
}

/** A hook that copies the env file to `snap-<n>` with the time it ran (epoch ms) beside it. */
async function snapshotHook(dir: string, file: string): Promise<string> {
  const script = `${dir}/snapshot.sh`;
  await Deno.writeTextFile(
    script,
    `#!/bin/sh\nn=$(ls "${dir}"/snap-*.env 2>/dev/null | wc -l)\ncp "${file}" "${dir}/snap-$n.env"\ndate +%s%3N > "${dir}/snap-$n.at"\n`,
  );
  await Deno.chmod(script, 0o755);
  return script;
}

/**
 * The sidecar in `run` on one secret `db` rendering the credentials into `db.env`, with the
 * snapshot hook; `extra` adds fields to the secret, `env` to the process.
 */
async function startDbSidecar(
  dir: TmpDir,
  bao: { address: string; rootToken: string },
  options: { extra?: Record<string, unknown>; env?: Record<string, string>; metrics?: boolean },
) {
  const out = dir.join("db.env");
  const hook = await snapshotHook(dir.path, out);
  const config = dir.join("config.yaml");
  await Deno.writeTextFile(
    config,
    configYaml([{
      name: "db",
      refreshInterval: "1m",
      ...options.extra,
      template: { env: TEMPLATE },
      files: [out],
      onChange: [{ command: [hook] }],
    }], {
      settings: {
        ...(options.metrics ? { metrics: undefined } : {}),
        statusFile: dir.join("status"),
      },
    }),
  );
  const sidecar = startSidecar({
    args: ["run", "--config", config],
    env: { VAULT_ADDR: bao.address, VAULT_TOKEN: bao.rootToken, ...options.env },
    permissions: ["-P=sidecar", `--allow-write=${dir.path}`, `--allow-run=${hook}`],
  });
  return { out, sidecar };
}

Deno.test({
  name:
    "database credentials: renewed at ~2/3, replaced before max TTL, hook once each, revoked on stop",
  ignore,
  async fn() {
    await using dir = await tmpDir();
    const audit = dir.join("audit.log");
    await using bao = await startOpenBao({ auditFile: audit });
    await using pg = await startPostgres(binaries ? { binaries } : {});
    await configureDatabaseEngine(bao, pg, { defaultTtl: "6s", maxTtl: "20s" });
    const { out, sidecar } = await startDbSidecar(dir, bao, { extra: { revokeOnStop: true } });
    try {
      await sidecar.waitFor(
        async () => (await readIfExists(dir.join("snap-1.at"))) !== undefined,
        "new credentials before the max TTL",
        30_000,
      );
      await pollUntil(
        async () => (await readIfExists(dir.join("snap-1.env"))) !== undefined,
        "copy",
      );
      const first = parseEnv(await Deno.readTextFile(dir.join("snap-0.env")));
      const second = parseEnv(await Deno.readTextFile(dir.join("snap-1.env")));
      const firstAt = Number(await Deno.readTextFile(dir.join("snap-0.at")));
      const secondAt = Number(await Deno.readTextFile(dir.join("snap-1.at")));
      assert(first.user !== second.user, "new credentials are a new database user");
      assert(await canLogIn(pg, second), "the new credentials work");
      const replacedAfter = secondAt - firstAt;
      assert(replacedAfter < 20_000, `replaced before the 20 s max TTL (${replacedAfter} ms)`);
      assert(replacedAfter > 15_000, `the lease was renewed up to its cap (${replacedAfter} ms)`);
      const requests = await auditRequests(audit);
      const renewals = requests.filter((e) => e.request?.path === "sys/leases/renew");
      const issuedAt = Date.parse(
        requests.find((e) => e.request?.path === "database/creds/app")?.time ?? "",
      );
      const renewedAfter = renewals.map((e) => ((Date.parse(e.time ?? "") - issuedAt) / 1000));
      assert(renewals.length >= 3, `renewed while it could be (${renewals.length} renewals)`);
      const current = parseEnv(await Deno.readTextFile(out));
      assertEquals(current, second, "file and hook saw the same credentials");
      assertNoLeaks(sidecar, [first.password, second.password]);
      console.log(
        `credentials replaced ${replacedAfter} ms after the first (max TTL 20 s, TTL 6 s), ` +
          `renewals at ${renewedAfter.map((t) => t.toFixed(2)).join(", ")} s after issue`,
      );
      sidecar.kill("SIGTERM");
      assertEquals((await sidecar.status).code, 0);
      assert(!(await canLogIn(pg, second)), "revokeOnStop: the credentials stop working");
      const revokes = (await auditRequests(audit)).filter((e) =>
        e.request?.path === "sys/leases/revoke"
      );
      assertEquals(revokes.length, 1);
    } finally {
      await sidecar[Symbol.asyncDispose]();
    }
  },
});

Deno.test({
  name: "database credentials: once writes working credentials and leaves the lease alone",
  ignore,
  async fn() {
    await using dir = await tmpDir();
    await using bao = await startOpenBao();
    await using pg = await startPostgres(binaries ? { binaries } : {});
    await configureDatabaseEngine(bao, pg, { defaultTtl: "1m", maxTtl: "5m" });
    const out = dir.join("db.env");
    const config = dir.join("config.yaml");
    await Deno.writeTextFile(
      config,
      configYaml([{ name: "db", revokeOnStop: true, template: { env: TEMPLATE }, files: [out] }], {
        settings: { statusFile: dir.join("status") },
      }),
    );
    await using once = startSidecar({
      args: ["once", "--config", config],
      env: { VAULT_ADDR: bao.address, VAULT_TOKEN: bao.rootToken },
      permissions: ["-P=sidecar", `--allow-write=${dir.path}`],
    });
    assertEquals((await once.status).code, 0, once.stderr());
    const creds = parseEnv(await Deno.readTextFile(out));
    assert(await canLogIn(pg, creds), "the credentials work after once exits");
    assertNoLeaks(once, [creds.password]);
  },
});

Deno.test({
  name:
    "database credentials: a lease revoked behind the sidecar's back is replaced at its next renewal; metrics show it",
  ignore,
  async fn() {
    await using dir = await tmpDir();
    await using bao = await startOpenBao();
    await using pg = await startPostgres(binaries ? { binaries } : {});
    await configureDatabaseEngine(bao, pg, { defaultTtl: "6s", maxTtl: "5m" });
    const port = freePort();
    const started = await startDbSidecar(dir, bao, {
      metrics: true,
      env: { METRICS_PORT: String(port) },
    });
    const out = started.out;
    await using sidecar = started.sidecar;
    await sidecar.waitFor(
      async () => (await readIfExists(dir.join("snap-0.at"))) !== undefined,
      "the first credentials",
    );
    const first = parseEnv(await Deno.readTextFile(out));
    assert(await canLogIn(pg, first));
    const revokedAt = Date.now();
    const revoke = await bao.api("PUT", "sys/leases/revoke-prefix/database/creds/app");
    assertEquals(revoke.status, 204);
    assert(!(await canLogIn(pg, first)), "revoked credentials stop working at once");
    await sidecar.waitFor(
      async () => (await readIfExists(dir.join("snap-1.at"))) !== undefined,
      "new credentials after the revocation",
      15_000,
    );
    const replacedIn = Number(await Deno.readTextFile(dir.join("snap-1.at"))) - revokedAt;
    const second = parseEnv(await Deno.readTextFile(out));
    assert(second.user !== first.user);
    assert(await canLogIn(pg, second), "the replacement works");
    const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    assert(/lease_events_total\{secret="db",event="renew_failed"\} 1/.test(metrics), metrics);
    assert(/lease_events_total\{secret="db",event="issued"\} 2/.test(metrics), metrics);
    const expiry = Number(
      metrics.match(/lease_expiry_timestamp_seconds\{secret="db"\} (\S+)/)?.[1],
    );
    assert(expiry * 1000 > Date.now() && expiry * 1000 < Date.now() + 7_000, `expiry ${expiry}`);
    assert(!metrics.includes(second.password) && !metrics.includes("database/creds/app/"));
    const status = JSON.parse(await Deno.readTextFile(dir.join("status")));
    assertEquals(status.ready, true);
    assertNoLeaks(sidecar, [first.password, second.password]);
    console.log(`revoked credentials replaced ${replacedIn} ms after the revocation (TTL 6 s)`);
  },
});
