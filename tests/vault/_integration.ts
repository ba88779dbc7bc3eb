/**
 * Shared pieces of the Vault integration tests (tests/integration/vault_*_test.ts): plans for a
 * test server's address, a client factory that records sensitive values and events, and polling.
 *
 * @module
 */
import { pollUntil } from "../support/poll.ts";
import type { AuthPlan, ResiliencePlan, StorePlan } from "../../src/config/plan.ts";
import { VaultClient, type VaultClientOptions, type VaultEvent } from "../../src/vault/mod.ts";

/** Fast resilience settings for tests against a local server. */
export const TEST_RESILIENCE: ResiliencePlan = {
  initialBackoffMs: 100,
  maxBackoffMs: 1000,
  backoffMultiplier: 2,
  breakerMaxFailures: 3,
  breakerIntervalMs: 10_000,
  breakerTimeoutMs: 1000,
};

/** A store plan for `address`. */
export function testStore(
  address: string | string[],
  overrides: Partial<StorePlan> = {},
): StorePlan {
  return {
    addresses: Array.isArray(address) ? address : [address],
    tls: { skipVerify: false },
    requestTimeoutMs: 2000,
    maxResponseBytes: 10 * 1024 * 1024,
    ...overrides,
  };
}

/** A client plus what it reported. Disposing closes it. */
export interface TestClient extends Disposable {
  client: VaultClient;
  events: VaultEvent[];
  sensitive: Set<string>;
  controller: AbortController;
}

/** Creates and starts a client. */
export function startClient(
  store: StorePlan,
  auth: AuthPlan,
  options: Partial<VaultClientOptions> = {},
): TestClient {
  const events: VaultEvent[] = [];
  const sensitive = new Set<string>();
  const controller = new AbortController();
  const client = new VaultClient({
    store,
    auth,
    credentialsName: "default",
    resilience: TEST_RESILIENCE,
    onSensitive: (v) => sensitive.add(v),
    onEvent: (e) => events.push(e),
    ...options,
  });
  client.start(controller.signal);
  return {
    client,
    events,
    sensitive,
    controller,
    [Symbol.dispose]() {
      controller.abort();
      client.close();
    },
  };
}

/** Waits until the client is ready, at most `ms`. */
export async function ready(client: VaultClient, ms = 5000): Promise<void> {
  await client.waitReady(AbortSignal.timeout(ms));
}

/** Real-time wait for integration tests only (the shared one). */
export { sleep as wait } from "../support/poll.ts";

/** Polls `check` until it returns true, at most `ms` (the shared poller). */
export function eventually(
  check: () => boolean | Promise<boolean>,
  ms = 5000,
): Promise<void> {
  return pollUntil(check, "the condition", { timeoutMs: ms, intervalMs: 50 });
}

/** Policy HCL that lets a token read everything under the given mounts. */
export function readPolicy(...mounts: string[]): string {
  return mounts.map((m) => `path "${m}/*" { capabilities = ["read", "list"] }`).join("\n");
}
