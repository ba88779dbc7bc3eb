/**
 * Shared helpers for the config tests.
 *
 * @module
 */

import { ConfigError, parseConfig, type Plan } from "../../src/config/mod.ts";

export const FILE = "/etc/secrets-sync/config.yaml";

/** An env lookup over a fixed record. */
export function envOf(vars: Record<string, string> = {}): (name: string) => string | undefined {
  return (name) => Object.hasOwn(vars, name) ? vars[name] : undefined;
}

/** Parses `text` as the config at {@linkcode FILE}. */
export function parse(text: string, vars: Record<string, string> = {}): Plan {
  return parseConfig(text, { file: FILE, env: envOf(vars) });
}

/** Parses `text`, expecting a ConfigError; returns it. */
export function parseError(text: string, vars: Record<string, string> = {}): ConfigError {
  try {
    parse(text, vars);
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error("Expected a ConfigError, but the config was accepted");
}

/** The issues of a failing config as `line:column key: message` strings. */
export function issuesOf(text: string, vars: Record<string, string> = {}): string[] {
  return parseError(text, vars).issues.map((i) => `${i.line}:${i.column} ${i.key}: ${i.message}`);
}

/** A valid minimal store section. */
export const STORE = `secretStore:
  address: http://127.0.0.1:8200
  token: s.test-token
`;

/** A valid minimal config: STORE plus one secret with one file. */
export const MINIMAL = `${STORE}secrets:
  - name: db
    key: app/db
    template:
      data:
        db.env: "DB_PASSWORD={{ .password }}"
    files:
      - path: /secrets/db.env
`;
