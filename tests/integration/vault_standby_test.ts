/**
 * Standbys: a node that answers 307 to the active node (OpenBao with request forwarding off).
 * The sidecar follows the redirect only to an address it was configured with, so the token never
 * goes to a host it was not given.
 */
import { assertEquals, assertNotIncludes, assertStringIncludes } from "../support/assert.ts";
import { startOpenBao } from "../support/openbao.ts";
import { readIfExists, startSidecar } from "../support/sidecar.ts";
import { tmpDir } from "../support/tmp_dir.ts";

function config(addresses: string[], out: string): string {
  return `
secretStore:
  address: [${addresses.map((a) => `"${a}"`).join(", ")}]
  authMethod: token
  token: "\${VAULT_TOKEN}"
settings:
  metrics: { enabled: false }
secrets:
  - name: db
    key: app/db
    mountPath: secret
    refreshInterval: 1s
    template: { data: { pw: "{{ .password }}" } }
    files: [{ path: ${out} }]
`;
}

Deno.test("once follows a standby's 307 to the active node it was configured with", async () => {
  await using active = await startOpenBao();
  await using standby = await startOpenBao({ standbyOf: active.address });
  const health = await standby.api("GET", "sys/health", { token: null });
  assertEquals([health.status, health.body.standby], [429, true]);
  await using dir = await tmpDir();
  const password = `pw-${crypto.randomUUID()}`;
  await active.writeKv2("secret", "app/db", { password });
  const configPath = dir.join("config.yaml");
  await Deno.writeTextFile(configPath, config([standby.address, active.address], dir.join("pw")));
  await using sidecar = startSidecar({
    args: ["once", "--config", configPath, "--timeout", "10s"],
    env: { VAULT_TOKEN: active.rootToken, STATUS_FILE: dir.join("status") },
  });
  const status = await sidecar.status;
  assertEquals(status.code, 0, sidecar.stdout() + sidecar.stderr());
  assertEquals(await Deno.readTextFile(dir.join("pw")), password);
  assertNotIncludes(sidecar.stdout() + sidecar.stderr(), password);
  assertNotIncludes(sidecar.stdout() + sidecar.stderr(), active.rootToken);
});

Deno.test("once does not follow a standby's redirect to a node it was not configured with", async () => {
  await using active = await startOpenBao();
  await using standby = await startOpenBao({ standbyOf: active.address });
  await using dir = await tmpDir();
  await active.writeKv2("secret", "app/db", { password: "never-written" });
  const configPath = dir.join("config.yaml");
  await Deno.writeTextFile(configPath, config([standby.address], dir.join("pw")));
  await using sidecar = startSidecar({
    args: ["once", "--config", configPath, "--timeout", "3s"],
    env: { VAULT_TOKEN: active.rootToken, STATUS_FILE: dir.join("status") },
  });
  const status = await sidecar.status;
  assertEquals(status.code, 1);
  assertEquals(await readIfExists(dir.join("pw")), undefined);
  const output = sidecar.stdout() + sidecar.stderr();
  assertStringIncludes(output.toLowerCase(), "redirect");
  assertNotIncludes(output, active.rootToken);
});
