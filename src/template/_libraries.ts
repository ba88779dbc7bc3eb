/**
 * The heavy npm libraries some template functions need (node-forge for certificates and PKCS#12,
 * bcryptjs for `bcrypt`/`htpasswd`), loaded only when a parsed template calls such a function:
 * a config without them never pays their load time and memory. `prepare()` in `template.ts` loads
 * what a template needs before its first render.
 *
 * @module
 */
import type forge from "node-forge";
import { FuncError } from "./_func_def.ts";

type Forge = typeof forge;
type Bcrypt = typeof import("bcryptjs").default;

let forgeModule: Forge | undefined;
let bcryptModule: Bcrypt | undefined;

/** node-forge, once loaded. @throws {FuncError} before {@linkcode loadForge} */
export function forgeLib(): Forge {
  if (!forgeModule) {
    throw new FuncError("internal: node-forge is not loaded (prepare the template)");
  }
  return forgeModule;
}

/** bcryptjs, once loaded. @throws {FuncError} before {@linkcode loadBcrypt} */
export function bcryptLib(): Bcrypt {
  if (!bcryptModule) throw new FuncError("internal: bcryptjs is not loaded (prepare the template)");
  return bcryptModule;
}

/** Loads node-forge (once). */
export async function loadForge(): Promise<void> {
  forgeModule ??= (await import("node-forge")).default;
}

/** Loads bcryptjs (once). */
export async function loadBcrypt(): Promise<void> {
  bcryptModule ??= (await import("bcryptjs")).default;
}
