import { assertEquals, assertStrictEquals, assertThrows } from "../support/assert.ts";
import {
  ConfigError,
  formatKeyPath,
  parseConfig,
  planFromSeed,
  SETTINGS_DEFAULTS,
} from "../../src/config/mod.ts";
import { envOf, FILE, MINIMAL, parse, parseError, STORE } from "./_helpers.ts";

Deno.test("parseConfig() fills every default of a minimal config", () => {
  const plan = parse(MINIMAL);
  assertEquals(plan, {
    file: FILE,
    store: {
      addresses: ["http://127.0.0.1:8200"],
      tls: { skipVerify: false },
      requestTimeoutMs: 10_000,
      maxResponseBytes: 10 * 1024 * 1024,
    },
    credentials: { default: { method: "token", token: "s.test-token" } },
    secrets: [{
      name: "db",
      key: "app/db",
      mountPath: "secret",
      kvVersion: 2,
      credentials: "default",
      refreshIntervalMs: 300_000,
      jitter: 0.1,
      maxStalenessMs: 900_000,
      templates: [{ name: "db.env", source: "DB_PASSWORD={{ .password }}", line: 9, column: 18 }],
      files: [{
        path: "/secrets/db.env",
        template: "db.env",
        mode: 0o600,
        writeMode: "rename",
        createDirs: false,
      }],
      missingKey: "error",
      onMissing: "keep",
      deleteOnRemove: false,
      revokeOnStop: false,
      onChange: [],
    }],
    settings: {
      logLevel: "info",
      logFormat: "json",
      metrics: { enabled: true, addr: "127.0.0.1", port: 8080 },
      statusFile: "/tmp/.secrets-sync-ready",
      watch: false,
      concurrency: 8,
      resilience: {
        initialBackoffMs: 1000,
        maxBackoffMs: 300_000,
        backoffMultiplier: 2,
        breakerMaxFailures: 5,
        breakerIntervalMs: 60_000,
        breakerTimeoutMs: 30_000,
      },
    },
    envUsed: [],
    sources: {
      tls: {},
      files: {
        "/secrets/db.env": { path: { key: "secrets[0].files[0].path", line: 11, column: 15 } },
      },
    },
  });
  assertStrictEquals(SETTINGS_DEFAULTS.statusFile, "/tmp/.secrets-sync-ready");
});

Deno.test("parseConfig() maps files to template.data keys in YAML order, not sorted order", () => {
  const plan = parse(`${STORE}secrets:
  - name: certs
    key: tls
    template:
      data:
        z.crt: "{{ .crt }}"
        "2": two
        a.key: "{{ .key }}"
        "1": one
    files:
      - path: /s/z.crt
      - path: /s/two
      - path: /s/a.key
      - path: /s/one
`);
  const secret = plan.secrets[0]!;
  assertEquals(secret.templates.map((t) => t.name), ["z.crt", "2", "a.key", "1"]);
  assertEquals(secret.files.map((f) => [f.path, f.template]), [
    ["/s/z.crt", "z.crt"],
    ["/s/two", "2"],
    ["/s/a.key", "a.key"],
    ["/s/one", "1"],
  ]);
});

Deno.test("parseConfig() gives files[].template precedence over position", () => {
  const plan = parse(`${STORE}secrets:
  - name: certs
    key: tls
    template:
      data:
        tls.crt: "{{ .crt }}"
        tls.key: "{{ .key }}"
    files:
      - path: /s/key
        template: tls.key
      - path: /s/crt
        template: tls.crt
      - path: /s/crt-copy
        template: tls.crt
`);
  assertEquals(plan.secrets[0]!.files.map((f) => [f.path, f.template]), [
    ["/s/key", "tls.key"],
    ["/s/crt", "tls.crt"],
    ["/s/crt-copy", "tls.crt"],
  ]);
});

Deno.test("parseConfig() resolves relative output paths against the working directory", () => {
  const plan = parseConfig(
    MINIMAL.replace("/secrets/db.env", "./out/db.env") +
      "      - path: out2/x\n        template: db.env\n",
    { file: "/srv/app/conf/config.yaml", env: envOf(), cwd: "/home/u" },
  );
  assertEquals(plan.secrets[0]!.files.map((f) => f.path), ["/home/u/out/db.env", "/home/u/out2/x"]);
});

Deno.test("parseConfig() without a working directory resolves relative paths against the config's directory", () => {
  const plan = parseConfig(MINIMAL.replace("/secrets/db.env", "./out/db.env"), {
    file: "/srv/app/conf/config.yaml",
    env: envOf(),
  });
  assertStrictEquals(plan.secrets[0]!.files[0]!.path, "/srv/app/conf/out/db.env");
});

Deno.test("parseConfig() resolves a relative file name against cwd", () => {
  const plan = parseConfig(MINIMAL.replace("/secrets/db.env", "db.env"), {
    file: "conf/config.yaml",
    cwd: "/home/u",
    env: envOf(),
  });
  assertStrictEquals(plan.file, "/home/u/conf/config.yaml");
  assertStrictEquals(plan.secrets[0]!.files[0]!.path, "/home/u/db.env");
});

Deno.test("parseConfig() rejects a relative file name without cwd", () => {
  assertThrows(() => parseConfig(MINIMAL, { file: "config.yaml", env: envOf() }), TypeError);
});

Deno.test("parseConfig() reads YAML numbers as octal modes the way chmod does", () => {
  const plan = parse(MINIMAL.replace("/secrets/db.env", "/secrets/db.env\n        mode: 0640"));
  assertStrictEquals(plan.secrets[0]!.files[0]!.mode, 0o640);
  const quoted = parse(MINIMAL.replace("/secrets/db.env", '/secrets/db.env\n        mode: "0644"'));
  assertStrictEquals(quoted.secrets[0]!.files[0]!.mode, 0o644);
});

Deno.test("parseConfig() accepts path as the old name of key", () => {
  const plan = parse(MINIMAL.replace("key: app/db", "path: /app/db/"));
  assertStrictEquals(plan.secrets[0]!.key, "app/db");
});

Deno.test("parseConfig() distinguishes an absent namespace (inherit) from an empty one (root)", () => {
  const plan = parse(`secretStore:
  address: http://127.0.0.1:8200
  token: t
  namespace: team-a
secrets:
  - name: inherits
    key: a
    template: { data: { a: x } }
    files: [{ path: /s/a }]
  - name: root
    key: b
    namespace: ""
    template: { data: { b: x } }
    files: [{ path: /s/b }]
  - name: other
    key: c
    namespace: team-b
    template: { data: { c: x } }
    files: [{ path: /s/c }]
  - name: empty-value-inherits
    key: d
    namespace:
    template: { data: { d: x } }
    files: [{ path: /s/d }]
`);
  assertStrictEquals(plan.store.namespace, "team-a");
  assertEquals(plan.secrets.map((s) => [s.name, "namespace" in s, s.namespace]), [
    ["inherits", false, undefined],
    ["root", true, ""],
    ["other", true, "team-b"],
    ["empty-value-inherits", false, undefined],
  ]);
});

Deno.test("parseConfig() lets secrets inherit kvVersion and mountPath from the store", () => {
  const plan = parse(`secretStore:
  address: http://127.0.0.1:8200
  token: t
  kvVersion: v1
  mountPath: /kv/
secrets:
  - name: a
    key: a
    template: { data: { a: x } }
    files: [{ path: /s/a }]
  - name: b
    key: b
    kvVersion: auto
    mountPath: other
    template: { data: { b: x } }
    files: [{ path: /s/b }]
  - name: c
    key: c
    kvVersion: "2"
    version: 4
    template: { data: { c: x } }
    files: [{ path: /s/c }]
`);
  assertEquals(plan.secrets.map((s) => [s.kvVersion, s.mountPath, s.version]), [
    [1, "kv", undefined],
    ["auto", "other", undefined],
    [2, "kv", 4],
  ]);
});

Deno.test("parseConfig() reads every secret option", () => {
  const plan = parse(`${STORE}secrets:
  - name: db
    key: app/db
    refreshInterval: 1h30m
    jitter: 0.25
    maxStaleness: 12h
    missingKey: zero
    onMissing: delete
    deleteOnRemove: true
    template:
      data:
        db.env: |
          A={{ .a }}
          B={{ .b }}
    files:
      - path: /secrets/db.env
        mode: "0440"
        owner: app
        group: "1000"
        writeMode: inplace
        createDirs: true
`);
  const s = plan.secrets[0]!;
  assertStrictEquals(s.refreshIntervalMs, 5_400_000);
  assertStrictEquals(s.jitter, 0.25);
  assertStrictEquals(s.maxStalenessMs, 43_200_000);
  assertStrictEquals(s.missingKey, "zero");
  assertStrictEquals(s.onMissing, "delete");
  assertStrictEquals(s.deleteOnRemove, true);
  assertEquals(s.templates, [{
    name: "db.env",
    source: "A={{ .a }}\nB={{ .b }}\n",
    line: 16,
    column: 11,
  }]);
  assertEquals(s.files[0], {
    path: "/secrets/db.env",
    template: "db.env",
    mode: 0o440,
    owner: "app",
    group: "1000",
    writeMode: "inplace",
    createDirs: true,
  });
});

Deno.test("parseConfig() sets maxStaleness to three refresh intervals by default", () => {
  const plan = parse(MINIMAL.replace("key: app/db", "key: app/db\n    refreshInterval: 30s"));
  assertStrictEquals(plan.secrets[0]!.maxStalenessMs, 90_000);
});

Deno.test("parseConfig() reads onChange hooks with their defaults", () => {
  const plan = parse(
    MINIMAL + `    onChange:
      - command: ["/usr/bin/pkill", "-HUP", "nginx"]
      - command: [/bin/true]
        timeout: 5s
      - signal: { pidFile: /run/app.pid }
      - signal: { pidFile: run/app.pid, signal: usr1 }
      - http: { url: "http://127.0.0.1:9000/reload" }
      - http: { url: "https://127.0.0.1:9000/r", method: put, timeout: 2s }
`,
  );
  assertEquals(plan.secrets[0]!.onChange, [
    { kind: "command", argv: ["/usr/bin/pkill", "-HUP", "nginx"], timeoutMs: 30_000 },
    { kind: "command", argv: ["/bin/true"], timeoutMs: 5000 },
    { kind: "signal", pidFile: "/run/app.pid", signal: "SIGHUP" },
    { kind: "signal", pidFile: "/etc/secrets-sync/run/app.pid", signal: "SIGUSR1" },
    { kind: "http", url: "http://127.0.0.1:9000/reload", method: "POST", timeoutMs: 10_000 },
    { kind: "http", url: "https://127.0.0.1:9000/r", method: "PUT", timeoutMs: 2000 },
  ]);
});

Deno.test("parseConfig() reads a list of addresses and trims trailing slashes", () => {
  const plan = parse(MINIMAL.replace(
    "address: http://127.0.0.1:8200",
    "address: [https://v1.example.com:8200/, https://v2.example.com:8200]",
  ));
  assertEquals(plan.store.addresses, [
    "https://v1.example.com:8200",
    "https://v2.example.com:8200",
  ]);
});

Deno.test("parseConfig() reads TLS fields and resolves their paths", () => {
  const plan = parse(MINIMAL.replace(
    "token: s.test-token",
    `token: s.test-token
  tlsCACert: certs/ca.pem
  tlsCAPath: /etc/ssl/certs
  tlsClientCert: /certs/client.pem
  tlsClientKey: /certs/client-key.pem
  tlsServerName: vault.internal
  tlsSkipVerify: true
  requestTimeout: 3s
  maxResponseBytes: 1048576`,
  ));
  assertEquals(plan.store.tls, {
    caCert: "/etc/secrets-sync/certs/ca.pem",
    caPath: "/etc/ssl/certs",
    clientCert: "/certs/client.pem",
    clientKey: "/certs/client-key.pem",
    serverName: "vault.internal",
    skipVerify: true,
  });
  assertStrictEquals(plan.store.requestTimeoutMs, 3000);
  assertStrictEquals(plan.store.maxResponseBytes, 1_048_576);
});

Deno.test("parseConfig() reads the settings section", () => {
  const plan = parse(
    MINIMAL + `settings:
  logLevel: warn
  logFormat: pretty
  metrics: { enabled: false, addr: 0.0.0.0, port: 9102 }
  statusFile: state/ready
  watch: true
  concurrency: 3
  circuitBreaker: { maxRequests: 7, interval: 2m, timeout: 45s }
  backoff: { initial: 500ms, max: 1m, multiplier: 1.5 }
`,
  );
  assertEquals(plan.settings, {
    logLevel: "warning",
    logFormat: "pretty",
    metrics: { enabled: false, addr: "0.0.0.0", port: 9102 },
    statusFile: "/etc/secrets-sync/state/ready",
    watch: true,
    concurrency: 3,
    resilience: {
      initialBackoffMs: 500,
      maxBackoffMs: 60_000,
      backoffMultiplier: 1.5,
      breakerMaxFailures: 7,
      breakerIntervalMs: 120_000,
      breakerTimeoutMs: 45_000,
    },
  });
});

Deno.test("parseConfig() expands ${VAR} in values and records the variables used", () => {
  const plan = parse(
    MINIMAL
      .replace("http://127.0.0.1:8200", '"${ADDR}"')
      .replace("/secrets/db.env", '"${OUTPUT_DIR:-/secrets}/db.env"')
      .replace("key: app/db", "key: ${APP:-app}/db\n    refreshInterval: ${EVERY:-1m}"),
    { ADDR: "https://vault.example.com" },
  );
  assertEquals(plan.store.addresses, ["https://vault.example.com"]);
  assertStrictEquals(plan.secrets[0]!.files[0]!.path, "/secrets/db.env");
  assertStrictEquals(plan.secrets[0]!.key, "app/db");
  assertStrictEquals(plan.secrets[0]!.refreshIntervalMs, 60_000);
  assertEquals(plan.envUsed, ["ADDR", "APP", "EVERY", "OUTPUT_DIR"]);
});

Deno.test("parseConfig() types booleans and numbers that come from ${VAR}", () => {
  const plan = parse(
    MINIMAL.replace("token: s.test-token", "token: s.test-token\n  tlsSkipVerify: ${SKIP:-false}") +
      "settings:\n  metrics: { port: '${PORT}' }\n",
    { PORT: "9000" },
  );
  assertStrictEquals(plan.store.tls.skipVerify, false);
  assertStrictEquals(plan.settings.metrics.port, 9000);
});

Deno.test("parseConfig() keeps a token that contains ${ literally (no re-expansion)", () => {
  const plan = parse(MINIMAL.replace("token: s.test-token", 'token: "${VAULT_TOKEN}"'), {
    VAULT_TOKEN: "s.a${B}c",
  });
  assertEquals(plan.credentials["default"], { method: "token", token: "s.a${B}c" });
});

Deno.test("parseConfig() leaves ${...} in template sources to the template", () => {
  const plan = parse(
    MINIMAL.replace("DB_PASSWORD={{ .password }}", () => "export PATH=${PATH} X=$${Y}"),
  );
  assertStrictEquals(plan.secrets[0]!.templates[0]!.source, "export PATH=${PATH} X=$${Y}");
  assertEquals(plan.envUsed, []);
});

Deno.test("parseConfig() writes $${ as a literal ${ in a value", () => {
  const plan = parse(MINIMAL.replace("/secrets/db.env", () => '"/secrets/$${x}.env"'));
  assertStrictEquals(plan.secrets[0]!.files[0]!.path, "/secrets/${x}.env");
});

Deno.test("parseConfig() keeps the text of a numeric token", () => {
  const plan = parse(MINIMAL.replace("token: s.test-token", "token: 0012345"));
  assertEquals(plan.credentials["default"], { method: "token", token: "0012345" });
});

Deno.test("parseConfig() accepts 10,000 secrets", () => {
  const plan = parse(STORE + "secrets:\n" + secretsYaml(10_000));
  assertStrictEquals(plan.secrets.length, 10_000);
});

Deno.test("parseConfig() rejects more than 10,000 secrets", () => {
  const error = parseError(STORE + "secrets:\n" + secretsYaml(10_001));
  assertEquals(error.issues.map((i) => `${i.line}:${i.column} ${i.key}: ${i.message}`), [
    "5:3 secrets: Too many secrets: at most 10000",
  ]);
});

Deno.test("parseConfig() reads ExternalSecret manifests as ESO documents", () => {
  const error = parseError("apiVersion: external-secrets.io/v1beta1\nkind: ExternalSecret\n");
  assertStrictEquals(error.issues[0]!.key, "doc1.spec");
  assertStrictEquals(error.issues[0]!.line, 1);
});

Deno.test("parseConfig() throws a ConfigError named ConfigError", () => {
  const error = parseError("");
  assertStrictEquals(error instanceof ConfigError, true);
  assertStrictEquals(error.name, "ConfigError");
  assertStrictEquals(
    error.message,
    `${FILE}:1:1: The config is empty: expected secretStore and secrets`,
  );
});

function secretsYaml(count: number): string {
  let out = "";
  for (let i = 0; i < count; i++) {
    out += `  - name: s${i}\n    key: app/s${i}\n    template: { data: { v: "{{ .v }}" } }\n` +
      `    files: [{ path: /secrets/s${i} }]\n`;
  }
  return out;
}

Deno.test("parseConfig() follows YAML anchors, aliases, merge keys and ignores x- keys at the top", () => {
  const plan = parse(`${STORE}x-templates:
  data: &tpl
    one: "1"
    two: "2"
secrets:
  - &base
    name: a
    key: app/a
    refreshInterval: 1m
    template:
      data: *tpl
    files:
      - path: /s/a1
      - path: /s/a2
  - <<: *base
    name: b
    template:
      data:
        <<: *tpl
        three: "3"
    files:
      - path: /s/b1
      - path: /s/b2
      - path: /s/b3
`);
  assertEquals(plan.secrets.map((s) => [s.name, s.key, s.refreshIntervalMs]), [
    ["a", "app/a", 60_000],
    ["b", "app/a", 60_000],
  ]);
  assertEquals(plan.secrets[1]!.files.map((f) => f.template), ["one", "two", "three"]);
});

Deno.test("planFromSeed() plans data built in code, without positions", () => {
  const plan = planFromSeed({
    secretStore: { address: "http://127.0.0.1:8200", token: "t" },
    secrets: [{
      name: "db",
      key: "app/db",
      refreshInterval: "30s",
      template: { data: { env: "{{ .password }}" } },
      files: [{ path: "out/db.env", mode: 416 }],
    }],
  }, { file: "/srv/config.yaml", env: envOf() });
  assertEquals(plan.secrets[0]!.files[0], {
    path: "/srv/out/db.env",
    template: "env",
    mode: 0o416,
    writeMode: "rename",
    createDirs: false,
  });
  assertEquals(plan.secrets[0]!.templates, [{ name: "env", source: "{{ .password }}" }]);
});

Deno.test("planFromSeed() reports problems without line numbers when there is no source", () => {
  const err = assertThrows(
    () => planFromSeed({ secrets: [] }, { file: "/srv/config.yaml", env: envOf() }),
    ConfigError,
  );
  assertStrictEquals(
    err.message,
    "/srv/config.yaml: secrets: Give at least one secret\n" +
      "/srv/config.yaml: secretStore.address: Required: the Vault/OpenBao address (or set VAULT_ADDR)\n" +
      "/srv/config.yaml: secretStore: Token auth needs token or tokenFile (or VAULT_TOKEN)",
  );
});

Deno.test("formatKeyPath() quotes keys that are not plain names", () => {
  assertStrictEquals(formatKeyPath(["secrets", 2, "files", 0, "mode"]), "secrets[2].files[0].mode");
  assertStrictEquals(
    formatKeyPath(["secrets", 0, "template", "data", "db.env"]),
    'secrets[0].template.data["db.env"]',
  );
  assertStrictEquals(formatKeyPath([]), "");
});

Deno.test("parseConfig() records where TLS files, output paths and owners were set", () => {
  const plan = parse(
    `${STORE}  tlsCACert: ca.pem
  tlsClientCert: client.pem
  tlsClientKey: client.key
secrets:
  - name: db
    key: app/db
    template:
      data:
        db.env: "X={{ .x }}"
    files:
      - path: /secrets/db.env
        owner: app
        group: "0"
`,
    { VAULT_CLIENT_KEY: "/run/key.pem" },
  );
  assertEquals(plan.sources, {
    tls: {
      caCert: { key: "secretStore.tlsCACert", line: 4, column: 14 },
      clientCert: { key: "secretStore.tlsClientCert", line: 5, column: 18 },
      clientKey: { key: "env.VAULT_CLIENT_KEY", line: 0, column: 0 },
    },
    files: {
      "/secrets/db.env": {
        path: { key: "secrets[0].files[0].path", line: 14, column: 15 },
        owner: { key: "secrets[0].files[0].owner", line: 15, column: 16 },
        group: { key: "secrets[0].files[0].group", line: 16, column: 16 },
      },
    },
  });
});
