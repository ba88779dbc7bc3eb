/**
 * An in-process fake of the few Vault endpoints the client uses, behind an injected `fetch`, for
 * unit tests with a {@linkcode FakeClock} (integration tests use the real OpenBao instead).
 *
 * @module
 */
import type { FakeClock } from "../support/fake_clock.ts";
import type { ResiliencePlan, StorePlan } from "../../src/config/plan.ts";

/** One request the fake saw. */
export interface SeenRequest {
  method: string;
  url: string;
  path: string;
  headers: Headers;
  body: unknown;
}

interface FakeToken {
  ttl: number;
  maxTtl: number;
  created: number;
  expiresAt: number | undefined;
  renewable: boolean;
  policies: string[];
}

/** A route override: return a Response to answer, or undefined to fall through. */
export type Route = (request: SeenRequest) => Response | Promise<Response> | undefined;

/** The fake server. */
export class FakeVault {
  readonly requests: SeenRequest[] = [];
  readonly tokens = new Map<string, FakeToken>();
  readonly kv = new Map<string, Record<string, unknown>>();
  readonly routes: Route[] = [];
  roleId = "role-id-0001";
  secretIds = new Set(["secret-id-0001"]);
  wrapped = new Map<string, string>();
  approleTtl = 60;
  approleMaxTtl = 120;
  #issued = 0;
  readonly clock: FakeClock;

  constructor(clock: FakeClock) {
    this.clock = clock;
  }

  /** Adds a token the fake accepts; ttl 0 never expires. */
  addToken(token: string, options: Partial<Omit<FakeToken, "created" | "expiresAt">> = {}): void {
    const ttl = options.ttl ?? 0;
    this.tokens.set(token, {
      ttl,
      maxTtl: options.maxTtl ?? ttl,
      created: this.clock.now(),
      expiresAt: ttl > 0 ? this.clock.now() + ttl * 1000 : undefined,
      renewable: options.renewable ?? ttl > 0,
      policies: options.policies ?? ["default"],
    });
  }

  /** Requests whose path starts with `prefix`. */
  seen(prefix: string): SeenRequest[] {
    return this.requests.filter((r) => r.path.startsWith(prefix));
  }

  /** The fetch to inject. */
  readonly fetch: typeof fetch = async (input, init) => {
    const request = new Request(input, init);
    const url = new URL(request.url);
    const text = await request.text();
    const seen: SeenRequest = {
      method: request.method,
      url: request.url,
      path: url.pathname.replace(/^\/v1\//, "") + url.search,
      headers: request.headers,
      body: text === "" ? undefined : JSON.parse(text),
    };
    this.requests.push(seen);
    for (const route of this.routes) {
      const answer = await route(seen);
      if (answer !== undefined) return answer;
    }
    return this.#handle(seen);
  };

  #valid(token: string | null): FakeToken | undefined {
    if (token === null) return undefined;
    const t = this.tokens.get(token);
    if (t === undefined) return undefined;
    if (t.expiresAt !== undefined && this.clock.now() >= t.expiresAt) return undefined;
    return t;
  }

  #handle(r: SeenRequest): Response {
    const path = r.path.replace(/\?.*$/, "");
    if (path === "auth/approle/login") {
      const body = r.body as { role_id?: string; secret_id?: string };
      if (body.role_id !== this.roleId || !this.secretIds.has(body.secret_id ?? "")) {
        return json(400, { errors: ["invalid role or secret ID"] });
      }
      const token = `s.issued-token-${++this.#issued}`;
      this.addToken(token, { ttl: this.approleTtl, maxTtl: this.approleMaxTtl });
      return json(200, {
        auth: {
          client_token: token,
          lease_duration: this.approleTtl,
          renewable: true,
          policies: ["default", "app"],
        },
      });
    }
    if (path === "sys/wrapping/unwrap") {
      const wrapping = r.headers.get("x-vault-token") ?? "";
      const secretId = this.wrapped.get(wrapping);
      if (secretId === undefined) {
        return json(400, { errors: ["wrapping token is not valid or does not exist"] });
      }
      this.wrapped.delete(wrapping);
      return json(200, { data: { secret_id: secretId, secret_id_accessor: "acc" } });
    }
    const token = this.#valid(r.headers.get("x-vault-token"));
    if (token === undefined) return json(403, { errors: ["permission denied"] });
    if (path === "auth/token/lookup-self") {
      const ttl = token.expiresAt === undefined
        ? 0
        : Math.floor((token.expiresAt - this.clock.now()) / 1000);
      return json(200, {
        data: {
          ttl,
          creation_ttl: token.ttl,
          renewable: token.renewable,
          policies: token.policies,
        },
      });
    }
    if (path === "auth/token/renew-self") {
      if (!token.renewable) return json(400, { errors: ["lease is not renewable"] });
      const requested = parseInt(
        String((r.body as { increment?: string })?.increment ?? token.ttl),
      );
      const maxAt = token.created + token.maxTtl * 1000;
      const granted = Math.max(
        0,
        Math.min(requested, Math.floor((maxAt - this.clock.now()) / 1000)),
      );
      token.expiresAt = this.clock.now() + granted * 1000;
      return json(200, {
        auth: { lease_duration: granted, renewable: true, policies: token.policies },
        ...(granted < requested ? { warnings: ["TTL of ... exceeded the effective max_ttl"] } : {}),
      });
    }
    if (path.startsWith("sys/internal/ui/mounts/")) {
      const mount = path.slice("sys/internal/ui/mounts/".length).split("/")[0]!;
      if (mount === "kv1") return json(200, { data: { path: "kv1/", options: { version: "1" } } });
      if (mount === "secret") {
        return json(200, { data: { path: "secret/", options: { version: "2" } } });
      }
      return json(404, { errors: [] });
    }
    const ns = r.headers.get("x-vault-namespace") ?? "";
    const v2 = /^([^/]+)\/data\/(.+)$/.exec(path);
    if (v2) {
      const data = this.kv.get(`${ns}|${v2[1]}/${v2[2]}`);
      if (data === undefined) return json(404, { errors: [] });
      return json(200, {
        data: { data, metadata: { version: 1, deletion_time: "", destroyed: false } },
      });
    }
    const data = this.kv.get(`${ns}|${path}`);
    if (data === undefined) return json(404, { errors: [] });
    return json(200, { data });
  }
}

/** A JSON response. */
export function json(
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { "content-type": "application/json", ...headers },
  });
}

/** A store plan for unit tests. */
export function storePlan(overrides: Partial<StorePlan> = {}): StorePlan {
  return {
    addresses: ["http://vault.test:8200"],
    tls: { skipVerify: false },
    requestTimeoutMs: 10_000,
    maxResponseBytes: 10 * 1024 * 1024,
    ...overrides,
  };
}

/** Resilience settings for unit tests. */
export const RESILIENCE: ResiliencePlan = {
  initialBackoffMs: 1000,
  maxBackoffMs: 60_000,
  backoffMultiplier: 2,
  breakerMaxFailures: 3,
  breakerIntervalMs: 60_000,
  breakerTimeoutMs: 30_000,
};
