/**
 * Starts an OpenBao dev server for integration tests: `await using bao = await startOpenBao()`.
 *
 * The binary comes from {@linkcode openBaoBinary} (devbao by default, the real OpenBao with
 * `OPENBAO_REAL=1`, or `OPENBAO_BIN`). Each server listens on a free loopback port with a
 * random root token, and is always killed on dispose.
 *
 * @example
 * ```ts
 * await using bao = await startOpenBao();
 * const version = await bao.writeKv2("secret", "app/db", { password: "s3cret" });
 * const res = await bao.api("GET", "secret/data/app/db");
 * // res.status === 200, res.body.data.data.password === "s3cret", version === 1
 * ```
 *
 * @module
 */

import { openBaoBinary } from "./build_openbao.ts";

/** Server TLS files (PEM). With `clientCaFile` the server requires client certificates. */
export interface OpenBaoTls {
  certFile: string;
  keyFile: string;
  /** CA that client certificates must chain to; enables mTLS. */
  clientCaFile?: string;
  /** CA the launcher trusts for the server. @default certFile (self-signed) */
  caFile?: string;
  /** Client certificate the launcher presents (required with `clientCaFile`). */
  client?: { certFile: string; keyFile: string };
}

/** Options for {@linkcode startOpenBao}. */
export interface StartOpenBaoOptions {
  tls?: OpenBaoTls;
  /** Aborts start-up (the process is killed). */
  signal?: AbortSignal;
  /** Binary to run. @default await openBaoBinary() */
  binary?: string;
  /**
   * Run as a standby of this active node's address (devbao only): sys/health answers standby,
   * every other request is redirected with 307 to the active node.
   */
  standbyOf?: string;
  /** Bound on start-up. @default 10_000 */
  startTimeoutMs?: number;
}

/** Options for {@linkcode OpenBao.api}. */
export interface ApiOptions {
  /** JSON body. */
  body?: unknown;
  /** Token to send; `null` sends none. @default the root token */
  token?: string | null;
  /** X-Vault-Namespace. */
  namespace?: string;
  headers?: Record<string, string>;
  signal?: AbortSignal;
}

/** A parsed API response. `body` is the JSON, or null when there was none (204, HEAD). */
export interface ApiResponse {
  status: number;
  // deno-lint-ignore no-explicit-any
  body: any;
  headers: Headers;
}

/** Options for {@linkcode OpenBao.createRole}. */
export interface CreateRoleOptions {
  mount?: string;
  tokenTtl?: string | number;
  tokenMaxTtl?: string | number;
  tokenPolicies?: string[];
  tokenNumUses?: number;
  tokenPeriod?: string | number;
  secretIdNumUses?: number;
  secretIdTtl?: string | number;
  bindSecretId?: boolean;
  namespace?: string;
}

/** Options for {@linkcode OpenBao.createToken}. */
export interface CreateTokenOptions {
  policies?: string[];
  ttl?: string | number;
  explicitMaxTtl?: string | number;
  period?: string | number;
  renewable?: boolean;
  numUses?: number;
  noParent?: boolean;
  noDefaultPolicy?: boolean;
  displayName?: string;
  /** Create the token in this namespace. */
  namespace?: string;
  /** Use auth/token/create-orphan. */
  orphan?: boolean;
}

/** What auth/token/create returned. */
export interface CreatedToken {
  token: string;
  accessor: string;
  policies: string[];
  leaseDuration: number;
  renewable: boolean;
}

/** A running server. */
export interface OpenBao extends AsyncDisposable {
  /** Base URL, e.g. `http://127.0.0.1:43117`. */
  readonly address: string;
  readonly rootToken: string;
  /** Version reported by sys/health, e.g. `2.6.1+devbao`. */
  readonly version: string;
  readonly pid: number;
  readonly binary: string;
  /** Calls `/v1/<path>`; never throws on an HTTP status. */
  api(method: string, path: string, options?: ApiOptions): Promise<ApiResponse>;
  /** SIGTERM, then SIGKILL after 3 s; resolves with the exit code. */
  stop(): Promise<number>;
  /** Sends a signal; does not wait. */
  kill(signal?: Deno.Signal): void;
  /** The last 64 KiB of the server's stdout and stderr. */
  output(): string;
  /** Writes a KV v2 secret and returns its new version. */
  writeKv2(
    mount: string,
    path: string,
    data: Record<string, unknown>,
    options?: { cas?: number },
  ): Promise<number>;
  writeKv1(mount: string, path: string, data: Record<string, unknown>): Promise<void>;
  enableKv(mount: string, version: 1 | 2): Promise<void>;
  /** Soft-deletes the given versions, or the latest when none are given. */
  deleteKv2(mount: string, path: string, versions?: number[]): Promise<void>;
  destroyKv2(mount: string, path: string, versions: number[]): Promise<void>;
  writePolicy(name: string, hcl: string): Promise<void>;
  enableAppRole(mount?: string): Promise<void>;
  createRole(name: string, options?: CreateRoleOptions): Promise<void>;
  roleId(name: string, options?: { mount?: string; namespace?: string }): Promise<string>;
  /** A new secret-id, or with `wrapTtl` the wrapping token that holds it. */
  secretId(
    name: string,
    options?: { wrapTtl?: string; mount?: string; namespace?: string },
  ): Promise<string>;
  createToken(options?: CreateTokenOptions): Promise<CreatedToken>;
  /** Creates a namespace (nested with "a/b") and returns its path, e.g. "a/b/". */
  createNamespace(name: string): Promise<string>;
  /** Enables a file audit device writing JSON lines to `filePath`. */
  enableFileAudit(filePath: string, options?: { name?: string }): Promise<void>;
  seal(): Promise<void>;
  unseal(): Promise<void>;
}

/** The server answered a helper call with an unexpected status. */
export class OpenBaoApiError extends Error {
  override name = "OpenBaoApiError";
  constructor(
    readonly method: string,
    readonly path: string,
    readonly status: number,
    errors: unknown,
  ) {
    super(
      `Cannot ${method} "${path}": OpenBao answered ${status} ${JSON.stringify(errors ?? null)}`,
    );
  }
}

/** The server did not come up. */
export class OpenBaoStartError extends Error {
  override name = "OpenBaoStartError";
  constructor(message: string, readonly output: string, options?: ErrorOptions) {
    super(`${message}\n--- server output ---\n${output}`, options);
  }
}

const OUTPUT_LIMIT = 64 * 1024;

/** Bounded ring of the server's output, for debugging failed tests. */
class OutputBuffer {
  #text = "";
  append(chunk: string) {
    this.#text += chunk;
    if (this.#text.length > OUTPUT_LIMIT) this.#text = this.#text.slice(-OUTPUT_LIMIT);
  }
  toString() {
    return this.#text;
  }
}

function randomToken(): string {
  const alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
  const bytes = crypto.getRandomValues(new Uint8Array(24));
  return "s." + Array.from(bytes, (b) => alphabet[b % alphabet.length]).join("");
}

/** Reads a stream into the buffer, resolving `address` once the banner shows it. */
async function pump(
  stream: ReadableStream<Uint8Array>,
  buffer: OutputBuffer,
  onLine: (line: string) => void,
): Promise<void> {
  let pending = "";
  for await (const chunk of stream.pipeThrough(new TextDecoderStream())) {
    buffer.append(chunk);
    pending += chunk;
    let i: number;
    while ((i = pending.indexOf("\n")) >= 0) {
      onLine(pending.slice(0, i));
      pending = pending.slice(i + 1);
    }
    if (pending.length > OUTPUT_LIMIT) pending = "";
  }
}

/**
 * Starts a dev server on a free loopback port and waits (bounded) until sys/health answers.
 *
 * Needs --allow-run, --allow-net=127.0.0.1, --allow-env, --allow-read (and --allow-write for
 * the first build).
 * @throws {OpenBaoStartError} when the server exits or does not answer in time
 */
export async function startOpenBao(options: StartOpenBaoOptions = {}): Promise<OpenBao> {
  const { tls, signal, startTimeoutMs = 10_000 } = options;
  if (tls?.clientCaFile && !tls.client) {
    throw new TypeError(
      "Option tls.client is required with tls.clientCaFile: the launcher must present a certificate",
    );
  }
  signal?.throwIfAborted();
  const binary = options.binary ?? await openBaoBinary(signal ? { signal } : {});
  const rootToken = randomToken();
  const args = ["server", "-dev", "-dev-listen-address=127.0.0.1:0"];
  if (options.standbyOf) args.push(`-dev-standby-of=${options.standbyOf}`);
  if (tls) {
    args.push(`-dev-tls-cert-file=${tls.certFile}`, `-dev-tls-key-file=${tls.keyFile}`);
    if (tls.clientCaFile) args.push(`-dev-tls-client-ca-file=${tls.clientCaFile}`);
  }
  // The root token goes through the environment, not argv, so `ps` never shows it.
  const child = new Deno.Command(binary, {
    args,
    env: { BAO_DEV_ROOT_TOKEN_ID: rootToken, VAULT_DEV_ROOT_TOKEN_ID: rootToken },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const output = new OutputBuffer();
  const { promise: addressSeen, resolve: resolveAddress } = Promise.withResolvers<string>();
  let unsealKey = "devbao-accepts-any-key";
  const onLine = (line: string) => {
    const m = /Api Address:\s*(https?:\/\/\S+)/.exec(line);
    if (m?.[1]) resolveAddress(m[1]);
    // The real dev server prints its single unseal key; devbao accepts any key.
    const k = /Unseal Key:\s*(\S+)/.exec(line);
    if (k?.[1]) unsealKey = k[1];
  };
  const pumps = Promise.all([
    pump(child.stdout, output, onLine),
    pump(child.stderr, output, onLine),
  ])
    .catch(() => {});
  let exited = false;
  const status = child.status.then((s) => {
    exited = true;
    return s;
  });

  let client: Deno.HttpClient | undefined;
  if (tls) {
    const caCerts = [await Deno.readTextFile(tls.caFile ?? tls.certFile)];
    client = tls.client
      ? Deno.createHttpClient({
        caCerts,
        cert: await Deno.readTextFile(tls.client.certFile),
        key: await Deno.readTextFile(tls.client.keyFile),
      })
      : Deno.createHttpClient({ caCerts });
  }

  const kill = (sig: Deno.Signal = "SIGTERM") => {
    if (exited) return;
    try {
      child.kill(sig);
    } catch {
      // already gone
    }
  };
  const stop = async (): Promise<number> => {
    kill("SIGTERM");
    const timer = setTimeout(() => kill("SIGKILL"), 3_000);
    try {
      const s = await status;
      await pumps;
      return s.code;
    } finally {
      clearTimeout(timer);
      client?.close();
      client = undefined;
    }
  };

  const deadline = AbortSignal.any([
    AbortSignal.timeout(startTimeoutMs),
    ...(signal ? [signal] : []),
  ]);
  const aborted = new Promise<never>((_, reject) => {
    const fail = () => reject(deadline.reason ?? new Error("aborted"));
    if (deadline.aborted) fail();
    deadline.addEventListener("abort", fail, { once: true });
  });
  const died = status.then((s) => {
    throw new Error(`server exited with code ${s.code} before it was ready`);
  });
  aborted.catch(() => {});
  died.catch(() => {});

  let address = "";
  let version = "";
  const api = async (method: string, path: string, opts: ApiOptions = {}): Promise<ApiResponse> => {
    const headers = new Headers(opts.headers);
    const token = opts.token === undefined ? rootToken : opts.token;
    if (token) headers.set("X-Vault-Token", token);
    if (opts.namespace) headers.set("X-Vault-Namespace", opts.namespace);
    if (opts.body !== undefined) headers.set("Content-Type", "application/json");
    const url = `${address}/v1/${path.replace(/^\/?(v1\/)?/, "")}`;
    const res = await fetch(url, {
      method,
      headers,
      ...(opts.body !== undefined ? { body: JSON.stringify(opts.body) } : {}),
      ...(client ? { client } : {}),
      ...(opts.signal ? { signal: opts.signal } : {}),
    });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : null, headers: res.headers };
  };

  try {
    address = await Promise.race([addressSeen, died, aborted]);
    for (let attempt = 0;; attempt++) {
      try {
        const res = await Promise.race([
          api("GET", "sys/health?standbyok=true", { token: null }),
          died,
          aborted,
        ]);
        if (res.status === 200) {
          version = String(res.body?.version ?? "");
          break;
        }
      } catch (error) {
        if (deadline.aborted || exited) throw error;
      }
      await Promise.race([
        new Promise((r) => setTimeout(r, Math.min(5 * 2 ** attempt, 100))),
        aborted,
      ]);
    }
  } catch (error) {
    await stop();
    const reason = error instanceof Error ? error.message : String(error);
    throw new OpenBaoStartError(
      `Cannot start OpenBao from "${binary}": ${reason}`,
      output.toString(),
      {
        cause: error,
      },
    );
  }

  const must = async (method: string, path: string, opts: ApiOptions, expected: number[]) => {
    const res = await api(method, path, opts);
    if (!expected.includes(res.status)) {
      throw new OpenBaoApiError(method, path, res.status, res.body?.errors);
    }
    return res;
  };
  const ns = (namespace?: string): ApiOptions => (namespace ? { namespace } : {});

  const bao: OpenBao = {
    address,
    rootToken,
    version,
    pid: child.pid,
    binary,
    api,
    stop,
    kill,
    output: () => output.toString(),
    async writeKv2(mount, path, data, opts = {}) {
      const body = opts.cas === undefined ? { data } : { data, options: { cas: opts.cas } };
      const res = await must("POST", `${mount}/data/${path}`, { body }, [200]);
      return Number(res.body.data.version);
    },
    async writeKv1(mount, path, data) {
      await must("POST", `${mount}/${path}`, { body: data }, [200, 204]);
    },
    async enableKv(mount, kvVersion) {
      await must("POST", `sys/mounts/${mount}`, {
        body: { type: "kv", options: { version: String(kvVersion) } },
      }, [200, 204]);
    },
    async deleteKv2(mount, path, versions) {
      if (versions) {
        await must("POST", `${mount}/delete/${path}`, { body: { versions } }, [200, 204]);
      } else await must("DELETE", `${mount}/data/${path}`, {}, [200, 204]);
    },
    async destroyKv2(mount, path, versions) {
      await must("PUT", `${mount}/destroy/${path}`, { body: { versions } }, [200, 204]);
    },
    async writePolicy(name, hcl) {
      await must("PUT", `sys/policies/acl/${name}`, { body: { policy: hcl } }, [200, 204]);
    },
    async enableAppRole(mount = "approle") {
      await must("POST", `sys/auth/${mount}`, { body: { type: "approle" } }, [200, 204]);
    },
    async createRole(name, opts = {}) {
      const { mount = "approle", namespace, ...fields } = opts;
      const body: Record<string, unknown> = {};
      for (const [key, value] of Object.entries(fields)) {
        if (value !== undefined) body[key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`)] = value;
      }
      await must("POST", `auth/${mount}/role/${name}`, { body, ...ns(namespace) }, [200, 204]);
    },
    async roleId(name, opts = {}) {
      const res = await must(
        "GET",
        `auth/${opts.mount ?? "approle"}/role/${name}/role-id`,
        ns(opts.namespace),
        [200],
      );
      return String(res.body.data.role_id);
    },
    async secretId(name, opts = {}) {
      const headers: Record<string, string> = opts.wrapTtl
        ? { "X-Vault-Wrap-TTL": opts.wrapTtl }
        : {};
      const res = await must("POST", `auth/${opts.mount ?? "approle"}/role/${name}/secret-id`, {
        headers,
        ...ns(opts.namespace),
      }, [200]);
      return String(opts.wrapTtl ? res.body.wrap_info.token : res.body.data.secret_id);
    },
    async createToken(opts = {}) {
      const body: Record<string, unknown> = {};
      const map: Record<string, unknown> = {
        policies: opts.policies,
        ttl: opts.ttl,
        explicit_max_ttl: opts.explicitMaxTtl,
        period: opts.period,
        renewable: opts.renewable,
        num_uses: opts.numUses,
        no_parent: opts.noParent,
        no_default_policy: opts.noDefaultPolicy,
        display_name: opts.displayName,
      };
      for (const [key, value] of Object.entries(map)) if (value !== undefined) body[key] = value;
      const path = opts.orphan ? "auth/token/create-orphan" : "auth/token/create";
      const res = await must("POST", path, { body, ...ns(opts.namespace) }, [200]);
      const auth = res.body.auth;
      return {
        token: auth.client_token,
        accessor: auth.accessor,
        policies: auth.policies,
        leaseDuration: auth.lease_duration,
        renewable: auth.renewable,
      };
    },
    async createNamespace(name) {
      const parts = name.split("/").filter(Boolean);
      let parent = "";
      let path = "";
      for (const part of parts) {
        const res = await api(
          "POST",
          `sys/namespaces/${part}`,
          parent ? { namespace: parent } : {},
        );
        if (res.status !== 200) {
          throw new OpenBaoApiError("POST", `sys/namespaces/${part}`, res.status, res.body?.errors);
        }
        path = String(res.body.data.path);
        parent = path;
      }
      return path;
    },
    async enableFileAudit(filePath, opts = {}) {
      await must("PUT", `sys/audit/${opts.name ?? "file"}`, {
        body: { type: "file", options: { file_path: filePath } },
      }, [200, 204]);
    },
    async seal() {
      await must("PUT", "sys/seal", {}, [200, 204]);
    },
    async unseal() {
      await must("PUT", "sys/unseal", { body: { key: unsealKey } }, [200]);
    },
    async [Symbol.asyncDispose]() {
      await stop();
    },
  };
  return bao;
}
