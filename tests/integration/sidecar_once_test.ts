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

/** Runs `once` with `--timeout 30s`; returns its exit code, output and how long it took. */
async function onceFor(configPath: string, env: Record<string, string>) {
  const started = Date.now();
  await using sidecar = startSidecar({
    args: ["once", "--config", configPath, "--timeout", "30s"],
    env,
  });
  const { code } = await sidecar.status;
  return { code, output: sidecar.stdout() + sidecar.stderr(), ms: Date.now() - started };
}

Deno.test("once ends at once, with exit 1 and the reason, when the server rejects the token", async () => {
  await using bao = await startOpenBao();
  await using dir = await tmpDir();
  await Deno.mkdir(dir.join("out"));
  const configPath = dir.join("config.yaml");
  await Deno.writeTextFile(configPath, config(dir.join("out")));
  const wrongToken = `wrong-${crypto.randomUUID()}`;
  const result = await onceFor(configPath, {
    VAULT_ADDR: bao.address,
    VAULT_TOKEN: wrongToken,
    STATUS_FILE: dir.join("status"),
  });
  assertEquals(result.code, 1, result.output);
  assert(result.ms < 10_000, `took ${result.ms} ms (the timeout is 30 s)`);
  assertStringIncludes(
    result.output,
    'Cannot read secret \\"secret/app/db\\": not logged in to Vault: the token was rejected by the server (HTTP 403)',
  );
  assertNotIncludes(result.output, wrongToken);
});

Deno.test("once ends at once when AppRole rejects the secret-id or the token file cannot be read", async () => {
  await using bao = await startOpenBao();
  await using dir = await tmpDir();
  await Deno.mkdir(dir.join("out"));
  await bao.enableAppRole();
  await bao.createRole("app");
  const roleId = await bao.roleId("app");
  const wrongSecretId = crypto.randomUUID();
  const approle = config(dir.join("out")).replace(
    '  authMethod: token\n  token: "${VAULT_TOKEN}"\n',
    `  authMethod: approle\n  roleId: ${roleId}\n  secretId: "\${WRONG_SECRET_ID}"\n`,
  );
  const tokenFile = config(dir.join("out")).replace(
    '  token: "${VAULT_TOKEN}"\n',
    `  tokenFile: ${dir.join("missing-token")}\n`,
  );
  const cases: Array<[string, string]> = [
    [
      approle,
      "not logged in to Vault: AppRole login rejected: invalid role or secret ID (HTTP 400)",
    ],
    [
      tokenFile,
      `not logged in to Vault: cannot read token file \\"${
        dir.join("missing-token")
      }\\": No such file or directory`,
    ],
  ];
  for (const [text, reason] of cases) {
    const configPath = dir.join("config.yaml");
    await Deno.writeTextFile(configPath, text);
    const result = await onceFor(configPath, {
      VAULT_ADDR: bao.address,
      WRONG_SECRET_ID: wrongSecretId,
      STATUS_FILE: dir.join("status"),
    });
    assertEquals(result.code, 1, result.output);
    assert(result.ms < 10_000, `took ${result.ms} ms (the timeout is 30 s)`);
    assertStringIncludes(result.output, reason);
    assertNotIncludes(result.output, wrongSecretId);
  }
});
