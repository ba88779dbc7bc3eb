import { permissionsCommand } from "../../src/cli/permissions.ts";
import { assertEquals, assertMatch, assertStringIncludes } from "../support/assert.ts";
import { tmpDir } from "../support/tmp_dir.ts";

async function permissions(text: string, env: Record<string, string> = {}) {
  await using dir = await tmpDir();
  const path = dir.join("config.yaml");
  await Deno.writeTextFile(path, text);
  const out: string[] = [];
  const err: string[] = [];
  const code = await permissionsCommand({
    configPath: path,
    env: (n) => env[n],
    out: (l) => out.push(l),
    err: (l) => err.push(l),
  });
  const strip = (l: string) => l.replaceAll(dir.path, "DIR");
  return { code, out: out.map(strip), err: err.map(strip) };
}

const CONFIG = `secretStore:
  address: "\${VAULT_ADDR}"
  token: "\${VAULT_TOKEN}"
settings:
  statusFile: /run/secrets-sync/ready
  metrics:
    addr: 0.0.0.0
    port: 9090
secrets:
  - name: db
    key: app/db
    template:
      data:
        db.env: "P={{ .password }}"
    files:
      - path: /secrets/db.env
    onChange:
      - command: ["/usr/local/bin/reload-app"]
`;

Deno.test("permissions prints the narrowest flags on one line", async () => {
  const result = await permissions(CONFIG, {
    VAULT_ADDR: "https://vault.internal:8200",
    VAULT_TOKEN: "s.x",
  });
  assertEquals(result.code, 0);
  assertEquals(result.err, []);
  assertEquals(result.out.length, 1);
  const flags = result.out[0]!.split(" ");
  assertEquals(flags.map((f) => f.split("=")[0]), [
    "--allow-read",
    "--allow-write",
    "--allow-net",
    "--allow-env",
    "--allow-run",
  ]);
  assertEquals(flags[0], "--allow-read=/run/secrets-sync,/secrets,DIR/config.yaml");
  assertEquals(flags[1], "--allow-write=/run/secrets-sync,/secrets");
  assertEquals(flags[2], "--allow-net=0.0.0.0:9090,vault.internal:8200");
  assertEquals(flags[4], "--allow-run=/usr/local/bin/reload-app");
  for (const name of ["VAULT_ADDR", "VAULT_TOKEN", "LOG_TOKENS", "PATH"]) {
    assertStringIncludes(flags[3]!, name);
  }
});

Deno.test("permissions reads the config directory when watching", async () => {
  const result = await permissions(CONFIG.replace("settings:", "settings:\n  watch: true"), {
    VAULT_ADDR: "https://vault.internal:8200",
    VAULT_TOKEN: "s.x",
  });
  assertMatch(result.out[0]!, /^--allow-read=\/run\/secrets-sync,\/secrets,DIR /);
});

Deno.test("permissions exits 1 with the issues when the config is invalid", async () => {
  const result = await permissions(CONFIG, { VAULT_TOKEN: "s.x" });
  assertEquals(result.code, 1);
  assertEquals(result.out, []);
  assertEquals(result.err, [
    'Invalid configuration:\nDIR/config.yaml:2:12: secretStore.address: Cannot expand "${VAULT_ADDR}": environment variable VAULT_ADDR is not set',
  ]);
});

Deno.test("permissions exits 2 when the config cannot be read", async () => {
  const err: string[] = [];
  const code = await permissionsCommand({
    configPath: "/nonexistent/config.yaml",
    env: () => undefined,
    out: () => {},
    err: (l) => err.push(l),
  });
  assertEquals(code, 2);
  assertEquals(err, ["/nonexistent/config.yaml: Cannot read config: no such file"]);
});

Deno.test("permissions exits 1 for a path that cannot be written as a flag", async () => {
  const result = await permissions(CONFIG.replace("/secrets/db.env", '"/my secrets/db.env"'), {
    VAULT_ADDR: "https://vault.internal:8200",
    VAULT_TOKEN: "s.x",
  });
  assertEquals(result.code, 1);
  assertStringIncludes(result.err[0]!, 'Cannot write --allow-read for "/my secrets"');
});
