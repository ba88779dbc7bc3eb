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

Deno.test("init prints a config that validate accepts apart from this machine's paths", async () => {
  await using dir = await tmpDir();
  const path = dir.join("config.yaml");
  await Deno.writeTextFile(path, printed());
  const out: string[] = [];
  const code = await validateCommand({
    configPath: path,
    env: (n) => ENV[n],
    out: (l) => out.push(l),
    err: (l) => out.push(l),
    query: () => Promise.resolve({ state: "granted" } as Deno.PermissionStatus),
  });
  assertEquals(code, 0, out.join("\n"));
  assertStringIncludes(out.join("\n"), "1 secret(s), 1 file(s)");
});

Deno.test("init explains itself in comments", () => {
  const text = printed();
  assertStringIncludes(text, "# secrets-sync config");
  assertStringIncludes(text, "secrets-sync permissions -c config.yaml");
});
