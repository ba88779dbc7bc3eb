/**
 * Test assertions with the names and shapes of @std/assert (JSR cannot be reached here), built on
 * node:assert so failures come with readable diffs.
 *
 * @module
 */
import nodeAssert from "node:assert";

/** An assertion failed. */
export class AssertionError extends Error {
  override name = "AssertionError";
}

/** Fails the test. */
export function fail(msg?: string): never {
  throw new AssertionError(msg ?? "Failed assertion");
}

/** Asserts `expr` is truthy. */
export function assert(expr: unknown, msg = ""): asserts expr {
  if (!expr) throw new AssertionError(msg || "Expected expression to be truthy");
}

/** Asserts `expr` is falsy. */
export function assertFalse(expr: unknown, msg = ""): void {
  if (expr) throw new AssertionError(msg || "Expected expression to be falsy");
}

/** Deep, strict equality. */
export function assertEquals<T>(actual: unknown, expected: T, msg?: string): asserts actual is T {
  try {
    nodeAssert.deepStrictEqual(actual, expected);
  } catch (error) {
    throw new AssertionError(`${msg ? msg + "\n" : ""}${(error as Error).message}`);
  }
}

/** Deep, strict inequality. */
export function assertNotEquals(actual: unknown, expected: unknown, msg?: string): void {
  try {
    nodeAssert.notDeepStrictEqual(actual, expected);
  } catch (error) {
    throw new AssertionError(`${msg ? msg + "\n" : ""}${(error as Error).message}`);
  }
}

/** `Object.is` equality. */
export function assertStrictEquals<T>(actual: unknown, expected: T, msg?: string): void {
  if (!Object.is(actual, expected)) {
    throw new AssertionError(
      msg ?? `Expected ${Deno.inspect(actual)} to be strictly ${Deno.inspect(expected)}`,
    );
  }
}

/** Asserts a value is neither null nor undefined. */
export function assertExists<T>(actual: T, msg?: string): asserts actual is NonNullable<T> {
  if (actual === null || actual === undefined) {
    throw new AssertionError(msg ?? `Expected a value, got ${actual}`);
  }
}

/** Asserts `actual` contains `expected`. */
export function assertStringIncludes(actual: string, expected: string, msg?: string): void {
  if (!actual.includes(expected)) {
    throw new AssertionError(
      msg ?? `Expected ${JSON.stringify(actual)} to include ${JSON.stringify(expected)}`,
    );
  }
}

/** Asserts `actual` does not contain `unexpected` (for "no secret in logs" checks). */
export function assertNotIncludes(actual: string, unexpected: string, msg?: string): void {
  if (actual.includes(unexpected)) {
    throw new AssertionError(msg ?? `Expected text not to include a forbidden value`);
  }
}

/** Asserts `actual` matches `expected`. */
export function assertMatch(actual: string, expected: RegExp, msg?: string): void {
  if (!expected.test(actual)) {
    throw new AssertionError(msg ?? `Expected ${JSON.stringify(actual)} to match ${expected}`);
  }
}

/** Asserts `actual >= expected`. */
export function assertGreaterOrEqual(actual: number, expected: number, msg?: string): void {
  if (!(actual >= expected)) {
    throw new AssertionError(`${msg ? msg + ": " : ""}expected ${actual} >= ${expected}`);
  }
}

/** Asserts `actual <= expected`. */
export function assertLessOrEqual(actual: number, expected: number, msg?: string): void {
  if (!(actual <= expected)) {
    throw new AssertionError(`${msg ? msg + ": " : ""}expected ${actual} <= ${expected}`);
  }
}

/** Asserts `actual` is within `tolerance` of `expected`. */
export function assertAlmostEquals(
  actual: number,
  expected: number,
  tolerance = 1e-7,
  msg?: string,
): void {
  if (!(Math.abs(actual - expected) <= tolerance)) {
    throw new AssertionError(msg ?? `Expected ${actual} to be within ${tolerance} of ${expected}`);
  }
}

// deno-lint-ignore no-explicit-any
type Constructor<T> = new (...args: any[]) => T;

/** Asserts `actual` is an instance of `type`. */
export function assertInstanceOf<T>(
  actual: unknown,
  type: Constructor<T>,
  msg?: string,
): asserts actual is T {
  if (!(actual instanceof type)) {
    throw new AssertionError(
      msg ?? `Expected an instance of ${type.name}, got ${Deno.inspect(actual)}`,
    );
  }
}

function checkError<E extends Error>(
  error: unknown,
  type?: Constructor<E>,
  includes?: string,
): E {
  if (type && !(error instanceof type)) {
    throw new AssertionError(
      `Expected error to be an instance of ${type.name}, got ${Deno.inspect(error)}`,
    );
  }
  if (includes !== undefined && !String((error as Error)?.message).includes(includes)) {
    throw new AssertionError(
      `Expected error message to include ${JSON.stringify(includes)}, got ${
        JSON.stringify((error as Error)?.message)
      }`,
    );
  }
  return error as E;
}

/** Asserts `fn` throws (optionally an instance of `type` whose message includes `includes`). */
export function assertThrows<E extends Error = Error>(
  fn: () => unknown,
  type?: Constructor<E>,
  includes?: string,
): E {
  try {
    fn();
  } catch (error) {
    return checkError(error, type, includes);
  }
  throw new AssertionError("Expected function to throw");
}

/** Asserts `fn` rejects (optionally an instance of `type` whose message includes `includes`). */
export async function assertRejects<E extends Error = Error>(
  fn: () => PromiseLike<unknown>,
  type?: Constructor<E>,
  includes?: string,
): Promise<E> {
  try {
    await fn();
  } catch (error) {
    return checkError(error, type, includes);
  }
  throw new AssertionError("Expected function to reject");
}
