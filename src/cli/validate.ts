/**
 * `validate`: checks a config without running it and reports every problem at once, each as
 * `file:line:column: key: message` — schema, `${VAR}`s, durations, modes, duplicate outputs,
 * template syntax (at its place in the file), every CA certificate, client certificate and key
 * (read and parsed), every JWT file (readable, a JWT, not expired), and whether this process's Deno permissions cover the config. `--online` also logs in and reads and renders each secret once, writing nothing.
 *
 * @module
 */
import {
  ConfigError,
  type ConfigIssue,
  formatConfigIssue,
  formatKeyPath,
  loadConfig,
  locateYaml,
  type Plan,
  type SecretPlan,
  type TemplatePlan,
} from "../config/mod.ts";
import { Redactor } from "../observe/mod.ts";
import { type Clock, SYSTEM_CLOCK, timeoutSignal } from "../resilience/mod.ts";
import { Runtime, Syncer, type SyncResult, vaultCallsOf } from "../sync/mod.ts";
import { parse, TemplateError } from "../template/mod.ts";
import { checkJwtFiles, checkPlanFiles, type PermissionQuery, preflight } from "./_preflight.ts";
import { isUnreadableConfig, reportLoadError } from "./_start_up.ts";

/** Options of {@linkcode validateCommand}. */
export interface ValidateCommandOptions {
  configPath: string;
  env: (name: string) => string | undefined;
  /** Also log in and read (and render) every secret once, writing nothing. @default false */
  online?: boolean;
  /** Receives the result lines. */
  out: (line: string) => void;
  /** Receives the problems. */
  err: (line: string) => void;
  /** @default Deno.permissions.query */
  query?: PermissionQuery;
  clock?: Clock;
  /** Bound on the whole online check, ms. @default 60000 */
  onlineTimeoutMs?: number;
}

/** A template found in the config text, with where its source starts. */
interface FoundTemplate {
  secretIndex: number;
  name: string;
  source: string;
  line?: number;
  column?: number;
}

/**
 * Validates the config. Exit code: 0 valid, 1 invalid (or, online, a secret failed), 2 the file
 * cannot be read.
 *
 * Permissions: `--allow-read` for the config, `--allow-env`; with `online`, `--allow-net` for
 * the store and `--allow-read` for credential/TLS files.
 */
export async function validateCommand(options: ValidateCommandOptions): Promise<number> {
  const { configPath, env, online = false, out, err } = options;
  let text = "";
  let file = configPath;
  let plan: Plan | undefined;
  const issues: ConfigIssue[] = [];
  try {
    plan = await loadConfig(configPath, {
      env,
      readTextFile: async (path) => {
        file = path;
        text = await Deno.readTextFile(path);
        return text;
      },
    });
  } catch (error) {
    if (!(error instanceof ConfigError) || isUnreadableConfig(error)) {
      return reportLoadError(error, err);
    }
    issues.push(...error.issues);
  }

  const templates = plan ? templatesOfPlan(plan) : templatesOfText(text);
  issues.push(...templateIssues(file, templates));
  if (plan) {
    issues.push(...await checkPlanFiles(plan));
    const nowMs = (options.clock ?? SYSTEM_CLOCK).now();
    issues.push(...await checkJwtFiles(plan, { nowMs, ...queryOption(options) }));
  }
  // By position; issues without one (environment variables) last.
  const rank = (issue: ConfigIssue) => issue.line === 0 ? Number.MAX_SAFE_INTEGER : issue.line;
  issues.sort((a, b) => rank(a) - rank(b) || a.column - b.column);
  const gaps = plan ? await preflight(plan, { configPath: file, ...queryOption(options) }) : [];

  if (issues.length > 0 || gaps.length > 0) {
    for (const issue of issues) err(formatConfigIssue(issue));
    for (const gap of gaps) err(`${file}: ${gap}`);
    const count = issues.length + gaps.length;
    const unset = [...new Set(issues.map((issue) => issue.unsetVariable))];
    if (gaps.length === 0 && !unset.includes(undefined)) {
      // Only variables are missing (as with `init`'s config): say which, and nothing else.
      const names = unset as string[];
      err(
        `Invalid configuration: set ${joinAnd(names)} (the config expands ${
          names.length === 1 ? "it" : "them"
        }), then validate again`,
      );
    } else err(`Invalid configuration: ${count} problem${count === 1 ? "" : "s"} found`);
    return 1;
  }
  const valid = plan!;
  const files = valid.secrets.reduce((n, s) => n + s.files.length, 0);
  out(`Valid configuration "${file}": ${valid.secrets.length} secret(s), ${files} file(s)`);
  if (!online) return 0;
  return await checkOnline(valid, options);
}

/** `A`, `A and B`, `A, B and C`. */
function joinAnd(items: readonly string[]): string {
  return items.length <= 1
    ? items.join("")
    : `${items.slice(0, -1).join(", ")} and ${items[items.length - 1]}`;
}

function queryOption(options: ValidateCommandOptions): { query?: PermissionQuery } {
  return options.query ? { query: options.query } : {};
}

function templatesOfPlan(plan: Plan): FoundTemplate[] {
  return plan.secrets.flatMap((secret, secretIndex) =>
    secret.templates.map((t: TemplatePlan) => {
      const found: FoundTemplate = { secretIndex, name: t.name, source: t.source };
      if (t.line !== undefined) found.line = t.line;
      if (t.column !== undefined) found.column = t.column;
      return found;
    })
  );
}

/** Finds templates in config text that did not make a Plan, so their errors show too. */
function templatesOfText(text: string): FoundTemplate[] {
  const { data, locator } = locateYaml(text);
  const secrets = (data as { secrets?: unknown } | undefined)?.secrets;
  if (!Array.isArray(secrets)) return [];
  const found: FoundTemplate[] = [];
  secrets.forEach((secret, secretIndex) => {
    const templates = (secret as { template?: { data?: unknown } } | null)?.template?.data;
    if (!templates || typeof templates !== "object") return;
    const path = ["secrets", secretIndex, "template", "data"];
    for (const name of locator.keys(path) ?? []) {
      const source = (templates as Record<string, unknown>)[name];
      if (typeof source !== "string") continue;
      const { line, column } = locator.position([...path, name], "content");
      found.push({ secretIndex, name, source, line, column });
    }
  });
  return found;
}

/** Parses each template; a parse error becomes an issue at its place in the config file. */
function templateIssues(file: string, templates: readonly FoundTemplate[]): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  for (const t of templates) {
    try {
      vaultCallsOf(parse(t.source, { name: t.name }));
    } catch (error) {
      if (!(error instanceof TemplateError)) throw error;
      const key = formatKeyPath(["secrets", t.secretIndex, "template", "data", t.name]);
      const { line, column } = filePosition(t, error);
      issues.push({
        file,
        line,
        column,
        key,
        message: `Template does not parse: ${error.message}`,
      });
    }
  }
  return issues;
}

/**
 * Maps a position inside a template to the config file: lines add up; a block scalar's lines
 * all start at the column of its first character, so columns add up from there too.
 */
function filePosition(t: FoundTemplate, error: TemplateError): { line: number; column: number } {
  if (t.line === undefined || t.column === undefined) return { line: 0, column: 0 };
  const line = error.line > 0 ? t.line + error.line - 1 : t.line;
  const column = error.column > 0 ? t.column + error.column - 1 : t.column;
  return { line, column };
}

/** Logs in and reads and renders every secret once; writes no file and runs no hook. */
async function checkOnline(plan: Plan, options: ValidateCommandOptions): Promise<number> {
  const { out, err, clock = SYSTEM_CLOCK, onlineTimeoutMs = 60_000 } = options;
  const redactor = new Redactor();
  const timeout = timeoutSignal(onlineTimeoutMs, {
    clock,
    reason: () => new Error("validate --online: timeout"),
  });
  // The clients of a real run, and a syncer whose sink writes nothing: a dry run.
  const runtime = new Runtime(plan, { redactor, clock });
  const syncer = new Syncer({
    reader: (name) => runtime.client(name),
    sink: {
      write: () => Promise.resolve("unchanged"),
      remove: () => Promise.resolve("absent"),
    },
    runHooks: () => Promise.resolve([]),
    clock,
  });
  let failures = 0;
  try {
    runtime.startClients(timeout.signal);
    for (const secret of plan.secrets) {
      // A refused connection or a rejected token is known as soon as the server answers.
      await runtime.awaitLogin(secret.credentials, timeout.signal);
      const dryRun: SecretPlan = {
        ...secret,
        missingKey: "error",
        onMissing: "keep",
        onChange: [],
      };
      const result: SyncResult = await syncer.sync(dryRun, timeout.signal);
      if (result.status === "ok") {
        out(`Secret "${secret.name}": read and rendered ${result.files.length} file(s)`);
      } else {
        failures++;
        err(
          `Secret "${secret.name}": cannot ${result.stage}: ${
            redactor.redact(result.error.message)
          }`,
        );
      }
    }
  } finally {
    timeout.dispose();
    runtime.close();
  }
  if (failures > 0) {
    err(`Online check failed for ${failures} of ${plan.secrets.length} secret(s)`);
    return 1;
  }
  out("Online check passed: every secret was read and rendered (nothing written)");
  return 0;
}
