// OpenBao's `database` secrets engine against a real PostgreSQL: the lease facts the template
// `secret` function's renewal relies on (what creds/renew/revoke answer, what a cap looks like,
// what happens in PostgreSQL at revocation and at expiry), pinned so an upgrade that changes one
// fails here first. docs/testing.md "Database secrets" lists them.
import {
  assert,
  assertAlmostEquals,
  assertEquals,
  assertMatch,
  assertNotIncludes,
  assertRejects,
  assertStrictEquals,
} from "../support/assert.ts";
import { startOpenBao } from "../support/openbao.ts";
import {
  configureDatabaseEngine,
  type DatabaseCreds,
  readDatabaseCreds,
} from "../support/openbao_database.ts";
import {
  type Postgres,
  PostgresQueryError,
  requirePostgres,
  startPostgres,
} from "../support/postgres.ts";
import { pollUntil } from "../support/poll.ts";

const binaries = await requirePostgres({
  test: import.meta.url,
  skips: "the database secrets engine tests (they need a real PostgreSQL)",
});
const ignore = !binaries;
const start = () => startPostgres(binaries ? { binaries } : {});

/** The role's VALID UNTIL as Unix seconds; undefined when the role does not exist. */
async function validUntil(pg: Postgres, user: string): Promise<number | undefined> {
  const rows = await pg.query(
    `SELECT coalesce(extract(epoch FROM rolvaliduntil)::text, 'infinity') FROM pg_roles
     WHERE rolname = '${user.replaceAll("'", "''")}'`,
  );
  return rows[0] ? Number(rows[0][0]) : undefined;
}

const nowSeconds = () => Date.now() / 1000;

/** Logs in with `creds` and returns current_user. */
async function loginAs(pg: Postgres, creds: DatabaseCreds): Promise<string> {
  return (await pg.query("SELECT current_user", { as: creds }))[0]?.[0] ?? "";
}

Deno.test({
  name: "startPostgres() checks passwords over TCP and removes everything on stop",
  ignore,
  async fn() {
    const pg = await start();
    try {
      console.log(`PostgreSQL ${pg.binaries.version} started in ${pg.startMs.toFixed(0)} ms`);
      assertEquals(await pg.query("SELECT current_user, 2 + 2"), [[pg.superuser, "4"]]);
      const refused = await assertRejects(
        () => pg.query("SELECT 1", { as: { user: pg.superuser, password: "wrong" } }),
        PostgresQueryError,
      );
      assertMatch(refused.message, /password authentication failed for user "postgres"/);
      assertMatch(
        pg.connectionUrl,
        /^postgresql:\/\/\{\{username\}\}:\{\{password\}\}@127\.0\.0\.1:\d+\/postgres\?sslmode=disable$/,
      );
    } finally {
      await pg.stop();
    }
    await assertRejects(() => Deno.stat(pg.dir), Deno.errors.NotFound);
    assert(!(await processAlive(pg.pid)), `postgres (pid ${pg.pid}) still runs after stop()`);
  },
});

async function processAlive(pid: number): Promise<boolean> {
  try {
    const stat = await Deno.readTextFile(`/proc/${pid}/stat`);
    return !/^\d+ \(.*\) Z/.test(stat); // a zombie has exited
  } catch {
    return false;
  }
}

Deno.test({
  name: "database/creds issues a renewable lease whose credentials log in to the real PostgreSQL",
  ignore,
  async fn() {
    await using pg = await start();
    await using bao = await startOpenBao();
    const engine = await configureDatabaseEngine(bao, pg, { defaultTtl: 60, maxTtl: 120 });

    const issued: number[] = [];
    let creds: DatabaseCreds | undefined;
    for (let i = 0; i < 5; i++) {
      const t0 = performance.now();
      creds = await readDatabaseCreds(bao, engine);
      issued.push(performance.now() - t0);
    }
    issued.sort((a, b) => a - b);
    console.log(
      `creds issue latency: median ${issued[2]!.toFixed(0)} ms of 5 (${issued[0]!.toFixed(0)}–${
        issued[4]!.toFixed(0)
      })`,
    );
    assert(creds);
    const res = await bao.api("GET", engine.credsPath);
    assertStrictEquals(res.status, 200);
    assertMatch(res.body.lease_id, /^database\/creds\/app\/[A-Za-z0-9]{24}$/);
    assertStrictEquals(res.body.lease_duration, 60);
    assertStrictEquals(res.body.renewable, true);
    assertEquals(Object.keys(res.body.data).sort(), ["password", "username"]);
    // The plugin's default username template: v-<display name>-<role>-<20 random>-<unix time>.
    assertMatch(res.body.data.username, /^v-token-app-[A-Za-z0-9]{20}-\d{10}$/);
    assertStrictEquals(res.body.data.password.length, 20);

    assertStrictEquals(await loginAs(pg, creds), creds.username);
    // PostgreSQL stops accepting the password 5 s after the lease's expiry: OpenBao's buffer.
    assertAlmostEquals((await validUntil(pg, creds.username))! - nowSeconds(), 60 + 5, 3);
    const refused = await assertRejects(
      () => pg.query("SELECT 1", { as: { user: creds.username, password: "wrong" } }),
      PostgresQueryError,
    );
    assertMatch(refused.message, /password authentication failed/);
    assertNotIncludes(refused.message + pg.log() + bao.output(), creds.password);
  },
});

Deno.test({
  name: "renewing a database lease extends it, capped at max_ttl with OpenBao's warning",
  ignore,
  async fn() {
    await using pg = await start();
    await using bao = await startOpenBao();
    const engine = await configureDatabaseEngine(bao, pg, { defaultTtl: 60, maxTtl: 120 });
    const creds = await readDatabaseCreds(bao, engine);
    const renew = (increment?: number) =>
      bao.api("PUT", "sys/leases/renew", {
        body: { lease_id: creds.leaseId, ...(increment === undefined ? {} : { increment }) },
      });

    const within = await renew(90);
    assertStrictEquals(within.status, 200);
    assertStrictEquals(within.body.lease_id, creds.leaseId);
    assertStrictEquals(within.body.lease_duration, 90);
    assertStrictEquals(within.body.renewable, true);
    assertStrictEquals(within.body.warnings, null);
    assertStrictEquals(within.body.data, null);
    // Renewal moves VALID UNTIL too (the plugin's ALTER ROLE), again 5 s past the lease.
    assertAlmostEquals((await validUntil(pg, creds.username))! - nowSeconds(), 90 + 5, 3);

    const capped = await renew(3600);
    assertStrictEquals(capped.status, 200);
    const left = capped.body.lease_duration;
    assert(left > 110 && left <= 120, `capped lease_duration ${left}, want what is left of 120 s`);
    assertEquals(capped.body.warnings, [
      `TTL of "1h" exceeded the effective max_ttl of "${humanDuration(left)}"; ` +
      "TTL value is capped accordingly",
    ]);
    console.log(
      `renew past max_ttl: lease_duration ${left}, warnings ${
        JSON.stringify(capped.body.warnings)
      }`,
    );

    // No increment means default_ttl from now: the lease gets shorter than the capped one.
    const plain = await renew();
    assertStrictEquals(plain.status, 200);
    assertStrictEquals(plain.body.lease_duration, 60);
    assertStrictEquals(plain.body.warnings, null);
    assertStrictEquals(await loginAs(pg, creds), creds.username);
  },
});

/** OpenBao's humanDuration for whole seconds below an hour: "1m59s", "1m", "45s". */
function humanDuration(seconds: number): string {
  const m = Math.floor(seconds / 60);
  const s = seconds % 60;
  return `${m ? `${m}m` : ""}${s || !m ? `${s}s` : ""}`;
}

Deno.test({
  name: "revoking a database lease drops the role: its credentials stop working",
  ignore,
  async fn() {
    await using pg = await start();
    await using bao = await startOpenBao();
    const engine = await configureDatabaseEngine(bao, pg, { defaultTtl: 60, maxTtl: 120 });
    const creds = await readDatabaseCreds(bao, engine);
    assertStrictEquals(await loginAs(pg, creds), creds.username);

    const revoked = await bao.api("PUT", "sys/leases/revoke", {
      body: { lease_id: creds.leaseId },
    });
    assertStrictEquals(revoked.status, 204);
    assertStrictEquals(await validUntil(pg, creds.username), undefined);
    const refused = await assertRejects(() => loginAs(pg, creds), PostgresQueryError);
    assertMatch(refused.message, /password authentication failed for user "v-token-app-/);
    assertMatch(pg.log(), new RegExp(`DETAIL: +Role "${creds.username}" does not exist`));

    const renew = await bao.api("PUT", "sys/leases/renew", { body: { lease_id: creds.leaseId } });
    assertStrictEquals(renew.status, 400);
    assertEquals(renew.body.errors, ["lease not found"]);
  },
});

Deno.test({
  name: "at max_ttl OpenBao revokes the lease and drops the role, before VALID UNTIL passes",
  ignore,
  async fn() {
    await using pg = await start();
    await using bao = await startOpenBao();
    const engine = await configureDatabaseEngine(bao, pg, { defaultTtl: 2, maxTtl: 4 });
    const creds = await readDatabaseCreds(bao, engine);
    const capped = await bao.api("PUT", "sys/leases/renew", {
      body: { lease_id: creds.leaseId, increment: 3600 },
    });
    assertStrictEquals(capped.status, 200);
    assert(capped.body.lease_duration <= 4, `lease_duration ${capped.body.lease_duration}`);
    const lookup = await bao.api("PUT", "sys/leases/lookup", { body: { lease_id: creds.leaseId } });
    assertStrictEquals(lookup.status, 200);
    const expireTime = Date.parse(lookup.body.data.expire_time) / 1000;
    const until = (await validUntil(pg, creds.username))!;
    assertAlmostEquals(until - expireTime, 5, 1.5);

    await pollUntil(
      async () => (await validUntil(pg, creds.username)) === undefined,
      `OpenBao to drop role "${creds.username}" at the lease's expiry`,
      { timeoutMs: 15_000, intervalMs: 50 },
    );
    const gone = nowSeconds();
    console.log(
      `role dropped ${((gone - expireTime) * 1000).toFixed(0)} ms after the lease's expire_time, ` +
        `${((until - gone) * 1000).toFixed(0)} ms before its VALID UNTIL`,
    );
    assert(gone < until, "the role outlived its VALID UNTIL: revocation at expiry did not run");
    await assertRejects(() => loginAs(pg, creds), PostgresQueryError);
    assertMatch(pg.log(), new RegExp(`DETAIL: +Role "${creds.username}" does not exist`));
    const renew = await bao.api("PUT", "sys/leases/renew", { body: { lease_id: creds.leaseId } });
    assertStrictEquals(renew.status, 400);
    assertEquals(renew.body.errors, ["lease not found"]);
  },
});
