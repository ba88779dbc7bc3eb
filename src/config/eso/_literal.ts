/**
 * `templateFrom[].literal` → one template per key. ESO renders the literal and parses the result
 * as a YAML map; here the literal is parsed with its `{{ ... }}` actions held aside, so each key's
 * value becomes the template of one file. Keys built by actions cannot be known statically.
 *
 * @module
 */

import { parse } from "yaml";

/** The result of {@linkcode splitLiteral}. */
export type LiteralSplit =
  | { ok: true; templates: Array<[string, string]> }
  | { ok: false; problem: string };

/** Splits a literal template into `[key, template]` pairs, in document order. */
export function splitLiteral(literal: string): LiteralSplit {
  const actions: string[] = [];
  const marker = (i: number) => `ESOACTION${i}X`;
  if (/ESOACTION\d+X/.test(literal)) return { ok: false, problem: "contains a reserved word" };
  const masked = literal.replace(/\{\{[\s\S]*?\}\}/g, (action) => {
    actions.push(action);
    return marker(actions.length - 1);
  });
  let value: unknown;
  try {
    value = parse(masked, { version: "1.2", uniqueKeys: true });
  } catch (error) {
    return { ok: false, problem: `not a YAML map of key: template (${(error as Error).name})` };
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    return { ok: false, problem: "not a YAML map of key: template" };
  }
  const restore = (text: string) =>
    text.replace(/ESOACTION(\d+)X/g, (_, i: string) => actions[Number(i)] ?? "");
  const templates: Array<[string, string]> = [];
  for (const [key, entry] of Object.entries(value)) {
    if (/ESOACTION\d+X/.test(key)) {
      return { ok: false, problem: `the key "${restore(key)}" is computed by a template action` };
    }
    if (typeof entry === "object" && entry !== null) {
      return { ok: false, problem: `the value of "${key}" is not text` };
    }
    templates.push([key, restore(String(entry ?? ""))]);
  }
  return { ok: true, templates };
}
