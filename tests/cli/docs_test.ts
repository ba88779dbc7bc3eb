/**
 * The examples in docs/permissions.md and docs/migrating-from-secrets-sync-go.md, run, and the
 * limits the docs state, checked against the code's constants: a doc that drifts from the code
 * fails here.
 */
import { permissionsCommand } from "../../src/cli/permissions.ts";
import { validateCommand } from "../../src/cli/validate.ts";
import {
  formatDuration,
  parseConfig,
  parseDuration,
  SECRET_DEFAULTS,
} from "../../src/config/mod.ts";
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
  // validate checks the output directories on this machine: a directory of the test stands in
  // for the container's /secrets volume.
  await Deno.mkdir(dir.join("secrets"));
  await Deno.writeTextFile(path, text.replaceAll(" /secrets/", ` ${dir.join("secrets")}/`));
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

/** README.md and every page of docs/, by name. */
async function allDocs(): Promise<Map<string, string>> {
  const docs = new Map<string, string>();
  docs.set("README.md", await Deno.readTextFile(new URL("../README.md", DOCS)));
  for await (const entry of Deno.readDir(DOCS)) {
    if (entry.isFile && entry.name.endsWith(".md")) {
      docs.set(`docs/${entry.name}`, await Deno.readTextFile(new URL(entry.name, DOCS)));
    }
  }
  return docs;
}

/** Table rows one by one; list items and prose paragraphs split into sentences. */
function statements(text: string): string[] {
  const out: string[] = [];
  for (const block of text.split(/\n\s*\n/)) {
    if (block.trimStart().startsWith("|")) {
      out.push(...block.split("\n"));
      continue;
    }
    for (const item of block.split(/\n(?=\s*(?:[-*]|\d+\.) )/)) {
      out.push(...item.replace(/\s*\n\s*/g, " ").split(/(?<=\.)\s+(?=[A-Z`*])/));
    }
  }
  return out;
}

const DURATION = String.raw`\`?(\d+(?:\.\d+)?)\s?(ms|s|m|h)\b\`?`;
/** Ways the docs state a minimum: "≥ 100ms", "at least 1s", "as short as 1s", "100ms (the minimum)". */
const MINIMUM_PATTERNS = [
  new RegExp(
    String.raw`(?:≥|>=|at least|as short as|minimum(?: \`?refreshInterval\`?)? is)\s*${DURATION}`,
    "g",
  ),
  new RegExp(String.raw`${DURATION}\s*\(the minimum\)`, "g"),
];

Deno.test("every minimum refreshInterval the docs state is the one the config loader enforces", async () => {
  const expected = SECRET_DEFAULTS.minRefreshIntervalMs;
  const found: string[] = [];
  const wrong: string[] = [];
  for (const [name, text] of await allDocs()) {
    for (const statement of statements(text)) {
      if (!statement.includes("refreshInterval")) continue;
      for (const pattern of MINIMUM_PATTERNS) {
        for (const match of statement.matchAll(pattern)) {
          const ms = parseDuration(`${match[1]}${match[2]}`);
          found.push(name);
          if (ms !== expected) wrong.push(`${name}: "${match[0]}" in: ${statement.trim()}`);
        }
      }
    }
  }
  assertEquals(
    wrong,
    [],
    `the code's minimum refreshInterval is ${formatDuration(expected)} (SECRET_DEFAULTS)`,
  );
  // The pages that state it, so the check above cannot pass by finding nothing.
  for (
    const page of [
      "docs/configuration.md",
      "docs/migrating-from-secrets-sync-go.md",
      "docs/sync.md",
    ]
  ) {
    assert(found.includes(page), `${page} no longer states the minimum refreshInterval`);
  }
});

Deno.test("a refreshInterval below the minimum is rejected with the minimum in the message", () => {
  const min = SECRET_DEFAULTS.minRefreshIntervalMs;
  const text = `secretStore: { address: "http://127.0.0.1:8200", token: t }
secrets:
  - name: db
    key: app/db
    refreshInterval: ${formatDuration(min - 1)}
    template: { data: { env: x } }
    files: [{ path: /secrets/db.env }]
`;
  let message = "";
  try {
    parseConfig(text, { file: "/config.yaml", env: () => undefined });
  } catch (error) {
    message = (error as Error).message;
  }
  assert(
    message.includes(`Must be at least ${formatDuration(min)}`),
    `expected the minimum ${formatDuration(min)} in: ${message}`,
  );
  // Exactly the minimum is accepted.
  parseConfig(text.replace(formatDuration(min - 1), formatDuration(min)), {
    file: "/config.yaml",
    env: () => undefined,
  });
});
