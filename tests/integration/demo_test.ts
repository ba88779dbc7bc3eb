/**
 * The README's first quick-start command, `deno task demo`, run as written: once with the switch
 * that makes it stop by itself once the files are there, once stopped with Ctrl-C.
 */
import { assertEquals, assertMatch, assertStringIncludes } from "../support/assert.ts";
import { spawnCaptured } from "../support/process.ts";

const ROOT = new URL("../../", import.meta.url).pathname;

/** The environment the demo gets: a clean one, plus what finds `bao` and Deno's cache. */
function demoEnv(extra: Record<string, string> = {}): Record<string, string> {
  return {
    PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin",
    HOME: Deno.env.get("HOME") ?? "/root",
    NO_COLOR: "1",
    ...(Deno.env.get("OPENBAO_BIN") ? { OPENBAO_BIN: Deno.env.get("OPENBAO_BIN")! } : {}),
    ...(Deno.env.get("DENO_DIR") ? { DENO_DIR: Deno.env.get("DENO_DIR")! } : {}),
    ...extra,
  };
}

Deno.test("deno task demo writes the two example files and prints no value", async () => {
  await using demo = spawnCaptured(Deno.execPath(), {
    args: ["task", "-q", "demo"],
    cwd: ROOT,
    env: demoEnv({ DEMO_EXIT_AFTER_SYNC: "1" }),
    timeoutMs: 60_000,
  });
  const status = await demo.status;
  const output = demo.stdout() + demo.stderr();
  assertEquals(status.code, 0, output);
  assertMatch(output, /demo-out\/db\.env\s+\d+ bytes\s+mode 0600/);
  assertMatch(output, /demo-out\/api-key\.txt\s+\d+ bytes\s+mode 0600/);
  assertStringIncludes(output, "secrets-sync stopped (exit 0)");
  const db = await Deno.readTextFile(`${ROOT}demo-out/db.env`);
  const password = /DB_PASSWORD=(.+)/.exec(db)?.[1];
  assertEquals(typeof password, "string");
  assertEquals(output.includes(password!), false, "the demo printed a secret value");
  const key = (await Deno.readTextFile(`${ROOT}demo-out/api-key.txt`)).trim();
  assertEquals(output.includes(key), false, "the demo printed a secret value");
});

Deno.test("Ctrl-C stops deno task demo cleanly: exit 0, the sidecar's too, no temp file left", async () => {
  await using demo = spawnCaptured(Deno.execPath(), {
    args: ["task", "-q", "demo"],
    cwd: ROOT,
    env: demoEnv(),
    detached: true,
    timeoutMs: 60_000,
  });
  await demo.waitFor(() => demo.stdout().includes("Press Ctrl-C to stop."), "the demo to run");
  // What a terminal does on Ctrl-C: SIGINT to every process of the foreground job (deno task, the
  // demo script, the dev server and the sidecar), not only to one of them.
  Deno.kill(-demo.pid, "SIGINT");
  const status = await demo.status;
  const output = demo.stdout() + demo.stderr();
  assertEquals(status.code, 0, output);
  assertStringIncludes(output, "secrets-sync stopped (exit 0)");
  const left: string[] = [];
  for await (const entry of Deno.readDir(`${ROOT}demo-out`)) {
    if (entry.name.endsWith(".tmp")) left.push(entry.name);
  }
  assertEquals(left, [], "temp files left in demo-out/");
});
