/**
 * Config reload end to end against a real server: SIGHUP and (with WATCH_CONFIG=true) file
 * changes, including an editor's rename-save and a Kubernetes ConfigMap `..data` symlink swap.
 * A broken config never replaces the running one.
 *
 * Tests marked "(needs wiring)" pass once `run` starts `watchConfig()` when `settings.watch` is on.
 */
import { assert, assertEquals, assertMatch, assertNotIncludes } from "../support/assert.ts";
import { configYaml } from "../support/config_yaml.ts";
import { type OpenBao, startOpenBao } from "../support/openbao.ts";
import { readIfExists, type Sidecar, startSidecar } from "../support/sidecar.ts";
import { type TmpDir, tmpDir } from "../support/tmp_dir.ts";

interface SecretSpec {
  name: string;
  template?: string;
}

function config(dir: TmpDir, secrets: SecretSpec[], store: Record<string, unknown> = {}): string {
  return configYaml(
    secrets.map((s) => ({
      name: s.name,
      key: `app/${s.name}`,
      mountPath: "secret",
      kvVersion: "v2",
      deleteOnRemove: true,
      template: { out: s.template ?? `${s.name}={{ .value }}` },
      files: [dir.join(`out/${s.name}.txt`)],
    })),
    { store: { authMethod: "token", ...store } },
  );
}

function start(
  bao: OpenBao,
  dir: TmpDir,
  configPath: string,
  env: Record<string, string> = {},
): Sidecar {
  return startSidecar({
    args: ["run", "--config", configPath],
    env: {
      VAULT_ADDR: bao.address,
      VAULT_TOKEN: bao.rootToken,
      STATUS_FILE: dir.join("status"),
      ...env,
    },
  });
}

async function fileIs(path: string, content: string | undefined): Promise<boolean> {
  return (await readIfExists(path)) === content;
}

/** A sidecar syncing one secret, `a`, from a fresh config, once its first sync is in the file. */
async function syncingA(bao: OpenBao, dir: TmpDir) {
  await Deno.mkdir(dir.join("out"));
  await seed(bao, ["a"]);
  const configPath = dir.join("config.yaml");
  await Deno.writeTextFile(configPath, config(dir, [{ name: "a" }]));
  const sidecar = start(bao, dir, configPath);
  const a = dir.join("out/a.txt");
  try {
    await sidecar.waitFor(() => fileIs(a, "a=a-1"), "the first sync");
  } catch (error) {
    await sidecar[Symbol.asyncDispose]();
    throw error;
  }
  return { configPath, a, sidecar };
}

async function seed(bao: OpenBao, names: string[]): Promise<void> {
  for (const name of names) await bao.writeKv2("secret", `app/${name}`, { value: `${name}-1` });
}

/** Writes the file the way editors save: a temp file in the same directory, then rename. */
async function saveByRename(path: string, text: string): Promise<void> {
  const temp = `${path}.tmp-${crypto.randomUUID()}`;
  await Deno.writeTextFile(temp, text);
  await Deno.rename(temp, path);
}

Deno.test("SIGHUP reload adds, changes and removes secrets", async () => {
  await using bao = await startOpenBao();
  await using dir = await tmpDir();
  await Deno.mkdir(dir.join("out"));
  await seed(bao, ["a", "b"]);
  const configPath = dir.join("config.yaml");
  await Deno.writeTextFile(configPath, config(dir, [{ name: "a" }]));
  await using sidecar = start(bao, dir, configPath);
  const a = dir.join("out/a.txt");
  const b = dir.join("out/b.txt");
  await sidecar.waitFor(() => fileIs(a, "a=a-1"), "the first sync of a");

  await Deno.writeTextFile(configPath, config(dir, [{ name: "a" }, { name: "b" }]));
  sidecar.kill("SIGHUP");
  await sidecar.waitFor(() => fileIs(b, "b=b-1"), "b to be added");

  await Deno.writeTextFile(
    configPath,
    config(dir, [{ name: "a", template: "A is {{ .value }}" }, { name: "b" }]),
  );
  sidecar.kill("SIGHUP");
  await sidecar.waitFor(() => fileIs(a, "A is a-1"), "a's template change");

  await Deno.writeTextFile(configPath, config(dir, [{ name: "a", template: "A is {{ .value }}" }]));
  sidecar.kill("SIGHUP");
  await sidecar.waitFor(() => fileIs(b, undefined), "b to be removed (deleteOnRemove)");

  await bao.writeKv2("secret", "app/a", { value: "a-2" });
  await sidecar.waitFor(() => fileIs(a, "A is a-2"), "a to keep syncing");
  sidecar.kill("SIGTERM");
  assertEquals((await sidecar.status).code, 0);
});

Deno.test("SIGHUP with broken YAML keeps the running config and logs file:line:column", async () => {
  await using bao = await startOpenBao();
  await using dir = await tmpDir();
  const { configPath, a, sidecar: running } = await syncingA(bao, dir);
  await using sidecar = running;

  await Deno.writeTextFile(configPath, config(dir, [{ name: "a" }]) + "  - name: [unclosed\n");
  sidecar.kill("SIGHUP");
  await sidecar.waitFor(
    () => sidecar.stdout().includes("Config reload rejected"),
    "the rejection to be logged",
  );
  const rejected = sidecar.logs().find((l) => String(l.message).includes("reload rejected"))!;
  assertMatch(JSON.stringify(rejected), new RegExp(`${configPath}:\\d+:\\d+`));

  await bao.writeKv2("secret", "app/a", { value: "a-2" });
  await sidecar.waitFor(() => fileIs(a, "a=a-2"), "the old config to keep syncing");
  sidecar.kill("SIGTERM");
  assertEquals((await sidecar.status).code, 0);
  assertNotIncludes(sidecar.stdout() + sidecar.stderr(), bao.rootToken);
});

Deno.test("SIGHUP to a config whose CA file is missing or garbage is rejected; the old config keeps syncing", async () => {
  await using bao = await startOpenBao();
  await using dir = await tmpDir();
  const { configPath, a, sidecar: running } = await syncingA(bao, dir);
  await using sidecar = running;

  const garbage = dir.join("garbage.pem");
  await Deno.writeTextFile(
    garbage,
    "-----BEGIN CERTIFICATE-----\nnot base64 at all!\n-----END CERTIFICATE-----\n",
  );
  for (const [n, caFile] of [[1, dir.join("missing.pem")], [2, garbage]] as const) {
    const withCa = config(dir, [{ name: "a" }], { tlsCACert: caFile });
    await Deno.writeTextFile(configPath, withCa);
    sidecar.kill("SIGHUP");
    await sidecar.waitFor(
      () =>
        sidecar.logs().filter((l) => String(l.message).includes("reload rejected")).length === n,
      `the rejection of ${caFile}`,
    );
    const rejected = sidecar.logs().filter((l) => String(l.message).includes("reload rejected"))[
      n - 1
    ]!;
    // The error points at the tlsCACert value: its line in the file, column 14.
    const line = withCa.split("\n").findIndex((l) => l.startsWith("  tlsCACert:")) + 1;
    assertMatch(
      JSON.stringify(rejected),
      new RegExp(
        `${configPath}:${line}:14: secretStore\\.tlsCACert: Cannot load CA certificate`,
      ),
    );
    await bao.writeKv2("secret", "app/a", { value: `a-${n + 1}` });
    await sidecar.waitFor(() => fileIs(a, `a=a-${n + 1}`), "the old config to keep syncing");
  }
  sidecar.kill("SIGTERM");
  assertEquals((await sidecar.status).code, 0, sidecar.stderr());
  assertNotIncludes(sidecar.stdout() + sidecar.stderr(), bao.rootToken);
});

Deno.test("SIGHUP follows a ConfigMap-style ..data symlink swap", async () => {
  await using bao = await startOpenBao();
  await using dir = await tmpDir();
  await Deno.mkdir(dir.join("out"));
  await seed(bao, ["a", "b"]);
  const configPath = await configMap(dir, config(dir, [{ name: "a" }]));
  await using sidecar = start(bao, dir, configPath);
  await sidecar.waitFor(() => fileIs(dir.join("out/a.txt"), "a=a-1"), "the first sync");
  await swapConfigMap(dir, config(dir, [{ name: "a" }, { name: "b" }]));
  sidecar.kill("SIGHUP");
  await sidecar.waitFor(() => fileIs(dir.join("out/b.txt"), "b=b-1"), "b from the new ..data");
  sidecar.kill("SIGTERM");
  assertEquals((await sidecar.status).code, 0);
});

/** Lays out `cm/` as the kubelet does: config.yaml -> ..data/config.yaml, ..data -> ..<ts>. */
async function configMap(dir: TmpDir, text: string): Promise<string> {
  await Deno.mkdir(dir.join("cm/..2026_01_01_00_00_00.1"), { recursive: true });
  await Deno.writeTextFile(dir.join("cm/..2026_01_01_00_00_00.1/config.yaml"), text);
  await Deno.symlink("..2026_01_01_00_00_00.1", dir.join("cm/..data"));
  await Deno.symlink("..data/config.yaml", dir.join("cm/config.yaml"));
  return dir.join("cm/config.yaml");
}

let generation = 1;

/** Swaps a new version in the kubelet's way: new dir, ..data_tmp symlink, rename over ..data. */
async function swapConfigMap(dir: TmpDir, text: string): Promise<void> {
  const old = await Deno.readLink(dir.join("cm/..data"));
  const name = `..2026_01_01_00_00_00.${++generation}`;
  await Deno.mkdir(dir.join(`cm/${name}`));
  await Deno.writeTextFile(dir.join(`cm/${name}/config.yaml`), text);
  await Deno.symlink(name, dir.join("cm/..data_tmp"));
  await Deno.rename(dir.join("cm/..data_tmp"), dir.join("cm/..data"));
  await Deno.remove(dir.join(`cm/${old}`), { recursive: true });
}

Deno.test("WATCH_CONFIG=true applies an edit without a signal (needs wiring)", async () => {
  await using bao = await startOpenBao();
  await using dir = await tmpDir();
  await Deno.mkdir(dir.join("out"));
  await seed(bao, ["a", "b"]);
  const configPath = dir.join("config.yaml");
  await Deno.writeTextFile(configPath, config(dir, [{ name: "a" }]));
  await using sidecar = start(bao, dir, configPath, { WATCH_CONFIG: "true" });
  await sidecar.waitFor(() => fileIs(dir.join("out/a.txt"), "a=a-1"), "the first sync");

  // In place, as `>` redirection or a plain write does.
  await Deno.writeTextFile(configPath, config(dir, [{ name: "a" }, { name: "b" }]));
  await sidecar.waitFor(() => fileIs(dir.join("out/b.txt"), "b=b-1"), "b to be added");

  // As editors save: write a temp file, rename it over the config.
  await saveByRename(configPath, config(dir, [{ name: "b" }]));
  await sidecar.waitFor(() => fileIs(dir.join("out/a.txt"), undefined), "a to be removed");
  // The reload logs its summary after it removed the files: wait for it rather than race it.
  const reloads = () =>
    sidecar.logs().filter((l) => String(l.message).startsWith("Config reloaded")).length;
  await sidecar.waitFor(() => Promise.resolve(reloads() >= 2), "the second reload's log line");
  sidecar.kill("SIGTERM");
  assertEquals((await sidecar.status).code, 0);
  assertEquals(reloads(), 2, "one reload per change (debounced)");
});

Deno.test("WATCH_CONFIG=true follows a ConfigMap ..data symlink swap (needs wiring)", async () => {
  await using bao = await startOpenBao();
  await using dir = await tmpDir();
  await Deno.mkdir(dir.join("out"));
  await seed(bao, ["a", "b"]);
  const configPath = await configMap(dir, config(dir, [{ name: "a" }]));
  await using sidecar = start(bao, dir, configPath, { WATCH_CONFIG: "true" });
  await sidecar.waitFor(() => fileIs(dir.join("out/a.txt"), "a=a-1"), "the first sync");
  await swapConfigMap(dir, config(dir, [{ name: "a" }, { name: "b" }]));
  await sidecar.waitFor(() => fileIs(dir.join("out/b.txt"), "b=b-1"), "b from the new ..data");
  await swapConfigMap(dir, config(dir, [{ name: "b" }]));
  await sidecar.waitFor(() => fileIs(dir.join("out/a.txt"), undefined), "a to be removed");
  sidecar.kill("SIGTERM");
  assertEquals((await sidecar.status).code, 0);
});

Deno.test("WATCH_CONFIG=true keeps the running config when the file breaks (needs wiring)", async () => {
  await using bao = await startOpenBao();
  await using dir = await tmpDir();
  await Deno.mkdir(dir.join("out"));
  await seed(bao, ["a", "b"]);
  const configPath = dir.join("config.yaml");
  await Deno.writeTextFile(configPath, config(dir, [{ name: "a" }]));
  await using sidecar = start(bao, dir, configPath, { WATCH_CONFIG: "true" });
  const a = dir.join("out/a.txt");
  await sidecar.waitFor(() => fileIs(a, "a=a-1"), "the first sync");

  await Deno.writeTextFile(
    configPath,
    config(dir, [{ name: "a" }]).replace("refreshInterval: 1s", "refreshInterval: soon"),
  );
  await sidecar.waitFor(
    () => sidecar.stdout().includes("Config reload rejected"),
    "the rejection to be logged",
  );
  const rejected = sidecar.logs().find((l) => String(l.message).includes("reload rejected"))!;
  assertMatch(JSON.stringify(rejected), new RegExp(`${configPath}:\\d+:\\d+: secrets\\[0\\]`));
  await bao.writeKv2("secret", "app/a", { value: "a-2" });
  await sidecar.waitFor(() => fileIs(a, "a=a-2"), "the old config to keep syncing");

  // Fixing the file applies it.
  await Deno.writeTextFile(configPath, config(dir, [{ name: "a" }, { name: "b" }]));
  await sidecar.waitFor(() => fileIs(dir.join("out/b.txt"), "b=b-1"), "the fixed config");
  sidecar.kill("SIGTERM");
  assertEquals((await sidecar.status).code, 0);
  assert(sidecar.logs().length > 0);
});
