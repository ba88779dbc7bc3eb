/** parse(), render() and the Template class. */
import { BUILTINS } from "./_builtins.ts";
import { ExecFailure, State } from "./_exec.ts";
import { utf8Length } from "./_fmt.ts";
import { def, type FuncDef, FuncError } from "./_func_def.ts";
import {
  ParseFailure,
  parseTrees,
  type SecretCallSite,
  type Tree,
  VAULT_FUNCTIONS,
} from "./_parser.ts";
import { loadLibrariesFor, standardFunctions } from "./_functions.ts";

export { loadAllLibraries } from "./_functions.ts";
import { TemplateError } from "./template_error.ts";
import type { ParseOptions, RenderOptions, TemplateFunction } from "./types.ts";

function unavailable(name: string): FuncDef {
  return def(() => {
    throw new FuncError(
      `${name} is unavailable: no ${name} function was supplied to this render`,
    );
  }, "...any");
}

/** A `secret` or `pkiCert` call found by {@linkcode Template.secretCalls}. */
export type SecretCall = SecretCallSite;

function userFunction(fn: TemplateFunction): FuncDef {
  return def(fn, "...any");
}

/** A parsed template, reusable across executions. */
export class Template {
  readonly name: string;
  readonly #source: string;
  readonly #trees: Map<string, Tree>;
  readonly #secretCalls: SecretCallSite[];
  readonly #parseFunctions: Record<string, TemplateFunction>;
  readonly #functionNames: ReadonlySet<string>;

  /** @internal use {@linkcode parse}. */
  constructor(
    name: string,
    source: string,
    trees: Map<string, Tree>,
    secretCalls: SecretCallSite[],
    parseFunctions: Record<string, TemplateFunction>,
    functionNames: ReadonlySet<string> = new Set(),
  ) {
    this.name = name;
    this.#source = source;
    this.#trees = trees;
    this.#secretCalls = secretCalls;
    this.#parseFunctions = parseFunctions;
    this.#functionNames = functionNames;
  }

  /** Names of every function the template calls, sorted. */
  functionNames(): string[] {
    return [...this.#functionNames].sort();
  }

  /**
   * Loads what the functions it calls need (node-forge, bcryptjs, `node:crypto`) — at most once
   * per process. Await it once before the first {@linkcode execute}; a template that calls none
   * resolves at once.
   */
  prepare(): Promise<void> {
    return loadLibrariesFor(this.#functionNames);
  }

  /**
   * Every `secret`/`pkiCert` call, in order of appearance, once per function and arguments.
   * `args` (path first) is `null` for a call with a computed argument.
   */
  secretCalls(): SecretCall[] {
    return this.#secretCalls.map((c) => ({ ...c, args: c.args && [...c.args] }));
  }

  /** The literal paths of every one-argument `secret "path"` call (a read), deduplicated. */
  secretPaths(): string[] {
    const paths = this.#secretCalls.flatMap((c) =>
      c.fn === "secret" && c.args?.length === 1 ? c.args : []
    );
    return [...new Set(paths)];
  }

  /** Names of the templates defined with {{define}} or {{block}} (and the main one). */
  templateNames(): string[] {
    return [...this.#trees.keys()];
  }

  /**
   * Executes the template against `data`.
   * @throws {TemplateError} on an execution error (message already redacted).
   */
  execute(data: unknown, options: RenderOptions = {}): string {
    const { missingKey = "default", functions = {}, redact = (s: string) => s } = options;
    if (missingKey !== "default" && missingKey !== "zero" && missingKey !== "error") {
      throw new RangeError(`Cannot render: invalid missingKey "${String(missingKey)}"`);
    }
    const std = standardFunctions({ now: options.now, random: options.random });
    const lookup = (name: string): FuncDef | undefined => {
      const user = Object.hasOwn(functions, name)
        ? functions[name]
        : Object.hasOwn(this.#parseFunctions, name)
        ? this.#parseFunctions[name]
        : undefined;
      if (user !== undefined) return userFunction(user);
      if (VAULT_FUNCTIONS.includes(name)) return unavailable(name);
      return std.get(name) ?? (Object.hasOwn(BUILTINS, name) ? BUILTINS[name] : undefined);
    };
    const source = this.#source;
    const state = new State(
      {
        parseName: this.name,
        source,
        trees: this.#trees,
        funcs: lookup,
        missingKey,
        location: (pos) => {
          const before = source.slice(0, pos);
          const nl = before.lastIndexOf("\n");
          const line = 1 + countNewlines(before);
          const col = utf8Length(before.slice(nl + 1));
          return `${this.name}:${line}:${col}`;
        },
      },
      this.name,
      data,
    );
    const main = this.#trees.get(this.name);
    try {
      if (main !== undefined) state.walk(data, main.root);
    } catch (e) {
      throw toTemplateError(e, redact, source, this.name);
    }
    return state.out.join("");
  }
}

function countNewlines(s: string): number {
  let n = 0;
  for (let i = s.indexOf("\n"); i >= 0; i = s.indexOf("\n", i + 1)) n++;
  return n;
}

function toTemplateError(
  e: unknown,
  redact: (s: string) => string,
  source: string,
  name: string,
): TemplateError {
  if (e instanceof ExecFailure) {
    let line = 0;
    let column = 0;
    if (e.node !== undefined) {
      const before = source.slice(0, e.node.pos);
      line = 1 + countNewlines(before);
      column = utf8Length(before.slice(before.lastIndexOf("\n") + 1));
    }
    return new TemplateError(redact(e.message), {
      line,
      column,
      templateName: e.templateName,
      cause: e,
    });
  }
  if (e instanceof RangeError && /call stack/i.test(e.message)) {
    return new TemplateError(
      redact(`template: ${name}: exceeded maximum template depth (100000)`),
      { templateName: name, cause: e },
    );
  }
  if (e instanceof TemplateError) return e;
  const msg = e instanceof Error ? e.message : String(e);
  return new TemplateError(redact(`template: ${name}: ${msg}`), { templateName: name, cause: e });
}

/**
 * Parses a template. Unknown functions are parse errors, as in Go; `secret` and
 * `options.functions` names are known.
 * @throws {TemplateError} on a syntax error.
 */
export function parse(source: string, options: ParseOptions = {}): Template {
  const { name = "template", functions = {}, delimiters = ["{{", "}}"] } = options;
  const std = standardFunctions({});
  const used = new Set<string>();
  const has = (fn: string) => {
    used.add(fn);
    return VAULT_FUNCTIONS.includes(fn) || Object.hasOwn(functions, fn) ||
      Object.hasOwn(BUILTINS, fn) ||
      std.has(fn);
  };
  try {
    const { trees, secretCalls } = parseTrees(name, source, has, delimiters);
    return new Template(name, source, trees, secretCalls, functions, used);
  } catch (e) {
    if (e instanceof ParseFailure) {
      throw new TemplateError(e.message, { line: e.line, column: 0, templateName: name, cause: e });
    }
    throw e;
  }
}

/**
 * Parses and executes a template in one step.
 * @throws {TemplateError} on a parse or execution error.
 * @example
 * ```ts
 * import { render } from "./mod.ts";
 * render("{{ range $k, $v := . }}{{ $k }}={{ $v }};{{ end }}", { b: 2, a: "x" }); // "a=x;b=2;"
 * ```
 */
export function render(source: string, data: unknown, options: RenderOptions = {}): string {
  const { functions, name } = options;
  const parseOptions: ParseOptions = {};
  if (functions !== undefined) parseOptions.functions = functions;
  if (name !== undefined) parseOptions.name = name;
  let tmpl: Template;
  try {
    tmpl = parse(source, parseOptions);
  } catch (e) {
    if (e instanceof TemplateError && options.redact) {
      throw new TemplateError(options.redact(e.message), {
        line: e.line,
        column: e.column,
        ...(e.templateName !== undefined ? { templateName: e.templateName } : {}),
        cause: e,
      });
    }
    throw e;
  }
  return tmpl.execute(data, options);
}
