/** A template function: receives evaluated arguments, returns a value or throws. */
export type TemplateFunction = (...args: unknown[]) => unknown;

/** Options for parsing a template. */
export interface ParseOptions {
  /**
   * Template name used in error messages.
   * @default "template"
   */
  name?: string;
  /** Extra function names (and implementations) known at parse time. */
  functions?: Record<string, TemplateFunction>;
  /**
   * Action delimiters.
   * @default ["{{", "}}"]
   */
  delimiters?: [string, string];
}

/** Options for executing a template. */
export interface RenderOptions {
  /**
   * What a missing map key yields: `"default"` prints `<no value>`, `"zero"` the zero
   * value (`<no value>` for interface maps, as Go), `"error"` fails execution.
   * @default "default"
   */
  missingKey?: "default" | "zero" | "error";
  /** Functions that add to or override the built-in ones (e.g. `secret`). */
  functions?: Record<string, TemplateFunction>;
  /** Applied to every error message before it is thrown. */
  redact?: (s: string) => string;
  /** Milliseconds since the epoch for `now`, `date`, `ago`...; @default Date.now via the system clock */
  now?: () => number;
  /** Uniform random in [0, 1) for `randAlphaNum`, `uuidv4`...; @default crypto-backed */
  random?: () => number;
  /** Template name used in error messages (for {@linkcode render}). @default "template" */
  name?: string;
}
