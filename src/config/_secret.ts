/**
 * One `secrets[]` entry → {@linkcode SecretPlan}: inheritance from the store, durations, the
 * template → file mapping (explicit `template`, else YAML order), modes, hooks.
 *
 * @module
 */

import type {
  FilePlan,
  HookPlan,
  KvVersion,
  SecretPlan,
  TemplatePlan,
  ValueSource,
} from "./plan.ts";
import type { FileInput, HookInput, SecretInput } from "./seed_schema.ts";
import { configPath, type PlanContext, sourceAt } from "./_context.ts";
import { parseFileMode } from "./file_mode.ts";
import { formatDuration } from "./duration.ts";
import { hasParentSegment } from "./paths.ts";
import { trimSlashes } from "./paths.ts";
import { didYouMean } from "./_suggest.ts";
import type { KeyPath } from "./source_locator.ts";
import { SECRET_DEFAULTS } from "./defaults.ts";

/** What a secret inherits and must match against. */
export interface SecretScope {
  kvVersion: KvVersion;
  mountPath: string;
  /** Names of the credential sets (including "default"). */
  credentialNames: string[];
}

/** Signals a hook may send. */
export const HOOK_SIGNALS: readonly Deno.Signal[] = [
  "SIGHUP",
  "SIGINT",
  "SIGQUIT",
  "SIGTERM",
  "SIGUSR1",
  "SIGUSR2",
  "SIGWINCH",
  "SIGCONT",
  "SIGSTOP",
  "SIGTSTP",
  "SIGALRM",
  "SIGKILL",
];

const OWNER = /^(?:[A-Za-z_][A-Za-z0-9_.-]*\$?|\d+)$/;

/**
 * True when a template of `input` calls `secret` or `pkiCert` in an action (the template engine
 * checks the calls themselves when it parses them).
 */
function callsVault(input: SecretInput): boolean {
  const data = input.template?.data ?? {};
  return Object.values(data).some((source) =>
    typeof source === "string" && /\{\{-?\s*[^}]*\b(?:secret|pkiCert)\s+["`]/.test(source)
  );
}

/** Resolves one secret; returns `undefined` when it has problems (they are in `ctx.issues`). */
export function resolveSecret(
  ctx: PlanContext,
  input: SecretInput,
  path: KeyPath,
  scope: SecretScope,
): SecretPlan | undefined {
  const before = ctx.issues.size;

  if (input.key !== undefined && input.path !== undefined) {
    ctx.issues.add([...path, "path"], "Give either key or path (its older name), not both", "key");
  }
  const rawKey = input.key ?? input.path;
  const keyField = input.key !== undefined ? "key" : "path";
  let key: string | undefined;
  if (rawKey === undefined) {
    if (!callsVault(input)) {
      ctx.issues.add(
        path,
        'Required: key (the secret\'s path inside the mount, e.g. "app/db"), unless its ' +
          'templates read everything with {{ secret "path" }} or pkiCert',
      );
    }
  } else {
    key = trimSlashes(rawKey);
    if (key === "" || key.split("/").some((s) => s === ".." || s === ".")) {
      ctx.issues.add(
        [...path, keyField],
        `Invalid key "${rawKey}": "." and ".." segments are not allowed`,
      );
    }
  }
  const mountPath = trimSlashes(input.mountPath ?? scope.mountPath);
  if (mountPath === "" || mountPath.split("/").includes("..")) {
    ctx.issues.add([...path, "mountPath"], `Invalid mountPath "${input.mountPath ?? ""}"`);
  }
  const kvVersion = input.kvVersion ?? scope.kvVersion;
  if (input.version !== undefined && kvVersion === 1) {
    ctx.issues.add([...path, "version"], "A pinned version needs KV v2 (kvVersion is v1)");
  }

  const credentials = input.credentials ?? "default";
  if (!scope.credentialNames.includes(credentials)) {
    ctx.issues.add(
      [...path, "credentials"],
      unknownCredentialsMessage(credentials, scope.credentialNames),
    );
  }

  const refreshIntervalMs = input.refreshInterval ?? SECRET_DEFAULTS.refreshIntervalMs;
  if (refreshIntervalMs < SECRET_DEFAULTS.minRefreshIntervalMs) {
    ctx.issues.add(
      [...path, "refreshInterval"],
      `Must be at least ${formatDuration(SECRET_DEFAULTS.minRefreshIntervalMs)}`,
    );
  }
  const maxStalenessMs = input.maxStaleness ??
    refreshIntervalMs * SECRET_DEFAULTS.stalenessIntervals;
  if (input.maxStaleness !== undefined && maxStalenessMs < refreshIntervalMs) {
    ctx.issues.add(
      [...path, "maxStaleness"],
      "Must not be less than refreshInterval (readiness would flap between refreshes)",
    );
  }

  const templates = resolveTemplates(ctx, input, path);
  const files = resolveFiles(ctx, input.files, [...path, "files"], templates);
  const onChange = (input.onChange ?? []).flatMap((hook, index) => {
    const plan = resolveHook(ctx, hook, [...path, "onChange", index]);
    return plan === undefined ? [] : [plan];
  });

  if (ctx.issues.size > before) return undefined;
  const plan: SecretPlan = {
    name: input.name,
    mountPath,
    kvVersion,
    credentials,
    refreshIntervalMs,
    jitter: input.jitter ?? SECRET_DEFAULTS.jitter,
    maxStalenessMs,
    templates,
    files,
    missingKey: input.missingKey ?? "error",
    onMissing: input.onMissing ?? "keep",
    deleteOnRemove: input.deleteOnRemove ?? false,
    onChange,
    revokeOnStop: input.revokeOnStop ?? false,
  };
  if (key !== undefined) plan.key = key;
  // "" is the root namespace on purpose; absent inherits the store's (the seed mixed these up).
  if (input.namespace !== undefined) plan.namespace = input.namespace;
  if (input.version !== undefined) plan.version = input.version;
  return plan;
}

/** The message for a secret naming a credential set that does not exist. */
export function unknownCredentialsMessage(
  name: string,
  credentialNames: readonly string[],
): string {
  const known = credentialNames.filter((n) => n !== "default");
  return `Unknown credential set "${name}"${didYouMean(name, known)}; ${
    known.length === 0
      ? "secretStore.credentials defines none"
      : `defined: ${known.map((n) => `"${n}"`).join(", ")}`
  }`;
}

function resolveTemplates(ctx: PlanContext, input: SecretInput, path: KeyPath): TemplatePlan[] {
  const dataPath = [...path, "template", "data"];
  const data = input.template.data;
  // YAML order, read from the document: JS objects put integer-like keys first.
  const written = ctx.locator.keys(dataPath) ?? [];
  const merged = Object.keys(data).filter((name) => !written.includes(name));
  // A `<<: *anchor` merge key stands for the merged entries, at its place.
  const order = written.flatMap((name) =>
    name === "<<" && !Object.hasOwn(data, "<<") ? merged : Object.hasOwn(data, name) ? [name] : []
  );
  for (const name of merged) if (!order.includes(name)) order.push(name);
  if (order.length === 0) ctx.issues.add(dataPath, "Give at least one template");
  return order.flatMap((name): TemplatePlan[] => {
    const source = data[name];
    if (source === undefined) return [];
    const { line, column } = ctx.locator.position([...dataPath, name], "content");
    const template: TemplatePlan = { name, source };
    if (line > 0) {
      template.line = line;
      template.column = column;
    }
    return [template];
  });
}

function resolveFiles(
  ctx: PlanContext,
  inputs: FileInput[],
  path: KeyPath,
  templates: TemplatePlan[],
): FilePlan[] {
  const names = templates.map((t) => t.name);
  const used = new Set<string>();
  const files = inputs.flatMap((input, index): FilePlan[] => {
    const at = [...path, index];
    let ok = true;
    let template = input.template;
    if (template !== undefined) {
      if (!names.includes(template)) {
        ok = false;
        ctx.issues.add(
          [...at, "template"],
          `No template "${template}" in template.data${didYouMean(template, names)}`,
        );
      }
    } else {
      template = names[index];
      if (template === undefined && names.length > 0) {
        ok = false;
        ctx.issues.add(
          at,
          `File ${index + 1} has no template: template.data has ${names.length} entr${
            names.length === 1 ? "y" : "ies"
          } and files map to them in order; set "template:" to pick one`,
        );
      }
    }
    if (template !== undefined) used.add(template);

    const filePath = resolveOutputPath(ctx, input.path, [...at, "path"]);
    let mode: number = SECRET_DEFAULTS.fileMode;
    if (input.mode !== undefined) {
      try {
        mode = parseFileMode(input.mode);
      } catch (error) {
        ok = false;
        ctx.issues.add([...at, "mode"], (error as Error).message);
      }
    }
    for (const field of ["owner", "group"] as const) {
      const value = input[field];
      if (value !== undefined && !OWNER.test(value)) {
        ok = false;
        ctx.issues.add(
          [...at, field],
          `Invalid ${field} "${value}": expected a name or a numeric id`,
        );
      }
    }
    if (!ok || filePath === undefined || template === undefined) return [];
    const plan: FilePlan = {
      path: filePath,
      template,
      mode,
      writeMode: input.writeMode ?? "rename",
      createDirs: input.createDirs ?? false,
    };
    if (input.owner !== undefined) plan.owner = input.owner;
    if (input.group !== undefined) plan.group = input.group;
    if (ctx.sources !== undefined) {
      const sources: Partial<Record<"path" | "owner" | "group", ValueSource>> = {
        path: sourceAt(ctx, [...at, "path"]),
      };
      if (input.owner !== undefined) sources.owner = sourceAt(ctx, [...at, "owner"]);
      if (input.group !== undefined) sources.group = sourceAt(ctx, [...at, "group"]);
      ctx.sources.files[filePath] = sources;
    }
    return [plan];
  });
  if (files.length === inputs.length) {
    for (const name of names) {
      if (!used.has(name)) {
        ctx.issues.add(
          [...path.slice(0, -1), "template", "data", name],
          `Template "${name}" is not written to any file; add a file with template: "${name}"`,
          "key",
        );
      }
    }
  }
  return files;
}

function resolveOutputPath(ctx: PlanContext, raw: string, path: KeyPath): string | undefined {
  if (raw.includes("\0")) {
    ctx.issues.add(path, "Invalid path: contains a NUL character");
    return undefined;
  }
  if (hasParentSegment(raw)) {
    ctx.issues.add(path, `Invalid path "${raw}": ".." segments are not allowed`);
    return undefined;
  }
  if (raw.endsWith("/")) {
    ctx.issues.add(path, `Invalid path "${raw}": names a directory, not a file`);
    return undefined;
  }
  return configPath(ctx, raw);
}

function resolveHook(ctx: PlanContext, input: HookInput, path: KeyPath): HookPlan | undefined {
  const kinds = (["command", "signal", "http"] as const).filter((k) => input[k] !== undefined);
  if (kinds.length !== 1) {
    ctx.issues.add(
      path,
      kinds.length === 0
        ? "A hook needs one of command, signal or http"
        : `A hook has exactly one of command, signal or http; this one has ${kinds.join(" and ")}`,
    );
    return undefined;
  }
  const timeout = input.timeout;
  if (timeout !== undefined && timeout <= 0) {
    ctx.issues.add([...path, "timeout"], "Must be more than 0s");
    return undefined;
  }
  if (input.command !== undefined) {
    return {
      kind: "command",
      argv: input.command,
      timeoutMs: timeout ?? SECRET_DEFAULTS.commandTimeoutMs,
    };
  }
  if (input.signal !== undefined) {
    const raw = input.signal.signal ?? SECRET_DEFAULTS.signal;
    const name = (raw.toUpperCase().startsWith("SIG")
      ? raw.toUpperCase()
      : `SIG${raw.toUpperCase()}`) as Deno.Signal;
    if (!HOOK_SIGNALS.includes(name)) {
      ctx.issues.add(
        [...path, "signal", "signal"],
        `Unknown signal "${raw}"${didYouMean(name, HOOK_SIGNALS)}`,
      );
      return undefined;
    }
    return { kind: "signal", pidFile: configPath(ctx, input.signal.pidFile), signal: name };
  }
  const http = input.http!;
  let url: URL | undefined;
  try {
    url = new URL(http.url);
  } catch {
    url = undefined;
  }
  if (url === undefined || (url.protocol !== "http:" && url.protocol !== "https:")) {
    ctx.issues.add(
      [...path, "http", "url"],
      'Invalid url: expected an http(s) URL like "http://127.0.0.1:9000/reload"',
    );
    return undefined;
  }
  const method = (http.method ?? SECRET_DEFAULTS.httpMethod).toUpperCase();
  if (!/^[A-Z]+$/.test(method)) {
    ctx.issues.add([...path, "http", "method"], `Invalid method "${http.method}"`);
    return undefined;
  }
  if (http.timeout !== undefined && timeout !== undefined) {
    ctx.issues.add(
      [...path, "http", "timeout"],
      "Give the timeout once (here or on the hook)",
      "key",
    );
    return undefined;
  }
  return {
    kind: "http",
    url: http.url,
    method,
    timeoutMs: http.timeout ?? timeout ?? SECRET_DEFAULTS.httpTimeoutMs,
  };
}
