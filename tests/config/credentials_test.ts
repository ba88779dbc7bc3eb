import { assert, assertEquals, assertStrictEquals } from "../support/assert.ts";
import { FILE, MINIMAL, parse, parseError } from "./_helpers.ts";

const SETS = `secretStore:
  address: http://127.0.0.1:8200
  authMethod: token
  token: s.default
  credentials:
    team-a:
      authMethod: token
      tokenFile: secrets/team-a-token
    team-b:
      authMethod: approle
      roleId: role-b
      secretIdFile: /run/secrets/sid-b
      secretIdWrapped: true
      authMount: /auth-b/
    team-c:
      roleIdFile: /run/role-c
      secretId: sid-c
secrets:
  - name: a
    key: a
    credentials: team-a
    template: { data: { a: x } }
    files: [{ path: /s/a }]
  - name: b
    key: b
    credentials: team-b
    template: { data: { b: x } }
    files: [{ path: /s/b }]
  - name: d
    key: d
    template: { data: { d: x } }
    files: [{ path: /s/d }]
`;

Deno.test("parseConfig() resolves named credential sets", () => {
  const plan = parse(SETS);
  assertEquals(plan.credentials, {
    default: { method: "token", token: "s.default" },
    "team-a": { method: "token", tokenFile: "/etc/secrets-sync/secrets/team-a-token" },
    "team-b": {
      method: "approle",
      roleId: "role-b",
      secretIdFile: "/run/secrets/sid-b",
      secretIdWrapped: true,
      mount: "auth-b",
    },
    "team-c": {
      method: "approle",
      roleIdFile: "/run/role-c",
      secretId: "sid-c",
      secretIdWrapped: false,
      mount: "approle",
    },
  });
  assertEquals(plan.secrets.map((s) => s.credentials), ["team-a", "team-b", "default"]);
});

Deno.test("ConfigError messages never contain tokens or secret ids", () => {
  const secrets = ["s.SUPER-SECRET-TOKEN", "ROLE-ID-VALUE", "SECRET-ID-VALUE", "TEAM-TOKEN"];
  const text = `secretStore:
  address: "not a url"
  authMethod: approle
  roleId: ${secrets[1]}
  secretId: ${secrets[2]}
  token: ${secrets[0]}
  credentials:
    team-a:
      token: ${secrets[3]}
      tokenFile: /x
      secretId: ${secrets[2]}
secrets:
  - name: db
    key: app/db
    credentials: team-z
    template: { data: { a: "${secrets[0]}" } }
    files: [{ path: /s/a, mode: "9" }]
`;
  const error = parseError(text, { VAULT_TOKEN: secrets[0]!, VAULT_SECRET_ID: secrets[2]! });
  assert(error.issues.length >= 4, error.message);
  for (const secret of secrets) {
    assertStrictEquals(error.message.includes(secret), false, `message contains ${secret}`);
    assertStrictEquals(
      JSON.stringify(error.issues).includes(secret),
      false,
      `issues contain ${secret}`,
    );
  }
});

Deno.test("ConfigError messages never contain a token of the wrong type", () => {
  const error = parseError(
    MINIMAL.replace("token: s.test-token", "token: { value: s.MAP-SECRET }"),
  );
  assertStrictEquals(error.message.includes("s.MAP-SECRET"), false);
  assertStrictEquals(error.message, `${FILE}:3:10: secretStore.token: Expected text, got a map`);
});

Deno.test("YAML errors around a token never quote it", () => {
  for (
    const text of [
      'secretStore:\n  token: "s.SECRETVAL\n',
      "secretStore:\n  token: *SECRETVAL\n",
      "secretStore:\n  token: s.SECRETVAL: x\n",
      'secretStore:\n  token: "s.SECRETVAL\\qx"\n',
    ]
  ) {
    const message = parseError(text).message;
    assertStrictEquals(message.includes("SECRETVAL"), false, message);
  }
});
