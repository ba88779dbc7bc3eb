/**
 * DynamicSecrets' decisions with a fake clock and an in-memory lease client (a unit-test port;
 * the integration tests pki_test.ts and database_leases_test.ts use the real OpenBao).
 */
import { assert, assertEquals, assertRejects } from "../support/assert.ts";
import { FakeClock } from "../support/fake_clock.ts";
import {
  DynamicSecrets,
  type LeaseClient,
  type LeaseEvent,
  type VaultCall,
  vaultCallKey,
} from "../../src/sync/mod.ts";
import { VaultError } from "../../src/vault/mod.ts";

const DB: VaultCall = { fn: "secret", path: "database/creds/app", args: [] };

/** Issues `user-N` credentials with a `ttl` s lease capped at `maxTtl` s from issue. */
function databaseServer(clock: FakeClock, ttl: number, maxTtl: number) {
  let issued = 0;
  const leases = new Map<string, number>(); // lease id → max expiry
  const calls: string[] = [];
  const client: LeaseClient = {
    readPath(path) {
      calls.push(`read ${path}`);
      issued++;
      const id = `database/creds/app/lease-${issued}`;
      leases.set(id, clock.now() + maxTtl * 1000);
      return Promise.resolve({
        lease_id: id,
        lease_duration: ttl,
        renewable: true,
        data: { username: `user-${issued}`, password: `pw-${issued}` },
      });
    },
    writePath: () => Promise.reject(new Error("not a write")),
    renewLease(leaseId, increment) {
      calls.push(`renew ${increment}`);
      const max = leases.get(leaseId);
      if (max === undefined || max <= clock.now()) {
        return Promise.reject(new VaultError("lease not found", { kind: "bad_request" }));
      }
      const left = Math.floor((max - clock.now()) / 1000);
      return Promise.resolve({
        leaseId,
        leaseDurationSeconds: Math.min(increment, left),
        renewable: true,
      });
    },
    revokeLease(leaseId) {
      calls.push(`revoke ${leaseId}`);
      leases.delete(leaseId);
      return Promise.resolve();
    },
  };
  return { client, calls };
}

function setUp(ttl: number, maxTtl: number) {
  const clock = new FakeClock();
  const events: LeaseEvent[] = [];
  // random() = 0: renewals exactly at 2/3.
  const dynamic = new DynamicSecrets({ clock, random: () => 0, onEvent: (e) => events.push(e) });
  const server = databaseServer(clock, ttl, maxTtl);
  const resolve = async () => {
    const bodies = await dynamic.resolve(
      "db",
      [DB],
      server.client,
      {},
      (path) => server.client.readPath(path),
    );
    const body = bodies.get(vaultCallKey(DB.fn, DB.path, DB.args))!;
    return (body.data as { username: string }).username;
  };
  return { clock, dynamic, events, server, resolve };
}

Deno.test("DynamicSecrets reuses a lease until 2/3, renews it, and asks again when the cap is near", async () => {
  const { clock, dynamic, server, resolve, events } = setUp(6, 20);
  assertEquals(await resolve(), "user-1");
  assertEquals(dynamic.summary("db").dueAt! - clock.now(), 4_000);
  await clock.tick(3_999);
  assertEquals(await resolve(), "user-1");
  assertEquals(server.calls, ["read database/creds/app"], "nothing asked before 2/3");
  // Renewals at 4, 8, 12, 16 s; at 16 s only 4 s are left (capped): ask again at 16 + 2/3 × 4.
  for (const at of [4_000, 8_000, 12_000, 16_000]) {
    await clock.tick(at - (clock.now() - 1_700_000_000_000));
    assertEquals(await resolve(), "user-1");
  }
  assertEquals(server.calls.filter((c) => c === "renew 6").length, 4, "each renewal asks for 6 s");
  const due = dynamic.summary("db").dueAt! - 1_700_000_000_000;
  assert(Math.abs(due - (16_000 + 8_000 / 3)) < 2, `due at ${due}`);
  await clock.tick(due - 16_000);
  assertEquals(await resolve(), "user-2", "new credentials before the max TTL");
  assertEquals(
    events.filter((e) => e.type === "issued").map((e) => e.type === "issued" && e.reason),
    ["first", "lease_max_ttl"],
  );
  assert(JSON.stringify(events).indexOf("lease-") < 0, "events never carry a lease id");
});

Deno.test("DynamicSecrets asks again when a renewal is refused, and keeps the lease on a transient error", async () => {
  const { clock, dynamic, server, resolve } = setUp(6, 60);
  assertEquals(await resolve(), "user-1");
  await clock.tick(4_000);
  const renew = server.client.renewLease;
  server.client.renewLease = () =>
    Promise.reject(new VaultError("connection refused", { kind: "unavailable" }));
  await assertRejects(resolve, VaultError);
  assertEquals(dynamic.summary("db").count, 1, "a transient failure keeps what is held");
  server.client.renewLease = () =>
    Promise.reject(new VaultError("lease not found", { kind: "bad_request" }));
  assertEquals(await resolve(), "user-2", "a refused renewal gets new credentials");
  server.client.renewLease = renew;
  // A lease that ran out (the server was down past its end) is not renewed: new credentials.
  await clock.tick(10_000);
  assertEquals(await resolve(), "user-3");
});

Deno.test("DynamicSecrets.revoke() revokes every held lease once and forgets them", async () => {
  const { dynamic, server, resolve, events } = setUp(60, 600);
  await resolve();
  await dynamic.revoke("db", server.client);
  assertEquals(server.calls.filter((c) => c.startsWith("revoke")), [
    "revoke database/creds/app/lease-1",
  ]);
  assertEquals(dynamic.summary("db"), { count: 0 });
  await dynamic.revoke("db", server.client);
  assertEquals(server.calls.filter((c) => c.startsWith("revoke")).length, 1);
  assertEquals(events.at(-1), { type: "revoked", secret: "db", count: 1, failed: 0 });
});

Deno.test("DynamicSecrets does not hold plain reads: they are read at every sync", async () => {
  const clock = new FakeClock();
  const dynamic = new DynamicSecrets({ clock });
  let reads = 0;
  const read = () => {
    reads++;
    return Promise.resolve({ lease_id: "", lease_duration: 0, data: { a: `v${reads}` } });
  };
  const call: VaultCall = { fn: "secret", path: "secret/data/app", args: [] };
  const client = {} as LeaseClient;
  await dynamic.resolve("app", [call], client, {}, read);
  await dynamic.resolve("app", [call], client, {}, read);
  assertEquals(reads, 2);
  assertEquals(dynamic.summary("app"), { count: 0 });
});

Deno.test("DynamicSecrets never lets two secrets hold one lease, even from a shared read", async () => {
  const clock = new FakeClock();
  const dynamic = new DynamicSecrets({ clock });
  const server = databaseServer(clock, 60, 600);
  let shared: Promise<Record<string, unknown>> | undefined;
  const sharedRead = (path: string) => shared ??= server.client.readPath(path);
  const user = async (secret: string) => {
    const bodies = await dynamic.resolve(secret, [DB], server.client, {}, sharedRead);
    return (bodies.get(vaultCallKey(DB.fn, DB.path, DB.args))!.data as { username: string })
      .username;
  };
  assertEquals(await user("a"), "user-1");
  assertEquals(await user("b"), "user-2", "b reads its own credentials");
  await dynamic.revoke("a", server.client);
  assertEquals(server.calls.filter((c) => c.startsWith("revoke")), [
    "revoke database/creds/app/lease-1",
  ]);
});
