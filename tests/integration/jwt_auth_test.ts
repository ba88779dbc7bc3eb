/**
 * JWT and Kubernetes auth of the real sidecar process (`once` and `run`) against the real
 * OpenBao's `jwt` auth method, with JWTs signed here (WebCrypto, ES256) and the public key in
 * `jwt_validation_pubkeys`. There is no Kubernetes API server for a TokenReview, so
 * `authMethod: kubernetes` is tested against the `jwt` method mounted at `kubernetes`: the
 * request the sidecar sends (`POST auth/kubernetes/login` with `role` and `jwt`) is the same.
 */
import {
  assert,
  assertEquals,
  assertNotIncludes,
  assertStringIncludes,
} from "../support/assert.ts";
import { configYaml } from "../support/config_yaml.ts";
import { freePort } from "../support/free_port.ts";
import { createJwtSigner, enableJwtAuth, type JwtSigner } from "../support/jwt.ts";
import { type OpenBao, startOpenBao } from "../support/openbao.ts";
import { readIfExists, startSidecar } from "../support/sidecar.ts";
import { tmpDir } from "../support/tmp_dir.ts";

const AUDIENCE = "secrets-sync-test";
const POLICY = 'path "secret/data/app/*" { capabilities = ["read"] }';

/** A server with a secret, a read policy and a jwt auth method at `mount` trusting `signer`. */
async function setUp(
  bao: OpenBao,
  signer: JwtSigner,
  options: { mount?: string; tokenTtl?: string; tokenMaxTtl?: string } = {},
): Promise<string> {
  const password = `pw-${crypto.randomUUID()}`;
  await bao.writeKv2("secret", "app/db", { password });
  await bao.writePolicy("read-app", POLICY);
  await enableJwtAuth(bao, signer, {
    ...options,
    role: "sidecar",
    audience: AUDIENCE,
    tokenPolicies: ["read-app"],
  });
  return password;
}

function config(out: string, store: Record<string, unknown>, settings = {}): string {
  return configYaml(
    [{ name: "db", key: "app/db", template: { pw: "{{ .password }}" }, files: [`${out}/pw`] }],
    { store: { token: undefined, role: "sidecar", ...store }, settings },
  );
}

async function onceFor(configPath: string, env: Record<string, string>) {
  const started = Date.now();
  await using sidecar = startSidecar({
    args: ["once", "--config", configPath, "--timeout", "30s"],
    env,
  });
  const { code } = await sidecar.status;
  return { code, output: sidecar.stdout() + sidecar.stderr(), ms: Date.now() - started };
}

for (const method of ["jwt", "kubernetes"] as const) {
  Deno.test(`once logs in with authMethod ${method} and writes the secret, never showing the JWT`, async () => {
    await using bao = await startOpenBao();
    await using dir = await tmpDir();
    const signer = await createJwtSigner();
    // kubernetes: OpenBao's jwt method mounted where the kubernetes method's default is.
    const password = await setUp(bao, signer, { mount: method });
    const jwt = await signer.sign({ sub: `app-${method}`, aud: AUDIENCE });
    await Deno.writeTextFile(dir.join("token"), jwt);
    await Deno.writeTextFile(
      dir.join("config.yaml"),
      config(dir.join("out"), { authMethod: method, jwtFile: dir.join("token") })
        .replace(
          "    files:\n      - path:",
          "    files:\n      - createDirs: true\n        path:",
        ),
    );
    const result = await onceFor(dir.join("config.yaml"), {
      VAULT_ADDR: bao.address,
      STATUS_FILE: dir.join("status"),
    });
    assertEquals(result.code, 0, result.output);
    assertEquals(await Deno.readTextFile(dir.join("out/pw")), password);
    assertStringIncludes(result.output, `"method":"${method}"`);
    for (const part of [jwt, ...jwt.split(".")]) assertNotIncludes(result.output, part);
    assertNotIncludes(result.output, password);
  });
}

Deno.test("once ends at once with one clear line when the server rejects an expired JWT", async () => {
  await using bao = await startOpenBao();
  await using dir = await tmpDir();
  const signer = await createJwtSigner();
  await setUp(bao, signer);
  const expired = await signer.sign({ sub: "app", aud: AUDIENCE }, { ttlSeconds: -120 });
  await Deno.writeTextFile(dir.join("token"), expired);
  await Deno.mkdir(dir.join("out"));
  await Deno.writeTextFile(
    dir.join("config.yaml"),
    config(dir.join("out"), { authMethod: "jwt", jwtFile: dir.join("token") }),
  );
  const result = await onceFor(dir.join("config.yaml"), {
    VAULT_ADDR: bao.address,
    STATUS_FILE: dir.join("status"),
  });
  assertEquals(result.code, 1, result.output);
  assert(result.ms < 10_000, `took ${result.ms} ms (the timeout is 30 s)`);
  assertStringIncludes(
    result.output,
    'Cannot read secret \\"secret/app/db\\": not logged in to Vault: JWT login rejected by auth/jwt: error validating token: invalid expiration time (exp) claim: token is expired (HTTP 400)',
  );
  for (const part of [expired, ...expired.split(".")]) assertNotIncludes(result.output, part);
  assertEquals(await readIfExists(dir.join("out/pw")), undefined);
});

Deno.test("run logs in again at the max TTL with the rotated jwtFile; no JWT in logs, status or metrics", async () => {
  await using bao = await startOpenBao();
  await using dir = await tmpDir();
  const signer = await createJwtSigner();
  // Renewal is capped at 4 s: the sidecar must log in again every few seconds.
  const password = await setUp(bao, signer, { tokenTtl: "3s", tokenMaxTtl: "4s" });
  const first = await signer.sign({ sub: "first-pod-token", aud: AUDIENCE });
  const second = await signer.sign({ sub: "rotated-pod-token", aud: AUDIENCE });
  await Deno.writeTextFile(dir.join("token"), first);
  await Deno.mkdir(dir.join("out"));
  const port = freePort();
  await Deno.writeTextFile(
    dir.join("config.yaml"),
    config(dir.join("out"), { authMethod: "jwt", jwtFile: dir.join("token") }, {
      metrics: { enabled: true, addr: "127.0.0.1", port },
    }),
  );
  await using sidecar = startSidecar({
    args: ["run", "--config", dir.join("config.yaml")],
    env: { VAULT_ADDR: bao.address, STATUS_FILE: dir.join("status") },
  });
  await sidecar.waitFor(async () => (await readIfExists(dir.join("out/pw"))) === password, "sync");

  // The projected token is replaced on disk, as the kubelet does (a rename over the file).
  await Deno.writeTextFile(dir.join("token.new"), second);
  await Deno.rename(dir.join("token.new"), dir.join("token"));
  // The server saw the new JWT only if an entity alias for its `sub` exists.
  const aliasNames = async () => {
    const list = await bao.api("LIST", "identity/entity-alias/id");
    const info = (list.body?.data?.key_info ?? {}) as Record<string, { name: string }>;
    return Object.values(info).map((alias) => alias.name).sort();
  };
  await sidecar.waitFor(
    async () => (await aliasNames()).includes("rotated-pod-token"),
    "a login with the rotated JWT",
    20_000,
  );
  assertEquals(await aliasNames(), ["first-pod-token", "rotated-pod-token"]);
  // Still syncing with the new login's token.
  await bao.writeKv2("secret", "app/db", { password: `${password}-2` });
  await sidecar.waitFor(
    async () => (await readIfExists(dir.join("out/pw"))) === `${password}-2`,
    "a sync after the new login",
  );

  const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  const logins = metrics.match(
    /^auth_total\{credentials="default",operation="login",result="success"\} (\d+)$/m,
  );
  assert(logins !== null && Number(logins[1]) >= 2, `logins in /metrics: ${logins?.[1]}`);
  const status = (await readIfExists(dir.join("status"))) ?? "";
  sidecar.kill("SIGTERM");
  assertEquals((await sidecar.status).code, 0, sidecar.stderr());
  const logs = sidecar.stdout() + sidecar.stderr();
  assertStringIncludes(logs, '"method":"jwt"');
  for (const text of [logs, metrics, status]) {
    for (const jwt of [first, second]) {
      for (const part of [jwt, ...jwt.split(".")]) assertNotIncludes(text, part);
    }
    assertNotIncludes(text, password);
  }
});
