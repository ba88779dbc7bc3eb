/**
 * `authMethod: jwt` and `authMethod: kubernetes` in the config: fields, defaults, errors at their
 * line and column, permissions.
 */
import { requiredPermissions } from "../../src/config/mod.ts";
import { assertEquals } from "../support/assert.ts";
import { FILE, issuesOf, parse } from "./_helpers.ts";

const SECRETS = `secrets:
  - name: db
    key: app/db
    template: { data: { db.env: x } }
    files: [{ path: /secrets/db.env }]
`;

function store(auth: string): string {
  return `secretStore:\n  address: http://127.0.0.1:8200\n${auth}${SECRETS}`;
}

Deno.test("parseConfig() resolves jwt auth with its role, jwtFile and the default mount", () => {
  const plan = parse(store("  authMethod: jwt\n  role: app\n  jwtFile: tokens/jwt\n"));
  assertEquals(plan.credentials["default"], {
    method: "jwt",
    role: "app",
    jwtFile: "/etc/secrets-sync/tokens/jwt",
    mount: "jwt",
  });
});

Deno.test("parseConfig() gives kubernetes auth the pod's token file and mount by default", () => {
  const plan = parse(store("  authMethod: kubernetes\n  role: app\n"));
  assertEquals(plan.credentials["default"], {
    method: "kubernetes",
    role: "app",
    jwtFile: "/var/run/secrets/kubernetes.io/serviceaccount/token",
    mount: "kubernetes",
  });
});

Deno.test("parseConfig() takes authMount and jwtFile in a credential set", () => {
  const plan = parse(store(`  token: s.default
  credentials:
    k8s:
      authMethod: kubernetes
      role: reader
      authMount: /k8s-prod/
      jwtFile: /var/run/secrets/tokens/vault
`));
  assertEquals(plan.credentials["k8s"], {
    method: "kubernetes",
    role: "reader",
    jwtFile: "/var/run/secrets/tokens/vault",
    mount: "k8s-prod",
  });
});

const ERRORS: Array<{ name: string; auth: string; issues: string[] }> = [
  {
    name: "jwt auth without role",
    auth: "  authMethod: jwt\n  jwtFile: /jwt\n",
    issues: ["1:1 secretStore: JWT auth needs role"],
  },
  {
    name: "jwt auth without jwtFile",
    auth: "  authMethod: jwt\n  role: app\n",
    issues: ["1:1 secretStore: JWT auth needs jwtFile (the file holding the JWT)"],
  },
  {
    name: "kubernetes auth without role",
    auth: "  authMethod: kubernetes\n",
    issues: ["1:1 secretStore: Kubernetes auth needs role"],
  },
  {
    name: "an empty role",
    auth: '  authMethod: kubernetes\n  role: ""\n',
    issues: ["4:9 secretStore.role: role must not be empty"],
  },
  {
    name: "role without authMethod",
    auth: "  role: app\n  jwtFile: /jwt\n",
    issues: [
      '3:3 secretStore.role: Set authMethod to "jwt" or "kubernetes": role is only used with them',
    ],
  },
  {
    name: "AppRole and token fields with jwt auth",
    auth: "  authMethod: jwt\n  role: app\n  jwtFile: /jwt\n  secretId: x\n  tokenFile: /t\n",
    issues: [
      '6:3 secretStore.secretId: secretId is only used with authMethod "approle"',
      '7:3 secretStore.tokenFile: tokenFile is only used with authMethod "token"',
    ],
  },
  {
    name: "jwtFile with approle auth",
    auth: "  authMethod: approle\n  roleId: r\n  secretId: s\n  jwtFile: /jwt\n",
    issues: [
      '6:3 secretStore.jwtFile: jwtFile is only used with authMethod "jwt" or "kubernetes"',
    ],
  },
  {
    name: "a misspelt method",
    auth: "  authMethod: kubernets\n  role: app\n",
    issues: [
      '3:15 secretStore.authMethod: Invalid value "kubernets": expected "token", "approle", "jwt", "kubernetes" (did you mean "kubernetes"?)',
    ],
  },
];

for (const { name, auth, issues } of ERRORS) {
  Deno.test(`parseConfig() reports ${name} at its line and column`, () => {
    assertEquals(issuesOf(store(auth)).sort(), issues.sort());
  });
}

Deno.test("parseConfig() records where jwtFile was set, or authMethod for kubernetes' default", () => {
  const plan = parse(store(`  authMethod: kubernetes
  role: app
  credentials:
    ci:
      authMethod: jwt
      role: ci
      jwtFile: /run/ci.jwt
`));
  assertEquals(plan.sources?.jwtFiles, {
    default: { key: "secretStore.authMethod", line: 3, column: 15 },
    ci: { key: "secretStore.credentials.ci.jwtFile", line: 9, column: 16 },
  });
});

Deno.test("requiredPermissions() reads the jwtFile of the sets in use", () => {
  const plan = parse(store("  authMethod: kubernetes\n  role: app\n"));
  const reads = requiredPermissions(plan, { configPath: FILE, watch: false })
    .filter((need) => need.name === "read");
  assertEquals(
    reads.find((need) => need.value === "/var/run/secrets/kubernetes.io/serviceaccount/token")
      ?.why,
    'jwtFile of credentials "default"',
  );
});
