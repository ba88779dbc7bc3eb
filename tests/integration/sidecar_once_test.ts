/**
 * The walking skeleton end to end: the sidecar, started as users start it (`deno run -P=sidecar`),
 * against a real server process over HTTP.
 */
import {
  assert,
  assertEquals,
  assertNotIncludes,
  assertStringIncludes,
} from "../support/assert.ts";
import { startOpenBao } from "../support/openbao.ts";
import { readIfExists, startSidecar } from "../support/sidecar.ts";
import { tmpDir } from "../support/tmp_dir.ts";

function config(out: string, extra = ""): string {
  return `
secretStore:
  address: "\${VAULT_ADDR}"
  authMethod: token
  token: "\${VAULT_TOKEN}"
settings:
  metrics:
    enabled: false
secrets:
  - name: db
    key: app/db
    mountPath: secret
    kvVersion: v2
    refreshInterval: 1s
    template:
      data:
        db.env: |
          DB_USER={{ .username }}
          DB_PASSWORD={{ .password }}
        port: "{{ .port }}"
    files:
      - path: ${out}/db.env
        mode: "0640"
      - path: ${out}/port
${extra}`;
}

Deno.test("once writes a KV v2 secret through templates to files with their modes", async () => {
  await using bao = await startOpenBao();
  await using dir = await tmpDir();
  const password = `pw-${crypto.randomUUID()}`;
  await bao.writeKv2("secret", "app/db", { username: "app", password, port: 5432 });
  const configPath = dir.join("config.yaml");
  await Deno.writeTextFile(
    configPath,
    config(dir.join("out")).replace('mode: "0640"', 'mode: "0640"\n        createDirs: true'),
  );

  await using sidecar = startSidecar({
    args: ["once", "--config", configPath],
    env: { VAULT_ADDR: bao.address, VAULT_TOKEN: bao.rootToken, STATUS_FILE: dir.join("status") },
  });
  const status = await sidecar.status;
  assertEquals(status.code, 0, sidecar.stdout() + sidecar.stderr());
  assertEquals(
    await Deno.readTextFile(dir.join("out/db.env")),
    `DB_USER=app\nDB_PASSWORD=${password}\n`,
  );
  assertEquals(await Deno.readTextFile(dir.join("out/port")), "5432");
  assertEquals((await Deno.stat(dir.join("out/db.env"))).mode! & 0o777, 0o640);
  assertEquals((await Deno.stat(dir.join("out/port"))).mode! & 0o777, 0o600);
  const output = sidecar.stdout() + sidecar.stderr();
  assertNotIncludes(output, password);
  assertNotIncludes(output, bao.rootToken);
  assert(sidecar.logs().length > 0, "logs are JSON lines");
});

Deno.test("once exits 1 and keeps the old file when the secret is missing", async () => {
  await using bao = await startOpenBao();
  await using dir = await tmpDir();
  await Deno.mkdir(dir.join("out"));
  await Deno.writeTextFile(dir.join("out/db.env"), "previous content\n");
  const configPath = dir.join("config.yaml");
  await Deno.writeTextFile(configPath, config(dir.join("out")));
  await using sidecar = startSidecar({
    args: ["once", "--config", configPath, "--timeout", "5s"],
    env: { VAULT_ADDR: bao.address, VAULT_TOKEN: bao.rootToken, STATUS_FILE: dir.join("status") },
  });
  assertEquals((await sidecar.status).code, 1);
  assertEquals(await Deno.readTextFile(dir.join("out/db.env")), "previous content\n");
  assertEquals(await readIfExists(dir.join("out/port")), undefined);
});

Deno.test("once exits 2 with file:line:column for an invalid config", async () => {
  await using dir = await tmpDir();
  const configPath = dir.join("config.yaml");
  await Deno.writeTextFile(
    configPath,
    config(dir.join("out")).replace("refreshInterval: 1s", "refreshInterval: soon"),
  );
  await using sidecar = startSidecar({
    args: ["once", "--config", configPath],
    env: { VAULT_ADDR: "http://127.0.0.1:1", VAULT_TOKEN: "unused-token" },
  });
  assertEquals((await sidecar.status).code, 2);
  assertStringIncludes(sidecar.stderr(), `${configPath}:14:`);
  assertStringIncludes(sidecar.stderr(), "refreshInterval");
});

Deno.test("run keeps a file in sync with changes in Vault and stops on SIGTERM with exit 0", async () => {
  await using bao = await startOpenBao();
  await using dir = await tmpDir();
  await bao.writeKv2("secret", "app/db", { username: "app", password: "first-password", port: 1 });
  const configPath = dir.join("config.yaml");
  await Deno.mkdir(dir.join("out"));
  await Deno.writeTextFile(configPath, config(dir.join("out")));
  await using sidecar = startSidecar({
    args: ["run", "--config", configPath],
    env: { VAULT_ADDR: bao.address, VAULT_TOKEN: bao.rootToken, STATUS_FILE: dir.join("status") },
  });
  const dbEnv = dir.join("out/db.env");
  await sidecar.waitFor(
    async () => (await readIfExists(dbEnv))?.includes("first-password") ?? false,
    "the first sync",
  );
  const isready = startSidecar({
    args: ["isready"],
    env: { ENABLE_METRICS: "false", STATUS_FILE: dir.join("status") },
  });
  assertEquals((await isready.status).code, 0, isready.stdout() + isready.stderr());

  const portMtime = (await Deno.stat(dir.join("out/port"))).mtime!.getTime();
  await bao.writeKv2("secret", "app/db", { username: "app", password: "second-password", port: 1 });
  await sidecar.waitFor(
    async () => (await readIfExists(dbEnv))?.includes("second-password") ?? false,
    "the change to reach the file",
    10_000,
  );
  // The unchanged file is not rewritten.
  assertEquals((await Deno.stat(dir.join("out/port"))).mtime!.getTime(), portMtime);

  sidecar.kill("SIGTERM");
  const status = await sidecar.status;
  assertEquals(status.code, 0);
  const output = sidecar.stdout() + sidecar.stderr();
  assertNotIncludes(output, "first-password");
  assertNotIncludes(output, "second-password");
  assertNotIncludes(output, bao.rootToken);
});
