import { assertEquals, assertStrictEquals } from "../support/assert.ts";
import { expandEnv } from "../../src/config/mod.ts";
import { envOf } from "./_helpers.ts";

function expand(text: string, vars: Record<string, string> = {}) {
  return expandEnv(text, { env: envOf(vars) });
}

Deno.test("expandEnv() substitutes a set variable", () => {
  assertEquals(expand("${A}/x", { A: "1" }), { ok: true, value: "1/x", used: ["A"] });
});

Deno.test("expandEnv() substitutes several variables in one string", () => {
  assertEquals(expand("${A}:${B}-${A}", { A: "h", B: "8200" }), {
    ok: true,
    value: "h:8200-h",
    used: ["A", "B"],
  });
});

Deno.test("expandEnv() uses the default when the variable is unset", () => {
  assertStrictEquals(valueOf(expand("${OUT:-/secrets}/db.env")), "/secrets/db.env");
});

Deno.test("expandEnv() uses the default when the variable is empty", () => {
  assertStrictEquals(valueOf(expand("${OUT:-/secrets}", { OUT: "" })), "/secrets");
});

Deno.test("expandEnv() prefers a set variable over its default", () => {
  assertStrictEquals(valueOf(expand("${OUT:-/secrets}", { OUT: "/tmp/out" })), "/tmp/out");
});

Deno.test("expandEnv() allows an empty default", () => {
  assertStrictEquals(valueOf(expand("a${X:-}b")), "ab");
});

Deno.test("expandEnv() keeps a set-but-empty variable empty", () => {
  assertStrictEquals(valueOf(expand("[${X}]", { X: "" })), "[]");
});

Deno.test("expandEnv() writes $${ as a literal ${", () => {
  assertEquals(expand("$${HOME} and $${A:-b}", { HOME: "/root" }), {
    ok: true,
    value: "${HOME} and ${A:-b}",
    used: [],
  });
});

Deno.test("expandEnv() leaves a $ that does not open ${ alone", () => {
  assertStrictEquals(valueOf(expand("price $5, $HOME, a$")), "price $5, $HOME, a$");
});

Deno.test("expandEnv() never expands a substituted value again", () => {
  const result = expand("${TOKEN}", { TOKEN: "s.${OTHER}x$${y}", OTHER: "leak" });
  assertEquals(result, { ok: true, value: "s.${OTHER}x$${y}", used: ["TOKEN"] });
});

Deno.test("expandEnv() fails on an unset variable, naming it", () => {
  const result = expand("x ${VAULT_TOKEN} y");
  assertStrictEquals(result.ok, false);
  assertStrictEquals(
    !result.ok && result.message,
    'Cannot expand "${VAULT_TOKEN}": environment variable VAULT_TOKEN is not set',
  );
  assertEquals(result.used, ["VAULT_TOKEN"]);
});

Deno.test("expandEnv() fails on a missing closing brace", () => {
  const result = expand("abc ${NAME");
  assertStrictEquals(result.ok, false);
  assertStrictEquals(!result.ok && /missing "}"/.test(result.message), true);
});

Deno.test("expandEnv() fails on a name that is not a variable name", () => {
  const result = expand("${1ABC}");
  assertStrictEquals(result.ok, false);
  assertStrictEquals(!result.ok && /not a variable name/.test(result.message), true);
});

function valueOf(result: ReturnType<typeof expandEnv>): string | undefined {
  return result.ok ? result.value : undefined;
}
