/** Options for {@linkcode TemplateError}. */
export interface TemplateErrorOptions extends ErrorOptions {
  /** 1-based line of the failing action, 0 when unknown. */
  line?: number;
  /** 1-based column (in bytes, as Go counts) of the failing action, 0 when unknown. */
  column?: number;
  /** Name of the template the error occurred in. */
  templateName?: string;
}

/**
 * A template failed to parse or execute. The message follows Go's text/template
 * wording (`template: name:1:5: executing "name" at <.x>: map has no entry for key "x"`)
 * and never contains a value from the data.
 */
export class TemplateError extends Error {
  /** 1-based line of the failing action, 0 when unknown. */
  readonly line: number;
  /** 1-based column of the failing action, 0 when unknown. */
  readonly column: number;
  /** Name of the template the error occurred in. */
  readonly templateName: string | undefined;

  constructor(message: string, options: TemplateErrorOptions = {}) {
    const { line = 0, column = 0, templateName, cause } = options;
    super(message, cause === undefined ? undefined : { cause });
    this.name = "TemplateError";
    this.line = line;
    this.column = column;
    this.templateName = templateName;
  }
}
