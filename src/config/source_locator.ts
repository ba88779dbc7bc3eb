/**
 * Maps a key path inside a parsed config document back to its line and column, so every input
 * format (the seed YAML, later ExternalSecret manifests) can report errors at their place.
 *
 * @module
 */

export { locateYaml } from "./_yaml_source.ts";

/** A path into a document: map keys and sequence indexes, e.g. `["secrets", 2, "files", 0]`. */
export type KeyPath = readonly (string | number)[];

/** A 1-based line and column. */
export interface SourcePosition {
  line: number;
  column: number;
}

/** Which part of a node to point at. */
export type PositionTarget = "value" | "key" | "content";

/** Finds where things are in the source of a document. */
export interface SourceLocator {
  /**
   * Position of the node at `path` ("key": its map key; "value": the value; "content": where a
   * block scalar's text starts). Falls back to the nearest existing ancestor when the path does
   * not exist (e.g. a missing required key points at its parent).
   */
  position(path: KeyPath, target?: PositionTarget): SourcePosition;
  /** The keys of the map at `path` in document order, or `undefined` if it is not a map. */
  keys(path: KeyPath): string[] | undefined;
}

/** A locator for documents that have no source text (built in code): every position is 0:0. */
export const NO_SOURCE: SourceLocator = {
  position: () => ({ line: 0, column: 0 }),
  keys: () => undefined,
};

const PLAIN_KEY = /^[A-Za-z_$][A-Za-z0-9_$-]*$/;

/**
 * Formats a key path the way error messages show it: `secrets[2].files[0].mode`,
 * `secrets[0].template.data["db.env"]`.
 */
export function formatKeyPath(path: KeyPath): string {
  let out = "";
  for (const segment of path) {
    if (typeof segment === "number") out += `[${segment}]`;
    else if (PLAIN_KEY.test(segment)) out += out === "" ? segment : `.${segment}`;
    else out += `[${JSON.stringify(segment)}]`;
  }
  return out;
}
