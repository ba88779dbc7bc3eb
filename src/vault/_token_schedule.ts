/**
 * Pure token-lifetime math: when to renew, when a renewal was capped by the max TTL, and what
 * the lifecycle does next. Values in, values out; the manager owns the timers.
 *
 * @module
 */

/** Share of the lease after which a token is renewed (Vault Agent uses 2/3 too). */
export const RENEW_FRACTION = 2 / 3;
/** Renewal happens up to this share earlier than {@linkcode RENEW_FRACTION}, by chance. */
export const RENEW_JITTER = 0.1;
/** Never schedule a lifecycle step sooner than this, ms (protects against tight loops). */
export const MIN_STEP_MS = 100;

/**
 * Delay before renewing a lease of `leaseSeconds`: 2/3 of it, minus up to 10 % jitter, so a
 * fleet started together spreads out and the renewal lands well before expiry.
 */
export function renewDelayMs(leaseSeconds: number, random: number): number {
  const base = leaseSeconds * 1000 * RENEW_FRACTION;
  return Math.max(MIN_STEP_MS, Math.round(base * (1 - RENEW_JITTER * random)));
}

/**
 * Whether a renewal reached the max TTL: OpenBao answers 200 with a shorter `lease_duration`
 * (and a warning) instead of failing, so granted is compared with requested.
 */
export function isCapped(requestedSeconds: number, grantedSeconds: number): boolean {
  return grantedSeconds < requestedSeconds;
}

/** The token's state as the planner sees it. */
export interface TokenLifetime {
  /** Remaining lease, seconds; 0 means it never expires (root or no TTL). */
  leaseSeconds: number;
  renewable: boolean;
  /** The last renewal granted less than requested: the max TTL is near. */
  capped: boolean;
  /** The auth method can obtain a new token (AppRole yes, a static token no). */
  canRelogin: boolean;
}

/** What the lifecycle does next, and after how long. */
export type NextStep =
  | { action: "none" }
  | { action: "renew"; delayMs: number }
  | { action: "relogin"; delayMs: number }
  | { action: "recheck"; delayMs: number };

/**
 * Plans the next lifecycle step.
 *
 * - no expiry → nothing to do;
 * - renewable and not capped → renew at ~2/3 of the lease;
 * - otherwise (non-renewable, or max TTL near) → log in again at ~2/3 of the lease when the
 *   method can; a static token is only re-checked (its file may have been replaced) — it keeps
 *   being used until it expires, with a warning.
 */
export function planNextStep(lifetime: TokenLifetime, random: number): NextStep {
  const { leaseSeconds, renewable, capped, canRelogin } = lifetime;
  if (leaseSeconds <= 0) return { action: "none" };
  const delayMs = renewDelayMs(leaseSeconds, random);
  if (renewable && !capped) return { action: "renew", delayMs };
  if (canRelogin) return { action: "relogin", delayMs };
  return { action: "recheck", delayMs };
}

/** Lease figures of a simulated lifecycle (see {@linkcode simulateLifecycle}). */
export interface LifecycleProfile {
  /** TTL a fresh token gets, seconds. */
  ttlSeconds: number;
  /** Max TTL, seconds; renewals are capped at creation + max. */
  maxTtlSeconds: number;
  canRelogin: boolean;
  renewable?: boolean;
}

/** Requests a lifecycle costs over a period. */
export interface LifecycleCost {
  logins: number;
  renewals: number;
  rechecks: number;
  /** logins + renewals + rechecks. */
  total: number;
}

/**
 * Counts the requests the schedule makes over `periodSeconds`, without the initial login, with
 * the largest jitter (steps as early as possible: the worst case). Used to state the lifecycle's cost.
 */
export function simulateLifecycle(profile: LifecycleProfile, periodSeconds: number): LifecycleCost {
  const { ttlSeconds, maxTtlSeconds, canRelogin, renewable = true } = profile;
  const cost = { logins: 0, renewals: 0, rechecks: 0, total: 0 };
  let now = 0;
  let created = 0;
  let expires = ttlSeconds;
  let capped = false;
  for (let guard = 0; guard < 1_000_000; guard++) {
    const step = planNextStep({
      leaseSeconds: expires - now,
      renewable,
      capped,
      canRelogin,
    }, 1);
    if (step.action === "none") break;
    now += step.delayMs / 1000;
    if (now > periodSeconds) break;
    if (step.action === "renew") {
      cost.renewals++;
      const granted = Math.min(ttlSeconds, created + maxTtlSeconds - now);
      capped = isCapped(ttlSeconds, granted);
      expires = now + granted;
    } else if (step.action === "relogin") {
      cost.logins++;
      created = now;
      expires = now + ttlSeconds;
      capped = false;
    } else {
      cost.rechecks++;
      if (expires - now < 1) break; // expired static token: nothing more to plan
    }
  }
  cost.total = cost.logins + cost.renewals + cost.rechecks;
  return cost;
}
