/**
 * Small assertion helpers for the observe tests, on top of `node:assert` (JSR's @std/assert is
 * out of reach here).
 *
 * @module
 */
import nodeAssert from "node:assert/strict";

export function assert(condition: unknown, message?: string): asserts condition {
  nodeAssert.ok(condition, message);
}

export function assertFalse(condition: unknown, message?: string): void {
  nodeAssert.ok(!condition, message);
}

export function assertEquals<T>(actual: unknown, expected: T, message?: string): void {
  nodeAssert.deepStrictEqual(actual, expected, message);
}

export function assertStringIncludes(actual: string, expected: string, message?: string): void {
  nodeAssert.ok(
    actual.includes(expected),
    message ?? `Expected ${JSON.stringify(actual)} to include ${JSON.stringify(expected)}`,
  );
}

export function assertMatch(actual: string, expected: RegExp, message?: string): void {
  nodeAssert.match(actual, expected, message);
}

// deno-lint-ignore no-explicit-any
type ErrorClass = new (...args: any[]) => Error;

export function assertThrows(fn: () => unknown, errorClass?: ErrorClass): Error {
  try {
    fn();
  } catch (error) {
    if (errorClass) nodeAssert.ok(error instanceof errorClass, `Expected ${errorClass.name}`);
    return error as Error;
  }
  throw new nodeAssert.AssertionError({ message: "Expected the function to throw" });
}

export async function assertRejects(
  fn: () => Promise<unknown>,
  errorClass?: ErrorClass,
): Promise<Error> {
  try {
    await fn();
  } catch (error) {
    if (errorClass) nodeAssert.ok(error instanceof errorClass, `Expected ${errorClass.name}`);
    return error as Error;
  }
  throw new nodeAssert.AssertionError({ message: "Expected the promise to reject" });
}
