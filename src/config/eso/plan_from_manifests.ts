/**
 * Loading External Secrets Operator manifests as a config: documents → the seed-shaped document
 * ({@linkcode esoToSeed}) → the seed planner, with every error pointing into the manifest file.
 *
 * @module
 */

import { parseAllDocuments } from "yaml";
import type { Plan } from "../plan.ts";
import type { EnvLookup } from "../env_expand.ts";
import { IssueList } from "../_issues.ts";
import { collectSeedPlan } from "../plan_from_seed.ts";
import { dirname } from "../paths.ts";
import type { KeyPath, PositionTarget, SourceLocator, SourcePosition } from "../source_locator.ts";
import { docNumber, type ManifestDocument, readDocuments } from "./_documents.ts";
import { type EsoSeed, esoToSeed } from "./eso_to_seed.ts";

/** Whether config text holds Kubernetes manifests (several documents, or `kind`/`apiVersion`). */
export function isManifestText(text: string): boolean {
  if (/^(kind|apiVersion)[ \t]*:/m.test(text)) return true;
  if (!/^(---|\.\.\.)/m.test(text)) return false;
  try {
    return parseAllDocuments(text).length > 1;
  } catch {
    return false;
  }
}

/** ESO template sources are taken literally: `${...}` there belongs to the rendered file. */
export function isManifestTemplate(path: KeyPath): boolean {
  const [spec, target, template, field, , literal] = path;
  if (spec !== "spec" || target !== "target" || template !== "template") return false;
  if (field === "data") return path.length === 5;
  return field === "templateFrom" && path.length === 6 && literal === "literal";
}

/** A locator over several documents: paths start with the `docN` segment. */
export function manifestLocator(documents: readonly ManifestDocument[]): SourceLocator {
  const byNumber = new Map(documents.map((d) => [d.number, d]));
  const find = (path: KeyPath) => {
    const number = docNumber(path[0]);
    return number === undefined ? undefined : byNumber.get(number);
  };
  return {
    position(path: KeyPath, target?: PositionTarget): SourcePosition {
      const doc = find(path) ?? documents.find((d) => d.data !== undefined) ?? documents[0];
      if (doc === undefined) return { line: 1, column: 1 };
      return doc.locator.position(find(path) ? path.slice(1) : [], target);
    },
    keys(path: KeyPath): string[] | undefined {
      return find(path)?.locator.keys(path.slice(1));
    },
  };
}

/** The seed-side view: seed paths are mapped to where they came from in the manifests. */
function seedIssues(issues: IssueList, eso: EsoSeed): IssueList {
  return {
    add: (path: KeyPath, message: string, target?: PositionTarget) =>
      issues.add(eso.origin(path), message, target),
    addAt: (path: KeyPath, at: SourcePosition, message: string) =>
      issues.addAt(eso.origin(path), at, message),
    addEnv: (name: string, message: string) => issues.addEnv(name, message),
    has: (path: KeyPath) => issues.has(eso.origin(path)),
    get size() {
      return issues.size;
    },
  } as unknown as IssueList;
}

function seedLocator(seed: unknown, eso: EsoSeed, manifests: SourceLocator): SourceLocator {
  return {
    position: (path, target) => manifests.position(eso.origin(path), target),
    keys(path) {
      let node: unknown = seed;
      for (const segment of path) {
        if (typeof node !== "object" || node === null) return undefined;
        node = (node as Record<string | number, unknown>)[segment];
      }
      return typeof node === "object" && node !== null && !Array.isArray(node)
        ? Object.keys(node)
        : undefined;
    },
  };
}

/** Options of {@linkcode planFromManifests}. */
export interface PlanFromManifestsOptions {
  /** Absolute path of the manifest file. */
  file: string;
  env: EnvLookup;
  /**
   * The working directory relative output directories resolve against.
   * @default the manifest file's directory
   */
  cwd?: string;
  /** Mount for keys whose store has no path. */
  mountPath?: string;
  /** @default "/secrets" */
  outputDir?: string;
  /** Receives the fields that are not carried over (as `docN.path: message` with positions). */
  onWarning?: (warning: { line: number; column: number; key: string; message: string }) => void;
}

/**
 * Plans ESO manifests: the same Plan `convert`'s output would load into.
 *
 * @throws {ConfigError} listing every problem, positioned in the manifest file.
 */
export function planFromManifests(text: string, options: PlanFromManifestsOptions): Plan {
  const { file, env } = options;
  const issues = new IssueList();
  const documents = readDocuments(text, { env, issues, literal: isManifestTemplate });
  const locator = manifestLocator(documents);
  issues.throwIfAny(file, locator);
  const convertOptions: Parameters<typeof esoToSeed>[1] = { issues, env };
  if (options.mountPath !== undefined) convertOptions.mountPath = options.mountPath;
  if (options.outputDir !== undefined) convertOptions.outputDir = options.outputDir;
  const eso = esoToSeed(documents, convertOptions);
  issues.throwIfAny(file, locator);
  if (options.onWarning) {
    for (const warning of resolveWarnings(eso, file, locator)) options.onWarning(warning);
  }
  const plan = collectSeedPlan(
    eso.seed,
    {
      file,
      dir: options.cwd ?? dirname(file),
      env,
      issues: seedIssues(issues, eso),
      locator: seedLocator(eso.seed, eso, locator),
    },
    documents.flatMap((d) => d.envUsed),
  );
  issues.throwIfAny(file, locator);
  return plan!;
}

/** Warnings with positions, in file order. */
export function resolveWarnings(
  eso: EsoSeed,
  file: string,
  locator: SourceLocator,
): Array<{ file: string; line: number; column: number; key: string; message: string }> {
  if (eso.warnings.length === 0) return [];
  const list = new IssueList();
  for (const warning of eso.warnings) list.add(warning.path, warning.message);
  return list.resolve(file, locator);
}

/** Plans a seed-shaped document with seed-path issues mapped into the manifests. @internal */
export function checkSeed(
  seed: unknown,
  eso: EsoSeed,
  ctx: { file: string; env: EnvLookup; issues: IssueList; locator: SourceLocator },
): Plan | undefined {
  return collectSeedPlan(seed, {
    file: ctx.file,
    dir: dirname(ctx.file),
    env: ctx.env,
    issues: seedIssues(ctx.issues, eso),
    locator: seedLocator(seed, eso, ctx.locator),
  }, []);
}
