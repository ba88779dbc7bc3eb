/**
 * Environment variables of secrets-sync v0.1.0 that were renamed: the old name still works, and the
 * running program says so once at start (see docs/migrating-from-secrets-sync-go.md).
 */
import { assertEquals, assertStrictEquals } from "../support/assert.ts";
import { renamedEnvVariables, SETTINGS_ENV_VARIABLES } from "../../src/config/mod.ts";
import { readySource } from "../../src/cli/isready.ts";
import { envOf, issuesOf, MINIMAL, parse } from "./_helpers.ts";

Deno.test("HTTP_PORT, the v0.1.0 name, sets the metrics port when METRICS_PORT is unset", () => {
  const plan = parse(MINIMAL + "settings:\n  metrics: { port: 9000 }\n", { HTTP_PORT: "9300" });
  assertStrictEquals(plan.settings.metrics.port, 9300);
});

Deno.test("METRICS_PORT wins over HTTP_PORT", () => {
  const plan = parse(MINIMAL, { HTTP_PORT: "9300", METRICS_PORT: "9102" });
  assertStrictEquals(plan.settings.metrics.port, 9102);
});

Deno.test("an invalid HTTP_PORT is a config error naming it", () => {
  assertEquals(issuesOf(MINIMAL, { HTTP_PORT: "http" }), [
    '0:0 env.HTTP_PORT: Invalid value "http": expected an integer from 1 to 65535',
  ]);
});

Deno.test("HTTP_PORT is in the variables the loader reads (for --allow-env)", () => {
  assertStrictEquals(SETTINGS_ENV_VARIABLES.includes("HTTP_PORT" as never), true);
});

Deno.test("renamedEnvVariables() names HTTP_PORT as read, or as ignored next to METRICS_PORT", () => {
  assertEquals(renamedEnvVariables(envOf({})), []);
  assertEquals(renamedEnvVariables(envOf({ HTTP_PORT: "" })), []);
  const [used] = renamedEnvVariables(envOf({ HTTP_PORT: "9300" }));
  assertStrictEquals(used?.variable, "HTTP_PORT");
  assertStrictEquals(used?.replacement, "METRICS_PORT");
  assertStrictEquals(used?.ignored, false);
  const [ignored] = renamedEnvVariables(envOf({ HTTP_PORT: "9300", METRICS_PORT: "9102" }));
  assertStrictEquals(ignored?.ignored, true);
});

Deno.test("isready without a config asks /ready on HTTP_PORT when METRICS_PORT is unset", async () => {
  const source = await readySource({ env: envOf({ STATUS_FILE: "/tmp/x", HTTP_PORT: "9300" }) });
  assertStrictEquals(source.http, "http://127.0.0.1:9300/ready");
});
