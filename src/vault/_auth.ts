/**
 * Auth methods behind one small interface: `token` (inline or a file re-read when it changes),
 * `approle` (role-id/secret-id inline or from files, optionally a response-wrapped secret-id that
 * is unwrapped once and then kept only in memory), and `jwt`/`kubernetes` (a role and a JWT file
 * read afresh at every login).
 *
 * @module
 */
import { z } from "zod";
import type { AuthPlan } from "../config/mod.ts";
import type { VaultOperation } from "./vault_event.ts";
import { isTransientKind, VaultError } from "./vault_error.ts";
import { errorFromHttp } from "./_error_mapping.ts";
import type { ApiRequest, ApiResponse } from "./_http_transport.ts";
import { CredentialFile, type CredentialFs } from "./credential_file.ts";

/** Sends one API request on behalf of an auth method (the client adds events and timing). */
export type ApiCaller = (operation: VaultOperation, request: ApiRequest) => Promise<ApiResponse>;

/** What a login produced. Lease fields are absent for a static token (lookup-self fills them). */
export interface LoginResult {
  token: string;
  leaseSeconds?: number;
  renewable?: boolean;
  policies?: string[];
}

/** An auth method. */
export interface AuthMethod {
  readonly method: AuthPlan["method"];
  /** Whether a new token can be obtained (AppRole, JWT), or the token is all there is. */
  readonly canRelogin: boolean;
  /**
   * Obtains a token.
   *
   * @throws {VaultError} `auth_failed` when the credentials are rejected, or a transport kind
   * @throws {Error} when a credential file cannot be read
   */
  login(signal?: AbortSignal): Promise<LoginResult>;
  /** Whether a credential file changed since the last login (cheap: a stat). */
  credentialsChanged(): Promise<boolean>;
}

/** Dependencies of the auth methods. */
export interface AuthDeps {
  call: ApiCaller;
  /** Namespace the login happens in (the store's). */
  namespace: string | undefined;
  onSensitive: (value: string) => void;
  nowMs: () => number;
  fs?: CredentialFs;
}

const LoginBody = z.looseObject({
  auth: z.looseObject({
    client_token: z.string().min(1),
    lease_duration: z.number().nonnegative(),
    renewable: z.boolean(),
    policies: z.array(z.string()).nullable().optional(),
  }),
});

/** The token of a successful login, registered as sensitive before anything could log it. */
function loginResult(body: z.infer<typeof LoginBody>, deps: AuthDeps): LoginResult {
  const { auth } = body;
  deps.onSensitive(auth.client_token);
  return {
    token: auth.client_token,
    leaseSeconds: auth.lease_duration,
    renewable: auth.renewable,
    policies: auth.policies ?? [],
  };
}

const UnwrapBody = z.looseObject({
  data: z.looseObject({ secret_id: z.string().min(1) }),
});

/** Creates the auth method a credential set asks for. */
export function createAuthMethod(plan: AuthPlan, deps: AuthDeps): AuthMethod {
  switch (plan.method) {
    case "token":
      return new TokenAuth(plan, deps);
    case "approle":
      return new AppRoleAuth(plan, deps);
    default:
      return new JwtAuth(plan, deps);
  }
}

/** A credential given inline or as a file; remembers the value last used for a login. */
class Credential {
  readonly #inline: string | undefined;
  readonly #file: CredentialFile | undefined;
  readonly #onSensitive: (value: string) => void;
  #lastUsed: string | undefined;

  constructor(
    inline: string | undefined,
    file: string | undefined,
    what: string,
    deps: AuthDeps,
  ) {
    this.#inline = inline;
    this.#file = file !== undefined ? new CredentialFile(file, what, deps.fs) : undefined;
    this.#onSensitive = deps.onSensitive;
    if (inline !== undefined) deps.onSensitive(inline);
  }

  get configured(): boolean {
    return this.#inline !== undefined || this.#file !== undefined;
  }

  /** The value to use now; `changed` is true when it differs from the last one used. */
  async take(): Promise<{ value: string; changed: boolean }> {
    const value = await this.#current();
    const changed = value !== this.#lastUsed;
    if (changed) this.#onSensitive(value);
    this.#lastUsed = value;
    return { value, changed };
  }

  /** Whether the file now holds a different value than the last one used. */
  async changed(): Promise<boolean> {
    if (this.#file === undefined || this.#lastUsed === undefined) return false;
    try {
      return (await this.#file.read()) !== this.#lastUsed;
    } catch {
      return false;
    }
  }

  #current(): Promise<string> | string {
    if (this.#file !== undefined) return this.#file.read();
    if (this.#inline !== undefined) return this.#inline;
    throw new Error("Cannot log in: credential not configured");
  }
}

/** A static token: "login" reads it; it cannot be replaced except by editing its file. */
export class TokenAuth implements AuthMethod {
  readonly method = "token";
  readonly canRelogin = false;
  readonly #token: Credential;

  constructor(plan: Extract<AuthPlan, { method: "token" }>, deps: AuthDeps) {
    if (plan.token === undefined && plan.tokenFile === undefined) {
      throw new TypeError("Invalid token auth: set token or tokenFile");
    }
    this.#token = new Credential(plan.token, plan.tokenFile, "token file", deps);
  }

  async login(): Promise<LoginResult> {
    const { value } = await this.#token.take();
    return { token: value };
  }

  credentialsChanged(): Promise<boolean> {
    return this.#token.changed();
  }
}

/** AppRole: role-id + secret-id → a token with a lease. */
export class AppRoleAuth implements AuthMethod {
  readonly method = "approle";
  readonly canRelogin = true;
  readonly #mount: string;
  readonly #wrapped: boolean;
  readonly #roleId: Credential;
  readonly #secretId: Credential;
  readonly #deps: AuthDeps;
  /** The unwrapped secret-id: kept only in memory, the wrapping token is single-use. */
  #unwrapped: string | undefined;

  constructor(plan: Extract<AuthPlan, { method: "approle" }>, deps: AuthDeps) {
    if (plan.roleId === undefined && plan.roleIdFile === undefined) {
      throw new TypeError("Invalid approle auth: set roleId or roleIdFile");
    }
    if (plan.secretIdWrapped && plan.secretIdFile === undefined && plan.secretId === undefined) {
      throw new TypeError("Invalid approle auth: secretIdWrapped needs secretIdFile or secretId");
    }
    this.#mount = plan.mount.replace(/^\/+|\/+$/g, "") || "approle";
    this.#wrapped = plan.secretIdWrapped;
    this.#deps = deps;
    this.#roleId = new Credential(plan.roleId, plan.roleIdFile, "role-id file", deps);
    this.#secretId = new Credential(
      plan.secretId,
      plan.secretIdFile,
      plan.secretIdWrapped ? "wrapped secret-id file" : "secret-id file",
      deps,
    );
  }

  async login(signal?: AbortSignal): Promise<LoginResult> {
    const { value: roleId } = await this.#roleId.take();
    const body: Record<string, string> = { role_id: roleId };
    if (this.#secretId.configured) body.secret_id = await this.#readSecretId(signal);
    const path = `auth/${this.#mount}/login`;
    const response = await this.#deps.call("login", {
      method: "POST",
      path,
      body,
      namespace: this.#deps.namespace,
      signal,
    });
    if (response.status !== 200) {
      throw errorFromHttp(response, {
        path,
        action: "log in with AppRole",
        context: "login",
        detailPrefix: (kind) =>
          isTransientKind(kind) ? "AppRole login failed" : "AppRole login rejected",
        nowMs: this.#deps.nowMs(),
      });
    }
    const parsed = LoginBody.safeParse(response.body);
    if (!parsed.success) {
      throw new VaultError("Cannot log in with AppRole: invalid response: no auth.client_token", {
        kind: "invalid_response",
        status: response.status,
        path,
      });
    }
    return loginResult(parsed.data, this.#deps);
  }

  async credentialsChanged(): Promise<boolean> {
    const [role, secret] = await Promise.all([this.#roleId.changed(), this.#secretId.changed()]);
    return role || secret;
  }

  async #readSecretId(signal: AbortSignal | undefined): Promise<string> {
    const { value, changed } = await this.#secretId.take();
    if (!this.#wrapped) return value;
    if (!changed && this.#unwrapped !== undefined) return this.#unwrapped;
    // A new wrapping token: unwrap it once. Unwrapping a used token answers 400.
    const path = "sys/wrapping/unwrap";
    const response = await this.#deps.call("unwrap", {
      method: "POST",
      path,
      token: value,
      namespace: this.#deps.namespace,
      signal,
    });
    if (response.status !== 200) {
      throw errorFromHttp(response, {
        path,
        action: "unwrap the AppRole secret-id",
        context: "login",
        detailPrefix: "cannot unwrap the wrapped secret-id",
        nowMs: this.#deps.nowMs(),
      });
    }
    const parsed = UnwrapBody.safeParse(response.body);
    if (!parsed.success) {
      throw new VaultError(
        "Cannot unwrap the AppRole secret-id: invalid response: no data.secret_id",
        { kind: "invalid_response", status: response.status, path },
      );
    }
    this.#deps.onSensitive(parsed.data.data.secret_id);
    this.#unwrapped = parsed.data.data.secret_id;
    return this.#unwrapped;
  }
}

/**
 * JWT and Kubernetes auth: `POST auth/<mount>/login` with `role` and `jwt`. The JWT file is read
 * afresh at every login, never cached: projected service account tokens are replaced on disk
 * well before they expire, and the server checks `exp` only at login.
 */
export class JwtAuth implements AuthMethod {
  readonly method: "jwt" | "kubernetes";
  readonly canRelogin = true;
  readonly #plan: Extract<AuthPlan, { method: "jwt" | "kubernetes" }>;
  readonly #mount: string;
  readonly #label: string;
  readonly #deps: AuthDeps;

  constructor(plan: Extract<AuthPlan, { method: "jwt" | "kubernetes" }>, deps: AuthDeps) {
    if (plan.role === "") throw new TypeError(`Invalid ${plan.method} auth: role is empty`);
    this.method = plan.method;
    this.#plan = plan;
    this.#mount = plan.mount.replace(/^\/+|\/+$/g, "") || plan.method;
    this.#label = plan.method === "jwt" ? "JWT" : "Kubernetes";
    this.#deps = deps;
  }

  async login(signal?: AbortSignal): Promise<LoginResult> {
    // A new CredentialFile each time: no cached content survives from the last login.
    const jwt = await new CredentialFile(this.#plan.jwtFile, "JWT file", this.#deps.fs).read();
    this.#deps.onSensitive(jwt);
    const mount = `auth/${this.#mount}`;
    const path = `${mount}/login`;
    const response = await this.#deps.call("login", {
      method: "POST",
      path,
      body: { role: this.#plan.role, jwt },
      namespace: this.#deps.namespace,
      signal,
    });
    if (response.status !== 200) {
      throw errorFromHttp(withoutJwt(response, jwt), {
        path,
        action: `log in with ${this.#label} auth`,
        context: "login",
        detailPrefix: (kind) =>
          `${this.#label} login ${isTransientKind(kind) ? "failed at" : "rejected by"} ${mount}`,
        nowMs: this.#deps.nowMs(),
      });
    }
    const parsed = LoginBody.safeParse(response.body);
    if (!parsed.success) {
      throw new VaultError(
        `Cannot log in with ${this.#label} auth: invalid response: no auth.client_token`,
        { kind: "invalid_response", status: response.status, path },
      );
    }
    return loginResult(parsed.data, this.#deps);
  }

  /**
   * Always false: the JWT matters only at login. A rotated file (every hour or so in Kubernetes)
   * is no reason to replace a working token; the next login reads it.
   */
  credentialsChanged(): Promise<boolean> {
    return Promise.resolve(false);
  }
}

/**
 * The answer with its error text replaced when it quotes the JWT or one of its parts: OpenBao
 * 2.6 never does (its messages name the claim, e.g. `token is expired`), but a plugin might.
 */
function withoutJwt<T extends { body?: unknown }>(response: T, jwt: string): T {
  const text = JSON.stringify(response.body ?? null);
  const parts = [jwt, ...jwt.split(".")].filter((part) => part.length >= 8);
  if (!parts.some((part) => text.includes(part))) return response;
  return { ...response, body: { errors: ["the server's error text quoted the JWT: left out"] } };
}
