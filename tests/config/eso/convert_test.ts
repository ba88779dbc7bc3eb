import { ConfigError, convertManifests, parseConfig, type Plan } from "../../../src/config/mod.ts";
import { convertCommand } from "../../../src/cli/convert.ts";
import {
  assert,
  assertEquals,
  assertInstanceOf,
  assertMatch,
  assertNotIncludes,
  assertStringIncludes,
  assertThrows,
} from "../../support/assert.ts";
import { tmpDir } from "../../support/tmp_dir.ts";

const ENV: Record<string, string> = { VAULT_ADDR: "http://127.0.0.1:8200", VAULT_TOKEN: "s.t" };
const env = (name: string) => ENV[name];
const FILE = "/work/manifests/app.yaml";

function es(spec: string, name = "app"): string {
  return `apiVersion: external-secrets.io/v1
kind: ExternalSecret
metadata:
  name: ${name}
spec:
${spec}`;
}

const SIMPLE = es(`  data:
    - secretKey: password
      remoteRef:
        key: secret/app/db
        property: password
`);

function issues(text: string, options: { mountPath?: string } = {}): string[] {
  const error = assertThrows(
    () => convertManifests(text, { file: "in.yaml", ...options }),
    ConfigError,
  );
  return (error as ConfigError).issues.map((i) => `${i.line}:${i.column} ${i.key}: ${i.message}`);
}

function loadIssues(text: string): string[] {
  const error = assertThrows(() => parseConfig(text, { file: FILE, env }), ConfigError);
  return (error as ConfigError).issues.map((i) => `${i.line}:${i.column} ${i.key}: ${i.message}`);
}

Deno.test("convertManifests() without a store takes the address and token from the environment", () => {
  const { yaml, warnings } = convertManifests(SIMPLE, { file: "in.yaml" });
  assertStringIncludes(yaml, "address: ${VAULT_ADDR}\n");
  assertStringIncludes(yaml, "token: ${VAULT_TOKEN}\n");
  assertStringIncludes(yaml, "path: /secrets/app/password\n");
  assertEquals(warnings, []);
});

Deno.test("convertManifests() places each target under --output-dir", () => {
  const { yaml } = convertManifests(SIMPLE, { file: "in.yaml", outputDir: "/run/app/" });
  assertStringIncludes(yaml, "path: /run/app/app/password\n");
});

Deno.test("convertManifests() uses --mount-path for keys when the store has no path", () => {
  const text = es(`  data:
    - secretKey: password
      remoteRef:
        key: app/db
        property: password
`);
  const { yaml } = convertManifests(text, { file: "in.yaml", mountPath: "kv" });
  assertStringIncludes(yaml, "key: app/db\n");
  assertStringIncludes(yaml, "mountPath: kv\n");
});

Deno.test("convertManifests() reads the mount from the key's first segment without a store path", () => {
  const plan = parseConfig(SIMPLE, { file: FILE, env });
  assertEquals([plan.secrets[0]!.mountPath, plan.secrets[0]!.key], ["secret", "app/db"]);
});

Deno.test("convertManifests() reports errors at their line and column in the manifest", () => {
  const text = `apiVersion: external-secrets.io/v1
kind: ExternalSecret
metadata:
  name: bad
spec:
  data:
    - secretKey: a/b
      remoteRef:
        key: secret/app
    - remoteRef:
        key: secret/app
    - secretKey: nomount
      remoteRef:
        key: nomount
    - secretKey: v
      remoteRef:
        key: secret/app
        version: latest
`;
  assertEquals(issues(text), [
    '7:18 doc1.spec.data[0].secretKey: Invalid secretKey "a/b": a Secret key (and file name) has only letters, digits, "-", "." and "_"',
    "10:7 doc1.spec.data[1]: Required: secretKey",
    '14:14 doc1.spec.data[2].remoteRef.key: Cannot tell the mount of key "nomount": give it as "<mount>/nomount", set the store\'s path, or use --mount-path',
    '18:18 doc1.spec.data[3].remoteRef.version: Invalid version "latest": expected a positive integer',
  ]);
});

Deno.test("convertManifests() points into the right document of a multi-document file", () => {
  const text = `${SIMPLE}---
apiVersion: external-secrets.io/v1
kind: ExternalSecret
metadata:
  name: second
spec:
  data:
    - secretKey: x
      remoteRef:
        key: ""
`;
  assertEquals(issues(text), [
    "20:9 doc2.spec.data[0].remoteRef: Required: key (the secret's path in Vault)",
  ]);
});

Deno.test("convertManifests() reports YAML syntax errors with their position", () => {
  const [issue] = issues(`${SIMPLE}---\nkind: [unclosed\n`);
  assertMatch(issue!, /^13:1 doc2\.kind.*Invalid YAML/);
});

Deno.test("convertManifests() rejects input without any ExternalSecret", () => {
  assertEquals(issues("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n"), [
    "1:1 doc1: No ExternalSecret to convert",
  ]);
});

Deno.test("convertManifests() rejects an unsupported apiVersion", () => {
  const text = SIMPLE.replace("external-secrets.io/v1", "external-secrets.io/v1alpha1");
  assertEquals(issues(text), [
    '1:13 doc1.apiVersion: Unsupported apiVersion "external-secrets.io/v1alpha1": expected "external-secrets.io/v1" or "external-secrets.io/v1beta1"',
  ]);
});

Deno.test("convertManifests() skips other Kubernetes objects with a warning", () => {
  const text = `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n---\n${SIMPLE}`;
  const { warnings } = convertManifests(text, { file: "in.yaml" });
  assertEquals(warnings.map((w) => `${w.line}:${w.column} ${w.key}: ${w.message}`), [
    "2:7 doc1.kind: Skipped ConfigMap (v1): not an External Secrets resource",
  ]);
});

Deno.test("convertManifests() reports two manifests writing the same target at the second one", () => {
  const text = `${SIMPLE}---\n${SIMPLE.replace("name: app", "name: app2")}`.replace(
    "name: app2\nspec:\n",
    "name: app2\nspec:\n  target:\n    name: app\n",
  );
  assertEquals(issues(text), [
    '18:11 doc2.spec.target.name: Duplicate secret name "app": secrets[0] has it too',
    '22:9 doc2.spec.data[0].remoteRef: Duplicate output path "/secrets/app/password": secret "app" (secrets[0]) writes it too',
  ]);
});

Deno.test("convertManifests() warns about providers other than vault and skips their ExternalSecrets", () => {
  const text = `apiVersion: external-secrets.io/v1
kind: SecretStore
metadata:
  name: aws
spec:
  provider:
    aws:
      service: SecretsManager
---
${SIMPLE.replace("spec:\n", "spec:\n  secretStoreRef:\n    name: aws\n")}---
${SIMPLE.replace("name: app", "name: other")}`;
  const { warnings, yaml } = convertManifests(text, { file: "in.yaml" });
  const messages = warnings.map((w) => w.message);
  assert(messages.some((m) => m.includes("uses the aws provider; only vault is supported")));
  assertStringIncludes(yaml, "name: other\n");
  assertNotIncludes(yaml, "name: app\n");
});

Deno.test("convertManifests() refreshes every hour, ESO's default, when refreshInterval is absent", () => {
  const plan = parseConfig(SIMPLE, { file: FILE, env });
  assertEquals(plan.secrets[0]!.refreshIntervalMs, 3_600_000);
});

Deno.test("manifests load as a config into the expected Plan", () => {
  const text = `apiVersion: external-secrets.io/v1
kind: SecretStore
metadata:
  name: vault
spec:
  provider:
    vault:
      server: https://vault.example.com:8200
      path: kv
      version: v1
      namespace: team
      auth:
        appRole:
          path: ci-approle
          roleId: role-1
          secretRef: { name: s, key: secret-id }
---
apiVersion: external-secrets.io/v1
kind: ExternalSecret
metadata:
  name: db
spec:
  refreshInterval: 90s
  secretStoreRef: { name: vault }
  target:
    deletionPolicy: Delete
  data:
    - secretKey: password
      remoteRef: { key: app/db, property: password }
`;
  const plan = parseConfig(text, {
    file: FILE,
    env: (n) => n === "VAULT_SECRET_ID" ? "sid" : undefined,
  });
  const expected: Omit<Plan, "settings"> = {
    file: FILE,
    store: {
      addresses: ["https://vault.example.com:8200"],
      namespace: "team",
      tls: { skipVerify: false },
      requestTimeoutMs: 10_000,
      maxResponseBytes: 10 * 1024 * 1024,
    },
    credentials: {
      default: {
        method: "approle",
        roleId: "role-1",
        secretId: "sid",
        secretIdWrapped: false,
        mount: "ci-approle",
      },
    },
    secrets: [{
      name: "db",
      key: "app/db",
      mountPath: "kv",
      kvVersion: 1,
      credentials: "default",
      refreshIntervalMs: 90_000,
      jitter: 0.1,
      maxStalenessMs: 270_000,
      templates: [{
        name: "password",
        source: '{{ ternary .password (toJson .password) (kindIs "string" .password) }}',
        line: 29,
        column: 18,
      }],
      files: [{
        path: "/secrets/db/password",
        template: "password",
        mode: 0o600,
        writeMode: "rename",
        createDirs: true,
      }],
      missingKey: "error",
      onMissing: "delete",
      deleteOnRemove: false,
      revokeOnStop: false,
      onChange: [],
    }],
    envUsed: [],
  };
  const { settings: _, sources: _sources, ...rest } = plan;
  assertEquals(rest, expected);
});

Deno.test("manifests loaded as a config report planning errors inside the manifest", () => {
  const text = es(`  refreshInterval: 5x
  data:
    - secretKey: a
      remoteRef: { key: secret/app, property: a }
`);
  assertEquals(loadIssues(text), [
    '6:20 doc1.spec.refreshInterval: Invalid duration "5x": expected e.g. "30s", "5m", "1h30m"',
  ]);
});

Deno.test("manifests loaded as a config expand ${VAR} outside templates only", () => {
  const text = es(`  target:
    template:
      data:
        run.sh: 'echo \${HOME} {{ .a }}'
  data:
    - secretKey: a
      remoteRef:
        key: \${MOUNT}/app
        property: a
`);
  const plan = parseConfig(text, { file: FILE, env: (n) => n === "MOUNT" ? "kv" : ENV[n] });
  assertEquals(plan.secrets[0]!.mountPath, "kv");
  assertStringIncludes(plan.secrets[0]!.templates[0]!.source, "echo ${HOME} {{ .a }}");
  assertEquals(plan.envUsed, ["MOUNT"]);
});

Deno.test("a single seed-format document still loads as before", () => {
  const plan = parseConfig(
    "secretStore:\n  address: http://127.0.0.1:8200\n  token: t\nsecrets:\n  - name: a\n    key: app\n    template:\n      data:\n        f: x\n    files:\n      - path: /tmp/f\n",
    { file: FILE, env: () => undefined },
  );
  assertEquals(plan.secrets[0]!.name, "a");
});

// --- the command ---

async function run(options: {
  input: string;
  stdin?: string;
  mountPath?: string;
  outputDir?: string;
}): Promise<{ code: number; out: string; err: string[] }> {
  let out = "";
  const err: string[] = [];
  const code = await convertCommand({
    input: options.input,
    ...(options.mountPath !== undefined ? { mountPath: options.mountPath } : {}),
    ...(options.outputDir !== undefined ? { outputDir: options.outputDir } : {}),
    readStdin: () => Promise.resolve(options.stdin ?? ""),
    out: (text) => out += text,
    err: (line) => err.push(line),
  });
  return { code, out, err };
}

Deno.test("convertCommand() prints the config and exits 0", async () => {
  await using dir = await tmpDir();
  await Deno.writeTextFile(dir.join("es.yaml"), SIMPLE);
  const { code, out, err } = await run({ input: dir.join("es.yaml"), outputDir: "/srv/out" });
  assertEquals(code, 0);
  assertEquals(err, []);
  assertStringIncludes(out, "path: /srv/out/app/password\n");
  const plan = parseConfig(out, { file: FILE, env });
  assertEquals(plan.secrets[0]!.files[0]!.path, "/srv/out/app/password");
});

Deno.test("convertCommand() reads standard input for -", async () => {
  const { code, out } = await run({ input: "-", stdin: SIMPLE });
  assertEquals(code, 0);
  assertStringIncludes(out, "name: app\n");
});

Deno.test("convertCommand() prints warnings with document and key path and still exits 0", async () => {
  const text = SIMPLE.replace("spec:\n", "spec:\n  target:\n    immutable: true\n");
  const { code, err } = await run({ input: "-", stdin: text });
  assertEquals(code, 0);
  assertEquals(err, [
    "warning: <stdin>:7:16: doc1.spec.target.immutable: immutable true has no equivalent for files: not carried over",
  ]);
});

Deno.test("convertCommand() exits 1 with file:line:column for input errors", async () => {
  const { code, out, err } = await run({
    input: "-",
    stdin: SIMPLE.replace("secretKey: password", "secretKey: ../x"),
  });
  assertEquals(code, 1);
  assertEquals(out, "");
  assertMatch(err[0]!, /^error: <stdin>:7:18: doc1\.spec\.data\[0\]\.secretKey: Invalid secretKey/);
});

Deno.test("convertCommand() exits 1 when the file cannot be read", async () => {
  const { code, err } = await run({ input: "/nonexistent/es.yaml" });
  assertEquals(code, 1);
  assertEquals(err, ['Cannot read "/nonexistent/es.yaml": no such file']);
});

Deno.test("convertCommand() rejects a relative --output-dir", async () => {
  const { code, err } = await run({ input: "-", stdin: SIMPLE, outputDir: "out" });
  assertEquals(code, 1);
  assertStringIncludes(err[0]!, "--output-dir must be an absolute path");
});

Deno.test("convertCommand() never needs Vault, the network or other programs", async () => {
  // Run the command in a subprocess without net or run permission: any fetch or spawn would
  // fail. (The yaml package reads its debug variables, hence --allow-env.)
  await using dir = await tmpDir();
  await Deno.writeTextFile(dir.join("es.yaml"), SIMPLE);
  const script = dir.join("run.ts");
  await Deno.writeTextFile(
    script,
    `import { convertCommand } from ${
      JSON.stringify(new URL("../../../src/cli/convert.ts", import.meta.url).href)
    };
const code = await convertCommand({ input: ${
      JSON.stringify(dir.join("es.yaml"))
    }, out: (t) => console.log(t), err: (l) => console.error(l) });
Deno.exit(code);`,
  );
  const result = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--no-prompt",
      "--allow-read",
      "--allow-env",
      `--config=${new URL("../../../deno.json", import.meta.url).pathname}`,
      script,
    ],
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).output();
  const stderr = new TextDecoder().decode(result.stderr);
  assertEquals(result.code, 0, stderr);
  assertStringIncludes(new TextDecoder().decode(result.stdout), "name: app");
});

Deno.test("convertManifests() accepts ConfigError positions for every error (never 0:0)", () => {
  const error = assertThrows(
    () => convertManifests(es("  data: 5\n"), { file: "in.yaml" }),
    ConfigError,
  );
  assertInstanceOf(error, ConfigError);
  for (const issue of (error as ConfigError).issues) assert(issue.line > 0, issue.key);
});

function vaultStore(auth: string): string {
  return `apiVersion: external-secrets.io/v1
kind: SecretStore
metadata:
  name: vault
spec:
  provider:
    vault:
      server: https://vault.example:8200
      auth:
${auth}---
${
    es(`  secretStoreRef:
    name: vault
  data:
    - secretKey: password
      remoteRef:
        key: app/db
        property: password
`)
  }`;
}

Deno.test("convertManifests() maps auth.kubernetes without a Secret to the pod's own token", () => {
  const result = convertManifests(
    vaultStore("        kubernetes:\n          mountPath: kubernetes\n          role: app\n"),
    { file: "in.yaml" },
  );
  assertStringIncludes(result.yaml, "  authMethod: kubernetes\n  role: app\n");
  assertNotIncludes(result.yaml, "authMount");
  assertNotIncludes(result.yaml, "jwtFile");
  assertEquals(result.warnings, []);
  const plan = parseConfig(result.yaml, { file: FILE, env });
  assertEquals(plan.credentials["default"], {
    method: "kubernetes",
    role: "app",
    jwtFile: "/var/run/secrets/kubernetes.io/serviceaccount/token",
    mount: "kubernetes",
  });
});

Deno.test("convertManifests() requires the role of auth.kubernetes and auth.jwt", () => {
  assertEquals(issues(vaultStore("        kubernetes:\n          mountPath: k8s\n")), [
    "10:9 doc1.spec.provider.vault.auth.kubernetes.role: Required: role",
  ]);
  assertEquals(issues(vaultStore("        jwt:\n          path: jwt\n")), [
    "10:9 doc1.spec.provider.vault.auth.jwt.role: Required: role (the sidecar does not use a default role)",
  ]);
});

Deno.test("convertManifests() warns once about serviceAccountRef, naming the account", () => {
  const result = convertManifests(
    vaultStore(
      "        kubernetes:\n          role: app\n          serviceAccountRef:\n            name: reader\n",
    ),
    { file: "in.yaml" },
  );
  assertEquals(result.warnings.length, 1);
  assertStringIncludes(result.warnings[0]!.message, 'service account "reader"');
  assertEquals(
    result.warnings[0]!.key,
    "doc1.spec.provider.vault.auth.kubernetes.serviceAccountRef",
  );
});
