import { validateCommand } from "../../src/cli/validate.ts";
import { assertEquals, assertMatch, assertNotIncludes } from "../support/assert.ts";
import { tmpDir } from "../support/tmp_dir.ts";

const GRANTED = () => Promise.resolve({ state: "granted" } as Deno.PermissionStatus);

async function validate(
  text: string,
  options: {
    env?: Record<string, string>;
    query?: (d: Deno.PermissionDescriptor) => Promise<Deno.PermissionStatus>;
  } = {},
) {
  await using dir = await tmpDir();
  const path = dir.join("config.yaml");
  // Output files go to DIR/data, which exists and is writable.
  await Deno.mkdir(dir.join("data"));
  await Deno.writeTextFile(path, text.replaceAll(" /data/", ` ${dir.join("data")}/`));
  const out: string[] = [];
  const err: string[] = [];
  const env = options.env ?? {};
  const code = await validateCommand({
    configPath: path,
    env: (n) => env[n],
    out: (l) => out.push(l),
    err: (l) => err.push(l),
    query: options.query ?? GRANTED,
  });
  // Paths are shown relative to the temp dir.
  const strip = (l: string) => l.replaceAll(path, "config.yaml").replaceAll(dir.path, "DIR");
  return { code, out: out.map(strip), err: err.map(strip) };
}

const VALID = `secretStore:
  address: http://127.0.0.1:8200
  token: s.test
secrets:
  - name: db
    key: app/db
    template:
      data:
        db.env: |
          USER={{ .username }}
          PASS={{ .password }}
    files:
      - path: /data/db.env
`;

Deno.test("validate exits 0 and says what the config holds", async () => {
  const result = await validate(VALID);
  assertEquals(result, {
    code: 0,
    out: ['Valid configuration "config.yaml": 1 secret(s), 1 file(s)'],
    err: [],
  });
});

Deno.test("validate reports every problem at once with line, column and key", async () => {
  const result = await validate(`secretStore:
  address: "\${VAULT_ADDR}"
  token: s.test
secrets:
  - name: db
    key: app/db
    refreshInterval: 10ms
    template:
      data:
        db.env: |
          USER={{ .username }}
          PASS={{ .password | nosuchfunc }}
    files:
      - path: /data/db.env
        mode: "0999"
  - name: api
    key: app/api
    template:
      data:
        key: "{{ .key }}"
    files:
      - path: /data/db.env
`);
  assertEquals(result.code, 1);
  // The minimum interval is the loader's to choose; its place is what matters here.
  assertMatch(
    result.err[1]!,
    /^config\.yaml:7:22: secrets\[0\]\.refreshInterval: Must be at least /,
  );
  result.err[1] = "(refreshInterval)";
  assertEquals(result.err, [
    'config.yaml:2:12: secretStore.address: Cannot expand "${VAULT_ADDR}": environment variable VAULT_ADDR is not set',
    "(refreshInterval)",
    'config.yaml:12:11: secrets[0].template.data["db.env"]: Template does not parse: template: db.env:2: function "nosuchfunc" not defined',
    'config.yaml:15:15: secrets[0].files[0].mode: Invalid file mode "0999": octal digits are 0-7',
    'config.yaml:22:15: secrets[1].files[0].path: Duplicate output path "DIR/data/db.env": secret "db" (secrets[0]) writes it too',
    "Invalid configuration: 5 problems found",
  ]);
});

Deno.test("validate places a template error inside a valid config at its file line", async () => {
  const result = await validate(VALID.replace("PASS={{ .password }}", "PASS={{ .password "));
  assertEquals(result.code, 1);
  // Go reports an unclosed action where the text ends: the line after it (the block's newline).
  assertEquals(
    result.err[0],
    'config.yaml:12:11: secrets[0].template.data["db.env"]: Template does not parse: template: db.env:3: unclosed action started at db.env:2',
  );
});

Deno.test("validate places a secret call with a computed argument at its line", async () => {
  const result = await validate(
    VALID.replace("PASS={{ .password }}", 'PASS={{ .password }}{{ secret (printf "x/%s" .u) }}'),
  );
  assertEquals(result.code, 1);
  assertEquals(
    result.err[0],
    'config.yaml:11:11: secrets[0].template.data["db.env"]: Template does not parse: template: db.env:2: secret needs quoted string arguments (the path and "key=value" pairs): a computed or piped argument cannot be fetched before the render',
  );
});

Deno.test("validate accepts a secret without key whose templates read with secret and pkiCert", async () => {
  const result = await validate(
    VALID.replace("    key: app/db\n", "    revokeOnStop: true\n").replace(
      "PASS={{ .password }}",
      'PASS={{ (secret "database/creds/app").Data.password }}{{ (pkiCert "pki/issue/w" "common_name=a.b").Cert }}',
    ),
  );
  assertEquals(result.err, []);
  assertEquals(result.code, 0);
});

Deno.test("validate places an error in a quoted one-line template after the quote", async () => {
  const result = await validate(
    VALID.replace(/db\.env: \|[\s\S]*?files:/, 'db.env: "{{ if }}"\n    files:'),
  );
  assertEquals(result.code, 1);
  assertMatch(result.err[0]!, /^config\.yaml:9:18: secrets\[0\]\.template\.data\["db\.env"\]: /);
});

Deno.test("validate reports the permissions this process lacks for the config", async () => {
  const statusElsewhere = VALID.replace(
    "secrets:\n",
    "settings:\n  statusFile: /var/lib/ss/ready\nsecrets:\n",
  );
  const result = await validate(statusElsewhere, {
    query: (d) =>
      Promise.resolve(
        { state: d.name === "write" ? "prompt" : "granted" } as Deno.PermissionStatus,
      ),
  });
  assertEquals(result.code, 1);
  assertEquals(result.err, [
    'config.yaml: Cannot write in "DIR/data" (output file "DIR/data/db.env" of secret "db"): the process lacks --allow-write=DIR/data',
    'config.yaml: Cannot write in "/var/lib/ss" (status file "/var/lib/ss/ready"): the process lacks --allow-write=/var/lib/ss',
    "Invalid configuration: 2 problems found",
  ]);
});

Deno.test("validate exits 2 when the file cannot be read", async () => {
  const err: string[] = [];
  const code = await validateCommand({
    configPath: "/nonexistent/config.yaml",
    env: () => undefined,
    out: () => {},
    err: (l) => err.push(l),
  });
  assertEquals(code, 2);
  assertEquals(err, ["/nonexistent/config.yaml: Cannot read config: no such file"]);
});

Deno.test("validate reports broken YAML with its position", async () => {
  const result = await validate("secretStore:\n  address: [unclosed\nsecrets: []\n");
  assertEquals(result.code, 1);
  assertMatch(result.err[0]!, /^config\.yaml:\d+:\d+: /);
});

Deno.test("validate never prints a token or other credential from the config", async () => {
  const token = "s.very-secret-token-value";
  const result = await validate(VALID.replace("s.test", token).replace("10ms", "1s"), {
    query: () => Promise.resolve({ state: "prompt" } as Deno.PermissionStatus),
  });
  assertNotIncludes([...result.out, ...result.err].join("\n"), token);
});

Deno.test("validate reads every TLS file and reports a missing one at its key, or at the variable", async () => {
  // A relative path resolves against the working directory, like every path in a config.
  const missing = `${Deno.cwd()}/missing-${crypto.randomUUID()}.pem`;
  const withCa = VALID.replace("  token: s.test\n", `  token: s.test\n  tlsCACert: ${missing}\n`);
  const result = await validate(withCa);
  assertEquals(result.code, 1);
  assertEquals(result.err, [
    `config.yaml:4:14: secretStore.tlsCACert: Cannot load CA certificate "${missing}": no such file`,
    "Invalid configuration: 1 problem found",
  ]);
  const fromEnv = await validate(VALID, { env: { VAULT_CACERT: "/nonexistent/ca.pem" } });
  assertEquals(fromEnv.err, [
    'config.yaml: env.VAULT_CACERT: Cannot load CA certificate "/nonexistent/ca.pem": no such file',
    "Invalid configuration: 1 problem found",
  ]);
});

Deno.test("validate checks output files on this machine: unknown owner and group, missing or unwritable directory", async () => {
  const result = await validate(
    VALID.replace(
      "      - path: /data/db.env\n",
      `      - path: /data/db.env
        owner: no-such-user-here
        group: no-such-group-here
      - path: /data/missing/other.env
        template: db.env
`,
    ),
  );
  assertEquals(result.code, 1);
  assertEquals(result.err, [
    'config.yaml:14:16: secrets[0].files[0].owner: Cannot write "DIR/data/db.env": unknown user "no-such-user-here" (not in /etc/passwd)',
    'config.yaml:15:16: secrets[0].files[0].group: Cannot write "DIR/data/db.env": unknown group "no-such-group-here" (not in /etc/group)',
    'config.yaml:16:15: secrets[0].files[1].path: Cannot write "DIR/data/missing/other.env": directory "DIR/data/missing" does not exist; create it or set createDirs: true',
    "Invalid configuration: 3 problems found",
  ]);
});

/** An unsigned JWT with the given claims (validate reads only the payload). */
function unsignedJwt(claims: Record<string, unknown>): string {
  const part = (value: unknown) =>
    btoa(JSON.stringify(value)).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  return `${part({ alg: "ES256" })}.${part(claims)}.c2lnbmF0dXJl`;
}

Deno.test("validate reads each jwtFile: missing, no JWT or expired, at the key that set it, never its content", async () => {
  await using dir = await tmpDir();
  const now = Math.floor(Date.now() / 1000);
  const expired = unsignedJwt({ sub: "app", exp: now - 60 });
  await Deno.writeTextFile(dir.join("expired.jwt"), expired);
  await Deno.writeTextFile(dir.join("garbage.jwt"), "not a jwt at all\n");
  await Deno.writeTextFile(dir.join("fresh.jwt"), unsignedJwt({ sub: "app", exp: now + 600 }));
  await Deno.mkdir(dir.join("data"));
  const path = dir.join("config.yaml");
  const set = (name: string, file: string) =>
    `    ${name}:\n      authMethod: jwt\n      role: app\n      jwtFile: ${dir.join(file)}\n`;
  const secret = (name: string) =>
    `  - name: ${name}\n    key: ${name}\n    credentials: ${name}\n    template: { data: { x: y } }\n    files: [{ path: ${
      dir.join("data", name)
    } }]\n`;
  await Deno.writeTextFile(
    path,
    `secretStore:
  address: http://127.0.0.1:8200
  authMethod: kubernetes
  role: app
  jwtFile: ${dir.join("missing.jwt")}
  credentials:
${set("fresh", "fresh.jwt")}${set("expired", "expired.jwt")}${set("garbage", "garbage.jwt")}secrets:
${secret("fresh")}${secret("expired")}${secret("garbage")}  - name: d
    key: d
    template: { data: { x: y } }
    files: [{ path: ${dir.join("data", "d")} }]
`,
  );
  const err: string[] = [];
  const code = await validateCommand({
    configPath: path,
    env: () => undefined,
    out: () => {},
    err: (l) => err.push(l.replaceAll(dir.path, "DIR")),
    query: GRANTED,
  });
  assertEquals(code, 1);
  assertEquals(err.slice(0, 3), [
    "DIR/config.yaml:5:12: secretStore.jwtFile: Cannot read JWT file \"DIR/missing.jwt\": No such file or directory (os error 2): stat 'DIR/missing.jwt'",
    `DIR/config.yaml:14:16: secretStore.credentials.expired.jwtFile: Invalid JWT file "DIR/expired.jwt": the JWT in it expired at ${
      new Date((now - 60) * 1000).toISOString()
    }`,
    'DIR/config.yaml:18:16: secretStore.credentials.garbage.jwtFile: Invalid JWT file "DIR/garbage.jwt": expected a JWT (three base64url parts separated by dots)',
  ]);
  assertEquals(err.length, 4);
  assertNotIncludes(err.join("\n"), expired);
  assertNotIncludes(err.join("\n"), "not a jwt");
});
