/**
 * `isready`: exit 0 when the running sidecar is ready, 1 otherwise — the container healthcheck.
 *
 * It reads the status file the sidecar rewrites every heartbeat: a stale heartbeat is not ready;
 * when the sidecar serves HTTP, the file records its `/ready` URL and `isready` asks it (so a killed
 * process is seen at once). Without a status file it falls back to `/ready` at the configured
 * listener. Needs nothing but the binary itself.
 *
 * Healthchecks run every few seconds, so this command loads as little as it can: the status-file
 * reader directly (not observe/mod.ts, which loads logging and the HTTP handler), and the config
 * loader only when `STATUS_FILE` is not set.
 *
 * @module
 */
import { checkReadyHttp, readStatus, readyUrl, STATUS_MAX_AGE_MS } from "../observe/status_file.ts";
import type { ReadyCheck } from "../observe/status_file.ts";
import { type Clock, SYSTEM_CLOCK } from "../resilience/clock.ts";
// Directly, not config/mod.ts: the healthcheck must not load the config loader (zod, yaml).
import { SETTINGS_DEFAULTS } from "../config/defaults.ts";

const DEFAULT_STATUS_FILE = SETTINGS_DEFAULTS.statusFile;
const DEFAULT_METRICS_ADDR = SETTINGS_DEFAULTS.metricsAddr;
const DEFAULT_METRICS_PORT = SETTINGS_DEFAULTS.metricsPort;

/** Options of {@linkcode isreadyCommand}. */
export interface IsreadyCommandOptions {
  /** Config file, when one is found; its settings say where to look. */
  configPath?: string;
  env: (name: string) => string | undefined;
  out?: (line: string) => void;
  clock?: Clock;
  /** @default 150 */
  timeoutMs?: number;
}

/** Where `isready` should look. */
export interface ReadySource {
  statusFile: string;
  /** `/ready` of the configured listener, used when the status file is missing. */
  http?: string;
}

/** Works out where to look: `STATUS_FILE`, else the config's settings, else the defaults. */
export async function readySource(
  options: Pick<IsreadyCommandOptions, "configPath" | "env">,
): Promise<ReadySource> {
  const { configPath, env } = options;
  const fromEnv = (): ReadySource => {
    const source: ReadySource = { statusFile: env("STATUS_FILE") || DEFAULT_STATUS_FILE };
    if ((env("ENABLE_METRICS") ?? "true").toLowerCase() !== "false") {
      source.http = readyUrl(
        env("METRICS_ADDR") || DEFAULT_METRICS_ADDR,
        Number(env("METRICS_PORT") || env("HTTP_PORT") || DEFAULT_METRICS_PORT),
      );
    }
    return source;
  };
  if (env("STATUS_FILE") || !configPath) return fromEnv();
  try {
    const { loadConfig } = await import("../config/mod.ts");
    const plan = await loadConfig(configPath, { env });
    const m = plan.settings.metrics;
    const source: ReadySource = { statusFile: plan.settings.statusFile };
    if (m.enabled) source.http = readyUrl(m.addr, m.port);
    return source;
  } catch {
    // The healthcheck must still answer: fall back to the environment and defaults.
    return fromEnv();
  }
}

/** Checks readiness; resolves with the exit code. */
export async function isreadyCommand(options: IsreadyCommandOptions): Promise<number> {
  const { clock = SYSTEM_CLOCK, timeoutMs = 150 } = options;
  const out = options.out ?? ((line: string) => console.log(line));
  const source = await readySource(options);
  let check: ReadyCheck = await readStatus(source.statusFile, {
    clock,
    maxAgeMs: STATUS_MAX_AGE_MS,
    followReadyUrl: true,
    httpTimeoutMs: timeoutMs,
  });
  if (!check.ready && check.reason.includes("not found") && source.http) {
    check = await checkReadyHttp(source.http, { timeoutMs });
  }
  out(`${check.ready ? "ready" : "not ready"}: ${check.reason}`);
  return check.ready ? 0 : 1;
}
