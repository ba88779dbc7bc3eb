import {
  assert,
  assertEquals,
  assertFalse,
  assertRejects,
  assertStringIncludes,
} from "../support/assert.ts";
import { startOpenBao } from "../support/openbao.ts";
import { tmpDir } from "../support/tmp_dir.ts";
import { VaultError } from "../../src/vault/mod.ts";
import {
  eventually,
  readPolicy,
  ready,
  startClient,
  testStore,
  wait,
} from "../vault/_integration.ts";
import { assertNoneLogged, captureLogs } from "../vault/_log_capture.ts";

const APP = { mountPath: "secret", key: "app", kvVersion: 2 as const };
const VALUE = "auth-test-secret-value-42";

Deno.test("VaultClient authenticates against OpenBao", async (t) => {
  await using logs = await captureLogs();
  await using bao = await startOpenBao();
  await using dir = await tmpDir();
  await bao.writeKv2("secret", "app", { password: VALUE });
  await bao.writePolicy("app", readPolicy("secret"));
  await bao.enableAppRole();
  await bao.createRole("app", { tokenPolicies: ["app"], tokenTtl: "1h", tokenMaxTtl: "24h" });
  await bao.createRole("short", { tokenPolicies: ["app"], tokenTtl: 3, tokenMaxTtl: 6 });
  const roleId = await bao.roleId("app");
  const sensitive: string[] = [bao.rootToken, roleId, VALUE];

  await t.step("token auth with an inline token", async () => {
    const created = await bao.createToken({ policies: ["app"], ttl: "1h" });
    sensitive.push(created.token);
    using c = startClient(testStore(bao.address), { method: "token", token: created.token });
    await ready(c.client);
    assertEquals((await c.client.readSecret(APP)).data.password, VALUE);
    const ttl = c.client.tokenTtlSeconds()!;
    assert(ttl > 3500 && ttl <= 3600, `ttl ${ttl}`);
  });

  await t.step("token auth from a file, re-read after the token was replaced", async () => {
    const first = await bao.createToken({ policies: ["app"], ttl: "1h" });
    const second = await bao.createToken({ policies: ["app"], ttl: "1h" });
    sensitive.push(first.token, second.token);
    const file = dir.join("token");
    await Deno.writeTextFile(file, `${first.token}\n`);
    using c = startClient(testStore(bao.address), { method: "token", tokenFile: file });
    await ready(c.client);
    await c.client.readSecret(APP);
    await bao.api("POST", "auth/token/revoke", { body: { token: first.token } });
    await Deno.writeTextFile(file, second.token);
    assertEquals((await c.client.readSecret(APP)).data.password, VALUE);
    assert(c.client.ready());
  });

  await t.step("AppRole with role-id and secret-id files", async () => {
    const secretId = await bao.secretId("app");
    sensitive.push(secretId);
    await Deno.writeTextFile(dir.join("role-id"), roleId);
    await Deno.writeTextFile(dir.join("secret-id"), secretId);
    using c = startClient(testStore(bao.address), {
      method: "approle",
      roleIdFile: dir.join("role-id"),
      secretIdFile: dir.join("secret-id"),
      secretIdWrapped: false,
      mount: "approle",
    });
    await ready(c.client);
    assertEquals((await c.client.readSecret(APP)).data.password, VALUE);
    assert(c.client.tokenTtlSeconds()! > 3500);
    for (const v of [roleId, secretId]) assert(c.sensitive.has(v), "credential registered");
    const token = [...c.sensitive].find((v) => v.startsWith("s.") || v.startsWith("hvs."));
    assert(token !== undefined, "issued token registered");
    sensitive.push(...c.sensitive);
  });

  await t.step("AppRole with a response-wrapped secret-id, unwrapped once", async () => {
    const wrapping = await bao.secretId("app", { wrapTtl: "5m" });
    sensitive.push(wrapping);
    await Deno.writeTextFile(dir.join("wrapped"), wrapping);
    const plan = {
      method: "approle" as const,
      roleId,
      secretIdFile: dir.join("wrapped"),
      secretIdWrapped: true,
      mount: "approle",
    };
    using c = startClient(testStore(bao.address), plan);
    await ready(c.client);
    assertEquals((await c.client.readSecret(APP)).data.password, VALUE);
    sensitive.push(...c.sensitive);
    // A second process with the same, now used, wrapping token cannot log in.
    using reused = startClient(testStore(bao.address), plan);
    await eventually(() =>
      reused.events.some((e) => e.type === "login" && e.outcome !== "success")
    );
    assertFalse(reused.client.ready());
    const failure = logs.records.find((r) => r.message.join("") === "Cannot log in to Vault");
    assertEquals(failure?.properties.kind, "auth_failed");
    assertStringIncludes(String(failure?.properties.error), "unwrap");
  });

  await t.step("a rejected secret-id keeps the client not ready and says why", async () => {
    using c = startClient(testStore(bao.address), {
      method: "approle",
      roleId,
      secretId: "00000000-bad0-bad0-bad0-000000000000",
      secretIdWrapped: false,
      mount: "approle",
    });
    await eventually(() => c.events.some((e) => e.type === "login"));
    assert(logs.messages().includes("AppRole login rejected: invalid role or secret ID"));
    assertFalse(c.client.ready());
    const err = await assertRejects(() => c.client.readSecret(APP), VaultError);
    assertEquals((err as VaultError).kind, "auth_failed");
    sensitive.push("00000000-bad0-bad0-bad0-000000000000");
  });

  await t.step("a revoked AppRole token leads to one re-login and the read succeeds", async () => {
    const secretId = await bao.secretId("app");
    sensitive.push(secretId);
    using c = startClient(testStore(bao.address), {
      method: "approle",
      roleId,
      secretId,
      secretIdWrapped: false,
      mount: "approle",
    });
    await ready(c.client);
    const before = [...c.sensitive];
    const token = before.find((v) => v !== roleId && v !== secretId)!;
    await bao.api("POST", "auth/token/revoke", { body: { token } });
    assertEquals((await c.client.readSecret(APP)).data.password, VALUE);
    const logins = c.events.filter((e) => e.type === "login" && e.outcome === "success");
    assertEquals(logins.length, 2);
    sensitive.push(...c.sensitive);
  });

  await t.step(
    "a 3 s / 6 s AppRole token keeps working for 20 s (renew, then re-login)",
    async () => {
      const secretId = await bao.secretId("short");
      sensitive.push(secretId, await bao.roleId("short"));
      using c = startClient(testStore(bao.address), {
        method: "approle",
        roleId: await bao.roleId("short"),
        secretId,
        secretIdWrapped: false,
        mount: "approle",
      });
      await ready(c.client);
      const until = Date.now() + 20_000;
      let reads = 0;
      while (Date.now() < until) {
        assertEquals((await c.client.readSecret(APP)).data.password, VALUE);
        assert(c.client.ready(), "ready throughout");
        reads++;
        await wait(250);
      }
      const renewals = c.events.filter((e) => e.type === "renew" && e.outcome !== "capped").length;
      const capped = c.events.filter((e) => e.type === "renew" && e.outcome === "capped").length;
      const logins = c.events.filter((e) => e.type === "login" && e.outcome === "success").length;
      assert(renewals >= 2, `renewals ${renewals}`);
      assert(capped >= 2, `capped renewals ${capped}`);
      assert(logins >= 3, `logins ${logins}`);
      assert(reads > 50, `reads ${reads}`);
      sensitive.push(...c.sensitive);
    },
  );

  assertNoneLogged(logs, sensitive);
});
