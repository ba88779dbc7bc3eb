/**
 * Soak test (not part of `deno task test`): the real sidecar (`deno run -P=sidecar src/main.ts
 * run`) refreshes 100 secrets every 100 ms through a fault proxy in front of a real OpenBao dev server, which injects
 * a random fault (delay, reset, 500, 503, 429, drop, refuse) for 1–3 s every 2–5 s. Meanwhile the
 * harness changes a random secret every 200 ms (directly on the server), reads every file in a loop
 * and flags any moment a file is missing, empty, torn or holds a value never written.
 *
 * It runs until 100,000 refresh cycles (one cycle = one fetch of one secret, counted from the
 * sidecar's own `secret_fetch_total`, successes and errors) or a time cap, then reports cycles/s,
 * RSS at the 10,000th and at the last cycle (growth must stay ≤ 5 %), file problems and whether any
 * secret value or the token appears in the sidecar's output.
 *
 * Run: `deno run -A bench/soak.ts [--cycles=100000] [--max-seconds=480] [--secrets=100]
 * [--interval=100ms] [--out=soak.json]`. Exits 1 when a check fails.
 *
 * @module
 */
import { startOpenBao } from "../tests/support/openbao.ts";
import { type FaultMode, startFaultProxy } from "../tests/support/fault_proxy.ts";
import { tmpDir } from "../tests/support/tmp_dir.ts";
import { freePort, machine, median, quantile, rssKiB, scrape, sleep, sumOf } from "./_measure.ts";
import { ROOT, sidecarCommand, spawnLogged } from "./_process.ts";

function flag(name: string, fallback: string): string {
  const hit = Deno.args.find((a) => a.startsWith(`--${name}=`));
  return hit ? hit.slice(name.length + 3) : fallback;
}

const targetCycles = Number(flag("cycles", "100000"));
const maxSeconds = Number(flag("max-seconds", "480"));
const count = Number(flag("secrets", "100"));
const interval = flag("interval", "100ms");
const outFile = flag("out", "");
const RSS_FROM_CYCLE = Math.min(10_000, Math.floor(targetCycles / 10));
/** One-second RSS samples whose median stands for "RSS at" a point. */
const RSS_SAMPLES = 20;

const names = Array.from({ length: count }, (_, i) => `s${String(i).padStart(3, "0")}`);
/** Every value ever written per secret: a file may hold any of them, nothing else. */
const written = new Map<string, Set<string>>(names.map((n) => [n, new Set()]));
const allValues: string[] = [];
const render = (value: string) => `PASSWORD=${value}\nEND\n`;

await using bao = await startOpenBao();
await using dir = await tmpDir("secrets-sync-soak-");
await using proxy = await startFaultProxy(bao.address);

async function change(name: string): Promise<void> {
  const value = crypto.randomUUID();
  written.get(name)!.add(render(value));
  allValues.push(value);
  await bao.writeKv2("secret", `soak/${name}`, { password: value });
}
for (const name of names) await change(name);

const port = freePort();
const config = dir.join("config.yaml");
await Deno.writeTextFile(
  config,
  `secretStore:
  address: "\${VAULT_ADDR}"
  token: "\${VAULT_TOKEN}"
  requestTimeout: 2s
settings:
  metrics: { enabled: true, port: ${port} }
  backoff: { initial: 100ms, max: 2s }
  circuitBreaker: { timeout: 2s }
secrets:
${
    names.map((n) =>
      `  - name: ${n}
    key: soak/${n}
    refreshInterval: ${interval}
    template: { data: { out: "PASSWORD={{ .password }}\\nEND\\n" } }
    files: [{ path: ${dir.join(`${n}.env`)} }]`
    ).join("\n")
  }
`,
);
const logFile = dir.join("sidecar.log");
const [program, args] = sidecarCommand(["run", "--config", config]);
await using sidecar = spawnLogged(program, args, {
  log: logFile,
  cwd: ROOT,
  env: { VAULT_ADDR: proxy.address, VAULT_TOKEN: bao.rootToken, STATUS_FILE: dir.join("ready") },
});

const files = names.map((n) => dir.join(`${n}.env`));
const startedAt = performance.now();
for (;;) {
  const present = await Promise.all(files.map((f) => Deno.stat(f).then(() => 1, () => 0)));
  if (present.every((p) => p === 1)) break;
  if (sidecar.exited) throw new Error(`The sidecar exited; see ${logFile}`);
  if (performance.now() - startedAt > 60_000) throw new Error("Not every file within 60 s");
  await sleep(50);
}

let running = true;
const problems: string[] = [];
let fileReads = 0;

/** Reads every file in a loop; any missing, empty or unknown content is a problem. */
const watcher = (async () => {
  while (running) {
    for (let i = 0; i < files.length; i++) {
      let text: string | undefined;
      try {
        text = await Deno.readTextFile(files[i]!);
      } catch {
        text = undefined;
      }
      fileReads++;
      if (text === undefined || text === "" || !written.get(names[i]!)!.has(text)) {
        if (problems.length < 100) {
          problems.push(`${names[i]}: ${text === undefined ? "missing" : `${text.length} bytes`}`);
        }
      }
    }
    await sleep(20);
  }
})();

let changes = 0;
const changer = (async () => {
  while (running) {
    await change(names[Math.floor(Math.random() * names.length)]!);
    changes++;
    await sleep(200);
  }
})();

const FAULTS: Array<[string, () => FaultMode]> = [
  ["delay", () => ({ kind: "delay", ms: 200 + Math.floor(Math.random() * 2_500) })],
  ["reset", () => ({ kind: "reset" })],
  ["500", () => ({ kind: "status", status: 500 })],
  ["503", () => ({ kind: "status", status: 503 })],
  ["429", () => ({ kind: "status", status: 429, retryAfter: 1 })],
  ["drop", () => ({ kind: "drop" })],
  ["refuse", () => ({ kind: "refuse" })],
];
const faultCounts: Record<string, number> = {};
let faultSeconds = 0;
const faults = (async () => {
  while (running) {
    proxy.setMode({ kind: "pass" });
    await sleep(2_000 + Math.random() * 3_000);
    if (!running) break;
    const [name, mode] = FAULTS[Math.floor(Math.random() * FAULTS.length)]!;
    faultCounts[name] = (faultCounts[name] ?? 0) + 1;
    proxy.setMode(mode());
    const ms = 1_000 + Math.random() * 2_000;
    faultSeconds += ms / 1000;
    await sleep(ms);
  }
  proxy.setMode({ kind: "pass" });
})();

interface Point {
  t: number;
  cycles: number;
  ok: number;
  rssKiB: number;
}
const points: Point[] = [];
const t0 = performance.now();
let lastLog = 0;
try {
  for (;;) {
    await sleep(1_000);
    if (sidecar.exited) throw new Error(`The sidecar exited; see ${logFile}`);
    const samples = await scrape(port).catch(() => undefined);
    if (!samples) continue;
    const point = {
      t: (performance.now() - t0) / 1000,
      cycles: sumOf(samples, "secret_fetch_total"),
      ok: sumOf(samples, "secret_fetch_total", { status: "success" }),
      rssKiB: await rssKiB(sidecar.pid),
    };
    points.push(point);
    if (point.t - lastLog >= 30) {
      lastLog = point.t;
      console.error(
        `${point.t.toFixed(0)} s: ${point.cycles} cycles (${point.ok} ok), RSS ${
          (point.rssKiB / 1024).toFixed(1)
        } MiB, ${problems.length} file problems`,
      );
    }
    if (point.cycles >= targetCycles || point.t >= maxSeconds) break;
  }
} finally {
  running = false;
  await Promise.all([watcher, changer, faults]);
}
await sidecar.stop();

const last = points.at(-1)!;
const fromIndex = points.findIndex((p) => p.cycles >= RSS_FROM_CYCLE);
// Median of 20 one-second samples on each side: RSS swings by ±5 % with V8's heap growth and
// shrinking, so a single sample (or five) decides little.
const rssAtFrom = fromIndex >= 0
  ? median(points.slice(fromIndex, fromIndex + RSS_SAMPLES).map((p) => p.rssKiB))
  : NaN;
const rssAtEnd = median(points.slice(-RSS_SAMPLES).map((p) => p.rssKiB));
const growth = (rssAtEnd - rssAtFrom) / rssAtFrom;
const steady = fromIndex >= 0 ? points[fromIndex]! : points[0]!;
const cyclesPerSecond = (last.cycles - steady.cycles) / (last.t - steady.t);

const output = await Deno.readTextFile(logFile);
const leaks = [...allValues, bao.rootToken].filter((v) => output.includes(v)).length;
const levels: Record<string, number> = {};
for (const line of output.split("\n")) {
  const level = /"level":"(\w+)"/.exec(line)?.[1];
  if (level) levels[level] = (levels[level] ?? 0) + 1;
}

const result = {
  targetCycles,
  reached: last.cycles >= targetCycles,
  secrets: count,
  refreshInterval: interval,
  seconds: +last.t.toFixed(1),
  cycles: last.cycles,
  successfulFetches: last.ok,
  cyclesPerSecondSteady: +cyclesPerSecond.toFixed(1),
  idealCyclesPerSecond: count * (1000 / Number.parseInt(interval)),
  rssFromCycle: RSS_FROM_CYCLE,
  rssAtFromMiB: +(rssAtFrom / 1024).toFixed(1),
  rssAtEndMiB: +(rssAtEnd / 1024).toFixed(1),
  rssMaxMiB: +(quantile(points.map((p) => p.rssKiB), 1) / 1024).toFixed(1),
  rssGrowthPercent: +(growth * 100).toFixed(2),
  valueChanges: changes,
  faults: faultCounts,
  faultSecondsShare: +(faultSeconds / last.t).toFixed(2),
  proxyRequests: proxy.requests,
  fileReads,
  fileProblems: problems.length,
  fileProblemSamples: problems.slice(0, 10),
  secretsInOutput: leaks,
  logLines: levels,
  logBytes: output.length,
  rssSeries: points.filter((_, i) => i % 10 === 0).map((
    p,
  ) => [Math.round(p.t), p.cycles, p.rssKiB]),
  machine: await machine(),
};
const json = JSON.stringify(result, null, 2);
if (outFile) await Deno.writeTextFile(outFile, json + "\n");
console.log(json);
const failed = problems.length > 0 || leaks > 0 || !(growth <= 0.05);
if (failed) {
  console.error(
    `SOAK FAILED: ${problems.length} file problems, ${leaks} secrets in output, RSS growth ${
      (growth * 100).toFixed(2)
    } %`,
  );
  Deno.exitCode = 1;
}
