/**
 * secrets-sync against OpenBao Agent (`bao agent`, template mode) on the same dev server, for
 * N = 1, 100 and 1,000 seeded secrets. Per N it measures, for each contender:
 *
 * - **cold start**: process start → every file written with the expected content (median of 10
 *   starts; the contenders alternate A B A B);
 * - **idle RSS** 60 s after the files were written, and **CPU seconds** over a 5-minute window at a
 *   10 s refresh (Agent: `static_secret_render_interval = "10s"`);
 * - **requests per refresh cycle** that reach the server, counted from the server's own file audit
 *   device during that window (not from the contender's side);
 * - **change → file**: a secret changed in Vault at a random moment, until its file holds the new
 *   value (median and p99 over 100 changes; changes run in parallel lanes on distinct secrets).
 *
 * Prints a table with the ratios (secrets-sync / Agent) and writes JSON and an SVG chart (cold start
 * and idle RSS against N, one line per contender; same name as the JSON, `.svg`). Both contenders run against
 * the same real OpenBao dev server; the Agent is `bao agent` of that same binary.
 *
 * `--scale` instead runs one contender (secrets-sync) with 5,000 secrets at a 60 s interval and
 * reports CPU share, RSS and the p99 of staleness (time since a secret's last successful sync,
 * sampled from /metrics).
 *
 * Run:
 * - `deno run -A bench/compare.ts` — full (N=1,100,1000; 10 cold starts; 300 s window; 100 changes)
 * - `deno run -A bench/compare.ts --quick` — N=1,100; 3 cold starts; 60 s window; 20 changes
 * - flags: `--n=1,100` `--cold=10` `--window=300` `--changes=100` `--lanes=10` `--interval=10`
 *   `--out=compare.json` `--cpu-prof=DIR` (profile the sidecar's steady phase)
 *   `--sidecar-flags="--v8-flags=--max-semi-space-size=1"` (extra Deno flags for the sidecar)
 * - `deno run -A bench/compare.ts --chart-from=compare-quick.json [--out=chart.svg]` — only redraw
 *   the chart of an earlier run's JSON
 * - `deno run -A bench/compare.ts --scale [--n=5000] [--interval=60] [--window=300]`
 *
 * @module
 */
import { type OpenBao, startOpenBao } from "../tests/support/openbao.ts";
import { tmpDir } from "../tests/support/tmp_dir.ts";
import {
  cpuSeconds,
  freePort,
  machine,
  median,
  quantile,
  rssKiB,
  scrape,
  sleep,
} from "./_measure.ts";
import { type ChartSeries, compareChart } from "./_chart.ts";
import {
  agentRunner,
  expectedContent,
  type Runner,
  type RunSetup,
  secretsSyncRunner,
  type SeededSecret,
} from "./_runners.ts";

// ---------------------------------------------------------------------------------------------
// Options

const has = (name: string) => Deno.args.includes(`--${name}`);
function flag(name: string): string | undefined {
  const hit = Deno.args.find((a) => a.startsWith(`--${name}=`));
  return hit?.slice(name.length + 3);
}
const quick = has("quick");
const scaleMode = has("scale");
const options = {
  counts: (flag("n") ?? (scaleMode ? "5000" : quick ? "1,100" : "1,100,1000")).split(",").map(
    Number,
  ),
  coldStarts: Number(flag("cold") ?? (quick ? 3 : 10)),
  windowSeconds: Number(flag("window") ?? (quick ? 60 : 300)),
  rssAfterSeconds: 60,
  changes: Number(flag("changes") ?? (quick ? 20 : 100)),
  lanes: Number(flag("lanes") ?? 10),
  intervalSeconds: Number(flag("interval") ?? (scaleMode ? 60 : 10)),
  out: flag("out") ?? `compare-${scaleMode ? "scale" : quick ? "quick" : "full"}.json`,
  cpuProfDir: flag("cpu-prof"),
  /** Extra Deno flags for the sidecar, space-separated, e.g. "--v8-flags=--max-semi-space-size=1". */
  sidecarFlags: (flag("sidecar-flags") ?? "").split(" ").filter(Boolean),
};
/** Deno flags for the sidecar's long runs: `--sidecar-flags`, plus the profiler with `--cpu-prof`. */
function sidecarFlags(): string[] {
  const flags = [...options.sidecarFlags];
  if (options.cpuProfDir !== undefined) {
    flags.push("--cpu-prof", `--cpu-prof-dir=${options.cpuProfDir}`);
  }
  return flags;
}

/** Seconds between "every file written" and the start of the CPU window (start-up settles). */
const SETTLE_SECONDS = 5;

// ---------------------------------------------------------------------------------------------
// Seeding and files

interface Seeded {
  secrets: SeededSecret[];
  /** Expected file content per secret name. */
  content: Map<string, string>;
}

async function seed(bao: OpenBao, count: number): Promise<Seeded> {
  const secrets: SeededSecret[] = [];
  const content = new Map<string, string>();
  const width = Math.max(4, String(count).length);
  const queue = Array.from({ length: count }, (_, i) => i);
  // A few writers in parallel: 5,000 sequential writes take a while.
  await Promise.all(Array.from({ length: 8 }, async () => {
    for (let i = queue.shift(); i !== undefined; i = queue.shift()) {
      const name = `s${String(i).padStart(width, "0")}`;
      const fields = { username: `user-${i}`, password: crypto.randomUUID() };
      await bao.writeKv2("secret", `bench/${name}`, fields);
      secrets[i] = { name, path: `bench/${name}` };
      content.set(name, expectedContent(fields));
    }
  }));
  return { secrets, content };
}

async function fileHolds(path: string, text: string): Promise<boolean> {
  try {
    return (await Deno.readTextFile(path)) === text;
  } catch {
    return false;
  }
}

/** Polls until every file holds its expected content; returns ms since `since`. */
async function waitAllFiles(
  out: string,
  seeded: Seeded,
  since: number,
  isDead: () => boolean,
  timeoutMs: number,
): Promise<number> {
  const pending = new Set(seeded.secrets.map((s) => s.name));
  for (;;) {
    // One listing per pass, then only files that exist are read: reading all 5,000 paths every
    // 20 ms (most of them missing at first) took a core from the contender on a 2-core machine.
    const present = new Set<string>();
    try {
      for await (const entry of Deno.readDir(out)) present.add(entry.name);
    } catch {
      // Not created yet.
    }
    for (const name of [...pending]) {
      if (!present.has(`${name}.env`)) continue;
      if (await fileHolds(`${out}/${name}.env`, seeded.content.get(name)!)) pending.delete(name);
    }
    if (pending.size === 0) return performance.now() - since;
    if (isDead()) throw new Error("The contender exited before writing every file");
    if (performance.now() - since > timeoutMs) {
      throw new Error(`${pending.size} files not written within ${timeoutMs} ms`);
    }
    await sleep(pending.size > 50 ? 20 : 5);
  }
}

async function emptyDir(path: string): Promise<void> {
  await Deno.remove(path, { recursive: true }).catch(() => {});
  await Deno.mkdir(path, { recursive: true });
}

// ---------------------------------------------------------------------------------------------
// Server-side request counting (file audit device)

/** Request lines of the audit log written after byte `from`, by kind. */
async function auditSince(
  file: string,
  from: number,
): Promise<{ end: number; kinds: Record<string, number> }> {
  const bytes = await Deno.readFile(file);
  let end = bytes.length;
  // Only whole lines: stop after the last newline.
  while (end > from && bytes[end - 1] !== 0x0a) end--;
  const text = new TextDecoder().decode(bytes.subarray(from, end));
  const kinds: Record<string, number> = {};
  for (const line of text.split("\n")) {
    if (!line.includes('"type":"request"')) continue;
    let path = "";
    let operation = "";
    try {
      const entry = JSON.parse(line);
      path = String(entry.request?.path ?? "");
      operation = String(entry.request?.operation ?? "");
    } catch {
      continue;
    }
    const kind = path.startsWith("secret/data/")
      ? `${operation} secret/data/*`
      : `${operation} ${path}`;
    kinds[kind] = (kinds[kind] ?? 0) + 1;
  }
  return { end, kinds };
}

async function fileSize(path: string): Promise<number> {
  return (await Deno.stat(path)).size;
}

// ---------------------------------------------------------------------------------------------
// Measurements

interface ColdResult {
  startsMs: number[];
  medianMs: number;
}

interface SteadyResult {
  rssAfter60sMiB: number;
  rssMedianMiB: number;
  cpuSeconds: number;
  windowSeconds: number;
  cpuPercentOfCore: number;
  /** Requests that reached the server during the window, by kind. */
  requestsByKind: Record<string, number>;
  requestsPerCycle: number;
  requestsPerSecretPerCycle: number;
  changeMedianMs: number;
  changeP99Ms: number;
  changeMaxMs: number;
  changes: number;
  /** Every change → file latency, ms, in order. */
  changeLatenciesMs: number[];
}

interface Context {
  bao: OpenBao;
  dir: string;
  audit: string;
  seeded: Seeded;
}

function setupFor(ctx: Context, runner: Runner, extra: Partial<RunSetup> = {}): RunSetup {
  const dir = `${ctx.dir}/${runner.name.replace(/\W+/g, "-")}`;
  return {
    address: ctx.bao.address,
    token: ctx.bao.rootToken,
    dir,
    out: `${dir}/out`,
    secrets: ctx.seeded.secrets,
    intervalSeconds: options.intervalSeconds,
    ...extra,
  };
}

async function coldStart(ctx: Context, runner: Runner): Promise<number> {
  const setup = setupFor(ctx, runner);
  await Deno.mkdir(setup.dir, { recursive: true });
  await emptyDir(setup.out);
  const started = performance.now();
  await using running = await runner.start(setup);
  const ms = await waitAllFiles(
    setup.out,
    ctx.seeded,
    started,
    () => running.exited,
    120_000,
  );
  await running.stop();
  return ms;
}

/** One lane of changes: its own secrets, one change at a time at a random moment. */
async function changeLane(
  ctx: Context,
  out: string,
  names: string[],
  changes: number,
  isDead: () => boolean,
): Promise<number[]> {
  const latencies: number[] = [];
  const intervalMs = options.intervalSeconds * 1000;
  for (let i = 0; i < changes; i++) {
    const name = names[i % names.length]!;
    await sleep(Math.random() * intervalMs);
    const fields = { username: `user-${name}`, password: crypto.randomUUID() };
    const text = expectedContent(fields);
    ctx.seeded.content.set(name, text);
    await ctx.bao.writeKv2("secret", `bench/${name}`, fields);
    const written = performance.now();
    const limit = written + intervalMs * 3 + 10_000;
    while (!(await fileHolds(`${out}/${name}.env`, text))) {
      if (isDead()) throw new Error("The contender exited during the change test");
      if (performance.now() > limit) throw new Error(`A change of ${name} did not reach its file`);
      await sleep(5);
    }
    latencies.push(performance.now() - written);
  }
  return latencies;
}

async function steady(ctx: Context, runner: Runner): Promise<SteadyResult> {
  const setup = setupFor(ctx, runner, { denoFlags: sidecarFlags() });
  await Deno.mkdir(setup.dir, { recursive: true });
  await emptyDir(setup.out);
  const started = performance.now();
  await using running = await runner.start(setup);
  const dead = () => running.exited;
  await waitAllFiles(setup.out, ctx.seeded, started, dead, 300_000);
  const readyAt = performance.now();
  await sleep(SETTLE_SECONDS * 1000);

  // CPU window, with RSS sampled every second; the audit log counts server-side requests.
  const auditFrom = await fileSize(ctx.audit);
  const cpu0 = await cpuSeconds(running.pid);
  const t0 = performance.now();
  const rss: Array<{ afterReadyS: number; kib: number }> = [];
  while (performance.now() - t0 < options.windowSeconds * 1000) {
    if (dead()) throw new Error(`${runner.name} exited during the CPU window`);
    rss.push({ afterReadyS: (performance.now() - readyAt) / 1000, kib: await rssKiB(running.pid) });
    await sleep(1_000);
  }
  const cpu1 = await cpuSeconds(running.pid);
  const elapsed = (performance.now() - t0) / 1000;
  const { kinds } = await auditSince(ctx.audit, auditFrom);
  const requests = Object.values(kinds).reduce((a, b) => a + b, 0);
  const cycles = elapsed / options.intervalSeconds;
  // RSS 60 s after the files were written (or the last sample of a shorter window).
  const at60 = rss.find((r) => r.afterReadyS >= options.rssAfterSeconds) ?? rss.at(-1)!;

  // Changes: parallel lanes on distinct secrets, so 100 changes do not take 100 intervals.
  const lanes = Math.max(1, Math.min(options.lanes, ctx.seeded.secrets.length, options.changes));
  const perLane = Array.from(
    { length: lanes },
    (_, i) => Math.floor(options.changes / lanes) + (i < options.changes % lanes ? 1 : 0),
  );
  const laneNames = Array.from(
    { length: lanes },
    (_, lane) => ctx.seeded.secrets.filter((_, i) => i % lanes === lane).map((s) => s.name),
  );
  const latencies = (await Promise.all(
    perLane.map((n, lane) => changeLane(ctx, setup.out, laneNames[lane]!, n, dead)),
  )).flat();
  await running.stop();

  const mib = (kib: number) => +(kib / 1024).toFixed(1);
  return {
    rssAfter60sMiB: mib(at60.kib),
    rssMedianMiB: mib(median(rss.map((r) => r.kib))),
    cpuSeconds: +(cpu1 - cpu0).toFixed(2),
    windowSeconds: +elapsed.toFixed(1),
    cpuPercentOfCore: +((cpu1 - cpu0) / elapsed * 100).toFixed(2),
    requestsByKind: kinds,
    requestsPerCycle: +(requests / cycles).toFixed(2),
    requestsPerSecretPerCycle: +(requests / cycles / ctx.seeded.secrets.length).toFixed(3),
    changeMedianMs: Math.round(median(latencies)),
    changeP99Ms: Math.round(quantile(latencies, 0.99)),
    changeMaxMs: Math.round(quantile(latencies, 1)),
    changes: latencies.length,
    changeLatenciesMs: latencies.map(Math.round),
  };
}

// ---------------------------------------------------------------------------------------------
// Compare mode

interface ContenderResult {
  available: boolean;
  note?: string;
  cold?: ColdResult;
  steady?: SteadyResult;
}

async function compareOne(count: number, runners: Runner[], notes: Map<string, string>) {
  await using dir = await tmpDir("secrets-sync-compare-");
  const audit = dir.join("audit.log");
  await using bao = await startOpenBao({ auditFile: audit });
  const seeded = await seed(bao, count);
  const ctx: Context = { bao, dir: dir.path, audit, seeded };
  const live = runners.filter((r) => !notes.has(r.name));
  const results: Record<string, ContenderResult> = {};
  for (const r of runners) {
    results[r.name] = notes.has(r.name) ? { available: false, note: notes.get(r.name)! } : {
      available: true,
    };
  }

  // Cold starts, alternating A B A B.
  const starts = new Map<string, number[]>(live.map((r) => [r.name, []]));
  for (let i = 0; i < options.coldStarts; i++) {
    for (const runner of live) {
      const ms = await coldStart(ctx, runner);
      starts.get(runner.name)!.push(ms);
      log(
        `N=${count} ${runner.name} cold start ${i + 1}/${options.coldStarts}: ${ms.toFixed(0)} ms`,
      );
    }
  }
  for (const runner of live) {
    const ms = starts.get(runner.name)!;
    results[runner.name]!.cold = { startsMs: ms.map(Math.round), medianMs: Math.round(median(ms)) };
  }
  // Steady state, one contender after the other (A then B).
  for (const runner of live) {
    log(
      `N=${count} ${runner.name}: steady window ${options.windowSeconds} s, ${options.changes} changes`,
    );
    results[runner.name]!.steady = await steady(ctx, runner);
    log(`N=${count} ${runner.name}: ${JSON.stringify(results[runner.name]!.steady)}`);
  }
  return results;
}

/** The chart's series: each contender's median cold start and RSS 60 s after ready, per N. */
function chartSeries(all: Record<string, Record<string, ContenderResult>>): ChartSeries[] {
  const names = [...new Set(Object.values(all).flatMap((r) => Object.keys(r)))];
  return names.map((name) => ({
    name,
    points: Object.entries(all).flatMap(([count, results]) => {
      const r = results[name];
      return r?.available
        ? [{ n: Number(count), startMs: r.cold?.medianMs, rssMiB: r.steady?.rssAfter60sMiB }]
        : [];
    }),
  }));
}

/** Chart caption: when, where and how the figures were measured. */
function chartCaption(
  date: string,
  machine: Record<string, string | number>,
  command: string,
): string[] {
  const when = date.slice(0, 16).replace("T", " ");
  return [`${when} UTC · ${machine.nproc} CPUs · Deno ${machine.deno}`, command];
}

function svgPath(json: string): string {
  return json.replace(/\.json$/, "") + ".svg";
}

function log(message: string) {
  console.error(`[${new Date().toISOString().slice(11, 19)}] ${message}`);
}

type Row = [label: string, pick: (r: ContenderResult) => number | undefined, unit: string];
const ROWS: Row[] = [
  ["cold start → all files (median)", (r) => r.cold?.medianMs, "ms"],
  ["idle RSS 60 s after ready", (r) => r.steady?.rssAfter60sMiB, "MiB"],
  ["CPU over the window", (r) => r.steady?.cpuSeconds, "s"],
  ["CPU share of one core", (r) => r.steady?.cpuPercentOfCore, "%"],
  ["change → file (median)", (r) => r.steady?.changeMedianMs, "ms"],
  ["change → file (p99)", (r) => r.steady?.changeP99Ms, "ms"],
  ["server requests per refresh cycle", (r) => r.steady?.requestsPerCycle, ""],
];

function table(all: Record<string, Record<string, ContenderResult>>): string {
  const lines = [
    "| N | measure | secrets-sync | bao agent | ratio (ours / Agent) |",
    "| --: | --- | --: | --: | --: |",
  ];
  for (const [count, results] of Object.entries(all)) {
    const ours = results["secrets-sync"]!;
    const agent = results["bao agent"]!;
    for (const [label, pick, unit] of ROWS) {
      const a = pick(ours);
      const b = agent.available ? pick(agent) : undefined;
      const fmt = (v: number | undefined) =>
        v === undefined ? "—" : `${v}${unit ? ` ${unit}` : ""}`;
      const ratio = a !== undefined && b !== undefined && b !== 0 ? (a / b).toFixed(2) : "—";
      lines.push(
        `| ${count} | ${label} | ${fmt(a)} | ${agent.available ? fmt(b) : agent.note} | ${ratio} |`,
      );
    }
  }
  return lines.join("\n");
}

// ---------------------------------------------------------------------------------------------
// Scale mode

async function scale(count: number) {
  await using bao = await startOpenBao();
  await using dir = await tmpDir("secrets-sync-scale-");
  log(`seeding ${count} secrets`);
  const seeded = await seed(bao, count);
  const port = freePort();
  const runner = secretsSyncRunner();
  const ctx: Context = { bao, dir: dir.path, audit: "", seeded };
  const setup = setupFor(ctx, runner, {
    metricsPort: port,
    denoFlags: sidecarFlags(),
  });
  await Deno.mkdir(setup.out, { recursive: true });
  const started = performance.now();
  await using running = await runner.start(setup);
  const allFilesMs = await waitAllFiles(setup.out, seeded, started, () => running.exited, 600_000);
  log(`all ${count} files in ${allFilesMs.toFixed(0)} ms`);
  const rssAtReady = await rssKiB(running.pid);
  const cpu0 = await cpuSeconds(running.pid);
  const t0 = performance.now();
  const rss: number[] = [];
  const staleness: number[] = [];
  let scrapeCpu = 0;
  let scrapes = 0;
  let nextScrape = 0;
  while (performance.now() - t0 < options.windowSeconds * 1000) {
    if (running.exited) throw new Error("The sidecar exited during the window");
    rss.push(await rssKiB(running.pid));
    const t = (performance.now() - t0) / 1000;
    if (t >= nextScrape) {
      nextScrape = t + 10;
      const before = await cpuSeconds(running.pid);
      const samples = await scrape(port);
      scrapeCpu += (await cpuSeconds(running.pid)) - before;
      scrapes++;
      const now = Date.now() / 1000;
      for (const s of samples) {
        if (s.name === "secret_last_success_timestamp_seconds") staleness.push(now - s.value);
      }
    }
    await sleep(1_000);
  }
  const cpuUsed = (await cpuSeconds(running.pid)) - cpu0;
  const elapsed = (performance.now() - t0) / 1000;
  await running.stop();
  const mib = (kib: number) => +(kib / 1024).toFixed(1);
  return {
    secrets: count,
    intervalSeconds: options.intervalSeconds,
    windowSeconds: +elapsed.toFixed(1),
    allFilesWrittenMs: Math.round(allFilesMs),
    rssAtReadyMiB: mib(rssAtReady),
    rssMedianMiB: mib(median(rss)),
    rssMaxMiB: mib(quantile(rss, 1)),
    cpuSeconds: +cpuUsed.toFixed(2),
    cpuPercentOfCore: +(cpuUsed / elapsed * 100).toFixed(2),
    scrapes,
    cpuSecondsInScrapes: +scrapeCpu.toFixed(2),
    stalenessSamples: staleness.length,
    stalenessMedianS: +median(staleness).toFixed(1),
    stalenessP99S: +quantile(staleness, 0.99).toFixed(1),
    stalenessMaxS: +quantile(staleness, 1).toFixed(1),
  };
}

// ---------------------------------------------------------------------------------------------
// Main

const command = `deno run -A bench/compare.ts ${Deno.args.join(" ")}`.trim();
const chartFrom = flag("chart-from");
if (chartFrom !== undefined) {
  const earlier = JSON.parse(await Deno.readTextFile(chartFrom));
  const date = earlier.date ?? (await Deno.stat(chartFrom)).mtime?.toISOString() ?? "";
  const svg = compareChart(chartSeries(earlier.results), {
    caption: chartCaption(date, earlier.machine, earlier.command),
  });
  const out = flag("out") ?? svgPath(chartFrom);
  await Deno.writeTextFile(out, svg);
  console.log(`SVG: ${out}`);
} else if (scaleMode) {
  const runs = [];
  for (const count of options.counts) runs.push(await scale(count));
  const result = { command, mode: "scale", options, runs, machine: await machine() };
  await Deno.writeTextFile(options.out, JSON.stringify(result, null, 2) + "\n");
  console.log(JSON.stringify(runs, null, 2));
} else {
  const runners = [secretsSyncRunner(), agentRunner()];
  const notes = new Map<string, string>();
  for (const r of runners) {
    const why = await r.unavailable();
    if (why) notes.set(r.name, why);
  }
  const all: Record<string, Record<string, ContenderResult>> = {};
  const date = new Date().toISOString();
  const host = await machine();
  for (const count of options.counts) {
    all[String(count)] = await compareOne(count, runners, notes);
    // Write as we go: a long run that dies still leaves the finished sizes.
    const result = {
      command,
      mode: quick ? "quick" : "full",
      date,
      options,
      results: all,
      machine: host,
    };
    await Deno.writeTextFile(options.out, JSON.stringify(result, null, 2) + "\n");
    await Deno.writeTextFile(
      svgPath(options.out),
      compareChart(chartSeries(all), { caption: chartCaption(date, host, command) }),
    );
  }
  console.log(table(all));
  console.log(`\nJSON: ${options.out}\nSVG: ${svgPath(options.out)}`);
}
