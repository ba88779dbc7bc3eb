import { assertEquals, assertStrictEquals, assertThrows } from "../support/assert.ts";
import { ConfigError, formatConfigIssue } from "../../src/config/mod.ts";

const ISSUES = [
  { file: "/c.yaml", line: 3, column: 5, key: "secrets[0].key", message: "Required" },
  { file: "/c.yaml", line: 0, column: 0, key: "env.LOG_LEVEL", message: "Invalid value" },
  { file: "/c.yaml", line: 1, column: 1, key: "", message: "The config is empty" },
];

Deno.test("ConfigError lists every issue, one per line, as file:line:column: key: message", () => {
  const error = new ConfigError(ISSUES);
  assertStrictEquals(
    error.message,
    [
      "/c.yaml:3:5: secrets[0].key: Required",
      "/c.yaml: env.LOG_LEVEL: Invalid value",
      "/c.yaml:1:1: The config is empty",
    ].join("\n"),
  );
  assertEquals(error.issues, ISSUES);
  assertStrictEquals(error.name, "ConfigError");
  assertStrictEquals(error instanceof Error, true);
});

Deno.test("ConfigError exposes the first issue's file, line, column and key", () => {
  const error = new ConfigError(ISSUES);
  assertEquals([error.file, error.line, error.column, error.key], [
    "/c.yaml",
    3,
    5,
    "secrets[0].key",
  ]);
});

Deno.test("ConfigError keeps its cause", () => {
  const cause = new Error("disk");
  assertStrictEquals(new ConfigError(ISSUES, { cause }).cause, cause);
});

Deno.test("ConfigError needs at least one issue", () => {
  assertThrows(() => new ConfigError([]), RangeError);
});

Deno.test("formatConfigIssue() formats one issue", () => {
  assertStrictEquals(formatConfigIssue(ISSUES[0]!), "/c.yaml:3:5: secrets[0].key: Required");
});
