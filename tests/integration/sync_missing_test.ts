/**
 * A secret that disappears from Vault (latest version deleted or destroyed): its files are kept by
 * default (stale beats missing), and removed with `onMissing: delete`.
 */
import { assertEquals, assertNoLeaks, sleep } from "./sync_support.ts";
import { configYaml, type SecretYaml } from "../support/config_yaml.ts";
import { startOpenBao } from "../support/openbao.ts";
import { readIfExists, startSidecar } from "../support/sidecar.ts";
import { tmpDir } from "../support/tmp_dir.ts";

for (const how of ["deleted", "destroyed"] as const) {
  Deno.test(`a ${how} version keeps the files by default, onMissing: delete removes them`, async () => {
    await using bao = await startOpenBao();
    await using dir = await tmpDir();
    const keep = `keep-${crypto.randomUUID()}`;
    const drop = `drop-${crypto.randomUUID()}`;
    const keepVersion = await bao.writeKv2("secret", "app/keep", { value: keep });
    const dropVersion = await bao.writeKv2("secret", "app/drop", { value: drop });
    const configPath = dir.join("config.yaml");
    await Deno.writeTextFile(
      configPath,
      configYaml([
        {
          name: "keep",
          key: "app/keep",
          template: { v: "{{ .value }}" },
          files: [dir.join("keep")],
        },
        {
          name: "drop",
          key: "app/drop",
          onMissing: "delete",
          template: { v: "{{ .value }}", copy: "copy={{ .value }}" },
          files: [dir.join("drop"), dir.join("drop-copy")],
        },
      ]),
    );
    await using sidecar = startSidecar({
      args: ["run", "--config", configPath],
      env: {
        VAULT_ADDR: bao.address,
        VAULT_TOKEN: bao.rootToken,
        STATUS_FILE: dir.join("status"),
      },
    });
    await sidecar.waitFor(async () =>
      (await readIfExists(dir.join("keep"))) === keep &&
      (await readIfExists(dir.join("drop-copy"))) === `copy=${drop}`, "the first sync");
    const keepStat = await Deno.stat(dir.join("keep"));

    if (how === "deleted") {
      await bao.deleteKv2("secret", "app/keep");
      await bao.deleteKv2("secret", "app/drop");
    } else {
      await bao.destroyKv2("secret", "app/keep", [keepVersion]);
      await bao.destroyKv2("secret", "app/drop", [dropVersion]);
    }
    await sidecar.waitFor(
      async () =>
        (await readIfExists(dir.join("drop"))) === undefined &&
        (await readIfExists(dir.join("drop-copy"))) === undefined,
      "onMissing: delete to remove both files",
      5_000,
    );
    // Several more refreshes: the kept file stays as it was, the removed ones stay removed.
    await sleep(2_200);
    assertEquals(await Deno.readTextFile(dir.join("keep")), keep);
    assertEquals((await Deno.stat(dir.join("keep"))).mtime?.getTime(), keepStat.mtime?.getTime());
    assertEquals(await readIfExists(dir.join("drop")), undefined);
    const failures = sidecar.logs().filter((l) => String(l.message).startsWith("Cannot sync"));
    const kinds = new Set(failures.map((l) => (l.properties as { errorKind?: string }).errorKind));
    assertEquals([...kinds], [how]);
    const removed = failures.flatMap((l) => (l.properties as { removed?: string[] }).removed ?? []);
    assertEquals(removed.sort(), [dir.join("drop"), dir.join("drop-copy")]);

    // The secret comes back: both secrets write again.
    const back = `back-${crypto.randomUUID()}`;
    await bao.writeKv2("secret", "app/drop", { value: back });
    await sidecar.waitFor(
      async () => (await readIfExists(dir.join("drop"))) === back,
      "the secret to come back",
      5_000,
    );
    assertNoLeaks(sidecar, [keep, drop, back, bao.rootToken]);
  });
}

Deno.test("removing a secret from the config deletes its files only with deleteOnRemove", async () => {
  await using bao = await startOpenBao();
  await using dir = await tmpDir();
  const values = { a: `a-${crypto.randomUUID()}`, b: `b-${crypto.randomUUID()}` };
  await bao.writeKv2("secret", "app/a", { value: values.a });
  await bao.writeKv2("secret", "app/b", { value: values.b });
  const secret = (name: string, extra: Partial<SecretYaml> = {}): SecretYaml => ({
    name,
    key: `app/${name}`,
    template: { v: "{{ .value }}" },
    files: [dir.join(name)],
    ...extra,
  });
  const stay = secret("stay", { key: "app/a" });
  const configPath = dir.join("config.yaml");
  await Deno.writeTextFile(
    configPath,
    configYaml([stay, secret("a"), secret("b", { deleteOnRemove: true })]),
  );
  await using sidecar = startSidecar({
    args: ["run", "--config", configPath],
    env: { VAULT_ADDR: bao.address, VAULT_TOKEN: bao.rootToken, STATUS_FILE: dir.join("status") },
  });
  await sidecar.waitFor(async () =>
    (await readIfExists(dir.join("a"))) === values.a &&
    (await readIfExists(dir.join("b"))) === values.b &&
    (await readIfExists(dir.join("stay"))) === values.a, "the first sync");

  // Both secrets leave the config; SIGHUP reloads it.
  await Deno.writeTextFile(configPath, configYaml([stay]));
  sidecar.kill("SIGHUP");
  await sidecar.waitFor(
    async () => (await readIfExists(dir.join("b"))) === undefined,
    "deleteOnRemove to remove b's file",
    5_000,
  );
  await sleep(1_500);
  assertEquals(await readIfExists(dir.join("a")), values.a, "a's file is kept");
  assertEquals(await readIfExists(dir.join("stay")), values.a);
  // b is no longer synced: its file does not come back.
  assertEquals(await readIfExists(dir.join("b")), undefined);
  assertNoLeaks(sidecar, [values.a, values.b, bao.rootToken]);
});
