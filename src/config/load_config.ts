/**
 * Finding and reading the config file (the only I/O in config/ besides credential files).
 *
 * @module
 */

import type { Plan } from "./plan.ts";
import type { EnvLookup } from "./env_expand.ts";
import { parseConfig } from "./parse_config.ts";
import { ConfigError } from "./config_error.ts";
import { resolvePath } from "./paths.ts";

/** Options of {@linkcode loadConfig}. */
export interface LoadConfigOptions {
  /** Environment lookup. @default `Deno.env.get` */
  env?: EnvLookup;
  /** Reads the file. @default `Deno.readTextFile` */
  readTextFile?: (path: string) => Promise<string>;
  /**
   * The working directory: a relative config path and the relative paths inside the config resolve
   * against it. @default `Deno.cwd()`
   */
  cwd?: string;
}

/**
 * Reads, validates and plans the config file at `path`.
 *
 * Permissions: `--allow-read` for the file, `--allow-env` (the `${VAR}`s it references, the
 * override variables, and LOG_TOKENS/LOG_STREAM that the yaml parser reads).
 *
 * @example
 * ```ts
 * const plan = await loadConfig("./config.yaml");
 * ```
 * @throws {ConfigError} when the file cannot be read or is invalid.
 */
export async function loadConfig(path: string, options: LoadConfigOptions = {}): Promise<Plan> {
  const {
    env = (name: string) => Deno.env.get(name),
    readTextFile = (p: string) => Deno.readTextFile(p),
  } = options;
  const cwd = options.cwd ?? Deno.cwd();
  const file = resolvePath(cwd, path);
  let text: string;
  try {
    text = await readTextFile(file);
  } catch (error) {
    const reason = error instanceof Deno.errors.NotFound
      ? "no such file"
      : error instanceof Deno.errors.PermissionDenied || error instanceof Deno.errors.NotCapable
      ? "permission denied"
      : error instanceof Deno.errors.IsADirectory
      ? "is a directory"
      : (error as Error).message;
    throw new ConfigError([{
      file,
      line: 0,
      column: 0,
      key: "",
      message: `Cannot read config: ${reason}`,
    }], {
      cause: error,
    });
  }
  return parseConfig(text, { file, env, cwd });
}

export {
  DEFAULT_CONFIG_PATHS,
  findConfigFile,
  type FindConfigFileOptions,
} from "./find_config_file.ts";
