/**
 * What one /metrics scrape costs with 5,000 secrets (each with fetch, sync-duration histogram,
 * last-success, staleness and file-write series: ~95,000 lines, 5.8 MB), and what recording one
 * sync costs. Run: `deno bench -A bench/metrics_bench.ts`
 */
import { createMetrics } from "../src/observe/metrics.ts";

const SECRETS = 5_000;
const metrics = createMetrics({ version: "bench" });
const now = Date.now();
for (let i = 0; i < SECRETS; i++) {
  const secret = `s${String(i).padStart(4, "0")}`;
  for (let k = 0; k < 5; k++) {
    metrics.recordFetchSuccess(secret);
    metrics.observeSyncDuration(secret, 0.003 * k);
    metrics.recordSyncSuccess(secret, now);
    metrics.recordFileWrite(secret, k === 0 ? "written" : "unchanged");
  }
}

Deno.bench("Metrics.text() with 5,000 secrets", async () => {
  await metrics.text();
});

Deno.bench("recording one unchanged sync (4 calls)", () => {
  metrics.recordFetchSuccess("s0001");
  metrics.observeSyncDuration("s0001", 0.002);
  metrics.recordSyncSuccess("s0001", now);
  metrics.recordFileWrite("s0001", "unchanged");
});
