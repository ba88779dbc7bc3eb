import { assert, assertEquals, assertRejects } from "../support/assert.ts";
import { startOpenBao } from "../support/openbao.ts";
import { startFaultProxy } from "../support/fault_proxy.ts";
import { isTransient, VaultError } from "../../src/vault/mod.ts";
import { ready, startClient, TEST_RESILIENCE, testStore, wait } from "../vault/_integration.ts";
import { assertNoneLogged, captureLogs } from "../vault/_log_capture.ts";

const APP = { mountPath: "secret", key: "faults", kvVersion: 2 as const };
const VALUE = "faults-secret-value-99";

async function failure(p: Promise<unknown>): Promise<VaultError> {
  return await assertRejects(() => p, VaultError) as VaultError;
}

Deno.test("VaultClient handles faults between it and OpenBao", async (t) => {
  await using logs = await captureLogs();
  await using bao = await startOpenBao();
  await using proxy = await startFaultProxy(bao.address);
  await bao.writeKv2("secret", "faults", { password: VALUE });
  // Consecutive failures (no window), so each step starts from a closed breaker.
  using c = startClient(testStore(proxy.address, { requestTimeoutMs: 500 }), {
    method: "token",
    token: bao.rootToken,
  }, { resilience: { ...TEST_RESILIENCE, breakerIntervalMs: 0 } });
  await ready(c.client);

  await t.step("a dropped request times out at the deadline", async () => {
    proxy.setMode({ kind: "drop" });
    const started = Date.now();
    const err = await failure(c.client.readSecret(APP));
    const elapsed = Date.now() - started;
    assertEquals(err.kind, "timeout");
    assert(isTransient(err));
    assert(elapsed >= 450 && elapsed < 2000, `elapsed ${elapsed}`);
    proxy.setMode({ kind: "pass" });
    assertEquals((await c.client.readSecret(APP)).data.password, VALUE);
  });

  await t.step("a connection reset mid-response is a transient failure", async () => {
    proxy.setMode({ kind: "reset" });
    const err = await failure(c.client.readSecret(APP));
    assert(isTransient(err), `kind ${err.kind}`);
    proxy.setMode({ kind: "pass" });
    assertEquals((await c.client.readSecret(APP)).data.password, VALUE);
  });

  await t.step("a delay within the deadline is just slow", async () => {
    proxy.setMode({ kind: "delay", ms: 200 });
    assertEquals((await c.client.readSecret(APP)).data.password, VALUE);
    proxy.setMode({ kind: "pass" });
  });

  await t.step("429 with Retry-After surfaces as rate_limited with retryAfterMs", async () => {
    proxy.setMode({ kind: "status", status: 429, retryAfter: 7 });
    const err = await failure(c.client.readSecret(APP));
    assertEquals([err.kind, err.retryAfterMs, err.status], ["rate_limited", 7000, 429]);
    proxy.setMode({ kind: "pass" });
    await c.client.readSecret(APP); // a success resets the consecutive failure count
  });

  for (const status of [500, 503]) {
    await t.step(`${status}s open the breaker, which recovers through half-open`, async () => {
      proxy.setMode({ kind: "status", status });
      for (let i = 0; i < TEST_RESILIENCE.breakerMaxFailures; i++) {
        assertEquals((await failure(c.client.readSecret(APP))).kind, "unavailable");
      }
      assertEquals(c.client.breakerState(), "open");
      const before = proxy.requests;
      const open = await failure(c.client.readSecret(APP));
      assertEquals(open.kind, "circuit_open");
      assert(open.retryAfterMs! > 0 && open.retryAfterMs! <= TEST_RESILIENCE.breakerTimeoutMs);
      assertEquals(proxy.requests, before, "no request while open");
      proxy.setMode({ kind: "pass" });
      await wait(TEST_RESILIENCE.breakerTimeoutMs + 50);
      assertEquals(c.client.breakerState(), "half_open");
      assertEquals((await c.client.readSecret(APP)).data.password, VALUE);
      assertEquals(c.client.breakerState(), "closed");
    });
  }

  await t.step("a refused first address fails over to the next one", async () => {
    proxy.setMode({ kind: "refuse" });
    using both = startClient(testStore([proxy.address, bao.address], { requestTimeoutMs: 500 }), {
      method: "token",
      token: bao.rootToken,
    });
    await ready(both.client);
    for (let i = 0; i < 3; i++) {
      assertEquals((await both.client.readSecret(APP)).data.password, VALUE);
    }
    proxy.setMode({ kind: "pass" });
  });

  await t.step("a sealed server answers sealed, and reads work again after unsealing", async () => {
    await bao.seal();
    const err = await failure(c.client.readSecret(APP));
    assertEquals([err.kind, isTransient(err)], ["sealed", true]);
    await bao.unseal();
    assertEquals((await c.client.readSecret(APP)).data.password, VALUE);
  });

  await t.step("the breaker events were reported", () => {
    const states = c.events.flatMap((e) => (e.type === "breaker" ? [e.state] : []));
    assertEquals(states, ["open", "half_open", "closed", "open", "half_open", "closed"]);
  });

  assertNoneLogged(logs, [bao.rootToken, VALUE]);
});
