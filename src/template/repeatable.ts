/**
 * Which templates render the same text every time from the same data: those that call only
 * functions without a clock, randomness or salt. The syncer skips rendering such a template
 * again when the secret's version has not changed.
 *
 * @module
 */
import { BUILTINS } from "./_builtins.ts";
import { CRYPTO_FUNCS } from "./_sprig_crypto.ts";
import { DATA_FUNCS } from "./_sprig_data.ts";
import { SEMVER_FUNCS } from "./_semver.ts";
import { STRING_FUNCS } from "./_sprig_strings.ts";
import type { Template } from "./template.ts";

/** Functions of CRYPTO_FUNCS that salt their output at random. */
const SALTED = new Set(["bcrypt", "htpasswd"]);

/**
 * Functions whose result depends only on their arguments: Go's builtins and Sprig's string,
 * data, semver and hashing/encoding functions. Left out on purpose: Sprig's random, date and
 * key/certificate functions, bcrypt/htpasswd, ESO's functions (PKCS#12 encodes with a random
 * salt), `secret`/`pkiCert` and any function passed in at render time.
 */
const REPEATABLE_FUNCTIONS: ReadonlySet<string> = new Set([
  ...Object.keys(BUILTINS),
  ...Object.keys(STRING_FUNCS),
  ...Object.keys(DATA_FUNCS),
  ...Object.keys(SEMVER_FUNCS),
  ...Object.keys(CRYPTO_FUNCS).filter((name) => !SALTED.has(name)),
]);

/**
 * Whether `template` renders the same text whenever it is given the same data.
 *
 * @example
 * ```ts
 * import { parse } from "./template.ts";
 * isRepeatable(parse("{{ .user | upper }}")); // true
 * isRepeatable(parse("{{ now }}")); // false
 * ```
 */
export function isRepeatable(template: Template): boolean {
  return template.functionNames().every((name) => REPEATABLE_FUNCTIONS.has(name));
}
