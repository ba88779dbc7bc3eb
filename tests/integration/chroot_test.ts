/**
 * The program run the way the container image runs it: in an otherwise empty root directory (the
 * Deno executable, the libraries `ldd` lists, the program with its npm packages, a config, /proc,
 * an output volume), under `chroot` as UID 65534 with the `sidecar` permission set, nothing but
 * /secrets writable (as with `docker run --read-only`), against a real server on loopback.
 *
 * Skipped, with the reason printed, when not root, without `chroot`, or when /proc cannot be
 * mounted.
 */
import {
  assert,
  assertEquals,
  assertMatch,
  assertNotIncludes,
  assertStringIncludes,
} from "../support/assert.ts";
import {
  buildRoot,
  NOBODY,
  parseLdd,
  requireChroot,
  ROOT_PATHS,
  sharedLibraries,
} from "../support/chroot.ts";
import { freePort } from "../support/free_port.ts";
import { startOpenBao } from "../support/openbao.ts";
import { readIfExists } from "../support/sidecar.ts";

const chroot = await requireChroot(import.meta.url);

const CONFIG = `
secretStore:
  address: "\${VAULT_ADDR}"
  authMethod: token
  token: "\${VAULT_TOKEN}"
secrets:
  - name: db
    key: app/db
    mountPath: secret
    kvVersion: v2
    refreshInterval: 1s
    template:
      data:
        db.env: |
          DB_USER={{ .username }}
          DB_PASSWORD={{ .password }}
    files:
      - path: /secrets/db.env
        mode: "0640"
`;

Deno.test("parseLdd() lists the loader and every resolved library once", () => {
  const output = [
    "\tlinux-vdso.so.1 (0x00007ffd6f5e4000)",
    "\tlibdl.so.2 => /lib/x86_64-linux-gnu/libdl.so.2 (0x00007f1a2c7e8000)",
    "\tlibc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x00007f1a2c5e8000)",
    "\t/lib64/ld-linux-x86-64.so.2 (0x00007f1a2c804000)",
    "\tlibc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x00007f1a2c5e8000)",
  ].join("\n");
  assertEquals(parseLdd(output), [
    "/lib/x86_64-linux-gnu/libdl.so.2",
    "/lib/x86_64-linux-gnu/libc.so.6",
    "/lib64/ld-linux-x86-64.so.2",
  ]);
});

/** What gcr.io/distroless/cc-debian12 provides: glibc and libgcc_s (plus libstdc++, libgomp, libssl). */
const DISTROLESS_CC_LIBS =
  /^(libc|libm|libdl|librt|libpthread)\.so\.\d+$|^libgcc_s\.so\.1$|^ld-linux-[\w-]+\.so\.\d+$/;

Deno.test({
  name: "Deno links only glibc and libgcc_s, which the distroless cc base image provides",
  ignore: Deno.build.os !== "linux",
  async fn() {
    const libs = await sharedLibraries(Deno.execPath());
    assert(libs.some((lib) => lib.endsWith("/libc.so.6")), libs.join(", "));
    for (const lib of libs) {
      const name = lib.slice(lib.lastIndexOf("/") + 1);
      assertMatch(name, DISTROLESS_CC_LIBS, `${lib} is not in distroless cc: the image needs it`);
    }
  },
});

Deno.test({
  name: "run in an image-like chroot as uid 65534 syncs a secret into /secrets and passes isready",
  ignore: !chroot,
  async fn() {
    await using bao = await startOpenBao();
    const password = `pw-${crypto.randomUUID()}`;
    await bao.writeKv2("secret", "app/db", { username: "app", password });
    await bao.writePolicy("app-read", `path "secret/data/app/*" { capabilities = ["read"] }`);
    const { token } = await bao.createToken({ policies: ["app-read"], ttl: "1h" });

    await using root = await buildRoot();
    await Deno.writeTextFile(root.join(ROOT_PATHS.config), CONFIG);
    const before = await root.listSystemFiles();
    const port = freePort();
    // What the Dockerfile sets, plus the server and token; the config is found at its default path.
    const env = {
      VAULT_ADDR: bao.address,
      VAULT_TOKEN: token,
      STATUS_FILE: "/secrets/.secrets-sync-ready",
      METRICS_PORT: String(port),
    };

    await using sidecar = root.spawn(["run"], { env });
    const dbEnv = root.join("/secrets/db.env");
    await sidecar.waitFor(
      async () => (await readIfExists(dbEnv))?.includes(password) ?? false,
      "the first sync inside the chroot",
    );
    assertEquals(await Deno.readTextFile(dbEnv), `DB_USER=app\nDB_PASSWORD=${password}\n`);
    const info = await Deno.stat(dbEnv);
    assertEquals([info.uid, info.gid, info.mode! & 0o777], [NOBODY, NOBODY, 0o640]);

    // The healthcheck as the image runs it: over HTTP /ready while the server is enabled...
    await sidecar.waitFor(async () => {
      await using check = root.spawn(["isready"], { env });
      return (await check.status).code === 0;
    }, "isready over HTTP to succeed");
    await using http = root.spawn(["isready"], { env });
    assertEquals((await http.status).code, 0, http.stdout() + http.stderr());
    assertStringIncludes(http.stdout(), "ready");
    // ...and from the status file in the output volume when it is not.
    await using file = root.spawn(["isready"], {
      env: { ENABLE_METRICS: "false", STATUS_FILE: env.STATUS_FILE },
    });
    assertEquals((await file.status).code, 0, file.stdout() + file.stderr());

    sidecar.kill("SIGTERM");
    assertEquals((await sidecar.status).code, 0, sidecar.stderr());

    // Nothing was written outside the output volume; no temp file is left in it.
    const after = await root.listSystemFiles();
    assertEquals(after.filter((f) => !f.startsWith("secrets/")), before);
    assertEquals(
      after.filter((f) => f.startsWith("secrets/")),
      ["secrets/.secrets-sync-ready", "secrets/db.env"],
    );
    const output = sidecar.stdout() + sidecar.stderr();
    assert(output.length > 0, "the sidecar logged something");
    assertNotIncludes(output, password);
    assertNotIncludes(output, token);
  },
});

Deno.test({
  name: "once in an image-like chroot as uid 65534 exits 0 after syncing (init container mode)",
  ignore: !chroot,
  async fn() {
    await using bao = await startOpenBao();
    const password = `pw-${crypto.randomUUID()}`;
    await bao.writeKv2("secret", "app/db", { username: "init", password });
    await using root = await buildRoot();
    await Deno.writeTextFile(root.join(ROOT_PATHS.config), CONFIG);
    await using once = root.spawn(["once", "--timeout", "20s"], {
      env: {
        VAULT_ADDR: bao.address,
        VAULT_TOKEN: bao.rootToken,
        STATUS_FILE: "/secrets/.secrets-sync-ready",
      },
    });
    assertEquals((await once.status).code, 0, once.stdout() + once.stderr());
    assertEquals(
      await Deno.readTextFile(root.join("/secrets/db.env")),
      `DB_USER=init\nDB_PASSWORD=${password}\n`,
    );
    assertNotIncludes(once.stdout() + once.stderr(), password);
  },
});

Deno.test({
  name: "the sidecar permission set keeps the program in a chroot from writing outside /secrets",
  ignore: !chroot,
  async fn() {
    await using bao = await startOpenBao();
    await bao.writeKv2("secret", "app/db", { username: "app", password: "unused" });
    await using root = await buildRoot();
    // /app is not in the set's write list: the write is refused before the filesystem is asked.
    await Deno.chmod(root.join("/app"), 0o777);
    await Deno.writeTextFile(
      root.join(ROOT_PATHS.config),
      CONFIG.replace("path: /secrets/db.env", "path: /app/db.env"),
    );
    await using once = root.spawn(["once", "--timeout", "5s"], {
      env: { VAULT_ADDR: bao.address, VAULT_TOKEN: bao.rootToken },
    });
    assert((await once.status).code !== 0, "once must fail");
    assertEquals(await readIfExists(root.join("/app/db.env")), undefined);
    const output = once.stdout() + once.stderr();
    assertStringIncludes(output, "/app/db.env");
    assertMatch(output, /--allow-write|permission/i);
  },
});

Deno.test({
  name: "the compose example config logs in with AppRole files and syncs inside the chroot",
  ignore: !chroot,
  async fn() {
    await using bao = await startOpenBao();
    const password = `pw-${crypto.randomUUID()}`;
    await bao.writeKv2("secret", "app/db", { username: "app", password });
    // What examples/compose/init-vault.sh sets up.
    await bao.writePolicy(
      "secrets-sync-app",
      `path "secret/data/app/*" { capabilities = ["read"] }`,
    );
    await bao.enableAppRole();
    await bao.createRole("secrets-sync", { tokenPolicies: ["secrets-sync-app"], tokenTtl: "1h" });
    const roleId = await bao.roleId("secrets-sync");
    const secretId = await bao.secretId("secrets-sync");

    await using root = await buildRoot();
    await Deno.copyFile(
      new URL("../../examples/compose/config.yaml", import.meta.url),
      root.join(ROOT_PATHS.config),
    );
    await Deno.mkdir(root.join("/run/approle"), { recursive: true });
    for (const [name, value] of [["role-id", roleId], ["secret-id", secretId]] as const) {
      const path = root.join(`/run/approle/${name}`);
      await Deno.writeTextFile(path, value, { mode: 0o400 });
      await Deno.chown(path, NOBODY, NOBODY);
    }
    const env = { VAULT_ADDR: bao.address, METRICS_PORT: String(freePort()) };
    await using sidecar = root.spawn(["run"], { env });
    const dbEnv = root.join("/secrets/db.env");
    await sidecar.waitFor(
      async () => (await readIfExists(dbEnv))?.includes(password) ?? false,
      "the first sync with AppRole",
    );
    assertEquals((await Deno.stat(dbEnv)).mode! & 0o777, 0o600);
    await sidecar.waitFor(async () => {
      await using check = root.spawn(["isready"], { env });
      return (await check.status).code === 0;
    }, "isready to succeed");
    sidecar.kill("SIGTERM");
    assertEquals((await sidecar.status).code, 0, sidecar.stderr());
    const output = sidecar.stdout() + sidecar.stderr();
    for (const value of [password, roleId, secretId]) assertNotIncludes(output, value);
  },
});
