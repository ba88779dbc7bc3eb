/**
 * The YAML configs integration tests hand to the real sidecar, built from values instead of
 * template strings: the store reads `VAULT_ADDR`/`VAULT_TOKEN` from the environment, metrics are
 * off, and each secret names its key, interval, templates and files. Anything else a secret or the
 * settings need is passed as the config spells it. A test about the YAML itself (line numbers,
 * comments, a broken file) writes a literal instead.
 *
 * @example
 * ```ts
 * import { configYaml } from "./config_yaml.ts";
 * const yaml = configYaml([
 *   { name: "db", key: "app/db", template: { pw: "{{ .password }}" }, files: ["/out/pw"] },
 * ], { settings: { backoff: { initial: "200ms", max: "1s" } } });
 * ```
 *
 * @module
 */
import { stringify } from "yaml";

/** One entry of `secrets:`. */
export interface SecretYaml {
  name: string;
  /** Absent for a secret whose templates read everything with `secret`/`pkiCert`. */
  key?: string;
  /** @default "1s" */
  refreshInterval?: string;
  /** `template.data`: output name → Go template. */
  template: Record<string, string>;
  /** Output paths (`{ path }` each), or file entries as the config spells them. */
  files: Array<string | Record<string, unknown>>;
  /** Any other field of the secret (`jitter`, `onChange`, `onMissing`, `deleteOnRemove`, …). */
  [field: string]: unknown;
}

/** Options of {@linkcode configYaml} and {@linkcode configHead}. */
export interface ConfigYamlOptions {
  /** Merged over `{ address: "${VAULT_ADDR}", token: "${VAULT_TOKEN}" }`. */
  store?: Record<string, unknown>;
  /**
   * Merged over `{ metrics: { enabled: false } }`; `{ metrics: undefined }` leaves metrics to the
   * environment (`METRICS_PORT`, `ENABLE_METRICS`).
   */
  settings?: Record<string, unknown>;
}

/** The store and settings, up to and including the `secrets:` line, for literal secrets after. */
export function configHead(options: ConfigYamlOptions = {}): string {
  return stringify(head(options)) + "secrets:\n";
}

/** A whole config: {@linkcode configHead} and `secrets`. */
export function configYaml(secrets: SecretYaml[], options: ConfigYamlOptions = {}): string {
  if (secrets.length === 0) throw new RangeError("Cannot build a config: no secrets");
  return stringify({
    ...head(options),
    secrets: secrets.map(({ name, key, template, files, refreshInterval = "1s", ...rest }) => ({
      name,
      ...(key !== undefined ? { key } : {}),
      refreshInterval,
      ...rest,
      template: { data: template },
      files: files.map((file) => typeof file === "string" ? { path: file } : file),
    })),
  });
}

function head({ store = {}, settings = {} }: ConfigYamlOptions) {
  const merged = { metrics: { enabled: false }, ...settings };
  return {
    secretStore: { address: "${VAULT_ADDR}", token: "${VAULT_TOKEN}", ...store },
    ...(Object.values(merged).some((v) => v !== undefined) ? { settings: merged } : {}),
  };
}
