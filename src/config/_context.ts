/**
 * What every planning step needs: where the file is, the environment, and the issue list.
 *
 * @module
 */

import type { EnvLookup } from "./env_expand.ts";
import type { IssueList } from "./_issues.ts";
import { formatKeyPath, type KeyPath, type SourceLocator } from "./source_locator.ts";
import type { PlanSources, ValueSource } from "./plan.ts";
import type { z } from "zod";
import { resolvePath } from "./paths.ts";

/** Shared state of one planning run. */
export interface PlanContext {
  /** Absolute path of the config file. */
  file: string;
  /** The working directory: relative paths in the config resolve against it. */
  dir: string;
  env: EnvLookup;
  issues: IssueList;
  locator: SourceLocator;
  /** Collects where checked values were set (see `Plan.sources`). */
  sources?: PlanSources;
}

/** Where the value at `path` is in the file, as a {@linkcode ValueSource}. */
export function sourceAt(ctx: PlanContext, path: KeyPath): ValueSource {
  return { key: formatKeyPath(path), ...ctx.locator.position(path, "value") };
}

/** A value that came from the environment variable `name`. */
export function envSource(name: string): ValueSource {
  return { key: `env.${name}`, line: 0, column: 0 };
}

/** Reads a non-empty environment variable (empty counts as unset, as in the seed). */
export function envValue(ctx: PlanContext, name: string): string | undefined {
  const value = ctx.env(name);
  return value === undefined || value === "" ? undefined : value;
}

/** Resolves a config path (relative → against the working directory, `ctx.dir`). */
export function configPath(ctx: PlanContext, path: string): string {
  return resolvePath(ctx.dir, path);
}

/**
 * Validates `value` at `path` with `schema`; issues are recorded with full paths. Returns the
 * parsed value or `undefined`.
 */
export function validate<T extends z.ZodType>(
  ctx: PlanContext,
  schema: T,
  value: unknown,
  path: KeyPath,
): z.output<T> | undefined {
  const result = schema.safeParse(value, { error: zodMessage });
  if (result.success) return result.data;
  for (const issue of result.error.issues) {
    const full = [...path, ...issue.path.map((p) => typeof p === "symbol" ? String(p) : p)];
    const target = issue.code === "custom" && issue.params?.["target"] === "key" ? "key" : "value";
    ctx.issues.add(full, issue.message, target);
  }
  return undefined;
}

function describe(input: unknown): string {
  if (input === undefined) return "nothing";
  if (input === null) return "null";
  if (Array.isArray(input)) return "a list";
  if (typeof input === "object") return "a map";
  if (typeof input === "string") return "text";
  return `a ${typeof input}`;
}

const EXPECTED: Record<string, string> = {
  string: "text",
  object: "a map",
  record: "a map",
  array: "a list",
  number: "a number",
  boolean: "true or false",
};

/** Messages for zod's built-in issues; never quotes the input (it may be a secret). */
function zodMessage(issue: z.core.$ZodRawIssue): string | undefined {
  if (issue.code === "invalid_type") {
    if (issue.input === undefined) return "Required";
    const expected = EXPECTED[issue.expected] ?? issue.expected;
    return `Expected ${expected}, got ${describe(issue.input)}`;
  }
  if (issue.code === "invalid_union") {
    return `Expected a single value, got ${describe(issue.input)}`;
  }
  return undefined;
}
