/**
 * The examples in docs/permissions.md and docs/migrating-from-secrets-sync-go.md, run: a doc that
 * drifts from the code fails here.
 */
import { permissionsCommand } from "../../src/cli/permissions.ts";
import { validateCommand } from "../../src/cli/validate.ts";
import { parseConfig } from "../../src/config/mod.ts";
import { assert, assertEquals } from "../support/assert.ts";
import { tmpDir } from "../support/tmp_dir.ts";

const DOCS = new URL("../../docs/", import.meta.url);

/** The fenced block that follows `<!-- marker -->` in a doc. */
async function block(doc: string, marker: string): Promise<string> {
  const text = await Deno.readTextFile(new URL(doc, DOCS));
  const at = text.indexOf(`<!-- ${marker} -->`);
  assert(at >= 0, `${doc} has no <!-- ${marker} -->`);
  const match = text.slice(at).match(/```[a-z]*\n([\s\S]*?)```/);
  assert(match, `${doc}: no code block after ${marker}`);
  return match[1]!;
}

const ENV: Record<string, string> = {
  VAULT_ADDR: "https://vault.internal:8200",
  VAULT_TOKEN: "s.docs-example",
};

Deno.test("docs/permissions.md shows exactly what permissions prints for its example", async () => {
  const config = await block("permissions.md", "permissions-example: config");
  const expected = (await block("permissions.md", "permissions-example: output")).trim()
    .split("\n").join(" ");
  await using dir = await tmpDir();
  const path = dir.join("config.yaml");
  await Deno.writeTextFile(path, config);
  let line = "";
  const code = await permissionsCommand({
    configPath: path,
    env: () => undefined,
    out: (l) => line = l,
    err: (l) => line = l,
  });
  assertEquals(code, 0, line);
  // The doc places the config at /etc/secrets-sync/config.yaml; keep the list sorted as printed.
  const read = line.match(/^--allow-read=(\S+)/)![1]!.split(",")
    .map((p) => p === path ? "/etc/secrets-sync/config.yaml" : p).sort();
  assertEquals(line.replace(/^--allow-read=\S+/, `--allow-read=${read.join(",")}`), expected);
});

Deno.test("the v0.1.0 config in the migration guide loads and maps files in YAML order", async () => {
  const text = await block("migrating-from-secrets-sync-go.md", "migrate-example: v0.1.0");
  const plan = parseConfig(text, { file: "/config.yaml", env: (n) => ENV[n] });
  const files = plan.secrets[0]!.files.map((f) => [f.path, f.template]);
  assertEquals(files, [
    ["/secrets/db-username", "username"],
    ["/secrets/db-password", "password"],
  ]);
  assertEquals(plan.secrets[0]!.refreshIntervalMs, 300_000);
});

Deno.test("the migrated config in the migration guide validates", async () => {
  const text = await block("migrating-from-secrets-sync-go.md", "migrate-example: migrated");
  await using dir = await tmpDir();
  const path = dir.join("config.yaml");
  await Deno.writeTextFile(path, text);
  const lines: string[] = [];
  const code = await validateCommand({
    configPath: path,
    env: (n) => ENV[n],
    out: (l) => lines.push(l),
    err: (l) => lines.push(l),
    query: () => Promise.resolve({ state: "granted" } as Deno.PermissionStatus),
  });
  assertEquals(code, 0, lines.join("\n"));
  const plan = parseConfig(text, { file: path, env: (n) => ENV[n] });
  assertEquals(plan.settings.watch, true);
  assertEquals(plan.secrets[0]!.onChange.map((h) => h.kind), ["http"]);
});
