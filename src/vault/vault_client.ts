/**
 * The Vault/OpenBao client: one per (address list, credential set). It owns the HTTP client,
 * the token lifecycle and one circuit breaker, and reads KV secrets with one attempt each.
 *
 * @module
 */
import { z } from "zod";
import { getLogger } from "@logtape/logtape";
import { type AuthPlan, type ResiliencePlan, type StorePlan, trimSlashes } from "../config/mod.ts";
import {
  CircuitBreaker,
  CircuitOpenError,
  type Clock,
  type Random,
  SYSTEM_CLOCK,
  SYSTEM_RANDOM,
} from "../resilience/mod.ts";
import type { SecretData, SecretRef } from "./secret_ref.ts";
import type { VaultEvent, VaultOperation } from "./vault_event.ts";
import type { CircuitState } from "../resilience/mod.ts";
import { isTransient, VaultError } from "./vault_error.ts";
import { errorDetail, errorFromHttp, kindForStatus } from "./_error_mapping.ts";
import {
  displayPath,
  kvReadPath,
  mountInfoPath,
  parseKvRead,
  parseMountVersion,
} from "./_kv_response.ts";
import { type ApiRequest, type ApiResponse, HttpTransport, stripQuery } from "./_http_transport.ts";
import { createEndpoints, type TlsFiles, tlsWarnings } from "./tls.ts";
import { createAuthMethod } from "./_auth.ts";
import type { CredentialFs } from "./credential_file.ts";
import { TokenManager } from "./_token_manager.ts";

const log = getLogger(["secrets-sync", "vault"]);

/** Options of {@linkcode VaultClient}. */
export interface VaultClientOptions {
  /** Addresses, namespace, TLS, deadline and size cap. */
  store: StorePlan;
  /** How to log in. */
  auth: AuthPlan;
  /** Name of the credential set, for logs and events. */
  credentialsName: string;
  /** Backoff of failed logins, and the circuit breaker. */
  resilience: ResiliencePlan;
  /** Time for deadlines, renewals and backoff. @default SYSTEM_CLOCK */
  clock?: Clock;
  /** Jitter source. @default SYSTEM_RANDOM */
  random?: Random;
  /** The fetch to use (tests). @default globalThis.fetch */
  fetch?: typeof fetch;
  /** Receives every token, role-id, secret-id, wrapping token and secret value seen. */
  onSensitive?: (value: string) => void;
  /** Receives login/renew results, request durations, breaker changes and the token TTL. */
  onEvent?: (event: VaultEvent) => void;
  /** File access for credential files (tests). @default Deno's */
  credentialFs?: CredentialFs;
  /** File access for TLS files (tests). @default Deno's */
  tlsFiles?: TlsFiles;
}

/** Options of a single read. */
export interface ReadOptions {
  /** Aborts the read; it then rejects with the signal's reason. */
  signal?: AbortSignal;
}

/** A lease as the server holds it after a renewal. */
export interface LeaseInfo {
  leaseId: string;
  leaseDurationSeconds: number;
  renewable: boolean;
}

/** Options of {@linkcode VaultClient.readPath}. */
export interface ReadPathOptions extends ReadOptions {
  /** `undefined` = the client's namespace; `""` = root. */
  namespace?: string;
}

const ObjectBody = z.record(z.string(), z.unknown());

/**
 * Reads secrets from Vault/OpenBao. Never retries on its own (the scheduler owns retries); a
 * 403 caused by a token that no longer works triggers one re-login and one more attempt.
 *
 * Needs `--allow-net` for the store addresses and `--allow-read` for TLS and credential files.
 *
 * @example
 * ```ts ignore
 * const client = new VaultClient({ store, auth, credentialsName: "default", resilience });
 * client.start(AbortSignal.timeout(60_000));
 * await client.waitReady();
 * const { data } = await client.readSecret({ mountPath: "secret", key: "app", kvVersion: 2 });
 * client.close();
 * ```
 */
export class VaultClient {
  readonly #store: StorePlan;
  readonly #credentials: string;
  readonly #clock: Clock;
  readonly #transport: HttpTransport;
  /** Closes the HTTP clients (or the insecure fetch) of the endpoints, each once. */
  readonly #closers: Array<() => void>;
  readonly #breaker: CircuitBreaker;
  readonly #tokens: TokenManager;
  readonly #onSensitive: (value: string) => void;
  readonly #onEvent: (event: VaultEvent) => void;
  readonly #kvVersions = new Map<string, Promise<1 | 2>>();
  #closed = false;

  /**
   * Creates the client and its HTTP client; nothing is sent before {@linkcode start}.
   *
   * @throws {Error} when a TLS file cannot be read; {@linkcode TypeError} for a bad address
   */
  constructor(options: VaultClientOptions) {
    const {
      store,
      auth,
      credentialsName,
      resilience,
      clock = SYSTEM_CLOCK,
      random = SYSTEM_RANDOM,
      fetch: fetchFn = globalThis.fetch,
      onSensitive = () => {},
      onEvent = () => {},
      credentialFs,
      tlsFiles,
    } = options;
    if (!(store.requestTimeoutMs > 0)) {
      throw new RangeError(
        `Invalid option "store.requestTimeoutMs": must be > 0, got ${store.requestTimeoutMs}`,
      );
    }
    if (!(store.maxResponseBytes > 0)) {
      throw new RangeError(
        `Invalid option "store.maxResponseBytes": must be > 0, got ${store.maxResponseBytes}`,
      );
    }
    this.#store = store;
    this.#credentials = credentialsName;
    this.#clock = clock;
    this.#onSensitive = onSensitive;
    this.#onEvent = (event) => {
      try {
        onEvent(event);
      } catch {
        // A metrics sink must not break a read.
      }
    };
    const endpoints = createEndpoints(store, tlsFiles !== undefined ? { files: tlsFiles } : {});
    const clients = new Set(endpoints.flatMap((e) => (e.client ? [e.client] : [])));
    const closes = new Set(endpoints.flatMap((e) => (e.close ? [e.close] : [])));
    this.#closers = [...[...clients].map((c) => () => c.close()), ...closes];
    this.#transport = new HttpTransport({
      endpoints,
      clock,
      fetch: fetchFn,
      requestTimeoutMs: store.requestTimeoutMs,
      maxResponseBytes: store.maxResponseBytes,
    });
    this.#breaker = new CircuitBreaker({
      name: `vault:${credentialsName}`,
      maxFailures: resilience.breakerMaxFailures,
      intervalMs: resilience.breakerIntervalMs,
      timeoutMs: resilience.breakerTimeoutMs,
      isFailure: isTransient,
      clock,
    });
    this.#breaker.onStateChange((from, to) => {
      const props = { credentials: credentialsName, from, to };
      if (to === "open") log.warn("Vault circuit breaker opened", props);
      else log.info("Vault circuit breaker state changed", props);
      this.#onEvent({ type: "breaker", credentials: credentialsName, state: to });
    });
    this.#tokens = new TokenManager({
      auth: createAuthMethod(auth, {
        call: (operation, request) => this.#call(operation, request),
        namespace: nonEmpty(store.namespace),
        onSensitive,
        nowMs: () => clock.now(),
        ...(credentialFs !== undefined ? { fs: credentialFs } : {}),
      }),
      call: (operation, request) => this.#call(operation, request),
      clock,
      random,
      resilience,
      credentials: credentialsName,
      namespace: nonEmpty(store.namespace),
      emit: this.#onEvent,
    });
  }

  /** Begins login and the token lifecycle in the background; never throws. */
  start(signal: AbortSignal): void {
    for (const warning of tlsWarnings(this.#store)) {
      log.warn(warning, { credentials: this.#credentials });
    }
    this.#tokens.start(signal);
  }

  /** Whether a usable token is held. */
  ready(): boolean {
    return this.#tokens.ready();
  }

  /** Resolves once a usable token is held; rejects with the signal's reason on abort. */
  waitReady(signal?: AbortSignal): Promise<void> {
    return this.#tokens.waitReady(signal);
  }

  /**
   * Resolves once a usable token is held or a login attempt has failed — at once when one already
   * has — so a caller learns a refused connection or a rejected token in the time the server
   * takes to answer, not after a whole deadline. Reads then throw why they cannot run (see
   * {@linkcode readSecret}). Rejects with the signal's reason on abort.
   */
  waitForLogin(signal?: AbortSignal): Promise<void> {
    return this.#tokens.waitForLogin(signal);
  }

  /** Remaining token TTL, seconds; `undefined` without a token or for one that never expires. */
  tokenTtlSeconds(): number | undefined {
    return this.#tokens.ttlSeconds();
  }

  /** The circuit breaker's state. */
  breakerState(): CircuitState {
    return this.#breaker.state;
  }

  /**
   * Reads one KV secret (one attempt, through the breaker, with the store's deadline).
   *
   * @throws {VaultError} `not_found`, `deleted`, `destroyed`, `permission_denied`, `sealed`,
   * `standby`, `rate_limited` (with `retryAfterMs`), `unavailable`, `timeout`,
   * `invalid_response`, `bad_request` or `circuit_open`; without a usable token, the kind of the
   * last login failure with its cause in the message (`auth_failed` for a rejected or unreadable
   * credential, `unavailable`/`timeout`/… for network trouble, `timeout` before a login has
   * finished)
   */
  readSecret(ref: SecretRef, options: ReadOptions = {}): Promise<SecretData> {
    const { signal } = options;
    const name = displayPath(ref);
    return this.#withToken(`read secret "${name}"`, signal, async (token) => {
      const namespace = this.#namespaceFor(ref.namespace);
      const kv = ref.kvVersion === "auto"
        ? await this.#detectKvVersion(ref, namespace, token, signal)
        : ref.kvVersion;
      if (kv === 1 && ref.version !== undefined) {
        throw new VaultError(
          `Cannot read secret "${name}": version ${ref.version} pinned, but the mount is KV v1`,
          { kind: "bad_request", path: kvReadPath(ref, 1) },
        );
      }
      const path = kvReadPath(ref, kv);
      const response = await this.#call("read", { method: "GET", path, token, namespace, signal });
      const secret = parseKvRead({
        kv,
        status: response.status,
        body: response.body,
        name,
        path: stripQuery(path),
        retryAfter: response.headers.get("retry-after"),
        nowMs: this.#clock.now(),
      });
      this.#registerValues(secret.data);
      return secret;
    });
  }

  /**
   * Reads an arbitrary API path (consul-template's `secret "secret/data/app"`) and returns the
   * raw JSON body.
   *
   * @throws {VaultError} as {@linkcode readSecret}
   */
  readPath(path: string, options: ReadPathOptions = {}): Promise<Record<string, unknown>> {
    const apiPath = trimSlashes(path);
    return this.#objectCall("read_path", "GET", apiPath, `read "${stripQuery(apiPath)}"`, options, {
      register: true,
    });
  }

  /**
   * Writes `body` to any API path (`pki/issue/web`, `transit/encrypt/k`, …) and returns the raw
   * JSON body, like {@linkcode readPath}. The values it returns and its `lease_id` are registered
   * as sensitive. One attempt; a write is never repeated on its own.
   *
   * @throws {VaultError} as {@linkcode readSecret}
   */
  writePath(
    path: string,
    body: Record<string, unknown>,
    options: ReadPathOptions = {},
  ): Promise<Record<string, unknown>> {
    const apiPath = trimSlashes(path);
    return this.#objectCall(
      "write_path",
      "POST",
      apiPath,
      `write "${stripQuery(apiPath)}"`,
      options,
      {
        body,
        register: true,
        allowEmpty: true,
      },
    );
  }

  /**
   * Renews a lease (`sys/leases/renew`) by `incrementSeconds` (the server caps it at the lease's
   * max TTL). Returns the lease as the server now holds it.
   *
   * @throws {VaultError} `bad_request` (400 "lease not found") when the lease is gone or not renewable
   */
  async renewLease(
    leaseId: string,
    incrementSeconds: number,
    options: ReadPathOptions = {},
  ): Promise<LeaseInfo> {
    const body = await this.#objectCall(
      "renew_lease",
      "POST",
      "sys/leases/renew",
      "renew a lease",
      options,
      {
        body: { lease_id: leaseId, increment: incrementSeconds },
        allowEmpty: true,
      },
    );
    return {
      leaseId: typeof body.lease_id === "string" && body.lease_id !== "" ? body.lease_id : leaseId,
      leaseDurationSeconds: typeof body.lease_duration === "number" ? body.lease_duration : 0,
      renewable: body.renewable === true,
    };
  }

  /** Revokes a lease (`sys/leases/revoke`); the credentials it granted stop working. */
  async revokeLease(leaseId: string, options: ReadPathOptions = {}): Promise<void> {
    await this.#objectCall("revoke_lease", "POST", "sys/leases/revoke", "revoke a lease", options, {
      body: { lease_id: leaseId },
      allowEmpty: true,
    });
  }

  /**
   * One request to any API path whose answer is a JSON object: through the breaker and the
   * re-login of {@linkcode #withToken}, an error with `action` for any other status, and
   * `invalid_response` for a body that is not an object. `allowEmpty` takes 204 and an empty body
   * as `{}`; `register` registers the answer's data and lease id as sensitive.
   */
  #objectCall(
    operation: VaultOperation,
    method: "GET" | "POST",
    apiPath: string,
    action: string,
    options: ReadPathOptions,
    extra: { body?: Record<string, unknown>; register?: boolean; allowEmpty?: boolean },
  ): Promise<Record<string, unknown>> {
    const { signal } = options;
    return this.#withToken(action, signal, async (token) => {
      const namespace = this.#namespaceFor(options.namespace);
      const response = await this.#call(operation, {
        method,
        path: apiPath,
        ...(extra.body !== undefined ? { body: extra.body } : {}),
        token,
        namespace,
        signal,
      });
      if (response.status !== 200 && !(extra.allowEmpty && response.status === 204)) {
        throw errorFromHttp(response, {
          path: stripQuery(apiPath),
          action,
          context: "read",
          nowMs: this.#clock.now(),
        });
      }
      const parsed = ObjectBody.safeParse(extra.allowEmpty ? response.body ?? {} : response.body);
      if (!parsed.success) {
        throw new VaultError(`Cannot ${action}: invalid response: not an object`, {
          kind: "invalid_response",
          status: response.status,
          path: stripQuery(apiPath),
        });
      }
      if (extra.register) this.#registerLeased(parsed.data);
      return parsed.data;
    });
  }

  /** Stops the token lifecycle and closes the HTTP client. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#tokens.close();
    for (const close of this.#closers) {
      try {
        close();
      } catch {
        // already closed
      }
    }
  }

  /** Runs `attempt` through the breaker; after a 403 from a dead token, re-auth and once more. */
  async #withToken<T>(
    action: string,
    signal: AbortSignal | undefined,
    attempt: (token: string) => Promise<T>,
  ): Promise<T> {
    if (this.#closed) {
      throw new VaultError(`Cannot ${action}: client closed`, { kind: "unavailable" });
    }
    const token = this.#tokens.token;
    if (token === undefined || !this.#tokens.ready()) throw this.#tokens.notReadyError(action);
    try {
      return await this.#guarded(() => attempt(token));
    } catch (err) {
      if (!(err instanceof VaultError) || err.kind !== "permission_denied") throw err;
      // That is re-authentication, not a retry: the token may have been revoked or expired.
      const replaced = await this.#tokens.reauthenticate(token, signal);
      const next = this.#tokens.token;
      if (!replaced || next === undefined || next === token) throw err;
      log.info("Token replaced after a 403; reading once more", { credentials: this.#credentials });
      return await this.#guarded(() => attempt(next));
    }
  }

  async #guarded<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await this.#breaker.execute(fn);
    } catch (err) {
      if (err instanceof CircuitOpenError) {
        throw new VaultError(`Cannot reach Vault: ${err.message}`, {
          kind: "circuit_open",
          retryAfterMs: err.remainingCooldownMs,
          cause: err,
        });
      }
      throw err;
    }
  }

  #detectKvVersion(
    ref: SecretRef,
    namespace: string | undefined,
    token: string,
    signal: AbortSignal | undefined,
  ): Promise<1 | 2> {
    const cacheKey = `${namespace ?? ""}\u0000${trimSlashes(ref.mountPath)}`;
    const cached = this.#kvVersions.get(cacheKey);
    if (cached !== undefined) return cached;
    const path = mountInfoPath(ref);
    const detection = this.#call("mount_info", { method: "GET", path, token, namespace, signal })
      .then((response) =>
        parseMountVersion({
          status: response.status,
          body: response.body,
          name: displayPath(ref),
          path,
          retryAfter: response.headers.get("retry-after"),
          nowMs: this.#clock.now(),
        })
      );
    this.#kvVersions.set(cacheKey, detection);
    detection.then(
      (version) =>
        log.debug("Detected KV version", {
          mount: trimSlashes(ref.mountPath),
          namespace: namespace ?? "",
          version,
        }),
      () => this.#kvVersions.delete(cacheKey),
    );
    return detection;
  }

  async #call(operation: VaultOperation, request: ApiRequest): Promise<ApiResponse> {
    const started = this.#clock.now();
    try {
      const response = await this.#transport.request(request);
      const outcome = response.status < 400
        ? "success"
        : kindForStatus(response.status, errorDetail(response.body));
      this.#onEvent({
        type: "request",
        credentials: this.#credentials,
        operation,
        outcome,
        status: response.status,
        durationMs: this.#clock.now() - started,
      });
      return response;
    } catch (err) {
      if (err instanceof VaultError) {
        this.#onEvent({
          type: "request",
          credentials: this.#credentials,
          operation,
          outcome: err.kind,
          ...(err.status !== undefined ? { status: err.status } : {}),
          durationMs: this.#clock.now() - started,
        });
      }
      throw err;
    }
  }

  #namespaceFor(override: string | undefined): string | undefined {
    if (override !== undefined) return nonEmpty(trimSlashes(override));
    return nonEmpty(this.#store.namespace);
  }

  /** Registers a raw response's data values and its lease id. */
  #registerLeased(body: Record<string, unknown>): void {
    this.#registerValues(body.data);
    if (typeof body.lease_id === "string") this.#registerValues(body.lease_id);
  }

  /**
   * Registers every value a read returned (strings, and numbers as they print), so logs, errors
   * and traces can redact them. The one place values are registered: every read goes through it.
   */
  #registerValues(value: unknown, depth = 0): void {
    if (depth > 32) return;
    if (typeof value === "string") {
      if (value !== "") this.#onSensitive(value);
    } else if (typeof value === "number" || typeof value === "bigint") {
      this.#onSensitive(String(value));
    } else if (Array.isArray(value)) {
      for (const item of value) this.#registerValues(item, depth + 1);
    } else if (typeof value === "object" && value !== null) {
      for (const item of Object.values(value)) this.#registerValues(item, depth + 1);
    }
  }
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value === "" ? undefined : value;
}
