/**
 * On-change hooks: run a command, signal a process, or call a URL after a secret's files changed.
 * Every hook is bounded in time and its failure is a value, so a hook never blocks other secrets.
 *
 * @module
 */
import { getLogger } from "@logtape/logtape";
import type { HookPlan } from "../config/mod.ts";
import { type Clock, SYSTEM_CLOCK, timeoutSignal } from "../resilience/mod.ts";
import { readBounded } from "./_read_bounded.ts";
import { describeOsError, isNotPermitted } from "./sink_error.ts";

const log = getLogger(["secrets-sync", "sink", "hooks"]);

/** Bytes of stdout and of stderr kept from a command hook. */
export const MAX_HOOK_OUTPUT_BYTES = 16 * 1024;
/** Characters of hook output put into a log record. */
const LOGGED_OUTPUT_CHARS = 1024;
/** PATH given to command hooks when the process has none (or may not read it). */
const FALLBACK_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
/** Largest pid Linux hands out (PID_MAX_LIMIT). */
const MAX_PID = 4_194_304;

/** Outcome of one hook. */
export interface HookResult {
  kind: HookPlan["kind"];
  status: "ok" | "failed" | "timeout";
  durationMs: number;
  /** Why it failed; names the hook, never secret values. */
  error?: string;
}

/** Options of a {@linkcode SpawnFn}. */
export interface SpawnOptions {
  /** The complete environment of the child (nothing else is inherited). */
  env: Record<string, string>;
  /** Kills the child (SIGKILL) when it aborts. */
  signal: AbortSignal;
  /** Bytes of stdout and of stderr to keep. */
  maxOutputBytes: number;
}

/** What a finished command reported. */
export interface SpawnResult {
  /** Exit code (128 + n when killed by a signal). */
  code: number;
  /** The signal that ended it, if any. */
  signal: Deno.Signal | null;
  /** True when the child was killed because `signal` aborted before it exited. */
  killed: boolean;
  stdout: string;
  stderr: string;
}

/** Starts `argv` without a shell and waits for it. */
export type SpawnFn = (argv: string[], options: SpawnOptions) => Promise<SpawnResult>;

/** Options of {@linkcode runHooks}. */
export interface RunHooksOptions {
  /** Name of the secret whose files changed; given to hooks (env, header) and logs. */
  secret: string;
  /** Stops running hooks; the rest are reported as failed. */
  signal?: AbortSignal;
  /** @default globalThis.fetch */
  fetch?: typeof fetch;
  /** Times hooks and drives their timeouts. @default SYSTEM_CLOCK */
  clock?: Clock;
  /** @default spawnCommand (Deno.Command) */
  spawn?: SpawnFn;
}

/**
 * Runs `hooks` in order and reports each outcome. Never throws and never retries: a hook that
 * fails is reported (and logged) once; the next change runs it again.
 *
 * Command hooks run without a shell and with a minimal environment: `PATH` (the sidecar's own)
 * and `SECRETS_SYNC_SECRET` (the secret's name) only — never the sidecar's Vault variables.
 *
 * Permissions: `--allow-run` for command and signal hooks, `--allow-read` on pid files,
 * `--allow-net` for http hooks, `--allow-env=PATH` (optional).
 *
 * @example
 * ```ts
 * const results = await runHooks(secret.onChange, { secret: secret.name });
 * ```
 */
export async function runHooks(
  hooks: HookPlan[],
  options: RunHooksOptions,
): Promise<HookResult[]> {
  const {
    secret,
    signal,
    fetch: fetchFn = globalThis.fetch,
    clock = SYSTEM_CLOCK,
    spawn = spawnCommand,
  } = options;
  const results: HookResult[] = [];
  for (const hook of hooks) {
    const started = clock.now();
    let outcome: Omit<HookResult, "durationMs">;
    if (signal?.aborted) {
      outcome = { kind: hook.kind, status: "failed", error: `${cannot(hook)}: aborted` };
    } else {
      try {
        outcome = await runHook(hook, { secret, signal, fetchFn, clock, spawn });
      } catch (err) {
        // Defensive: runHook turns failures into values; this catches the unexpected.
        outcome = { kind: hook.kind, status: "failed", error: `${cannot(hook)}: ${reasonOf(err)}` };
      }
    }
    const result: HookResult = { ...outcome, durationMs: Math.max(0, clock.now() - started) };
    const properties = {
      secret,
      hook: describeHook(hook),
      status: result.status,
      durationMs: result.durationMs,
    };
    if (result.status === "ok") log.info("Ran on-change hook {hook}", properties);
    else {log.warn("On-change hook {hook} {status}: {error}", {
        ...properties,
        error: result.error,
      });}
    results.push(result);
  }
  return results;
}

interface HookContext {
  secret: string;
  signal: AbortSignal | undefined;
  fetchFn: typeof fetch;
  clock: Clock;
  spawn: SpawnFn;
}

function runHook(hook: HookPlan, ctx: HookContext): Promise<Omit<HookResult, "durationMs">> {
  switch (hook.kind) {
    case "command":
      return runCommand(hook, ctx);
    case "signal":
      return sendSignal(hook);
    case "http":
      return callUrl(hook, ctx);
  }
}

async function runCommand(
  hook: Extract<HookPlan, { kind: "command" }>,
  ctx: HookContext,
): Promise<Omit<HookResult, "durationMs">> {
  const kind = hook.kind;
  if (hook.argv.length === 0 || hook.argv[0] === "") {
    return { kind, status: "failed", error: `${cannot(hook)}: empty argv` };
  }
  const bad = checkTimeout(hook, hook.timeoutMs);
  if (bad) return bad;
  const deadline = hookDeadline(hook, ctx);
  try {
    const env = { PATH: readPath(), SECRETS_SYNC_SECRET: ctx.secret };
    const result = await ctx.spawn(hook.argv, {
      env,
      signal: deadline.signal,
      maxOutputBytes: MAX_HOOK_OUTPUT_BYTES,
    });
    const output = {
      secret: ctx.secret,
      hook: describeHook(hook),
      stdout: truncate(result.stdout),
      stderr: truncate(result.stderr),
    };
    if (result.killed) {
      log.debug("Output of killed hook {hook}", output);
      if (deadline.timedOut()) {
        return {
          kind,
          status: "timeout",
          error: `${cannot(hook)}: no exit after ${hook.timeoutMs} ms; killed`,
        };
      }
      return { kind, status: "failed", error: `${cannot(hook)}: aborted; killed` };
    }
    if (result.code === 0 && result.signal === null) {
      log.debug("Output of hook {hook}", output);
      return { kind, status: "ok" };
    }
    log.warn("Output of failed hook {hook}: {stderr}", output);
    const how = result.signal === null
      ? `exited with code ${result.code}`
      : `killed by ${result.signal}`;
    return { kind, status: "failed", error: `${cannot(hook)}: ${how}` };
  } catch (err) {
    return { kind, status: "failed", error: `${cannot(hook)}: ${reasonOf(err)}` };
  } finally {
    deadline.dispose();
  }
}

async function sendSignal(
  hook: Extract<HookPlan, { kind: "signal" }>,
): Promise<Omit<HookResult, "durationMs">> {
  const kind = hook.kind;
  let text: string;
  try {
    text = await Deno.readTextFile(hook.pidFile);
  } catch (err) {
    return {
      kind,
      status: "failed",
      error: `${cannot(hook)}: cannot read pid file "${hook.pidFile}": ${reasonOf(err)}`,
    };
  }
  const match = /^\s*(\d{1,10})\s*$/.exec(text);
  const pid = match?.[1] === undefined ? NaN : Number(match[1]);
  // kill(0) and kill(-1) would signal a process group or everything: only a real pid will do.
  if (!Number.isInteger(pid) || pid < 1 || pid > MAX_PID) {
    return {
      kind,
      status: "failed",
      error: `${cannot(hook)}: pid file "${hook.pidFile}" does not hold a process id`,
    };
  }
  try {
    Deno.kill(pid, hook.signal);
    return { kind, status: "ok" };
  } catch (err) {
    let reason = reasonOf(err);
    if (err instanceof Deno.errors.NotFound) reason = `no process ${pid} (stale pid file?)`;
    else if (err instanceof Deno.errors.PermissionDenied && isNotPermitted(err)) {
      reason = `operation not permitted on process ${pid} (run as the same user or root)`;
    }
    return { kind, status: "failed", error: `${cannot(hook)}: ${reason}` };
  }
}

async function callUrl(
  hook: Extract<HookPlan, { kind: "http" }>,
  ctx: HookContext,
): Promise<Omit<HookResult, "durationMs">> {
  const kind = hook.kind;
  const bad = checkTimeout(hook, hook.timeoutMs);
  if (bad) return bad;
  const deadline = hookDeadline(hook, ctx);
  try {
    const response = await ctx.fetchFn(hook.url, {
      method: hook.method,
      headers: { "user-agent": "secrets-sync", "x-secrets-sync-secret": ctx.secret },
      signal: deadline.signal,
      redirect: "manual",
    });
    await response.body?.cancel().catch(() => {});
    if (response.status >= 200 && response.status < 300) return { kind, status: "ok" };
    return { kind, status: "failed", error: `${cannot(hook)}: HTTP ${response.status}` };
  } catch (err) {
    if (deadline.timedOut()) {
      return {
        kind,
        status: "timeout",
        error: `${cannot(hook)}: no response after ${hook.timeoutMs} ms`,
      };
    }
    if (ctx.signal?.aborted) return { kind, status: "failed", error: `${cannot(hook)}: aborted` };
    return { kind, status: "failed", error: `${cannot(hook)}: ${reasonOf(err)}` };
  } finally {
    deadline.dispose();
  }
}

/**
 * The default {@linkcode SpawnFn}: `Deno.Command` with a cleared environment, stdin closed and
 * output captured up to `maxOutputBytes`. Needs `--allow-run`.
 */
export async function spawnCommand(argv: string[], options: SpawnOptions): Promise<SpawnResult> {
  const { env, signal, maxOutputBytes } = options;
  const [command, ...args] = argv;
  if (command === undefined) throw new TypeError("Cannot spawn: empty argv");
  const child = new Deno.Command(command, {
    args,
    env,
    clearEnv: true,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  let exited = false;
  let killed = false;
  const onAbort = () => {
    if (exited) return;
    killed = true;
    try {
      child.kill("SIGKILL");
    } catch {
      // Already gone.
    }
  };
  signal.addEventListener("abort", onAbort, { once: true });
  if (signal.aborted) onAbort();
  try {
    // Output readers stop at the deadline too: a backgrounded grandchild may hold the pipes open.
    const [status, stdout, stderr] = await Promise.all([
      child.status.then((s) => {
        exited = true;
        return s;
      }),
      readBounded(child.stdout, maxOutputBytes, signal),
      readBounded(child.stderr, maxOutputBytes, signal),
    ]);
    return {
      code: status.code,
      signal: status.signal,
      killed,
      stdout: stdout.truncated ? `${stdout.text}…[${stdout.totalBytes} bytes]` : stdout.text,
      stderr: stderr.truncated ? `${stderr.text}…[${stderr.totalBytes} bytes]` : stderr.text,
    };
  } finally {
    signal.removeEventListener("abort", onAbort);
  }
}

/** The hook's own timeout, ended early by the caller's signal. */
function hookDeadline(hook: { timeoutMs: number }, ctx: HookContext) {
  return timeoutSignal(hook.timeoutMs, {
    clock: ctx.clock,
    ...(ctx.signal ? { signal: ctx.signal } : {}),
  });
}

function checkTimeout(
  hook: HookPlan,
  timeoutMs: number,
): Omit<HookResult, "durationMs"> | undefined {
  if (Number.isFinite(timeoutMs) && timeoutMs > 0) return undefined;
  return {
    kind: hook.kind,
    status: "failed",
    error: `${cannot(hook)}: invalid timeoutMs "${timeoutMs}"`,
  };
}

function readPath(): string {
  try {
    return Deno.env.get("PATH") ?? FALLBACK_PATH;
  } catch {
    return FALLBACK_PATH; // no --allow-env=PATH
  }
}

/** Names a hook for messages and logs: argv[0] only, URLs without query or credentials. */
export function describeHook(hook: HookPlan): string {
  switch (hook.kind) {
    case "command":
      return `command "${hook.argv[0] ?? ""}"`;
    case "signal":
      return `signal ${hook.signal} to pid in "${hook.pidFile}"`;
    case "http": {
      let where = "<invalid url>";
      try {
        const url = new URL(hook.url);
        where = `${url.origin}${url.pathname}`;
      } catch {
        // keep the placeholder: the raw string might carry credentials
      }
      return `http ${hook.method} "${where}"`;
    }
  }
}

function cannot(hook: HookPlan): string {
  return `Cannot run on-change hook ${describeHook(hook)}`;
}

function reasonOf(err: unknown): string {
  if (err instanceof Deno.errors.NotFound) return "not found";
  // "Requires run access, run again with the --allow-run flag": names the flag, nothing secret.
  if (err instanceof Deno.errors.NotCapable) return `Deno permission missing: ${err.message}`;
  if (err instanceof TypeError && err.message.length > 0) {
    // fetch network errors carry the URL in their message; keep only the cause kind.
    return err.message.replace(/https?:\/\/\S+/g, "<url>");
  }
  return describeOsError(err);
}

function truncate(text: string): string {
  return text.length > LOGGED_OUTPUT_CHARS ? `${text.slice(0, LOGGED_OUTPUT_CHARS)}…` : text;
}
