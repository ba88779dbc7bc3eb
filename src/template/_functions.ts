/** The standard function map: Sprig v3 (minus env/expandenv/getHostByName) plus ESO v2. */
import type { FuncDef } from "./_func_def.ts";
import { STRING_FUNCS } from "./_sprig_strings.ts";
import { DATA_FUNCS } from "./_sprig_data.ts";
import { CRYPTO_FUNCS, randomFuncs } from "./_sprig_crypto.ts";
import { dateFuncs } from "./_sprig_date.ts";
import { ESO_FUNCS } from "./_eso.ts";
import { ESO_PKI_FUNCS } from "./_eso_pki.ts";
import { SEMVER_FUNCS } from "./_semver.ts";
import { keyFuncs } from "./_sprig_keys.ts";
import { type Library, loadBcrypt, loadForge, loadNodeCrypto } from "./_libraries.ts";

export type { Library } from "./_libraries.ts";

export interface FunctionEnv {
  now?: (() => number) | undefined;
  random?: (() => number) | undefined;
}

// The template module imports nothing from the rest of src/, so it carries its own
// system defaults; callers (and tests) inject `now`/`random` through RenderOptions.
const systemNow = (): number => Date.now();
function systemRandom(): number {
  const buf = new Uint32Array(1);
  crypto.getRandomValues(buf);
  return buf[0]! / 2 ** 32;
}

const STATIC: Map<string, FuncDef> = new Map(
  Object.entries({
    ...STRING_FUNCS,
    ...DATA_FUNCS,
    ...CRYPTO_FUNCS,
    ...SEMVER_FUNCS,
    ...ESO_FUNCS,
    ...ESO_PKI_FUNCS,
  }),
);
const DEFAULT_DYNAMIC = {
  ...randomFuncs({ random: systemRandom }),
  ...dateFuncs({ now: systemNow }),
  ...keyFuncs({ now: systemNow, random: systemRandom }),
};
const DEFAULT_MAP: Map<string, FuncDef> = new Map([...STATIC, ...Object.entries(DEFAULT_DYNAMIC)]);

/** Builds the function map with time and randomness bound to `env`. */
export function standardFunctions(env: FunctionEnv): Map<string, FuncDef> {
  if (env.now === undefined && env.random === undefined) return DEFAULT_MAP;
  return new Map([
    ...STATIC,
    ...Object.entries(randomFuncs({ random: env.random ?? systemRandom })),
    ...Object.entries(dateFuncs({ now: env.now ?? systemNow })),
    ...Object.entries(keyFuncs({ now: env.now ?? systemNow, random: env.random ?? systemRandom })),
  ]);
}

const LOADERS: Record<Library, () => Promise<void>> = {
  "node-forge": loadForge,
  "bcryptjs": loadBcrypt,
  "node:crypto": loadNodeCrypto,
};

/**
 * The libraries the named functions need (what {@linkcode loadLibrariesFor} loads): those their
 * definitions are marked with where they are written (`needs(library, def(...))`), so a new
 * function is covered where it is added.
 */
export function librariesFor(names: Iterable<string>): Set<Library> {
  const needed = new Set<Library>();
  for (const name of names) {
    for (const library of DEFAULT_MAP.get(name)?.needs ?? []) needed.add(library);
  }
  return needed;
}

/** Loads the libraries the named functions need (each at most once per process). */
export async function loadLibrariesFor(names: Iterable<string>): Promise<void> {
  await Promise.all([...librariesFor(names)].map((library) => LOADERS[library]()));
}

/** Loads every library a template function may need (tests, and the one-shot `render`). */
export async function loadAllLibraries(): Promise<void> {
  await Promise.all(Object.values(LOADERS).map((load) => load()));
}
