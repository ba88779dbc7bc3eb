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
import { type Clock, pooledMap, retry, SYSTEM_CLOCK, timeoutSignal } from "../resilience/mod.ts";
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
  const timeout = timeoutSignal(timeoutMs, {
    clock,
    signal,
    reason: () => new Error("once: timeout"),
  });
  const deadline = timeout.signal;
  try {
    try {
      runtime.startClients(deadline);
    } catch (err) {
      // The checks before start read the same files: one changed in between.
      error(describeStartError(err));
      return 2;
    }
    const results = await Array.fromAsync(
      pooledMap(
        plan.settings.concurrency,
        plan.secrets,
        (secret) => syncWithRetry(runtime, secret, deadline, clock),
      ),
    );
    const failed = results.filter((r) => r.status !== "ok");
    log.info("Synced {ok} of {total} secret(s) once", {
      ok: results.length - failed.length,
      total: results.length,
      failed: failed.map((r) => r.secret),
    });
    return failed.length === 0 ? 0 : 1;
  } finally {
    timeout.dispose();
    runtime.close();
  }
}

/** A sync that failed for a transient reason: `retry` tries again. */
class TransientSyncError extends Error {
  override name = "TransientSyncError";
  constructor(readonly result: SyncResult & { status: "failed" }) {
    super(result.error.message);
  }
}

/**
 * Syncs until it succeeds, fails for a permanent reason, or the deadline passes; resolves with the
 * last result either way. Waits between attempts with the plan's backoff (or the server's
 * Retry-After).
 */
async function syncWithRetry(
  runtime: Runtime,
  secret: SecretPlan,
  signal: AbortSignal,
  clock: Clock,
): Promise<SyncResult> {
  const r = runtime.plan.settings.resilience;
  let last: SyncResult | undefined;
  try {
    return await retry(async () => {
      const result = await runtime.sync(secret, signal);
      runtime.recordResult(result);
      last = result;
      if (result.status === "ok" || !isTransientKind(result.errorKind)) return result;
      throw new TransientSyncError(result);
    }, {
      signal,
      clock,
      minTimeout: r.initialBackoffMs,
      maxTimeout: r.maxBackoffMs,
      multiplier: r.backoffMultiplier,
      jitter: 0.2,
      maxAttempts: Number.MAX_SAFE_INTEGER,
      retryAfterMs: (error) => (error as TransientSyncError).result.retryAfterMs,
    });
  } catch (error) {
    if (last) return last;
    throw error;
  }
}
