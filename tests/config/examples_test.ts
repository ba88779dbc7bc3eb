import { assertEquals, assertStrictEquals } from "../support/assert.ts";
import { loadConfig, type Plan } from "../../src/config/mod.ts";
import { envOf } from "./_helpers.ts";
import { vaultCallKey, vaultCallsOf } from "../../src/sync/mod.ts";
import { parse } from "../../src/template/mod.ts";

const HERE = new URL(".", import.meta.url).pathname;
const FIXTURES = `${HERE}fixtures`;
const EXAMPLES = new URL("../../examples", import.meta.url).pathname;

const ENV = envOf({
  VAULT_TOKEN: "s.env-token",
  TEAM_A_TOKEN: "s.team-a",
  TEAM_B_ROLE_ID: "role-b",
  TEAM_B_SECRET_ID: "sid-b",
  VAULT_ROLE_ID: "role",
  VAULT_SECRET_ID: "sid",
});

function load(path: string, env = ENV): Promise<Plan> {
  return loadConfig(path, { env });
}

Deno.test("the seed's examples/config.yaml loads unchanged", async () => {
  // Its output paths are relative (./.work/secrets/…): they resolve against the working directory,
  // as in the seed.
  const plan = await loadConfig(`${FIXTURES}/seed_config.yaml`, { env: envOf(), cwd: "/srv/app" });
  assertEquals(plan.store.addresses, ["http://localhost:8200"]);
  assertEquals(plan.credentials["default"], { method: "token", token: "dev-root-token" });
  assertEquals(plan.secrets.map((s) => [s.name, s.key, s.kvVersion, s.refreshIntervalMs]), [
    ["tls-cert", "common/tls/example-cert", 2, 1_800_000],
    ["database-creds", "database/prod/credentials", 2, 300_000],
    ["api-keys", "app/config", 2, 3_600_000],
  ]);
  assertEquals(plan.secrets[0]!.files.map((f) => [f.path, f.template, f.mode]), [
    ["/srv/app/.work/secrets/tls.crt", "tls.crt", 0o644],
    ["/srv/app/.work/secrets/tls.key", "tls.key", 0o600],
  ]);
  // YAML order, as the seed's docs promise: username before password.
  assertEquals(plan.secrets[1]!.files.map((f) => f.template), ["username", "password"]);
  assertEquals(plan.secrets[2]!.files.map((f) => f.template), ["api_key", "api_secret"]);
});

Deno.test("the seed's examples/config-credential-sets.yaml loads unchanged", async () => {
  const plan = await load(`${FIXTURES}/seed_credential_sets.yaml`);
  assertEquals(plan.credentials, {
    default: { method: "token", token: "s.env-token" },
    "team-a": { method: "token", token: "s.team-a" },
    "team-b": {
      method: "approle",
      roleId: "role-b",
      secretId: "sid-b",
      secretIdWrapped: false,
      mount: "approle",
    },
  });
  assertEquals(plan.secrets.map((s) => [s.credentials, s.namespace]), [
    ["default", undefined],
    ["team-a", "team-a"],
    ["team-b", "team-b"],
  ]);
  assertEquals(plan.envUsed, ["TEAM_A_TOKEN", "TEAM_B_ROLE_ID", "TEAM_B_SECRET_ID", "VAULT_TOKEN"]);
});

Deno.test("the seed docs' structure example (path, store defaults, AppRole) loads", async () => {
  const plan = await load(`${FIXTURES}/seed_docs_structure.yaml`);
  assertEquals(plan.credentials["default"], {
    method: "approle",
    roleId: "role",
    secretId: "sid",
    secretIdWrapped: false,
    mount: "approle",
  });
  const secret = plan.secrets[0]!;
  assertEquals([secret.key, secret.mountPath, secret.kvVersion], ["path/to/secret", "secret", 2]);
  assertEquals(secret.files.map((f) => [f.path, f.template, f.mode]), [
    ["/secrets/file1", "key1", 0o644],
    ["/secrets/file2", "key2", 0o600],
  ]);
});

Deno.test("the seed docs' TLS and namespace examples load, with the root namespace kept", async () => {
  const plan = await load(`${FIXTURES}/seed_tls_namespaces.yaml`);
  assertStrictEquals(plan.store.namespace, "team-a");
  assertEquals(plan.store.tls, {
    caCert: "/certs/ca-bundle.pem",
    clientCert: "/certs/client-cert.pem",
    clientKey: "/certs/client-key.pem",
    skipVerify: false,
  });
  assertEquals(plan.secrets.map((s) => s.namespace), [undefined, "team-b", ""]);
  assertEquals(plan.secrets[2]!.files.map((f) => [f.owner, f.group]), [["1000", "1000"], [
    undefined,
    undefined,
  ]]);
});

Deno.test("examples/config.yaml (the demo) loads with its outputs under OUTPUT_DIR", async () => {
  const plan = await load(
    `${EXAMPLES}/config.yaml`,
    envOf({ VAULT_ADDR: "http://127.0.0.1:8200", VAULT_TOKEN: "t", OUTPUT_DIR: "/tmp/demo-out" }),
  );
  assertEquals(plan.secrets.map((s) => [s.name, s.mountPath, s.key, s.kvVersion]), [
    ["db", "secret", "app/db", 2],
    ["api", "secret", "app/api", 2],
  ]);
  assertEquals(plan.secrets.flatMap((s) => s.files.map((f) => f.path)), [
    "/tmp/demo-out/db.env",
    "/tmp/demo-out/api-key.txt",
  ]);
  const defaults = await load(
    `${EXAMPLES}/config.yaml`,
    envOf({ VAULT_ADDR: "http://127.0.0.1:8200", VAULT_TOKEN: "t" }),
  );
  assertStrictEquals(defaults.secrets[0]!.files[0]!.path, "/secrets/db.env");
});

Deno.test("examples/config-approle.yaml loads", async () => {
  const plan = await load(`${EXAMPLES}/config-approle.yaml`, envOf());
  assertStrictEquals(plan.credentials["default"]?.method, "approle");
  assertEquals(plan.store.addresses.length, 2);
  assertEquals(plan.secrets.map((s) => s.onChange.map((h) => h.kind)), [
    ["signal"],
    ["http", "command"],
    [],
  ]);
});

Deno.test("examples/config-credential-sets.yaml loads", async () => {
  const plan = await load(`${EXAMPLES}/config-credential-sets.yaml`);
  assertEquals(Object.keys(plan.credentials), ["default", "team-a", "team-b"]);
});

Deno.test("examples/config-dynamic.yaml loads: kubernetes auth, keyless secrets, one call per set", async () => {
  const plan = await load(`${EXAMPLES}/config-dynamic.yaml`, envOf());
  assertStrictEquals(plan.credentials["default"]?.method, "kubernetes");
  assertEquals(plan.secrets.map((s) => [s.name, s.key, s.revokeOnStop]), [
    ["db-creds", undefined, true],
    ["tls", undefined, false],
  ]);
  // Every template of a secret makes the same call: one response for the whole set of files.
  const calls = plan.secrets.map((s) =>
    new Set(
      s.templates.flatMap((t) =>
        vaultCallsOf(parse(t.source, { name: t.name })).map((c) =>
          vaultCallKey(c.fn, c.path, c.args)
        )
      ),
    ).size
  );
  assertEquals(calls, [1, 1]);
});
