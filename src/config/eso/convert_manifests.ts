/**
 * `convert`'s core: ESO manifests → seed-format YAML text (with comments) plus warnings for every
 * field that is not carried over. Pure: no I/O, no Vault, no environment.
 *
 * @module
 */

import { Document, isMap, isSeq, type Node } from "yaml";
import { IssueList } from "../_issues.ts";
import { expandEnv } from "../env_expand.ts";
import type { ConfigIssue } from "../config_error.ts";
import { readDocuments } from "./_documents.ts";
import { DEFAULT_OUTPUT_DIR, esoToSeed } from "./eso_to_seed.ts";
import { checkSeed, manifestLocator, resolveWarnings } from "./plan_from_manifests.ts";

/** Options of {@linkcode convertManifests}. */
export interface ConvertManifestsOptions {
  /** Name of the input for messages (a path, or `<stdin>`). */
  file: string;
  /** Mount for keys whose store has no `path`. @default none: the key's first segment */
  mountPath?: string;
  /** @default "/secrets" */
  outputDir?: string;
}

/** What {@linkcode convertManifests} returns. */
export interface ConvertManifestsResult {
  /** The config, seed-format YAML. */
  yaml: string;
  /** Fields not carried over, in file order. */
  warnings: ConfigIssue[];
}

/** Values used only to check the converted config's shape (they never reach the output). */
const CHECK_ENV: Record<string, string> = {
  VAULT_ADDR: "http://127.0.0.1:8200",
};

/**
 * Converts ESO manifests to a config.
 *
 * @example
 * ```ts ignore
 * const { yaml, warnings } = convertManifests(text, { file: "external-secret.yaml" });
 * ```
 * @throws {ConfigError} when the input has errors (positioned in the input).
 */
export function convertManifests(
  text: string,
  options: ConvertManifestsOptions,
): ConvertManifestsResult {
  const { file, outputDir = DEFAULT_OUTPUT_DIR } = options;
  const issues = new IssueList();
  const documents = readDocuments(text, { issues });
  const locator = manifestLocator(documents);
  issues.throwIfAny(file, locator);
  const eso = esoToSeed(documents, {
    issues,
    outputDir,
    envReferences: true,
    ...(options.mountPath !== undefined ? { mountPath: options.mountPath } : {}),
  });
  issues.throwIfAny(file, locator);
  // The printed config must load: check it as the loader would, with stand-in variables.
  const checkFile = file.startsWith("/") ? file : `/${file}`;
  checkSeed(expandForCheck(eso.seed, []), eso, {
    file: checkFile,
    env: () => undefined,
    issues,
    locator,
  });
  issues.throwIfAny(file, locator);

  const doc = new Document(eso.seed, { version: "1.2" });
  doc.commentBefore = [
    " Converted from External Secrets Operator manifests by `secrets-sync convert`.",
    ` Each ExternalSecret target is a directory under ${outputDir}/ with one file per key.`,
    " Values come from Vault at run time; review the warnings printed by convert.",
  ].join("\n");
  const secrets = doc.get("secrets", true) as Node | undefined;
  if (secrets && isSeq(secrets)) {
    secrets.items.forEach((item, index) => {
      const comment = eso.comments.get(JSON.stringify(["secrets", index]));
      if (comment !== undefined && isMap(item)) (item as Node).commentBefore = ` ${comment}`;
    });
  }
  const warnings = resolveWarnings(eso, file, locator);
  return { yaml: doc.toString({ lineWidth: 0, indentSeq: true }), warnings };
}

/** Expands `${VAR}` outside templates with stand-ins, so the shape can be checked. */
function expandForCheck(value: unknown, path: (string | number)[]): unknown {
  if (typeof value === "string") {
    if (path[0] === "secrets" && path[2] === "template") return value;
    const result = expandEnv(value, { env: (name) => CHECK_ENV[name] ?? "x" });
    return result.ok ? result.value : value;
  }
  if (Array.isArray(value)) return value.map((v, i) => expandForCheck(v, [...path, i]));
  if (typeof value === "object" && value !== null) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = expandForCheck(v, [...path, k]);
    return out;
  }
  return value;
}
