import { assert, assertMatch, assertStrictEquals } from "../support/assert.ts";
import { describeOsError, isNotPermitted, SinkError } from "../../src/sink/sink_error.ts";

Deno.test("SinkError carries path, step and cause", () => {
  const cause = new Error("boom");
  const err = new SinkError(`Cannot write "/a": boom`, { path: "/a", step: "write", cause });
  assertStrictEquals(err.name, "SinkError");
  assertStrictEquals(err.path, "/a");
  assertStrictEquals(err.step, "write");
  assertStrictEquals(err.cause, cause);
  assert(err instanceof Error);
});

Deno.test("describeOsError() turns OS errors into short lower-case reasons", () => {
  const cases: Array<[unknown, string]> = [
    [
      new Deno.errors.PermissionDenied("Permission denied (os error 13): open '/a'"),
      "permission denied",
    ],
    [
      new Deno.errors.PermissionDenied("Operation not permitted (os error 1)"),
      "operation not permitted",
    ],
    [
      new Deno.errors.NotFound("No such file or directory (os error 2)"),
      "no such file or directory",
    ],
    [new Error("No space left on device (os error 28): write '/a'"), "no space left on device"],
    [new Deno.errors.Busy("Device or resource busy (os error 16)"), "device or resource busy"],
    ["weird", "weird"],
  ];
  for (const [err, reason] of cases) assertStrictEquals(describeOsError(err), reason);
  assertMatch(
    describeOsError(new Deno.errors.NotCapable("Requires write access")),
    /Deno permission missing/,
  );
});

Deno.test("isNotPermitted() tells EPERM from EACCES", () => {
  assert(isNotPermitted(new Error("Operation not permitted (os error 1)")));
  assert(!isNotPermitted(new Error("Permission denied (os error 13)")));
  assert(!isNotPermitted(new Error("x (os error 11)")));
});
