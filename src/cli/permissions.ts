/**
 * `permissions`: prints, on one line, the narrowest Deno permission flags that cover a config, for
 * `deno run $(secrets-sync permissions -c config.yaml) src/main.ts run -c config.yaml`.
 *
 * @module
 */
import {
  formatPermissionFlags,
  loadConfig,
  type Plan,
  requiredPermissions,
} from "../config/mod.ts";
import { reportLoadError } from "./_start_up.ts";

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
