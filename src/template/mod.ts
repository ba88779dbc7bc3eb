/**
 * A Go text/template compatible template engine with Sprig v3 and External Secrets
 * Operator (engine v2) functions. Pure: no I/O.
 *
 * @example
 * ```ts
 * import { render } from "./mod.ts";
 * render('user={{ .user }} pass={{ .password | quote }}', { user: "app", password: "s3cr3t" });
 * // => 'user=app pass="s3cr3t"'
 * ```
 *
 * @module
 */
export { loadAllLibraries, parse, render, type SecretCall, Template } from "./template.ts";
export { isRepeatable } from "./repeatable.ts";
export { TemplateError, type TemplateErrorOptions } from "./template_error.ts";
export type { ParseOptions, RenderOptions, TemplateFunction } from "./types.ts";
export { bytesValue, GoBytes, GoInt64, GoTime, JsonNumber, jsonNumber } from "./values.ts";
