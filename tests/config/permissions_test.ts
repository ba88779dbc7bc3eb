import {
  covers,
  formatPermissionFlags,
  type PermissionNeed,
  requiredPermissions,
} from "../../src/config/mod.ts";
import { assert, assertEquals, assertFalse, assertThrows } from "../support/assert.ts";
import { FILE, parse } from "./_helpers.ts";

const STORE = `secretStore:
  address: "\${VAULT_ADDR}"
  token: "\${VAULT_TOKEN}"
`;

function secret(name: string, file: string, extra = ""): string {
  return `  - name: ${name}
    key: app/${name}
    template:
      data:
        out: "{{ .v }}"
    files:
      - path: ${file}
${extra}`;
}

const VARS = { VAULT_ADDR: "https://vault.example:8200", VAULT_TOKEN: "s.x" };

function needs(text: string, watch = false, vars: Record<string, string> = VARS) {
  return requiredPermissions(parse(text, vars), { configPath: FILE, watch });
}

function values(list: PermissionNeed[], name: PermissionNeed["name"]): string[] {
  return list.filter((n) => n.name === name).map((n) => n.value);
}

Deno.test("requiredPermissions() covers the config, outputs, status file, store and listener", () => {
  const list = needs(`${STORE}secrets:
${secret("db", "/data/app/db.env")}${secret("api", "/data/app/api.key")}${
    secret("tls", "/data/tls/cert.pem")
  }`);
  assertEquals(values(list, "read"), [
    "/data/app",
    "/data/tls",
    "/etc/secrets-sync/config.yaml",
    "/tmp",
  ]);
  assertEquals(values(list, "write"), ["/data/app", "/data/tls", "/tmp"]);
  assertEquals(values(list, "net"), ["127.0.0.1:8080", "vault.example:8200"]);
  assertEquals(values(list, "run"), []);
  assertEquals(values(list, "sys"), []);
});

Deno.test("requiredPermissions() lists the referenced and the loader's environment variables", () => {
  const list = needs(`${STORE}secrets:\n${secret("db", "\${OUT_DIR}/db.env")}`, false, {
    ...VARS,
    OUT_DIR: "/out",
  });
  const env = values(list, "env");
  for (const name of ["VAULT_ADDR", "VAULT_TOKEN", "OUT_DIR", "LOG_TOKENS", "WATCH_CONFIG"]) {
    assert(env.includes(name), `${name} in ${env}`);
  }
  const referenced = list.find((n) => n.name === "env" && n.value === "OUT_DIR")!;
  assertFalse(referenced.optional ?? false, "a referenced variable is required");
  assert(list.find((n) => n.value === "WATCH_CONFIG")!.optional, "overrides are optional");
  assertFalse(list.find((n) => n.value === "LOG_TOKENS")!.optional ?? false, "yaml reads it");
});

Deno.test("requiredPermissions() reads the config directory only when watching", () => {
  const text = `${STORE}secrets:\n${secret("db", "/data/db.env")}`;
  assertFalse(values(needs(text), "read").includes("/etc/secrets-sync"));
  const watched = values(needs(text, true), "read");
  assert(watched.includes("/etc/secrets-sync"));
  assertFalse(watched.includes("/etc/secrets-sync/config.yaml"), "covered by its directory");
});

Deno.test("requiredPermissions() adds the default port of the store's scheme", () => {
  const list = needs(`${STORE}secrets:\n${secret("db", "/data/db.env")}`, false, {
    ...VARS,
    VAULT_ADDR: "https://vault.example",
  });
  assert(values(list, "net").includes("vault.example:443"));
});

Deno.test("requiredPermissions() needs an unrestricted --allow-run for signal hooks", () => {
  const list = needs(`${STORE}secrets:
${
    secret(
      "db",
      "/data/db.env",
      `    onChange:
      - signal: { pidFile: /run/app.pid, signal: HUP }
      - command: ["/usr/bin/reload-app"]
`,
    )
  }`);
  assertEquals(values(list, "run"), [""], "Deno.kill needs all of --allow-run");
  assert(values(list, "read").includes("/run/app.pid"));
  assertEquals(formatPermissionFlags(list).match(/--allow-run\S*/)?.[0], "--allow-run");
});

Deno.test("requiredPermissions() allows exactly the hook's command and http host", () => {
  const list = needs(`${STORE}secrets:
${
    secret(
      "db",
      "/data/db.env",
      `    onChange:
      - command: ["/usr/bin/reload-app", "--graceful"]
      - http: { url: "http://127.0.0.1:9000/-/reload" }
`,
    )
  }`);
  assertEquals(values(list, "run"), ["/usr/bin/reload-app"]);
  assert(values(list, "net").includes("127.0.0.1:9000"));
  assert(list.find((n) => n.name === "env" && n.value === "PATH")!.optional);
});

Deno.test("requiredPermissions() reads credential, TLS and id files that the config names", () => {
  const list = needs(`secretStore:
  address: https://vault.example:8200
  tokenFile: /var/run/secrets/vault-token
  tlsCACert: /etc/ssl/vault-ca.pem
  tlsCAPath: /etc/ssl/vault-cas
  tlsClientCert: /etc/ssl/client.pem
  tlsClientKey: /etc/ssl/client-key.pem
  credentials:
    other:
      authMethod: approle
      roleIdFile: /var/run/secrets/role-id
      secretIdFile: /var/run/secrets/secret-id
secrets:
${secret("db", "/data/db.env")}        owner: app
`);
  const read = values(list, "read");
  for (
    const path of [
      "/var/run/secrets/vault-token",
      "/etc/ssl/vault-ca.pem",
      "/etc/ssl/vault-cas",
      "/etc/ssl/client.pem",
      "/etc/ssl/client-key.pem",
      "/etc/passwd",
      "/etc/group",
    ]
  ) {
    assert(read.includes(path), `${path} in ${read}`);
  }
  assertFalse(read.includes("/var/run/secrets/role-id"), "the set is not used by any secret");
});

Deno.test("requiredPermissions() includes unused credential sets' files when watching", () => {
  const config = `secretStore:
  address: https://vault.example:8200
  token: s.x
  credentials:
    other:
      authMethod: approle
      roleIdFile: /var/run/secrets/role-id
      secretIdFile: /var/run/secrets/secret-id
secrets:
${secret("db", "/data/db.env")}`;
  assertFalse(values(needs(config, false), "read").includes("/var/run/secrets/role-id"));
  assert(values(needs(config, true), "read").includes("/var/run/secrets/role-id"));
});

Deno.test("requiredPermissions() says why each permission is needed", () => {
  const list = needs(`${STORE}secrets:\n${secret("db", "/data/db.env")}`);
  const write = list.find((n) => n.name === "write" && n.value === "/data")!;
  assertEquals(write.why, 'output file "/data/db.env" of secret "db"');
  const net = list.find((n) => n.name === "net" && n.value === "vault.example:8200")!;
  assertEquals(net.why, "secret store https://vault.example:8200");
});

Deno.test("requiredPermissions() leaves the listener out when metrics are off", () => {
  const list = needs(`${STORE}settings:
  metrics:
    enabled: false
  statusFile: /run/secrets-sync/ready
secrets:
${secret("db", "/data/db.env")}`);
  assertEquals(values(list, "net"), ["vault.example:8200"]);
  assert(values(list, "write").includes("/run/secrets-sync"));
});

Deno.test("covers() treats paths as prefixes by segment and hosts without port as all ports", () => {
  assert(covers("read", "/data", "/data/app"));
  assertFalse(covers("read", "/data", "/database"));
  assert(covers("write", "/", "/x"));
  assert(covers("net", "vault", "vault:8200"));
  assertFalse(covers("net", "vault:8200", "vault:8201"));
  assert(covers("run", "", "/usr/bin/x"));
  assertFalse(covers("env", "VAULT", "VAULT_ADDR"));
});

Deno.test("formatPermissionFlags() writes one flag per permission on one line", () => {
  const flags = formatPermissionFlags([
    { name: "read", value: "/a", why: "" },
    { name: "read", value: "/b", why: "" },
    { name: "net", value: "h:1", why: "" },
    { name: "env", value: "X", why: "" },
  ]);
  assertEquals(flags, "--allow-read=/a,/b --allow-net=h:1 --allow-env=X");
});

Deno.test("formatPermissionFlags() refuses values a flag list cannot hold", () => {
  assertThrows(
    () => formatPermissionFlags([{ name: "write", value: "/my dir", why: "" }]),
    RangeError,
    "whitespace",
  );
});

Deno.test("requiredPermissions() for once leaves out the listener, status file and watch", () => {
  const plan = parse(`${STORE}secrets:\n${secret("db", "/data/db.env")}`, VARS);
  plan.settings.watch = true;
  const list = requiredPermissions(plan, { configPath: FILE, watch: true, command: "once" });
  assertEquals(values(list, "net"), ["vault.example:8200"]);
  assertEquals(values(list, "write"), ["/data"]);
  assertEquals(values(list, "read"), ["/data", FILE]);
});
