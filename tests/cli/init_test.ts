import { initCommand } from "../../src/cli/init.ts";
import { validateCommand } from "../../src/cli/validate.ts";
import { parseConfig } from "../../src/config/mod.ts";
import { assertEquals, assertStringIncludes } from "../support/assert.ts";
import { tmpDir } from "../support/tmp_dir.ts";

const ENV: Record<string, string> = {
  VAULT_ADDR: "https://vault.example.com:8200",
  VAULT_TOKEN: "s.example",
};

function printed(): string {
  let text = "";
  const code = initCommand({ out: (t) => text += t });
  assertEquals(code, 0);
  return text;
}

Deno.test("init prints a config that parses into a plan", () => {
  const plan = parseConfig(printed(), {
    file: "/etc/secrets-sync/config.yaml",
    env: (n) => ENV[n],
  });
  assertEquals(plan.store.addresses, ["https://vault.example.com:8200"]);
  assertEquals(plan.secrets.map((s) => s.name), ["db"]);
  assertEquals(plan.secrets[0]!.files[0]!.path, "/secrets/db.env");
  assertEquals(plan.secrets[0]!.refreshIntervalMs, 300_000);
});

/** Validates the printed config with `env`, its /secrets directory standing in a temp dir. */
async function validatePrinted(env: Record<string, string>) {
  await using dir = await tmpDir();
  const path = dir.join("config.yaml");
  // validate checks output directories on this machine: a test directory stands in for /secrets.
  await Deno.mkdir(dir.join("secrets"));
  await Deno.writeTextFile(path, printed().replaceAll(" /secrets/", ` ${dir.join("secrets")}/`));
  const out: string[] = [];
  const err: string[] = [];
  const code = await validateCommand({
    configPath: path,
    env: (n) => env[n],
    out: (l) => out.push(l),
    err: (l) => err.push(l.replaceAll(path, "config.yaml")),
    query: () => Promise.resolve({ state: "granted" } as Deno.PermissionStatus),
  });
  return { code, out, err };
}

Deno.test("init prints a config that validates with VAULT_ADDR and VAULT_TOKEN set", async () => {
  const { code, out, err } = await validatePrinted(ENV);
  assertEquals(code, 0, err.join("\n"));
  assertStringIncludes(out.join("\n"), "1 secret(s), 1 file(s)");
});

Deno.test("validate of init's config without VAULT_ADDR and VAULT_TOKEN names those variables and nothing else", async () => {
  const { code, out, err } = await validatePrinted({});
  assertEquals(code, 1);
  assertEquals(out, []);
  assertEquals(err, [
    'config.yaml:7:12: secretStore.address: Cannot expand "${VAULT_ADDR}": environment variable VAULT_ADDR is not set',
    'config.yaml:9:10: secretStore.token: Cannot expand "${VAULT_TOKEN}": environment variable VAULT_TOKEN is not set',
    "Invalid configuration: set VAULT_ADDR and VAULT_TOKEN (the config expands them), then validate again",
  ]);
});

Deno.test("init explains itself in comments", () => {
  const text = printed();
  assertStringIncludes(text, "# secrets-sync config");
  assertStringIncludes(text, "Set VAULT_ADDR and VAULT_TOKEN, then check it with:");
  assertStringIncludes(text, "secrets-sync validate -c config.yaml");
  assertStringIncludes(text, "secrets-sync permissions -c config.yaml");
});
