/**
 * Dynamic secrets: what a secret's templates get from `secret "path" ["k=v" …]` and `pkiCert`
 * calls, held between syncs when the answer is one that must not be asked for again at every
 * refresh: a leased response (database credentials), a write (`pki/issue/…`), a certificate.
 *
 * Each held answer has a time it needs attention: a renewable lease is renewed at ~2/3 of its
 * duration (with jitter); a lease that can no longer be renewed (capped by its max TTL, refused,
 * revoked, not renewable) and a certificate at ~2/3 of its validity (from its own notBefore and
 * notAfter) are asked for again. Between those times every sync reuses the same answer, so files
 * rendered from it do not change and hooks do not run; when a new answer comes, the secret's
 * files are rendered from it together and its hooks run once.
 *
 * Plain reads (no arguments, no lease, no certificate) are not held: they are read at every sync
 * like the secret's own KV data.
 *
 * @module
 */
import { type Clock, type Random, SYSTEM_CLOCK, SYSTEM_RANDOM } from "../resilience/mod.ts";
import { errorKind, isTransientKind, type LeaseInfo } from "../vault/mod.ts";
import { certificateValidity, type Validity } from "./_certificates.ts";

/** A `secret`/`pkiCert` call with literal arguments: the path, then the `k=v` arguments. */
export interface VaultCall {
  fn: string;
  path: string;
  args: string[];
}

/** The identity of a call: identical calls within one secret share one answer per render. */
export function vaultCallKey(fn: string, path: string, args: readonly string[]): string {
  return JSON.stringify([fn, path, ...args]);
}

/** What the dynamic secrets need from a Vault client. */
export interface LeaseClient {
  readPath(
    path: string,
    options?: { signal?: AbortSignal; namespace?: string },
  ): Promise<Record<string, unknown>>;
  writePath(
    path: string,
    body: Record<string, unknown>,
    options?: { signal?: AbortSignal; namespace?: string },
  ): Promise<Record<string, unknown>>;
  renewLease(
    leaseId: string,
    incrementSeconds: number,
    options?: { signal?: AbortSignal; namespace?: string },
  ): Promise<LeaseInfo>;
  revokeLease(
    leaseId: string,
    options?: { signal?: AbortSignal; namespace?: string },
  ): Promise<void>;
}

/** Why a new answer was asked for. */
export type IssueReason =
  | "first"
  | "lease_max_ttl"
  | "lease_not_renewable"
  | "renew_refused"
  | "expired"
  | "certificate";

/** What happened to a secret's held answers; never carries a lease id or a value. */
export type LeaseEvent =
  | { type: "issued"; secret: string; path: string; reason: IssueReason; expiresAt?: number }
  | { type: "renewed"; secret: string; path: string; leaseDurationS: number; capped: boolean }
  | { type: "renew_failed"; secret: string; path: string; errorKind: string }
  | { type: "adopted"; secret: string; path: string; expiresAt: number }
  | { type: "revoked"; secret: string; count: number; failed: number };

/** The held answers of one secret, for scheduling, readiness and metrics. */
export interface LeaseSummary {
  /** Held answers (leases and certificates). */
  count: number;
  /** Epoch ms when the first of them stops working. */
  expiresAt?: number;
  /** Epoch ms when the first of them needs a renewal or a new answer. */
  dueAt?: number;
}

/** Options of {@linkcode DynamicSecrets}. */
export interface DynamicSecretsOptions {
  /** @default SYSTEM_CLOCK */
  clock?: Clock;
  /** @default SYSTEM_RANDOM */
  random?: Random;
  /** Renewals happen at 2/3 × (1 − jitter × random) of the lease or validity. @default 0.1 */
  jitter?: number;
  onEvent?: (event: LeaseEvent) => void;
}

/** Per-call options: where to ask. */
export interface ResolveOptions {
  signal?: AbortSignal;
  namespace?: string;
}

type Action = "renew" | "reissue";

interface Held {
  call: VaultCall;
  body: Record<string, unknown>;
  /** `""` when the answer has no lease. */
  leaseId: string;
  /** The lease's first duration: what each renewal asks for. */
  incrementS: number;
  expiresAt: number;
  dueAt: number;
  action: Action;
}

/** The fraction of a lease or validity after which it is renewed (Vault Agent's 2/3). */
const RENEW_AT = 2 / 3;

/**
 * Holds the dynamic answers of every secret (by secret name) and decides, at each sync, whether to
 * reuse, renew or ask again.
 *
 * @example
 * ```ts ignore
 * const dynamic = new DynamicSecrets({ onEvent: console.log });
 * const bodies = await dynamic.resolve("db", calls, client, {}, (path) => client.readPath(path));
 * dynamic.summary("db"); // { count: 1, expiresAt: …, dueAt: … }
 * ```
 */
export class DynamicSecrets {
  #clock: Clock;
  #random: Random;
  #jitter: number;
  #onEvent: (event: LeaseEvent) => void;
  #held = new Map<string, Map<string, Held>>();

  constructor(options: DynamicSecretsOptions = {}) {
    const { clock = SYSTEM_CLOCK, random = SYSTEM_RANDOM, jitter = 0.1, onEvent } = options;
    this.#clock = clock;
    this.#random = random;
    this.#jitter = jitter;
    this.#onEvent = onEvent ?? (() => {});
  }

  /** True when `secret` holds nothing (a fresh start, or everything was dropped). */
  isEmpty(secret: string): boolean {
    return (this.#held.get(secret)?.size ?? 0) === 0;
  }

  /**
   * The answer of every call: held ones reused until due, renewed or asked again when due, plain
   * reads through `read` (which may share a read with other secrets). Throws the first Vault
   * error; what was held stays held (a transient renewal failure is retried at the next sync).
   */
  async resolve(
    secret: string,
    calls: readonly VaultCall[],
    client: LeaseClient,
    options: ResolveOptions,
    read: (path: string) => Promise<Record<string, unknown>>,
  ): Promise<Map<string, Record<string, unknown>>> {
    let held = this.#held.get(secret);
    if (!held) this.#held.set(secret, held = new Map());
    const keys = new Set(calls.map((c) => vaultCallKey(c.fn, c.path, c.args)));
    for (const key of held.keys()) if (!keys.has(key)) held.delete(key);
    const out = new Map<string, Record<string, unknown>>();
    const store = held;
    await Promise.all(calls.map(async (call) => {
      const key = vaultCallKey(call.fn, call.path, call.args);
      out.set(key, await this.#answer(secret, call, store, key, client, options, read));
    }));
    return out;
  }

  async #answer(
    secret: string,
    call: VaultCall,
    held: Map<string, Held>,
    key: string,
    client: LeaseClient,
    options: ResolveOptions,
    read: (path: string) => Promise<Record<string, unknown>>,
  ): Promise<Record<string, unknown>> {
    const current = held.get(key);
    const now = this.#clock.now();
    let reason: IssueReason = "first";
    if (current) {
      if (now < current.dueAt) return current.body;
      if (now >= current.expiresAt) {
        reason = "expired";
      } else if (current.action === "renew") {
        if (await this.#renew(secret, current, client, options)) return current.body;
        reason = "renew_refused";
      } else {
        reason = isCertificate(current)
          ? "certificate"
          : current.body.renewable === true
          ? "lease_max_ttl"
          : "lease_not_renewable";
      }
    }
    let body = isWrite(call)
      ? await client.writePath(call.path, writeBody(call), options)
      : await read(call.path);
    // A read shared with another secret within the share window: a lease is never shared (one
    // secret's revokeOnStop would revoke the other's credentials), so read again for this one.
    if (!isWrite(call) && this.#leaseHeldByOther(secret, body)) {
      body = await client.readPath(call.path, options);
    }
    const entry = await this.#entry(call, body, this.#clock.now());
    if (entry) {
      held.set(key, entry);
      this.#onEvent({
        type: "issued",
        secret,
        path: call.path,
        reason,
        ...(entry.expiresAt !== Infinity ? { expiresAt: entry.expiresAt } : {}),
      });
    } else {
      held.delete(key);
    }
    return body;
  }

  #leaseHeldByOther(secret: string, body: Record<string, unknown>): boolean {
    const leaseId = body.lease_id;
    if (typeof leaseId !== "string" || leaseId === "") return false;
    for (const [name, held] of this.#held) {
      if (name === secret) continue;
      for (const h of held.values()) if (h.leaseId === leaseId) return true;
    }
    return false;
  }

  /** Renews a held lease; `false` when the server refused (ask again), throws when transient. */
  async #renew(
    secret: string,
    held: Held,
    client: LeaseClient,
    options: ResolveOptions,
  ): Promise<boolean> {
    let lease: LeaseInfo;
    try {
      lease = await client.renewLease(held.leaseId, held.incrementS, options);
    } catch (error) {
      const kind = errorKind(error);
      this.#onEvent({ type: "renew_failed", secret, path: held.call.path, errorKind: kind });
      if (isTransientKind(kind) || kind === "auth_failed") throw error;
      return false;
    }
    const now = this.#clock.now();
    const durationS = lease.leaseDurationSeconds;
    if (durationS <= 0) return false;
    const capped = !lease.renewable || durationS < held.incrementS;
    held.leaseId = lease.leaseId;
    held.expiresAt = now + durationS * 1000;
    held.dueAt = now + this.#renewDelay(durationS * 1000);
    // A lease capped by its max TTL cannot be extended past it: ask again before it ends.
    held.action = capped ? "reissue" : "renew";
    held.body = { ...held.body, lease_duration: durationS, renewable: lease.renewable };
    this.#onEvent({
      type: "renewed",
      secret,
      path: held.call.path,
      leaseDurationS: durationS,
      capped,
    });
    return true;
  }

  /** A held entry for an answer, or `undefined` for a plain read (read again at every sync). */
  async #entry(
    call: VaultCall,
    body: Record<string, unknown>,
    now: number,
  ): Promise<Held | undefined> {
    const leaseId = typeof body.lease_id === "string" ? body.lease_id : "";
    const durationS = typeof body.lease_duration === "number" ? body.lease_duration : 0;
    const data = body.data as Record<string, unknown> | undefined;
    const validity = await certificateValidity(data?.certificate);
    if (leaseId === "" && !validity) return undefined;
    const entry: Held = {
      call,
      body,
      leaseId,
      incrementS: durationS,
      expiresAt: Infinity,
      dueAt: Infinity,
      action: "reissue",
    };
    if (durationS > 0) {
      entry.expiresAt = now + durationS * 1000;
      entry.dueAt = now + this.#renewDelay(durationS * 1000);
      entry.action = leaseId !== "" && body.renewable === true ? "renew" : "reissue";
    }
    if (validity) this.#applyValidity(entry, validity, now, now);
    return entry;
  }

  /**
   * A certificate is re-issued at ~2/3 of its lifetime, counted from when it was issued (its
   * notBefore is back-dated) to its notAfter; never after it ends.
   */
  #applyValidity(entry: Held, validity: Validity, issuedAt: number, now: number): void {
    const start = Math.max(validity.notBefore, Math.min(issuedAt, validity.notAfter));
    const due = start + this.#renewDelay(validity.notAfter - start);
    if (due < entry.dueAt) {
      entry.dueAt = Math.max(now, due);
      entry.action = "reissue";
    }
    entry.expiresAt = Math.min(entry.expiresAt, validity.notAfter);
  }

  #forever(call: VaultCall, body: Record<string, unknown>): Held {
    return {
      call,
      body,
      leaseId: "",
      incrementS: 0,
      expiresAt: Infinity,
      dueAt: Infinity,
      action: "reissue",
    };
  }

  #renewDelay(spanMs: number): number {
    return Math.max(0, Math.round(spanMs * RENEW_AT * (1 - this.#jitter * this.#random())));
  }

  /**
   * Holds a certificate a previous run wrote (read back from the files) as the answer to `call`,
   * due at ~2/3 of its lifetime from `issuedAt` (when its files were written) like a new one. The
   * caller checks that it renders the same files.
   */
  adopt(
    secret: string,
    call: VaultCall,
    body: Record<string, unknown>,
    validity: Validity,
    issuedAt: number,
  ): void {
    const now = this.#clock.now();
    const entry = this.#forever(call, body);
    this.#applyValidity(entry, validity, issuedAt, now);
    let held = this.#held.get(secret);
    if (!held) this.#held.set(secret, held = new Map());
    held.set(vaultCallKey(call.fn, call.path, call.args), entry);
    this.#onEvent({ type: "adopted", secret, path: call.path, expiresAt: entry.expiresAt });
  }

  /** Forgets what `secret` holds (adoption rejected, secret removed), without revoking. */
  forget(secret: string, key?: string): void {
    if (key === undefined) this.#held.delete(secret);
    else this.#held.get(secret)?.delete(key);
  }

  /** When the first held answer of `secret` needs attention and stops working. */
  summary(secret: string): LeaseSummary {
    const held = [...(this.#held.get(secret)?.values() ?? [])];
    const summary: LeaseSummary = { count: held.length };
    const expiresAt = Math.min(...held.map((h) => h.expiresAt));
    const dueAt = Math.min(...held.map((h) => h.dueAt));
    if (Number.isFinite(expiresAt)) summary.expiresAt = expiresAt;
    if (Number.isFinite(dueAt)) summary.dueAt = dueAt;
    return summary;
  }

  /**
   * Revokes every lease `secret` holds and forgets them (a clean stop with `revokeOnStop`, or the
   * secret removed). Best effort: a failed revocation is counted, the lease then ends by its TTL.
   */
  async revoke(secret: string, client: LeaseClient, options: ResolveOptions = {}): Promise<void> {
    const held = [...(this.#held.get(secret)?.values() ?? [])].filter((h) => h.leaseId !== "");
    this.#held.delete(secret);
    if (held.length === 0) return;
    const results = await Promise.allSettled(
      held.map((h) => client.revokeLease(h.leaseId, options)),
    );
    const failed = results.filter((r) => r.status === "rejected").length;
    this.#onEvent({ type: "revoked", secret, count: held.length - failed, failed });
  }
}

/** A call with `k=v` arguments, or any `pkiCert`, writes; a bare `secret "path"` reads. */
export function isWrite(call: VaultCall): boolean {
  return call.fn === "pkiCert" || call.args.length > 0;
}

function isCertificate(held: Held): boolean {
  const data = held.body.data as Record<string, unknown> | undefined;
  return typeof data?.certificate === "string";
}

/** `["common_name=a", "ttl=20s"]` → `{ common_name: "a", ttl: "20s" }`. */
export function writeBody(call: VaultCall): Record<string, string> {
  const body: Record<string, string> = {};
  for (const arg of call.args) {
    const eq = arg.indexOf("=");
    if (eq <= 0) {
      throw new Error(
        `${call.fn} "${call.path}": argument "${arg}" is not key=value (e.g. "common_name=app.example.com")`,
      );
    }
    body[arg.slice(0, eq)] = arg.slice(eq + 1);
  }
  return body;
}
