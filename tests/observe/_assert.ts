/**
 * The observe tests' assertions: the shared ones of tests/support.
 *
 * @module
 */
export {
  assert,
  assertEquals,
  assertFalse,
  assertMatch,
  assertRejects,
  assertStringIncludes,
  assertThrows,
} from "../support/assert.ts";
