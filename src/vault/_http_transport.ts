/**
 * One HTTP exchange with Vault: headers, a deadline on the injected clock, the response-size
 * cap, manual redirects to configured hosts only, and failover across the address list.
 * It never retries the same address: the scheduler owns retries.
 *
 * @module
 */
import { abortable, type Clock, timeoutSignal } from "../resilience/mod.ts";
import { VaultError } from "./vault_error.ts";
import { errorDetail, kindForStatus } from "./_error_mapping.ts";
import { readBodyCapped } from "./_response_body.ts";
import { allowedRedirect, FOLLOWED_REDIRECTS, MAX_REDIRECTS } from "./_redirect_policy.ts";
import { describeNetworkError } from "./_network_error.ts";

/** One configured server: the origin the user wrote, and how fetch reaches it. */
export interface Endpoint {
  /** `scheme://host:port` as configured. */
  origin: string;
  client?: Deno.HttpClient;
  /** A fetch of its own (tlsSkipVerify), used instead of the transport's. */
  fetch?: typeof fetch;
  /** Closes what `fetch` holds open. */
  close?: () => void;
}

/** A request to the Vault API. */
export interface ApiRequest {
  method: "GET" | "POST";
  /** API path without `/v1/`, may carry a query. */
  path: string;
  body?: unknown;
  token?: string;
  /** Namespace header; `undefined` or `""` sends none (root). */
  namespace?: string | undefined;
  signal?: AbortSignal | undefined;
  /** Extra headers (e.g. for unwrapping). */
  headers?: Record<string, string>;
}

/** The server's answer. */
export interface ApiResponse {
  status: number;
  /** Parsed JSON body; `undefined` when empty (or unparsable on an error status). */
  body: unknown;
  headers: Headers;
  /** The endpoint origin that answered. */
  origin: string;
}

/** Options of {@linkcode HttpTransport}. */
export interface HttpTransportOptions {
  endpoints: Endpoint[];
  clock: Clock;
  fetch: typeof fetch;
  requestTimeoutMs: number;
  maxResponseBytes: number;
}

class DeadlineExceeded extends Error {
  override name = "DeadlineExceeded";
}

/** Answers after which the next configured address is tried at once. */
const FAILOVER_ANSWERS = new Set(["sealed", "standby"]);
/** Failures without an answer (connection refused/reset, redirect elsewhere) that fail over. */
const FAILOVER_THROWN = new Set(["unavailable", "standby"]);

/** Sends API requests to the first healthy address of a list. */
export class HttpTransport {
  readonly #endpoints: Endpoint[];
  readonly #clock: Clock;
  readonly #fetch: typeof fetch;
  readonly #timeoutMs: number;
  readonly #maxBytes: number;
  #current = 0;

  constructor(options: HttpTransportOptions) {
    if (options.endpoints.length === 0) {
      throw new RangeError('Invalid option "store.addresses": at least one address is needed');
    }
    this.#endpoints = options.endpoints;
    this.#clock = options.clock;
    this.#fetch = options.fetch;
    this.#timeoutMs = options.requestTimeoutMs;
    this.#maxBytes = options.maxResponseBytes;
  }

  /** The origin tried first by the next request. */
  get currentOrigin(): string {
    return this.#endpoints[this.#current]!.origin;
  }

  /**
   * Sends `request` with one deadline for the whole exchange. On a connection failure, a sealed
   * or a standby answer it moves on to the next configured address (each is tried once).
   *
   * @throws {VaultError} `unavailable`, `timeout`, `invalid_response`; the caller's abort reason
   * when `request.signal` aborts
   */
  async request(request: ApiRequest): Promise<ApiResponse> {
    const deadline = timeoutSignal(this.#timeoutMs, {
      clock: this.#clock,
      ...(request.signal ? { signal: request.signal } : {}),
      reason: () => new DeadlineExceeded("deadline exceeded"),
    });
    const signal = deadline.signal;
    try {
      const count = this.#endpoints.length;
      const first = this.#current;
      for (let i = 0;; i++) {
        const index = (first + i) % count;
        const last = i === count - 1;
        let response: ApiResponse;
        const endpoint = this.#endpoints[index]!;
        try {
          response = await this.#exchange(endpoint, request, signal);
        } catch (err) {
          const mapped = this.#mapThrown(err, request, signal, endpoint.origin);
          // A timeout used up the deadline: no time left for another address, but the next
          // request starts elsewhere.
          if (mapped.kind === "timeout" || FAILOVER_THROWN.has(mapped.kind)) {
            this.#current = (index + 1) % count;
          }
          if (last || !FAILOVER_THROWN.has(mapped.kind)) throw mapped;
          continue;
        }
        const kind = response.status >= 400
          ? kindForStatus(response.status, errorDetail(response.body))
          : undefined;
        if (kind !== undefined && FAILOVER_ANSWERS.has(kind)) {
          this.#current = (index + 1) % count;
          if (!last) continue;
        }
        return response;
      }
    } finally {
      deadline.dispose();
    }
  }

  #mapThrown(err: unknown, request: ApiRequest, signal: AbortSignal, origin: string): VaultError {
    if (err instanceof VaultError) return err;
    const path = stripQuery(request.path);
    if (request.signal?.aborted) throw request.signal.reason;
    if (signal.aborted && signal.reason instanceof DeadlineExceeded) {
      const detail = `no answer from ${hostPortOf(origin)} within ${this.#timeoutMs}ms`;
      return new VaultError(`Cannot complete "${path}": ${detail}`, {
        kind: "timeout",
        path,
        detail,
        cause: err,
      });
    }
    const detail = describeNetworkError(err, origin);
    return new VaultError(`Cannot reach Vault for "${path}": ${detail}`, {
      kind: "unavailable",
      path,
      detail,
      cause: err,
    });
  }

  async #exchange(
    endpoint: Endpoint,
    request: ApiRequest,
    signal: AbortSignal,
  ): Promise<ApiResponse> {
    const headers = new Headers({ "X-Vault-Request": "true", ...request.headers });
    if (request.token !== undefined) headers.set("X-Vault-Token", request.token);
    if (request.namespace !== undefined && request.namespace !== "") {
      headers.set("X-Vault-Namespace", request.namespace);
    }
    let body: string | undefined;
    if (request.body !== undefined) {
      body = JSON.stringify(request.body);
      headers.set("Content-Type", "application/json");
    }
    const path = stripQuery(request.path);
    let target = endpoint;
    let url = `${endpoint.origin}/v1/${request.path}`;
    for (let hop = 0;; hop++) {
      const init: RequestInit & { client?: Deno.HttpClient } = {
        method: request.method,
        headers,
        redirect: "manual",
        signal,
      };
      if (body !== undefined) init.body = body;
      if (target.client !== undefined) init.client = target.client;
      const fetchFn = target.fetch ?? this.#fetch;
      const response = await abortable(fetchFn(url, init), signal);
      if (FOLLOWED_REDIRECTS.has(response.status) || isOtherRedirect(response.status)) {
        await response.body?.cancel().catch(() => {});
        const location = response.headers.get("location");
        const next = FOLLOWED_REDIRECTS.has(response.status) && hop < MAX_REDIRECTS
          ? this.#redirectEndpoint(location, url)
          : undefined;
        if (next === undefined) {
          throw new VaultError(
            `Cannot follow redirect of "${path}": target is not a configured address`,
            { kind: "standby", status: response.status, path },
          );
        }
        target = next.endpoint;
        url = next.url;
        continue;
      }
      const bytes = await readBodyCapped(response, this.#maxBytes, path);
      return {
        status: response.status,
        body: parseJson(bytes, response.status, path),
        headers: response.headers,
        origin: target.origin,
      };
    }
  }

  #redirectEndpoint(
    location: string | null,
    requestUrl: string,
  ): { endpoint: Endpoint; url: string } | undefined {
    const allowed = this.#endpoints.map((e) => e.origin);
    const target = allowedRedirect(location, requestUrl, allowed);
    if (target === undefined) return undefined;
    const endpoint = this.#endpoints.find((e) => e.origin === target.origin)!;
    return { endpoint, url: target.href };
  }
}

function isOtherRedirect(status: number): boolean {
  return status >= 300 && status < 400 && status !== 304;
}

const DECODER = new TextDecoder();

function parseJson(bytes: Uint8Array, status: number, path: string): unknown {
  if (bytes.byteLength === 0) return undefined;
  const text = DECODER.decode(bytes);
  try {
    return JSON.parse(text);
  } catch {
    if (status >= 400) return undefined;
    // No cause: the parser's message quotes the body, which may hold secret values.
    throw new VaultError(`Cannot read response of "${path}": body is not JSON`, {
      kind: "invalid_response",
      status,
      path,
    });
  }
}

/** The path without its query string (queries never go into messages). */
export function stripQuery(path: string): string {
  const i = path.indexOf("?");
  return i === -1 ? path : path.slice(0, i);
}

/** `host:port` of an origin, the default port made explicit. */
function hostPortOf(origin: string): string {
  const url = new URL(origin);
  return `${url.hostname}:${url.port || (url.protocol === "https:" ? "443" : "80")}`;
}
