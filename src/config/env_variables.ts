/**
 * Every environment variable the config loader reads besides the `${VAR}`s a config references
 * (those are in `plan.envUsed`), for `--allow-env` lists and docs.
 *
 * @module
 */

/** Overrides of `secretStore` (the vault CLI's names). */
export const STORE_ENV_VARIABLES = [
  "VAULT_ADDR",
  "VAULT_NAMESPACE",
  "VAULT_TOKEN",
  "VAULT_ROLE_ID",
  "VAULT_SECRET_ID",
  "VAULT_CACERT",
  "VAULT_CAPATH",
  "VAULT_CLIENT_CERT",
  "VAULT_CLIENT_KEY",
  "VAULT_TLS_SERVER_NAME",
  "VAULT_SKIP_VERIFY",
] as const;

/** Overrides of `settings` (the seed's names). */
export const SETTINGS_ENV_VARIABLES = [
  "LOG_LEVEL",
  "LOG_FORMAT",
  "ENABLE_METRICS",
  "METRICS_ADDR",
  "METRICS_PORT",
  // v0.1.0's name of METRICS_PORT, still read (see RENAMED_ENV_VARIABLES).
  "HTTP_PORT",
  "STATUS_FILE",
  "WATCH_CONFIG",
  "CONCURRENCY",
  "CIRCUIT_BREAKER_MAX_REQUESTS",
  "CIRCUIT_BREAKER_INTERVAL",
  "CIRCUIT_BREAKER_TIMEOUT",
  "INITIAL_BACKOFF",
  "MAX_BACKOFF",
  "BACKOFF_MULTIPLIER",
] as const;

/** Variables of secrets-sync v0.1.0 that have a new name; the old name is still read. */
export const RENAMED_ENV_VARIABLES = [
  { variable: "HTTP_PORT", replacement: "METRICS_PORT" },
] as const;

/** An old variable name set in the environment. */
export interface RenamedEnvVariable {
  variable: string;
  replacement: string;
  /** The replacement is set too, and wins: the old name has no effect. */
  ignored: boolean;
}

/**
 * The renamed variables that are set (empty counts as unset, as everywhere), so the program can say
 * once that they still work and what to rename them to.
 *
 * @example
 * ```ts
 * renamedEnvVariables((n) => ({ HTTP_PORT: "9090" } as Record<string, string>)[n]);
 * // [{ variable: "HTTP_PORT", replacement: "METRICS_PORT", ignored: false }]
 * ```
 */
export function renamedEnvVariables(
  env: (name: string) => string | undefined,
): RenamedEnvVariable[] {
  const set = (name: string) => (env(name) ?? "") !== "";
  return RENAMED_ENV_VARIABLES.filter(({ variable }) => set(variable)).map((
    { variable, replacement },
  ) => ({ variable, replacement, ignored: set(replacement) }));
}

/** All variables the loader may read: overrides, CONFIG_FILE, and the yaml parser's debug flags. */
export const CONFIG_ENV_VARIABLES: readonly string[] = [
  "CONFIG_FILE",
  ...STORE_ENV_VARIABLES,
  ...SETTINGS_ENV_VARIABLES,
  // Read by the `yaml` package on every parse (debug output switches).
  "LOG_TOKENS",
  "LOG_STREAM",
];
