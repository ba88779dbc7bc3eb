/** `validate --online` against a real server: reads and renders every secret, writes nothing. */
import { freePort } from "../support/free_port.ts";
import { validateCommand } from "../../src/cli/validate.ts";
import {
  assert,
  assertEquals,
  assertNotIncludes,
  assertStringIncludes,
} from "../support/assert.ts";
import { startFaultProxy } from "../support/fault_proxy.ts";
import { startOpenBao } from "../support/openbao.ts";
import { makeTestPki, requireOpenssl } from "../support/pki.ts";
import { readIfExists } from "../support/sidecar.ts";
import { tmpDir } from "../support/tmp_dir.ts";

const openssl = await requireOpenssl(import.meta.url);

const GRANTED = () => Promise.resolve({ state: "granted" } as Deno.PermissionStatus);

function config(out: string): string {
  return `secretStore:
  address: "\${VAULT_ADDR}"
  token: "\${VAULT_TOKEN}"
  requestTimeout: 5s
secrets:
  - name: db
    key: app/db
    mountPath: secret
    kvVersion: v2
    template:
      data:
        db.env: "USER={{ .username }} PASS={{ .password }}"
    files:
      - path: ${out}/db.env
  - name: api
    key: app/api
    mountPath: secret
    kvVersion: v2
    missingKey: default
    template:
      data:
        key: "{{ .apiKey }}"
    files:
      - path: ${out}/api.key
    onChange:
      - command: ["/bin/false"]
`;
}

Deno.test("validate --online reads and renders each secret once and writes nothing", async () => {
  await using bao = await startOpenBao();
  await using dir = await tmpDir();
  const password = `pw-${crypto.randomUUID()}`;
  await bao.writeKv2("secret", "app/db", { username: "app", password });
  await bao.writeKv2("secret", "app/api", { apiKey: password });
  const path = dir.join("config.yaml");
  await Deno.writeTextFile(path, config(dir.path));
  const lines: string[] = [];
  const code = await validateCommand({
    configPath: path,
    env: (n) =>
      ({ VAULT_ADDR: bao.address, VAULT_TOKEN: bao.rootToken } as Record<string, string>)[n],
    online: true,
    out: (l) => lines.push(l),
    err: (l) => lines.push(l),
    query: GRANTED,
  });
  assertEquals(code, 0, lines.join("\n"));
  assertEquals(lines.slice(1), [
    'Secret "db": read and rendered 1 file(s)',
    'Secret "api": read and rendered 1 file(s)',
    "Online check passed: every secret was read and rendered (nothing written)",
  ]);
  assertEquals(await readIfExists(dir.join("db.env")), undefined);
  assertEquals(await readIfExists(dir.join("api.key")), undefined);
  assertNotIncludes(lines.join("\n"), password);
});

Deno.test("validate --online reports a missing template key, even with missingKey: default", async () => {
  await using bao = await startOpenBao();
  await using dir = await tmpDir();
  const password = `pw-${crypto.randomUUID()}`;
  await bao.writeKv2("secret", "app/db", { username: "app", password });
  await bao.writeKv2("secret", "app/api", { other: password });
  const path = dir.join("config.yaml");
  await Deno.writeTextFile(path, config(dir.path));
  const out: string[] = [];
  const err: string[] = [];
  const code = await validateCommand({
    configPath: path,
    env: (n) =>
      ({ VAULT_ADDR: bao.address, VAULT_TOKEN: bao.rootToken } as Record<string, string>)[n],
    online: true,
    out: (l) => out.push(l),
    err: (l) => err.push(l),
    query: GRANTED,
  });
  assertEquals(code, 1);
  assertEquals(err.length, 2, err.join("\n"));
  assertStringIncludes(err[0]!, 'Secret "api": cannot render: ');
  assertStringIncludes(err[0]!, "apiKey");
  assertEquals(err[1], "Online check failed for 1 of 2 secret(s)");
  assertNotIncludes([...out, ...err].join("\n"), password);
  assertNotIncludes([...out, ...err].join("\n"), bao.rootToken);
});

Deno.test("validate --online reports a secret that does not exist", async () => {
  await using bao = await startOpenBao();
  await using dir = await tmpDir();
  await bao.writeKv2("secret", "app/db", { username: "app", password: "x" });
  const path = dir.join("config.yaml");
  await Deno.writeTextFile(path, config(dir.path));
  const err: string[] = [];
  const code = await validateCommand({
    configPath: path,
    env: (n) =>
      ({ VAULT_ADDR: bao.address, VAULT_TOKEN: bao.rootToken } as Record<string, string>)[n],
    online: true,
    out: () => {},
    err: (l) => err.push(l),
    query: GRANTED,
  });
  assertEquals(code, 1);
  assertStringIncludes(err[0]!, 'Secret "api": cannot read: ');
});

Deno.test({
  name: "validate --online names why it is not logged in, within the request timeout",
  ignore: !openssl,
}, async () => {
  await using bao = await startOpenBao();
  await using dir = await tmpDir();
  const pki = await makeTestPki(dir.path);
  await using tls = await startOpenBao({
    tls: { certFile: pki.cert, keyFile: pki.key, caFile: pki.ca },
  });
  await using proxy = await startFaultProxy(bao.address);
  proxy.setMode({ kind: "drop" });
  const closedPort = freePort();
  const path = dir.join("config.yaml");
  await Deno.writeTextFile(
    path,
    config(dir.path).replace("requestTimeout: 5s", "requestTimeout: 2s"),
  );
  const wrongToken = `wrong-${crypto.randomUUID()}`;
  const cases: Array<[string, Record<string, string>, string]> = [
    [
      "connection refused",
      { VAULT_ADDR: `http://127.0.0.1:${closedPort}`, VAULT_TOKEN: bao.rootToken },
      `not logged in to Vault: connection refused at 127.0.0.1:${closedPort}`,
    ],
    [
      "DNS",
      { VAULT_ADDR: "http://vault.invalid:8200", VAULT_TOKEN: bao.rootToken },
      'not logged in to Vault: cannot resolve host "vault.invalid" (DNS',
    ],
    [
      "untrusted certificate",
      { VAULT_ADDR: tls.address, VAULT_TOKEN: tls.rootToken },
      `not logged in to Vault: TLS certificate of ${
        tls.address.replace("https://", "")
      } is not trusted (UnknownIssuer): set tlsCACert (or VAULT_CACERT) to the CA that signed it`,
    ],
    [
      "rejected token",
      { VAULT_ADDR: bao.address, VAULT_TOKEN: wrongToken },
      "not logged in to Vault: the token was rejected by the server (HTTP 403)",
    ],
    [
      "no answer",
      { VAULT_ADDR: proxy.address, VAULT_TOKEN: bao.rootToken },
      `not logged in to Vault: no answer from 127.0.0.1:${proxy.port} within 2000ms`,
    ],
  ];
  for (const [name, env, reason] of cases) {
    const err: string[] = [];
    const started = Date.now();
    const code = await validateCommand({
      configPath: path,
      env: (n) => env[n],
      online: true,
      out: () => {},
      err: (l) => err.push(l),
      query: GRANTED,
    });
    const ms = Date.now() - started;
    assertEquals(code, 1, name);
    assertEquals(err.length, 3, `${name}: ${err.join("\n")}`);
    for (const [i, secret] of ["db", "api"].entries()) {
      assertStringIncludes(err[i]!, `Secret "${secret}": cannot read: `, name);
      assertStringIncludes(err[i]!, reason, `${name}: ${err[i]}`);
    }
    // One request deadline at most (2 s), not one per secret or the 60 s online bound.
    assert(ms < 3_500, `${name}: took ${ms} ms`);
    assertNotIncludes(err.join("\n"), wrongToken);
    assertNotIncludes(err.join("\n"), bao.rootToken);
  }
});
