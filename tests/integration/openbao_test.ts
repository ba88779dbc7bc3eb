// The test bed's launcher against the real OpenBao it starts, and the server behaviours the
// product's error mapping and token lifecycle rely on (messages, statuses, headers), pinned so an
// OpenBao upgrade that changes them fails here first.
import assert from "node:assert/strict";
import { startOpenBao } from "../support/openbao.ts";
import { openBaoVersion } from "../support/build_openbao.ts";
import { tmpDir } from "../support/tmp_dir.ts";
import { makeTestPki, requireOpenssl } from "../support/pki.ts";

const openssl = await requireOpenssl(import.meta.url);

const SECRET = "hunter2-canary-7f3a";

Deno.test("startOpenBao() reports the version `bao version` of the same binary prints", async () => {
  await using bao = await startOpenBao();
  const res = await bao.api("GET", "sys/health", { token: null });
  assert.equal(res.status, 200);
  assert.equal(res.body.version, bao.version);
  assert.equal(bao.version, await openBaoVersion(bao.binary));
  console.log(`integration tests run against OpenBao v${bao.version} (${bao.binary})`);
  assert.equal(res.body.sealed, false);
  assert.match(bao.address, /^http:\/\/127\.0\.0\.1:\d+$/);
});

Deno.test("startOpenBao() serves a KV v2 write and read round trip", async () => {
  await using bao = await startOpenBao();
  assert.equal(await bao.writeKv2("secret", "app/db", { password: SECRET }), 1);
  assert.equal(await bao.writeKv2("secret", "app/db", { password: "second" }), 2);

  const latest = await bao.api("GET", "secret/data/app/db");
  assert.equal(latest.status, 200);
  assert.deepEqual(latest.body.data.data, { password: "second" });
  assert.equal(latest.body.data.metadata.version, 2);
  const first = await bao.api("GET", "secret/data/app/db?version=1");
  assert.deepEqual(first.body.data.data, { password: SECRET });
});

Deno.test("a soft-deleted KV v2 version answers 404 with its metadata, a missing path 404 with no errors", async () => {
  await using bao = await startOpenBao();
  await bao.writeKv2("secret", "gone", { v: SECRET });
  await bao.deleteKv2("secret", "gone");

  const deleted = await bao.api("GET", "secret/data/gone");
  assert.equal(deleted.status, 404);
  assert.equal(deleted.body.data.data, null);
  assert.equal(deleted.body.data.metadata.version, 1);
  assert.notEqual(deleted.body.data.metadata.deletion_time, "");
  assert.equal(deleted.body.data.metadata.destroyed, false);

  await bao.destroyKv2("secret", "gone", [1]);
  const destroyed = await bao.api("GET", "secret/data/gone");
  assert.equal(destroyed.status, 404);
  assert.equal(destroyed.body.data.metadata.destroyed, true);

  const missing = await bao.api("GET", "secret/data/never-written");
  assert.equal(missing.status, 404);
  assert.deepEqual(missing.body, { errors: [] });
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
  assert.equal(unwrapped.status, 200);
  const secretId = unwrapped.body.data.secret_id;
  assert.equal(typeof secretId, "string");
  const again = await bao.api("POST", "sys/wrapping/unwrap", { token: wrapping });
  assert.equal(again.status, 400);
  assert.deepEqual(again.body.errors, ["wrapping token is not valid or does not exist"]);

  const login = await bao.api("POST", "auth/approle/login", {
    token: null,
    body: { role_id: roleId, secret_id: secretId },
  });
  assert.equal(login.status, 200);
  assert.deepEqual(login.body.auth.policies, ["app-read", "default"]);
  assert.equal(login.body.auth.metadata.role_name, "app");
  assert.equal(login.body.auth.lease_duration, 300);
  assert.equal(login.body.auth.renewable, true);

  const token = login.body.auth.client_token;
  const read = await bao.api("GET", "secret/data/app/config", { token });
  assert.equal(read.body.data.data.api_key, SECRET);
  const denied = await bao.api("GET", "secret/data/other", { token });
  assert.equal(denied.status, 403);
  assert.match(denied.body.errors[0], /permission denied/);
});

Deno.test("an AppRole login with a wrong secret-id answers 400 with OpenBao's message", async () => {
  await using bao = await startOpenBao();
  await bao.enableAppRole();
  await bao.createRole("app", { secretIdNumUses: 1 });
  const roleId = await bao.roleId("app");
  const secretId = await bao.secretId("app");
  const body = { role_id: roleId, secret_id: secretId };
  assert.equal((await bao.api("POST", "auth/approle/login", { token: null, body })).status, 200);

  const usedUp = await bao.api("POST", "auth/approle/login", { token: null, body });
  assert.equal(usedUp.status, 400);
  assert.deepEqual(usedUp.body.errors, ["invalid role or secret ID"]);
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
  assert.equal(renewed.status, 200);
  assert.ok(renewed.body.auth.lease_duration <= 120 && renewed.body.auth.lease_duration >= 110);
  assert.match(
    renewed.body.warnings[0],
    /^TTL of "1h" exceeded the effective max_ttl of "(?:2m|1m\d+s)"; TTL value is capped accordingly$/,
  );

  const fixed = await bao.createToken({ policies: ["default"], ttl: "1m", renewable: false });
  const refused = await bao.api("POST", "auth/token/renew-self", { token: fixed.token });
  assert.equal(refused.status, 400);
  assert.deepEqual(refused.body.errors, ["lease is not renewable"]);
});

Deno.test("a sealed server answers 503 until it is unsealed", async () => {
  await using bao = await startOpenBao();
  await bao.writeKv2("secret", "x", { v: "1" });
  await bao.seal();

  const read = await bao.api("GET", "secret/data/x");
  assert.equal(read.status, 503);
  assert.deepEqual(read.body.errors, ["Vault is sealed"]);
  const health = await bao.api("GET", "sys/health", { token: null });
  assert.equal(health.status, 503);
  assert.equal(health.body.sealed, true);

  await bao.unseal();
  assert.equal((await bao.api("GET", "secret/data/x")).status, 200);
});

Deno.test("an expired token answers 403 permission denied", async () => {
  await using bao = await startOpenBao();
  const { token } = await bao.createToken({ policies: ["default"], ttl: "1s" });
  assert.equal((await bao.api("GET", "auth/token/lookup-self", { token })).status, 200);
  await new Promise((r) => setTimeout(r, 1_100));
  const res = await bao.api("GET", "auth/token/lookup-self", { token });
  assert.equal(res.status, 403);
  assert.match(res.body.errors[0], /permission denied/);
});

Deno.test("a token created in a namespace works there and nowhere above it", async () => {
  await using bao = await startOpenBao();
  const ns = await bao.createNamespace("team");
  assert.equal(ns, "team/");
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
  assert.equal(viaHeader.body.data.data.v, SECRET);
  const viaPath = await bao.api("GET", "team/kv/data/app", { token });
  assert.equal(viaPath.status, 200);
  const atRoot = await bao.api("GET", "secret/data/app", { token });
  assert.equal(atRoot.status, 403);
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
  assert.deepEqual(statuses, [200, 200, 429]);
  assert.deepEqual(last?.body.errors, [
    'request path "secret/data/hot": rate limit quota exceeded',
  ]);
  assert.ok(Number(last?.headers.get("retry-after")) >= 1);
});

Deno.test("the file audit device logs every request without plaintext secrets", async () => {
  await using dir = await tmpDir();
  const log = dir.join("audit.log");
  await using bao = await startOpenBao({ auditFile: log });
  assert.equal(bao.auditFile, log);
  await bao.writeKv2("secret", "audited", { password: SECRET });
  await bao.api("GET", "secret/data/audited");

  const text = await Deno.readTextFile(log);
  const lines = text.trim().split("\n").map((l) => JSON.parse(l))
    .filter((l) => l.request?.path === "secret/data/audited");
  const requests = lines.filter((l) => l.type === "request");
  const responses = lines.filter((l) => l.type === "response");
  assert.deepEqual(requests.map((l) => l.request.operation), ["create", "read"]);
  assert.equal(responses.length, 2);
  assert.ok(!text.includes(SECRET), "secret value in audit log");
  assert.ok(!text.includes(bao.rootToken), "root token in audit log");
  assert.match(requests[0].request.data.data.password, /^hmac-sha256:/);
  assert.match(responses[1].response.data.data.password, /^hmac-sha256:/);
});

Deno.test("the server exits with 0 on SIGTERM and its command line never holds the root token", async () => {
  const bao = await startOpenBao();
  try {
    assert.ok(bao.output().includes("Unseal Key:"));
    const argv = await Deno.readTextFile(`/proc/${bao.pid}/cmdline`);
    assert.ok(argv.includes("server\0-dev\0"), JSON.stringify(argv));
    assert.ok(!argv.includes(bao.rootToken), "root token on the command line");
  } finally {
    assert.equal(await bao.stop(), 0);
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
    assert.match(bao.address, /^https:\/\/127\.0\.0\.1:\d+$/);
    assert.equal(await bao.writeKv2("secret", "tls", { v: "1" }), 1);
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
  assert.equal((await bao.api("GET", "sys/health", { token: null })).status, 200);

  using anonymous = Deno.createHttpClient({ caCerts: [await Deno.readTextFile(c.ca)] });
  await assert.rejects(
    fetch(`${bao.address}/v1/sys/health`, { client: anonymous }).then((r) => r.text()),
  );
});
