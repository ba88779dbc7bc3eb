/**
 * The offline check of a JWT file (`validate`): readable, a JWT, not expired. Its content never
 * appears in a message.
 *
 * @module
 */
import { CredentialFile, type CredentialFs } from "./credential_file.ts";

/** Options of {@linkcode checkJwtFile}. */
export interface CheckJwtFileOptions {
  /** Current time, ms since the epoch. */
  nowMs: number;
  /** @default Deno's file system */
  fs?: CredentialFs;
}

/**
 * Reads the JWT file at `path` and says what is wrong with it, or `undefined` when it holds a
 * JWT whose `exp` (if any) lies in the future:
 * `Cannot read JWT file "/var/run/secrets/token": No such file or directory (os error 2)`.
 * A JWT that expires later is still checked by the server at each login.
 *
 * Needs `--allow-read` for `path`.
 */
export async function checkJwtFile(
  path: string,
  options: CheckJwtFileOptions,
): Promise<string | undefined> {
  const { nowMs, fs } = options;
  let jwt: string;
  try {
    jwt = await new CredentialFile(path, "JWT file", fs).read();
  } catch (err) {
    return err instanceof Error ? err.message : String(err);
  }
  const expiry = jwtExpiry(jwt);
  if (expiry === "invalid") {
    return `Invalid JWT file "${path}": expected a JWT (three base64url parts separated by dots)`;
  }
  if (expiry !== undefined && expiry * 1000 <= nowMs) {
    return `Invalid JWT file "${path}": the JWT in it expired at ${
      new Date(expiry * 1000).toISOString()
    }`;
  }
  return undefined;
}

/** The `exp` claim (seconds), `undefined` without one, `"invalid"` when `jwt` is no JWT. */
export function jwtExpiry(jwt: string): number | "invalid" | undefined {
  const parts = jwt.split(".");
  if (parts.length !== 3 || parts.some((part) => !/^[A-Za-z0-9_-]+$/.test(part))) {
    return "invalid";
  }
  let claims: unknown;
  try {
    const base64 = parts[1]!.replace(/-/g, "+").replace(/_/g, "/");
    const binary = atob(base64.padEnd(Math.ceil(base64.length / 4) * 4, "="));
    claims = JSON.parse(new TextDecoder().decode(Uint8Array.from(binary, (c) => c.charCodeAt(0))));
  } catch {
    return "invalid";
  }
  if (typeof claims !== "object" || claims === null || Array.isArray(claims)) return "invalid";
  const exp = (claims as { exp?: unknown }).exp;
  return typeof exp === "number" && Number.isFinite(exp) ? exp : undefined;
}
