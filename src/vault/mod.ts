/**
 * The Vault/OpenBao client: HTTP over `fetch` with one `Deno.HttpClient` (CA files, mTLS),
 * namespaces, typed errors, KV v1/v2 reads (with `"auto"` detection), token, AppRole, JWT and
 * Kubernetes auth, and the token lifecycle (lookup, renewal at ~2/3 of the TTL, re-login near the max TTL or
 * after revocation). It never retries a read: the scheduler owns retries and backoff; reads
 * pass a circuit breaker that counts only transient failures.
 *
 * @example
 * ```ts ignore
 * import { isTransient, VaultClient, VaultError } from "./mod.ts";
 *
 * const client = new VaultClient({
 *   store: plan.store,
 *   auth: plan.credentials.default,
 *   credentialsName: "default",
 *   resilience: plan.settings.resilience,
 *   onSensitive: (value) => redactor.add(value),
 * });
 * client.start(shutdown.signal);
 * await client.waitReady(shutdown.signal);
 * try {
 *   const { data, version } = await client.readSecret({
 *     mountPath: "secret",
 *     key: "app/db",
 *     kvVersion: "auto",
 *   });
 * } catch (err) {
 *   if (err instanceof VaultError && err.kind === "deleted") keepOldFile();
 *   else if (isTransient(err)) backOff();
 * }
 * client.close();
 * ```
 *
 * @module
 */
export type { SecretData, SecretRef } from "./secret_ref.ts";
export {
  errorKind,
  isMissingKind,
  isTransient,
  isTransientKind,
  VaultError,
  type VaultErrorKind,
  type VaultErrorOptions,
} from "./vault_error.ts";
export type { VaultEvent, VaultOperation } from "./vault_event.ts";
export {
  type LeaseInfo,
  type ReadOptions,
  type ReadPathOptions,
  VaultClient,
  type VaultClientOptions,
} from "./vault_client.ts";
export type { CredentialFs } from "./credential_file.ts";
export { checkJwtFile, type CheckJwtFileOptions, jwtExpiry } from "./jwt_file.ts";
export {
  checkTlsFiles,
  type CheckTlsFilesOptions,
  TlsFileError,
  type TlsFileProblem,
  type TlsFiles,
} from "./tls.ts";
