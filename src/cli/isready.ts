/**
 * `isready`: exit 0 when the running sidecar is ready, 1 otherwise — the container healthcheck.
 * Asks `/ready` over HTTP when the server is enabled, else reads the status file, whose heartbeat
 * must be fresh and whose process must be alive. Needs nothing but the binary itself.
 *
 * @module
 */
import { loadConfig, SETTINGS_DEFAULTS } from "../config/mod.ts";
import { checkReadyHttp, readStatus, type ReadyCheck } from "../observe/mod.ts";
import { type Clock, SYSTEM_CLOCK } from "../resilience/mod.ts";
import { HEARTBEAT_MS } from "./run.ts";

/** A status file older than this is not ready, ms. */
export const STATUS_MAX_AGE_MS = HEARTBEAT_MS * 5;

/** Options of {@linkcode isreadyCommand}. */
export interface IsreadyCommandOptions {
  /** Config file, when one is found; its settings say where to ask. */
  configPath?: string;
  env: (name: string) => string | undefined;
  out?: (line: string) => void;
  clock?: Clock;
  /** @default 150 */
  timeoutMs?: number;
}

/** Where `isready` should ask. */
export interface ReadySource {
  http?: string;
  statusFile: string;
}

/** Works out where to ask from the config (when it loads) or the environment. */
export async function readySource(
  options: Pick<IsreadyCommandOptions, "configPath" | "env">,
): Promise<ReadySource> {
  const { configPath, env } = options;
  if (configPath) {
    try {
      const plan = await loadConfig(configPath, { env });
      const m = plan.settings.metrics;
      const source: ReadySource = { statusFile: plan.settings.statusFile };
      if (m.enabled) source.http = readyUrl(m.addr, m.port);
      return source;
    } catch {
      // Fall back to the environment: the healthcheck must still answer.
    }
  }
  const enabled = (env("ENABLE_METRICS") ?? String(SETTINGS_DEFAULTS.metricsEnabled))
    .toLowerCase() !== "false";
  const source: ReadySource = {
    statusFile: env("STATUS_FILE") ?? SETTINGS_DEFAULTS.statusFile,
  };
  if (enabled) {
    source.http = readyUrl(
      env("METRICS_ADDR") ?? SETTINGS_DEFAULTS.metricsAddr,
      Number(env("METRICS_PORT") ?? SETTINGS_DEFAULTS.metricsPort),
    );
  }
  return source;
}

function readyUrl(addr: string, port: number): string {
  const host = addr === "0.0.0.0" || addr === "" ? "127.0.0.1" : addr === "::" ? "[::1]" : addr;
  const bracketed = host.includes(":") && !host.startsWith("[") ? `[${host}]` : host;
  return `http://${bracketed}:${port}/ready`;
}

/** Checks readiness; resolves with the exit code. */
export async function isreadyCommand(options: IsreadyCommandOptions): Promise<number> {
  const { clock = SYSTEM_CLOCK, timeoutMs = 150 } = options;
  const out = options.out ?? ((line: string) => console.log(line));
  const source = await readySource(options);
  let check: ReadyCheck;
  if (source.http) {
    check = await checkReadyHttp(source.http, { timeoutMs });
  } else {
    check = await readStatus(source.statusFile, { clock, maxAgeMs: STATUS_MAX_AGE_MS });
  }
  out(`${check.ready ? "ready" : "not ready"}: ${check.reason}`);
  return check.ready ? 0 : 1;
}
