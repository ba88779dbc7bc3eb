/**
 * `HTTP_PORT`, secrets-sync v0.1.0's name of `METRICS_PORT`, end to end: a sidecar started with it
 * serves `/ready` on that port and says once, at start, that the variable has a new name.
 */
import { assertEquals } from "../support/assert.ts";
import { freePort } from "../support/free_port.ts";
import { startOpenBao } from "../support/openbao.ts";
import { configYaml } from "../support/config_yaml.ts";
import { startSidecar } from "../support/sidecar.ts";
import { tmpDir } from "../support/tmp_dir.ts";

/** One secret; metrics (the HTTP port) left to the environment. */
function config(out: string): string {
  return configYaml([{
    name: "db",
    key: "app/db",
    template: { "db.env": "DB_PASSWORD={{ .password }}" },
    files: [`${out}/db.env`],
  }], { settings: { metrics: undefined } });
}

async function readyStatus(port: number): Promise<number | undefined> {
  try {
    const res = await fetch(`http://127.0.0.1:${port}/ready`);
    await res.body?.cancel();
    return res.status;
  } catch {
    return undefined;
  }
}

Deno.test("a sidecar started with HTTP_PORT serves /ready there and warns to rename it", async () => {
  await using bao = await startOpenBao();
  await bao.writeKv2("secret", "app/db", { password: `pw-${crypto.randomUUID()}` });
  await using dir = await tmpDir();
  await Deno.writeTextFile(dir.join("config.yaml"), config(dir.path));
  const port = freePort();
  await using sidecar = startSidecar({
    args: ["run", "--config", dir.join("config.yaml")],
    env: {
      VAULT_ADDR: bao.address,
      VAULT_TOKEN: bao.rootToken,
      STATUS_FILE: dir.join("status"),
      HTTP_PORT: String(port),
    },
  });
  await sidecar.waitFor(async () => (await readyStatus(port)) === 200, "200 on HTTP_PORT");
  const warnings = sidecar.logs().filter((l) => String(l.message).includes("HTTP_PORT"));
  assertEquals(warnings.map((l) => [l.level, l.message]), [
    ["warning", 'Environment variable "HTTP_PORT" is read as "METRICS_PORT": rename it'],
  ]);
});

Deno.test("HTTP_PORT next to METRICS_PORT is ignored, with a warning", async () => {
  await using bao = await startOpenBao();
  await bao.writeKv2("secret", "app/db", { password: `pw-${crypto.randomUUID()}` });
  await using dir = await tmpDir();
  await Deno.writeTextFile(dir.join("config.yaml"), config(dir.path));
  const port = freePort();
  await using sidecar = startSidecar({
    args: ["run", "--config", dir.join("config.yaml")],
    env: {
      VAULT_ADDR: bao.address,
      VAULT_TOKEN: bao.rootToken,
      STATUS_FILE: dir.join("status"),
      METRICS_PORT: String(port),
      HTTP_PORT: "1",
    },
  });
  await sidecar.waitFor(async () => (await readyStatus(port)) === 200, "200 on METRICS_PORT");
  const warnings = sidecar.logs().filter((l) => String(l.message).includes("HTTP_PORT"));
  assertEquals(warnings.map((l) => [l.level, l.message]), [
    [
      "warning",
      'Environment variable "HTTP_PORT" is ignored: "METRICS_PORT", its new name, is set',
    ],
  ]);
});
