/**
 * Pure mapping from an HTTP answer (status, `{"errors": [...]}` body, `Retry-After`) to a
 * {@linkcode VaultError}.
 *
 * @module
 */
import { VaultError, type VaultErrorKind } from "./vault_error.ts";

/** What the request was for; logins map 400/403 to `auth_failed`. */
export type RequestContext = "read" | "login" | "token" | "other";

/** Input of {@linkcode errorFromResponse}. */
export interface ErrorFromResponseOptions {
  status: number;
  /** The parsed JSON body, if any. */
  body?: unknown;
  /** The `Retry-After` header value, if any. */
  retryAfter?: string | null | undefined;
  /** API path (without `/v1/`), for the error's `path`. */
  path?: string;
  /** What was attempted, e.g. `read secret "secret/app"`; the message reads `Cannot <action>: …`. */
  action: string;
  /** @default "other" */
  context?: RequestContext;
  /**
   * Put in front of the error's `detail` (not its message), e.g. `"token lookup failed"` →
   * `token lookup failed: Vault is sealed (HTTP 503)`; a function gets the kind.
   */
  detailPrefix?: string | ((kind: VaultErrorKind) => string);
  /** Current time in ms, to resolve an HTTP-date `Retry-After`. */
  nowMs: number;
}

const MAX_DETAIL_CHARS = 200;

/**
 * Turns Vault's `errors` array into one short line. Vault wraps messages as
 * `"1 error occurred:\n\t* permission denied\n\n"`; the bullets are unwrapped.
 */
export function errorDetail(body: unknown): string {
  if (typeof body !== "object" || body === null) return "";
  const errors = (body as { errors?: unknown }).errors;
  if (!Array.isArray(errors)) return "";
  const parts: string[] = [];
  for (const entry of errors) {
    if (typeof entry !== "string") continue;
    for (const raw of entry.split("\n")) {
      const line = raw.replace(/^\s*\*\s*/, "").trim();
      if (line === "" || /^\d+ errors? occurred:?$/.test(line)) continue;
      parts.push(line);
    }
  }
  const joined = parts.join("; ").replace(/\s+/g, " ");
  return joined.length > MAX_DETAIL_CHARS ? `${joined.slice(0, MAX_DETAIL_CHARS)}…` : joined;
}

/**
 * Parses `Retry-After` (delta seconds or an HTTP date) into ms from `nowMs`; `undefined` when
 * absent or unreadable.
 */
export function parseRetryAfter(
  value: string | null | undefined,
  nowMs: number,
): number | undefined {
  if (value === null || value === undefined) return undefined;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  const at = Date.parse(trimmed);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, at - nowMs);
}

/** The error kind for a status and detail text (see the table in the unit tests). */
export function kindForStatus(
  status: number,
  detail: string,
  context: RequestContext = "other",
): VaultErrorKind {
  const lower = detail.toLowerCase();
  if (status === 400) {
    if (context === "login" || lower.includes("invalid role or secret id")) return "auth_failed";
    return "bad_request";
  }
  if (status === 401) return "auth_failed";
  if (status === 403) return context === "login" ? "auth_failed" : "permission_denied";
  if (status === 404) return "not_found";
  if (status === 408) return "timeout";
  if (status === 412) return "unavailable"; // eventual consistency: the node has not caught up
  if (status === 429) return "rate_limited";
  if (status === 472 || status === 473) return "standby";
  if (status >= 400 && status < 500) return "bad_request";
  if (status >= 500 && status < 600) {
    if (lower.includes("sealed")) return "sealed";
    if (lower.includes("standby")) return "standby";
    if (status === 504) return "timeout";
    return "unavailable";
  }
  return "invalid_response";
}

const DEFAULT_DETAIL: Partial<Record<VaultErrorKind, string>> = {
  not_found: "not found",
  permission_denied: "permission denied",
  sealed: "server is sealed",
  standby: "server is a standby",
  rate_limited: "rate limited",
  unavailable: "server unavailable",
  timeout: "server timed out",
  auth_failed: "authentication rejected",
  bad_request: "request rejected",
  invalid_response: "unexpected response",
};

/** Builds the typed error for a non-success answer. */
export function errorFromResponse(options: ErrorFromResponseOptions): VaultError {
  const { status, body, retryAfter, path, action, context = "other", nowMs, detailPrefix } =
    options;
  const detail = errorDetail(body);
  const kind = kindForStatus(status, detail, context);
  const text = detail !== "" ? detail : DEFAULT_DETAIL[kind] ?? "request failed";
  const retryAfterMs = kind === "rate_limited" || status === 503
    ? parseRetryAfter(retryAfter, nowMs)
    : undefined;
  return new VaultError(`Cannot ${action}: ${text} (HTTP ${status})`, {
    kind,
    status,
    detail: detailPrefix === undefined
      ? `${text} (HTTP ${status})`
      : `${
        typeof detailPrefix === "string" ? detailPrefix : detailPrefix(kind)
      }: ${text} (HTTP ${status})`,
    ...(path !== undefined ? { path } : {}),
    ...(retryAfterMs !== undefined ? { retryAfterMs } : {}),
  });
}

/** Options of {@linkcode errorFromHttp}: what was attempted, where, and when. */
export type ErrorFromHttpOptions = Omit<ErrorFromResponseOptions, "status" | "body" | "retryAfter">;

/**
 * {@linkcode errorFromResponse} for a whole response (`status`, parsed `body`, headers): the form
 * every request site uses.
 */
export function errorFromHttp(
  response: { status: number; body?: unknown; headers: Headers },
  options: ErrorFromHttpOptions,
): VaultError {
  return errorFromResponse({
    status: response.status,
    body: response.body,
    retryAfter: response.headers.get("retry-after"),
    ...options,
  });
}
