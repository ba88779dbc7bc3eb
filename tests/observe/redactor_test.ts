import { assert, assertEquals, assertFalse, assertStringIncludes } from "../support/assert.ts";
import { isSensitiveKey, MIN_REDACT_LENGTH, Redactor } from "../../src/observe/redactor.ts";

Deno.test("Redactor.redact() replaces every occurrence of a registered value", () => {
  const redactor = new Redactor();
  redactor.register("hunter2-password");
  assertEquals(
    redactor.redact("a hunter2-password b hunter2-passwordhunter2-password"),
    "a [REDACTED] b [REDACTED][REDACTED]",
  );
});

Deno.test("Redactor.redact() returns text without registered values unchanged", () => {
  const redactor = new Redactor();
  redactor.register("hunter2-password");
  const text = "nothing to see: hunter2-passwor";
  assert(redactor.redact(text) === text);
});

Deno.test("Redactor.redact() masks the longer of two overlapping values whole", () => {
  const redactor = new Redactor();
  redactor.register("abcd");
  redactor.register("abcdefgh");
  assertEquals(redactor.redact("xabcdefghx abcdx"), "x[REDACTED]x [REDACTED]x");
});

Deno.test("Redactor.redact() masks the longest of many values sharing a prefix, whatever the order they came in", () => {
  const redactor = new Redactor();
  // One lookup bucket ("password"), values registered between redactions, shortest first.
  redactor.register("password-1");
  assertEquals(redactor.redact("a password-1 b"), "a [REDACTED] b");
  redactor.register("password-12345");
  assertEquals(redactor.redact("c password-12345 d"), "c [REDACTED] d");
  redactor.register("password-123");
  for (let i = 0; i < 2000; i++) redactor.register(`password-x${i}`);
  assertEquals(
    redactor.redact("password-12345 password-123 password-1 password-x1999 password-x19990"),
    "[REDACTED] [REDACTED] [REDACTED] [REDACTED] [REDACTED]0",
  );
});

Deno.test("Redactor.redact() is idempotent: a value that is part of the mask does not mangle it", () => {
  const redactor = new Redactor();
  redactor.register("REDACTED-ish");
  redactor.register("EDAC");
  const once = redactor.redact("a EDAC b REDACTED-ish");
  assertEquals(once, "a [REDACTED] b [REDACTED]");
  assertEquals(redactor.redact(once), once);
});

Deno.test("Redactor.redact() leaves values shorter than the minimum length in free text", () => {
  const redactor = new Redactor();
  redactor.register("abc");
  assertEquals(MIN_REDACT_LENGTH, 4);
  assert(redactor.has("abc"));
  assertEquals(redactor.redact("abc abc"), "abc abc");
});

Deno.test("Redactor.register() also masks JSON-escaped, base64 and per-line forms", () => {
  const redactor = new Redactor();
  const pem = [
    "-----BEGIN PRIVATE KEY-----",
    "MIIEvQIBADANBgkqhkiG9w0BAQEFAASC",
    "-----END PRIVATE KEY-----",
  ].join("\n");
  redactor.register('pa"ss\nword');
  redactor.register(pem);
  redactor.register("space?>value~~");
  assertEquals(redactor.redact(JSON.stringify({ v: 'pa"ss\nword' })), '{"v":"[REDACTED]"}');
  assertEquals(redactor.redact(`Basic ${btoa('pa"ss\nword')}`), "Basic [REDACTED]==");
  const url = btoa("space?>value~~").replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "");
  assertEquals(redactor.redact(`u=${url}`), "u=[REDACTED]");
  assertEquals(
    redactor.redact("line: MIIEvQIBADANBgkqhkiG9w0BAQEFAASC"),
    "line: [REDACTED]",
  );
  assertFalse(redactor.redact(JSON.stringify(pem)).includes("MIIEvQIBADANBgkq"));
});

Deno.test("Redactor.registerAll() registers every string and number inside a secret's data", () => {
  const redactor = new Redactor();
  redactor.registerAll({ user: "app-user", port: 54321, nested: { list: ["tok-1234"] } });
  assertEquals(redactor.redact("app-user 54321 tok-1234"), "[REDACTED] [REDACTED] [REDACTED]");
});

Deno.test("Redactor.redactValue() redacts strings in nested objects, arrays, maps and sets", () => {
  const redactor = new Redactor();
  redactor.register("topsecret");
  const out = redactor.redactValue({
    a: ["x topsecret"],
    b: { c: new Map([["k", "topsecret"]]), d: new Set(["topsecret"]) },
    n: 5,
    ok: true,
    none: null,
    bytes: new TextEncoder().encode("topsecret"),
  });
  assertEquals(out, {
    a: ["x [REDACTED]"],
    b: { c: { k: "[REDACTED]" }, d: ["[REDACTED]"] },
    n: 5,
    ok: true,
    none: null,
    bytes: "[9 bytes]",
  });
});

Deno.test("Redactor.redactValue() turns errors into plain objects with redacted message, stack, cause and fields", () => {
  const redactor = new Redactor();
  redactor.register("topsecret");
  const cause = new Error("inner topsecret");
  const error = Object.assign(new RangeError("outer topsecret", { cause }), {
    kind: "permission_denied",
    detail: "topsecret",
  });
  const out = redactor.redactValue(error) as Record<string, unknown>;
  assertEquals(out.name, "RangeError");
  assertEquals(out.message, "outer [REDACTED]");
  assertEquals(out.kind, "permission_denied");
  assertEquals(out.detail, "[REDACTED]");
  assertStringIncludes(String(out.stack), "outer [REDACTED]");
  assertFalse(String(out.stack).includes("topsecret"));
  assertEquals((out.cause as Record<string, unknown>).message, "inner [REDACTED]");
  assertFalse(JSON.stringify(out).includes("topsecret"));
});

Deno.test("Redactor.redactValue() masks fields whose names look sensitive, whatever their value", () => {
  const redactor = new Redactor();
  const out = redactor.redactValue({
    token: "t",
    headers: { "X-Vault-Token": "hvs.abc", Authorization: "Bearer x" },
    fetched: new Headers({ "x-vault-token": "hvs.abc", "content-type": "application/json" }),
    secret_id: "sid",
    secret: "db",
    path: "/secrets/db",
    tokenTtl: 30,
  });
  assertEquals(out, {
    token: "[REDACTED]",
    headers: { "X-Vault-Token": "[REDACTED]", Authorization: "[REDACTED]" },
    fetched: { "content-type": "application/json", "x-vault-token": "[REDACTED]" },
    secret_id: "[REDACTED]",
    secret: "db",
    path: "/secrets/db",
    tokenTtl: 30,
  });
});

Deno.test("Redactor.redactValue() cuts reference cycles", () => {
  const redactor = new Redactor();
  const a: Record<string, unknown> = { name: "a" };
  a.self = a;
  assertEquals(redactor.redactValue(a), { name: "a", self: "[Circular]" });
});

Deno.test("isSensitiveKey() tells credential fields from identifiers", () => {
  const cases: Array<[string, boolean]> = [
    ["token", true],
    ["client_token", true],
    ["vaultToken", true],
    ["secret_id", true],
    ["secretId", true],
    ["role-id", true],
    ["password", true],
    ["db_password", true],
    ["authorization", true],
    ["jwt", true],
    ["service_account_jwt", true],
    ["jwtFile", false],
    ["secret", false],
    ["path", false],
    ["tokenFile", false],
    ["tokenTtl", false],
    ["kind", false],
    ["durationMs", false],
  ];
  for (const [key, expected] of cases) assertEquals(isSensitiveKey(key), expected, key);
});

Deno.test("Redactor.redact() finds the right value among thousands sharing a long prefix", () => {
  const redactor = new Redactor();
  const token = (i: number) => `hvs.CAESIJ${i.toString(36).padStart(6, "0")}${"x".repeat(80)}`;
  for (let i = 0; i < 3000; i++) redactor.register(token(i));
  redactor.register("hvs.CAESIJ-short");
  assertEquals(
    redactor.redact(`a ${token(1234)} b hvs.CAESIJ-short c hvs.CAESIJ-other`),
    "a [REDACTED] b [REDACTED] c hvs.CAESIJ-other",
  );
});

Deno.test("Redactor.redact() stays fast with thousands of registered values", () => {
  const redactor = new Redactor();
  for (let i = 0; i < 5000; i++) redactor.register(`value-${i}-${(i * 7919).toString(36)}xyz`);
  const text = "an ordinary log line about secret db at /secrets/db.env ".repeat(20) +
    `value-4999-${(4999 * 7919).toString(36)}xyz`;
  const start = performance.now();
  let out = "";
  for (let i = 0; i < 200; i++) out = redactor.redact(text);
  const perLineMs = (performance.now() - start) / 200;
  assert(out.endsWith("[REDACTED]"));
  // Measured ~0.03 ms; the bound leaves room for a slow, shared CI machine.
  assert(perLineMs < 2, `redact() took ${perLineMs.toFixed(3)} ms per line`);
});
