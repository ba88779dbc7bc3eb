/**
 * `run`: keep every secret in sync until SIGTERM/SIGINT. Wiring only: the loop, reloads and
 * readiness live in {@linkcode Sidecar} (src/sync/sidecar.ts).
 *
 * @module
 */
import { getLogger } from "@logtape/logtape";
import { ConfigError, loadConfig, type Plan, renamedEnvVariables } from "../config/mod.ts";
import { loadMetrics, NO_METRICS } from "../observe/mod.ts";
import { type Clock, SYSTEM_CLOCK } from "../resilience/mod.ts";
import { createDynamicSecrets, Runtime, Sidecar } from "../sync/mod.ts";
import { checkPlanFiles, preflight, revokeUnneeded } from "./_preflight.ts";
import { describeStartError, startUp } from "./_start_up.ts";
import { VERSION } from "./version.ts";

const log = getLogger(["secrets-sync", "run"]);

/** Options of {@linkcode runCommand}. */
export interface RunCommandOptions {
  configPath: string;
  env: (name: string) => string | undefined;
  /** Aborted on SIGTERM/SIGINT. */
  signal: AbortSignal;
  /** Where log lines go. @default stdout */
  write?: (line: string) => void;
  /** Where messages for a human go before logging is set up. @default stderr */
  error?: (line: string) => void;
  clock?: Clock;
  /** Subscribe to reload requests (SIGHUP); returns an unsubscribe function. */
  onReloadRequest?: (reload: () => void) => () => void;
}

/**
 * Runs the sidecar until `signal` aborts. Returns the exit code: 0 after a clean stop, 2 when the
 * config is invalid at start.
 */
export async function runCommand(options: RunCommandOptions): Promise<number> {
  const { configPath, env, signal, clock = SYSTEM_CLOCK } = options;
  const error = options.error ?? ((line: string) => console.error(line));
  const started = await startUp({
    configPath,
    env,
    command: "run",
    error,
    ...(options.write ? { write: options.write } : {}),
  });
  if (typeof started === "number") return started;
  const { plan, redactor } = started;
  // Metrics are a restart setting: without the server nothing reads them, and prom-client is not
  // loaded at all.
  const metrics = plan.settings.metrics.enabled
    ? await loadMetrics({ version: VERSION, clock })
    : NO_METRICS;
  // One for the process: a reload's new runtime keeps the leases and certificates held.
  const dynamic = createDynamicSecrets({ metrics, clock });
  const sidecar = new Sidecar(plan, {
    runtime: (p) => new Runtime(p, { redactor, metrics, clock, dynamic }),
    // A reload is checked like a start: the whole config, then every permission it needs.
    loadPlan: async (): Promise<Plan> => {
      const next = await loadConfig(configPath, { env });
      const gaps = await preflight(next, { configPath: next.file, command: "run" });
      if (gaps.length > 0) throw new Error(gaps.join("; "));
      const issues = await checkPlanFiles(next);
      if (issues.length > 0) throw new ConfigError(issues);
      return next;
    },
    metrics,
    clock,
    version: VERSION,
  });
  for (const { variable, replacement, ignored } of renamedEnvVariables(env)) {
    if (ignored) {
      log.warn("Environment variable {variable} is ignored: {replacement}, its new name, is set", {
        variable,
        replacement,
      });
    } else {
      log.warn("Environment variable {variable} is read as {replacement}: rename it", {
        variable,
        replacement,
      });
    }
  }
  const unsubscribe = options.onReloadRequest?.(() => void sidecar.reload());
  try {
    try {
      await sidecar.start(signal);
    } catch (err) {
      // The checks before start read the same files: one changed in between.
      sidecar.abandon();
      error(describeStartError(err));
      return 2;
    }
    const revoked = await revokeUnneeded(plan, { watch: plan.settings.watch });
    if (revoked.length > 0) {
      log.info("Gave back permissions the config does not need: {revoked}", { revoked });
    }
    await new Promise<void>((resolve) => {
      if (signal.aborted) resolve();
      else signal.addEventListener("abort", () => resolve(), { once: true });
    });
    log.info("Stopping: letting in-flight syncs finish");
    await sidecar.stop();
    log.info("Stopped");
    return 0;
  } finally {
    unsubscribe?.();
  }
}
