import { assertEquals, assertRejects, assertStrictEquals } from "../support/assert.ts";
import {
  ConfigError,
  DEFAULT_CONFIG_PATHS,
  findConfigFile,
  loadConfig,
} from "../../src/config/mod.ts";
import { tmpDir } from "../support/tmp_dir.ts";
import { envOf, MINIMAL } from "./_helpers.ts";

Deno.test("loadConfig() resolves relative paths in the config against the working directory", async () => {
  await using dir = await tmpDir();
  const path = dir.join("conf", "config.yaml");
  await Deno.mkdir(dir.join("conf"));
  await Deno.writeTextFile(path, MINIMAL.replace("/secrets/db.env", "./out/db.env"));
  const plan = await loadConfig(path, { env: envOf(), cwd: "/srv/app" });
  assertStrictEquals(plan.file, path);
  assertStrictEquals(plan.secrets[0]!.files[0]!.path, "/srv/app/out/db.env");
  // By default the process's working directory, not the config file's directory.
  const here = await loadConfig(path, { env: envOf() });
  assertStrictEquals(here.secrets[0]!.files[0]!.path, `${Deno.cwd()}/out/db.env`);
});

Deno.test("loadConfig() resolves a relative path that comes from an environment variable against the working directory", async () => {
  await using dir = await tmpDir();
  const path = dir.join("config.yaml");
  await Deno.writeTextFile(path, MINIMAL.replace("/secrets/db.env", "${OUTPUT_DIR}/db.env"));
  const plan = await loadConfig(path, {
    env: envOf({ OUTPUT_DIR: "./demo-out" }),
    cwd: "/home/u/repo",
  });
  assertStrictEquals(plan.secrets[0]!.files[0]!.path, "/home/u/repo/demo-out/db.env");
});

Deno.test("loadConfig() resolves a relative config path against cwd", async () => {
  const read: string[] = [];
  const plan = await loadConfig("conf/../conf/config.yaml", {
    env: envOf(),
    cwd: "/srv/app",
    readTextFile: (p) => {
      read.push(p);
      return Promise.resolve(MINIMAL);
    },
  });
  assertEquals(read, ["/srv/app/conf/config.yaml"]);
  assertStrictEquals(plan.file, "/srv/app/conf/config.yaml");
});

Deno.test("loadConfig() reports a missing file as a ConfigError naming it", async () => {
  await using dir = await tmpDir();
  const path = dir.join("nope.yaml");
  const err = await assertRejects(() => loadConfig(path, { env: envOf() }), ConfigError);
  assertStrictEquals(err.name, "ConfigError");
  assertStrictEquals(err.message, `${path}: Cannot read config: no such file`);
  assertStrictEquals(err.cause instanceof Deno.errors.NotFound, true);
});

Deno.test("loadConfig() reports a directory as a ConfigError", async () => {
  await using dir = await tmpDir();
  await assertRejects(() => loadConfig(dir.path, { env: envOf() }), ConfigError);
});

Deno.test("loadConfig() passes validation errors through with the absolute file name", async () => {
  await using dir = await tmpDir();
  const path = dir.join("config.yaml");
  await Deno.writeTextFile(path, MINIMAL.replace("key: app/db", "key: app/db\n    kvVersion: 3"));
  const err = await assertRejects(() => loadConfig(path, { env: envOf() }), ConfigError);
  assertEquals(err.issues.map((i) => [i.file, i.line, i.column, i.key]), [
    [path, 7, 16, "secrets[0].kvVersion"],
  ]);
});

Deno.test("findConfigFile() prefers the flag", () => {
  assertStrictEquals(
    findConfigFile({ flag: "/a.yaml", env: envOf({ CONFIG_FILE: "/b.yaml" }), exists: () => true }),
    "/a.yaml",
  );
});

Deno.test("findConfigFile() uses CONFIG_FILE without a flag", () => {
  assertStrictEquals(
    findConfigFile({ env: envOf({ CONFIG_FILE: "/b.yaml" }), exists: () => true }),
    "/b.yaml",
  );
});

Deno.test("findConfigFile() tries ./config.yaml, then /etc/secrets-sync/config.yaml", () => {
  const asked: string[] = [];
  const found = findConfigFile({
    env: envOf(),
    exists: (p) => {
      asked.push(p);
      return p === "/etc/secrets-sync/config.yaml";
    },
  });
  assertStrictEquals(found, "/etc/secrets-sync/config.yaml");
  assertEquals(asked, [...DEFAULT_CONFIG_PATHS]);
  assertStrictEquals(
    findConfigFile({ env: envOf(), exists: (p) => p === "./config.yaml" }),
    "./config.yaml",
  );
});

Deno.test("findConfigFile() falls back to ./config.yaml when nothing exists", () => {
  assertStrictEquals(
    findConfigFile({ env: envOf({ CONFIG_FILE: "" }), exists: () => false }),
    "./config.yaml",
  );
});
