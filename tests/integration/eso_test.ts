/**
 * External Secrets Operator manifests end to end: converted with `convert` (or loaded as they are)
 * and synced with `once` against a real server; every target becomes a directory with one file
 * per Secret key.
 */
import { assert, assertEquals, assertNotIncludes } from "../support/assert.ts";
import { startOpenBao } from "../support/openbao.ts";
import { startSidecar } from "../support/sidecar.ts";
import { tmpDir } from "../support/tmp_dir.ts";
import { convertCommand } from "../../src/cli/convert.ts";

function manifests(server: string, annotations = ""): string {
  return `apiVersion: external-secrets.io/v1
kind: ClusterSecretStore
metadata:
  name: vault
spec:
  provider:
    vault:
      server: ${server}
      path: secret
      version: v2
      auth:
        tokenSecretRef: { name: vault-token, key: token }
---
apiVersion: external-secrets.io/v1
kind: ExternalSecret
metadata:
  name: app-db
${annotations}spec:
  refreshInterval: 1m
  secretStoreRef: { name: vault, kind: ClusterSecretStore }
  target:
    name: app-db
    creationPolicy: Owner
  data:
    - secretKey: username
      remoteRef: { key: app/db, property: username }
    - secretKey: password
      remoteRef: { key: app/db, property: password }
    - secretKey: tls.crt
      remoteRef: { key: app/tls, property: tls.crt, decodingStrategy: Base64 }
---
apiVersion: external-secrets.io/v1
kind: ExternalSecret
metadata:
  name: app-config
${annotations}spec:
  secretStoreRef: { name: vault, kind: ClusterSecretStore }
  target:
    template:
      engineVersion: v2
      data:
        DATABASE_URL: "postgres://{{ .user }}:{{ .pass }}@db:5432/app"
        settings.json: '{"mq":"{{ .mq }}"}'
  data:
    - secretKey: user
      remoteRef: { key: app/db, property: username }
    - secretKey: pass
      remoteRef: { key: app/db, property: password }
    - secretKey: mq
      remoteRef: { key: shared/mq, property: url }
`;
}

async function seed(
  bao: { writeKv2: (m: string, p: string, d: Record<string, unknown>) => Promise<number> },
) {
  const password = `pw-${crypto.randomUUID()}`;
  const mq = `amqp://mq-${crypto.randomUUID()}@mq`;
  const cert = `-----BEGIN CERTIFICATE-----\n${crypto.randomUUID()}\n-----END CERTIFICATE-----\n`;
  await bao.writeKv2("secret", "app/db", { username: "app", password });
  await bao.writeKv2("secret", "app/tls", { "tls.crt": btoa(cert) });
  await bao.writeKv2("secret", "shared/mq", { url: mq });
  return { password, mq, cert };
}

async function assertFiles(out: string, values: { password: string; mq: string; cert: string }) {
  assertEquals(await Deno.readTextFile(`${out}/app-db/username`), "app");
  assertEquals(await Deno.readTextFile(`${out}/app-db/password`), values.password);
  assertEquals(await Deno.readTextFile(`${out}/app-db/tls.crt`), values.cert);
  assertEquals(
    await Deno.readTextFile(`${out}/app-config/DATABASE_URL`),
    `postgres://app:${values.password}@db:5432/app`,
  );
  assertEquals(
    await Deno.readTextFile(`${out}/app-config/settings.json`),
    `{"mq":"${values.mq}"}`,
  );
  const names = [];
  for await (const entry of Deno.readDir(`${out}/app-db`)) names.push(entry.name);
  assertEquals(names.sort(), ["password", "tls.crt", "username"]);
}

Deno.test("a converted ExternalSecret synced with once writes one file per key in its target directory", async () => {
  await using bao = await startOpenBao();
  await using dir = await tmpDir();
  const values = await seed(bao);
  await Deno.writeTextFile(dir.join("es.yaml"), manifests(bao.address));

  let config = "";
  const warnings: string[] = [];
  const code = await convertCommand({
    input: dir.join("es.yaml"),
    outputDir: dir.join("out"),
    out: (text) => config += text,
    err: (line) => warnings.push(line),
  });
  assertEquals(code, 0, warnings.join("\n"));
  assert(warnings.some((w) => w.includes("tokenSecretRef")), "the token source is reported");
  await Deno.writeTextFile(dir.join("config.yaml"), config);

  await using sidecar = startSidecar({
    args: ["once", "--config", dir.join("config.yaml")],
    env: { VAULT_TOKEN: bao.rootToken, STATUS_FILE: dir.join("status") },
  });
  const status = await sidecar.status;
  assertEquals(status.code, 0, sidecar.stdout() + sidecar.stderr());
  await assertFiles(dir.join("out"), values);
  const output = sidecar.stdout() + sidecar.stderr();
  for (const secret of [values.password, values.mq, bao.rootToken, "BEGIN CERTIFICATE"]) {
    assertNotIncludes(output, secret);
  }
});

Deno.test("ExternalSecret manifests load directly as the config of once", async () => {
  await using bao = await startOpenBao();
  await using dir = await tmpDir();
  const values = await seed(bao);
  await Deno.writeTextFile(
    dir.join("es.yaml"),
    manifests(bao.address, `  annotations:\n    secrets-sync.io/output-dir: ${dir.join("out")}\n`),
  );

  await using sidecar = startSidecar({
    args: ["once", "--config", dir.join("es.yaml")],
    env: { VAULT_TOKEN: bao.rootToken, STATUS_FILE: dir.join("status") },
  });
  const status = await sidecar.status;
  assertEquals(status.code, 0, sidecar.stdout() + sidecar.stderr());
  await assertFiles(dir.join("out"), values);
  const output = sidecar.stdout() + sidecar.stderr();
  for (const secret of [values.password, values.mq, bao.rootToken]) {
    assertNotIncludes(output, secret);
  }
});

Deno.test("once fails without writing when a converted ExternalSecret names a missing property", async () => {
  await using bao = await startOpenBao();
  await using dir = await tmpDir();
  await bao.writeKv2("secret", "app/db", { username: "app" });
  await Deno.writeTextFile(
    dir.join("es.yaml"),
    `apiVersion: external-secrets.io/v1
kind: ExternalSecret
metadata:
  name: app-db
  annotations:
    secrets-sync.io/output-dir: ${dir.join("out")}
spec:
  data:
    - secretKey: password
      remoteRef: { key: secret/app/db, property: password }
`,
  );
  await using sidecar = startSidecar({
    args: ["once", "--config", dir.join("es.yaml"), "--timeout", "5s"],
    env: { VAULT_ADDR: bao.address, VAULT_TOKEN: bao.rootToken, STATUS_FILE: dir.join("status") },
  });
  const status = await sidecar.status;
  assertEquals(status.code, 1, sidecar.stdout() + sidecar.stderr());
  let exists = true;
  await Deno.stat(dir.join("out/app-db/password")).catch(() => exists = false);
  assertEquals(exists, false, "no empty or <no value> file");
});
