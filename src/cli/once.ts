/**
 * `once`: sync every secret once and exit — for init containers. Exit 0 only when every secret
 * succeeded, 1 otherwise, 2 for an invalid config. Transient failures (Vault unavailable, sealed,
 * rate limited, timeouts, a login that failed for one of those) are retried with backoff until
 * `--timeout`; permanent ones fail at once: a rejected token, role-id or secret-id, an unreadable
 * credential file, 403, 404, template errors. The classification is vault's `isTransientKind`.
 *
 * @module
 */
import { getLogger } from "@logtape/logtape";
import type { SecretPlan } from "../config/mod.ts";
import { backoffDelay, type Clock, sleep, SYSTEM_CLOCK } from "../resilience/mod.ts";
import { Runtime, type SyncResult } from "../sync/mod.ts";
import { isTransientKind } from "../vault/mod.ts";
import { describeStartError, startUp } from "./_start_up.ts";

const log = getLogger(["secrets-sync", "once"]);

/** Options of {@linkcode onceCommand}. */
export interface OnceCommandOptions {
  configPath: string;
  env: (name: string) => string | undefined;
  signal: AbortSignal;
  /** Give up on transient failures after this long, ms. @default 60000 */
  timeoutMs?: number;
  write?: (line: string) => void;
  error?: (line: string) => void;
  clock?: Clock;
}

/** Runs one pass over every secret; resolves with the exit code. */
export async function onceCommand(options: OnceCommandOptions): Promise<number> {
  const { configPath, env, signal, timeoutMs = 60_000, clock = SYSTEM_CLOCK } = options;
  const error = options.error ?? ((line: string) => console.error(line));
  const started = await startUp({
    configPath,
    env,
    command: "once",
    error,
    ...(options.write ? { write: options.write } : {}),
  });
  if (typeof started === "number") return started;
  const { plan, redactor } = started;
  const runtime = new Runtime(plan, { redactor, clock });
  const controller = new AbortController();
  const deadline = AbortSignal.any([signal, controller.signal]);
  const timer = clock.setTimeout(() => controller.abort(new Error("once: timeout")), timeoutMs);
  try {
    try {
      runtime.startClients(deadline);
    } catch (err) {
      // The checks before start read the same files: one changed in between.
      error(describeStartError(err));
      return 2;
    }
    const results = await mapLimited(
      plan.secrets,
      plan.settings.concurrency,
      (secret) => syncWithRetry(runtime, secret, deadline, clock),
    );
    const failed = results.filter((r) => r.status !== "ok");
    log.info("Synced {ok} of {total} secret(s) once", {
      ok: results.length - failed.length,
      total: results.length,
      failed: failed.map((r) => r.secret),
    });
    return failed.length === 0 ? 0 : 1;
  } finally {
    clock.clearTimeout(timer);
    controller.abort();
    runtime.close();
  }
}

async function syncWithRetry(
  runtime: Runtime,
  secret: SecretPlan,
  signal: AbortSignal,
  clock: Clock,
): Promise<SyncResult> {
  const r = runtime.plan.settings.resilience;
  for (let attempt = 1;; attempt++) {
    const result = await runtime.sync(secret, signal);
    runtime.recordResult(result);
    if (result.status === "ok" || !isTransientKind(result.errorKind) || signal.aborted) {
      return result;
    }
    const delay = Math.max(
      result.retryAfterMs ?? 0,
      backoffDelay(attempt, {
        initialMs: r.initialBackoffMs,
        maxMs: r.maxBackoffMs,
        multiplier: r.backoffMultiplier,
        jitter: 0.2,
      }),
    );
    try {
      await sleep(delay, { clock, signal });
    } catch {
      return result;
    }
  }
}

async function mapLimited<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T) => Promise<R>,
): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const workers = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i]!);
    }
  });
  await Promise.all(workers);
  return results;
}
