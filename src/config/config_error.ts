/**
 * The error every config problem ends in: a list of issues, each with file, line, column and key.
 *
 * @module
 */

/** One problem found in a config file. */
export interface ConfigIssue {
  /** The config file (absolute path). */
  file: string;
  /** 1-based line; 0 when the issue has no place in the file (e.g. an environment variable). */
  line: number;
  /** 1-based column; 0 when unknown. */
  column: number;
  /** Where in the document, e.g. `secrets[2].files[0].mode`; `""` for the whole document. */
  key: string;
  /** What is wrong, never containing a secret value. */
  message: string;
  /** Set when the whole problem is that this environment variable is not set. */
  unsetVariable?: string;
}

/** Formats one issue as `file:line:column: key: message`. */
export function formatConfigIssue(issue: ConfigIssue): string {
  const where = issue.line > 0 ? `${issue.file}:${issue.line}:${issue.column}` : issue.file;
  return issue.key === ""
    ? `${where}: ${issue.message}`
    : `${where}: ${issue.key}: ${issue.message}`;
}

/**
 * A config file cannot be used. `issues` lists every problem found (not only the first); the
 * message has one line per issue, `file:line:column: key: message`.
 *
 * @example
 * ```ts
 * try {
 *   parseConfig(text, { file: "/etc/secrets-sync/config.yaml", env: Deno.env.get });
 * } catch (err) {
 *   if (err instanceof ConfigError) console.error(err.message);
 * }
 * ```
 */
export class ConfigError extends Error {
  override name = "ConfigError";
  /** All problems, ordered by position in the file. */
  readonly issues: readonly ConfigIssue[];

  constructor(issues: readonly ConfigIssue[], options?: ErrorOptions) {
    if (issues.length === 0) throw new RangeError("ConfigError needs at least one issue");
    super(issues.map(formatConfigIssue).join("\n"), options);
    this.issues = issues;
  }

  /** The file the issues are about. */
  get file(): string {
    return this.issues[0]?.file ?? "";
  }

  /** Line of the first issue. */
  get line(): number {
    return this.issues[0]?.line ?? 0;
  }

  /** Column of the first issue. */
  get column(): number {
    return this.issues[0]?.column ?? 0;
  }

  /** Key path of the first issue. */
  get key(): string {
    return this.issues[0]?.key ?? "";
  }
}
