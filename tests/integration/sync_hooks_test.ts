/**
 * On-change hooks of each kind (command, signal, http) run by the real sidecar process after a
 * secret changed in OpenBao — and only then.
 */
import {
  assertEquals,
  assertNoLeaks,
  assertStringIncludes,
  auditReads,
  sleep,
} from "./sync_support.ts";
import { configYaml } from "../support/config_yaml.ts";
import { startOpenBao } from "../support/openbao.ts";
import { pollUntil } from "../support/poll.ts";
import { readIfExists, type Sidecar, startSidecar } from "../support/sidecar.ts";
import { tmpDir } from "../support/tmp_dir.ts";

async function lines(path: string): Promise<string[]> {
  return ((await readIfExists(path)) ?? "").split("\n").filter(Boolean);
}

/** A child that traps SIGHUP and appends a line to `log` per signal; its pid is in `pidFile`. */
async function startTrap(log: string, pidFile: string): Promise<AsyncDisposable> {
  const ready = `${log}.ready`;
  const child = new Deno.Command("/bin/sh", {
    args: ["-c", `trap 'echo hup >> "${log}"' HUP; touch "${ready}"; while :; do sleep 0.05; done`],
    stdin: "null",
    stdout: "null",
    stderr: "null",
  }).spawn();
  await Deno.writeTextFile(pidFile, `${child.pid}\n`);
  await pollUntil(async () => (await readIfExists(ready)) !== undefined, "the trap to be set");
  return {
    async [Symbol.asyncDispose]() {
      try {
        child.kill("SIGKILL");
      } catch {
        // already gone
      }
      await child.status;
    },
  };
}

/** Waits for two more reads of app/db in the audit log: two refreshes of the secret. */
async function twoMoreRefreshes(sidecar: Sidecar, audit: string): Promise<void> {
  const before = await auditReads(audit, "secret/data/app/db");
  await sidecar.waitFor(
    async () => (await auditReads(audit, "secret/data/app/db")) >= before + 2,
    "two more refreshes",
    5_000,
  );
  // The second refresh's write and hooks finish a moment after its read.
  await sleep(200);
}

function dbSecret(out: string, onChange: Array<Record<string, unknown>>): string {
  return configYaml([
    { name: "db", key: "app/db", template: { pw: "{{ .password }}" }, files: [out], onChange },
  ]);
}

Deno.test("command and http hooks run once per change, with the narrowest --allow-run", async () => {
  await using dir = await tmpDir();
  const audit = dir.join("audit.log");
  await using bao = await startOpenBao({ auditFile: audit });
  const first = `pw-${crypto.randomUUID()}`;
  const second = `pw-${crypto.randomUUID()}`;
  await bao.writeKv2("secret", "app/db", { password: first });

  // command: a script (argv, no shell on our side) that records its argument and environment.
  const script = dir.join("on-change.sh");
  const commandLog = dir.join("command.log");
  await Deno.writeTextFile(
    script,
    `#!/bin/sh\necho "$1 secret=$SECRETS_SYNC_SECRET token=\${VAULT_TOKEN:-none}" >> "${commandLog}"\n`,
  );
  await Deno.chmod(script, 0o755);

  // http: a server in the test counting calls.
  const httpCalls: Array<{ method: string; path: string }> = [];
  await using server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, (req) => {
    httpCalls.push({ method: req.method, path: new URL(req.url).pathname });
    return new Response("reloaded");
  });
  const configPath = dir.join("config.yaml");
  await Deno.writeTextFile(
    configPath,
    dbSecret(
      dir.join("pw"),
      [
        { command: [script, "changed"], timeout: "5s" },
        { http: { url: `http://127.0.0.1:${server.addr.port}/reload`, method: "PUT" } },
      ],
    ),
  );
  await using sidecar = startSidecar({
    args: ["run", "--config", configPath],
    env: { VAULT_ADDR: bao.address, VAULT_TOKEN: bao.rootToken, STATUS_FILE: dir.join("status") },
    permissions: ["-P=sidecar", `--allow-run=${script}`],
  });
  const allRan = (n: number) => async () =>
    (await lines(commandLog)).length === n && httpCalls.length === n;
  await sidecar.waitFor(allRan(1), "the hooks after the first write");
  assertEquals(await Deno.readTextFile(dir.join("pw")), first);

  // Refreshes with nothing new run no hook: two of them, counted on the server.
  await twoMoreRefreshes(sidecar, audit);
  assertEquals([(await lines(commandLog)).length, httpCalls.length], [1, 1]);

  await bao.writeKv2("secret", "app/db", { password: second });
  await sidecar.waitFor(allRan(2), "the hooks after a change", 5_000);
  assertEquals(await Deno.readTextFile(dir.join("pw")), second);
  // The command got its argv and the secret's name, and none of the sidecar's environment.
  assertEquals(await lines(commandLog), [
    "changed secret=db token=none",
    "changed secret=db token=none",
  ]);
  const reload = { method: "PUT", path: "/reload" };
  assertEquals(httpCalls, [reload, reload]);
  // The log line follows the hook's effect: wait for it rather than race it.
  const ran = () =>
    sidecar.logs().filter((l) => String(l.message).startsWith("Ran on-change hook")).length;
  await sidecar.waitFor(() => Promise.resolve(ran() >= 4), "two hooks logged as run, twice");
  await sleep(500);
  assertEquals(ran(), 4, "two hooks logged as run, twice");
  assertNoLeaks(sidecar, [first, second, bao.rootToken]);
});

Deno.test("a signal hook signals the process in its pid file once per change", async () => {
  await using dir = await tmpDir();
  const audit = dir.join("audit.log");
  await using bao = await startOpenBao({ auditFile: audit });
  const first = `pw-${crypto.randomUUID()}`;
  const second = `pw-${crypto.randomUUID()}`;
  await bao.writeKv2("secret", "app/db", { password: first });
  const signalLog = dir.join("signal.log");
  const pidFile = dir.join("app.pid");
  await using _trap = await startTrap(signalLog, pidFile);
  const configPath = dir.join("config.yaml");
  await Deno.writeTextFile(
    configPath,
    dbSecret(dir.join("pw"), [{ signal: { pidFile, signal: "SIGHUP" } }]),
  );
  // Deno.kill needs --allow-run without a list: a program list does not cover signals.
  await using sidecar = startSidecar({
    args: ["run", "--config", configPath],
    env: { VAULT_ADDR: bao.address, VAULT_TOKEN: bao.rootToken, STATUS_FILE: dir.join("status") },
    permissions: ["-P=sidecar", "--allow-run"],
  });
  await sidecar.waitFor(async () => (await lines(signalLog)).length === 1, "SIGHUP after sync");
  await twoMoreRefreshes(sidecar, audit);
  assertEquals((await lines(signalLog)).length, 1, "no signal without a change");
  await bao.writeKv2("secret", "app/db", { password: second });
  await sidecar.waitFor(async () => (await lines(signalLog)).length === 2, "SIGHUP after change");
  assertEquals(await Deno.readTextFile(dir.join("pw")), second);
  assertNoLeaks(sidecar, [first, second, bao.rootToken]);
});

Deno.test("a signal hook with only --allow-run=<program> is refused at start, naming the flag", async () => {
  await using bao = await startOpenBao();
  await using dir = await tmpDir();
  const first = `pw-${crypto.randomUUID()}`;
  await bao.writeKv2("secret", "app/db", { password: first });
  const signalLog = dir.join("signal.log");
  const pidFile = dir.join("app.pid");
  await using _trap = await startTrap(signalLog, pidFile);
  const configPath = dir.join("config.yaml");
  await Deno.writeTextFile(
    configPath,
    dbSecret(dir.join("pw"), [{ signal: { pidFile } }]),
  );
  await using sidecar = startSidecar({
    args: ["run", "--config", configPath],
    env: { VAULT_ADDR: bao.address, VAULT_TOKEN: bao.rootToken, STATUS_FILE: dir.join("status") },
    permissions: ["-P=sidecar", "--allow-run=/bin/true"],
  });
  // Deno.kill needs --allow-run as a whole; the preflight says so before contacting Vault.
  assertEquals((await sidecar.status).code, 2);
  assertStringIncludes(sidecar.stderr(), "--allow-run");
  assertEquals(await readIfExists(dir.join("pw")), undefined);
  assertEquals(await lines(signalLog), []);
  assertNoLeaks(sidecar, [first, bao.rootToken]);
});

Deno.test("a failing hook is reported and does not stop the file from being kept in sync", async () => {
  await using bao = await startOpenBao();
  await using dir = await tmpDir();
  const first = `pw-${crypto.randomUUID()}`;
  const second = `pw-${crypto.randomUUID()}`;
  await bao.writeKv2("secret", "app/db", { password: first });
  const configPath = dir.join("config.yaml");
  await Deno.writeTextFile(
    configPath,
    dbSecret(dir.join("pw"), [
      { signal: { pidFile: dir.join("missing.pid") } },
      { http: { url: "http://127.0.0.1:1/reload" } },
    ]),
  );
  await using sidecar = startSidecar({
    args: ["run", "--config", configPath],
    env: { VAULT_ADDR: bao.address, VAULT_TOKEN: bao.rootToken, STATUS_FILE: dir.join("status") },
    permissions: ["-P=sidecar", "--allow-run"],
  });
  await sidecar.waitFor(async () => (await readIfExists(dir.join("pw"))) === first, "sync");
  await bao.writeKv2("secret", "app/db", { password: second });
  await sidecar.waitFor(async () => (await readIfExists(dir.join("pw"))) === second, "change");
  const failures = sidecar.logs().filter((l) => l.level === "warning" || l.level === "warn");
  const text = JSON.stringify(failures);
  assertStringIncludes(text, "missing.pid");
  assertStringIncludes(text, "127.0.0.1:1");
  assertNoLeaks(sidecar, [first, second, bao.rootToken]);
});
