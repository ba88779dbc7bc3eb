/**
 * The token lifecycle: login (with backoff until it works), lookup-self for a static token,
 * renewal at ~2/3 of the TTL, re-login when the max TTL is near or the token was revoked, and
 * re-reading a token file when it changes. All timers run on the injected clock.
 *
 * @module
 */
import { z } from "zod";
import { getLogger } from "@logtape/logtape";
import type { ResiliencePlan } from "../config/mod.ts";
import { backoffDelay, type Clock, type Random, sleep, type TimerId } from "../resilience/mod.ts";
import type { VaultEvent } from "./vault_event.ts";
import { isTransient, VaultError, type VaultErrorKind } from "./vault_error.ts";
import { errorFromHttp } from "./_error_mapping.ts";
import type { ApiCaller, AuthMethod } from "./_auth.ts";
import { isCapped, MIN_STEP_MS, type NextStep, planNextStep } from "./_token_schedule.ts";

const log = getLogger(["secrets-sync", "vault", "auth"]);

/** Options of {@linkcode TokenManager}. */
export interface TokenManagerOptions {
  auth: AuthMethod;
  call: ApiCaller;
  clock: Clock;
  random: Random;
  resilience: ResiliencePlan;
  credentials: string;
  /** Namespace of the login; token lookups and renewals are sent there too. */
  namespace?: string | undefined;
  emit: (event: VaultEvent) => void;
}

const LookupBody = z.looseObject({
  data: z.looseObject({
    ttl: z.number().nonnegative(),
    renewable: z.boolean().optional(),
    creation_ttl: z.number().nonnegative().optional(),
    policies: z.array(z.string()).nullable().optional(),
  }),
});

const RenewBody = z.looseObject({
  auth: z.looseObject({
    lease_duration: z.number().nonnegative(),
    renewable: z.boolean(),
  }),
  warnings: z.array(z.string()).nullable().optional(),
});

/**
 * A lookup with ttl 0 means "never expires" only for a token created without a TTL (root, or
 * creation_ttl 0); for any other token it means the lease has run out.
 */
function isExpired(lookup: { ttl: number; creation_ttl?: number | undefined }): boolean {
  return lookup.ttl === 0 && (lookup.creation_ttl ?? 0) > 0;
}

/** Longest wait between checks of the token file while the token is rejected or expired. */
const DEAD_TOKEN_CHECK_MS = 10_000;

/** Holds the current token and keeps it alive. */
export class TokenManager {
  readonly #auth: AuthMethod;
  readonly #call: ApiCaller;
  readonly #clock: Clock;
  readonly #random: Random;
  readonly #resilience: ResiliencePlan;
  readonly #credentials: string;
  readonly #emit: (event: VaultEvent) => void;
  readonly #namespace: string | undefined;
  readonly #stop = new AbortController();

  #token: string | undefined;
  /** When the token expires, ms; `undefined` = never (or unknown yet). */
  #expiresAt: number | undefined;
  #renewable = false;
  /** The increment asked for on renewal: the token's original TTL, seconds. */
  #incrementSeconds = 0;
  #capped = false;
  /** The server said the token no longer works (403 on lookup-self). */
  #invalid = false;
  #timer: TimerId | undefined;
  #acquiring: Promise<void> | undefined;
  #reauth: Promise<boolean> | undefined;
  /** Called after every login attempt (success or failure); each checks its own condition. */
  #waiters = new Set<() => void>();
  /** Why there is no usable token: the last failed login, rejection or expiry; cleared on login. */
  #failure: VaultError | undefined;
  #started = false;

  constructor(options: TokenManagerOptions) {
    this.#auth = options.auth;
    this.#call = options.call;
    this.#clock = options.clock;
    this.#random = options.random;
    this.#resilience = options.resilience;
    this.#credentials = options.credentials;
    this.#emit = options.emit;
    this.#namespace = options.namespace;
  }

  /** The token to send, if any (also while it is being replaced). */
  get token(): string | undefined {
    return this.#token;
  }

  /** Whether a token is held that has not expired or been rejected. */
  ready(): boolean {
    if (this.#token === undefined || this.#invalid) return false;
    return this.#expiresAt === undefined || this.#clock.now() < this.#expiresAt;
  }

  /** Remaining TTL in seconds; `undefined` without a token or when it never expires. */
  ttlSeconds(): number | undefined {
    if (this.#token === undefined || this.#expiresAt === undefined) return undefined;
    return Math.max(0, Math.floor((this.#expiresAt - this.#clock.now()) / 1000));
  }

  /** Begins login and the lifecycle in the background; never throws. */
  start(signal: AbortSignal): void {
    if (this.#started) return;
    this.#started = true;
    if (signal.aborted) {
      this.close();
      return;
    }
    signal.addEventListener("abort", () => this.close(), { once: true });
    this.#acquireInBackground();
  }

  /** Resolves once {@linkcode ready}; rejects with the signal's reason on abort. */
  waitReady(signal?: AbortSignal): Promise<void> {
    return this.#waitUntil(() => this.ready(), signal);
  }

  /**
   * Resolves once a usable token is held or a login attempt has failed (at once when one already
   * has): then {@linkcode notReadyError} says why. Rejects with the signal's reason on abort.
   */
  waitForLogin(signal?: AbortSignal): Promise<void> {
    return this.#waitUntil(() => this.ready() || this.#failure !== undefined, signal);
  }

  /**
   * Why reads are refused now, as the error to throw for `action`: the kind of the last login
   * failure (transient for network trouble, `auth_failed` for a rejected or unreadable
   * credential), `auth_failed` for a rejected or expired token, `timeout` while no login has
   * finished yet. The message names the cause:
   * `Cannot read secret "secret/app": not logged in to Vault: connection refused at vault:8200`.
   */
  notReadyError(action: string): VaultError {
    let kind: VaultErrorKind = "timeout";
    let detail = "the login has not finished yet";
    const failure = this.#failure;
    if (failure !== undefined) {
      kind = failure.kind;
      detail = failure.detail;
    } else if (this.#token !== undefined && !this.ready()) {
      kind = "auth_failed";
      detail = "the token has expired";
    }
    return new VaultError(`Cannot ${action}: not logged in to Vault: ${detail}`, {
      kind,
      detail: `not logged in to Vault: ${detail}`,
      ...(failure?.status !== undefined ? { status: failure.status } : {}),
      ...(failure?.path !== undefined ? { path: failure.path } : {}),
      ...(failure !== undefined ? { cause: failure } : {}),
    });
  }

  #waitUntil(done: () => boolean, signal?: AbortSignal): Promise<void> {
    if (done()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      if (signal?.aborted) {
        reject(signal.reason);
        return;
      }
      const check = () => {
        if (!done()) return;
        this.#waiters.delete(check);
        signal?.removeEventListener("abort", onAbort);
        resolve();
      };
      const onAbort = () => {
        this.#waiters.delete(check);
        reject(signal?.reason);
      };
      this.#waiters.add(check);
      signal?.addEventListener("abort", onAbort, { once: true });
    });
  }

  /**
   * After a 403 with `failedToken`: checks whether the token still looks up; if not, obtains a
   * new one (AppRole login, or a changed token file). Returns true when a different token is
   * now in use, so the caller may try its request once more. Concurrent calls share one check.
   */
  reauthenticate(failedToken: string, signal?: AbortSignal): Promise<boolean> {
    if (this.#token !== failedToken && this.ready()) return Promise.resolve(true);
    this.#reauth ??= this.#checkAndReplace(failedToken, signal).finally(() => {
      this.#reauth = undefined;
    });
    return this.#reauth;
  }

  /** Stops timers and the background login loop. */
  close(): void {
    this.#stop.abort(new DOMException("Token manager closed", "AbortError"));
    this.#clearTimer();
  }

  async #checkAndReplace(failedToken: string, signal?: AbortSignal): Promise<boolean> {
    if (this.#acquiring !== undefined) {
      await this.#acquiring;
      return this.#token !== failedToken && this.ready();
    }
    if (await this.#auth.credentialsChanged()) {
      return await this.#tryLoginOnce(signal);
    }
    let stillValid: boolean;
    try {
      stillValid = await this.#lookupStillValid(failedToken, signal);
    } catch {
      return false; // cannot tell (network): the read error stands
    }
    if (stillValid) return false; // a real permission problem of that path
    if (this.#token === failedToken) this.#markInvalid();
    if (!this.#auth.canRelogin) {
      log.warn("Token was rejected by the server; waiting for a new token in the token file", {
        credentials: this.#credentials,
      });
      // Look for a replaced token file now and then: reads are refused while not ready.
      this.#scheduleNext({ action: "recheck", delayMs: this.#deadTokenCheckMs() });
      return false;
    }
    return await this.#tryLoginOnce(signal);
  }

  async #tryLoginOnce(signal?: AbortSignal): Promise<boolean> {
    try {
      await this.#login(signal);
      this.#scheduleNext();
      return true;
    } catch (err) {
      this.#onLoginFailure(err, undefined);
      this.#acquireInBackground();
      return false;
    }
  }

  /** Runs the login loop unless one is running: backoff until a login works or close(). */
  #acquireInBackground(): void {
    if (this.#acquiring !== undefined || this.#stop.signal.aborted) return;
    this.#clearTimer();
    this.#acquiring = this.#acquireLoop().catch(() => {}).finally(() => {
      this.#acquiring = undefined;
    });
  }

  async #acquireLoop(): Promise<void> {
    const signal = this.#stop.signal;
    for (let failures = 0; !signal.aborted;) {
      try {
        await this.#login(signal);
        this.#scheduleNext();
        return;
      } catch (err) {
        if (signal.aborted) return;
        failures++;
        const delayMs = this.#loginBackoff(err, failures);
        this.#onLoginFailure(err, delayMs);
        await sleep(delayMs, { clock: this.#clock, signal });
      }
    }
  }

  #loginBackoff(err: unknown, failures: number): number {
    const { initialBackoffMs, maxBackoffMs, backoffMultiplier } = this.#resilience;
    // Rejected credentials do not fix themselves quickly: wait long, do not hammer the server.
    if (err instanceof VaultError && err.kind === "auth_failed") return maxBackoffMs;
    return Math.max(
      MIN_STEP_MS,
      backoffDelay(failures, {
        initialMs: initialBackoffMs,
        maxMs: Math.max(initialBackoffMs, maxBackoffMs),
        multiplier: backoffMultiplier,
        jitter: 0.2,
        random: this.#random,
      }),
    );
  }

  /** Records why the login failed (for reads and waiters), then emits and logs it. */
  #onLoginFailure(err: unknown, retryInMs: number | undefined): void {
    this.#failure = loginFailure(err);
    this.#wake();
    const kind = this.#failure.kind;
    this.#emit({
      type: "login",
      credentials: this.#credentials,
      method: this.#auth.method,
      outcome: kind,
    });
    const props = {
      credentials: this.#credentials,
      method: this.#auth.method,
      kind,
      error: err instanceof Error ? err.message : String(err),
      reason: this.#failure.detail,
      ...(retryInMs !== undefined ? { retryInMs: Math.round(retryInMs) } : {}),
    };
    const loginRejected = err instanceof VaultError && err.status === 400 &&
      err.path?.endsWith("/login") === true;
    if (loginRejected && this.#auth.method === "approle") {
      log.error("AppRole login rejected: invalid role or secret ID", props);
    } else if (loginRejected && this.#auth.method !== "token") {
      // One line with the server's reason (`… token is expired`), never the JWT itself.
      log.error("Cannot log in to Vault: {reason}", props);
    } else {
      log.error("Cannot log in to Vault", props);
    }
  }

  async #login(signal?: AbortSignal): Promise<void> {
    const result = await this.#auth.login(signal);
    let leaseSeconds = result.leaseSeconds;
    let renewable = result.renewable ?? false;
    let policies = result.policies;
    let incrementSeconds = result.leaseSeconds ?? 0;
    if (leaseSeconds === undefined) {
      const lookup = await this.#lookup(result.token, signal);
      if (lookup === "invalid") {
        throw new VaultError("Cannot use token: the server rejected it (invalid or expired)", {
          kind: "auth_failed",
          status: 403,
          path: "auth/token/lookup-self",
          detail: "the token was rejected by the server (HTTP 403)",
        });
      }
      if (isExpired(lookup)) {
        throw new VaultError("Cannot use token: it has expired", {
          kind: "auth_failed",
          path: "auth/token/lookup-self",
          detail: "the token has expired",
        });
      }
      leaseSeconds = lookup.ttl;
      renewable = lookup.renewable ?? false;
      policies = lookup.policies ?? [];
      incrementSeconds = lookup.creation_ttl ?? lookup.ttl;
    }
    this.#token = result.token;
    this.#invalid = false;
    this.#failure = undefined;
    this.#capped = false;
    this.#renewable = renewable && leaseSeconds > 0;
    this.#incrementSeconds = incrementSeconds;
    this.#expiresAt = leaseSeconds > 0 ? this.#clock.now() + leaseSeconds * 1000 : undefined;
    log.info("Logged in to Vault", {
      credentials: this.#credentials,
      method: this.#auth.method,
      ttlSeconds: leaseSeconds,
      renewable: this.#renewable,
      policies: policies ?? [],
    });
    this.#emit({
      type: "login",
      credentials: this.#credentials,
      method: this.#auth.method,
      outcome: "success",
    });
    this.#emitTtl();
    this.#wake();
  }

  #wake(): void {
    for (const check of [...this.#waiters]) check();
  }

  /** lookup-self: the token's data, or `"invalid"` on 403. @throws {VaultError} otherwise */
  async #lookup(
    token: string,
    signal?: AbortSignal,
  ): Promise<z.infer<typeof LookupBody>["data"] | "invalid"> {
    const path = "auth/token/lookup-self";
    const response = await this.#call("lookup_self", {
      method: "GET",
      path,
      token,
      namespace: this.#namespace,
      signal,
    });
    if (response.status === 403 || response.status === 401) return "invalid";
    if (response.status !== 200) {
      throw errorFromHttp(response, {
        path,
        action: "look up the token",
        context: "token",
        detailPrefix: "token lookup failed",
        nowMs: this.#clock.now(),
      });
    }
    const parsed = LookupBody.safeParse(response.body);
    if (!parsed.success) {
      throw new VaultError("Cannot look up the token: invalid response: no data.ttl", {
        kind: "invalid_response",
        status: response.status,
        path,
      });
    }
    return parsed.data.data;
  }

  async #lookupStillValid(token: string, signal?: AbortSignal): Promise<boolean> {
    return (await this.#lookup(token, signal)) !== "invalid";
  }

  #markInvalid(detail = "the token was rejected by the server"): void {
    this.#invalid = true;
    this.#failure = new VaultError(`Cannot use token: ${detail}`, {
      kind: "auth_failed",
      path: "auth/token/lookup-self",
      detail,
    });
    this.#emitTtl();
  }

  #remainingSeconds(): number {
    if (this.#expiresAt === undefined) return 0;
    return Math.max(0.001, (this.#expiresAt - this.#clock.now()) / 1000);
  }

  #scheduleNext(override?: NextStep): void {
    this.#clearTimer();
    if (this.#stop.signal.aborted) return;
    const step = override ?? planNextStep({
      leaseSeconds: this.#expiresAt === undefined ? 0 : this.#remainingSeconds(),
      renewable: this.#renewable,
      capped: this.#capped,
      canRelogin: this.#auth.canRelogin,
    }, this.#random());
    if (step.action === "none") return;
    if (step.action === "recheck" && override === undefined) {
      // Near the end a static token would be re-checked ever more often; 5 s is enough.
      step.delayMs = Math.max(step.delayMs, Math.min(5_000, this.#remainingSeconds() * 1000));
      if (!this.ready()) step.delayMs = this.#deadTokenCheckMs();
    }
    this.#timer = this.#clock.setTimeout(() => {
      this.#timer = undefined;
      this.#runStep(step).catch((err) => {
        log.error("Token lifecycle step failed", {
          credentials: this.#credentials,
          error: err instanceof Error ? err.message : String(err),
        });
        this.#scheduleRetry();
      });
    }, step.delayMs);
  }

  async #runStep(step: NextStep): Promise<void> {
    if (this.#stop.signal.aborted) return;
    if (await this.#auth.credentialsChanged()) {
      log.info("Credential file changed: logging in again", { credentials: this.#credentials });
      this.#acquireInBackground();
      return;
    }
    if (step.action === "renew") return await this.#renew();
    if (step.action === "relogin") {
      log.info("Token near the end of its lifetime: logging in again", {
        credentials: this.#credentials,
        ttlSeconds: this.ttlSeconds(),
      });
      return this.#acquireInBackground();
    }
    if (step.action === "recheck") {
      // A rejected static token stays rejected: only a new token file helps (checked above).
      if (this.#invalid) {
        return this.#scheduleNext({ action: "recheck", delayMs: this.#deadTokenCheckMs() });
      }
      return await this.#recheck();
    }
  }

  /** How often the file of a dead static token is checked: a stat, no request. */
  #deadTokenCheckMs(): number {
    return Math.min(DEAD_TOKEN_CHECK_MS, this.#resilience.maxBackoffMs);
  }

  /** A static token that cannot be renewed: refresh its TTL, warn while it runs out. */
  async #recheck(): Promise<void> {
    const token = this.#token;
    if (token === undefined) return this.#acquireInBackground();
    const lookup = await this.#lookup(token, this.#stop.signal);
    if (lookup === "invalid") {
      this.#markInvalid();
      log.warn("Token is no longer valid and cannot be replaced; update the token", {
        credentials: this.#credentials,
      });
      return this.#scheduleNext({ action: "recheck", delayMs: this.#deadTokenCheckMs() });
    }
    if (isExpired(lookup)) {
      this.#expiresAt = this.#clock.now();
      this.#markInvalid("the token has expired");
      log.warn("Token has expired and cannot be replaced; update the token", {
        credentials: this.#credentials,
      });
      return this.#scheduleNext({ action: "recheck", delayMs: this.#deadTokenCheckMs() });
    }
    this.#expiresAt = lookup.ttl > 0 ? this.#clock.now() + lookup.ttl * 1000 : undefined;
    this.#renewable = (lookup.renewable ?? false) && lookup.ttl > 0 && !this.#capped;
    this.#emitTtl();
    log.warn("Token cannot be renewed further and will expire; replace it before then", {
      credentials: this.#credentials,
      ttlSeconds: lookup.ttl,
    });
    this.#scheduleNext();
  }

  async #renew(): Promise<void> {
    const token = this.#token;
    if (token === undefined) return this.#acquireInBackground();
    const path = "auth/token/renew-self";
    const requested = this.#incrementSeconds;
    let error: VaultError | undefined;
    try {
      const response = await this.#call("renew_self", {
        method: "POST",
        path,
        token,
        namespace: this.#namespace,
        body: { increment: `${requested}s` },
        signal: this.#stop.signal,
      });
      if (response.status === 200) {
        const parsed = RenewBody.safeParse(response.body);
        if (parsed.success) return this.#onRenewed(requested, parsed.data.auth);
        error = new VaultError("Cannot renew the token: invalid response: no auth", {
          kind: "invalid_response",
          status: 200,
          path,
        });
      } else {
        error = errorFromHttp(response, {
          path,
          action: "renew the token",
          context: "token",
          nowMs: this.#clock.now(),
        });
      }
    } catch (err) {
      if (this.#stop.signal.aborted) return;
      error = err instanceof VaultError
        ? err
        : new VaultError("Cannot renew the token: unexpected error", {
          kind: "unavailable",
          path,
          cause: err,
        });
    }
    this.#emit({ type: "renew", credentials: this.#credentials, outcome: error.kind });
    if (isTransient(error) && this.#remainingSeconds() > 1) {
      log.warn("Cannot renew the token, will try again", {
        credentials: this.#credentials,
        kind: error.kind,
        error: error.message,
      });
      return this.#scheduleRetry();
    }
    if (this.#auth.canRelogin) {
      log.warn("Cannot renew the token: logging in again", {
        credentials: this.#credentials,
        kind: error.kind,
        error: error.message,
      });
      return this.#acquireInBackground();
    }
    log.warn("Cannot renew the token; it stays in use until it expires", {
      credentials: this.#credentials,
      kind: error.kind,
      error: error.message,
      ttlSeconds: this.ttlSeconds(),
    });
    this.#renewable = false;
    this.#scheduleNext();
  }

  #onRenewed(requested: number, auth: { lease_duration: number; renewable: boolean }): void {
    const granted = auth.lease_duration;
    this.#capped = isCapped(requested, granted);
    this.#renewable = auth.renewable && granted > 0;
    this.#expiresAt = granted > 0 ? this.#clock.now() + granted * 1000 : undefined;
    this.#emit({
      type: "renew",
      credentials: this.#credentials,
      outcome: this.#capped ? "capped" : "success",
      grantedSeconds: granted,
    });
    this.#emitTtl();
    if (this.#capped) {
      const props = {
        credentials: this.#credentials,
        requestedSeconds: requested,
        grantedSeconds: granted,
      };
      if (this.#auth.canRelogin) {
        log.info("Token renewed up to its max TTL; will log in again before it expires", props);
      } else {
        log.warn("Token renewed up to its max TTL; it cannot be replaced and will expire", props);
      }
    } else {
      log.debug("Token renewed", { credentials: this.#credentials, grantedSeconds: granted });
    }
    this.#scheduleNext();
  }

  /** After a transient lifecycle failure: try again soon, well before the token expires. */
  #scheduleRetry(): void {
    const remainingMs = this.#remainingSeconds() * 1000;
    const backoff = Math.min(this.#resilience.initialBackoffMs * 2, this.#resilience.maxBackoffMs);
    const delayMs = Math.max(MIN_STEP_MS, Math.min(backoff, remainingMs / 2));
    const action = this.#renewable && !this.#capped
      ? "renew"
      : this.#auth.canRelogin
      ? "relogin"
      : "recheck";
    this.#scheduleNext({ action, delayMs });
  }

  #emitTtl(): void {
    this.#emit({ type: "token_ttl", credentials: this.#credentials, seconds: this.ttlSeconds() });
  }

  #clearTimer(): void {
    if (this.#timer !== undefined) this.#clock.clearTimeout(this.#timer);
    this.#timer = undefined;
  }
}

/**
 * A failed login as the error reads report: VaultErrors as they are (their `detail` names the
 * cause); anything else — a credential file that cannot be read — is a rejected credential.
 */
function loginFailure(err: unknown): VaultError {
  if (err instanceof VaultError) return err;
  const message = err instanceof Error ? err.message : String(err);
  return new VaultError(message, {
    kind: "auth_failed",
    detail: message.replace(/^Cannot /, "cannot "),
    cause: err,
  });
}
