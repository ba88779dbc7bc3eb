/**
 * `permissions`: prints, on one line, the narrowest Deno permission flags that cover a config, for
 * `deno run $(secrets-sync permissions -c config.yaml) src/main.ts run -c config.yaml`.
 *
 * @module
 */
import {
  ConfigError,
  formatPermissionFlags,
  loadConfig,
  type Plan,
  requiredPermissions,
} from "../config/mod.ts";

/** Options of {@linkcode permissionsCommand}. */
export interface PermissionsCommandOptions {
  configPath: string;
  env: (name: string) => string | undefined;
  /** Receives the flags line. */
  out: (line: string) => void;
  /** Receives error messages. */
  err: (line: string) => void;
}

/**
 * Prints the flags. Exit code: 0 printed, 1 the config is invalid, 2 it cannot be read.
 *
 * Permissions: `--allow-read` for the config, `--allow-env` for the variables it uses.
 */
export async function permissionsCommand(options: PermissionsCommandOptions): Promise<number> {
  const { configPath, env, out, err } = options;
  let plan: Plan;
  try {
    plan = await loadConfig(configPath, { env });
  } catch (error) {
    return reportLoadError(error, err);
  }
  try {
    out(formatPermissionFlags(
      requiredPermissions(plan, { configPath: plan.file, watch: plan.settings.watch }),
    ));
  } catch (error) {
    if (!(error instanceof RangeError)) throw error;
    err(error.message);
    return 1;
  }
  return 0;
}

/** Whether a `loadConfig` error means the file could not be read at all (exit code 2). */
export function isUnreadableConfig(error: ConfigError): boolean {
  return error.issues.length === 1 && error.issues[0]!.line === 0 &&
    error.issues[0]!.message.startsWith("Cannot read config");
}

/** Reports a `loadConfig` failure; returns 2 when the file cannot be read, else 1. */
export function reportLoadError(error: unknown, err: (line: string) => void): number {
  if (error instanceof ConfigError) {
    const unreadable = isUnreadableConfig(error);
    err(unreadable ? error.message : `Invalid configuration:\n${error.message}`);
    return unreadable ? 2 : 1;
  }
  err(`Cannot load config: ${error instanceof Error ? error.message : String(error)}`);
  return 2;
}
