/**
 * Go template expressions that reproduce what the ESO Vault provider hands to a Secret: a
 * property of a secret (or the whole secret as JSON), decoded as `decodingStrategy` says.
 *
 * @module
 */

/** A name usable after a dot in a Go template (`.password`). */
const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** gjson syntax we cannot express statically (wildcards, queries, modifiers, escapes). */
const GJSON_SPECIAL = /[*?#|@\\!=<>%]/;

/** Quotes a string as a Go template string literal. */
export function goString(value: string): string {
  return JSON.stringify(value);
}

/** Whether `name` can be written as `.name`. */
export function isIdentifier(name: string): boolean {
  return IDENTIFIER.test(name);
}

/** `.name`, or `index . "name"` for keys that are not identifiers, as an operand. */
export function fieldOf(base: string, name: string): string {
  if (isIdentifier(name)) return base === "." ? `.${name}` : `${base}.${name}`;
  return `(index ${base} ${goString(name)})`;
}

/** The result of {@linkcode propertyExpression}. */
export interface PropertyExpression {
  /** A Go template operand. */
  expr: string;
  /** A note for the user when the mapping is approximate. */
  warning?: string;
}

/**
 * The value of `property` in the secret data at `base` (an operand such as `.` or
 * `(secret "kv/data/app").Data.data`). Without a property: the whole secret as JSON, as ESO does.
 */
export function propertyExpression(base: string, property: string | undefined): PropertyExpression {
  if (property === undefined || property === "") return { expr: `(toJson ${base})` };
  if (isIdentifier(property)) return { expr: fieldOf(base, property) };
  if (GJSON_SPECIAL.test(property)) {
    return {
      expr: fieldOf(base, property),
      warning:
        `property "${property}" uses gjson syntax that cannot be expressed statically; read as the key "${property}"`,
    };
  }
  return { expr: fieldOf(base, property) };
}

/**
 * Nested lookup for a dotted property (`a.b` → `index . "a" "b"`), used as ESO's fallback when no
 * key with the dotted name exists.
 */
export function nestedExpression(base: string, property: string): string | undefined {
  if (!property.includes(".") || GJSON_SPECIAL.test(property)) return undefined;
  const parts = property.split(".");
  if (parts.some((p) => p === "")) return undefined;
  return `(index ${base} ${parts.map((p) => /^\d+$/.test(p) ? p : goString(p)).join(" ")})`;
}

/** ESO's decoding strategies. */
export type DecodingStrategy = "None" | "Base64" | "Base64URL" | "Auto";

/** Applies a decoding strategy to an operand. */
export function decode(expr: string, strategy: DecodingStrategy): string {
  switch (strategy) {
    case "None":
      return expr;
    case "Base64":
      return `(b64dec ${expr})`;
    case "Base64URL":
    case "Auto":
      // b64dec reads the standard alphabet; map the URL-safe one onto it first.
      return `(b64dec (replace "_" "/" (replace "-" "+" ${expr})))`;
  }
}

/** Drops one pair of outer parentheses so `{{ (x) }}` prints as `{{ x }}`. */
export function bare(expr: string): string {
  if (!expr.startsWith("(") || !expr.endsWith(")")) return expr;
  let depth = 0;
  let quoted = false;
  for (let i = 0; i < expr.length; i++) {
    const c = expr[i];
    if (quoted) {
      if (c === "\\") i++;
      else if (c === '"') quoted = false;
      continue;
    }
    if (c === '"') quoted = true;
    else if (c === "(") depth++;
    else if (c === ")") {
      depth--;
      if (depth === 0 && i < expr.length - 1) return expr;
    }
  }
  return expr.slice(1, -1);
}

/**
 * ESO's Secret value of a fetched value: strings as they are, anything else (maps, lists, numbers,
 * booleans, null) JSON-encoded.
 */
export function stringify(expr: string): string {
  return `(ternary ${expr} (toJson ${expr}) (kindIs "string" ${expr}))`;
}

/** The pipeline suffix applying a decoding strategy, e.g. ` | b64dec`. */
export function decodePipe(strategy: DecodingStrategy): string {
  switch (strategy) {
    case "None":
      return "";
    case "Base64":
      return " | b64dec";
    case "Base64URL":
    case "Auto":
      return ' | replace "-" "+" | replace "_" "/" | b64dec';
  }
}

/** What {@linkcode valueOperand} returns. */
export interface ValueOperand {
  /** Lines of actions to run first (they print nothing), e.g. assigning `$v0`; may be empty. */
  prelude: string[];
  /** An operand holding the value. */
  operand: string;
}

/**
 * The value of `property` (or the whole secret as JSON) at `base`. A dotted or otherwise
 * non-identifier property reads the key with that exact name when the secret has it, else the
 * nested value (ESO's gjson fallback); a missing key fails the render instead of writing an
 * empty or `<no value>` file. `variable` (e.g. `$v0`) holds the value when a prelude is needed.
 */
export function valueOperand(
  base: string,
  property: string | undefined,
  strategy: DecodingStrategy,
  variable: string,
): ValueOperand {
  if (property === undefined || property === "") {
    return { prelude: [], operand: decode(`(toJson ${base})`, strategy) };
  }
  if (isIdentifier(property)) {
    return { prelude: [], operand: decode(fieldOf(base, property), strategy) };
  }
  const nested = nestedExpression(base, property);
  const missing = nested === undefined
    ? `{{ fail ${goString(`key "${property}" not found`)} }}`
    : `{{ ${variable} = ${bare(nested)} }}`;
  return {
    prelude: [
      `{{- ${variable} := ${bare(fieldOf(base, property))} }}`,
      `{{- if not (hasKey ${base} ${goString(property)}) }}${missing}{{ end }}`,
    ],
    operand: decode(variable, strategy),
  };
}

/**
 * A file template printing one value as ESO stores it in the Secret: strings as they are,
 * anything else (maps, lists, numbers, booleans) JSON-encoded, then decoded.
 */
export function valueTemplate(
  base: string,
  property: string | undefined,
  strategy: DecodingStrategy,
): string {
  if (property === undefined || property === "") {
    return `{{ toJson ${base}${decodePipe(strategy)} }}`;
  }
  if (isIdentifier(property) && strategy === "None") {
    const field = fieldOf(base, property);
    return `{{ ${bare(stringify(field))} }}`;
  }
  const { prelude } = valueOperand(base, property, strategy, "$v");
  const lines = prelude.length > 0 ? prelude : [`{{- $v := ${bare(fieldOf(base, property))} }}`];
  return [
    ...lines,
    '{{- if not (kindIs "string" $v) }}{{ $v = toJson $v }}{{ end }}',
    `{{- $v${decodePipe(strategy)} -}}`,
    "",
  ].join("\n");
}
