// The test bed's launcher against the real OpenBao it starts, and the server behaviours the
// product's error mapping and token lifecycle rely on (messages, statuses, headers), pinned so an
// OpenBao upgrade that changes them fails here first.
import {
  assert,
  assertEquals,
  assertMatch,
  assertNotEquals,
  assertRejects,
  assertStrictEquals,
} from "../support/assert.ts";
import { startOpenBao } from "../support/openbao.ts";
import { openBaoVersion } from "../support/build_openbao.ts";
import { tmpDir } from "../support/tmp_dir.ts";
import { makeTestPki, requireOpenssl } from "../support/pki.ts";

const openssl = await requireOpenssl(import.meta.url);

const SECRET = "hunter2-canary-7f3a";

Deno.test("startOpenBao() reports the version `bao version` of the same binary prints", async () => {
  await using bao = await startOpenBao();
  const res = await bao.api("GET", "sys/health", { token: null });
  assertStrictEquals(res.status, 200);
  assertStrictEquals(res.body.version, bao.version);
  assertStrictEquals(bao.version, await openBaoVersion(bao.binary));
  console.log(`integration tests run against OpenBao v${bao.version} (${bao.binary})`);
  assertStrictEquals(res.body.sealed, false);
  assertMatch(bao.address, /^http:\/\/127\.0\.0\.1:\d+$/);
});

Deno.test("startOpenBao() serves a KV v2 write and read round trip", async () => {
  await using bao = await startOpenBao();
  assertStrictEquals(await bao.writeKv2("secret", "app/db", { password: SECRET }), 1);
  assertStrictEquals(await bao.writeKv2("secret", "app/db", { password: "second" }), 2);

  const latest = await bao.api("GET", "secret/data/app/db");
  assertStrictEquals(latest.status, 200);
  assertEquals(latest.body.data.data, { password: "second" });
  assertStrictEquals(latest.body.data.metadata.version, 2);
  const first = await bao.api("GET", "secret/data/app/db?version=1");
  assertEquals(first.body.data.data, { password: SECRET });
});

Deno.test("a soft-deleted KV v2 version answers 404 with its metadata, a missing path 404 with no errors", async () => {
  await using bao = await startOpenBao();
  await bao.writeKv2("secret", "gone", { v: SECRET });
  await bao.deleteKv2("secret", "gone");

  const deleted = await bao.api("GET", "secret/data/gone");
  assertStrictEquals(deleted.status, 404);
  assertStrictEquals(deleted.body.data.data, null);
  assertStrictEquals(deleted.body.data.metadata.version, 1);
  assertNotEquals(deleted.body.data.metadata.deletion_time, "");
  assertStrictEquals(deleted.body.data.metadata.destroyed, false);

  await bao.destroyKv2("secret", "gone", [1]);
  const destroyed = await bao.api("GET", "secret/data/gone");
  assertStrictEquals(destroyed.status, 404);
  assertStrictEquals(destroyed.body.data.metadata.destroyed, true);

  const missing = await bao.api("GET", "secret/data/never-written");
  assertStrictEquals(missing.status, 404);
  assertEquals(missing.body, { errors: [] });
});

Deno.test("an AppRole login with a response-wrapped secret-id reads what its policy allows", async () => {
  await using bao = await startOpenBao();
  await bao.writeKv2("secret", "app/config", { api_key: SECRET });
  await bao.writePolicy("app-read", `path "secret/data/app/*" { capabilities = ["read"] }`);
  await bao.enableAppRole();
  await bao.createRole("app", { tokenPolicies: ["app-read"], tokenTtl: "5m", tokenMaxTtl: "10m" });
  const roleId = await bao.roleId("app");
  const wrapping = await bao.secretId("app", { wrapTtl: "60s" });

  const unwrapped = await bao.api("POST", "sys/wrapping/unwrap", { token: wrapping });
  assertStrictEquals(unwrapped.status, 200);
  const secretId = unwrapped.body.data.secret_id;
  assertStrictEquals(typeof secretId, "string");
  const again = await bao.api("POST", "sys/wrapping/unwrap", { token: wrapping });
  assertStrictEquals(again.status, 400);
  assertEquals(again.body.errors, ["wrapping token is not valid or does not exist"]);

  const login = await bao.api("POST", "auth/approle/login", {
    token: null,
    body: { role_id: roleId, secret_id: secretId },
  });
  assertStrictEquals(login.status, 200);
  assertEquals(login.body.auth.policies, ["app-read", "default"]);
  assertStrictEquals(login.body.auth.metadata.role_name, "app");
  assertStrictEquals(login.body.auth.lease_duration, 300);
  assertStrictEquals(login.body.auth.renewable, true);

  const token = login.body.auth.client_token;
  const read = await bao.api("GET", "secret/data/app/config", { token });
  assertStrictEquals(read.body.data.data.api_key, SECRET);
  const denied = await bao.api("GET", "secret/data/other", { token });
  assertStrictEquals(denied.status, 403);
  assertMatch(denied.body.errors[0], /permission denied/);
});

Deno.test("an AppRole login with a wrong secret-id answers 400 with OpenBao's message", async () => {
  await using bao = await startOpenBao();
  await bao.enableAppRole();
  await bao.createRole("app", { secretIdNumUses: 1 });
  const roleId = await bao.roleId("app");
  const secretId = await bao.secretId("app");
  const body = { role_id: roleId, secret_id: secretId };
  assertStrictEquals(
    (await bao.api("POST", "auth/approle/login", { token: null, body })).status,
    200,
  );

  const usedUp = await bao.api("POST", "auth/approle/login", { token: null, body });
  assertStrictEquals(usedUp.status, 400);
  assertEquals(usedUp.body.errors, ["invalid role or secret ID"]);
});

Deno.test("renewing a token past its max TTL is capped with OpenBao's warning", async () => {
  await using bao = await startOpenBao();
  const { token } = await bao.createToken({
    policies: ["default"],
    ttl: "30s",
    explicitMaxTtl: "2m",
  });

  const renewed = await bao.api("POST", "auth/token/renew-self", {
    token,
    body: { increment: "1h" },
  });
  assertStrictEquals(renewed.status, 200);
  assert(renewed.body.auth.lease_duration <= 120 && renewed.body.auth.lease_duration >= 110);
  assertMatch(
    renewed.body.warnings[0],
    /^TTL of "1h" exceeded the effective max_ttl of "(?:2m|1m\d+s)"; TTL value is capped accordingly$/,
  );

  const fixed = await bao.createToken({ policies: ["default"], ttl: "1m", renewable: false });
  const refused = await bao.api("POST", "auth/token/renew-self", { token: fixed.token });
  assertStrictEquals(refused.status, 400);
  assertEquals(refused.body.errors, ["lease is not renewable"]);
});

Deno.test("a sealed server answers 503 until it is unsealed", async () => {
  await using bao = await startOpenBao();
  await bao.writeKv2("secret", "x", { v: "1" });
  await bao.seal();

  const read = await bao.api("GET", "secret/data/x");
  assertStrictEquals(read.status, 503);
  assertEquals(read.body.errors, ["Vault is sealed"]);
  const health = await bao.api("GET", "sys/health", { token: null });
  assertStrictEquals(health.status, 503);
  assertStrictEquals(health.body.sealed, true);

  await bao.unseal();
  assertStrictEquals((await bao.api("GET", "secret/data/x")).status, 200);
});

Deno.test("an expired token answers 403 permission denied", async () => {
  await using bao = await startOpenBao();
  const { token } = await bao.createToken({ policies: ["default"], ttl: "1s" });
  assertStrictEquals((await bao.api("GET", "auth/token/lookup-self", { token })).status, 200);
  await new Promise((r) => setTimeout(r, 1_100));
  const res = await bao.api("GET", "auth/token/lookup-self", { token });
  assertStrictEquals(res.status, 403);
  assertMatch(res.body.errors[0], /permission denied/);
});

Deno.test("a token created in a namespace works there and nowhere above it", async () => {
  await using bao = await startOpenBao();
  const ns = await bao.createNamespace("team");
  assertStrictEquals(ns, "team/");
  await bao.api("POST", "sys/mounts/kv", {
    namespace: "team",
    body: { type: "kv", options: { version: "2" } },
  });
  await bao.api("POST", "kv/data/app", { namespace: "team", body: { data: { v: SECRET } } });
  await bao.api("PUT", "sys/policies/acl/reader", {
    namespace: "team",
    body: { policy: `path "kv/data/*" { capabilities = ["read"] }` },
  });
  const { token } = await bao.createToken({ namespace: "team", policies: ["reader"] });

  const viaHeader = await bao.api("GET", "kv/data/app", { token, namespace: "team" });
  assertStrictEquals(viaHeader.body.data.data.v, SECRET);
  const viaPath = await bao.api("GET", "team/kv/data/app", { token });
  assertStrictEquals(viaPath.status, 200);
  const atRoot = await bao.api("GET", "secret/data/app", { token });
  assertStrictEquals(atRoot.status, 403);
});

Deno.test("a rate-limit quota answers 429 with Retry-After once headers are enabled", async () => {
  await using bao = await startOpenBao();
  await bao.writeKv2("secret", "hot", { v: "1" });
  await bao.api("POST", "sys/quotas/config", {
    body: { enable_rate_limit_response_headers: true },
  });
  await bao.api("POST", "sys/quotas/rate-limit/hot", {
    body: { rate: 2, interval: "30s", path: "secret/" },
  });

  const statuses = [];
  let last;
  for (let i = 0; i < 3; i++) {
    last = await bao.api("GET", "secret/data/hot");
    statuses.push(last.status);
  }
  assertEquals(statuses, [200, 200, 429]);
  assertEquals(last?.body.errors, [
    'request path "secret/data/hot": rate limit quota exceeded',
  ]);
  assert(Number(last?.headers.get("retry-after")) >= 1);
});

Deno.test("the file audit device logs every request without plaintext secrets", async () => {
  await using dir = await tmpDir();
  const log = dir.join("audit.log");
  await using bao = await startOpenBao({ auditFile: log });
  assertStrictEquals(bao.auditFile, log);
  await bao.writeKv2("secret", "audited", { password: SECRET });
  await bao.api("GET", "secret/data/audited");

  const text = await Deno.readTextFile(log);
  const lines = text.trim().split("\n").map((l) => JSON.parse(l))
    .filter((l) => l.request?.path === "secret/data/audited");
  const requests = lines.filter((l) => l.type === "request");
  const responses = lines.filter((l) => l.type === "response");
  assertEquals(requests.map((l) => l.request.operation), ["create", "read"]);
  assertStrictEquals(responses.length, 2);
  assert(!text.includes(SECRET), "secret value in audit log");
  assert(!text.includes(bao.rootToken), "root token in audit log");
  assertMatch(requests[0].request.data.data.password, /^hmac-sha256:/);
  assertMatch(responses[1].response.data.data.password, /^hmac-sha256:/);
});

Deno.test("the server exits with 0 on SIGTERM and its command line never holds the root token", async () => {
  const bao = await startOpenBao();
  try {
    assert(bao.output().includes("Unseal Key:"));
    const argv = await Deno.readTextFile(`/proc/${bao.pid}/cmdline`);
    assert(argv.includes("server\0-dev\0"), JSON.stringify(argv));
    assert(!argv.includes(bao.rootToken), "root token on the command line");
  } finally {
    assertStrictEquals(await bao.stop(), 0);
  }
});

// ---- TLS ----

Deno.test(
  { name: "startOpenBao() serves HTTPS with the given certificate", ignore: !openssl },
  async () => {
    await using dir = await tmpDir();
    const c = await makeTestPki(dir.path);
    await using bao = await startOpenBao({
      tls: { certFile: c.cert, keyFile: c.key, caFile: c.ca },
    });
    assertMatch(bao.address, /^https:\/\/127\.0\.0\.1:\d+$/);
    assertStrictEquals(await bao.writeKv2("secret", "tls", { v: "1" }), 1);
  },
);

Deno.test({
  name: "with a client CA the server refuses clients without a certificate",
  ignore: !openssl,
}, async () => {
  await using dir = await tmpDir();
  const c = await makeTestPki(dir.path);
  await using bao = await startOpenBao({
    tls: {
      certFile: c.cert,
      keyFile: c.key,
      caFile: c.ca,
      clientCaFile: c.ca,
      client: { certFile: c.clientCert, keyFile: c.clientKey },
    },
  });
  assertStrictEquals((await bao.api("GET", "sys/health", { token: null })).status, 200);

  using anonymous = Deno.createHttpClient({ caCerts: [await Deno.readTextFile(c.ca)] });
  await assertRejects(() =>
    fetch(`${bao.address}/v1/sys/health`, { client: anonymous }).then((r) => r.text())
  );
});
