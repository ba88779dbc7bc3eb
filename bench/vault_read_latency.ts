/**
 * Measures end-to-end `VaultClient.readSecret()` latency against a local OpenBao dev server (median of 1000
 * sequential reads, after 50 warm-up reads), and states what the token lifecycle costs in
 * requests per hour for typical TTLs, computed from the renewal schedule.
 *
 * Run: `deno run -A bench/vault_read_latency.ts [reads]`
 *
 * @module
 */
import { startOpenBao } from "../tests/support/openbao.ts";
import { VaultClient } from "../src/vault/mod.ts";
import { simulateLifecycle } from "../src/vault/_token_schedule.ts";

const reads = Number(Deno.args[0] ?? 1000);

function quantile(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

await using bao = await startOpenBao();
await bao.writeKv2("secret", "bench/app", {
  user: "app",
  password: "bench-password",
  url: "postgres://db",
});
await bao.enableKv("kv1", 1);
await bao.writeKv1("kv1", "bench/app", { password: "bench-password" });
const client = new VaultClient({
  store: {
    addresses: [bao.address],
    tls: { skipVerify: false },
    requestTimeoutMs: 10_000,
    maxResponseBytes: 10 * 1024 * 1024,
  },
  auth: { method: "token", token: bao.rootToken },
  credentialsName: "bench",
  resilience: {
    initialBackoffMs: 1000,
    maxBackoffMs: 60_000,
    backoffMultiplier: 2,
    breakerMaxFailures: 5,
    breakerIntervalMs: 60_000,
    breakerTimeoutMs: 30_000,
  },
});
const controller = new AbortController();
client.start(controller.signal);
await client.waitReady(AbortSignal.timeout(5000));

for (
  const [label, ref] of [
    ["KV v2", { mountPath: "secret", key: "bench/app", kvVersion: 2 as const }],
    ["KV v1", { mountPath: "kv1", key: "bench/app", kvVersion: 1 as const }],
    ["KV auto (cached)", { mountPath: "secret", key: "bench/app", kvVersion: "auto" as const }],
  ] as const
) {
  for (let i = 0; i < 50; i++) await client.readSecret(ref);
  const samples: number[] = [];
  for (let i = 0; i < reads; i++) {
    const t0 = performance.now();
    await client.readSecret(ref);
    samples.push(performance.now() - t0);
  }
  samples.sort((a, b) => a - b);
  console.log(
    `readSecret ${label.padEnd(17)} n=${reads}  median ${quantile(samples, 0.5).toFixed(3)} ms  ` +
      `p90 ${quantile(samples, 0.9).toFixed(3)} ms  p99 ${quantile(samples, 0.99).toFixed(3)} ms`,
  );
}
controller.abort();
client.close();

console.log(
  "\nToken lifecycle cost (requests besides reads; worst-case jitter, no initial login):",
);
const profiles = [
  ["token 768h/768h (vault default)", {
    ttlSeconds: 768 * 3600,
    maxTtlSeconds: 768 * 3600,
    canRelogin: false,
  }],
  ["token 1h renewable, max 768h", {
    ttlSeconds: 3600,
    maxTtlSeconds: 768 * 3600,
    canRelogin: false,
  }],
  ["AppRole 1h/24h", { ttlSeconds: 3600, maxTtlSeconds: 24 * 3600, canRelogin: true }],
  ["AppRole 20m/1h", { ttlSeconds: 1200, maxTtlSeconds: 3600, canRelogin: true }],
] as const;
for (const [label, profile] of profiles) {
  const hour = simulateLifecycle(profile, 3600);
  const day = simulateLifecycle(profile, 24 * 3600);
  console.log(
    `${label.padEnd(32)} first hour: ${hour.total} (${hour.renewals} renew, ${hour.logins} login)` +
      `  per day: ${day.total} (${day.renewals} renew, ${day.logins} login) = ` +
      `${(day.total / 24).toFixed(2)}/h`,
  );
}
