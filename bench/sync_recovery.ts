/**
 * Measures how long a file takes to catch up after Vault comes back: the real sidecar with the
 * default resilience settings (backoff 1s ×2 up to 5m, breaker 5 failures / 30s open) and one
 * secret at a 1 s interval, behind the fault proxy. Vault is made unreachable (`refuse`) for
 * `outageSeconds`, the secret changes during the outage, then the proxy passes again and the time
 * until the file holds the new value is taken. Prints the sidecar's attempts during the outage.
 *
 * Run: `deno run -A bench/sync_recovery.ts [outageSeconds=30] [mode=refuse|503|drop]`
 * (outage + up to 5 min for the catch-up when the backoff is long; bounded at 3 min in total).
 *
 * @module
 */
import { startFaultProxy } from "../tests/support/fault_proxy.ts";
import { startOpenBao } from "../tests/support/openbao.ts";
import { readIfExists, startSidecar } from "../tests/support/sidecar.ts";
import { tmpDir } from "../tests/support/tmp_dir.ts";
import { sleep, storeYaml } from "../tests/integration/sync_support.ts";

const outageS = Number(Deno.args[0] ?? 30);
const mode = Deno.args[1] ?? "refuse";

await using bao = await startOpenBao();
await using proxy = await startFaultProxy(bao.address);
await using dir = await tmpDir("secrets-sync-bench-");
await bao.writeKv2("secret", "bench/db", { password: "before" });
const configPath = dir.join("config.yaml");
await Deno.writeTextFile(
  configPath,
  storeYaml() + `
  - name: db
    key: bench/db
    refreshInterval: 1s
    template: { data: { pw: "{{ .password }}" } }
    files: [{ path: ${dir.join("pw")} }]
`,
);
await using sidecar = startSidecar({
  args: ["run", "--config", configPath],
  env: { VAULT_ADDR: proxy.address, VAULT_TOKEN: bao.rootToken, STATUS_FILE: dir.join("status") },
});
const file = dir.join("pw");
await sidecar.waitFor(async () => (await readIfExists(file)) === "before", "the first sync");
await sleep(1_500);

const failuresBefore = sidecar.logs().filter((l) => String(l.message).startsWith("Cannot sync"))
  .length;
proxy.setMode(
  mode === "503"
    ? { kind: "status", status: 503 }
    : mode === "drop"
    ? { kind: "drop" }
    : { kind: "refuse" },
);
await bao.writeKv2("secret", "bench/db", { password: "after" });
await sleep(outageS * 1000);
const attempts = sidecar.logs().filter((l) => String(l.message).startsWith("Cannot sync"));
const kinds = attempts.slice(failuresBefore).map((l) =>
  (l.properties as { errorKind?: string }).errorKind
);
proxy.setMode({ kind: "pass" });
const back = performance.now();
const budgetMs = Math.max(10_000, 180_000 - outageS * 1000 - 10_000);
let caughtUp: number | undefined;
while (performance.now() - back < budgetMs) {
  if ((await readIfExists(file)) === "after") {
    caughtUp = performance.now() - back;
    break;
  }
  await sleep(10);
}
sidecar.kill("SIGTERM");
await sidecar.status;
const result = {
  outageMs: outageS * 1000,
  mode,
  failedAttemptsDuringOutage: kinds.length,
  errorKinds: [...new Set(kinds)],
  catchUpMs: caughtUp === undefined ? null : Math.round(caughtUp),
  budgetMs,
};
console.log(
  `after a ${outageS}s outage (${mode}), ${kinds.length} failed attempts (${
    result.errorKinds.join(", ")
  }); the file caught up ${
    caughtUp === undefined
      ? `not within ${budgetMs} ms`
      : `${result.catchUpMs} ms after Vault came back`
  } (refreshInterval 1s, default backoff and breaker)`,
);
console.log(JSON.stringify(result));
