import { parseConfig, type Plan } from "../../src/config/mod.ts";
import { preflight, revokeUnneeded } from "../../src/cli/_preflight.ts";
import { assertEquals } from "../support/assert.ts";

const FILE = "/etc/secrets-sync/config.yaml";

function plan(extra = "", settings = ""): Plan {
  return parseConfig(
    `secretStore:
  address: http://vault.internal:8200
  token: "\${VAULT_TOKEN}"
settings:
  statusFile: /run/ss/ready
${settings}secrets:
  - name: app
    key: app/config
    template:
      data:
        app.env: "X={{ .x }}"
    files:
      - path: /data/app.env
${extra}`,
    { file: FILE, env: (n) => n === "VAULT_TOKEN" ? "s.x" : undefined },
  );
}

/** A fake `Deno.permissions.query` granting what `granted` accepts. */
function queryOf(granted: (desc: Deno.PermissionDescriptor) => boolean) {
  const asked: Deno.PermissionDescriptor[] = [];
  const query = (desc: Deno.PermissionDescriptor) => {
    asked.push(desc);
    return Promise.resolve(
      { state: granted(desc) ? "granted" : "prompt" } as Deno.PermissionStatus,
    );
  };
  return { query, asked };
}

Deno.test("preflight() returns nothing when every permission is granted", async () => {
  const { query, asked } = queryOf(() => true);
  assertEquals(await preflight(plan(), { configPath: FILE, query }), []);
  assertEquals(asked.some((d) => d.name === "write" && d.path === "/data"), true);
});

Deno.test("preflight() names the missing write flag for an output directory", async () => {
  const { query } = queryOf((d) => !(d.name === "write" && d.path === "/data"));
  assertEquals(await preflight(plan(), { configPath: FILE, query }), [
    'Cannot write in "/data" (output file "/data/app.env" of secret "app"): the process lacks --allow-write=/data',
  ]);
});

Deno.test("preflight() gives one message per gap", async () => {
  const { query } = queryOf((d) => d.name === "env");
  const gaps = await preflight(plan(), { configPath: FILE, query });
  assertEquals(gaps, [
    'Cannot read "/data" (output file "/data/app.env" of secret "app"): the process lacks --allow-read=/data',
    'Cannot read "/etc/secrets-sync/config.yaml" (config file): the process lacks --allow-read=/etc/secrets-sync/config.yaml',
    'Cannot read "/run/ss" (status file "/run/ss/ready"): the process lacks --allow-read=/run/ss',
    'Cannot write in "/data" (output file "/data/app.env" of secret "app"): the process lacks --allow-write=/data',
    'Cannot write in "/run/ss" (status file "/run/ss/ready"): the process lacks --allow-write=/run/ss',
    'Cannot listen on "127.0.0.1:8080" (metrics and health listener): the process lacks --allow-net=127.0.0.1:8080',
    'Cannot connect to "vault.internal:8200" (secret store http://vault.internal:8200): the process lacks --allow-net=vault.internal:8200',
  ]);
});

Deno.test("preflight() names a denied host", async () => {
  const { query } = queryOf((d) => !(d.name === "net" && d.host === "vault.internal:8200"));
  assertEquals(await preflight(plan(), { configPath: FILE, query }), [
    'Cannot connect to "vault.internal:8200" (secret store http://vault.internal:8200): the process lacks --allow-net=vault.internal:8200',
  ]);
});

Deno.test("preflight() skips optional needs such as override variables", async () => {
  const { query } = queryOf((d) =>
    d.name !== "env" || d.variable === "VAULT_TOKEN" || d.variable === "LOG_TOKENS" ||
    d.variable === "LOG_STREAM"
  );
  assertEquals(await preflight(plan(), { configPath: FILE, query }), []);
});

Deno.test("preflight() asks for an unrestricted --allow-run for signal hooks", async () => {
  const { query } = queryOf((d) => d.name !== "run");
  const gaps = await preflight(
    plan(`    onChange:
      - signal: { pidFile: /run/app.pid }
`),
    { configPath: FILE, query },
  );
  assertEquals(gaps, [
    'Cannot send signals (on-change hook of secret "app" (sending SIGHUP)): the process lacks --allow-run',
  ]);
});

Deno.test("preflight() treats a descriptor Deno rejects as missing", async () => {
  const query = (desc: Deno.PermissionDescriptor) =>
    desc.name === "net" ? Promise.reject(new TypeError("invalid host")) : Promise.resolve(
      { state: "granted" } as Deno.PermissionStatus,
    );
  const gaps = await preflight(plan(), { configPath: FILE, query });
  assertEquals(gaps.length, 2);
});

function fakePermissions(initial: Record<string, Deno.PermissionState>) {
  const state = { ...initial };
  const revoked: string[] = [];
  return {
    revoked,
    query: (d: Deno.PermissionDescriptor) =>
      Promise.resolve({ state: state[d.name] ?? "prompt" } as Deno.PermissionStatus),
    revoke: (d: Deno.PermissionDescriptor) => {
      revoked.push(d.name);
      state[d.name] = "prompt";
      return Promise.resolve({ state: "prompt" } as Deno.PermissionStatus);
    },
  };
}

Deno.test("revokeUnneeded() gives back run and sys when no hook needs them", async () => {
  const fake = fakePermissions({ run: "granted", sys: "granted", env: "granted" });
  assertEquals(await revokeUnneeded(plan(), { watch: false, ...fake }), [
    "--allow-run",
    "--allow-sys",
  ]);
  assertEquals(fake.revoked, ["run", "sys"], "env stays: SIGHUP reloads read it");
});

Deno.test("revokeUnneeded() keeps run for command and signal hooks", async () => {
  for (const hook of ['command: ["/bin/true"]', "signal: { pidFile: /run/app.pid }"]) {
    const fake = fakePermissions({ run: "granted" });
    await revokeUnneeded(plan(`    onChange:\n      - ${hook}\n`), { watch: false, ...fake });
    assertEquals(fake.revoked.includes("run"), false, hook);
  }
});

Deno.test("revokeUnneeded() keeps run and env while the config is watched", async () => {
  const fake = fakePermissions({ run: "granted", env: "granted" });
  await revokeUnneeded(plan(), { watch: true, reloadOnSignal: false, ...fake });
  assertEquals(fake.revoked, ["sys"]);
});

Deno.test("revokeUnneeded() gives back env only when no reload can happen", async () => {
  const fake = fakePermissions({ env: "granted" });
  assertEquals(await revokeUnneeded(plan(), { watch: false, reloadOnSignal: false, ...fake }), [
    "--allow-env",
  ]);
});

Deno.test("revokeUnneeded() reports only what was granted before", async () => {
  const fake = fakePermissions({});
  assertEquals(await revokeUnneeded(plan(), { watch: false, ...fake }), []);
});

Deno.test("revokeUnneeded() never throws when revoking fails", async () => {
  const result = await revokeUnneeded(plan(), {
    watch: false,
    query: () => Promise.resolve({ state: "granted" } as Deno.PermissionStatus),
    revoke: () => Promise.reject(new Error("nope")),
  });
  assertEquals(result, []);
});

Deno.test("preflight() for once does not ask for the listener or the status file", async () => {
  const { query, asked } = queryOf(() => true);
  await preflight(plan(), { configPath: FILE, query, command: "once" });
  assertEquals(asked.some((d) => d.name === "net" && d.host === "127.0.0.1:8080"), false);
  assertEquals(asked.some((d) => d.name === "write" && d.path === "/run/ss"), false);
});
