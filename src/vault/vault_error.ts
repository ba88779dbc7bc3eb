/**
 * Typed errors of the Vault client and their classification, decided once, near the source.
 *
 * @module
 */

/** Why a Vault request failed; callers branch on this, never on messages. */
export type VaultErrorKind =
  | "not_found"
  | "deleted"
  | "destroyed"
  | "permission_denied"
  | "sealed"
  | "standby"
  | "rate_limited"
  | "unavailable"
  | "timeout"
  | "invalid_response"
  | "bad_request"
  | "auth_failed"
  | "circuit_open";

/** Options of {@linkcode VaultError}. */
export interface VaultErrorOptions {
  /** Why it failed. */
  kind: VaultErrorKind;
  /** HTTP status, when the server answered. */
  status?: number;
  /** The API path (without `/v1/`), never a URL with credentials. */
  path?: string;
  /** How long the server asked us to wait (429 `Retry-After`), ms. */
  retryAfterMs?: number;
  /**
   * What went wrong without the action, for composing another message: `connection refused at
   * vault:8200`, `permission denied (HTTP 403)`. @default the message
   */
  detail?: string;
  /** The underlying error. */
  cause?: unknown;
}

/**
 * A failed Vault request. The message never holds a token or secret value.
 *
 * @example
 * ```ts
 * import { VaultError } from "./vault_error.ts";
 * const err = new VaultError('Cannot read secret "secret/app": permission denied', {
 *   kind: "permission_denied",
 *   status: 403,
 * });
 * console.assert(err.kind === "permission_denied");
 * ```
 */
export class VaultError extends Error {
  /** Always `"VaultError"`. */
  override name = "VaultError";
  /** Why it failed; callers branch on this. */
  readonly kind: VaultErrorKind;
  /** HTTP status, when the server answered. */
  readonly status?: number;
  /** The API path (without `/v1/` and query). */
  readonly path?: string;
  /** How long the server asked to wait (429 `Retry-After`, or the breaker's cooldown), ms. */
  readonly retryAfterMs?: number;
  /** What went wrong without the action (see {@linkcode VaultErrorOptions.detail}). */
  readonly detail: string;

  /** Creates the error; `options.kind` decides how callers treat it. */
  constructor(message: string, options: VaultErrorOptions) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.kind = options.kind;
    if (options.status !== undefined) this.status = options.status;
    if (options.path !== undefined) this.path = options.path;
    if (options.retryAfterMs !== undefined) this.retryAfterMs = options.retryAfterMs;
    this.detail = options.detail ?? message;
  }
}

const TRANSIENT_KINDS: ReadonlySet<VaultErrorKind> = new Set<VaultErrorKind>([
  "sealed",
  "standby",
  "rate_limited",
  "unavailable",
  "timeout",
  "circuit_open",
]);

/**
 * Whether trying again later can succeed: network failures, timeouts, 5xx, 429, sealed, standby
 * and an open breaker are transient; 400/403/404, deleted/destroyed versions, rejected logins
 * and malformed responses are not.
 */
export function isTransient(err: unknown): boolean {
  if (err instanceof VaultError) return TRANSIENT_KINDS.has(err.kind);
  if (err instanceof Error && err.name === "CircuitOpenError") return true;
  return false;
}

/**
 * Whether an error kind is transient (see {@linkcode isTransient}); takes any kind string, as sync
 * results carry them (`"template"`, `"write"`, … are not).
 */
export function isTransientKind(kind: string): boolean {
  return TRANSIENT_KINDS.has(kind as VaultErrorKind);
}

/**
 * The short kind of any error that ends a sync, for results, metric labels, readiness and traces:
 * a `VaultError`'s own kind, else one named after the error's class (a template, write, circuit,
 * abort or timeout error), else `internal`. The one classifier: transient or not is then
 * {@linkcode isTransientKind} of this.
 */
export function errorKind(error: unknown): string {
  if (error && typeof error === "object") {
    const kind = (error as { kind?: unknown }).kind;
    if (typeof kind === "string") return kind;
    const name = (error as { name?: unknown }).name;
    if (name === "TemplateError") return "template";
    if (name === "SinkError") return "write";
    if (name === "CircuitOpenError") return "circuit_open";
    if (name === "AbortError") return "aborted";
    if (name === "TimeoutError") return "timeout";
  }
  return "internal";
}

/** True for the kinds that mean "the secret is not there (any more)". */
export function isMissingKind(kind: string): boolean {
  return kind === "not_found" || kind === "deleted" || kind === "destroyed";
}
