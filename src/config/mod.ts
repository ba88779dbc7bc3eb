/**
 * Loading and validating the config: YAML (the secrets-sync v0.1.0 format, extended) with
 * line:column errors, `${VAR}` expansion, environment overrides and defaults, resolved into one
 * normalised {@linkcode Plan} that the rest of the program consumes.
 *
 * @example
 * ```ts
 * import { ConfigError, findConfigFile, loadConfig } from "./config/mod.ts";
 *
 * const path = findConfigFile({ flag: undefined, env: (n) => Deno.env.get(n), exists: () => true });
 * try {
 *   const plan = await loadConfig(path);
 *   console.log(plan.secrets.map((s) => s.name));
 * } catch (err) {
 *   if (err instanceof ConfigError) console.error(err.message); // file:line:col: key: message
 *   else throw err;
 * }
 * ```
 *
 * @module
 */

export type * from "./plan.ts";
export { ConfigError, type ConfigIssue, formatConfigIssue } from "./config_error.ts";
export { formatDuration, parseDuration } from "./duration.ts";
export { formatFileMode, MAX_FILE_MODE, parseFileMode } from "./file_mode.ts";
export { type EnvLookup, expandEnv, type ExpandResult } from "./env_expand.ts";
export { dirname, trimSlashes } from "./paths.ts";
export {
  formatKeyPath,
  type KeyPath,
  locateYaml,
  NO_SOURCE,
  type PositionTarget,
  type SourceLocator,
  type SourcePosition,
} from "./source_locator.ts";
export { MAX_CONFIG_BYTES, parseConfig, type ParseConfigOptions } from "./parse_config.ts";
export { planFromSeed, type PlanFromSeedOptions } from "./plan_from_seed.ts";
export {
  DEFAULT_CONFIG_PATHS,
  findConfigFile,
  type FindConfigFileOptions,
  loadConfig,
  type LoadConfigOptions,
} from "./load_config.ts";
export {
  CONFIG_ENV_VARIABLES,
  RENAMED_ENV_VARIABLES,
  type RenamedEnvVariable,
  renamedEnvVariables,
  SETTINGS_ENV_VARIABLES,
  STORE_ENV_VARIABLES,
} from "./env_variables.ts";
export { SECRET_DEFAULTS, SETTINGS_DEFAULTS, STORE_DEFAULTS } from "./defaults.ts";
export {
  covers,
  formatPermissionFlags,
  hostPort,
  type PermissionName,
  type PermissionNeed,
  requiredPermissions,
  type RequiredPermissionsOptions,
} from "./permissions.ts";
export {
  type ConfigWatcher,
  type DirWatcher,
  watchConfig,
  type WatchConfigOptions,
} from "./watch.ts";
export {
  convertManifests,
  type ConvertManifestsOptions,
  type ConvertManifestsResult,
  DEFAULT_OUTPUT_DIR,
  ESO_DEFAULT_REFRESH,
  isManifestText,
  OUTPUT_DIR_ANNOTATION,
  planFromManifests,
  type PlanFromManifestsOptions,
} from "./eso/mod.ts";
