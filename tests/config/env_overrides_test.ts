import { assertEquals, assertStrictEquals } from "../support/assert.ts";
import { MINIMAL, parse } from "./_helpers.ts";

Deno.test("VAULT_ADDR overrides secretStore.address", () => {
  const plan = parse(MINIMAL, { VAULT_ADDR: "https://vault.example.com:8200/" });
  assertEquals(plan.store.addresses, ["https://vault.example.com:8200"]);
});

Deno.test("VAULT_ADDR may list several addresses separated by commas", () => {
  const plan = parse(MINIMAL, { VAULT_ADDR: "https://a:8200, https://b:8200" });
  assertEquals(plan.store.addresses, ["https://a:8200", "https://b:8200"]);
});

Deno.test("VAULT_ADDR supplies an address the config leaves out", () => {
  const plan = parse(MINIMAL.replace("  address: http://127.0.0.1:8200\n", ""), {
    VAULT_ADDR: "http://127.0.0.1:8300",
  });
  assertEquals(plan.store.addresses, ["http://127.0.0.1:8300"]);
});

Deno.test("an empty override variable counts as unset", () => {
  const plan = parse(MINIMAL, { VAULT_ADDR: "", VAULT_TOKEN: "", LOG_LEVEL: "" });
  assertEquals(plan.store.addresses, ["http://127.0.0.1:8200"]);
  assertEquals(plan.credentials["default"], { method: "token", token: "s.test-token" });
  assertStrictEquals(plan.settings.logLevel, "info");
});

Deno.test("VAULT_NAMESPACE overrides the store namespace", () => {
  const plan = parse(MINIMAL.replace("token: s.test-token", "token: t\n  namespace: a"), {
    VAULT_NAMESPACE: "b",
  });
  assertStrictEquals(plan.store.namespace, "b");
});

Deno.test("VAULT_TOKEN overrides the default token and supplies a missing one", () => {
  assertStrictEquals(
    tokenOf(parse(MINIMAL, { VAULT_TOKEN: "s.env" })),
    "s.env",
  );
  assertStrictEquals(
    tokenOf(parse(MINIMAL.replace("  token: s.test-token\n", ""), { VAULT_TOKEN: "s.env" })),
    "s.env",
  );
});

Deno.test("VAULT_TOKEN does not replace a tokenFile", () => {
  const plan = parse(MINIMAL.replace("token: s.test-token", "tokenFile: /run/token"), {
    VAULT_TOKEN: "s.env",
  });
  assertEquals(plan.credentials["default"], { method: "token", tokenFile: "/run/token" });
});

Deno.test("VAULT_TOKEN does not touch named credential sets", () => {
  const plan = parse(
    MINIMAL.replace(
      "token: s.test-token",
      "token: t\n  credentials:\n    team-a: { token: s.team }",
    ),
    { VAULT_TOKEN: "s.env" },
  );
  assertEquals(plan.credentials["team-a"], { method: "token", token: "s.team" });
});

Deno.test("VAULT_ROLE_ID and VAULT_SECRET_ID supply AppRole credentials", () => {
  const plan = parse(MINIMAL.replace("token: s.test-token", "authMethod: approle"), {
    VAULT_ROLE_ID: "role",
    VAULT_SECRET_ID: "sid",
  });
  assertEquals(plan.credentials["default"], {
    method: "approle",
    roleId: "role",
    secretId: "sid",
    secretIdWrapped: false,
    mount: "approle",
  });
});

Deno.test("the auth method is inferred from VAULT_ROLE_ID when the config names none", () => {
  const plan = parse(MINIMAL.replace("  token: s.test-token\n", ""), {
    VAULT_ROLE_ID: "role",
    VAULT_SECRET_ID: "sid",
  });
  assertStrictEquals(plan.credentials["default"]?.method, "approle");
});

Deno.test("the VAULT_* TLS variables override the tls* fields", () => {
  const plan = parse(
    MINIMAL.replace(
      "token: s.test-token",
      "token: t\n  tlsCACert: /file/ca.pem\n  tlsSkipVerify: false",
    ),
    {
      VAULT_CACERT: "/env/ca.pem",
      VAULT_CAPATH: "/env/cas",
      VAULT_CLIENT_CERT: "/env/c.pem",
      VAULT_CLIENT_KEY: "/env/k.pem",
      VAULT_TLS_SERVER_NAME: "vault.internal",
      VAULT_SKIP_VERIFY: "true",
    },
  );
  assertEquals(plan.store.tls, {
    caCert: "/env/ca.pem",
    caPath: "/env/cas",
    clientCert: "/env/c.pem",
    clientKey: "/env/k.pem",
    serverName: "vault.internal",
    skipVerify: true,
  });
});

Deno.test("VAULT_SKIP_VERIFY=false turns off a tlsSkipVerify from the file", () => {
  const plan = parse(MINIMAL.replace("token: s.test-token", "token: t\n  tlsSkipVerify: true"), {
    VAULT_SKIP_VERIFY: "0",
  });
  assertStrictEquals(plan.store.tls.skipVerify, false);
});

Deno.test("the seed's settings variables override the settings section", () => {
  const plan = parse(
    MINIMAL + "settings:\n  logLevel: error\n  metrics: { port: 9000 }\n  watch: false\n",
    {
      LOG_LEVEL: "debug",
      LOG_FORMAT: "pretty",
      ENABLE_METRICS: "false",
      METRICS_ADDR: "0.0.0.0",
      METRICS_PORT: "9102",
      STATUS_FILE: "/run/ready",
      WATCH_CONFIG: "true",
      CIRCUIT_BREAKER_MAX_REQUESTS: "9",
      CIRCUIT_BREAKER_INTERVAL: "2m",
      CIRCUIT_BREAKER_TIMEOUT: "10s",
      INITIAL_BACKOFF: "2s",
      MAX_BACKOFF: "10m",
      BACKOFF_MULTIPLIER: "1.5",
    },
  );
  assertEquals(plan.settings, {
    logLevel: "debug",
    logFormat: "pretty",
    metrics: { enabled: false, addr: "0.0.0.0", port: 9102 },
    statusFile: "/run/ready",
    watch: true,
    concurrency: 8,
    resilience: {
      initialBackoffMs: 2000,
      maxBackoffMs: 600_000,
      backoffMultiplier: 1.5,
      breakerMaxFailures: 9,
      breakerIntervalMs: 120_000,
      breakerTimeoutMs: 10_000,
    },
  });
});

Deno.test("LOG_LEVEL accepts the seed's warn", () => {
  assertStrictEquals(parse(MINIMAL, { LOG_LEVEL: "WARN" }).settings.logLevel, "warning");
});

function tokenOf(plan: ReturnType<typeof parse>): string | undefined {
  const auth = plan.credentials["default"];
  return auth?.method === "token" ? auth.token : undefined;
}
