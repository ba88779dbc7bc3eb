import { assertMatch, assertStrictEquals, assertThrows } from "../support/assert.ts";
import { formatFileMode, parseFileMode } from "../../src/config/mod.ts";

const VALID: [string | number, number][] = [
  ["0640", 0o640],
  ["640", 0o640],
  [640, 0o640],
  ["0o755", 0o755],
  ["0600", 0o600],
  ["4755", 0o4755],
  ["7777", 0o7777],
  ["0", 0],
  [" 0644 ", 0o644],
];

for (const [input, mode] of VALID) {
  Deno.test(`parseFileMode() reads ${JSON.stringify(input)} as 0o${mode.toString(8)}`, () => {
    assertStrictEquals(parseFileMode(input), mode);
  });
}

const INVALID: [string | number, RegExp][] = [
  ["0988", /octal digits are 0-7/],
  [988, /octal digits are 0-7/],
  ["rw-r--r--", /expected octal digits/],
  ["", /expected octal digits/],
  ["17777", /largest mode is 07777/],
  ["0x1ff", /expected octal digits/],
  ["-644", /expected octal digits/],
];

for (const [input, message] of INVALID) {
  Deno.test(`parseFileMode() rejects ${JSON.stringify(input)}`, () => {
    assertMatch(assertThrows(() => parseFileMode(input), SyntaxError).message, message);
  });
}

Deno.test("formatFileMode() writes four octal digits", () => {
  assertStrictEquals(formatFileMode(0o640), "0640");
  assertStrictEquals(formatFileMode(0o4755), "4755");
});
