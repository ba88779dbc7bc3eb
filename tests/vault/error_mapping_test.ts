import { assertEquals, assertStringIncludes } from "../support/assert.ts";
import {
  errorDetail,
  errorFromResponse,
  kindForStatus,
  parseRetryAfter,
  type RequestContext,
} from "../../src/vault/_error_mapping.ts";
import { isTransient, VaultError, type VaultErrorKind } from "../../src/vault/vault_error.ts";

const NOW = Date.UTC(2026, 0, 1);

const TABLE: Array<[number, unknown, RequestContext, VaultErrorKind, boolean]> = [
  [400, { errors: ["missing client token"] }, "read", "bad_request", false],
  [400, { errors: ["invalid role or secret ID"] }, "login", "auth_failed", false],
  [
    400,
    { errors: ["wrapping token is not valid or does not exist"] },
    "login",
    "auth_failed",
    false,
  ],
  [401, undefined, "read", "auth_failed", false],
  [
    403,
    { errors: ["1 error occurred:\n\t* permission denied\n\n"] },
    "read",
    "permission_denied",
    false,
  ],
  [403, { errors: ["permission denied"] }, "login", "auth_failed", false],
  [404, { errors: [] }, "read", "not_found", false],
  [405, { errors: ["unsupported operation"] }, "read", "bad_request", false],
  [408, undefined, "read", "timeout", true],
  [412, { errors: ["required index state not present"] }, "read", "unavailable", true],
  [
    429,
    { errors: ['request path "secret/data/x": rate limit quota exceeded'] },
    "read",
    "rate_limited",
    true,
  ],
  [472, undefined, "read", "standby", true],
  [473, undefined, "read", "standby", true],
  [500, { errors: ["1 error occurred:\n\t* internal error\n\n"] }, "read", "unavailable", true],
  [502, undefined, "read", "unavailable", true],
  [503, { errors: ["Vault is sealed"] }, "read", "sealed", true],
  [503, { errors: ["OpenBao is sealed"] }, "login", "sealed", true],
  [503, { errors: ["node is in standby mode"] }, "read", "standby", true],
  [503, { errors: ["fault proxy: 503 Service Unavailable"] }, "read", "unavailable", true],
  [504, undefined, "read", "timeout", true],
  [302, undefined, "read", "invalid_response", false],
];

for (const [status, body, context, kind, transient] of TABLE) {
  Deno.test(`errorFromResponse() maps ${status} ${JSON.stringify(body)} (${context}) to ${kind}`, () => {
    const err = errorFromResponse({
      status,
      body,
      action: 'read secret "s/a"',
      context,
      nowMs: NOW,
    });
    assertEquals(err.kind, kind);
    assertEquals(err.status, status);
    assertEquals(isTransient(err), transient);
  });
}

Deno.test("errorDetail() unwraps Vault's multi-line error list", () => {
  assertEquals(
    errorDetail({ errors: ["1 error occurred:\n\t* permission denied\n\n"] }),
    "permission denied",
  );
  assertEquals(
    errorDetail({ errors: ["2 errors occurred:\n\t* a\n\t* b\n\n", "c"] }),
    "a; b; c",
  );
  assertEquals(errorDetail({ errors: [] }), "");
  assertEquals(errorDetail("nope"), "");
});

Deno.test("errorFromResponse() writes messages as action, then detail", () => {
  const err = errorFromResponse({
    status: 403,
    body: { errors: ["1 error occurred:\n\t* permission denied\n\n"] },
    path: "secret/data/app",
    action: 'read secret "secret/app"',
    nowMs: NOW,
  });
  assertEquals(err.message, 'Cannot read secret "secret/app": permission denied (HTTP 403)');
  assertEquals(err.path, "secret/data/app");
  assertEquals(err.name, "VaultError");
});

Deno.test("errorFromResponse() falls back to a default detail for an empty error list", () => {
  const err = errorFromResponse({
    status: 404,
    body: { errors: [] },
    action: "read x",
    nowMs: NOW,
  });
  assertStringIncludes(err.message, "not found");
});

Deno.test("errorFromResponse() surfaces Retry-After of a 429 as retryAfterMs", () => {
  const err = errorFromResponse({ status: 429, retryAfter: "7", action: "read x", nowMs: NOW });
  assertEquals(err.retryAfterMs, 7000);
});

Deno.test("errorFromResponse() ignores Retry-After on a 404", () => {
  const err = errorFromResponse({ status: 404, retryAfter: "7", action: "read x", nowMs: NOW });
  assertEquals(err.retryAfterMs, undefined);
});

Deno.test("parseRetryAfter() reads seconds and HTTP dates", () => {
  assertEquals(parseRetryAfter("3", NOW), 3000);
  assertEquals(parseRetryAfter(new Date(NOW + 5000).toUTCString(), NOW), 5000);
  assertEquals(parseRetryAfter(new Date(NOW - 5000).toUTCString(), NOW), 0);
  assertEquals(parseRetryAfter("soon", NOW), undefined);
  assertEquals(parseRetryAfter(null, NOW), undefined);
});

Deno.test("kindForStatus() treats a 400 mentioning an invalid secret ID as a rejected login", () => {
  assertEquals(kindForStatus(400, "invalid role or secret ID", "other"), "auth_failed");
});

Deno.test("isTransient() is false for non-Vault errors and true for an open breaker", () => {
  assertEquals(isTransient(new Error("x")), false);
  assertEquals(isTransient("x"), false);
  const open = new Error("open");
  open.name = "CircuitOpenError";
  assertEquals(isTransient(open), true);
  assertEquals(isTransient(new VaultError("x", { kind: "deleted" })), false);
  assertEquals(isTransient(new VaultError("x", { kind: "circuit_open" })), true);
});
