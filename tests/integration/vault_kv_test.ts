import { assert, assertEquals, assertRejects } from "../support/assert.ts";
import { startOpenBao } from "../support/openbao.ts";
import { VaultError, type VaultErrorKind } from "../../src/vault/mod.ts";
import { ready, startClient, testStore } from "../vault/_integration.ts";
import { assertNoneLogged, captureLogs } from "../vault/_log_capture.ts";

async function kindOf(p: Promise<unknown>): Promise<VaultErrorKind> {
  const err = await assertRejects(() => p, VaultError);
  return (err as VaultError).kind;
}

Deno.test("VaultClient reads KV secrets from OpenBao", async (t) => {
  await using logs = await captureLogs();
  await using bao = await startOpenBao();
  await bao.enableKv("kv1", 1);
  const values = [
    "v2-secret-value-one",
    "v2-secret-value-two",
    "kv1-secret-value",
    "ns-secret-value",
  ];
  await bao.writeKv2("secret", "app/db", { password: values[0] });
  await bao.writeKv2("secret", "app/db", { password: values[1], user: "app" });
  await bao.writeKv1("kv1", "legacy", { token: values[2] });
  using c = startClient(testStore(bao.address), { method: "token", token: bao.rootToken });
  await ready(c.client);

  await t.step("reads the latest KV v2 version with its metadata", async () => {
    const s = await c.client.readSecret({ mountPath: "secret", key: "app/db", kvVersion: 2 });
    assertEquals(s.data, { password: values[1], user: "app" });
    assertEquals(s.version, 2);
    assert(typeof s.metadata?.created_time === "string");
  });

  await t.step("reads a pinned KV v2 version", async () => {
    const s = await c.client.readSecret({
      mountPath: "secret",
      key: "app/db",
      kvVersion: 2,
      version: 1,
    });
    assertEquals([s.data, s.version], [{ password: values[0] }, 1]);
  });

  await t.step("reads KV v1", async () => {
    const s = await c.client.readSecret({ mountPath: "kv1", key: "legacy", kvVersion: 1 });
    assertEquals(s, { data: { token: values[2] } });
  });

  await t.step("detects the KV version of v1 and v2 mounts", async () => {
    const v2 = await c.client.readSecret({ mountPath: "secret", key: "app/db", kvVersion: "auto" });
    assertEquals(v2.version, 2);
    const v1 = await c.client.readSecret({ mountPath: "kv1", key: "legacy", kvVersion: "auto" });
    assertEquals(v1.data, { token: values[2] });
  });

  await t.step("reports a missing path as not_found", async () => {
    assertEquals(
      await kindOf(c.client.readSecret({ mountPath: "secret", key: "nope", kvVersion: 2 })),
      "not_found",
    );
    assertEquals(
      await kindOf(c.client.readSecret({ mountPath: "kv1", key: "nope", kvVersion: 1 })),
      "not_found",
    );
  });

  await t.step("reports a soft-deleted version as deleted, never as empty data", async () => {
    await bao.writeKv2("secret", "gone", { a: "deleted-value" });
    await bao.deleteKv2("secret", "gone");
    assertEquals(
      await kindOf(c.client.readSecret({ mountPath: "secret", key: "gone", kvVersion: 2 })),
      "deleted",
    );
  });

  await t.step("reports a destroyed version as destroyed", async () => {
    await bao.writeKv2("secret", "burnt", { a: "destroyed-value" });
    await bao.destroyKv2("secret", "burnt", [1]);
    assertEquals(
      await kindOf(c.client.readSecret({ mountPath: "secret", key: "burnt", kvVersion: 2 })),
      "destroyed",
    );
  });

  await t.step("reads a secret whose deletion time lies in the future", async () => {
    await bao.api("POST", "secret/metadata/later", { body: { delete_version_after: "1h" } });
    await bao.writeKv2("secret", "later", { a: "still-here" });
    const s = await c.client.readSecret({ mountPath: "secret", key: "later", kvVersion: 2 });
    assertEquals(s.data, { a: "still-here" });
  });

  await t.step("reads from a namespace, per secret or as the store default", async () => {
    await bao.createNamespace("team");
    await bao.api("POST", "sys/mounts/secret", {
      namespace: "team",
      body: { type: "kv", options: { version: "2" } },
    });
    const res = await bao.api("POST", "secret/data/app/db", {
      namespace: "team",
      body: { data: { password: values[3] } },
    });
    assertEquals(res.status, 200);
    const perSecret = await c.client.readSecret({
      mountPath: "secret",
      key: "app/db",
      kvVersion: "auto",
      namespace: "team",
    });
    assertEquals(perSecret.data, { password: values[3] });
    using nsClient = startClient(testStore(bao.address, { namespace: "team" }), {
      method: "token",
      token: bao.rootToken,
    });
    await ready(nsClient.client);
    const inherited = await nsClient.client.readSecret({
      mountPath: "secret",
      key: "app/db",
      kvVersion: 2,
    });
    assertEquals(inherited.data, { password: values[3] });
    const root = await nsClient.client.readSecret({
      mountPath: "secret",
      key: "app/db",
      kvVersion: 2,
      namespace: "",
    });
    assertEquals(root.data.password, values[1]);
  });

  await t.step("readPath() returns the raw response body", async () => {
    const body = await c.client.readPath("secret/data/app/db");
    const data = body.data as { data: Record<string, unknown>; metadata: { version: number } };
    assertEquals([data.data.password, data.metadata.version], [values[1], 2]);
  });

  await t.step("refuses a response larger than maxResponseBytes", async () => {
    await bao.writeKv2("secret", "big", { blob: "y".repeat(64 * 1024) });
    using small = startClient(testStore(bao.address, { maxResponseBytes: 16 * 1024 }), {
      method: "token",
      token: bao.rootToken,
    });
    await ready(small.client);
    assertEquals(
      await kindOf(small.client.readSecret({ mountPath: "secret", key: "big", kvVersion: 2 })),
      "invalid_response",
    );
  });

  await t.step("registered every secret value and the token as sensitive", () => {
    for (const v of [...values, bao.rootToken]) assert(c.sensitive.has(v), "registered");
  });

  assertNoneLogged(logs, [...values, bao.rootToken, "destroyed-value", "deleted-value"]);
});
