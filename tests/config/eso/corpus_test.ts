/**
 * The conversion corpus: ExternalSecret manifests in the styles found in ESO's docs and public
 * repositories, each with the config `convert` prints and the warnings it gives. Set
 * UPDATE_CORPUS=1 to rewrite the expectations (then review the diff).
 */
import { convertManifests, parseConfig, type Plan } from "../../../src/config/mod.ts";
import { formatConfigIssue } from "../../../src/config/mod.ts";
import { assert, assertEquals } from "../../support/assert.ts";
import { type FakeVault, renderSecret } from "./_render.ts";

const DIR = new URL("./corpus/", import.meta.url).pathname;
const UPDATE = Deno.env.get("UPDATE_CORPUS") === "1";
const ENV: Record<string, string> = {
  VAULT_ADDR: "http://127.0.0.1:8200",
  VAULT_TOKEN: "s.corpus-token",
  VAULT_SECRET_ID: "corpus-secret-id",
};
const env = (name: string) => ENV[name];

const cases = [...Deno.readDirSync(DIR)]
  .map((entry) => entry.name)
  .filter((name) => /^\d\d-.*\.yaml$/.test(name) && !name.endsWith(".expected.yaml"))
  .sort();

Deno.test("the corpus has at least 12 manifests", () => {
  assert(cases.length >= 12, `only ${cases.length} corpus files`);
});

function readOr(path: string): string {
  try {
    return Deno.readTextFileSync(path);
  } catch {
    return "";
  }
}

for (const name of cases) {
  const base = name.replace(/\.yaml$/, "");
  Deno.test(`convert ${name} prints the expected config and warnings`, () => {
    const text = Deno.readTextFileSync(DIR + name);
    const result = convertManifests(text, { file: name });
    const warnings = result.warnings.map((w) => `warning: ${formatConfigIssue(w)}\n`).join("");
    if (UPDATE) {
      Deno.writeTextFileSync(`${DIR}${base}.expected.yaml`, result.yaml);
      Deno.writeTextFileSync(`${DIR}${base}.warnings.txt`, warnings);
    }
    assertEquals(result.yaml, readOr(`${DIR}${base}.expected.yaml`));
    assertEquals(warnings, readOr(`${DIR}${base}.warnings.txt`));
  });

  Deno.test(`${name} loads directly into the same Plan as its converted config`, () => {
    const text = Deno.readTextFileSync(DIR + name);
    const direct = parseConfig(text, { file: DIR + name, env });
    const converted = parseConfig(readOr(`${DIR}${base}.expected.yaml`), {
      file: DIR + name,
      env,
    });
    assertEquals(withoutEnvUsed(direct), withoutEnvUsed(converted));
  });
}

/**
 * The parts that must match: the converted config names VAULT_ADDR/VAULT_TOKEN with `${...}`
 * (direct loading reads them), and template and source positions point into different files.
 */
function withoutEnvUsed(plan: Plan): Omit<Plan, "envUsed" | "sources"> {
  const { envUsed: _, sources: _sources, ...rest } = plan;
  return {
    ...rest,
    secrets: rest.secrets.map((secret) => ({
      ...secret,
      templates: secret.templates.map(({ name, source }) => ({ name, source })),
    })),
  };
}

/** What each corpus manifest writes, given the Vault data its paths hold. */
const RENDERED: Array<{ file: string; vault: FakeVault; files: Record<string, string> }> = [
  {
    file: "01-basic-data.yaml",
    vault: { "secret/data/shop/db": { username: "shop", password: "p@ss word", port: 5432 } },
    files: { "/secrets/app-db/username": "shop", "/secrets/app-db/password": "p@ss word" },
  },
  {
    file: "02-extract-all.yaml",
    vault: {
      "secret/data/payments/stripe": { api_key: "sk_test_1" },
      "secret/data/payments/env": { A: "1", nested: { b: true }, n: 7 },
    },
    files: {
      "/secrets/payments-env/env.json": '{"A":"1","n":7,"nested":{"b":true}}',
      "/secrets/payments-env/api-key": "sk_test_1",
    },
  },
  {
    file: "03-template-dsn.yaml",
    vault: {
      "kv/data/billing/postgres": { username: "bill", password: "a/b c", host: "db.internal" },
    },
    files: {
      "/secrets/billing-db/DATABASE_URL":
        "postgres://bill:a%2Fb+c@db.internal:5432/billing?sslmode=require",
      "/secrets/billing-db/application.properties":
        "spring.datasource.username=bill\nspring.datasource.password=a/b c\n",
    },
  },
  {
    file: "04-approle-kv1.yaml",
    vault: { "legacy/ldap/bind": { dn: "cn=svc,dc=corp", password: "ldap-pw" } },
    files: {
      "/secrets/ldap-bind/bind-dn": "cn=svc,dc=corp",
      "/secrets/ldap-bind/bind-password": "ldap-pw",
    },
  },
  {
    file: "06-multi-path-template.yaml",
    vault: {
      "secret/data/worker/rabbitmq": { user: "mq", pass: "mqpw" },
      "secret/data/shared/smtp": { password: 'sm"tp' },
    },
    files: {
      "/secrets/worker-config/config.yaml":
        'queue:\n  url: amqp://mq:mqpw@rabbitmq:5672/\nsmtp:\n  password: "sm\\"tp"\n',
    },
  },
  {
    file: "07-decoding-version.yaml",
    vault: {
      "secret/data/signing/keys": {
        private_b64: btoa("-----BEGIN KEY-----"),
        jwks_b64url: "eyJrIjoiPz8_In0=",
      },
      "secret/data/signing/legacy": { key: "bGVnYWN5" },
    },
    files: {
      "/secrets/signing-keys/private.pem": "-----BEGIN KEY-----",
      "/secrets/signing-keys/jwks.json": '{"k":"???"}',
      "/secrets/signing-keys/legacy.key": "legacy",
    },
  },
  {
    file: "08-nested-and-dotted.yaml",
    vault: {
      "secret/data/certs/www": {
        "tls.crt": "CERT",
        tls: { key: "KEY" },
        issuer: { ocsp: "http://ocsp.example" },
      },
    },
    files: {
      "/secrets/ingress-tls/tls.crt": "CERT",
      "/secrets/ingress-tls/tls.key": "KEY",
      "/secrets/ingress-tls/ocsp-url": "http://ocsp.example",
      "/secrets/ingress-tls/all.json":
        '{"issuer":{"ocsp":"http://ocsp.example"},"tls":{"key":"KEY"},"tls.crt":"CERT"}',
    },
  },
  {
    file: "09-template-from-literal.yaml",
    vault: { "secret/data/monitoring/grafana": { admin_user: "admin", admin_password: "gr4f" } },
    files: {
      "/secrets/grafana-secrets/admin-user": "admin",
      "/secrets/grafana-secrets/grafana.ini": "[security]\nadmin_password = gr4f\n",
      "/secrets/grafana-secrets/admin-password": "gr4f",
    },
  },
  {
    file: "12-v1beta1-dockerconfig.yaml",
    vault: {
      "kv/data/ci/registry": { registry: "ghcr.io", username: "ci", password: "tok" },
    },
    files: {
      "/secrets/registry-pull/registry.json":
        '{"password":"tok","registry":"ghcr.io","username":"ci"}',
      "/secrets/registry-pull/.dockerconfigjson": `{"auths":{"ghcr.io":{"auth":"${
        btoa("ci:tok")
      }"}}}`,
    },
  },
  {
    file: "13-kv-data-paths.yaml",
    vault: { "kv/data/mail/smtp": { host: "smtp.example", password: 25 } },
    files: { "/secrets/smtp/SMTP_HOST": "smtp.example", "/secrets/smtp/SMTP_PASSWORD": "25" },
  },
];

for (const { file, vault, files } of RENDERED) {
  Deno.test(`${file} writes each Secret key's value to its file`, () => {
    const plan = parseConfig(Deno.readTextFileSync(DIR + file), { file: DIR + file, env });
    const rendered: Record<string, string> = {};
    for (const secret of plan.secrets) Object.assign(rendered, renderSecret(secret, vault));
    assertEquals(rendered, files);
  });
}
