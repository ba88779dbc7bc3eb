/**
 * Permissions end to end: the flags `permissions` prints are enough to sync against a real server,
 * and a process lacking one refuses to start, before contacting Vault, with one message per gap.
 *
 * Tests marked "(needs wiring)" pass once main.ts runs `permissions` and `preflight()`.
 */
import { permissionsCommand } from "../../src/cli/permissions.ts";
import { assert, assertEquals, assertMatch, assertNotIncludes } from "../support/assert.ts";
import { makeTestPki, makeV1Cert, requireOpenssl } from "../support/pki.ts";
import { startOpenBao } from "../support/openbao.ts";
import { readIfExists, startSidecar } from "../support/sidecar.ts";
import { type TmpDir, tmpDir } from "../support/tmp_dir.ts";

const ROOT = new URL("../../", import.meta.url).pathname;

const openssl = await requireOpenssl(import.meta.url);

function config(dir: TmpDir, extra = ""): string {
  return `secretStore:
  address: "\${VAULT_ADDR}"
  authMethod: token
  token: "\${VAULT_TOKEN}"
settings:
  statusFile: ${dir.join("status/ready")}
  metrics:
    enabled: false
secrets:
  - name: db
    key: app/db
    mountPath: secret
    kvVersion: v2
    refreshInterval: 1s
    template:
      data:
        db.env: "PASSWORD={{ .password }}"
    files:
      - path: ${dir.join("out/db.env")}
${extra}`;
}

async function setUp(dir: TmpDir, text: string): Promise<string> {
  await Deno.mkdir(dir.join("out"));
  await Deno.mkdir(dir.join("status"));
  const path = dir.join("config.yaml");
  await Deno.writeTextFile(path, text);
  return path;
}

async function flagsFor(configPath: string, env: Record<string, string>): Promise<string[]> {
  let line = "";
  const code = await permissionsCommand({
    configPath,
    env: (n) => env[n],
    out: (l) => line = l,
    err: (l) => {
      throw new Error(l);
    },
  });
  assertEquals(code, 0);
  return line.split(" ");
}

Deno.test("the flags from permissions are enough for run to sync and follow a rotation", async () => {
  await using bao = await startOpenBao();
  await using dir = await tmpDir();
  await bao.writeKv2("secret", "app/db", { password: "first-password" });
  const configPath = await setUp(dir, config(dir));
  const env = { VAULT_ADDR: bao.address, VAULT_TOKEN: bao.rootToken };
  const flags = await flagsFor(configPath, env);
  assert(!flags.some((f) => f === "--allow-read" || f === "--allow-write" || f === "--allow-net"));

  await using sidecar = startSidecar({ args: ["run", "-c", configPath], env, permissions: flags });
  const file = dir.join("out/db.env");
  await sidecar.waitFor(
    async () => (await readIfExists(file)) === "PASSWORD=first-password",
    "the first sync",
  );
  await bao.writeKv2("secret", "app/db", { password: "second-password" });
  await sidecar.waitFor(
    async () => (await readIfExists(file)) === "PASSWORD=second-password",
    "the rotation",
  );
  assert(await readIfExists(dir.join("status/ready")) !== undefined, "status file written");
  sidecar.kill("SIGTERM");
  assertEquals((await sidecar.status).code, 0, sidecar.stderr());
  assertNotIncludes(sidecar.stderr(), "Requires");
});

Deno.test("the flags from permissions are enough for once", async () => {
  await using bao = await startOpenBao();
  await using dir = await tmpDir();
  await bao.writeKv2("secret", "app/db", { password: "pw-once" });
  const configPath = await setUp(dir, config(dir));
  const env = { VAULT_ADDR: bao.address, VAULT_TOKEN: bao.rootToken };
  await using sidecar = startSidecar({
    args: ["once", "-c", configPath],
    env,
    permissions: await flagsFor(configPath, env),
  });
  assertEquals((await sidecar.status).code, 0, sidecar.stdout() + sidecar.stderr());
  assertEquals(await readIfExists(dir.join("out/db.env")), "PASSWORD=pw-once");
});

Deno.test("run still syncs after giving back the permissions it does not need", async () => {
  await using bao = await startOpenBao();
  await using dir = await tmpDir();
  await bao.writeKv2("secret", "app/db", { password: "before" });
  const configPath = await setUp(dir, config(dir));
  const env: Record<string, string> = { VAULT_ADDR: bao.address, VAULT_TOKEN: bao.rootToken };
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--quiet",
      "--no-prompt",
      "--allow-all",
      `${ROOT}tests/cli/_revoke_main.ts`,
      configPath,
    ],
    cwd: ROOT,
    env,
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  let out = "";
  const pump = child.stdout.pipeThrough(new TextDecoderStream()).pipeTo(
    new WritableStream({ write: (c) => void (out += c) }),
  );
  const errText = new Response(child.stderr).text();
  try {
    const file = dir.join("out/db.env");
    const until = async (what: string, ok: () => Promise<boolean>) => {
      const end = Date.now() + 15_000;
      while (!(await ok())) {
        if (Date.now() > end) throw new Error(`Timed out waiting for ${what}\n${out}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    };
    await until("the first sync", async () => (await readIfExists(file)) === "PASSWORD=before");
    assertMatch(out, /^revoked: --allow-run --allow-sys$/m);
    await bao.writeKv2("secret", "app/db", { password: "after" });
    await until("the rotation", async () => (await readIfExists(file)) === "PASSWORD=after");
    // A SIGHUP-style reload still reads the environment and the config.
  } finally {
    child.kill("SIGTERM");
    await child.status;
    await pump.catch(() => {});
    await errText;
  }
});

/** The exit code, or a failure (after killing it) when it keeps running for `ms`. */
async function exitCode(sidecar: ReturnType<typeof startSidecar>, ms = 15_000): Promise<number> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<"timeout">((r) => timer = setTimeout(() => r("timeout"), ms));
  const result = await Promise.race([sidecar.status, timeout]);
  clearTimeout(timer);
  if (result === "timeout") {
    sidecar.kill("SIGKILL");
    await sidecar.status;
    throw new Error(`The sidecar kept running instead of refusing to start:\n${sidecar.stderr()}`);
  }
  return result.code;
}

/** A TCP listener standing in for Vault that counts connections. */
function fakeVault() {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  let connections = 0;
  const done = (async () => {
    for await (const conn of listener) {
      connections++;
      conn.close();
    }
  })().catch(() => {});
  return {
    address: `http://127.0.0.1:${listener.addr.port}`,
    host: `127.0.0.1:${listener.addr.port}`,
    connections: () => connections,
    async [Symbol.asyncDispose]() {
      listener.close();
      await done;
    },
  };
}

Deno.test("run refuses to start without write access to an output directory (needs wiring)", async () => {
  await using vault = fakeVault();
  await using dir = await tmpDir();
  const configPath = await setUp(dir, config(dir));
  const env = { VAULT_ADDR: vault.address, VAULT_TOKEN: "s.unused-token" };
  const flags = (await flagsFor(configPath, env)).map((f) =>
    f.startsWith("--allow-write=") ? `--allow-write=${dir.join("status")}` : f
  );
  await using sidecar = startSidecar({ args: ["run", "-c", configPath], env, permissions: flags });
  assert((await exitCode(sidecar)) !== 0, "a non-zero exit");
  const stderr = sidecar.stderr();
  assertEquals(
    stderr.split("\n").filter((l) => l.startsWith("Cannot ")),
    [
      `Cannot write in "${dir.join("out")}" (output file "${
        dir.join("out/db.env")
      }" of secret "db"): the process lacks --allow-write=${dir.join("out")}`,
    ],
  );
  assertNotIncludes(stderr, "    at ");
  assertEquals(vault.connections(), 0, "Vault was not contacted");
});

Deno.test("run refuses to start without net access to the Vault host, one message per gap (needs wiring)", async () => {
  await using vault = fakeVault();
  await using dir = await tmpDir();
  const configPath = await setUp(dir, config(dir));
  const env = { VAULT_ADDR: vault.address, VAULT_TOKEN: "s.unused-token" };
  const flags = (await flagsFor(configPath, env)).filter((f) => !f.startsWith("--allow-net"))
    .map((f) => f.startsWith("--allow-write=") ? `--allow-write=${dir.join("status")}` : f);
  await using sidecar = startSidecar({ args: ["run", "-c", configPath], env, permissions: flags });
  assert((await exitCode(sidecar)) !== 0, "a non-zero exit");
  const gaps = sidecar.stderr().split("\n").filter((l) => l.startsWith("Cannot "));
  assertEquals(gaps.length, 2, sidecar.stderr());
  assertMatch(gaps[0]!, /^Cannot write in /);
  assertEquals(
    gaps[1],
    `Cannot connect to "${vault.host}" (secret store ${vault.address}): the process lacks --allow-net=${vault.host}`,
  );
  assertNotIncludes(sidecar.stderr(), "    at ");
  assertEquals(vault.connections(), 0);
});

Deno.test("deno run $(secrets-sync permissions -c x.yaml) src/main.ts run -c x.yaml syncs (needs wiring)", async () => {
  await using bao = await startOpenBao();
  await using dir = await tmpDir();
  await bao.writeKv2("secret", "app/db", { password: "from-the-shell" });
  const configPath = await setUp(dir, config(dir));
  const deno = Deno.execPath();
  const script =
    `exec "${deno}" run --quiet --no-prompt $("${deno}" run --quiet -P=sidecar src/main.ts permissions -c "$CONFIG") src/main.ts run -c "$CONFIG"`;
  const child = new Deno.Command("sh", {
    args: ["-c", script],
    cwd: ROOT,
    clearEnv: true,
    env: {
      PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin",
      HOME: Deno.env.get("HOME") ?? "/root",
      ...(Deno.env.get("DENO_DIR") ? { DENO_DIR: Deno.env.get("DENO_DIR")! } : {}),
      CONFIG: configPath,
      VAULT_ADDR: bao.address,
      VAULT_TOKEN: bao.rootToken,
    },
    stdout: "null",
    stderr: "piped",
  }).spawn();
  const stderr = new Response(child.stderr).text();
  try {
    const end = Date.now() + 20_000;
    while ((await readIfExists(dir.join("out/db.env"))) !== "PASSWORD=from-the-shell") {
      const exited = await Promise.race([
        child.status.then(() => true),
        new Promise<false>((r) => setTimeout(() => r(false), 50)),
      ]);
      if (exited || Date.now() > end) throw new Error(`No sync:\n${await stderr}`);
    }
  } finally {
    try {
      child.kill("SIGTERM");
    } catch {
      // gone
    }
    await child.status;
    await stderr;
  }
});

Deno.test("the flags from permissions cover watching the config directory", async () => {
  await using bao = await startOpenBao();
  await using dir = await tmpDir();
  await bao.writeKv2("secret", "app/db", { password: "watched" });
  await bao.writeKv2("secret", "app/api", { password: "added" });
  const configPath = await setUp(dir, config(dir));
  const env = { VAULT_ADDR: bao.address, VAULT_TOKEN: bao.rootToken, WATCH_CONFIG: "true" };
  const flags = await flagsFor(configPath, env);
  assert(flags[0]!.split(/[=,]/).includes(dir.path), `the directory is readable: ${flags[0]}`);
  await using sidecar = startSidecar({ args: ["run", "-c", configPath], env, permissions: flags });
  await sidecar.waitFor(
    async () => (await readIfExists(dir.join("out/db.env"))) === "PASSWORD=watched",
    "the first sync",
  );
  const added = config(dir) + `  - name: api
    key: app/api
    mountPath: secret
    kvVersion: v2
    template:
      data:
        api: "{{ .password }}"
    files:
      - path: ${dir.join("out/api")}
`;
  const temp = `${configPath}.tmp`;
  await Deno.writeTextFile(temp, added);
  await Deno.rename(temp, configPath);
  await sidecar.waitFor(
    async () => (await readIfExists(dir.join("out/api"))) === "added",
    "the edited config to apply",
  );
  assertNotIncludes(sidecar.stdout(), "Cannot watch");
  sidecar.kill("SIGTERM");
  assertEquals((await sidecar.status).code, 0);
});

Deno.test({
  name: "run and once refuse a missing CA file, a garbage PEM and an X.509 v1 client certificate " +
    "like a config error: exit 2, no stack trace, Vault not contacted",
  ignore: !openssl,
}, async () => {
  await using vault = fakeVault();
  await using dir = await tmpDir();
  await makeTestPki(dir.path);
  const v1 = await makeV1Cert(dir.path, "v1");
  const garbage = dir.join("garbage.pem");
  await Deno.writeTextFile(
    garbage,
    "-----BEGIN CERTIFICATE-----\nnot base64 at all!\n-----END CERTIFICATE-----\n",
  );
  const configPath = await setUp(dir, config(dir));
  const cases: Array<{ tls: string; expected: string }> = [
    {
      tls: `  tlsCACert: ${dir.join("missing.pem")}\n`,
      expected: `${configPath}:5:14: secretStore.tlsCACert: Cannot load CA certificate "${
        dir.join("missing.pem")
      }": no such file`,
    },
    {
      tls: `  tlsCACert: ${garbage}\n`,
      expected:
        `${configPath}:5:14: secretStore.tlsCACert: Cannot load CA certificate "${garbage}": not a valid PEM certificate`,
    },
    {
      tls: `  tlsClientCert: ${v1.cert}\n  tlsClientKey: ${v1.key}\n`,
      expected:
        `${configPath}:5:18: secretStore.tlsClientCert: Cannot load client certificate "${v1.cert}": it is an X.509 v1 certificate; TLS client certificates must be X.509 v3`,
    },
  ];
  for (const { tls, expected } of cases) {
    await Deno.writeTextFile(
      configPath,
      config(dir).replace('  token: "${VAULT_TOKEN}"\n', `  token: "\${VAULT_TOKEN}"\n${tls}`),
    );
    for (const command of ["run", "once"]) {
      await using sidecar = startSidecar({
        args: [command, "-c", configPath],
        env: { VAULT_ADDR: vault.address, VAULT_TOKEN: "s.unused-token" },
      });
      assertEquals(await exitCode(sidecar), 2, `${command}: ${sidecar.stderr()}`);
      const stderr = sidecar.stderr();
      assertEquals(stderr.split("\n").filter((l) => l !== ""), [
        "Invalid configuration:",
        expected,
      ], command);
      assertNotIncludes(stderr, "    at ");
      assertNotIncludes(stderr + sidecar.stdout(), "s.unused-token");
    }
  }
  assertEquals(vault.connections(), 0, "Vault was not contacted");
});

Deno.test("run and once refuse an unknown owner and a missing output directory before contacting Vault", async () => {
  await using vault = fakeVault();
  await using dir = await tmpDir();
  const configPath = await setUp(dir, config(dir));
  await Deno.writeTextFile(
    configPath,
    config(dir).replace(
      `      - path: ${dir.join("out/db.env")}\n`,
      `      - path: ${dir.join("missing/db.env")}\n        owner: no-such-user-here\n`,
    ),
  );
  for (const command of ["run", "once"]) {
    await using sidecar = startSidecar({
      args: [command, "-c", configPath],
      env: { VAULT_ADDR: vault.address, VAULT_TOKEN: "s.unused-token" },
    });
    assertEquals(await exitCode(sidecar), 2, `${command}: ${sidecar.stderr()}`);
    assertEquals(sidecar.stderr().split("\n").filter((l) => l !== ""), [
      "Invalid configuration:",
      `${configPath}:19:15: secrets[0].files[0].path: Cannot write "${
        dir.join("missing/db.env")
      }": directory "${dir.join("missing")}" does not exist; create it or set createDirs: true`,
      `${configPath}:20:16: secrets[0].files[0].owner: Cannot write "${
        dir.join("missing/db.env")
      }": unknown user "no-such-user-here" (not in /etc/passwd)`,
    ], command);
  }
  assertEquals(vault.connections(), 0, "Vault was not contacted");
});

Deno.test({
  name: "with VAULT_SKIP_VERIFY=true once syncs from a server whose certificate is not trusted, " +
    "with the flags from permissions and with -P=sidecar",
  ignore: !openssl,
}, async () => {
  await using dir = await tmpDir();
  const pki = await makeTestPki(dir.path);
  await using bao = await startOpenBao({
    tls: { certFile: pki.cert, keyFile: pki.key, caFile: pki.ca },
  });
  await bao.writeKv2("secret", "app/db", { password: "pw-skip-verify" });
  const configPath = await setUp(dir, config(dir));
  const env = { VAULT_ADDR: bao.address, VAULT_TOKEN: bao.rootToken, VAULT_SKIP_VERIFY: "true" };
  for (const permissions of [await flagsFor(configPath, env), ["-P=sidecar"]]) {
    await Deno.remove(dir.join("out/db.env")).catch(() => {});
    await using sidecar = startSidecar({
      args: ["once", "-c", configPath, "--timeout", "5s"],
      env: { ...env, STATUS_FILE: dir.join("status/ready") },
      permissions,
    });
    assertEquals((await sidecar.status).code, 0, sidecar.stdout() + sidecar.stderr());
    assertEquals(await readIfExists(dir.join("out/db.env")), "PASSWORD=pw-skip-verify");
    assertMatch(sidecar.stdout(), /TLS certificate verification is off/);
    assertNotIncludes(sidecar.stdout() + sidecar.stderr(), bao.rootToken);
  }
});
