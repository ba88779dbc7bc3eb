import {
  assert,
  assertEquals,
  assertFalse,
  assertRejects,
  assertStringIncludes,
} from "../support/assert.ts";
import { FakeClock } from "../support/fake_clock.ts";
import type { AuthPlan, StorePlan } from "../../src/config/plan.ts";
import { isTransient, VaultClient, VaultError, type VaultEvent } from "../../src/vault/mod.ts";
import type { CredentialFs } from "../../src/vault/credential_file.ts";
import { FakeVault, json, RESILIENCE, storePlan } from "./_fake_vault.ts";
import { assertNoneLogged, captureLogs } from "./_log_capture.ts";

const ROOT = "s.root-token-abcdef";
const APPROLE: AuthPlan = {
  method: "approle",
  roleId: "role-id-0001",
  secretId: "secret-id-0001",
  secretIdWrapped: false,
  mount: "approle",
};

class MemoryFs implements CredentialFs {
  files = new Map<string, { text: string; mtime: number }>();
  #t = 0;
  write(path: string, text: string) {
    this.files.set(path, { text, mtime: ++this.#t });
  }
  stat(path: string) {
    const f = this.files.get(path);
    if (!f) return Promise.reject(new Deno.errors.NotFound(`No such file: ${path}`));
    return Promise.resolve({ mtimeMs: f.mtime, size: f.text.length, ino: 1 });
  }
  readTextFile(path: string) {
    const f = this.files.get(path);
    return f ? Promise.resolve(f.text) : Promise.reject(new Deno.errors.NotFound(path));
  }
}

interface Setup {
  clock: FakeClock;
  vault: FakeVault;
  client: VaultClient;
  events: VaultEvent[];
  sensitive: string[];
  fs: MemoryFs;
  [Symbol.dispose](): void;
}

function setup(
  options: { auth?: AuthPlan; store?: Partial<StorePlan>; prepare?: (s: Setup) => void } = {},
): Setup {
  const clock = new FakeClock();
  const vault = new FakeVault(clock);
  vault.addToken(ROOT);
  vault.kv.set("|secret/app", { user: "app", password: "pa55-value-1" });
  const events: VaultEvent[] = [];
  const sensitive: string[] = [];
  const fs = new MemoryFs();
  const s = { clock, vault, events, sensitive, fs } as Partial<Setup> as Setup;
  options.prepare?.(s);
  s.client = new VaultClient({
    store: storePlan(options.store),
    auth: options.auth ?? { method: "token", token: ROOT },
    credentialsName: "default",
    resilience: RESILIENCE,
    clock,
    random: () => 0,
    fetch: vault.fetch,
    onSensitive: (v) => sensitive.push(v),
    onEvent: (e) => events.push(e),
    credentialFs: fs,
  });
  s[Symbol.dispose] = () => s.client.close();
  return s;
}

/** Starts the client and lets the first login run (it needs many promise turns, no time). */
async function started(s: Setup): Promise<void> {
  s.client.start(new AbortController().signal);
  for (let i = 0; i < 10 && !s.client.ready(); i++) await s.clock.tick(0);
}

Deno.test("VaultClient reads a KV v2 secret with the token, request and namespace headers", async () => {
  using s = setup({ store: { namespace: "team-a" } });
  s.vault.kv.set("team-a|secret/app", { password: "ns-value" });
  await started(s);
  assert(s.client.ready());
  const secret = await s.client.readSecret({ mountPath: "secret", key: "app", kvVersion: 2 });
  assertEquals(secret.data, { password: "ns-value" });
  assertEquals(secret.version, 1);
  const read = s.vault.seen("secret/data/app")[0]!;
  assertEquals(read.headers.get("x-vault-token"), ROOT);
  assertEquals(read.headers.get("x-vault-request"), "true");
  assertEquals(read.headers.get("x-vault-namespace"), "team-a");
});

Deno.test("VaultClient sends the per-secret namespace, and none for the root namespace", async () => {
  using s = setup({ store: { namespace: "team-a" } });
  s.vault.kv.set("team-b|secret/app", { v: "b" });
  await started(s);
  assertEquals(
    (await s.client.readSecret({
      mountPath: "secret",
      key: "app",
      kvVersion: 2,
      namespace: "team-b",
    }))
      .data,
    { v: "b" },
  );
  assertEquals(
    (await s.client.readSecret({ mountPath: "secret", key: "app", kvVersion: 2, namespace: "" }))
      .data.user,
    "app",
  );
  const reads = s.vault.seen("secret/data/app");
  assertEquals(reads.map((r) => r.headers.get("x-vault-namespace")), ["team-b", null]);
});

Deno.test("VaultClient detects the KV version once per mount and namespace", async () => {
  using s = setup();
  s.vault.kv.set("|kv1/app", { a: "1" });
  await started(s);
  for (let i = 0; i < 3; i++) {
    assertEquals(
      (await s.client.readSecret({ mountPath: "secret", key: "app", kvVersion: "auto" })).version,
      1,
    );
    assertEquals(
      (await s.client.readSecret({ mountPath: "kv1", key: "app", kvVersion: "auto" })).data,
      { a: "1" },
    );
  }
  assertEquals(s.vault.seen("sys/internal/ui/mounts/").length, 2);
  assertEquals(s.vault.seen("kv1/app").length, 3);
});

Deno.test("VaultClient refuses a pinned version on a KV v1 mount", async () => {
  using s = setup();
  await started(s);
  const err = await assertRejects(
    () => s.client.readSecret({ mountPath: "kv1", key: "app", kvVersion: "auto", version: 2 }),
    VaultError,
  );
  assertEquals((err as VaultError).kind, "bad_request");
});

Deno.test("VaultClient.readSecret() before any login finished throws a transient error without a request", async () => {
  using s = setup();
  const err = await assertRejects(
    () => s.client.readSecret({ mountPath: "secret", key: "app", kvVersion: 2 }),
    VaultError,
  );
  assertEquals((err as VaultError).kind, "timeout");
  assertEquals(
    (err as VaultError).message,
    'Cannot read secret "secret/app": not logged in to Vault: the login has not finished yet',
  );
  assertEquals(s.vault.requests.length, 0);
});

Deno.test("VaultClient.waitForLogin() returns when the login fails and reads say why, as a permanent error", async () => {
  await using logs = await captureLogs();
  using s = setup({ auth: { ...APPROLE, secretId: "wrong-secret-id" } });
  const controller = new AbortController();
  s.client.start(controller.signal);
  await s.client.waitForLogin();
  assertFalse(s.client.ready());
  const err = await assertRejects(
    () => s.client.readSecret({ mountPath: "secret", key: "app", kvVersion: 2 }),
    VaultError,
  );
  assertEquals((err as VaultError).kind, "auth_failed");
  assertEquals(isTransient(err), false);
  assertStringIncludes(
    (err as VaultError).message,
    'Cannot read secret "secret/app": not logged in to Vault: AppRole login rejected: ',
  );
  assertNoneLogged(logs, ["wrong-secret-id", "role-id-0001"]);
});

Deno.test("VaultClient keeps retrying a rejected AppRole login with the longest backoff", async () => {
  await using logs = await captureLogs();
  using s = setup({ auth: { ...APPROLE, secretId: "wrong-secret-id" } });
  await started(s);
  assertFalse(s.client.ready());
  assertEquals(s.vault.seen("auth/approle/login").length, 1);
  assert(logs.messages().includes("AppRole login rejected: invalid role or secret ID"));
  await s.clock.tick(RESILIENCE.maxBackoffMs - 1);
  assertEquals(s.vault.seen("auth/approle/login").length, 1);
  s.vault.secretIds.add("wrong-secret-id");
  await s.clock.tick(1);
  assertEquals(s.vault.seen("auth/approle/login").length, 2);
  assert(s.client.ready());
  assertNoneLogged(logs, ["wrong-secret-id", "role-id-0001", ...s.vault.tokens.keys()]);
});

Deno.test("VaultClient backs off exponentially while Vault is unreachable at start", async () => {
  using s = setup({ auth: APPROLE });
  s.vault.routes.push(() => {
    throw new TypeError("connection refused");
  });
  await started(s);
  const logins = () => s.vault.requests.length;
  assertEquals(logins(), 1);
  await s.clock.tick(1000);
  assertEquals(logins(), 2);
  await s.clock.tick(2000);
  assertEquals(logins(), 3);
  s.vault.routes.length = 0;
  await s.clock.tick(4000);
  assert(s.client.ready());
});

Deno.test("VaultClient renews at 2/3 of the TTL and logs in again when the max TTL caps it", async () => {
  using s = setup({
    auth: APPROLE,
    prepare: ({ vault }) => {
      vault.approleTtl = 30;
      vault.approleMaxTtl = 60;
    },
  });
  await started(s);
  assertEquals(s.client.tokenTtlSeconds(), 30);
  await s.clock.tick(20_000);
  assertEquals(s.vault.seen("auth/token/renew-self").length, 1);
  assertEquals(s.client.tokenTtlSeconds(), 30);
  await s.clock.tick(20_000); // t=40: renewal capped at 20 s (max 60)
  assertEquals(s.vault.seen("auth/token/renew-self").length, 2);
  assertEquals(s.vault.seen("auth/approle/login").length, 1);
  assert(s.events.some((e) => e.type === "renew" && e.outcome === "capped"));
  await s.clock.tick(13_000); // re-login at 2/3 of the 20 s left
  assertEquals(s.vault.seen("auth/approle/login").length, 1);
  await s.clock.tick(1_000);
  assertEquals(s.vault.seen("auth/approle/login").length, 2);
  assert(s.client.tokenTtlSeconds()! >= 29);
  assert(s.client.ready());
  await s.clock.tick(200_000);
  assert(s.client.ready(), "still ready long after the first max TTL");
});

Deno.test("VaultClient logs in again once and reads again after a 403 from a revoked token", async () => {
  using s = setup({ auth: APPROLE });
  await started(s);
  const first = s.vault.seen("auth/approle/login").length;
  s.vault.tokens.clear();
  const secret = await s.client.readSecret({ mountPath: "secret", key: "app", kvVersion: 2 });
  assertEquals(secret.data.user, "app");
  assertEquals(s.vault.seen("auth/approle/login").length, first + 1);
  assertEquals(s.vault.seen("secret/data/app").length, 2);
});

Deno.test("VaultClient reports permission_denied without re-login when the token still works", async () => {
  using s = setup({ auth: APPROLE });
  s.vault.routes.push((r) =>
    r.path.startsWith("secret/data/denied")
      ? json(403, { errors: ["1 error occurred:\n\t* permission denied\n\n"] })
      : undefined
  );
  await started(s);
  const err = await assertRejects(
    () => s.client.readSecret({ mountPath: "secret", key: "denied", kvVersion: 2 }),
    VaultError,
  );
  assertEquals((err as VaultError).kind, "permission_denied");
  assertEquals(s.vault.seen("auth/approle/login").length, 1);
  assertEquals(s.vault.seen("secret/data/denied").length, 1);
  assertEquals(s.client.breakerState(), "closed");
});

Deno.test("VaultClient re-reads a changed token file after a 403", async () => {
  using s = setup({
    auth: { method: "token", tokenFile: "/run/token" },
    prepare: ({ fs, vault }) => {
      fs.write("/run/token", "s.old-token-1111\n");
      vault.addToken("s.old-token-1111");
    },
  });
  await started(s);
  assert(s.client.ready());
  s.vault.tokens.delete("s.old-token-1111");
  s.vault.addToken("s.new-token-2222");
  s.fs.write("/run/token", "s.new-token-2222");
  await s.client.readSecret({ mountPath: "secret", key: "app", kvVersion: 2 });
  assertEquals(
    s.vault.seen("secret/data/app").at(-1)!.headers.get("x-vault-token"),
    "s.new-token-2222",
  );
  assert(s.sensitive.includes("s.new-token-2222"));
});

Deno.test("VaultClient opens the breaker after transient failures and closes it after a probe", async () => {
  using s = setup();
  let failing = true;
  s.vault.routes.push((r) =>
    failing && r.path.startsWith("secret/") ? json(503, { errors: ["upstream down"] }) : undefined
  );
  await started(s);
  const ref = { mountPath: "secret", key: "app", kvVersion: 2 as const };
  for (let i = 0; i < 3; i++) {
    const err = await assertRejects(() => s.client.readSecret(ref), VaultError);
    assertEquals((err as VaultError).kind, "unavailable");
  }
  assertEquals(s.client.breakerState(), "open");
  const open = await assertRejects(() => s.client.readSecret(ref), VaultError) as VaultError;
  assertEquals(open.kind, "circuit_open");
  assertEquals(open.retryAfterMs, RESILIENCE.breakerTimeoutMs);
  assertEquals(s.vault.seen("secret/").length, 3);
  await s.clock.tick(RESILIENCE.breakerTimeoutMs);
  assertEquals(s.client.breakerState(), "half_open");
  failing = false;
  await s.client.readSecret(ref);
  assertEquals(s.client.breakerState(), "closed");
  assertEquals(
    s.events.flatMap((e) => (e.type === "breaker" ? [e.state] : [])),
    ["open", "half_open", "closed"],
  );
});

Deno.test("VaultClient does not count 404s towards the breaker", async () => {
  using s = setup();
  await started(s);
  for (let i = 0; i < 5; i++) {
    const err = await assertRejects(
      () => s.client.readSecret({ mountPath: "secret", key: "missing", kvVersion: 2 }),
      VaultError,
    );
    assertEquals((err as VaultError).kind, "not_found");
  }
  assertEquals(s.client.breakerState(), "closed");
});

Deno.test("VaultClient times out a request at the store deadline", async () => {
  using s = setup({ store: { requestTimeoutMs: 5000 } });
  s.vault.routes.push((r) =>
    r.path.startsWith("secret/") ? new Promise<Response>(() => {}) : undefined
  );
  await started(s);
  const pending = s.client.readSecret({ mountPath: "secret", key: "app", kvVersion: 2 });
  pending.catch(() => {});
  await s.clock.tick(5000);
  const err = await assertRejects(() => pending, VaultError) as VaultError;
  assertEquals(err.kind, "timeout");
  assertStringIncludes(err.message, "5000ms");
});

Deno.test("VaultClient surfaces 429 Retry-After as retryAfterMs", async () => {
  using s = setup();
  s.vault.routes.push((r) =>
    r.path.startsWith("secret/")
      ? json(429, { errors: ["rate limit quota exceeded"] }, { "retry-after": "3" })
      : undefined
  );
  await started(s);
  const err = await assertRejects(
    () => s.client.readSecret({ mountPath: "secret", key: "app", kvVersion: 2 }),
    VaultError,
  ) as VaultError;
  assertEquals([err.kind, err.retryAfterMs, err.status], ["rate_limited", 3000, 429]);
});

Deno.test("VaultClient unwraps a wrapped secret-id once and keeps it for later logins", async () => {
  using s = setup({
    auth: {
      method: "approle",
      roleId: "role-id-0001",
      secretIdFile: "/run/wrapped",
      secretIdWrapped: true,
      mount: "approle",
    },
    prepare: ({ fs, vault }) => {
      fs.write("/run/wrapped", "s.wrapping-token-9");
      vault.wrapped.set("s.wrapping-token-9", "secret-id-0001");
    },
  });
  await started(s);
  assert(s.client.ready());
  s.vault.tokens.clear();
  await s.client.readSecret({ mountPath: "secret", key: "app", kvVersion: 2 });
  assertEquals(s.vault.seen("sys/wrapping/unwrap").length, 1);
  assertEquals(s.vault.seen("auth/approle/login").length, 2);
  for (const v of ["s.wrapping-token-9", "secret-id-0001", "role-id-0001"]) {
    assert(s.sensitive.includes(v), "registered as sensitive");
  }
});

Deno.test("VaultClient registers tokens and secret values as sensitive", async () => {
  using s = setup({ auth: APPROLE });
  s.vault.kv.set("|secret/nested", { a: { b: ["deep-value-7"] }, n: 5432 });
  await started(s);
  await s.client.readSecret({ mountPath: "secret", key: "nested", kvVersion: 2 });
  assert(s.sensitive.includes("deep-value-7"));
  assert(s.sensitive.includes("5432"), "numbers as they print");
  assert(s.sensitive.includes("s.issued-token-1"));
  assert(s.sensitive.includes("secret-id-0001"));
});

Deno.test("VaultClient follows a 307 to a configured address only, carrying the token there", async () => {
  using s = setup({
    store: { addresses: ["http://standby.test:8200", "http://active.test:8200"] },
  });
  s.vault.routes.push((r) => {
    if (!r.url.startsWith("http://standby.test") || !r.path.startsWith("secret/")) return undefined;
    const to = r.path.includes("evil") ? "http://evil.test:8200" : "http://active.test:8200";
    return new Response(null, { status: 307, headers: { location: `${to}/v1/${r.path}` } });
  });
  await started(s);
  await s.client.readSecret({ mountPath: "secret", key: "app", kvVersion: 2 });
  const reads = s.vault.seen("secret/data/app");
  assertEquals(reads.map((r) => new URL(r.url).host), ["standby.test:8200", "active.test:8200"]);
  assertEquals(reads[1]!.headers.get("x-vault-token"), ROOT);
  await assertRejects(
    () => s.client.readSecret({ mountPath: "secret", key: "evil", kvVersion: 2 }),
    VaultError,
  );
  assertFalse(s.vault.requests.some((r) => r.url.includes("evil.test")));
});

Deno.test("VaultClient fails over to the next address when the first refuses connections", async () => {
  using s = setup({ store: { addresses: ["http://down.test:8200", "http://up.test:8200"] } });
  s.vault.routes.push((r) => {
    if (r.url.startsWith("http://down.test")) throw new TypeError("Connection refused");
    return undefined;
  });
  await started(s);
  assert(s.client.ready());
  await s.client.readSecret({ mountPath: "secret", key: "app", kvVersion: 2 });
  await s.client.readSecret({ mountPath: "secret", key: "app", kvVersion: 2 });
  assertEquals(s.vault.requests.filter((r) => r.url.startsWith("http://down.test")).length, 1);
});

Deno.test("VaultClient moves on from a sealed node to the next address", async () => {
  using s = setup({ store: { addresses: ["http://sealed.test:8200", "http://ok.test:8200"] } });
  s.vault.routes.push((r) =>
    r.url.startsWith("http://sealed.test") ? json(503, { errors: ["Vault is sealed"] }) : undefined
  );
  await started(s);
  const secret = await s.client.readSecret({ mountPath: "secret", key: "app", kvVersion: 2 });
  assertEquals(secret.data.user, "app");
});

Deno.test("VaultClient refuses a response body over maxResponseBytes", async () => {
  using s = setup({ store: { maxResponseBytes: 1024 } });
  s.vault.kv.set("|secret/big", { blob: "x".repeat(4096) });
  await started(s);
  const err = await assertRejects(
    () => s.client.readSecret({ mountPath: "secret", key: "big", kvVersion: 2 }),
    VaultError,
  ) as VaultError;
  assertEquals(err.kind, "invalid_response");
  assertFalse(s.sensitive.some((v) => v.startsWith("xxxx")));
});

Deno.test("VaultClient rejects with the caller's reason when the signal aborts", async () => {
  using s = setup();
  s.vault.routes.push((r) =>
    r.path.startsWith("secret/") ? new Promise<Response>(() => {}) : undefined
  );
  await started(s);
  const controller = new AbortController();
  const pending = s.client.readSecret({ mountPath: "secret", key: "app", kvVersion: 2 }, {
    signal: controller.signal,
  });
  const reason = new Error("shutting down");
  controller.abort(reason);
  const err = await assertRejects(() => pending);
  assertEquals(err, reason);
  assertEquals(s.client.breakerState(), "closed");
});

Deno.test("VaultClient keeps a static token until it expires, then reports not ready", async () => {
  using s = setup({
    auth: { method: "token", token: "s.short-static" },
    prepare: ({ vault }) => vault.addToken("s.short-static", { ttl: 30, renewable: false }),
  });
  await started(s);
  assert(s.client.ready());
  await s.clock.tick(29_000);
  assert(s.client.ready());
  await s.clock.tick(1_000);
  assertFalse(s.client.ready());
  assertEquals(s.vault.seen("auth/token/renew-self").length, 0);
});

Deno.test("VaultClient does not renew a root token", async () => {
  using s = setup();
  await started(s);
  await s.clock.tick(10 * 24 * 3600 * 1000);
  assertEquals(s.vault.requests.map((r) => r.path), ["auth/token/lookup-self"]);
  assertEquals(s.client.tokenTtlSeconds(), undefined);
});

Deno.test("VaultClient.readPath() returns the raw body", async () => {
  using s = setup();
  await started(s);
  const body = await s.client.readPath("secret/data/app");
  assertEquals((body.data as { data: unknown }).data, { user: "app", password: "pa55-value-1" });
});

Deno.test("VaultClient.waitReady() resolves after the first successful login", async () => {
  using s = setup({ auth: APPROLE });
  s.vault.secretIds.clear();
  await started(s);
  let ready = false;
  const waiting = s.client.waitReady().then(() => (ready = true));
  await s.clock.tick(1000);
  assertFalse(ready);
  s.vault.secretIds.add("secret-id-0001");
  await s.clock.tick(RESILIENCE.maxBackoffMs);
  await waiting;
  assert(ready);
});

Deno.test("VaultClient.close() leaves no timers behind", async () => {
  const s = setup({ auth: APPROLE });
  await started(s);
  assert(s.clock.pending > 0);
  s.client.close();
  assertEquals(s.clock.pending, 0);
});

Deno.test("VaultClient picks up a replaced token file after its token was revoked", async () => {
  using s = setup({
    auth: { method: "token", tokenFile: "/run/token" },
    prepare: ({ fs, vault }) => {
      fs.write("/run/token", "s.revoked-3333");
      vault.addToken("s.revoked-3333");
    },
  });
  await started(s);
  s.vault.tokens.delete("s.revoked-3333");
  const err = await assertRejects(
    () => s.client.readSecret({ mountPath: "secret", key: "app", kvVersion: 2 }),
    VaultError,
  );
  assertEquals((err as VaultError).kind, "permission_denied");
  assertFalse(s.client.ready());
  s.vault.addToken("s.fresh-4444");
  await s.clock.tick(30_000);
  const lookups = s.vault.seen("auth/token/lookup-self").length;
  await s.clock.tick(30_000);
  assertEquals(
    s.vault.seen("auth/token/lookup-self").length,
    lookups,
    "no requests for a dead token",
  );
  s.fs.write("/run/token", "s.fresh-4444");
  await s.clock.tick(10_000);
  assert(s.client.ready());
  await s.client.readSecret({ mountPath: "secret", key: "app", kvVersion: 2 });
});

Deno.test("VaultClient sends the store namespace with login, lookup and renewal", async () => {
  using s = setup({
    auth: APPROLE,
    store: { namespace: "team-a" },
    prepare: ({ vault }) => {
      vault.approleTtl = 30;
    },
  });
  await started(s);
  await s.clock.tick(20_000);
  const paths = ["auth/approle/login", "auth/token/renew-self"];
  for (const path of paths) {
    assertEquals(s.vault.seen(path)[0]?.headers.get("x-vault-namespace"), "team-a", path);
  }
});
