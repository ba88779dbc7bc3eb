/**
 * `deno bench` for `VaultClient.readSecret()` against a local OpenBao dev server. For the median of 1000
 * reads and the token-lifecycle cost, run `deno run -A bench/vault_read_latency.ts`.
 *
 * @module
 */
import { startOpenBao } from "../tests/support/openbao.ts";
import { VaultClient } from "../src/vault/mod.ts";

const bao = await startOpenBao();
globalThis.addEventListener("unload", () => bao.kill("SIGKILL"));
await bao.writeKv2("secret", "bench/app", { user: "app", password: "bench-password" });
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
client.start(new AbortController().signal);
await client.waitReady(AbortSignal.timeout(5000));
globalThis.addEventListener("unload", () => client.close());

Deno.bench("VaultClient.readSecret() KV v2 against a local OpenBao dev server", async () => {
  await client.readSecret({ mountPath: "secret", key: "bench/app", kvVersion: 2 });
});
