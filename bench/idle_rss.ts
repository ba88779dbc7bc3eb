/**
 * Idle footprint of the sidecar: seeds N secrets (default 100) in a local OpenBao dev server, starts the
 * sidecar as users do (`deno run -P=sidecar src/main.ts run`, metrics server on), waits until every
 * file is written, then samples the process's resident memory (`/proc/<pid>/status` VmRSS) and
 * CPU time (`/proc/<pid>/stat` utime + stime) every second for the sampling window.
 *
 * Run: `deno run -A bench/idle_rss.ts [secrets=100] [interval=30s] [seconds=90]`
 *
 * Prints a summary (and `--json` a JSON line) with RSS min/median/max, CPU seconds used during the
 * window and the average CPU share, plus the scrape size of /metrics and Vault reads per minute.
 *
 * @module
 */
import { startOpenBao } from "../tests/support/openbao.ts";
import { startSidecar } from "../tests/support/sidecar.ts";

const positional = Deno.args.filter((a) => !a.startsWith("--"));
const count = Number(positional[0] ?? 100);
const interval = positional[1] ?? "30s";
const windowSeconds = Number(positional[2] ?? 90);
const asJson = Deno.args.includes("--json");

const CLOCK_TICKS = 100; // USER_HZ on Linux

async function rssKiB(pid: number): Promise<number> {
  const status = await Deno.readTextFile(`/proc/${pid}/status`);
  const m = /^VmRSS:\s+(\d+) kB$/m.exec(status);
  if (!m) throw new Error(`No VmRSS in /proc/${pid}/status`);
  return Number(m[1]);
}

/** utime + stime of a process, seconds. */
async function cpuSeconds(pid: number): Promise<number> {
  const stat = await Deno.readTextFile(`/proc/${pid}/stat`);
  // Fields after the parenthesised command name; utime and stime are fields 14 and 15.
  const rest = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(rest[11]) + Number(rest[12])) / CLOCK_TICKS;
}

function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const { port } = listener.addr as Deno.NetAddr;
  listener.close();
  return port;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[sorted.length >> 1]!;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

await using bao = await startOpenBao();
const dir = await Deno.makeTempDir({ prefix: "secrets-sync-bench-" });
try {
  const out = `${dir}/out`;
  await Deno.mkdir(out);
  const secrets: string[] = [];
  for (let i = 0; i < count; i++) {
    const name = `app-${String(i).padStart(3, "0")}`;
    await bao.writeKv2("secret", `bench/${name}`, {
      username: `user-${i}`,
      password: crypto.randomUUID(),
      url: `postgres://db-${i}.internal:5432/app`,
    });
    secrets.push(`  - name: ${name}
    key: bench/${name}
    refreshInterval: ${interval}
    template:
      data:
        app.env: "DB_USER={{ .username }}\\nDB_PASSWORD={{ .password }}\\nDB_URL={{ .url }}\\n"
    files: [{ path: ${out}/${name}.env }]`);
  }
  const configPath = `${dir}/config.yaml`;
  await Deno.writeTextFile(
    configPath,
    `secretStore:
  address: "\${VAULT_ADDR}"
  authMethod: token
  token: "\${VAULT_TOKEN}"
secrets:
${secrets.join("\n")}
`,
  );
  const port = freePort();
  const started = performance.now();
  await using sidecar = startSidecar({
    args: ["run", "--config", configPath],
    env: {
      VAULT_ADDR: bao.address,
      VAULT_TOKEN: bao.rootToken,
      STATUS_FILE: `${dir}/status`,
      METRICS_PORT: String(port),
    },
  });
  await sidecar.waitFor(
    async () => {
      let n = 0;
      for await (const entry of Deno.readDir(out)) if (entry.name.endsWith(".env")) n++;
      return n === count;
    },
    `all ${count} files`,
    60_000,
  );
  const allWrittenMs = performance.now() - started;
  const ready = await fetch(`http://127.0.0.1:${port}/ready`);
  await ready.body?.cancel();
  if (ready.status !== 200) throw new Error(`/ready answered ${ready.status}`);
  const rssAtReady = await rssKiB(sidecar.pid);

  // Let start-up work settle (JIT, first GCs) before measuring idle.
  await sleep(5_000);
  const reads = async () => {
    const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    const m = /^vault_request_duration_seconds_count\{operation="read",status="200"\} (\d+)/m
      .exec(text);
    return { count: Number(m?.[1] ?? NaN), bytes: text.length };
  };
  const readsBefore = await reads();
  const cpuStart = await cpuSeconds(sidecar.pid);
  const t0 = performance.now();
  const rss: number[] = [];
  while (performance.now() - t0 < windowSeconds * 1000) {
    rss.push(await rssKiB(sidecar.pid));
    await sleep(1_000);
  }
  const cpuEnd = await cpuSeconds(sidecar.pid);
  const elapsed = (performance.now() - t0) / 1000;
  const readsAfter = await reads();
  const cpuUsed = cpuEnd - cpuStart;
  const result = {
    secrets: count,
    refreshInterval: interval,
    windowSeconds: Math.round(elapsed),
    samples: rss.length,
    allFilesWrittenMs: Math.round(allWrittenMs),
    rssAtReadyMiB: +(rssAtReady / 1024).toFixed(1),
    rssMinMiB: +(Math.min(...rss) / 1024).toFixed(1),
    rssMedianMiB: +(median(rss) / 1024).toFixed(1),
    rssMaxMiB: +(Math.max(...rss) / 1024).toFixed(1),
    // Growth check: the median of the first and of the last quarter of the window.
    rssFirstQuarterMedianMiB: +(median(rss.slice(0, rss.length >> 2)) / 1024).toFixed(1),
    rssLastQuarterMedianMiB: +(median(rss.slice(-(rss.length >> 2))) / 1024).toFixed(1),
    cpuSecondsInWindow: +cpuUsed.toFixed(2),
    cpuPercentAvg: +((cpuUsed / elapsed) * 100).toFixed(2),
    vaultReadsPerMinute: +((readsAfter.count - readsBefore.count) / elapsed * 60).toFixed(1),
    metricsScrapeBytes: readsAfter.bytes,
    deno: Deno.version.deno,
  };
  if (asJson) console.log(JSON.stringify(result));
  console.log(
    `${count} secrets at ${interval}: all files in ${result.allFilesWrittenMs} ms; ` +
      `RSS at ready ${result.rssAtReadyMiB} MiB, idle over ${result.windowSeconds} s ` +
      `(${result.samples} samples) min ${result.rssMinMiB} / median ${result.rssMedianMiB} / ` +
      `max ${result.rssMaxMiB} MiB (first/last quarter median ${result.rssFirstQuarterMedianMiB}/` +
      `${result.rssLastQuarterMedianMiB} MiB); CPU ${result.cpuSecondsInWindow} s = ` +
      `${result.cpuPercentAvg} % of one core; ${result.vaultReadsPerMinute} Vault reads/min; ` +
      `/metrics ${result.metricsScrapeBytes} bytes`,
  );
  sidecar.kill("SIGTERM");
  await sidecar.status;
} finally {
  await Deno.remove(dir, { recursive: true });
}
