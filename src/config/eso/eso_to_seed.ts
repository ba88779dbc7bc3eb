/**
 * External Secrets Operator manifests (ExternalSecret, SecretStore, ClusterSecretStore) → a
 * seed-format document. Both `convert` (which prints it as YAML) and loading ESO manifests as a
 * config (which plans it) go through here, so defaults and errors are the same.
 *
 * Mapping: each ExternalSecret target is one secret whose files are `<outputDir>/<target>/<key>`,
 * one per Secret key, as a Kubernetes Secret volume shows them. The first Vault path the target
 * reads is the secret's `key`; other paths are read with the `secret` template function, which the
 * syncer prefetches, so the whole target refreshes together as in ESO.
 *
 * @module
 */

import type { KeyPath } from "../source_locator.ts";
import { type EnvLookup, expandEnv } from "../env_expand.ts";
import type { IssueList } from "../_issues.ts";
import { docSegment, type ManifestDocument } from "./_documents.ts";
import { asMap, asText, isSecretKey, type Raw, type Report } from "./_manifest.ts";
import { defaultStore, readStore, type Store } from "./_stores.ts";
import { readEntries } from "./_entries.ts";
import { targetFiles } from "./_target_files.ts";

/** Options of {@linkcode esoToSeed}. */
export interface EsoToSeedOptions {
  /** Mount used when a store has no `path` (and for keys when there is no store document). */
  mountPath?: string;
  /** Directory under which each target gets its directory. @default "/secrets" */
  outputDir?: string;
  /** Problems that make the input unusable; paths start with the `docN` segment. */
  issues: IssueList;
  /**
   * Write `${VAULT_ADDR}`/`${VAULT_TOKEN}`-style references where credentials come from the
   * environment (for printed configs); without it they are left out and the loader's environment
   * overrides supply them. @default false
   */
  envReferences?: boolean;
  /**
   * Environment for the credentials of extra credential sets when `envReferences` is off (the
   * loader's overrides only fill the default set). @default none
   */
  env?: EnvLookup;
}

/** A field that is not carried over, or carried over approximately. */
export interface EsoWarning {
  /** Key path starting with the document segment, e.g. `["doc2", "spec", "target", "immutable"]`. */
  path: KeyPath;
  message: string;
}

/** What {@linkcode esoToSeed} returns. */
export interface EsoSeed {
  /** The seed-format document (`secretStore` + `secrets`). */
  seed: { secretStore: Record<string, unknown>; secrets: Record<string, unknown>[] };
  warnings: EsoWarning[];
  /** Where a seed path came from in the manifests (longest recorded prefix wins). */
  origin(seedPath: KeyPath): KeyPath;
  /** Comments for the printed config, by seed path (JSON). */
  comments: Map<string, string>;
}

/** The default output directory of converted targets. */
export const DEFAULT_OUTPUT_DIR = "/secrets";

/**
 * Annotation of an ExternalSecret naming the directory its target's directory goes in (overrides
 * `outputDir`); relative paths resolve against the working directory.
 */
export const OUTPUT_DIR_ANNOTATION = "secrets-sync.io/output-dir";

/** The refresh interval ESO uses when `refreshInterval` is not set. */
export const ESO_DEFAULT_REFRESH = "1h";

const API_GROUP = "external-secrets.io/";
const SUPPORTED_VERSIONS = ["external-secrets.io/v1", "external-secrets.io/v1beta1"];
const STORE_KINDS = ["SecretStore", "ClusterSecretStore"];
class Converter implements Report {
  readonly warnings: EsoWarning[] = [];
  readonly comments = new Map<string, string>();
  readonly #origins = new Map<string, KeyPath>();
  readonly #issues: IssueList;
  readonly #mountPath: string | undefined;
  readonly #outputDir: string;
  readonly #envRefs: boolean;
  readonly #env: EnvLookup;
  readonly #stores = new Map<string, Store>();
  #firstDoc: KeyPath = [docSegment(1)];

  constructor(options: EsoToSeedOptions) {
    this.#issues = options.issues;
    this.#mountPath = options.mountPath;
    this.#outputDir = (options.outputDir ?? DEFAULT_OUTPUT_DIR).replace(/(.)\/+$/, "$1");
    this.#envRefs = options.envReferences ?? false;
    this.#env = options.env ?? (() => undefined);
  }

  warn(path: KeyPath, message: string): void {
    this.warnings.push({ path, message });
  }

  error(path: KeyPath, message: string, target: "value" | "key" = "value"): void {
    this.#issues.add(path, message, target);
  }

  from(seedPath: KeyPath, esoPath: KeyPath): void {
    this.#origins.set(JSON.stringify(seedPath), esoPath);
  }

  origin(seedPath: KeyPath): KeyPath {
    for (let n = seedPath.length; n >= 0; n--) {
      const found = this.#origins.get(JSON.stringify(seedPath.slice(0, n)));
      if (found !== undefined) return found;
    }
    return this.#firstDoc;
  }

  convert(documents: readonly ManifestDocument[]): EsoSeed["seed"] {
    const issuesBefore = this.#issues.size;
    const externalSecrets: Array<{ raw: Raw; at: KeyPath }> = [];
    let first = true;
    for (const doc of documents) {
      if (doc.data === undefined) continue;
      const at: KeyPath = [docSegment(doc.number)];
      if (first) this.#firstDoc = at;
      first = false;
      const raw = asMap(doc.data);
      if (raw === undefined) {
        this.error(at, "Expected a Kubernetes manifest (a map with apiVersion and kind)");
        continue;
      }
      const kind = asText(raw["kind"]);
      const apiVersion = asText(raw["apiVersion"]);
      if (kind === undefined || apiVersion === undefined) {
        this.error(
          kind === undefined ? at : [...at, "apiVersion"],
          kind === undefined
            ? "Required: kind (every document of a manifest file needs apiVersion and kind)"
            : "Required: apiVersion",
        );
        continue;
      }
      if (!apiVersion.startsWith(API_GROUP)) {
        this.warn(
          [...at, "kind"],
          `Skipped ${kind} (${apiVersion}): not an External Secrets resource`,
        );
        continue;
      }
      if (!SUPPORTED_VERSIONS.includes(apiVersion)) {
        this.error(
          [...at, "apiVersion"],
          `Unsupported apiVersion "${apiVersion}": expected ${
            SUPPORTED_VERSIONS.map((v) => `"${v}"`).join(" or ")
          }`,
        );
        continue;
      }
      if (kind === "ExternalSecret") externalSecrets.push({ raw, at });
      else if (STORE_KINDS.includes(kind)) {
        this.#addStore(readStore(raw, at, kind, { mountPath: this.#mountPath, report: this }));
      } else {this.warn(
          [...at, "kind"],
          `Skipped ${kind}: only ExternalSecret, SecretStore and ClusterSecretStore are converted`,
        );}
    }

    const secrets: Record<string, unknown>[] = [];
    const chosen = externalSecrets.map(({ raw, at }) => ({
      raw,
      at,
      store: this.#storeFor(raw, at),
    }));
    const primary = chosen.find((c) => c.store !== undefined && c.store.unsupported === undefined)
      ?.store ?? defaultStore(this.#firstDoc, this.#mountPath);
    const secretStore = this.#secretStore(primary);
    const credentials = new Map<string, string>();
    const names = new Set<string>();
    for (const { raw, at, store: found } of chosen) {
      const store = found ?? primary;
      if (store.unsupported !== undefined) {
        this.warn(at, `Skipped: ${store.unsupported}`);
        continue;
      }
      const credentialSet = this.#credentialSet(store, primary, secretStore, credentials);
      const secret = this.#secret(raw, at, store, primary, secrets.length, names);
      if (secret === undefined) continue;
      secrets.push(
        credentialSet === undefined ? secret : withCredentials(secret, credentialSet),
      );
    }
    if (this.#issues.size > issuesBefore) {
      // The errors say why; "nothing to convert" would only repeat them.
    } else if (secrets.length === 0 && externalSecrets.length === 0) {
      this.error(this.#firstDoc, "No ExternalSecret to convert");
    } else if (secrets.length === 0) {
      this.error(externalSecrets[0]!.at, "No ExternalSecret could be converted (see the warnings)");
    }
    return { secretStore, secrets };
  }

  #addStore(store: Store): void {
    this.#stores.set(`${store.kind}/${store.name}`, store);
    if (!this.#stores.has(`*/${store.name}`)) this.#stores.set(`*/${store.name}`, store);
  }

  #storeFor(raw: Raw, at: KeyPath): Store | undefined {
    const spec = asMap(raw["spec"]);
    const ref = asMap(spec?.["secretStoreRef"]);
    const name = asText(ref?.["name"]);
    const kind = asText(ref?.["kind"]) ?? "SecretStore";
    if (name === undefined) {
      if (this.#stores.size > 0) {
        this.warn([...at, "spec"], "No secretStoreRef.name: using the first store");
      }
      return undefined;
    }
    const store = this.#stores.get(`${kind}/${name}`) ?? this.#stores.get(`*/${name}`);
    if (store === undefined && this.#stores.size > 0) {
      this.warn(
        [...at, "spec", "secretStoreRef", "name"],
        `No ${kind} "${name}" in the input: using the first store's settings`,
      );
    }
    return store;
  }

  #secretStore(primary: Store): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    if (primary.address !== undefined) {
      out["address"] = primary.address;
      this.from(["secretStore", "address"], [...primary.path, "server"]);
    } else if (this.#envRefs) out["address"] = "${VAULT_ADDR}";
    if (primary.namespace !== undefined) {
      out["namespace"] = primary.namespace;
      this.from(["secretStore", "namespace"], [...primary.path, "namespace"]);
    }
    Object.assign(out, primary.auth.fields);
    if (this.#envRefs) Object.assign(out, primary.auth.envFields);
    out["kvVersion"] = `v${primary.kvVersion}`;
    this.from(["secretStore"], primary.auth.path);
    this.from(["secretStore", "kvVersion"], [...primary.path, "version"]);
    return out;
  }

  /** The credential set a secret of `store` uses, or undefined for the default one. */
  #credentialSet(
    store: Store,
    primary: Store,
    secretStore: Record<string, unknown>,
    known: Map<string, string>,
  ): string | undefined {
    if (store === primary) return undefined;
    if (store.address !== undefined && store.address !== primary.address) {
      this.warn(
        [...store.path, "server"],
        `Only one Vault address per config: secrets of ${store.kind} "${store.name}" are read from ${
          primary.address ?? "VAULT_ADDR"
        }`,
      );
    }
    const same = JSON.stringify(store.auth.fields) === JSON.stringify(primary.auth.fields);
    if (same) return undefined;
    const name = known.get(store.name) ?? store.name;
    if (!known.has(store.name)) {
      known.set(store.name, name);
      const set: Record<string, string> = { ...store.auth.fields };
      for (const [field, reference] of Object.entries(store.auth.envFields)) {
        if (this.#envRefs) set[field] = reference;
        else {
          const value = expandEnv(reference, { env: this.#env });
          if (value.ok) set[field] = value.value;
        }
      }
      const credentials = (secretStore["credentials"] ?? {}) as Record<string, unknown>;
      credentials[name] = set;
      secretStore["credentials"] = credentials;
      this.from(["secretStore", "credentials", name], store.auth.path);
      if (store.auth.method === "token" || "secretId" in store.auth.envFields) {
        this.warn(
          store.auth.path,
          `Credential set "${name}" needs its own credentials: the converted config reads them from environment variables shared with the default set; set ${
            store.auth.method === "token" ? "tokenFile" : "roleIdFile/secretIdFile"
          } for it`,
        );
      }
    }
    return name;
  }

  #secret(
    raw: Raw,
    at: KeyPath,
    store: Store,
    primary: Store,
    index: number,
    names: Set<string>,
  ): Record<string, unknown> | undefined {
    const seedPath: KeyPath = ["secrets", index];
    const metadata = asMap(raw["metadata"]);
    const spec = asMap(raw["spec"]);
    const specPath = [...at, "spec"];
    if (spec === undefined) {
      this.error(specPath, "Required: spec");
      return undefined;
    }
    this.from(seedPath, specPath);
    const target = asMap(spec["target"]) ?? {};
    const targetPath = [...specPath, "target"];
    const targetName = asText(target["name"]) ?? asText(metadata?.["name"]);
    const namePath = target["name"] !== undefined
      ? [...targetPath, "name"]
      : [...at, "metadata", "name"];
    if (targetName === undefined || targetName === "") {
      this.error(namePath, "Required: metadata.name (or spec.target.name)");
      return undefined;
    }
    if (!isSecretKey(targetName)) {
      this.error(
        namePath,
        `Invalid name "${targetName}": expected a Kubernetes name (letters, digits, "-", "." and "_")`,
      );
      return undefined;
    }
    let name = targetName;
    const namespace = asText(metadata?.["namespace"]);
    if (names.has(name) && namespace !== undefined) name = `${namespace}-${targetName}`;
    names.add(name);
    const annotations = asMap(metadata?.["annotations"]);
    const annotated = asText(annotations?.[OUTPUT_DIR_ANNOTATION])?.replace(/(.)\/+$/, "$1");
    if (annotated !== undefined) {
      this.from([...seedPath, "files"], [...at, "metadata", "annotations", OUTPUT_DIR_ANNOTATION]);
    }
    const dir = `${annotated ?? this.#outputDir}/${targetName}`;

    for (const key of Object.keys(spec)) {
      if (
        !["secretStoreRef", "target", "refreshInterval", "refreshPolicy", "data", "dataFrom"]
          .includes(key)
      ) {
        this.warn([...specPath, key], "Not carried over");
      }
    }
    const secret: Record<string, unknown> = { name };
    this.from([...seedPath, "name"], namePath);
    this.comments.set(
      JSON.stringify(seedPath),
      `ExternalSecret ${namespace !== undefined ? `${namespace}/` : ""}${
        asText(metadata?.["name"]) ?? targetName
      } (document ${String(at[0]).slice(3)}) → ${dir}/`,
    );

    const entries = readEntries(spec, specPath, store, this);
    if (entries === undefined) return undefined;
    const main = entries[0];
    if (main === undefined) {
      this.warn(specPath, "Skipped: no data or dataFrom.extract entry to read");
      return undefined;
    }
    secret["key"] = main.location.key;
    secret["mountPath"] = main.location.mount;
    this.from([...seedPath, "key"], [...main.path, "key"]);
    this.from([...seedPath, "mountPath"], [...main.path, "key"]);
    if (main.location.kvVersion !== primary.kvVersion) {
      secret["kvVersion"] = `v${main.location.kvVersion}`;
    }
    if (main.version !== undefined) {
      secret["version"] = main.version;
      this.from([...seedPath, "version"], [...main.path, "version"]);
    }
    if (store.namespace !== primary.namespace) secret["namespace"] = store.namespace ?? "";

    const refresh = this.#refresh(spec, specPath);
    secret["refreshInterval"] = refresh;
    this.from(
      [...seedPath, "refreshInterval"],
      spec["refreshInterval"] !== undefined ? [...specPath, "refreshInterval"] : specPath,
    );
    this.#targetOptions(target, targetPath, secret, seedPath);

    const files = targetFiles(target, targetPath, entries, main, this);
    if (files === undefined || files.length === 0) {
      if (files !== undefined) this.warn(specPath, "Skipped: the target has no keys");
      return undefined;
    }
    const data: Record<string, string> = {};
    const fileList: Record<string, unknown>[] = [];
    for (const file of files) {
      data[file.key] = file.template;
      const filePath = `${dir}/${file.key}`;
      const seedFile: Record<string, unknown> = {
        path: filePath,
        template: file.key,
        createDirs: true,
      };
      this.from([...seedPath, "template", "data", file.key], file.origin);
      this.from([...seedPath, "files", fileList.length], file.origin);
      fileList.push(seedFile);
    }
    secret["template"] = { data };
    secret["files"] = fileList;
    return secret;
  }

  #refresh(spec: Raw, specPath: KeyPath): string {
    const policy = asText(spec["refreshPolicy"]);
    if (policy !== undefined && policy !== "Periodic") {
      this.warn(
        [...specPath, "refreshPolicy"],
        policy === "CreatedOnce"
          ? 'refreshPolicy CreatedOnce: use the "once" command for a one-time sync; the converted secret refreshes periodically'
          : `refreshPolicy ${policy} is not supported: the converted secret refreshes periodically`,
      );
    }
    const interval = spec["refreshInterval"];
    if (interval === undefined) return ESO_DEFAULT_REFRESH;
    const text = String(interval).trim();
    if (/^0+(\.0+)?(ns|us|µs|ms|s|m|h)?$/.test(text) || /^(0+[a-zµ]+)+$/.test(text)) {
      this.warn(
        [...specPath, "refreshInterval"],
        `refreshInterval ${text} (never refresh) is not supported: use the "once" command; the converted secret refreshes every ${ESO_DEFAULT_REFRESH}`,
      );
      return ESO_DEFAULT_REFRESH;
    }
    return text;
  }

  #targetOptions(
    target: Raw,
    targetPath: KeyPath,
    secret: Record<string, unknown>,
    seedPath: KeyPath,
  ): void {
    for (const [key, value] of Object.entries(target)) {
      const at = [...targetPath, key];
      if (key === "name" || key === "template") continue;
      if (key === "creationPolicy" && value === "Owner") continue;
      if (key === "deletionPolicy") {
        if (value === "Retain") continue;
        if (value === "Delete") {
          secret["onMissing"] = "delete";
          this.from([...seedPath, "onMissing"], at);
          continue;
        }
      }
      if (key === "immutable" && (value === false || value === "false")) continue;
      this.warn(
        at,
        `${key}${
          typeof value === "object" ? "" : ` ${String(value)}`
        } has no equivalent for files: not carried over`,
      );
    }
  }
}

/** Puts `credentials` right after `mountPath`, where a reader looks for it. */
function withCredentials(secret: Raw, name: string): Raw {
  const out: Raw = {};
  for (const [key, value] of Object.entries(secret)) {
    out[key] = value;
    if (key === "mountPath") out["credentials"] = name;
  }
  return out;
}

/**
 * Converts manifest documents to a seed-format document; problems go to `options.issues`.
 *
 * @example
 * ```ts ignore
 * const issues = new IssueList();
 * const docs = readDocuments(text, { issues });
 * const { seed, warnings } = esoToSeed(docs, { issues, outputDir: "/secrets" });
 * ```
 */
export function esoToSeed(
  documents: readonly ManifestDocument[],
  options: EsoToSeedOptions,
): EsoSeed {
  const converter = new Converter(options);
  const seed = converter.convert(documents);
  return {
    seed,
    warnings: converter.warnings,
    origin: (path) => converter.origin(path),
    comments: converter.comments,
  };
}
