/**
 * Start-up shared by `run` and `once`: load the config, check the permissions it needs, set up
 * redacting logs.
 *
 * @module
 */
import { ConfigError, loadConfig } from "../config/mod.ts";
import type { Plan } from "../config/mod.ts";
import { Redactor, setupLogging } from "../observe/mod.ts";
import { checkPlanFiles, preflight } from "./_preflight.ts";

/** Options of {@linkcode startUp}. */
export interface StartUpOptions {
  configPath: string;
  env: (name: string) => string | undefined;
  command: "run" | "once";
  /** Where messages for a person go before logging is set up. */
  error: (line: string) => void;
  /** Where log lines go. @default stdout */
  write?: (line: string) => void;
}

/**
 * What `run` and `once` do before anything else: load the config, check every permission it
 * needs (before anything contacts Vault), and set up redacting logs. Resolves with the plan and
 * the redactor, or with exit code 2 after saying what is wrong.
 */
export async function startUp(
  options: StartUpOptions,
): Promise<{ plan: Plan; redactor: Redactor } | number> {
  const { configPath, env, command, error } = options;
  let plan: Plan;
  try {
    plan = await loadConfig(configPath, { env });
  } catch (err) {
    error(describeStartError(err));
    return 2;
  }
  const gaps = await preflight(plan, { configPath: plan.file, command });
  if (gaps.length > 0) {
    for (const gap of gaps) error(gap);
    return 2;
  }
  const issues = await checkPlanFiles(plan);
  if (issues.length > 0) {
    error(describeStartError(new ConfigError(issues)));
    return 2;
  }
  const redactor = new Redactor();
  await setupLogging({
    level: plan.settings.logLevel,
    format: plan.settings.logFormat,
    redactor,
    ...(options.write ? { write: options.write } : {}),
  });
  return { plan, redactor };
}

/** A human-readable message for an error that prevents the start. */
export function describeStartError(err: unknown): string {
  if (err instanceof ConfigError) return `Invalid configuration:\n${err.message}`;
  if (err instanceof Error) return `Cannot start: ${err.message}`;
  return `Cannot start: ${String(err)}`;
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
