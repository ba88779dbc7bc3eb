import { assert, assertEquals, assertRejects, assertThrows } from "../support/assert.ts";
import { startOpenBao } from "../support/openbao.ts";
import { tmpDir } from "../support/tmp_dir.ts";
import { makeTestPki, requireOpenssl } from "../support/pki.ts";
import { VaultClient, VaultError } from "../../src/vault/mod.ts";
import {
  eventually,
  ready,
  startClient,
  TEST_RESILIENCE,
  testStore,
} from "../vault/_integration.ts";
import { assertNoneLogged, captureLogs } from "../vault/_log_capture.ts";

const APP = { mountPath: "secret", key: "tls", kvVersion: 2 as const };
const VALUE = "tls-secret-value-17";

const openssl = await requireOpenssl(import.meta.url);

Deno.test({
  name: "VaultClient talks TLS to OpenBao with a CA file, a CA dir and mTLS",
  ignore: !openssl,
}, async (t) => {
  await using logs = await captureLogs();
  await using dir = await tmpDir();
  await makeTestPki(dir.path);
  await Deno.mkdir(dir.join("cadir"));
  await Deno.copyFile(dir.join("ca.pem"), dir.join("cadir", "ca.crt"));
  await Deno.writeTextFile(dir.join("cadir", "README"), "not a certificate");

  await t.step("server TLS with a CA file and with a CA directory", async () => {
    await using bao = await startOpenBao({
      tls: {
        certFile: dir.join("server.pem"),
        keyFile: dir.join("server.key"),
        caFile: dir.join("ca.pem"),
      },
    });
    assert(bao.address.startsWith("https://"));
    await bao.writeKv2("secret", "tls", { v: VALUE });
    for (const tls of [{ caCert: dir.join("ca.pem") }, { caPath: dir.join("cadir") }]) {
      using c = startClient(testStore(bao.address, { tls: { skipVerify: false, ...tls } }), {
        method: "token",
        token: bao.rootToken,
      });
      await ready(c.client);
      assertEquals((await c.client.readSecret(APP)).data.v, VALUE);
    }
    // Without the CA the certificate is not trusted: the client never becomes ready.
    using untrusted = startClient(testStore(bao.address), {
      method: "token",
      token: bao.rootToken,
    });
    await eventually(() => untrusted.events.some((e) => e.type === "login"));
    assertEquals(untrusted.client.ready(), false);
    const failure = untrusted.events.find((e) => e.type === "login");
    assertEquals(failure?.type === "login" && failure.outcome, "unavailable");
    assertNoneLogged(logs, [bao.rootToken, VALUE]);
  });

  await t.step("mTLS: the client certificate is presented", async () => {
    await using bao = await startMtlsOpenBao(dir);
    await bao.writeKv2("secret", "tls", { v: VALUE });
    using c = startClient(
      testStore(bao.address, {
        tls: {
          skipVerify: false,
          caCert: dir.join("ca.pem"),
          clientCert: dir.join("client.pem"),
          clientKey: dir.join("client.key"),
        },
      }),
      { method: "token", token: bao.rootToken },
    );
    await ready(c.client);
    assertEquals((await c.client.readSecret(APP)).data.v, VALUE);
    // Without a client certificate the handshake fails.
    using anonymous = startClient(
      testStore(bao.address, { tls: { skipVerify: false, caCert: dir.join("ca.pem") } }),
      { method: "token", token: bao.rootToken },
    );
    await eventually(() => anonymous.events.some((e) => e.type === "login"));
    assertEquals(anonymous.client.ready(), false);
    await assertRejects(() => anonymous.client.readSecret(APP), VaultError);
    assertNoneLogged(logs, [bao.rootToken, VALUE]);
  });

  await t.step("skipVerify: reads over TLS and mTLS from a server it does not trust", async () => {
    await using bao = await startOpenBao({
      tls: {
        certFile: dir.join("server.pem"),
        keyFile: dir.join("server.key"),
        caFile: dir.join("ca.pem"),
      },
    });
    await bao.writeKv2("secret", "tls", { v: VALUE });
    using c = startClient(testStore(bao.address, { tls: { skipVerify: true } }), {
      method: "token",
      token: bao.rootToken,
    });
    await ready(c.client);
    assertEquals((await c.client.readSecret(APP)).data.v, VALUE);
    // Only this client skips verification: the rest of the process still verifies.
    await assertRejects(() => fetch(`${bao.address}/v1/sys/health`));

    await using mtls = await startMtlsOpenBao(dir);
    await mtls.writeKv2("secret", "tls", { v: VALUE });
    using m = startClient(
      testStore(mtls.address, {
        tls: {
          skipVerify: true,
          clientCert: dir.join("client.pem"),
          clientKey: dir.join("client.key"),
        },
      }),
      { method: "token", token: mtls.rootToken },
    );
    await ready(m.client);
    assertEquals((await m.client.readSecret(APP)).data.v, VALUE);
    assertNoneLogged(logs, [bao.rootToken, mtls.rootToken, VALUE]);
  });

  await t.step("skipVerify and serverName are reported at start, not silently dropped", () => {
    logs.records.length = 0;
    using c = startClient(
      testStore("https://127.0.0.1:1", { tls: { skipVerify: true, serverName: "vault.internal" } }),
      { method: "token", token: "s.unused" },
    );
    const warnings = logs.records.filter((r) => r.level === "warning").map((r) =>
      r.message.join("")
    );
    assert(
      warnings.some((w) =>
        w.includes("TLS certificate verification is off for https://127.0.0.1:1")
      ),
      `skip-verify: ${warnings.join("\n")}`,
    );
    assert(warnings.some((w) => w.includes('serverName "vault.internal"')), "server name");
    c.controller.abort();
  });

  await t.step("a missing CA file fails construction with a clear message", () => {
    const err = assertThrows(() =>
      new VaultClient({
        store: testStore("https://127.0.0.1:1", {
          tls: { skipVerify: false, caCert: dir.join("missing.pem") },
        }),
        auth: { method: "token", token: "s.unused" },
        credentialsName: "default",
        resilience: TEST_RESILIENCE,
      })
    );
    assert(err.message.startsWith(`Cannot load CA certificate "${dir.join("missing.pem")}"`));
  });
});

/** A server that requires client certificates signed by the test CA in `dir` (see makeTestPki). */
function startMtlsOpenBao(dir: { join(name: string): string }) {
  return startOpenBao({
    tls: {
      certFile: dir.join("server.pem"),
      keyFile: dir.join("server.key"),
      caFile: dir.join("ca.pem"),
      clientCaFile: dir.join("ca.pem"),
      client: { certFile: dir.join("client.pem"), keyFile: dir.join("client.key") },
    },
  });
}
