/**
 * Measures the time from a change in Vault to the changed file: the real sidecar
 * (`deno run -P=sidecar src/main.ts run`) against a local OpenBao dev server, one secret refreshed every 1 s
 * with jitter 0.1. Each change is made at a random moment (uniform over one interval after the
 * previous change reached the file); the time is taken from the end of the write request to the
 * first poll (every 2 ms) that reads the new content. Also checks that every refresh asked the
 * server (audit log reads vs. logged syncs).
 *
 * Run: `deno run -A bench/sync_latency.ts [changes=100] [intervalSeconds=1] [jitter=0.1]`
 * (about 1.1 × changes × interval seconds).
 *
 * @module
 */
import { startOpenBao } from "../tests/support/openbao.ts";
import { readIfExists, startSidecar } from "../tests/support/sidecar.ts";
import { tmpDir } from "../tests/support/tmp_dir.ts";
import { auditReads, sleep, storeYaml } from "../tests/integration/sync_support.ts";

const changes = Number(Deno.args[0] ?? 100);
const intervalS = Number(Deno.args[1] ?? 1);
const jitter = Number(Deno.args[2] ?? 0.1);

function quantile(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)]!;
}
await using dir = await tmpDir("secrets-sync-bench-");
const audit = dir.join("audit.log");

await using bao = await startOpenBao({ auditFile: audit });
await bao.writeKv2("secret", "bench/db", { password: "start" });
const configPath = dir.join("config.yaml");
await Deno.writeTextFile(
  configPath,
  storeYaml() + `
  - name: db
    key: bench/db
    refreshInterval: ${intervalS}s
    jitter: ${jitter}
    template: { data: { pw: "{{ .password }}" } }
    files: [{ path: ${dir.join("pw")} }]
`,
);
await using sidecar = startSidecar({
  args: ["run", "--config", configPath],
  env: {
    VAULT_ADDR: bao.address,
    VAULT_TOKEN: bao.rootToken,
    STATUS_FILE: dir.join("status"),
    LOG_LEVEL: "debug",
  },
});
const file = dir.join("pw");
await sidecar.waitFor(async () => (await readIfExists(file)) === "start", "the first sync");

const latencies: number[] = [];
const intervalMs = intervalS * 1000;
for (let i = 0; i < changes; i++) {
  await sleep(Math.random() * intervalMs);
  const value = `change-${i}`;
  await bao.writeKv2("secret", "bench/db", { password: value });
  const written = performance.now();
  const limit = written + intervalMs * (1 + jitter) * 3 + 2_000;
  while ((await readIfExists(file)) !== value) {
    if (performance.now() > limit) throw new Error(`change ${i} did not reach the file`);
    await sleep(2);
  }
  latencies.push(performance.now() - written);
}
const syncs = sidecar.logs().filter((l) => String(l.message).startsWith('Synced "db"')).length;
const reads = await auditReads(audit, "secret/data/bench/db");
sidecar.kill("SIGTERM");
await sidecar.status;

const sorted = [...latencies].sort((a, b) => a - b);
const mean = latencies.reduce((a, b) => a + b, 0) / latencies.length;
const result = {
  changes,
  intervalMs,
  jitter,
  medianMs: Math.round(quantile(sorted, 0.5)),
  p95Ms: Math.round(quantile(sorted, 0.95)),
  maxMs: Math.round(sorted[sorted.length - 1]!),
  minMs: Math.round(sorted[0]!),
  meanMs: Math.round(mean),
  boundMs: Math.round(intervalMs * (1 + jitter)),
  overBound: latencies.filter((ms) => ms > intervalMs * (1 + jitter)).length,
  syncs,
  serverReads: reads,
};
console.log(
  `change → file over ${changes} changes at ${intervalS}s ±${
    jitter * 100
  }%: median ${result.medianMs} ms, p95 ${result.p95Ms} ms, max ${result.maxMs} ms (bound interval×(1+jitter) = ${result.boundMs} ms, ${result.overBound} over); ${syncs} syncs, ${reads} server reads`,
);
console.log(JSON.stringify(result));
