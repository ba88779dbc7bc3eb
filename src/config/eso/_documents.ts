/**
 * Splits a multi-document YAML file into documents and reads each with the config's YAML reader,
 * so every document keeps its own positions in the original file (line:column point into it).
 *
 * @module
 */

import { parseAllDocuments } from "yaml";
import { readYaml } from "../_yaml_source.ts";
import type { EnvLookup } from "../env_expand.ts";
import type { IssueAbout, IssueList } from "../_issues.ts";
import type { KeyPath, PositionTarget, SourceLocator, SourcePosition } from "../source_locator.ts";

/** One YAML document of a manifest file. */
export interface ManifestDocument {
  /** 1-based position of the document in the file (empty documents count too). */
  number: number;
  /** Plain data; `undefined` for an empty document or one that did not parse. */
  data: unknown;
  locator: SourceLocator;
  envUsed: string[];
}

/** Options of {@linkcode readDocuments}. */
export interface ReadDocumentsOptions {
  /** `${VAR}` lookup; without it nothing is expanded (conversion keeps the text as written). */
  env?: EnvLookup;
  /** Receives problems with paths prefixed by the document's segment (see {@linkcode docSegment}). */
  issues: IssueList;
  /** Paths (inside a document) whose strings are taken literally. */
  literal?: (path: KeyPath) => boolean;
}

/** The key-path segment naming document `number` (1-based), e.g. `doc2`. */
export function docSegment(number: number): string {
  return `doc${number}`;
}

/** The document number of a `docN` segment, or `undefined`. */
export function docNumber(segment: unknown): number | undefined {
  if (typeof segment !== "string") return undefined;
  const match = /^doc(\d+)$/.exec(segment);
  return match ? Number(match[1]) : undefined;
}

/** Reads every document of `text`. */
export function readDocuments(text: string, options: ReadDocumentsOptions): ManifestDocument[] {
  const { env, issues, literal } = options;
  const parsed = parseAllDocuments(text, { prettyErrors: false });
  const list = Array.isArray(parsed) ? parsed : [];
  const out: ManifestDocument[] = [];
  const lines = lineCounter(text);
  list.forEach((doc, index) => {
    const [start, , end] = doc.range;
    // Each document is read on its own (linear in the file size); positions are shifted back
    // to the file's lines and columns.
    const lineStart = text.lastIndexOf("\n", start - 1) + 1;
    const shift = { lines: lines(start), columns: start - lineStart };
    const own = " ".repeat(shift.columns) + text.slice(start, end);
    const number = index + 1;
    const source = readYaml(own, {
      env: env ?? (() => undefined),
      issues: shiftedIssues(issues, docSegment(number), shift),
      literal: env === undefined ? () => true : (literal ?? (() => false)),
    });
    out.push({
      number,
      data: source.data,
      locator: shiftedLocator(source.locator, shift),
      envUsed: source.envUsed,
    });
  });
  return out;
}

interface Shift {
  /** Lines before the document. */
  lines: number;
  /** Columns before it on its first line (blank-padded in the text that is read). */
  columns: number;
}

/** Counts newlines before an offset; offsets must not decrease (documents come in order). */
function lineCounter(text: string): (offset: number) => number {
  let at = 0;
  let count = 0;
  return (offset) => {
    for (let i = text.indexOf("\n", at); i >= 0 && i < offset; i = text.indexOf("\n", i + 1)) {
      count++;
      at = i + 1;
    }
    return count;
  };
}

function shiftPosition(at: SourcePosition, shift: Shift): SourcePosition {
  return at.line === 0 ? at : { line: at.line + shift.lines, column: at.column };
}

function shiftedLocator(locator: SourceLocator, shift: Shift): SourceLocator {
  return {
    position: (path, target) => shiftPosition(locator.position(path, target), shift),
    keys: (path) => locator.keys(path),
  };
}

/** An IssueList view that prefixes paths with `segment` and shifts known positions. */
function shiftedIssues(issues: IssueList, segment: string, shift: Shift): IssueList {
  return {
    add: (path: KeyPath, message: string, target?: PositionTarget, about?: IssueAbout) =>
      issues.add([segment, ...path], message, target, about),
    addAt: (path: KeyPath, at: SourcePosition, message: string) =>
      issues.addAt([segment, ...path], shiftPosition(at, shift), message),
    addEnv: (name: string, message: string) => issues.addEnv(name, message),
    has: (path: KeyPath) => issues.has([segment, ...path]),
    get size() {
      return issues.size;
    },
  } as unknown as IssueList;
}
