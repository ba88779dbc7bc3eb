/**
 * Starts a real OpenBao dev server for integration tests: `await using bao = await startOpenBao()`.
 *
 * The binary comes from {@linkcode openBaoBinary} (`OPENBAO_BIN`, a `bao` on PATH, or the
 * build of `../shared/openbao`). Each server runs `bao server -dev` on a free loopback port with
 * a random root token (no reserved prefix such as `s.`), plus a generated `-config` file for
 * everything the dev flags cannot say: `disable_clustering` (so no cluster listener on port+1),
 * a TLS or mTLS `listener "tcp"` block, and a declarative file audit device (OpenBao 2.6 refuses
 * `sys/audit/*` over the API). The server is always killed on dispose.
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

import { freePort } from "./free_port.ts";
import { openBaoBinary, openBaoVersion } from "./build_openbao.ts";

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
  /** Serve the API over TLS (and mTLS with `clientCaFile`) on a `listener "tcp"` block. */
  tls?: OpenBaoTls;
  /**
   * Declare a file audit device (`audit "file" "file/"`) writing one JSON line per request and
   * response to this path, from the server's first request on.
   */
  auditFile?: string;
  /** Aborts start-up (the process is killed). */
  signal?: AbortSignal;
  /** Binary to run. @default await openBaoBinary() */
  binary?: string;
  /** Bound on start-up. @default 30_000 */
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

/** The admin calls every test server offers, bound to one address and root token. */
export interface OpenBaoAdmin {
  /** Base URL, e.g. `http://127.0.0.1:43117`. */
  readonly address: string;
  readonly rootToken: string;
  /** Calls `/v1/<path>`; never throws on an HTTP status. */
  api(method: string, path: string, options?: ApiOptions): Promise<ApiResponse>;
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
}

/** A running dev server. */
export interface OpenBao extends OpenBaoAdmin, AsyncDisposable {
  /** Version reported by sys/health, checked against `bao version` of the same binary. */
  readonly version: string;
  readonly pid: number;
  readonly binary: string;
  /** The audit log path when started with `auditFile`. */
  readonly auditFile: string | undefined;
  /** SIGTERM, then SIGKILL after 3 s; resolves with the exit code. */
  stop(): Promise<number>;
  /** Sends a signal; does not wait. */
  kill(signal?: Deno.Signal): void;
  /** The last 64 KiB of the server's stdout and stderr. */
  output(): string;
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

/** A random root token id: letters and digits only, so never a reserved prefix like `s.`. */
export function randomToken(): string {
  const alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
  const bytes = crypto.getRandomValues(new Uint8Array(28));
  return "root" + Array.from(bytes, (b) => alphabet[b % alphabet.length]).join("");
}

/** Re-exported for the tests that import it from here. */
export { freePort };

/** A running `bao` process with its output captured. */
export interface BaoProcess {
  readonly pid: number;
  /** Resolves when the process has exited. */
  readonly exited: Promise<Deno.CommandStatus>;
  readonly hasExited: () => boolean;
  kill(signal?: Deno.Signal): void;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves with the exit code. */
  stop(graceMs?: number): Promise<number>;
  output(): string;
}

/** Spawns `bao` with piped, bounded output. The environment carries secrets, never argv. */
export function spawnBao(binary: string, args: string[], env: Record<string, string>): BaoProcess {
  const child = new Deno.Command(binary, {
    args,
    env,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  let text = "";
  const pump = async (stream: ReadableStream<Uint8Array>) => {
    for await (const chunk of stream.pipeThrough(new TextDecoderStream())) {
      text += chunk;
      if (text.length > OUTPUT_LIMIT) text = text.slice(-OUTPUT_LIMIT);
    }
  };
  const pumps = Promise.all([pump(child.stdout), pump(child.stderr)]).catch(() => {});
  let exited = false;
  const status = child.status.then((s) => {
    exited = true;
    return s;
  });
  const kill = (sig: Deno.Signal = "SIGTERM") => {
    if (exited) return;
    try {
      child.kill(sig);
    } catch {
      // already gone
    }
  };
  return {
    pid: child.pid,
    exited: status,
    hasExited: () => exited,
    kill,
    async stop(graceMs = 3_000) {
      kill("SIGTERM");
      const timer = setTimeout(() => kill("SIGKILL"), graceMs);
      try {
        const s = await status;
        await pumps;
        return s.code;
      } finally {
        clearTimeout(timer);
      }
    },
    output: () => text,
  };
}

/** Options for {@linkcode adminClient}. */
export interface AdminClientOptions {
  /** TLS client for https addresses. */
  client?: Deno.HttpClient;
}

/** The admin helpers over plain `fetch`, for one address and token. */
export function adminClient(
  address: string,
  rootToken: string,
  options: AdminClientOptions = {},
): OpenBaoAdmin {
  const { client } = options;
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
      signal: opts.signal ?? AbortSignal.timeout(30_000),
    });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : null, headers: res.headers };
  };
  const must = async (method: string, path: string, opts: ApiOptions, expected: number[]) => {
    const res = await api(method, path, opts);
    if (!expected.includes(res.status)) {
      throw new OpenBaoApiError(method, path, res.status, res.body?.errors);
    }
    return res;
  };
  const ns = (namespace?: string): ApiOptions => (namespace ? { namespace } : {});
  return {
    address,
    rootToken,
    api,
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
        const res = await must(
          "POST",
          `sys/namespaces/${part}`,
          parent ? { namespace: parent } : {},
          [200],
        );
        path = String(res.body.data.path);
        parent = path;
      }
      return path;
    },
  };
}

/** Quotes a string for HCL. */
export function hclString(value: string): string {
  return JSON.stringify(value);
}

/** The `-config` file for one dev server: what the dev flags cannot say. */
function devConfig(tlsPort: number | undefined, options: StartOpenBaoOptions): string {
  // inmem storage is not HA, so the top-level switch removes the cluster listener the dev
  // server would otherwise bind on port+1 of every tcp listener.
  const lines = ["disable_clustering = true"];
  const { tls, auditFile } = options;
  if (tls && tlsPort !== undefined) {
    lines.push(
      `listener "tcp" {`,
      `  address = ${hclString(`127.0.0.1:${tlsPort}`)}`,
      `  tls_cert_file = ${hclString(tls.certFile)}`,
      `  tls_key_file = ${hclString(tls.keyFile)}`,
    );
    if (tls.clientCaFile) {
      lines.push(
        `  tls_client_ca_file = ${hclString(tls.clientCaFile)}`,
        `  tls_require_and_verify_client_cert = true`,
      );
    }
    lines.push(`}`);
  }
  if (auditFile) {
    lines.push(
      `audit "file" "file/" {`,
      `  options {`,
      `    file_path = ${hclString(auditFile)}`,
      `  }`,
      `}`,
    );
  }
  return lines.join("\n") + "\n";
}

/** Waits (bounded by `signal`) until `probe` resolves true; a dead process ends the wait. */
export async function waitFor(
  probe: () => Promise<boolean>,
  signal: AbortSignal,
  process?: BaoProcess,
): Promise<void> {
  for (let attempt = 0;; attempt++) {
    signal.throwIfAborted();
    if (process?.hasExited()) {
      throw new Error(`server exited with code ${(await process.exited).code}`);
    }
    try {
      if (await probe()) return;
    } catch (error) {
      if (signal.aborted) throw error;
    }
    await new Promise((r) => setTimeout(r, Math.min(10 * 2 ** attempt, 200)));
  }
}

const START_ATTEMPTS = 3;

/**
 * Starts a dev server on a free loopback port and waits (bounded) until sys/health answers.
 *
 * Needs --allow-run, --allow-net=127.0.0.1, --allow-env, --allow-read and --allow-write (a temp
 * directory for the config file; .cache/ for the first build).
 * @throws {OpenBaoStartError} when the server exits or does not answer in time
 */
export async function startOpenBao(options: StartOpenBaoOptions = {}): Promise<OpenBao> {
  const { tls, signal, startTimeoutMs = 30_000 } = options;
  if (tls?.clientCaFile && !tls.client) {
    throw new TypeError(
      "Option tls.client is required with tls.clientCaFile: the launcher must present a certificate",
    );
  }
  signal?.throwIfAborted();
  const binary = options.binary ?? await openBaoBinary(signal ? { signal } : {});
  const expectedVersion = await openBaoVersion(binary);
  let lastError: OpenBaoStartError | undefined;
  // A port picked free can be taken by another test before the server binds it: try again.
  for (let attempt = 0; attempt < START_ATTEMPTS; attempt++) {
    try {
      return await startOnce(binary, expectedVersion, options, startTimeoutMs);
    } catch (error) {
      if (!(error instanceof OpenBaoStartError) || !/address already in use/.test(error.output)) {
        throw error;
      }
      lastError = error;
    }
  }
  throw lastError;
}

async function startOnce(
  binary: string,
  expectedVersion: string,
  options: StartOpenBaoOptions,
  startTimeoutMs: number,
): Promise<OpenBao> {
  const { tls, signal } = options;
  const rootToken = randomToken();
  const dir = await Deno.makeTempDir({ prefix: "openbao-dev-" });
  const devPort = freePort();
  const tlsPort = tls ? freePort() : undefined;
  const configFile = `${dir}/config.hcl`;
  await Deno.writeTextFile(configFile, devConfig(tlsPort, options));
  const args = [
    "server",
    "-dev",
    `-dev-listen-address=127.0.0.1:${devPort}`,
    "-dev-no-store-token",
    `-config=${configFile}`,
  ];
  // The root token goes through the environment, not argv, so `ps` never shows it.
  const proc = spawnBao(binary, args, { BAO_DEV_ROOT_TOKEN_ID: rootToken });

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
  const address = tls ? `https://127.0.0.1:${tlsPort}` : `http://127.0.0.1:${devPort}`;
  const admin = adminClient(address, rootToken, client ? { client } : {});
  let stopped: Promise<number> | undefined;
  const stop = (): Promise<number> => {
    stopped ??= (async () => {
      try {
        return await proc.stop();
      } finally {
        client?.close();
        await Deno.remove(dir, { recursive: true }).catch(() => {});
      }
    })();
    return stopped;
  };

  const deadline = AbortSignal.any([
    AbortSignal.timeout(startTimeoutMs),
    ...(signal ? [signal] : []),
  ]);
  let version = "";
  try {
    await waitFor(
      async () => {
        const res = await admin.api("GET", "sys/health", { token: null, signal: deadline });
        version = String(res.body?.version ?? "");
        return res.status === 200;
      },
      deadline,
      proc,
    );
    // The dev banner (with the unseal key) follows the first answers by a few milliseconds.
    await waitFor(() => Promise.resolve(/Root Token:/.test(proc.output())), deadline, proc);
    if (version !== expectedVersion) {
      throw new Error(
        `sys/health reports version "${version}" but \`${binary} version\` says "${expectedVersion}"`,
      );
    }
  } catch (error) {
    await stop();
    const reason = error instanceof Error ? error.message : String(error);
    throw new OpenBaoStartError(
      `Cannot start OpenBao from "${binary}": ${reason}`,
      proc.output(),
      { cause: error },
    );
  }

  const unsealKey = () => /Unseal Key:\s*(\S+)/.exec(proc.output())?.[1] ?? "";
  const bao: OpenBao = {
    ...admin,
    version,
    pid: proc.pid,
    binary,
    auditFile: options.auditFile,
    stop,
    kill: proc.kill,
    output: proc.output,
    async seal() {
      const res = await admin.api("PUT", "sys/seal");
      if (res.status !== 204 && res.status !== 200) {
        throw new OpenBaoApiError("PUT", "sys/seal", res.status, res.body?.errors);
      }
    },
    async unseal() {
      const res = await admin.api("PUT", "sys/unseal", { body: { key: unsealKey() } });
      if (res.status !== 200 || res.body?.sealed !== false) {
        throw new OpenBaoApiError("PUT", "sys/unseal", res.status, res.body?.errors);
      }
    },
    async [Symbol.asyncDispose]() {
      await stop();
    },
  };
  return bao;
}
