/**
 * The heavy libraries some template functions need (node-forge for certificates and PKCS#12,
 * bcryptjs for `bcrypt`/`htpasswd`, `node:crypto` for hashes, keys and AES), loaded only when a
 * parsed template calls such a function: a config without them never pays their load time and
 * memory (`node:crypto` brings Deno's Node compatibility layer). `prepare()` in `template.ts` loads
 * what a template needs before its first render.
 *
 * @module
 */
import type forge from "node-forge";
import { FuncError } from "./_func_def.ts";

/** A library that some template functions need and that is loaded only for them. */
export type Library = "node-forge" | "bcryptjs" | "node:crypto";

type Forge = typeof forge;
type Bcrypt = typeof import("bcryptjs").default;
type NodeCrypto = typeof import("node:crypto");

let forgeModule: Forge | undefined;
let bcryptModule: Bcrypt | undefined;
let nodeCryptoModule: NodeCrypto | undefined;

/**
 * node-forge, once loaded. A function definition whose implementation calls this (directly or
 * through a helper) is marked `needs("node-forge", ...)` (`_func_def.ts`), so that `prepare()`
 * loads it. Call it outside a `try` that turns errors into messages, so that an unprepared template
 * fails with "not loaded" instead of reporting bad input.
 * @throws {FuncError} before {@linkcode loadForge}
 */
export function forgeLib(): Forge {
  if (!forgeModule) {
    throw new FuncError("internal: node-forge is not loaded (prepare the template)");
  }
  return forgeModule;
}

/**
 * bcryptjs, once loaded; a function calling it is marked `needs("bcryptjs", ...)`.
 * @throws {FuncError} before {@linkcode loadBcrypt}
 */
export function bcryptLib(): Bcrypt {
  if (!bcryptModule) throw new FuncError("internal: bcryptjs is not loaded (prepare the template)");
  return bcryptModule;
}

/**
 * `node:crypto`, once loaded; a function calling it is marked `needs("node:crypto", ...)`, like
 * node-forge's. @throws {FuncError} before {@linkcode loadNodeCrypto}
 */
export function nodeCrypto(): NodeCrypto {
  if (!nodeCryptoModule) {
    throw new FuncError("internal: node:crypto is not loaded (prepare the template)");
  }
  return nodeCryptoModule;
}

/** Loads node-forge (once). */
export async function loadForge(): Promise<void> {
  forgeModule ??= (await import("node-forge")).default;
}

/** Loads bcryptjs (once). */
export async function loadBcrypt(): Promise<void> {
  bcryptModule ??= (await import("bcryptjs")).default;
}

/** Loads `node:crypto` (once). */
export async function loadNodeCrypto(): Promise<void> {
  nodeCryptoModule ??= await import("node:crypto");
}
