import { assertMatch, assertStrictEquals, assertThrows } from "../support/assert.ts";
import { formatDuration, parseDuration } from "../../src/config/mod.ts";

const VALID: [string, number][] = [
  ["100ms", 100],
  ["30s", 30_000],
  ["5m", 300_000],
  ["1h30m", 5_400_000],
  ["1.5h", 5_400_000],
  ["2h45m30.5s", 9_930_500],
  ["0", 0],
  ["0s", 0],
  ["-1s", -1000],
  ["+2m", 120_000],
  ["1us", 0.001],
  ["1µs", 0.001],
  ["500ns", 0.0005],
  [".5s", 500],
  ["1h0m0s", 3_600_000],
];

for (const [text, ms] of VALID) {
  Deno.test(`parseDuration() reads "${text}" as ${ms} ms`, () => {
    assertStrictEquals(parseDuration(text), ms);
  });
}

const INVALID = ["", "5", "1x", "1h 30m", "h", "1.2.3s", "abc", "5 s", "1d", "--1s", "1e3s"];

for (const text of INVALID) {
  Deno.test(`parseDuration() rejects "${text}" quoting it`, () => {
    assertThrows(() => parseDuration(text), SyntaxError, `"${text}"`);
  });
}

Deno.test("parseDuration() tells a number without a unit what is missing", () => {
  assertMatch(assertThrows(() => parseDuration("30")).message, /missing unit.*"30s"/);
});

const FORMATTED: [number, string][] = [
  [0, "0s"],
  [100, "100ms"],
  [1500, "1s500ms"],
  [300_000, "5m"],
  [5_400_000, "1h30m"],
  [90_061_001, "25h1m1s1ms"],
  [-30_000, "-30s"],
];

for (const [ms, text] of FORMATTED) {
  Deno.test(`formatDuration() writes ${ms} ms as "${text}"`, () => {
    assertStrictEquals(formatDuration(ms), text);
  });
}

Deno.test("formatDuration() output reads back with parseDuration()", () => {
  for (const ms of [1, 999, 1000, 59_999, 61_000, 3_599_999, 86_400_000, 0.5]) {
    assertStrictEquals(parseDuration(formatDuration(ms)), ms);
  }
});

Deno.test("formatDuration() rejects a non-finite number", () => {
  assertThrows(() => formatDuration(Infinity), RangeError);
});
