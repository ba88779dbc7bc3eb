/**
 * What Deno permissions a {@linkcode Plan} needs: the single source for the `permissions`
 * command (the narrowest flags) and the start-up preflight (which of them are missing). Pure.
 *
 * @module
 */

import type { Plan, SecretPlan } from "./plan.ts";
import { CONFIG_ENV_VARIABLES } from "./env_variables.ts";
import { dirname } from "./paths.ts";

/** A Deno permission name the program uses. */
export type PermissionName = "read" | "write" | "net" | "env" | "run" | "sys";

/**
 * One permission the config needs. `value` is what goes after `--allow-<name>=`; `""` means the
 * whole permission (`--allow-run` without a list, as `Deno.kill` requires).
 */
export interface PermissionNeed {
  name: PermissionName;
  value: string;
  /** Why it is needed, e.g. `output file "/data/app.env"`. */
  why: string;
  /**
   * The program works without it (an override variable read through a guarded lookup, a
   * command hook's PATH), so the preflight does not refuse to start over it.
   */
  optional?: boolean;
}

/** Options of {@linkcode requiredPermissions}. */
export interface RequiredPermissionsOptions {
  /** The config file path as given (made absolute against `plan.file`'s directory). */
  configPath: string;
  /** Whether the config file is watched (its directory must then be readable). */
  watch: boolean;
  /**
   * The command that will run: `once` serves no metrics, writes no status file and watches
   * nothing. @default "run"
   */
  command?: "run" | "once";
}

/** Files consulted when `owner`/`group` are names. */
const ID_FILES = ["/etc/passwd", "/etc/group"] as const;

/**
 * The permissions `plan` needs at run time, merged: a path inside another path of the same
 * permission is dropped, and each value appears once (its reasons joined).
 *
 * @example
 * ```ts
 * const needs = requiredPermissions(plan, { configPath: plan.file, watch: plan.settings.watch });
 * // [{ name: "read", value: "/etc/secrets-sync/config.yaml", why: "config file" }, …]
 * ```
 */
export function requiredPermissions(
  plan: Plan,
  options: RequiredPermissionsOptions,
): PermissionNeed[] {
  const { command = "run" } = options;
  const watch = options.watch && command === "run";
  const needs: PermissionNeed[] = [];
  const add: AddNeed = (name, value, why, optional) =>
    needs.push(optional ? { name, value, why, optional } : { name, value, why });

  const configFile = options.configPath.startsWith("/") ? options.configPath : plan.file;
  add("read", configFile, "config file");
  if (watch) add("read", dirname(configFile), "config directory (watched for changes)");

  for (const address of plan.store.addresses) {
    const host = hostPort(address);
    if (host !== undefined) add("net", host, `secret store ${address}`);
  }
  const tls = plan.store.tls;
  if (tls.caCert !== undefined) add("read", tls.caCert, "CA certificate");
  if (tls.caPath !== undefined) add("read", tls.caPath, "CA directory");
  if (tls.clientCert !== undefined) add("read", tls.clientCert, "client certificate");
  if (tls.clientKey !== undefined) add("read", tls.clientKey, "client key");

  // With watching, a reload may switch a secret to another credential set: cover them all.
  const inUse = new Set(plan.secrets.map((s) => s.credentials));
  for (const [name, auth] of Object.entries(plan.credentials)) {
    if (!watch && !inUse.has(name)) continue;
    const files = auth.method === "token"
      ? [["tokenFile", auth.tokenFile]]
      : auth.method === "approle"
      ? [["roleIdFile", auth.roleIdFile], ["secretIdFile", auth.secretIdFile]]
      : [["jwtFile", auth.jwtFile]];
    for (const [field, file] of files) {
      if (file !== undefined) add("read", file, `${field} of credentials "${name}"`);
    }
  }

  for (const secret of plan.secrets) addSecretNeeds(secret, add);

  const statusDir = dirname(plan.settings.statusFile);
  if (command === "run") {
    add("write", statusDir, `status file "${plan.settings.statusFile}"`);
    add("read", statusDir, `status file "${plan.settings.statusFile}"`);
  }

  const metrics = plan.settings.metrics;
  if (metrics.enabled && command === "run") {
    const host = metrics.addr === "" ? "0.0.0.0" : metrics.addr;
    const value = metrics.port === 0 ? bracket(host) : `${bracket(host)}:${metrics.port}`;
    add("net", value, "metrics and health listener");
  }

  for (const name of plan.envUsed) add("env", name, "referenced in the config");
  for (const name of CONFIG_ENV_VARIABLES) {
    // The yaml package reads these on every parse without a guard; the rest go through `env`.
    const required = name === "LOG_TOKENS" || name === "LOG_STREAM";
    add("env", name, required ? "read by the yaml parser" : "read by the config loader", !required);
  }

  return merge(needs);
}

type AddNeed = (name: PermissionName, value: string, why: string, optional?: boolean) => void;

function addSecretNeeds(secret: SecretPlan, add: AddNeed): void {
  for (const file of secret.files) {
    const dir = dirname(file.path);
    const why = `output file "${file.path}" of secret "${secret.name}"`;
    // The sink compares with the current file, writes a temp file beside it and renames it.
    add("write", dir, why);
    add("read", dir, why);
    if (
      (file.owner !== undefined && !/^\d+$/.test(file.owner)) ||
      (file.group !== undefined && !/^\d+$/.test(file.group))
    ) {
      for (const idFile of ID_FILES) add("read", idFile, `owner/group names of "${file.path}"`);
    }
  }
  for (const hook of secret.onChange) {
    const why = `on-change hook of secret "${secret.name}"`;
    if (hook.kind === "command") {
      add("run", hook.argv[0] ?? "", why);
      add("env", "PATH", `${why} (the command's PATH)`, true);
    } else if (hook.kind === "signal") {
      add("read", hook.pidFile, `${why} (pid file)`);
      // Deno.kill() is allowed only by an unrestricted --allow-run.
      add("run", "", `${why} (sending ${hook.signal})`);
    } else {
      const host = hostPort(hook.url);
      if (host !== undefined) add("net", host, why);
    }
  }
}

/** `host:port` of an http(s) URL, the port made explicit (Deno checks the effective port). */
export function hostPort(url: string): string | undefined {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return undefined;
  }
  const port = parsed.port !== ""
    ? parsed.port
    : parsed.protocol === "https:"
    ? "443"
    : parsed.protocol === "http:"
    ? "80"
    : "";
  return port === "" ? parsed.hostname : `${parsed.hostname}:${port}`;
}

function bracket(host: string): string {
  return host.includes(":") && !host.startsWith("[") ? `[${host}]` : host;
}

/** Whether a need for `outer` covers a need for `inner` of the same permission. */
export function covers(name: PermissionName, outer: string, inner: string): boolean {
  if (outer === "") return true;
  if (outer === inner) return true;
  if (name === "read" || name === "write") {
    return outer === "/" || inner.startsWith(outer.endsWith("/") ? outer : `${outer}/`);
  }
  if (name === "net") return !hasPort(outer) && inner.startsWith(`${outer}:`);
  return false;
}

function hasPort(host: string): boolean {
  return /:\d+$/.test(host) && (!host.startsWith("[") || host.includes("]:"));
}

const ORDER: readonly PermissionName[] = ["read", "write", "net", "env", "run", "sys"];

/** Whether another value in `values` covers `value`: linear in the value's length, not in `values`. */
function coveredByAnother(
  name: PermissionName,
  value: string,
  values: ReadonlySet<string>,
): boolean {
  const other = (outer: string) =>
    outer !== value && values.has(outer) && covers(name, outer, value);
  if (other("")) return true;
  const separator = name === "read" || name === "write" ? "/" : name === "net" ? ":" : undefined;
  if (separator === undefined) return false;
  if (separator === "/" && other("/")) return true;
  // covers() accepts only an outer value that ends at (or just after) a separator of `value`.
  for (let k = value.indexOf(separator); k !== -1; k = value.indexOf(separator, k + 1)) {
    if (other(value.slice(0, k)) || other(value.slice(0, k + 1))) return true;
  }
  return false;
}

function merge(needs: PermissionNeed[]): PermissionNeed[] {
  // Keyed lookups: a config with thousands of files has thousands of needs.
  const byKey = new Map<string, { need: PermissionNeed; whys: Set<string> }>();
  for (const need of needs) {
    const key = `${need.name}\0${need.value}`;
    const same = byKey.get(key);
    if (same) {
      // A set, joined once at the end: thousands of files in one directory share a need.
      same.whys.add(need.why);
      if (!need.optional) delete same.need.optional;
      continue;
    }
    byKey.set(key, { need: { ...need }, whys: new Set([need.why]) });
  }
  const out = [...byKey.values()].map(({ need, whys }) => {
    need.why = [...whys].join("; ");
    return need;
  });
  const values = new Map<PermissionName, Set<string>>();
  for (const need of out) {
    let set = values.get(need.name);
    if (set === undefined) values.set(need.name, set = new Set());
    set.add(need.value);
  }
  const kept = out.filter((need) =>
    !coveredByAnother(need.name, need.value, values.get(need.name)!)
  );
  return kept.sort((a, b) =>
    ORDER.indexOf(a.name) - ORDER.indexOf(b.name) ||
    (a.value < b.value ? -1 : a.value > b.value ? 1 : 0)
  );
}

/**
 * Formats needs as Deno flags on one line, e.g.
 * `--allow-read=/etc/app.yaml,/data --allow-write=/data --allow-net=vault:8200 --allow-env=VAULT_ADDR`.
 *
 * @throws {RangeError} when a value contains a comma or whitespace (it cannot be written as a
 * flag list).
 */
export function formatPermissionFlags(needs: readonly PermissionNeed[]): string {
  const flags: string[] = [];
  for (const name of ORDER) {
    const mine = needs.filter((n) => n.name === name);
    if (mine.length === 0) continue;
    if (mine.some((n) => n.value === "")) {
      flags.push(`--allow-${name}`);
      continue;
    }
    for (const need of mine) {
      if (/[,\s]/.test(need.value)) {
        throw new RangeError(
          `Cannot write --allow-${name} for "${need.value}": commas and whitespace are not supported in permission values`,
        );
      }
    }
    flags.push(`--allow-${name}=${mine.map((n) => n.value).join(",")}`);
  }
  return flags.join(" ");
}
