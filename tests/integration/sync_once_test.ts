/**
 * `once` exit codes through the real sidecar process: 0 when every secret was written, 1 when one
 * failed (the others are still written), 2 for an invalid config, 1 quickly when Vault is
 * unreachable within `--timeout`.
 */
import { freePort } from "../support/free_port.ts";
import {
  assert,
  assertEquals,
  assertNoLeaks,
  assertStringIncludes,
  storeYaml,
} from "./sync_support.ts";
import { startOpenBao } from "../support/openbao.ts";
import { readIfExists, startSidecar } from "../support/sidecar.ts";
import { tmpDir } from "../support/tmp_dir.ts";

function threeSecrets(out: (name: string) => string): string {
  return storeYaml() + ["a", "b", "c"].map((name) => `
  - name: ${name}
    key: app/${name}
    refreshInterval: 30s
    template: { data: { out: "{{ .value }}" } }
    files: [{ path: ${out(name)} }]
`).join("");
}

Deno.test("once exits 0 when every secret was written", async () => {
  await using bao = await startOpenBao();
  await using dir = await tmpDir();
  const values: Record<string, string> = {};
  for (const name of ["a", "b", "c"]) {
    values[name] = `${name}-${crypto.randomUUID()}`;
    await bao.writeKv2("secret", `app/${name}`, { value: values[name] });
  }
  const configPath = dir.join("config.yaml");
  await Deno.writeTextFile(configPath, threeSecrets((n) => dir.join(n)));
  const once = startSidecar({
    args: ["once", "--config", configPath],
    env: { VAULT_ADDR: bao.address, VAULT_TOKEN: bao.rootToken, STATUS_FILE: dir.join("status") },
  });
  assertEquals((await once.status).code, 0, once.stdout() + once.stderr());
  for (const name of ["a", "b", "c"]) {
    assertEquals(await Deno.readTextFile(dir.join(name)), values[name]);
  }
  assertNoLeaks(once, [...Object.values(values), bao.rootToken]);
});

Deno.test("once exits 1 when a policy denies one secret, and still writes the others", async () => {
  await using bao = await startOpenBao();
  await using dir = await tmpDir();
  const values: Record<string, string> = {};
  for (const name of ["a", "b", "c"]) {
    values[name] = `${name}-${crypto.randomUUID()}`;
    await bao.writeKv2("secret", `app/${name}`, { value: values[name] });
  }
  await bao.writePolicy(
    "app-ac",
    `path "secret/data/app/a" { capabilities = ["read"] }
path "secret/data/app/c" { capabilities = ["read"] }`,
  );
  const token = await bao.createToken({ policies: ["app-ac"] });
  const configPath = dir.join("config.yaml");
  await Deno.writeTextFile(configPath, threeSecrets((n) => dir.join(n)));
  const started = performance.now();
  const once = startSidecar({
    args: ["once", "--config", configPath],
    env: { VAULT_ADDR: bao.address, VAULT_TOKEN: token.token, STATUS_FILE: dir.join("status") },
  });
  assertEquals((await once.status).code, 1, once.stdout() + once.stderr());
  // 403 is permanent: no retrying until the deadline.
  assert(performance.now() - started < 10_000, "once retried a permission error");
  assertEquals(await Deno.readTextFile(dir.join("a")), values.a);
  assertEquals(await Deno.readTextFile(dir.join("c")), values.c);
  assertEquals(await readIfExists(dir.join("b")), undefined);
  const failure = once.logs().find((l) => String(l.message).startsWith("Cannot sync"));
  assertEquals((failure?.properties as { secret?: string; errorKind?: string })?.secret, "b");
  assertEquals(
    (failure?.properties as { errorKind?: string })?.errorKind,
    "permission_denied",
  );
  assertNoLeaks(once, [...Object.values(values), token.token, bao.rootToken]);
});

Deno.test("once exits 2 for an invalid config and touches no file", async () => {
  await using dir = await tmpDir();
  const configPath = dir.join("config.yaml");
  await Deno.writeTextFile(
    configPath,
    threeSecrets((n) => dir.join(n)).replace("key: app/b", "key: app/b\n    refresh: 1s"),
  );
  const once = startSidecar({
    args: ["once", "--config", configPath],
    env: { VAULT_ADDR: "http://127.0.0.1:1", VAULT_TOKEN: "s.never-used-token-value" },
  });
  assertEquals((await once.status).code, 2);
  assertStringIncludes(once.stderr(), configPath);
  assertStringIncludes(once.stderr(), "refresh");
  assertEquals(await readIfExists(dir.join("a")), undefined);
  assertNoLeaks(once, ["s.never-used-token-value"]);
});

Deno.test("once exits 1 soon after --timeout when Vault is unreachable", async () => {
  await using dir = await tmpDir();
  // A port nobody listens on: every connection is refused (transient, so retried until timeout).
  const port = freePort();
  await Deno.writeTextFile(dir.join("a"), "previous\n");
  const configPath = dir.join("config.yaml");
  await Deno.writeTextFile(configPath, threeSecrets((n) => dir.join(n)));
  const started = performance.now();
  const once = startSidecar({
    args: ["once", "--config", configPath, "--timeout", "2s"],
    env: {
      VAULT_ADDR: `http://127.0.0.1:${port}`,
      VAULT_TOKEN: "s.unreachable-token-value",
      STATUS_FILE: dir.join("status"),
    },
  });
  const status = await once.status;
  const elapsed = performance.now() - started;
  assertEquals(status.code, 1, once.stdout() + once.stderr());
  // 2 s of retries, plus the process start.
  assert(elapsed >= 2_000, `exited after ${Math.round(elapsed)} ms, before the timeout`);
  assert(elapsed < 5_000, `exited after ${Math.round(elapsed)} ms`);
  assertEquals(await Deno.readTextFile(dir.join("a")), "previous\n", "old file kept");
  assertNoLeaks(once, ["s.unreachable-token-value"]);
});
