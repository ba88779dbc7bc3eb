/**
 * The seed format (secrets-sync v0.1.0 YAML: `secretStore`, `secrets`, plus `settings`) as plain
 * data → {@linkcode Plan}. A second input format (ExternalSecret manifests) gets its own
 * `planFromX` beside this one and produces the same Plan.
 *
 * @module
 */

import type { Plan, PlanSources, SecretPlan } from "./plan.ts";
import { secretSchema, secretStoreSchema, seedTopSchema, settingsSchema } from "./seed_schema.ts";
import { IssueList } from "./_issues.ts";
import { configPath, type PlanContext, validate } from "./_context.ts";
import { dirname, hasParentSegment, isAbsolute, normalize } from "./paths.ts";
import { type KeyPath, NO_SOURCE, type SourceLocator } from "./source_locator.ts";
import { resolveStore } from "./_store.ts";
import { resolveSettings } from "./_settings.ts";
import { resolveSecret, unknownCredentialsMessage } from "./_secret.ts";

/** Options of {@linkcode planFromSeed}. */
export interface PlanFromSeedOptions {
  /** Absolute path of the config file. */
  file: string;
  /**
   * The working directory relative paths in the config resolve against.
   * @default the config file's directory
   */
  cwd?: string;
  /** Environment lookup for the vault CLI's overrides (VAULT_ADDR, …). */
  env: (name: string) => string | undefined;
  /** Where things are in the source text. @default no positions (0:0) */
  locator?: SourceLocator;
  /** Variables the source referenced with `${...}`, copied into `plan.envUsed`. */
  envUsed?: readonly string[];
}

/**
 * Turns a seed-format document (already parsed, `${VAR}` already expanded) into a Plan.
 *
 * @example
 * ```ts
 * const plan = planFromSeed(
 *   { secretStore: { address: "http://127.0.0.1:8200", token: "t" },
 *     secrets: [{ name: "db", key: "app/db", template: { data: { env: "{{ .password }}" } },
 *                 files: [{ path: "/secrets/db.env" }] }] },
 *   { file: "/etc/secrets-sync/config.yaml", env: () => undefined },
 * );
 * ```
 * @throws {ConfigError} listing every problem.
 */
export function planFromSeed(data: unknown, options: PlanFromSeedOptions): Plan {
  const file = checkFile(options.file);
  const issues = new IssueList();
  const locator = options.locator ?? NO_SOURCE;
  const plan = collectSeedPlan(data, {
    file,
    dir: options.cwd ?? dirname(file),
    env: options.env,
    issues,
    locator,
  }, options.envUsed ?? []);
  issues.throwIfAny(file, locator);
  return plan!;
}

/** Validates an absolute config file path. */
export function checkFile(file: string): string {
  if (!isAbsolute(file)) {
    throw new TypeError(`Cannot plan config: "file" must be an absolute path, got "${file}"`);
  }
  return normalize(file);
}

/** Plans into `ctx.issues`; returns the Plan when no issue was found. @internal */
export function collectSeedPlan(
  data: unknown,
  planContext: PlanContext,
  envUsed: readonly string[],
): Plan | undefined {
  const sources: PlanSources = { tls: {}, files: {} };
  const ctx: PlanContext = { ...planContext, sources };
  const before = ctx.issues.size;
  if (data === undefined || data === null) {
    ctx.issues.add([], "The config is empty: expected secretStore and secrets");
    return undefined;
  }
  const top = validate(ctx, seedTopSchema, data, []);
  if (typeof data !== "object" || Array.isArray(data)) return undefined;
  const raw = data as Record<string, unknown>;

  const storePath: KeyPath = ["secretStore"];
  const storeInput = raw["secretStore"] === undefined
    ? {}
    : validate(ctx, secretStoreSchema, raw["secretStore"], storePath);
  const store = storeInput === undefined ? undefined : resolveStore(ctx, storeInput, storePath);

  const settingsInput = raw["settings"] === undefined
    ? {}
    : validate(ctx, settingsSchema, raw["settings"], ["settings"]);
  const settings = resolveSettings(ctx, settingsInput, ["settings"]);

  const credentialNames = ["default", ...credentialSetNames(raw["secretStore"])];
  const scope = {
    kvVersion: store?.kvVersion ?? storeInput?.kvVersion ?? 2,
    mountPath: store?.mountPath ?? "secret",
    credentialNames,
  };
  const secrets: SecretPlan[] = [];
  const list = Array.isArray(top?.secrets) ? top.secrets : [];
  const names = new Map<string, number>();
  const outputs = new Map<string, string>();
  list.forEach((item, index) => {
    const path = ["secrets", index];
    checkAcrossSecrets(ctx, item, path, { names, outputs, credentialNames });
    const input = validate(ctx, secretSchema, item, path);
    if (input === undefined) return;
    const secret = resolveSecret(ctx, input, path, scope);
    if (secret !== undefined) secrets.push(secret);
  });

  if (ctx.issues.size > before || store === undefined) return undefined;
  return {
    file: ctx.file,
    store: store.store,
    credentials: store.credentials,
    secrets,
    settings,
    envUsed: [...new Set(envUsed)].sort(),
    sources,
  };
}

/**
 * Checks that need other secrets (unique names and output paths) or that should show even when
 * the entry's shape is invalid (unknown credential set). Works on the raw data, so one bad field
 * does not hide these; an issue also found by the full check is reported once.
 */
function checkAcrossSecrets(
  ctx: PlanContext,
  item: unknown,
  path: KeyPath,
  seen: { names: Map<string, number>; outputs: Map<string, string>; credentialNames: string[] },
): void {
  if (typeof item !== "object" || item === null || Array.isArray(item)) return;
  const raw = item as Record<string, unknown>;
  if (typeof raw["name"] === "string" && raw["name"] !== "") {
    const first = seen.names.get(raw["name"]);
    if (first !== undefined) {
      ctx.issues.add(
        [...path, "name"],
        `Duplicate secret name "${raw["name"]}": secrets[${first}] has it too`,
      );
    } else seen.names.set(raw["name"], Number(path[1]));
  }
  const credentials = raw["credentials"];
  if (typeof credentials === "string" && !seen.credentialNames.includes(credentials)) {
    ctx.issues.add(
      [...path, "credentials"],
      unknownCredentialsMessage(credentials, seen.credentialNames),
    );
  }
  const files = Array.isArray(raw["files"]) ? raw["files"] : [];
  files.forEach((file: unknown, fileIndex) => {
    const filePath = (file as { path?: unknown } | null)?.path;
    if (typeof filePath !== "string" || filePath === "" || hasParentSegment(filePath)) return;
    const absolute = configPath(ctx, filePath);
    const owner = seen.outputs.get(absolute);
    if (owner !== undefined) {
      ctx.issues.add(
        [...path, "files", fileIndex, "path"],
        `Duplicate output path "${absolute}": ${owner} writes it too`,
      );
    } else {
      const name = typeof raw["name"] === "string" ? `secret "${raw["name"]}"` : "";
      seen.outputs.set(
        absolute,
        name === "" ? `secrets[${path[1]}]` : `${name} (secrets[${path[1]}])`,
      );
    }
  });
}

function credentialSetNames(store: unknown): string[] {
  if (typeof store !== "object" || store === null) return [];
  const credentials = (store as Record<string, unknown>)["credentials"];
  if (typeof credentials !== "object" || credentials === null || Array.isArray(credentials)) {
    return [];
  }
  return Object.keys(credentials).filter((name) => name !== "default");
}
