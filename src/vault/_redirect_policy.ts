/**
 * Which redirects the client follows: only to a configured scheme+host+port, so the token never
 * leaves the configured servers (a standby's 307 points at the active node).
 *
 * @module
 */

/** Statuses that redirect while keeping the method and body. */
export const FOLLOWED_REDIRECTS: ReadonlySet<number> = new Set([307, 308]);

/** Most redirects followed for one request. */
export const MAX_REDIRECTS = 3;

/**
 * Resolves a `Location` against the request URL and returns it when its origin is one of
 * `allowedOrigins`; `undefined` otherwise (missing, malformed, or elsewhere).
 */
export function allowedRedirect(
  location: string | null,
  requestUrl: string,
  allowedOrigins: readonly string[],
): URL | undefined {
  if (location === null || location === "") return undefined;
  let target: URL;
  try {
    target = new URL(location, requestUrl);
  } catch {
    return undefined;
  }
  if (target.username !== "" || target.password !== "") return undefined;
  return allowedOrigins.includes(target.origin) ? target : undefined;
}
