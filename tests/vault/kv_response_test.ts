import { assertEquals, assertThrows } from "../support/assert.ts";
import {
  kvReadPath,
  mountInfoPath,
  parseKvRead,
  parseMountVersion,
} from "../../src/vault/_kv_response.ts";
import { VaultError, type VaultErrorKind } from "../../src/vault/vault_error.ts";

const NOW = Date.UTC(2026, 0, 1);
const BASE = { name: "secret/app", path: "secret/data/app", nowMs: NOW };

function meta(extra: Record<string, unknown> = {}) {
  return {
    created_time: "2026-01-01T00:00:00Z",
    custom_metadata: null,
    deletion_time: "",
    destroyed: false,
    version: 3,
    ...extra,
  };
}

function kindOf(fn: () => unknown): VaultErrorKind {
  const err = assertThrows(fn, VaultError) as VaultError;
  return err.kind;
}

Deno.test("kvReadPath() builds v2 data paths, pinned versions and v1 paths", () => {
  assertEquals(kvReadPath({ mountPath: "secret", key: "app/db" }, 2), "secret/data/app/db");
  assertEquals(
    kvReadPath({ mountPath: "/secret/", key: "/app/", version: 4 }, 2),
    "secret/data/app?version=4",
  );
  assertEquals(kvReadPath({ mountPath: "kv", key: "app/db" }, 1), "kv/app/db");
  assertEquals(kvReadPath({ mountPath: "kv", key: "a b/c?d" }, 1), "kv/a%20b/c%3Fd");
  assertEquals(
    mountInfoPath({ mountPath: "secret", key: "app" }),
    "sys/internal/ui/mounts/secret/app",
  );
});

Deno.test("parseKvRead() returns data, version and metadata of a KV v2 answer", () => {
  const secret = parseKvRead({
    ...BASE,
    kv: 2,
    status: 200,
    body: { data: { data: { user: "u", password: "p" }, metadata: meta() } },
  });
  assertEquals(secret.data, { user: "u", password: "p" });
  assertEquals(secret.version, 3);
  assertEquals(secret.metadata?.created_time, "2026-01-01T00:00:00Z");
});

Deno.test("parseKvRead() returns the data of a KV v1 answer without version", () => {
  const secret = parseKvRead({
    ...BASE,
    kv: 1,
    status: 200,
    body: { request_id: "x", lease_duration: 2764800, data: { a: "1" } },
  });
  assertEquals(secret, { data: { a: "1" } });
});

Deno.test("parseKvRead() reports a soft-deleted v2 version (404 with metadata) as deleted", () => {
  const body = {
    data: { data: null, metadata: meta({ deletion_time: "2025-12-31T00:00:00Z" }) },
  };
  assertEquals(kindOf(() => parseKvRead({ ...BASE, kv: 2, status: 404, body })), "deleted");
});

Deno.test("parseKvRead() reports a destroyed v2 version as destroyed", () => {
  const body = { data: { data: null, metadata: meta({ destroyed: true }) } };
  assertEquals(kindOf(() => parseKvRead({ ...BASE, kv: 2, status: 404, body })), "destroyed");
});

Deno.test("parseKvRead() prefers destroyed when a version is both deleted and destroyed", () => {
  const body = {
    data: {
      data: null,
      metadata: meta({ destroyed: true, deletion_time: "2025-12-31T00:00:00Z" }),
    },
  };
  assertEquals(kindOf(() => parseKvRead({ ...BASE, kv: 2, status: 404, body })), "destroyed");
});

Deno.test("parseKvRead() returns the data when the deletion time lies in the future (200)", () => {
  const body = {
    data: { data: { a: "1" }, metadata: meta({ deletion_time: "2099-01-01T00:00:00Z" }) },
  };
  assertEquals(parseKvRead({ ...BASE, kv: 2, status: 200, body }).data, { a: "1" });
});

Deno.test("parseKvRead() never returns empty data for a 200 with data.data null", () => {
  const deleted = {
    data: { data: null, metadata: meta({ deletion_time: "2025-01-01T00:00:00Z" }) },
  };
  assertEquals(
    kindOf(() => parseKvRead({ ...BASE, kv: 2, status: 200, body: deleted })),
    "deleted",
  );
  const empty = { data: { data: null, metadata: meta() } };
  assertEquals(
    kindOf(() => parseKvRead({ ...BASE, kv: 2, status: 200, body: empty })),
    "invalid_response",
  );
});

Deno.test("parseKvRead() reports a missing path (404 with an empty error list) as not_found", () => {
  for (const kv of [1, 2] as const) {
    assertEquals(
      kindOf(() => parseKvRead({ ...BASE, kv, status: 404, body: { errors: [] } })),
      "not_found",
    );
  }
});

Deno.test("parseKvRead() rejects malformed bodies as invalid_response", () => {
  for (const body of [undefined, "text", { data: "x" }, { data: { data: [1] } }]) {
    assertEquals(
      kindOf(() => parseKvRead({ ...BASE, kv: 2, status: 200, body })),
      "invalid_response",
      JSON.stringify(body),
    );
  }
  assertEquals(
    kindOf(() => parseKvRead({ ...BASE, kv: 1, status: 200, body: { data: null } })),
    "invalid_response",
  );
});

Deno.test("parseKvRead() maps other statuses through the error table", () => {
  const body = { errors: ["1 error occurred:\n\t* permission denied\n\n"] };
  assertEquals(
    kindOf(() => parseKvRead({ ...BASE, kv: 2, status: 403, body })),
    "permission_denied",
  );
  const err = assertThrows(
    () => parseKvRead({ ...BASE, kv: 2, status: 429, body: { errors: [] }, retryAfter: "2" }),
    VaultError,
  ) as VaultError;
  assertEquals([err.kind, err.retryAfterMs], ["rate_limited", 2000]);
});

Deno.test("parseKvRead() keeps secret values out of error messages", () => {
  const body = { data: { data: null, metadata: meta({ destroyed: true }) }, extra: "s3cr3t" };
  const err = assertThrows(() => parseKvRead({ ...BASE, kv: 2, status: 404, body }), VaultError);
  assertEquals(err.message, 'Cannot read secret "secret/app": version destroyed (version 3)');
});

Deno.test("parseMountVersion() reads options.version, and treats 404 and no options as v1", () => {
  const opts = { name: "secret/app", path: "sys/internal/ui/mounts/secret/app", nowMs: NOW };
  const v2 = { data: { path: "secret/", type: "kv", options: { version: "2" } } };
  assertEquals(parseMountVersion({ ...opts, status: 200, body: v2 }), 2);
  const v1 = { data: { path: "kv/", type: "kv", options: { version: "1" } } };
  assertEquals(parseMountVersion({ ...opts, status: 200, body: v1 }), 1);
  assertEquals(parseMountVersion({ ...opts, status: 200, body: { data: { options: null } } }), 1);
  assertEquals(parseMountVersion({ ...opts, status: 404, body: { errors: [] } }), 1);
  const err = assertThrows(
    () => parseMountVersion({ ...opts, status: 403, body: { errors: ["permission denied"] } }),
    VaultError,
  ) as VaultError;
  assertEquals(err.kind, "permission_denied");
});
