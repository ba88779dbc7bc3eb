/**
 * Collects config problems by key path; turns them into positioned {@linkcode ConfigIssue}s.
 *
 * @module
 */

import { ConfigError, type ConfigIssue } from "./config_error.ts";
import {
  formatKeyPath,
  type KeyPath,
  type PositionTarget,
  type SourceLocator,
  type SourcePosition,
} from "./source_locator.ts";

/** What else is known about an issue. */
export interface IssueAbout {
  /** The environment variable whose absence is the whole problem. */
  unsetVariable?: string;
}

interface PendingIssue {
  path: KeyPath;
  message: string;
  target: PositionTarget;
  unsetVariable?: string;
  /** Set for issues about an environment variable rather than a place in the file. */
  envName?: string;
  /** A known position (YAML syntax errors), used instead of looking up `path`. */
  at?: SourcePosition;
}

/** A growing list of problems found while reading one config. */
export class IssueList {
  #items: PendingIssue[] = [];

  /** Records a problem with the value (or, with `target: "key"`, the key) at `path`. */
  add(path: KeyPath, message: string, target: PositionTarget = "value", about?: IssueAbout): void {
    this.#items.push({ path, message, target, ...about });
  }

  /** Records a problem at a known position (`path` only names the surrounding key). */
  addAt(path: KeyPath, at: SourcePosition, message: string): void {
    this.#items.push({ path, message, target: "value", at });
  }

  /** Records a problem with an environment variable's value. */
  addEnv(name: string, message: string): void {
    this.#items.push({ path: [], message, target: "value", envName: name });
  }

  /** Whether a problem was recorded at `path` or inside it. */
  has(path: KeyPath): boolean {
    return this.#items.some((item) =>
      item.envName === undefined && path.every((segment, i) => item.path[i] === segment)
    );
  }

  get size(): number {
    return this.#items.length;
  }

  /** Positions and orders the issues: file issues by line and column, env issues last. */
  resolve(file: string, locator: SourceLocator): ConfigIssue[] {
    const issues = this.#items.map((item): ConfigIssue => {
      if (item.envName !== undefined) {
        return { file, line: 0, column: 0, key: `env.${item.envName}`, message: item.message };
      }
      const { line, column } = item.at ?? locator.position(item.path, item.target);
      const issue: ConfigIssue = {
        file,
        line,
        column,
        key: formatKeyPath(item.path),
        message: item.message,
      };
      if (item.unsetVariable !== undefined) issue.unsetVariable = item.unsetVariable;
      return issue;
    });
    // One issue per place: a later one there is usually a consequence of the first (an
    // unexpandable "${VAR}" then also fails as an address).
    const seen = new Set<string>();
    const unique = issues.filter((issue, index) => {
      const id = `${issue.key}\0${this.#items[index]!.target}\0${issue.line}:${issue.column}`;
      if (seen.has(id)) return false;
      seen.add(id);
      return true;
    });
    const rank = (issue: ConfigIssue) => issue.line === 0 ? Number.MAX_SAFE_INTEGER : issue.line;
    return unique
      .map((issue, index) => ({ issue, index }))
      .sort((a, b) =>
        rank(a.issue) - rank(b.issue) || a.issue.column - b.issue.column || a.index - b.index
      )
      .map(({ issue }) => issue);
  }

  /** Throws a {@linkcode ConfigError} with every issue when there is at least one. */
  throwIfAny(file: string, locator: SourceLocator, options?: ErrorOptions): void {
    if (this.#items.length > 0) throw new ConfigError(this.resolve(file, locator), options);
  }
}
