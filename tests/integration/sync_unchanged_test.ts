/**
 * An unchanged secret, end to end on the real server: refreshes read it every interval and leave
 * its file alone (the syncer skips render and write when the version is the same and the file is
 * intact), and a file deleted, edited or chmod-ed behind the sidecar's back is put back at the
 * next refresh.
 */
import {
  assert,
  assertEquals,
  assertGreaterOrEqual,
  assertNoLeaks,
  auditReads,
  sleep,
} from "./sync_support.ts";
import { startOpenBao } from "../support/openbao.ts";
import { configYaml } from "../support/config_yaml.ts";
import { readIfExists, startSidecar } from "../support/sidecar.ts";
import { tmpDir } from "../support/tmp_dir.ts";

Deno.test("unchanged refreshes leave the file untouched; a file deleted, edited or chmod-ed behind the sidecar's back is restored", async () => {
  await using dir = await tmpDir();
  const audit = dir.join("audit.log");
  await using bao = await startOpenBao({ auditFile: audit });
  const password = `pw-${crypto.randomUUID()}`;
  await bao.writeKv2("secret", "app/db", { password });
  const file = dir.join("db.env");
  const expected = `PASSWORD=${password}\n`;
  const configPath = dir.join("config.yaml");
  await Deno.writeTextFile(
    configPath,
    configYaml([{
      name: "db",
      key: "app/db",
      refreshInterval: "500ms",
      template: { env: "PASSWORD={{ .password }}\n" },
      files: [{ path: file, mode: "0600" }],
    }]),
  );
  await using sidecar = startSidecar({
    args: ["run", "--config", configPath],
    env: { VAULT_ADDR: bao.address, VAULT_TOKEN: bao.rootToken, STATUS_FILE: dir.join("status") },
  });
  await sidecar.waitFor(async () => (await readIfExists(file)) === expected, "the first sync");
  const written = () =>
    sidecar.logs().filter((l) => String(l.message).startsWith('Synced "db": wrote')).length;

  // Several refreshes of an unchanged secret: read from the server each time, file untouched.
  const first = await Deno.lstat(file);
  const readsBefore = await auditReads(audit, "secret/data/app/db");
  await sleep(2_500);
  const reads = (await auditReads(audit, "secret/data/app/db")) - readsBefore;
  assertGreaterOrEqual(reads, 3, `reads in 2.5 s at a 0.5 s interval: ${reads}`);
  const later = await Deno.lstat(file);
  assertEquals([later.ino, later.mtime?.getTime()], [first.ino, first.mtime?.getTime()]);
  assertEquals(written(), 1);

  // Deleted: written again.
  await Deno.remove(file);
  await sidecar.waitFor(
    async () => (await readIfExists(file)) === expected,
    "restore after delete",
  );

  // Edited in place, same size: the new inode/mtime gives it away; written again.
  const tampered = expected.replace("pw-", "PW-");
  assertEquals(tampered.length, expected.length);
  await sleep(20);
  await Deno.writeTextFile(file, tampered);
  await sidecar.waitFor(async () => (await readIfExists(file)) === expected, "restore after edit");

  // Mode widened: narrowed again (content untouched).
  await Deno.chmod(file, 0o644);
  await sidecar.waitFor(
    async () => ((await Deno.lstat(file)).mode! & 0o777) === 0o600,
    "mode restored",
  );
  assertEquals(await Deno.readTextFile(file), expected);
  assert(written() >= 3, `restorations logged as writes: ${written()}`);
  assertNoLeaks(sidecar, [password, bao.rootToken]);
});
