/**
 * Reads YAML text into plain data plus a {@linkcode SourceLocator}, expanding `${VAR}` in string
 * values on the way. Every scalar value comes out as a string (or is dropped when null): the
 * schema decides what is a number or a boolean, so `0640`, `no` or a numeric token keep the text
 * the user wrote.
 *
 * @module
 */

import {
  isAlias,
  isMap,
  isPair,
  isScalar,
  isSeq,
  LineCounter,
  type Node,
  type Pair,
  parseDocument,
  Scalar,
} from "yaml";
import { type EnvLookup, expandEnv } from "./env_expand.ts";
import type { IssueList } from "./_issues.ts";
import type { KeyPath, PositionTarget, SourceLocator, SourcePosition } from "./source_locator.ts";

/** Options of {@linkcode readYaml}. */
export interface ReadYamlOptions {
  env: EnvLookup;
  issues: IssueList;
  /** Paths whose string values are taken literally (no `${VAR}` expansion), e.g. templates. */
  literal?: (path: KeyPath) => boolean;
}

/** What {@linkcode readYaml} returns. */
export interface YamlSource {
  /** Plain data; `undefined` when the text did not parse. */
  data: unknown;
  locator: SourceLocator;
  /** Variables referenced by `${...}`, in first-use order. */
  envUsed: string[];
}

/** Parses YAML and expands environment variables; problems go to `options.issues`. */
export function readYaml(text: string, options: ReadYamlOptions): YamlSource {
  const { env, issues, literal = () => false } = options;
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, {
    lineCounter,
    keepSourceTokens: true,
    prettyErrors: false,
    uniqueKeys: true,
    // `<<: *defaults` merge keys, as docker-compose users write them.
    merge: true,
    version: "1.2",
  });
  const root = doc.contents as Node | null;
  const toPosition = (offset: number): SourcePosition => {
    const { line, col } = lineCounter.linePos(offset);
    return { line, column: col };
  };
  const locator = createLocator(root, text, toPosition);
  const envUsed: string[] = [];

  if (doc.errors.length > 0) {
    for (const error of doc.errors) {
      issues.addAt(pathAt(root, error.pos[0]), toPosition(error.pos[0]), yamlMessage(error));
    }
    return { data: undefined, locator, envUsed };
  }

  const visit = (node: Node | null, path: KeyPath): void => {
    if (node === null) return;
    if (isMap(node)) {
      for (const pair of node.items) visit(pair.value as Node | null, [...path, keyText(pair)]);
    } else if (isSeq(node)) {
      node.items.forEach((item, index) => visit(item as Node | null, [...path, index]));
    } else if (isScalar(node)) {
      if (typeof node.value === "string") {
        if (literal(path) || !node.value.includes("$")) return;
        const result = expandEnv(node.value, { env });
        for (const name of result.used) if (!envUsed.includes(name)) envUsed.push(name);
        if (result.ok) node.value = result.value;
        else {
          issues.add(
            path,
            result.message,
            "value",
            result.unset !== undefined ? { unsetVariable: result.unset } : undefined,
          );
        }
      } else if (node.value !== null) {
        // Numbers and booleans keep their written text; the schema types them per field.
        node.value = typeof node.source === "string" ? node.source : String(node.value);
      }
    }
  };
  visit(root, []);

  let data: unknown;
  try {
    data = dropNullEntries(doc.toJS({ maxAliasCount: 1000 }));
  } catch (error) {
    // Say what went wrong without the alias name: an unquoted `*...` value may be a secret.
    const message = (error as Error).message.replace(/^(Unresolved alias[^:]*):.*$/s, "$1");
    issues.add([], `Invalid YAML: ${message}`);
    data = undefined;
  }
  return { data, locator, envUsed };
}

/**
 * Parses YAML for positions only (no `${VAR}` expansion, no issues): the data as written and a
 * locator into the text. `data` is `undefined` when the text does not parse.
 */
export function locateYaml(text: string): { data: unknown; locator: SourceLocator } {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, {
    lineCounter,
    prettyErrors: false,
    merge: true,
    version: "1.2",
  });
  const locator = createLocator(doc.contents as Node | null, text, (offset) => {
    const { line, col } = lineCounter.linePos(offset);
    return { line, column: col };
  });
  let data: unknown;
  try {
    data = doc.errors.length > 0 ? undefined : doc.toJS({ maxAliasCount: 1000 });
  } catch {
    data = undefined;
  }
  return { data, locator };
}

/** `key:` and `key: ~` mean "not set": the entry is dropped and the schema applies its default. */
function dropNullEntries(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(dropNullEntries);
  if (typeof value !== "object" || value === null) return value;
  const out: Record<string, unknown> = {};
  for (const [key, entry] of Object.entries(value)) {
    if (entry !== null) out[key] = dropNullEntries(entry);
  }
  return out;
}

function yamlMessage(error: { code: string; message: string }): string {
  const text = error.message.replace(/ at line \d+, column \d+.*$/s, "");
  return `Invalid YAML: ${text} (${error.code})`;
}

function keyText(pair: Pair): string {
  const key = pair.key;
  // A merge key's value is a symbol; its source text is "<<".
  if (isScalar(key)) return typeof key.value === "symbol" ? "<<" : String(key.value);
  return String(key);
}

function childOf(node: Node | null, segment: string | number): Pair | Node | undefined {
  if (node === null) return undefined;
  if (isMap(node)) {
    return node.items.find((pair) => keyText(pair) === String(segment)) as Pair | undefined;
  }
  if (isSeq(node) && typeof segment === "number") {
    return (node.items[segment] as Node | undefined) ?? undefined;
  }
  return undefined;
}

function createLocator(
  root: Node | null,
  text: string,
  toPosition: (offset: number) => SourcePosition,
): SourceLocator {
  const startOf = (node: unknown): number | undefined => {
    const range = (node as { range?: [number, number, number] } | null)?.range;
    return range?.[0];
  };
  return {
    position(path: KeyPath, target: PositionTarget = "value"): SourcePosition {
      let node: Node | null = root;
      let keyNode: unknown = undefined;
      let complete = true;
      for (const segment of path) {
        if (node !== null && isAlias(node)) break;
        const child = childOf(node, segment);
        if (child === undefined) {
          complete = false;
          break;
        }
        if (isPair(child)) {
          keyNode = child.key;
          node = child.value as Node | null;
        } else {
          keyNode = undefined;
          node = child as Node;
        }
      }
      let offset: number | undefined;
      if (target === "key" && complete) offset = startOf(keyNode);
      if (offset === undefined && !complete) offset = startOf(keyNode) ?? startOf(node);
      if (offset === undefined) offset = startOf(node) ?? startOf(keyNode) ?? 0;
      if (target === "content" && complete && node !== null && isScalar(node)) {
        const type = (node as Scalar).type;
        if (type === Scalar.BLOCK_LITERAL || type === Scalar.BLOCK_FOLDED) {
          const newline = text.indexOf("\n", offset);
          if (newline >= 0) {
            let first = newline + 1;
            // Skip blank lines and indentation to the first character of the text.
            while (first < text.length && /[ \t\r\n]/.test(text[first]!)) first++;
            offset = Math.min(first, text.length);
          }
        } else if (type === Scalar.QUOTE_DOUBLE || type === Scalar.QUOTE_SINGLE) {
          offset += 1;
        }
      }
      return toPosition(offset);
    },
    keys(path: KeyPath): string[] | undefined {
      let node: Node | null = root;
      for (const segment of path) {
        const child = childOf(node, segment);
        if (child === undefined) return undefined;
        node = isPair(child) ? child.value as Node | null : child as Node;
      }
      return node !== null && isMap(node) ? node.items.map(keyText) : undefined;
    },
  };
}

/** The key path of the deepest node whose range contains `offset`. */
function pathAt(root: Node | null, offset: number): (string | number)[] {
  const path: (string | number)[] = [];
  let node: Node | null = root;
  const contains = (n: unknown) => {
    const range = (n as { range?: [number, number, number] } | null)?.range;
    return range !== undefined && range[0] <= offset && offset <= range[2];
  };
  while (node !== null) {
    let next: Node | null = null;
    if (isMap(node)) {
      for (const pair of node.items) {
        if (contains(pair.value)) {
          path.push(keyText(pair));
          next = pair.value as Node;
          break;
        }
      }
    } else if (isSeq(node)) {
      node.items.forEach((item, index) => {
        if (next === null && contains(item)) {
          path.push(index);
          next = item as Node;
        }
      });
    }
    node = next;
  }
  return path;
}
