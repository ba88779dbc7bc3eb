/**
 * `${VAR}` / `${VAR:-default}` expansion in config strings, in one pass (values are never
 * re-expanded, so a token containing `${` stays literal). `$${` writes a literal `${`.
 *
 * @module
 */

/** Reads one environment variable; `undefined` when unset. */
export type EnvLookup = (name: string) => string | undefined;

/** The outcome of {@linkcode expandEnv}. */
export type ExpandResult =
  | { ok: true; value: string; used: string[] }
  | {
    ok: false;
    message: string;
    used: string[];
    /** The variable that is not set, when that is the problem. */
    unset?: string;
  };

const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * Expands `${NAME}` and `${NAME:-default}` in `text`.
 *
 * `${NAME:-default}` uses `default` when NAME is unset or empty (as the shell does); `${NAME}`
 * with NAME unset is an error naming the variable. A `$` not followed by `{` is literal, and
 * `$${` writes `${`. Substituted values are not scanned again.
 *
 * @example
 * ```ts
 * expandEnv("${HOST:-localhost}:8200", { env: () => undefined });
 * // { ok: true, value: "localhost:8200", used: ["HOST"] }
 * ```
 */
export function expandEnv(text: string, options: { env: EnvLookup }): ExpandResult {
  const { env } = options;
  const used: string[] = [];
  let out = "";
  let i = 0;
  while (i < text.length) {
    const dollar = text.indexOf("$", i);
    if (dollar < 0) {
      out += text.slice(i);
      break;
    }
    out += text.slice(i, dollar);
    if (text.startsWith("$${", dollar)) {
      out += "${";
      i = dollar + 3;
      continue;
    }
    if (text[dollar + 1] !== "{") {
      out += "$";
      i = dollar + 1;
      continue;
    }
    const close = text.indexOf("}", dollar + 2);
    if (close < 0) {
      return {
        ok: false,
        message: 'Cannot expand "${": missing "}" (write "$${" for a literal "${")',
        used,
      };
    }
    const body = text.slice(dollar + 2, close);
    const sep = body.indexOf(":-");
    const name = sep < 0 ? body : body.slice(0, sep);
    if (!NAME.test(name)) {
      return {
        ok: false,
        message:
          `Cannot expand "\${${name}}": not a variable name (write "$\${" for a literal "\${")`,
        used,
      };
    }
    if (!used.includes(name)) used.push(name);
    const value = env(name);
    if (sep >= 0) {
      out += value === undefined || value === "" ? body.slice(sep + 2) : value;
    } else if (value === undefined) {
      return {
        ok: false,
        message: `Cannot expand "\${${name}}": environment variable ${name} is not set`,
        used,
        unset: name,
      };
    } else {
      out += value;
    }
    i = close + 1;
  }
  return { ok: true, value: out, used };
}
