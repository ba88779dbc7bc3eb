import { assertEquals, assertMatch, assertStrictEquals } from "../support/assert.ts";
import { FILE, issuesOf, MINIMAL, parseError, STORE } from "./_helpers.ts";

/** Each case: a config and the exact issues it must produce (`line:column key: message`). */
const CASES: { name: string; text: string; env?: Record<string, string>; issues: string[] }[] = [
  {
    name: "a YAML syntax error",
    text: "secretStore:\n  address: [http://a\n  token: x\n",
    issues: [
      "3:3 secretStore.address[0]: Invalid YAML: Flow sequence in block collection must be sufficiently indented and end with a ] (BAD_INDENT)",
    ],
  },
  {
    name: "a duplicate YAML key",
    text: MINIMAL.replace("key: app/db", "key: app/db\n    key: app/other"),
    issues: ["7:5 secrets[0]: Invalid YAML: Map keys must be unique (DUPLICATE_KEY)"],
  },
  {
    name: "an unknown key with a close match",
    text: MINIMAL.replace("key: app/db", "key: app/db\n    mountpath: kv"),
    issues: ['7:5 secrets[0].mountpath: Unknown key "mountpath" (did you mean "mountPath"?)'],
  },
  {
    name: "an unknown key with no close match",
    text: MINIMAL.replace("key: app/db", "key: app/db\n    colour: blue"),
    issues: ['7:5 secrets[0].colour: Unknown key "colour"'],
  },
  {
    name: "an unknown top-level key",
    text: MINIMAL + "secret:\n  - {}\n",
    issues: ['12:1 secret: Unknown key "secret" (did you mean "secrets"?)'],
  },
  {
    name: "an unknown key in a file entry",
    text: MINIMAL.replace("- path: /secrets/db.env", "- path: /secrets/db.env\n        mod: 0600"),
    issues: ['12:9 secrets[0].files[0].mod: Unknown key "mod" (did you mean "mode"?)'],
  },
  {
    name: "a bad authMethod",
    text: MINIMAL.replace("token: s.test-token", "authMethod: tokn\n  token: x"),
    issues: [
      '3:15 secretStore.authMethod: Invalid value "tokn": expected "token", "approle", "jwt", "kubernetes" (did you mean "token"?)',
    ],
  },
  {
    name: "a missing address",
    text: MINIMAL.replace("  address: http://127.0.0.1:8200\n", ""),
    issues: ["1:1 secretStore.address: Required: the Vault/OpenBao address (or set VAULT_ADDR)"],
  },
  {
    name: "an address without a scheme",
    text: MINIMAL.replace("http://127.0.0.1:8200", "vault:8200"),
    issues: [
      '2:12 secretStore.address: Invalid address "vault:8200": the scheme must be http or https',
    ],
  },
  {
    name: "a bad duration",
    text: MINIMAL.replace("key: app/db", "key: app/db\n    refreshInterval: 5 minutes"),
    issues: [
      '7:22 secrets[0].refreshInterval: Invalid duration "5 minutes": expected e.g. "30s", "5m", "1h30m"',
    ],
  },
  {
    name: "a duration without a unit",
    text: MINIMAL.replace("key: app/db", "key: app/db\n    refreshInterval: 30"),
    issues: [
      '7:22 secrets[0].refreshInterval: Invalid duration "30": missing unit, e.g. "30s" (units: ms, s, m, h)',
    ],
  },
  {
    name: "a refresh interval below 100ms",
    text: MINIMAL.replace("key: app/db", "key: app/db\n    refreshInterval: 50ms"),
    issues: ["7:22 secrets[0].refreshInterval: Must be at least 100ms"],
  },
  {
    name: "maxStaleness below the refresh interval",
    text: MINIMAL.replace(
      "key: app/db",
      "key: app/db\n    refreshInterval: 1m\n    maxStaleness: 30s",
    ),
    issues: [
      "8:19 secrets[0].maxStaleness: Must not be less than refreshInterval (readiness would flap between refreshes)",
    ],
  },
  {
    name: "a mode with non-octal digits",
    text: MINIMAL.replace(
      "- path: /secrets/db.env",
      '- path: /secrets/db.env\n        mode: "0986"',
    ),
    issues: ['12:15 secrets[0].files[0].mode: Invalid file mode "0986": octal digits are 0-7'],
  },
  {
    name: "a mode above 07777",
    text: MINIMAL.replace(
      "- path: /secrets/db.env",
      "- path: /secrets/db.env\n        mode: 17777",
    ),
    issues: [
      '12:15 secrets[0].files[0].mode: Invalid file mode "17777": the largest mode is 07777',
    ],
  },
  {
    name: "a kvVersion that does not exist",
    text: MINIMAL.replace("key: app/db", "key: app/db\n    kvVersion: v3"),
    issues: ['7:16 secrets[0].kvVersion: Invalid kvVersion "v3": expected "v1", "v2" or "auto"'],
  },
  {
    name: "a pinned version on KV v1",
    text: MINIMAL.replace("key: app/db", "key: app/db\n    kvVersion: v1\n    version: 2"),
    issues: ["8:14 secrets[0].version: A pinned version needs KV v2 (kvVersion is v1)"],
  },
  {
    name: "a missing key",
    text: MINIMAL.replace("    key: app/db\n", ""),
    issues: [
      '5:5 secrets[0]: Required: key (the secret\'s path inside the mount, e.g. "app/db"), unless its templates read everything with {{ secret "path" }} or pkiCert',
    ],
  },
  {
    name: "both key and path",
    text: MINIMAL.replace("key: app/db", "key: app/db\n    path: app/db"),
    issues: ["7:5 secrets[0].path: Give either key or path (its older name), not both"],
  },
  {
    name: "a key with .. segments",
    text: MINIMAL.replace("key: app/db", "key: app/../db"),
    issues: ['6:10 secrets[0].key: Invalid key "app/../db": "." and ".." segments are not allowed'],
  },
  {
    name: "a file path with .. segments",
    text: MINIMAL.replace("/secrets/db.env", "/secrets/../etc/passwd"),
    issues: [
      '11:15 secrets[0].files[0].path: Invalid path "/secrets/../etc/passwd": ".." segments are not allowed',
    ],
  },
  {
    name: "two secrets with one name",
    text: MINIMAL + MINIMAL.slice(MINIMAL.indexOf("  - name")).replace("/secrets/db.env", "/s/2"),
    issues: ['12:11 secrets[1].name: Duplicate secret name "db": secrets[0] has it too'],
  },
  {
    name: "two secrets writing one file",
    text: MINIMAL + MINIMAL.slice(MINIMAL.indexOf("  - name")).replace("name: db", "name: db2"),
    issues: [
      '18:15 secrets[1].files[0].path: Duplicate output path "/secrets/db.env": secret "db" (secrets[0]) writes it too',
    ],
  },
  {
    name: "a file naming a missing template",
    text: MINIMAL.replace(
      "- path: /secrets/db.env",
      "- path: /secrets/db.env\n        template: db.evn",
    ),
    issues: [
      '12:19 secrets[0].files[0].template: No template "db.evn" in template.data (did you mean "db.env"?)',
    ],
  },
  {
    name: "more files than templates",
    text: MINIMAL + "      - path: /secrets/extra\n",
    issues: [
      '12:9 secrets[0].files[1]: File 2 has no template: template.data has 1 entry and files map to them in order; set "template:" to pick one',
    ],
  },
  {
    name: "a template no file receives",
    text: MINIMAL.replace(
      'db.env: "DB_PASSWORD={{ .password }}"',
      'db.env: "x"\n        unused: "y"',
    ),
    issues: [
      '10:9 secrets[0].template.data.unused: Template "unused" is not written to any file; add a file with template: "unused"',
    ],
  },
  {
    name: "an unknown credential set",
    text: MINIMAL.replace("key: app/db", "key: app/db\n    credentials: team-a"),
    issues: [
      '7:18 secrets[0].credentials: Unknown credential set "team-a"; secretStore.credentials defines none',
    ],
  },
  {
    name: "a misspelt credential set",
    text: MINIMAL.replace(
      "token: s.test-token",
      "token: t\n  credentials:\n    team-a: { token: a }",
    )
      .replace("key: app/db", "key: app/db\n    credentials: team-b"),
    issues: [
      '9:18 secrets[0].credentials: Unknown credential set "team-b" (did you mean "team-a"?); defined: "team-a"',
    ],
  },
  {
    name: "missing token material",
    text: MINIMAL.replace("  token: s.test-token\n", ""),
    issues: ["1:1 secretStore: Token auth needs token or tokenFile (or VAULT_TOKEN)"],
  },
  {
    name: "token and tokenFile together",
    text: MINIMAL.replace("token: s.test-token", "token: s.test-token\n  tokenFile: /run/token"),
    issues: ["4:3 secretStore.tokenFile: Give either token or tokenFile, not both"],
  },
  {
    name: "approle without a secret id",
    text: MINIMAL.replace("token: s.test-token", "authMethod: approle\n  roleId: r"),
    issues: ["1:1 secretStore: AppRole auth needs secretId or secretIdFile (or VAULT_SECRET_ID)"],
  },
  {
    name: "approle fields with token auth",
    text: MINIMAL.replace("token: s.test-token", "token: t\n  roleId: r"),
    issues: ['4:3 secretStore.roleId: roleId is only used with authMethod "approle"'],
  },
  {
    name: "a credential set without material",
    text: MINIMAL.replace(
      "token: s.test-token",
      "token: t\n  credentials:\n    team-a:\n      authMethod: approle\n      roleId: r",
    ),
    issues: [
      '5:5 secretStore.credentials.team-a: AppRole auth needs secretId or secretIdFile (credential set "team-a")',
    ],
  },
  {
    name: "a credential set named default",
    text: MINIMAL.replace(
      "token: s.test-token",
      "token: t\n  credentials:\n    default: { token: x }",
    ),
    issues: [
      '5:5 secretStore.credentials.default: The credential set name "default" is reserved for the credentials in secretStore',
    ],
  },
  {
    name: "a client cert without a key",
    text: MINIMAL.replace("token: s.test-token", "token: t\n  tlsClientCert: /c.pem"),
    issues: [
      "4:18 secretStore.tlsClientCert: tlsClientKey is required when tlsClientCert is set (mutual TLS needs both)",
    ],
  },
  {
    name: "an unset variable",
    text: MINIMAL.replace("token: s.test-token", 'token: "${VAULT_TOKEN}"'),
    issues: [
      '3:10 secretStore.token: Cannot expand "${VAULT_TOKEN}": environment variable VAULT_TOKEN is not set',
    ],
  },
  {
    name: "a wrong type",
    text: MINIMAL.replace("key: app/db", "key: [a, b]"),
    issues: ["6:10 secrets[0].key: Expected text, got a list"],
  },
  {
    name: "a boolean that is not one",
    text: MINIMAL.replace(
      "- path: /secrets/db.env",
      "- path: /secrets/db.env\n        createDirs: yes",
    ),
    issues: ['12:21 secrets[0].files[0].createDirs: Expected true or false, got "yes"'],
  },
  {
    name: "a hook with two kinds",
    text: MINIMAL +
      "    onChange:\n      - command: [/bin/true]\n        http: { url: http://x }\n",
    issues: [
      "13:9 secrets[0].onChange[0]: A hook has exactly one of command, signal or http; this one has command and http",
    ],
  },
  {
    name: "a hook with an unknown signal",
    text: MINIMAL + "    onChange:\n      - signal: { pidFile: /run/x.pid, signal: SIGHPU }\n",
    issues: [
      '13:48 secrets[0].onChange[0].signal.signal: Unknown signal "SIGHPU" (did you mean "SIGHUP"?)',
    ],
  },
  {
    name: "a settings value out of range",
    text: MINIMAL + "settings:\n  metrics:\n    port: 70000\n",
    issues: ["14:11 settings.metrics.port: Must be at most 65535"],
  },
  {
    name: "no secrets",
    text: STORE + "secrets: []\n",
    issues: ["4:10 secrets: Give at least one secret"],
  },
  {
    name: "a secret without files",
    text: MINIMAL.replace("    files:\n      - path: /secrets/db.env\n", "    files: []\n"),
    issues: ["10:12 secrets[0].files: Give at least one file"],
  },
];

for (const { name, text, env, issues } of CASES) {
  Deno.test(`parseConfig() reports ${name} with its line and column`, () => {
    assertEquals(issuesOf(text, env), issues);
  });
}

Deno.test("parseConfig() reports every problem at once, in file order", () => {
  const error = parseError(`secretStore:
  adress: http://127.0.0.1:8200
  authMethod: tokn
settings:
  logLevel: verbose
secrets:
  - name: db
    key: app/db
    kvVersion: v3
    template: { data: { a: x } }
    files: [{ path: /a }]
  - name: db
    key: b
    template: { data: { b: x } }
    files: [{ path: /a, mode: "999" }]
  - name: c
    key: c
    templat: {}
    files: [{ path: /c }]
`);
  assertEquals(error.issues.map((i) => `${i.line}:${i.column} ${i.key}`), [
    "2:3 secretStore.adress",
    "3:15 secretStore.authMethod",
    "5:13 settings.logLevel",
    "9:16 secrets[0].kvVersion",
    "12:11 secrets[1].name",
    "15:21 secrets[1].files[0].path",
    "15:31 secrets[1].files[0].mode",
    "16:5 secrets[2].template",
    "18:5 secrets[2].templat",
  ]);
  const lines = error.message.split("\n");
  assertStrictEquals(lines.length, error.issues.length);
  for (const line of lines) assertMatch(line, new RegExp(`^${FILE}:\\d+:\\d+: \\S+: `));
});

Deno.test("parseConfig() reports an invalid environment override without a line", () => {
  assertEquals(issuesOf(MINIMAL, { METRICS_PORT: "http", VAULT_SKIP_VERIFY: "maybe" }), [
    '0:0 env.VAULT_SKIP_VERIFY: Expected true or false, got "maybe"',
    '0:0 env.METRICS_PORT: Invalid value "http": expected an integer from 1 to 65535',
  ]);
  assertMatch(
    parseError(MINIMAL, { LOG_LEVEL: "loud" }).message,
    /^\/etc\/secrets-sync\/config\.yaml: env\.LOG_LEVEL: Invalid value "loud"/,
  );
});

Deno.test("parseConfig() reports cross-secret problems even in an entry with a bad field", () => {
  assertEquals(
    issuesOf(`${STORE}secrets:
  - name: a
    key: a
    template: { data: { a: x } }
    files: [{ path: /s/a }]
  - name: a
    key: b
    refreshInterval: soon
    credentials: nope
    template: { data: { b: x } }
    files: [{ path: /s/a }]
`),
    [
      '9:11 secrets[1].name: Duplicate secret name "a": secrets[0] has it too',
      '11:22 secrets[1].refreshInterval: Invalid duration "soon": expected e.g. "30s", "5m", "1h30m"',
      '12:18 secrets[1].credentials: Unknown credential set "nope"; secretStore.credentials defines none',
      '14:21 secrets[1].files[0].path: Duplicate output path "/s/a": secret "a" (secrets[0]) writes it too',
    ],
  );
});

const SHAPES: [string, string, string[]][] = [
  ["a list at the top", "- a\n- b\n", ["1:1 : Expected a map, got a list"]],
  ["text as secretStore", "secretStore: vault\nsecrets: []\n", [
    "1:14 secretStore: Expected a map, got text",
    "2:10 secrets: Give at least one secret",
  ]],
  ["an empty secrets key", `${STORE}secrets:\n`, ["4:9 secrets: Required"]],
  ["an unknown key under settings.metrics", `${MINIMAL}settings:\n  metrics: { prot: 1 }\n`, [
    '13:14 settings.metrics.prot: Unknown key "prot" (did you mean "port"?)',
  ]],
];

for (const [name, text, issues] of SHAPES) {
  Deno.test(`parseConfig() reports ${name}`, () => {
    assertEquals(issuesOf(text), issues);
  });
}

Deno.test("parseConfig() never echoes credentials written into the address", () => {
  const message =
    parseError(MINIMAL.replace("http://127.0.0.1:8200", "http//user:hunter2@vault")).message;
  assertStrictEquals(message.includes("hunter2"), false, message);
  const withScheme = parseError(
    MINIMAL.replace("http://127.0.0.1:8200", "https://u:hunter2@vault"),
  );
  assertStrictEquals(withScheme.message.includes("hunter2"), false, withScheme.message);
});

Deno.test("parseConfig() explains a map given as the address", () => {
  assertEquals(issuesOf(MINIMAL.replace("http://127.0.0.1:8200", "{ url: x }")), [
    "2:12 secretStore.address: Expected an address or a list of addresses",
  ]);
});
