/**
 * The README's "Without Go" quick start, run as a user runs it: from a copy of the repository that
 * is not under /tmp (the `sidecar` permission set allows writes under /tmp, which hid the bug that
 * `./demo-out` resolved against `examples/`), against the real OpenBao.
 *
 * The test plays the user's part where the README says what to do by hand: it exports the address
 * and token the `export` line names and writes the secrets the `vault kv put` lines write, through
 * the server's API. The `deno task run` line runs exactly as printed, through `sh`, with
 * `OUTPUT_DIR` as written; only `npx --yes deno@<version>` is replaced by the `deno` running the
 * tests (the README pins the same version the project pins, and the tests must not download it).
 * Ctrl-C is sent as a terminal sends it: SIGINT to the job's process group; the sidecar must stop
 * cleanly (exit 0) although `deno task` forwards the SIGINT to it a second time.
 */
import { assert, assertEquals, assertMatch } from "../support/assert.ts";
import { startOpenBao } from "../support/openbao.ts";
import { spawnCaptured } from "../support/process.ts";

const ROOT = new URL("../../", import.meta.url).pathname;

/** The shell lines of the README's "Without Go" block. */
async function withoutGoLines(): Promise<string[]> {
  const readme = await Deno.readTextFile(`${ROOT}README.md`);
  const at = readme.indexOf("**Without Go**");
  assert(at >= 0, "README.md has no **Without Go** quick start");
  const block = readme.slice(at).match(/```sh\n([\s\S]*?)```/);
  assert(block, "README.md: no sh block after **Without Go**");
  return block[1]!.split("\n").map((line) => line.replace(/\s+#.*$/, "").trim()).filter(Boolean);
}

/** A copy of the working tree (tracked and untracked files, as a clone plus local edits). */
async function copyRepo(to: string): Promise<void> {
  const listed = await new Deno.Command("git", {
    args: ["ls-files", "-z", "--cached", "--others", "--exclude-standard"],
    cwd: ROOT,
    stdout: "piped",
  }).output();
  assert(listed.success, "git ls-files failed");
  for (const path of new TextDecoder().decode(listed.stdout).split("\0").filter(Boolean)) {
    const target = `${to}/${path}`;
    await Deno.mkdir(target.slice(0, target.lastIndexOf("/")), { recursive: true });
    try {
      await Deno.copyFile(`${ROOT}${path}`, target);
    } catch (error) {
      if (!(error instanceof Deno.errors.NotFound)) throw error; // deleted, not yet committed
    }
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.lstat(path);
    return true;
  } catch {
    return false;
  }
}

Deno.test("the README's Without Go commands work as written from a clone outside /tmp", async () => {
  const lines = await withoutGoLines();
  const [exportLine, ...rest] = lines;
  const puts = rest.filter((line) => line.startsWith("vault kv put "));
  const runLine = rest.at(-1)!;
  assertMatch(exportLine!, /^export VAULT_ADDR=\S+ VAULT_TOKEN=\S+$/);
  assertEquals(puts.length, 2, lines.join("\n"));
  const npx = /npx --yes deno@(\d+\.\d+\.\d+)/;
  assertMatch(runLine, npx);
  assertMatch(runLine, /^OUTPUT_DIR=\.\/demo-out .* task run --config examples\/config\.yaml$/);

  await using bao = await startOpenBao();
  const written: Record<string, Record<string, string>> = {};
  for (const line of puts) {
    const [path, ...pairs] = line.slice("vault kv put ".length).split(/\s+/);
    const [mount, ...key] = path!.split("/");
    const data = Object.fromEntries(
      pairs.map((p) => [p.slice(0, p.indexOf("=")), p.slice(p.indexOf("=") + 1)]),
    );
    await bao.writeKv2(mount!, key.join("/"), data);
    written[key.join("/")] = data;
  }

  // The sidecar permission set may write under /tmp, which would hide the bug this test is
  // about: copy into the checkout's .cache, or, when the checkout itself is under /tmp (a CI
  // clone), into the user's cache directory.
  const base = ROOT.startsWith("/tmp/")
    ? `${Deno.env.get("HOME") ?? "/root"}/.cache/secrets-sync-tests`
    : `${ROOT}.cache`;
  await Deno.mkdir(base, { recursive: true });
  const clone = await Deno.makeTempDir({ dir: base, prefix: "readme-clone-" });
  await using _cleanup = {
    [Symbol.asyncDispose]: () => Deno.remove(clone, { recursive: true }).catch(() => {}),
  };
  assert(!clone.startsWith("/tmp/"), `the copy must not be under /tmp: ${clone}`);
  await copyRepo(clone);

  await using job = spawnCaptured("sh", {
    // An interactive shell survives the Ctrl-C it passes to its job; `sh -c` would die of it, so
    // it gets a no-op trap (children still get the default action) and exits with the job's code.
    args: ["-c", `trap : INT; ${runLine.replace(npx, '"$DENO"')}`],
    cwd: clone,
    detached: true,
    env: {
      PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin",
      HOME: Deno.env.get("HOME") ?? "/root",
      NO_COLOR: "1",
      DENO: Deno.execPath(),
      VAULT_ADDR: bao.address,
      VAULT_TOKEN: bao.rootToken,
      ...(Deno.env.get("DENO_DIR") ? { DENO_DIR: Deno.env.get("DENO_DIR")! } : {}),
    },
    timeoutMs: 60_000,
  });
  const db = `${clone}/demo-out/db.env`;
  const api = `${clone}/demo-out/api-key.txt`;
  await job.waitFor(async () => await exists(db) && await exists(api), "the two files");
  assertEquals(
    await Deno.readTextFile(db),
    `DB_USERNAME=${written["app/db"]!.username}\nDB_PASSWORD=${written["app/db"]!.password}\n`,
  );
  assertEquals(await Deno.readTextFile(api), written["app/api"]!.key);
  assertEquals(await exists(`${clone}/examples/demo-out`), false, "wrote under examples/");

  Deno.kill(-job.pid, "SIGINT"); // Ctrl-C
  const status = await job.status;
  assertEquals(status.code, 0, job.stdout() + job.stderr());
});
