/**
 * `version`: the program's semver and the Deno runtime it runs on.
 *
 * @module
 */

/** The program's version; kept equal to deno.json's `version`. */
export const VERSION = "0.1.0";

/** The `version` command's output line. */
export function versionText(): string {
  return `secrets-sync ${VERSION} (deno ${Deno.version.deno}, v8 ${Deno.version.v8}, ${Deno.build.target})`;
}
