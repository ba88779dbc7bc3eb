/**
 * External Secrets Operator manifests as configuration: `ExternalSecret` documents (with their
 * `SecretStore`/`ClusterSecretStore`) become the seed-format config — printed by `convert`, or
 * planned directly when a config file holds manifests. Both paths share {@linkcode esoToSeed}.
 *
 * @example
 * ```ts
 * import { convertManifests } from "./mod.ts";
 *
 * const { yaml, warnings } = convertManifests(
 *   [
 *     "apiVersion: external-secrets.io/v1",
 *     "kind: ExternalSecret",
 *     "metadata: { name: db }",
 *     "spec:",
 *     "  data:",
 *     "    - secretKey: password",
 *     "      remoteRef: { key: secret/app/db, property: password }",
 *   ].join("\n"),
 *   { file: "db.yaml" },
 * );
 * console.log(yaml, warnings.length);
 * ```
 *
 * @module
 */

export {
  convertManifests,
  type ConvertManifestsOptions,
  type ConvertManifestsResult,
} from "./convert_manifests.ts";
export {
  isManifestText,
  planFromManifests,
  type PlanFromManifestsOptions,
} from "./plan_from_manifests.ts";
export {
  DEFAULT_OUTPUT_DIR,
  ESO_DEFAULT_REFRESH,
  type EsoSeed,
  esoToSeed,
  type EsoToSeedOptions,
  type EsoWarning,
  OUTPUT_DIR_ANNOTATION,
} from "./eso_to_seed.ts";
