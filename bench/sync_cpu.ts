/**
 * Measures the sidecar's CPU time per 1,000 unchanged refreshes: the real sidecar
 * (`deno run -P=sidecar src/main.ts run`) with N secrets (distinct paths, so no shared reads) at a
 * 1 s interval against a local OpenBao dev server. After every file is written and a warm-up, it reads the
 * sidecar's utime+stime from /proc/<pid>/stat, lets it refresh for the window, reads them again,
 * and divides by the refreshes the server saw (audit log reads) in that window. Also reports the
 * resident memory at the end.
 *
 * Run: `deno run -A bench/sync_cpu.ts [secrets=50] [windowSeconds=20] [metrics=false]
 * [interval=1s] [warmupSeconds=3]` (about warm-up + window + 5 s). An interval of a minute or more
 * shows the cost of refreshes whose files the sink re-reads (it trusts a file it wrote for 60 s). Linux only (/proc). The sidecar runs with the flags of
 * `deno task run`; `BENCH_DENO_FLAGS="--cpu-prof --cpu-prof-dir=DIR"` adds more (space-separated).
 *
 * @module
 */
import { startOpenBao } from "../tests/support/openbao.ts";
import { readIfExists, startSidecar } from "../tests/support/sidecar.ts";
import { tmpDir } from "../tests/support/tmp_dir.ts";
import { auditRequests, sleep } from "../tests/integration/sync_support.ts";
import { runTaskFlags } from "./_process.ts";

const secrets = Number(Deno.args[0] ?? 50);
const windowS = Number(Deno.args[1] ?? 20);
const metrics = (Deno.args[2] ?? "false") === "true";
const interval = Deno.args[3] ?? "1s";
const warmupS = Number(Deno.args[4] ?? 3);
/** Clock ticks per second of /proc/<pid>/stat (`getconf CLK_TCK`; 100 on Linux). */
const CLK_TCK = 100;

/** utime + stime of a process, in ms. */
async function cpuMs(pid: number): Promise<number> {
  const stat = await Deno.readTextFile(`/proc/${pid}/stat`);
  // Fields after the command name (which is in parentheses and may hold spaces).
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  // utime and stime are fields 14 and 15 of the whole line, 12 and 13 after the name.
  return (Number(fields[11]) + Number(fields[12])) * 1000 / CLK_TCK;
}

async function rssKiB(pid: number): Promise<number> {
  const status = await Deno.readTextFile(`/proc/${pid}/status`);
  return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? NaN);
}

async function serverReads(audit: string): Promise<number> {
  return (await auditRequests(audit)).filter((e) =>
    e.request?.operation === "read" && e.request.path?.startsWith("secret/data/bench/")
  ).length;
}
await using dir = await tmpDir("secrets-sync-bench-");
const audit = dir.join("audit.log");

await using bao = await startOpenBao({ auditFile: audit });
const probe = Deno.listen({ hostname: "127.0.0.1", port: 0 });
const metricsPort = (probe.addr as Deno.NetAddr).port;
probe.close();
let yaml = `
secretStore:
  address: "\${VAULT_ADDR}"
  token: "\${VAULT_TOKEN}"
settings:
  metrics: { enabled: ${metrics}, port: ${metricsPort} }
secrets:
`;
for (let i = 0; i < secrets; i++) {
  await bao.writeKv2("secret", `bench/s${i}`, { user: `user${i}`, password: `password-${i}` });
  yaml += `
  - name: s${i}
    key: bench/s${i}
    refreshInterval: ${interval}
    template:
      data:
        env: |
          USER={{ .user }}
          PASSWORD={{ .password }}
    files: [{ path: ${dir.join(`s${i}.env`)} }]
`;
}
const configPath = dir.join("config.yaml");
await Deno.writeTextFile(configPath, yaml);
await using sidecar = startSidecar({
  args: ["run", "--config", configPath],
  permissions: [
    ...runTaskFlags(),
    ...(Deno.env.get("BENCH_DENO_FLAGS") ?? "").split(" ").filter(Boolean),
  ],
  env: { VAULT_ADDR: bao.address, VAULT_TOKEN: bao.rootToken, STATUS_FILE: dir.join("status") },
});
await sidecar.waitFor(async () => {
  for (let i = 0; i < secrets; i++) {
    if ((await readIfExists(dir.join(`s${i}.env`))) === undefined) return false;
  }
  return true;
}, "every file");
await sleep(warmupS * 1000); // warm-up: JIT, first refreshes
const cpuBefore = await cpuMs(sidecar.pid);
const readsBefore = await serverReads(audit);
const started = performance.now();
await sleep(windowS * 1000);
const cpuAfter = await cpuMs(sidecar.pid);
const readsAfter = await serverReads(audit);
const wallMs = performance.now() - started;
const rss = await rssKiB(sidecar.pid);
sidecar.kill("SIGTERM");
await sidecar.status;

const refreshes = readsAfter - readsBefore;
const cpu = cpuAfter - cpuBefore;
const written = sidecar.logs().filter((l) => String(l.message).startsWith("Wrote")).length;
const result = {
  secrets,
  windowMs: Math.round(wallMs),
  metrics,
  refreshes,
  refreshesPerSecond: Math.round(refreshes / (wallMs / 1000) * 10) / 10,
  cpuMs: cpu,
  cpuMsPer1000Refreshes: Math.round(cpu / refreshes * 1000),
  cpuPercentOfOneCore: Math.round(cpu / wallMs * 1000) / 10,
  rssMiB: Math.round(rss / 1024 * 10) / 10,
  filesWritten: written,
};
console.log(
  `${secrets} secrets at ${interval} for ${Math.round(wallMs / 1000)} s (metrics ${
    metrics ? "on" : "off"
  }): ${refreshes} unchanged refreshes, ${cpu} ms CPU → ${result.cpuMsPer1000Refreshes} ms CPU per 1,000 refreshes (${result.cpuPercentOfOneCore}% of one core), RSS ${result.rssMiB} MiB`,
);
console.log(JSON.stringify(result));
