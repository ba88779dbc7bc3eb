/**
 * Checks around the start of `run`/`once` (and `validate`, and every reload), before anything
 * contacts Vault: {@linkcode preflight} finds what the running process lacks for its config,
 * {@linkcode checkPlanFiles} reads and parses the files the config names, and
 * {@linkcode revokeUnneeded} gives back what the config does not use.
 *
 * @module
 */
import {
  type ConfigIssue,
  type PermissionNeed,
  type Plan,
  requiredPermissions,
  type TlsFileField,
  type ValueSource,
} from "../config/mod.ts";
import { FileSink, type FsAdapter } from "../sink/mod.ts";
import { checkJwtFile, checkTlsFiles, type CredentialFs, type TlsFiles } from "../vault/mod.ts";

/** Asks about one permission without prompting. */
export type PermissionQuery = (desc: Deno.PermissionDescriptor) => Promise<Deno.PermissionStatus>;

/** Options of {@linkcode preflight}. */
export interface PreflightOptions {
  /** The config file's path. */
  configPath: string;
  /** @default Deno.permissions.query */
  query?: PermissionQuery;
  /** The command about to run (`once` needs no listener, status file or watch). @default "run" */
  command?: "run" | "once";
}

/** The descriptor Deno checks for a need. */
export function descriptorOf(need: PermissionNeed): Deno.PermissionDescriptor {
  switch (need.name) {
    case "read":
      return { name: "read", path: need.value };
    case "write":
      return { name: "write", path: need.value };
    case "net":
      return { name: "net", host: need.value };
    case "env":
      return { name: "env", variable: need.value };
    case "run":
      return need.value === "" ? { name: "run" } : { name: "run", command: need.value };
    case "sys":
      return { name: "sys", kind: need.value as NonNullable<Deno.SysPermissionDescriptor["kind"]> };
  }
}

/** The flag that grants a need, e.g. `--allow-write=/data` or `--allow-run`. */
export function flagOf(need: PermissionNeed): string {
  return need.value === "" ? `--allow-${need.name}` : `--allow-${need.name}=${need.value}`;
}

/** One line saying what cannot be done and which flag is missing. */
export function gapMessage(need: PermissionNeed): string {
  const lacks = `the process lacks ${flagOf(need)}`;
  const v = JSON.stringify(need.value);
  switch (need.name) {
    case "read":
      return `Cannot read ${v} (${need.why}): ${lacks}`;
    case "write":
      return `Cannot write in ${v} (${need.why}): ${lacks}`;
    case "net":
      return need.why.startsWith("metrics")
        ? `Cannot listen on ${v} (${need.why}): ${lacks}`
        : `Cannot connect to ${v} (${need.why}): ${lacks}`;
    case "env":
      return `Cannot read environment variable ${v} (${need.why}): ${lacks}`;
    case "run":
      return need.value === ""
        ? `Cannot send signals (${need.why}): ${lacks}`
        : `Cannot run ${v} (${need.why}): ${lacks}`;
    case "sys":
      return `Cannot read system information ${v} (${need.why}): ${lacks}`;
  }
}

/**
 * Checks, without prompting, every permission `plan` needs and returns one message per gap
 * (`Cannot write in "/data" (output file "/data/app.env" of secret "db"): the process lacks
 * --allow-write=/data`). Empty means everything is granted. Optional needs are not checked.
 *
 * @example
 * ```ts
 * const gaps = await preflight(plan, { configPath });
 * if (gaps.length > 0) { for (const gap of gaps) console.error(gap); return 2; }
 * ```
 */
export async function preflight(plan: Plan, options: PreflightOptions): Promise<string[]> {
  const { configPath, query = (desc) => Deno.permissions.query(desc), command = "run" } = options;
  const needs = requiredPermissions(plan, { configPath, watch: plan.settings.watch, command });
  const gaps: string[] = [];
  for (const need of needs) {
    if (need.optional) continue;
    let state: Deno.PermissionState;
    try {
      state = (await query(descriptorOf(need))).state;
    } catch {
      state = "denied"; // a descriptor Deno rejects cannot be granted either
    }
    if (state !== "granted") gaps.push(gapMessage(need));
  }
  return gaps;
}

/** Options of {@linkcode revokeUnneeded}. */
export interface RevokeUnneededOptions {
  /** Whether the config file is watched (reloads read the environment). */
  watch: boolean;
  /** Whether SIGHUP can reload the config (it reads the environment too). @default true */
  reloadOnSignal?: boolean;
  /** @default Deno.permissions.revoke */
  revoke?: (desc: Deno.PermissionDescriptor) => Promise<Deno.PermissionStatus>;
  /** @default Deno.permissions.query */
  query?: PermissionQuery;
}

/**
 * Gives back, after start, the permissions the running config cannot need: `run` when no hook
 * runs a command or sends a signal, `sys` (nothing in the program reads system information), and
 * `env` when no reload can happen (no watching and no SIGHUP reloads: a reload expands `${VAR}`s,
 * and the yaml parser reads LOG_TOKENS). Returns the flags it revoked, e.g. `["--allow-run"]`.
 * Never throws: a permission that cannot be revoked is left alone.
 *
 * A Deno permission granted wholesale (`--allow-read`) cannot be narrowed, only dropped, so
 * read/write/net stay as granted.
 */
export async function revokeUnneeded(
  plan: Plan,
  options: RevokeUnneededOptions,
): Promise<string[]> {
  const {
    watch,
    reloadOnSignal = true,
    revoke = (desc) => Deno.permissions.revoke(desc),
    query = (desc) => Deno.permissions.query(desc),
  } = options;
  const hooks = plan.secrets.flatMap((s) => s.onChange);
  const candidates: Deno.PermissionDescriptor[] = [];
  // With watching, a reload may add hooks: they would need `run`, so keep it.
  if (!watch && !hooks.some((h) => h.kind === "command" || h.kind === "signal")) {
    candidates.push({ name: "run" });
  }
  candidates.push({ name: "sys" });
  if (!watch && !reloadOnSignal) candidates.push({ name: "env" });

  const revoked: string[] = [];
  for (const desc of candidates) {
    try {
      const before = (await query(desc)).state;
      // Revoked even when only partly granted (`--allow-run=cmd` queries as "prompt").
      const after = (await revoke(desc)).state;
      if (before === "granted" && after !== "granted") revoked.push(`--allow-${desc.name}`);
    } catch {
      // Not revocable here: keep it.
    }
  }
  return revoked;
}

/** Options of {@linkcode checkPlanFiles}. */
export interface CheckPlanFilesOptions {
  /** File access for TLS files (tests). @default Deno's */
  tlsFiles?: TlsFiles;
  /** File access for output files, passwd and group (tests). @default Deno's */
  fs?: FsAdapter;
}

const TLS_KEYS: Record<TlsFileField, string> = {
  caCert: "secretStore.tlsCACert",
  caPath: "secretStore.tlsCAPath",
  clientCert: "secretStore.tlsClientCert",
  clientKey: "secretStore.tlsClientKey",
};

/**
 * Checks on this machine what the config names and must work before the first sync: reads and
 * parses every CA certificate, the client certificate and key; resolves each output file's owner
 * and group; checks that its directory exists (or `createDirs` can make it) and takes a new file
 * (one empty temp file is created and removed there). Returns each problem as a config issue at
 * the key (or environment variable) that set the value:
 * `/etc/ss.yaml:4:14: secretStore.tlsCACert: Cannot load CA certificate "/ca.pem": no such file`.
 * Contacts nobody. What the process has no permission for is left to {@linkcode preflight}.
 *
 * Needs `--allow-read` for those files, `--allow-write` for the output directories.
 */
export async function checkPlanFiles(
  plan: Plan,
  options: CheckPlanFilesOptions = {},
): Promise<ConfigIssue[]> {
  const issues: ConfigIssue[] = [];
  const tlsOptions = options.tlsFiles ? { files: options.tlsFiles } : {};
  for (const problem of checkTlsFiles(plan.store.tls, tlsOptions)) {
    const source = plan.sources?.tls[problem.field] ?? unplaced(TLS_KEYS[problem.field]);
    issues.push({ file: plan.file, ...source, message: problem.message });
  }
  const files = plan.secrets.flatMap((s) => s.files);
  const sink = new FileSink(options.fs ? { fs: options.fs } : {});
  for (const problem of await sink.check(files)) {
    const source = plan.sources?.files[problem.path]?.[problem.field] ??
      unplaced(fileKey(plan, problem.path, problem.field));
    issues.push({ file: plan.file, ...source, message: problem.message });
  }
  // In file order; values from environment variables (no position) last.
  const rank = (issue: ConfigIssue) => issue.line === 0 ? Number.MAX_SAFE_INTEGER : issue.line;
  return issues.sort((a, b) => rank(a) - rank(b) || a.column - b.column);
}

/** Options of {@linkcode checkJwtFiles}. */
export interface CheckJwtFilesOptions {
  /** Current time, ms since the epoch. */
  nowMs: number;
  /** @default Deno.permissions.query */
  query?: PermissionQuery;
  /** @default Deno's file system */
  fs?: CredentialFs;
}

/**
 * Reads the `jwtFile` of every JWT or Kubernetes credential set and reports one that cannot be
 * read, holds no JWT, or holds an expired one, at the key that set it (for `kubernetes` without
 * `jwtFile`, at `authMethod`). A file the process may not read is left to {@linkcode preflight}.
 * Not a start-up check: the file may be written after the sidecar starts (the login retries).
 *
 * Needs `--allow-read` for those files.
 */
export async function checkJwtFiles(
  plan: Plan,
  options: CheckJwtFilesOptions,
): Promise<ConfigIssue[]> {
  const { nowMs, query = (desc) => Deno.permissions.query(desc), fs } = options;
  const issues: ConfigIssue[] = [];
  for (const [name, auth] of Object.entries(plan.credentials)) {
    if (auth.method !== "jwt" && auth.method !== "kubernetes") continue;
    try {
      if ((await query({ name: "read", path: auth.jwtFile })).state !== "granted") continue;
    } catch {
      continue;
    }
    const message = await checkJwtFile(auth.jwtFile, { nowMs, ...(fs ? { fs } : {}) });
    if (message === undefined) continue;
    const key = name === "default"
      ? "secretStore.jwtFile"
      : `secretStore.credentials.${name}.jwtFile`;
    const source = plan.sources?.jwtFiles?.[name] ?? unplaced(key);
    issues.push({ file: plan.file, ...source, message });
  }
  return issues;
}

/** `secrets[i].files[j].field` of the file at `path` (for plans built without sources). */
function fileKey(plan: Plan, path: string, field: string): string {
  for (const [i, secret] of plan.secrets.entries()) {
    const j = secret.files.findIndex((f) => f.path === path);
    if (j >= 0) return `secrets[${i}].files[${j}].${field}`;
  }
  return field;
}

function unplaced(key: string): ValueSource {
  return { key, line: 0, column: 0 };
}
