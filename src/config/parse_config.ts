/**
 * Config text → {@linkcode Plan}: YAML with positions, `${VAR}` expansion, format detection, then
 * the format's planner. Pure: no I/O; the environment comes in as a function.
 *
 * @module
 */

import type { Plan } from "./plan.ts";
import type { EnvLookup } from "./env_expand.ts";
import { IssueList } from "./_issues.ts";
import { readYaml } from "./_yaml_source.ts";
import { checkFile, collectSeedPlan } from "./plan_from_seed.ts";
import { dirname, resolvePath } from "./paths.ts";
import type { KeyPath } from "./source_locator.ts";
import { isManifestText, planFromManifests } from "./eso/mod.ts";

/** Options of {@linkcode parseConfig}. */
export interface ParseConfigOptions {
  /** Path of the config file, for messages. */
  file: string;
  /** Environment lookup, e.g. `(name) => Deno.env.get(name)`. */
  env: EnvLookup;
  /**
   * The working directory: a relative `file` and the relative paths in the config (output files,
   * credential and TLS files, `pidFile`, `statusFile`) resolve against it, as they do for Vault
   * Agent and consul-template. `loadConfig` passes the process's.
   * @default none: `file` must be absolute, and relative paths resolve against its directory (as if
   * the process had been started there)
   */
  cwd?: string;
}

/** Largest config text accepted (a config with 10,000 secrets is about 3 MiB). */
export const MAX_CONFIG_BYTES = 32 * 1024 * 1024;

/** Template sources are taken literally: `${...}` there belongs to the rendered file. */
function isTemplateSource(path: KeyPath): boolean {
  return path.length === 5 && path[0] === "secrets" && path[2] === "template" &&
    path[3] === "data";
}

/**
 * Parses and validates config text into a Plan.
 *
 * @example
 * ```ts
 * const plan = parseConfig(text, { file: "/etc/secrets-sync/config.yaml", env: (n) => Deno.env.get(n) });
 * ```
 * @throws {ConfigError} listing every problem with file, line, column and key.
 * @throws {TypeError} when `file` is relative and no `cwd` is given.
 */
export function parseConfig(text: string, options: ParseConfigOptions): Plan {
  const { env, cwd } = options;
  const file = checkFile(
    cwd !== undefined && !options.file.startsWith("/")
      ? resolvePath(cwd, options.file)
      : options.file,
  );
  const issues = new IssueList();
  if (text.length > MAX_CONFIG_BYTES) {
    issues.add([], `The config is too large: at most ${MAX_CONFIG_BYTES} bytes`);
    issues.throwIfAny(file, { position: () => ({ line: 1, column: 1 }), keys: () => undefined });
  }
  // External Secrets Operator manifests (one or many documents) take their own reader, then
  // the same seed planner.
  if (isManifestText(text)) {
    return planFromManifests(text, { file, env, ...(cwd !== undefined ? { cwd } : {}) });
  }
  const source = readYaml(text, { env, issues, literal: isTemplateSource });
  if (source.data === undefined) {
    if (issues.size === 0) issues.add([], "The config is empty: expected secretStore and secrets");
    issues.throwIfAny(file, source.locator);
  }
  const ctx = { file, dir: cwd ?? dirname(file), env, issues, locator: source.locator };
  const plan = collectSeedPlan(source.data, ctx, source.envUsed);
  issues.throwIfAny(file, source.locator);
  return plan!;
}
