/**
 * Plain-data access to manifest documents and the reporting interface of the conversion steps.
 *
 * @module
 */

import type { KeyPath } from "../source_locator.ts";

/** A YAML map as plain data. */
export type Raw = Record<string, unknown>;

/** The value as a map, or `undefined`. */
export function asMap(value: unknown): Raw | undefined {
  return typeof value === "object" && value !== null && !Array.isArray(value)
    ? value as Raw
    : undefined;
}

/** The value as text, or `undefined`. */
export function asText(value: unknown): string | undefined {
  return typeof value === "string" ? value : undefined;
}

/** Where conversion steps report; paths start with the `docN` segment. */
export interface Report {
  /** A field that is not carried over (or only approximately). */
  warn(path: KeyPath, message: string): void;
  /** A problem that makes the input unusable. */
  error(path: KeyPath, message: string, target?: "value" | "key"): void;
}

/** A Kubernetes Secret key, which is also a file name in the target directory. */
const SECRET_KEY = /^[-._a-zA-Z0-9]+$/;

/** Whether `name` is a valid Secret key (and so a safe file name). */
export function isSecretKey(name: string): boolean {
  return SECRET_KEY.test(name) && name !== "." && name !== "..";
}
