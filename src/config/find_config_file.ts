/**
 * Where the config file is. Kept apart from the loader (and free of zod/yaml) so that commands
 * that only need the path, like the `isready` healthcheck, start fast.
 *
 * @module
 */

/** Default places to look for the config, in order. */
export const DEFAULT_CONFIG_PATHS = ["./config.yaml", "/etc/secrets-sync/config.yaml"] as const;

/** A lookup of environment variables. */
import type { EnvLookup } from "./env_expand.ts";

/** Options of {@linkcode findConfigFile}. */
export interface FindConfigFileOptions {
  /** The `--config`/`-c` flag's value, if given. */
  flag?: string;
  env: EnvLookup;
  /** Whether a file exists (e.g. a `Deno.statSync` wrapper). */
  exists: (path: string) => boolean;
}

/**
 * Picks the config file: `--config`/`-c`, then `CONFIG_FILE`, then the first existing of
 * `./config.yaml` and `/etc/secrets-sync/config.yaml`, else `./config.yaml` (whose absence
 * `loadConfig` then reports).
 *
 * @example
 * ```ts
 * const path = findConfigFile({ flag: args.config, env: Deno.env.get, exists: fileExists });
 * ```
 */
export function findConfigFile(options: FindConfigFileOptions): string {
  const { flag, env, exists } = options;
  if (flag !== undefined && flag !== "") return flag;
  const fromEnv = env("CONFIG_FILE");
  if (fromEnv !== undefined && fromEnv !== "") return fromEnv;
  for (const candidate of DEFAULT_CONFIG_PATHS) {
    if (exists(candidate)) return candidate;
  }
  return DEFAULT_CONFIG_PATHS[0];
}
