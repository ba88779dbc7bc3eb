/**
 * The readiness picture observe is handed by the sync layer (observe never imports sync).
 *
 * @module
 */

/** Sync state of one secret. */
export type SecretStatus = "pending" | "ok" | "stale" | "failing" | "expired";

/** One secret in a {@linkcode ReadinessSnapshot}: names and times only, never values. */
export interface SecretReadiness {
  /** Configured name. */
  name: string;
  /** Epoch ms of the last successful sync. */
  lastSuccess?: number;
  /** Age of the last success, ms. */
  ageMs?: number;
  /** Kind of the last error (`permission_denied`, `unavailable`, …). */
  lastErrorKind?: string;
  status: SecretStatus;
}

/** Whether the program is ready, and why not. */
export interface ReadinessSnapshot {
  ready: boolean;
  secrets: SecretReadiness[];
  /** Why it is not ready (names only). */
  reason?: string;
}

/** Whether the program's loop is alive. */
export interface LivenessSnapshot {
  alive: boolean;
  /** Time since the scheduler's last tick, ms. */
  lastTickAgeMs?: number;
}

/** Counts of secrets per status. */
export type StatusCounts = Record<SecretStatus, number> & { total: number };

/** Counts the secrets of a snapshot per status. */
export function countSecrets(snapshot: ReadinessSnapshot): StatusCounts {
  const counts: StatusCounts = { total: 0, pending: 0, ok: 0, stale: 0, failing: 0, expired: 0 };
  for (const secret of snapshot.secrets) {
    counts.total++;
    counts[secret.status]++;
  }
  return counts;
}
