/**
 * Names of the sink's temp files, `.<name>.secrets-sync.<random>.tmp`: in the target's directory,
 * recognisable for clean-up after a crash.
 *
 * @module
 */
import type { Random } from "../resilience/mod.ts";
import { SinkError } from "./sink_error.ts";

const TEMP_INFIX = ".secrets-sync.";
const TEMP_SUFFIX = ".tmp";
/** Matches every name {@linkcode tempName} makes. */
export const TEMP_PATTERN = /^\..*\.secrets-sync\.[0-9a-z]{10}\.tmp$/;
/** Keeps `.<name>.secrets-sync.<10>.tmp` under NAME_MAX (255 bytes). */
const TEMP_NAME_BYTES = 200;

/** A temp file name for a target named `base`. */
export function tempName(base: string, random: Random): string {
  const encoder = new TextEncoder();
  let short = "";
  for (const ch of base) {
    if (encoder.encode(short + ch).length > TEMP_NAME_BYTES) break;
    short += ch;
  }
  let suffix = "";
  for (let i = 0; i < 10; i++) suffix += Math.floor(random() * 36).toString(36);
  return `.${short}${TEMP_INFIX}${suffix}${TEMP_SUFFIX}`;
}

/** The directory and name of an absolute file path. @throws {SinkError} for anything else */
export function splitPath(path: string): { dir: string; base: string } {
  const slash = path.lastIndexOf("/");
  const base = path.slice(slash + 1);
  if (!path.startsWith("/") || base === "" || base === "." || base === "..") {
    throw new SinkError(`Cannot write "${path}": the path must be absolute and name a file`, {
      path,
      step: "policy",
    });
  }
  return { dir: slash === 0 ? "/" : path.slice(0, slash), base };
}

/** `dir/name`. */
export function joinPath(dir: string, name: string): string {
  return dir.endsWith("/") ? dir + name : `${dir}/${name}`;
}
