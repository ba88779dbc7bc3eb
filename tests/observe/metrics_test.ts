import { assertEquals, assertFalse, assertMatch, assertStringIncludes } from "../support/assert.ts";
import { Registry } from "prom-client";
import { createMetrics, type Metrics } from "../../src/observe/metrics.ts";
import { loadMetrics, NO_METRICS } from "../../src/observe/load_metrics.ts";
import { FakeClock } from "../support/fake_clock.ts";
import { checkMetrics, requirePromlint } from "../support/promlint.ts";

const go = await requirePromlint(import.meta.url);

/** The value of the sample line `name{labels} value`, or undefined. */
function sample(text: string, series: string): number | undefined {
  const line = text.split("\n").find((l) => l.startsWith(series + " "));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

function exercise(metrics: Metrics, clock: FakeClock): void {
  metrics.recordFetchSuccess("db");
  metrics.recordFetchSuccess("db");
  metrics.recordFetchError("db", "permission_denied");
  metrics.observeSyncDuration("db", 0.042);
  metrics.recordSyncSuccess("db", clock.now());
  metrics.setBreakerState("default", "half_open");
  metrics.setSecretsConfigured(3);
  metrics.setSecretsSynced(2);
  metrics.recordFileWrite("db", "written");
  metrics.recordFileWrite("db", "unchanged");
  metrics.recordHookRun("db", "signal", "success");
  metrics.observeVaultRequest("read", 200, 0.012);
  metrics.setTokenTtl("default", 3600);
  metrics.recordAuth("default", "login", "success");
  metrics.recordConfigReload("failure");
}

Deno.test("createMetrics() exposes the seed's six metrics with their names and the added ones", async () => {
  const clock = new FakeClock();
  const metrics = createMetrics({ version: "1.2.3", clock });
  exercise(metrics, clock);
  await clock.tick(90_000);
  const text = await metrics.text();
  assertEquals(sample(text, 'secret_fetch_total{secret="db",status="success"}'), 2);
  assertEquals(sample(text, 'secret_fetch_total{secret="db",status="error"}'), 1);
  assertEquals(sample(text, 'secret_fetch_errors_total{secret="db",kind="permission_denied"}'), 1);
  assertEquals(sample(text, 'secret_sync_duration_seconds_count{secret="db"}'), 1);
  assertEquals(sample(text, 'secret_sync_duration_seconds_bucket{le="0.05",secret="db"}'), 1);
  assertEquals(sample(text, 'circuit_breaker_state{breaker="default"}'), 1);
  assertEquals(sample(text, "secrets_configured"), 3);
  assertEquals(sample(text, "secrets_synced"), 2);
  assertEquals(
    sample(text, 'secret_last_success_timestamp_seconds{secret="db"}'),
    1_700_000_000,
  );
  assertEquals(sample(text, 'secret_staleness_seconds{secret="db"}'), 90);
  assertEquals(sample(text, 'file_writes_total{secret="db",result="written"}'), 1);
  assertEquals(sample(text, 'file_writes_total{secret="db",result="unchanged"}'), 1);
  assertEquals(sample(text, 'hook_runs_total{secret="db",kind="signal",result="success"}'), 1);
  assertEquals(
    sample(text, 'vault_request_duration_seconds_count{operation="read",status="200"}'),
    1,
  );
  assertEquals(sample(text, 'vault_token_ttl_seconds{credentials="default"}'), 3600);
  assertEquals(
    sample(text, 'auth_total{credentials="default",operation="login",result="success"}'),
    1,
  );
  assertEquals(sample(text, 'config_reloads_total{result="failure"}'), 1);
  assertEquals(
    sample(text, `secrets_sync_build_info{version="1.2.3",deno="${Deno.version.deno}"}`),
    1,
  );
});

Deno.test("Metrics.setBreakerState() follows the seed's 0 closed, 1 half-open, 2 open convention", async () => {
  const metrics = createMetrics();
  const values: number[] = [];
  for (const state of ["closed", "half_open", "open"] as const) {
    metrics.setBreakerState("b", state);
    values.push(sample(await metrics.text(), 'circuit_breaker_state{breaker="b"}')!);
  }
  assertEquals(values, [0, 1, 2]);
});

Deno.test("Metrics.setSecretsSynced() goes down as well as up", async () => {
  const metrics = createMetrics();
  metrics.setSecretsSynced(3);
  metrics.setSecretsSynced(1);
  assertEquals(sample(await metrics.text(), "secrets_synced"), 1);
});

Deno.test("Metrics.removeSecret() drops every series of that secret and keeps the others", async () => {
  const clock = new FakeClock();
  const metrics = createMetrics({ clock });
  exercise(metrics, clock);
  metrics.recordFetchSuccess("api");
  metrics.recordSyncSuccess("api", clock.now());
  metrics.removeSecret("db");
  const text = await metrics.text();
  assertFalse(text.includes('secret="db"'), text);
  assertEquals(sample(text, 'secret_fetch_total{secret="api",status="success"}'), 1);
  assertEquals(sample(text, 'secret_staleness_seconds{secret="api"}'), 0);
  assertEquals(sample(text, 'vault_token_ttl_seconds{credentials="default"}'), 3600);
});

Deno.test("Metrics.removeCredentials() and removeBreaker() drop their series", async () => {
  const clock = new FakeClock();
  const metrics = createMetrics({ clock });
  exercise(metrics, clock);
  metrics.removeCredentials("default");
  metrics.removeBreaker("default");
  const text = await metrics.text();
  assertFalse(text.includes('credentials="default"'), text);
  assertFalse(text.includes('breaker="default"'), text);
});

Deno.test("createMetrics() registers on its own registry, not prom-client's global one", async () => {
  const { register } = await import("prom-client");
  const registry = new Registry();
  const metrics = createMetrics({ registry });
  metrics.recordFetchSuccess("db");
  assertStringIncludes(await registry.metrics(), "secret_fetch_total");
  assertFalse((await register.metrics()).includes("secret_fetch_total"));
  // Two instances side by side do not collide on metric names.
  createMetrics().recordFetchSuccess("db");
});

Deno.test("Metrics.text() has the Prometheus text content type", () => {
  assertMatch(createMetrics().contentType, /^text\/plain; version=0\.0\.4/);
});

Deno.test("Metrics ignore negative or non-finite durations instead of corrupting histograms", async () => {
  const metrics = createMetrics();
  metrics.observeSyncDuration("db", Number.NaN);
  metrics.observeSyncDuration("db", -1);
  metrics.observeVaultRequest("read", 200, Number.POSITIVE_INFINITY);
  const text = await metrics.text();
  assertEquals(sample(text, 'secret_sync_duration_seconds_count{secret="db"}'), undefined);
});

Deno.test({
  name: "Metrics.text() passes `promtool check metrics`",
  ignore: !go,
  async fn() {
    const clock = new FakeClock();
    const metrics = createMetrics({ version: "1.2.3", clock });
    exercise(metrics, clock);
    const { code, output } = await checkMetrics(await metrics.text());
    assertEquals({ code, output: output.trim() }, { code: 0, output: "" }, output);
  },
});

const BAD_EXPOSITIONS: [string, string, { code: number; finding: string }][] = [
  [
    "a counter without _total",
    "# HELP requests Requests.\n# TYPE requests counter\nrequests 1\n",
    { code: 3, finding: 'requests counter metrics should have "_total" suffix' },
  ],
  [
    "a metric without HELP",
    "# TYPE queue_depth gauge\nqueue_depth 2\n",
    { code: 3, finding: "queue_depth no help text" },
  ],
  [
    "text that does not parse",
    "# TYPE up gauge\nup not-a-number\n",
    { code: 1, finding: "error while linting: text format parsing error in line 2" },
  ],
];

for (const [what, text, { code, finding }] of BAD_EXPOSITIONS) {
  Deno.test({
    name: `checkMetrics() fails like promtool on ${what}`,
    ignore: !go,
    async fn() {
      const result = await checkMetrics(text);
      assertEquals(result.code, code, result.output);
      assertStringIncludes(result.output, finding);
    },
  });
}

Deno.test("loadMetrics() loads prom-client and exposes the same metrics as createMetrics()", async () => {
  const metrics = await loadMetrics({ version: "1.2.3" });
  metrics.recordFetchSuccess("db");
  const text = await metrics.text();
  assertMatch(text, /^secret_fetch_total\{secret="db",status="success"\} 1$/m);
  assertMatch(text, /^secrets_sync_build_info\{version="1\.2\.3",.*\} 1$/m);
});

Deno.test("NO_METRICS accepts every record and exposes nothing", async () => {
  NO_METRICS.recordFetchSuccess("db");
  NO_METRICS.observeSyncDuration("db", 0.1);
  NO_METRICS.recordSyncSuccess("db", 1_000);
  NO_METRICS.removeSecret("db");
  assertEquals(await NO_METRICS.text(), "");
});
