/**
 * Start-up cost of `src/main.ts run`, variants measured together: for each round, each variant
 * (a source tree and/or extra Deno flags) is started in turn against one real OpenBao dev server
 * with N seeded secrets, and measured from spawn until every file holds its expected content:
 * milliseconds, RSS and CPU seconds at that moment, and RSS and CPU after an idle wait. The order
 * of the variants rotates each round, so a busy moment on a shared machine does not always hit
 * the same one; compare variants of one run (their ratio), not figures of different runs.
 *
 * Run:
 * - `deno run -A bench/startup.ts` — this tree, N=1, 10 rounds, metrics off
 * - `--variant=LABEL=ROOT[|DENO FLAGS]` (repeatable): ROOT holds `src/main.ts` and `deno.json`
 *   (e.g. an exported copy of main: `git archive main | tar -x -C /tmp/base`); the sidecar runs
 *   with the flags of ROOT's `deno task run`, then DENO FLAGS (space-separated; V8 flags add up:
 *   Deno appends each `--v8-flags=`), e.g. `--variant='semi1=.|--v8-flags=--max-semi-space-size=1'`
 * - `--n=1` `--rounds=10` `--idle=0` (seconds to wait after ready before the second RSS/CPU
 *   sample) `--interval=10` (refresh interval, s) `--metrics` (serve /metrics on a free port)
 *   `--out=FILE.json`
 *
 * @module
 */
import { startOpenBao } from "../tests/support/openbao.ts";
import { tmpDir } from "../tests/support/tmp_dir.ts";
import { cpuSeconds, freePort, machine, median, rssKiB, sleep } from "./_measure.ts";
import { runTaskFlags, spawnLogged } from "./_process.ts";
import { expectedContent, secretsSyncConfig, type SeededSecret } from "./_runners.ts";

function flag(name: string): string | undefined {
  const hit = Deno.args.find((a) => a.startsWith(`--${name}=`));
  return hit?.slice(name.length + 3);
}

interface Variant {
  label: string;
  root: string;
  denoFlags: string[];
}

function parseVariant(spec: string): Variant {
  const [head, flags = ""] = spec.split("|", 2) as [string, string?];
  const eq = head.indexOf("=");
  if (eq <= 0) throw new RangeError(`Invalid --variant "${spec}": expected LABEL=ROOT[|FLAGS]`);
  const root = new URL(`${head.slice(eq + 1).replace(/\/?$/, "/")}`, `file://${Deno.cwd()}/`)
    .pathname;
  return { label: head.slice(0, eq), root, denoFlags: flags.split(" ").filter(Boolean) };
}

const HERE = new URL("../", import.meta.url).pathname;
const variants = Deno.args.filter((a) => a.startsWith("--variant=")).map((a) =>
  parseVariant(a.slice("--variant=".length))
);
if (variants.length === 0) variants.push({ label: "this tree", root: HERE, denoFlags: [] });
const options = {
  count: Number(flag("n") ?? 1),
  rounds: Number(flag("rounds") ?? 10),
  idleSeconds: Number(flag("idle") ?? 0),
  intervalSeconds: Number(flag("interval") ?? 10),
  metrics: Deno.args.includes("--metrics"),
  out: flag("out"),
};

interface Sample {
  readyMs: number;
  rssReadyMiB: number;
  cpuReadyS: number;
  rssIdleMiB?: number;
  cpuIdleS?: number;
}

/**
 * Removes from `pending` every file that now holds its expected content; true when none is left.
 * One directory listing per call, and only files that exist are read: re-reading thousands of
 * (mostly missing) files every few milliseconds took CPU from the sidecar on a 2-core machine.
 */
async function allWritten(out: string, pending: Map<string, string>): Promise<boolean> {
  const present = new Set<string>();
  for await (const entry of Deno.readDir(out)) present.add(entry.name);
  for (const [name, text] of pending) {
    if (!present.has(`${name}.env`)) continue;
    try {
      if (await Deno.readTextFile(`${out}/${name}.env`) === text) pending.delete(name);
    } catch {
      // Replaced between the listing and the read: next pass.
    }
  }
  return pending.size === 0;
}

async function startOnce(
  variant: Variant,
  setup: { dir: string; address: string; token: string; secrets: SeededSecret[] },
  expected: Map<string, string>,
  idleSeconds = options.idleSeconds,
): Promise<Sample> {
  const out = `${setup.dir}/out`;
  await Deno.remove(out, { recursive: true }).catch(() => {});
  await Deno.mkdir(out, { recursive: true });
  const config = `${setup.dir}/config.yaml`;
  await Deno.writeTextFile(
    config,
    secretsSyncConfig({
      ...setup,
      out,
      intervalSeconds: options.intervalSeconds,
      ...(options.metrics ? { metricsPort: freePort() } : {}),
    }),
  );
  const started = performance.now();
  await using child = spawnLogged(Deno.execPath(), [
    "run",
    "--quiet",
    ...runTaskFlags(variant.root),
    ...variant.denoFlags,
    `${variant.root}src/main.ts`,
    "run",
    "--config",
    config,
  ], {
    log: `${setup.dir}/sidecar.log`,
    cwd: variant.root,
    env: {
      VAULT_ADDR: setup.address,
      VAULT_TOKEN: setup.token,
      STATUS_FILE: `${setup.dir}/ready`,
    },
  });
  const pending = new Map(expected);
  while (!(await allWritten(out, pending))) {
    if (child.exited) throw new Error(`${variant.label} exited before writing every file`);
    if (performance.now() - started > 120_000) throw new Error(`${variant.label}: no files`);
    await sleep(pending.size > 50 ? 20 : 5);
  }
  const sample: Sample = {
    readyMs: performance.now() - started,
    rssReadyMiB: (await rssKiB(child.pid)) / 1024,
    cpuReadyS: await cpuSeconds(child.pid),
  };
  if (idleSeconds > 0) {
    await sleep(idleSeconds * 1000);
    sample.rssIdleMiB = (await rssKiB(child.pid)) / 1024;
    sample.cpuIdleS = (await cpuSeconds(child.pid)) - sample.cpuReadyS;
  }
  await child.stop();
  return sample;
}

await using dir = await tmpDir("secrets-sync-startup-");
await using bao = await startOpenBao();
const secrets: SeededSecret[] = [];
const expected = new Map<string, string>();
for (let i = 0; i < options.count; i++) {
  const name = `s${String(i).padStart(4, "0")}`;
  const fields = { username: `user-${i}`, password: crypto.randomUUID() };
  await bao.writeKv2("secret", `bench/${name}`, fields);
  secrets.push({ name, path: `bench/${name}` });
  expected.set(name, expectedContent(fields));
}
const samples = new Map<string, Sample[]>(variants.map((v) => [v.label, []]));
// One start of each first, unmeasured: fills Deno's caches for each tree.
for (const [i, v] of variants.entries()) {
  await Deno.mkdir(`${dir.path}/${i}`, { recursive: true });
  await startOnce(
    v,
    { dir: `${dir.path}/${i}`, address: bao.address, token: bao.rootToken, secrets },
    expected,
    0,
  );
}
for (let round = 0; round < options.rounds; round++) {
  for (let k = 0; k < variants.length; k++) {
    const i = (k + round) % variants.length;
    const v = variants[i]!;
    const s = await startOnce(
      v,
      { dir: `${dir.path}/${i}`, address: bao.address, token: bao.rootToken, secrets },
      expected,
    );
    samples.get(v.label)!.push(s);
    console.error(
      `round ${round + 1} ${v.label}: ${s.readyMs.toFixed(0)} ms, ${s.rssReadyMiB.toFixed(1)} MiB` +
        (s.rssIdleMiB === undefined ? "" : `, idle ${s.rssIdleMiB.toFixed(1)} MiB`),
    );
  }
}

const fmt = (xs: Array<number | undefined>, digits: number) => {
  const v = xs.filter((x): x is number => x !== undefined);
  return v.length === 0 ? "—" : median(v).toFixed(digits);
};
console.log(
  `N=${options.count}, ${options.rounds} rounds, metrics ${options.metrics ? "on" : "off"}` +
    (options.idleSeconds > 0 ? `, idle sample ${options.idleSeconds} s after ready` : "") +
    " (medians)",
);
console.log(
  "| variant | ready ms | RSS at ready MiB | CPU to ready s | RSS idle MiB | CPU idle s |",
);
console.log("| --- | --: | --: | --: | --: | --: |");
for (const v of variants) {
  const s = samples.get(v.label)!;
  console.log(
    `| ${v.label} | ${fmt(s.map((x) => x.readyMs), 0)} | ${fmt(s.map((x) => x.rssReadyMiB), 1)} | ${
      fmt(s.map((x) => x.cpuReadyS), 2)
    } | ${fmt(s.map((x) => x.rssIdleMiB), 1)} | ${fmt(s.map((x) => x.cpuIdleS), 2)} |`,
  );
}
if (options.out) {
  const result = {
    command: `deno run -A bench/startup.ts ${Deno.args.join(" ")}`,
    date: new Date().toISOString(),
    options,
    variants,
    samples: Object.fromEntries(samples),
    machine: await machine(),
  };
  await Deno.writeTextFile(options.out, JSON.stringify(result, null, 2) + "\n");
}
