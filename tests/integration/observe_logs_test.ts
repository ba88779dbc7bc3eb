/**
 * Logs of whole sidecar runs against the real OpenBao (token and AppRole, info and debug): every stdout line
 * is one JSON object, and no secret value, token, role-id or secret-id appears anywhere in the
 * output — not even base64-encoded.
 */
import { assert, assertEquals, assertNotIncludes } from "../support/assert.ts";
import { startOpenBao } from "../support/openbao.ts";
import { configYaml } from "../support/config_yaml.ts";
import { readIfExists, startSidecar } from "../support/sidecar.ts";
import { tmpDir } from "../support/tmp_dir.ts";

function base64(text: string): string {
  return btoa(String.fromCharCode(...new TextEncoder().encode(text))).replace(/=+$/, "");
}

for (
  const [auth, level] of [
    ["token", "info"],
    ["token", "debug"],
    ["approle", "debug"],
  ] as const
) {
  Deno.test(`${auth === "token" ? "a token" : "an AppRole"} run at ${level} logs only JSON lines and never a value or credential`, async () => {
    await using bao = await startOpenBao();
    await using dir = await tmpDir();
    const out = dir.join("out");
    await Deno.mkdir(out);
    const first = {
      username: `user-${crypto.randomUUID().slice(0, 8)}`,
      password: `pw-${crypto.randomUUID()}`,
      // Characters that JSON escapes, and a multi-line value.
      note: `line one "quoted" ${crypto.randomUUID()}\nline two\\${crypto.randomUUID()}`,
    };
    const second = { ...first, password: `pw2-${crypto.randomUUID()}` };
    await bao.writeKv2("secret", "app/db", first);
    const apiKey = `key-${crypto.randomUUID()}`;
    await bao.writeKv2("secret", "app/api", { key: apiKey });

    const credentials: string[] = [bao.rootToken];
    let store: Record<string, unknown> = { authMethod: "token" };
    const env: Record<string, string> = {
      VAULT_ADDR: bao.address,
      STATUS_FILE: dir.join("status"),
      ENABLE_METRICS: "false",
      LOG_LEVEL: level,
    };
    if (auth === "approle") {
      await bao.enableAppRole();
      await bao.writePolicy("read-app", 'path "secret/data/app/*" { capabilities = ["read"] }');
      await bao.createRole("sidecar", { tokenPolicies: ["read-app"], tokenTtl: "1h" });
      const roleId = await bao.roleId("sidecar");
      const secretId = await bao.secretId("sidecar");
      credentials.push(roleId, secretId);
      await Deno.writeTextFile(dir.join("role-id"), roleId + "\n");
      await Deno.writeTextFile(dir.join("secret-id"), secretId + "\n");
      store = {
        authMethod: "approle",
        token: undefined,
        roleIdFile: dir.join("role-id"),
        secretIdFile: dir.join("secret-id"),
      };
    } else {
      env.VAULT_TOKEN = bao.rootToken;
    }
    const configPath = dir.join("config.yaml");
    await Deno.writeTextFile(
      configPath,
      configYaml([
        {
          name: "db",
          key: "app/db",
          template: {
            "db.env": "USER={{ .username }}\nPASSWORD={{ .password }}\n",
            note: "{{ .note }}",
          },
          files: [`${out}/db.env`, `${out}/note`],
        },
        { name: "api", key: "app/api", template: { key: "{{ .key }}" }, files: [`${out}/api.key`] },
        { name: "gone", key: "app/missing", template: { x: "{{ .x }}" }, files: [`${out}/gone`] },
        {
          name: "badfield",
          key: "app/api",
          template: { x: "{{ .nosuchfield }}" },
          files: [`${out}/badfield`],
        },
      ], { store, settings: { metrics: undefined, backoff: { initial: "200ms", max: "1s" } } }),
    );
    await using sidecar = startSidecar({ args: ["run", "--config", configPath], env });
    await sidecar.waitFor(
      async () => (await readIfExists(`${out}/db.env`))?.includes(first.password) ?? false,
      "the first sync",
    );
    await sidecar.waitFor(async () => (await readIfExists(`${out}/api.key`)) === apiKey, "api");
    await bao.writeKv2("secret", "app/db", second);
    await sidecar.waitFor(
      async () => (await readIfExists(`${out}/db.env`))?.includes(second.password) ?? false,
      "the change",
    );
    await sidecar.waitFor(
      () => sidecar.logs().some((l) => JSON.stringify(l).includes("badfield")),
      "the template failure to be logged",
    );
    sidecar.kill("SIGTERM");
    assertEquals((await sidecar.status).code, 0, sidecar.stderr());

    const stdout = sidecar.stdout();
    const lines = stdout.split("\n");
    assertEquals(lines.at(-1), "", "output ends with a newline");
    const records = lines.slice(0, -1).map((line, i) => {
      try {
        return JSON.parse(line) as Record<string, unknown>;
      } catch {
        throw new Error(`stdout line ${i + 1} is not JSON: ${line}`);
      }
    });
    for (const record of records) {
      assertEquals(typeof record.timestamp, "string");
      assertEquals(typeof record.message, "string");
      assert(
        ["debug", "info", "warning", "error"].includes(String(record.level)),
        String(record.level),
      );
    }
    const levels = new Set(records.map((r) => r.level));
    if (level === "debug") assert(levels.has("debug"), "debug lines at LOG_LEVEL=debug");
    else assert(!levels.has("debug"), "no debug lines at LOG_LEVEL=info");
    // The failures were logged, by name.
    const text = JSON.stringify(records);
    assert(/Cannot sync.*gone/.test(text), "the missing secret is logged");
    assert(/Cannot sync.*badfield/.test(text), "the template failure is logged");

    const everything = stdout + sidecar.stderr();
    const forbidden = [
      ...credentials,
      ...Object.values(first),
      ...Object.values(second),
      ...first.note.split("\n"),
      JSON.stringify(first.note).slice(1, -1),
      apiKey,
    ];
    for (const value of forbidden) {
      assertNotIncludes(everything, value, `output holds a secret value or credential`);
      assertNotIncludes(everything, base64(value), `output holds a base64 of a value`);
    }
    // Tokens issued during the run (the AppRole login's) are unknown here, but have OpenBao's shape.
    const tokenLike = everything.match(/\b(?:hvs|hvb|s|b)\.[A-Za-z0-9_-]{24,}/g) ?? [];
    assertEquals(tokenLike, [], "output holds something shaped like a Vault token");
    console.log(
      `${records.length} JSON lines (${[...levels].join(", ")}), ${stdout.length} bytes, ` +
        `searched for ${forbidden.length} values and their base64`,
    );
  });
}
