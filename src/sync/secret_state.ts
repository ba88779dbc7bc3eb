/**
 * What the sync engine remembers about each secret between runs, and the readiness it implies.
 *
 * @module
 */
import type { SecretPlan } from "../config/mod.ts";
import type { ReadinessSnapshot, SecretStatus } from "../observe/mod.ts";

/** Per-secret bookkeeping, updated after every sync attempt. */
export interface SecretState {
  name: string;
  /** Epoch ms of the last successful sync. */
  lastSuccess?: number;
  /** Epoch ms of the last attempt, successful or not. */
  lastAttempt?: number;
  /** Error kind of the last attempt when it failed (never a message: messages can be long). */
  lastErrorKind?: string;
  /** Failures since the last success. */
  consecutiveFailures: number;
  /** Version of the secret last written, when the store reports one. */
  version?: number;
  /**
   * Epoch ms when the first lease or certificate its templates hold ends (the credentials in its
   * files stop working), when it holds any.
   */
  expiresAt?: number;
}

/** How one secret looks to readiness (observe's type: observe publishes it). */
export type SecretHealth = SecretStatus;

/** A snapshot of readiness across secrets (observe's type). */
export type Readiness = ReadinessSnapshot;

/**
 * Computes readiness: ready when every secret has synced at least once and none is older than its
 * `maxStalenessMs`. Pure: `now` is passed in.
 */
export function computeReadiness(
  secrets: readonly Pick<SecretPlan, "name" | "maxStalenessMs">[],
  states: ReadonlyMap<string, SecretState>,
  now: number,
): Readiness {
  const out: Readiness["secrets"] = [];
  let pending = 0;
  let stale = 0;
  let expired = 0;
  for (const secret of secrets) {
    const state = states.get(secret.name);
    const lastSuccess = state?.lastSuccess;
    const ageMs = lastSuccess === undefined ? undefined : Math.max(0, now - lastSuccess);
    let status: SecretHealth;
    if (ageMs === undefined) {
      status = "pending";
      pending++;
    } else if (ageMs > secret.maxStalenessMs) {
      status = "stale";
      stale++;
    } else if (state?.expiresAt !== undefined && state.expiresAt <= now) {
      status = "expired";
      expired++;
    } else if (state && state.consecutiveFailures > 0) {
      status = "failing";
    } else {
      status = "ok";
    }
    const entry: Readiness["secrets"][number] = { name: secret.name, status };
    if (lastSuccess !== undefined) entry.lastSuccess = lastSuccess;
    if (ageMs !== undefined) entry.ageMs = ageMs;
    if (state?.lastErrorKind !== undefined && status !== "ok") {
      entry.lastErrorKind = state.lastErrorKind;
    }
    out.push(entry);
  }
  const ready = pending === 0 && stale === 0 && expired === 0;
  const readiness: Readiness = { ready, secrets: out };
  if (!ready) {
    readiness.reason = [
      pending > 0 ? `${pending} secret(s) never synced` : "",
      stale > 0 ? `${stale} secret(s) stale` : "",
      expired > 0 ? `${expired} secret(s) with an expired lease or certificate` : "",
    ].filter(Boolean).join(", ");
  }
  return readiness;
}
