/**
 * SecretStore / ClusterSecretStore documents (Vault provider) → what the seed config needs: the
 * address, mount, KV version, namespace and authentication. Credentials held in Kubernetes
 * Secrets come from the vault CLI's environment variables instead; a JWT held in one from the file
 * the Secret is mounted as.
 *
 * @module
 */

import type { KeyPath } from "../source_locator.ts";
import { STORE_DEFAULTS } from "../defaults.ts";
import { asMap, asText, type Raw, type Report } from "./_manifest.ts";

/** How a store authenticates, as seed fields. */
export interface StoreAuth {
  method: "token" | "approle" | "jwt" | "kubernetes";
  /** Seed fields of the credentials (without env references). */
  fields: Record<string, string>;
  /** Env references for printed configs. */
  envFields: Record<string, string>;
  path: KeyPath;
}

/** A SecretStore or ClusterSecretStore with the Vault provider. */
export interface Store {
  kind: string;
  name: string;
  path: KeyPath;
  address?: string;
  mount?: string;
  kvVersion: 1 | 2;
  namespace?: string;
  auth: StoreAuth;
  /** Set when the store's provider is not vault: ExternalSecrets using it are skipped. */
  unsupported?: string;
}

/** The store used without store documents: VAULT_ADDR and a token from VAULT_TOKEN. */
export function defaultStore(path: KeyPath, mountPath: string | undefined): Store {
  const auth: StoreAuth = {
    method: "token",
    fields: { authMethod: "token" },
    envFields: { token: "${VAULT_TOKEN}" },
    path: path,
  };
  const store: Store = { kind: "", name: "", path: path, kvVersion: 2, auth };
  if (mountPath !== undefined) store.mount = mountPath;
  return store;
}

/** Reads a store document; problems go to `report`. */
export function readStore(
  raw: Raw,
  at: KeyPath,
  kind: string,
  options: { mountPath: string | undefined; report: Report },
): Store {
  const { mountPath, report } = options;
  const name = asText(asMap(raw["metadata"])?.["name"]) ?? "";
  if (name === "") report.error([...at, "metadata", "name"], "Required: metadata.name");
  const spec = asMap(raw["spec"]);
  const provider = asMap(spec?.["provider"]);
  const vault = asMap(provider?.["vault"]);
  const vaultPath = [...at, "spec", "provider", "vault"];
  const auth = readAuth(asMap(vault?.["auth"]), [...vaultPath, "auth"], report);
  const store: Store = { kind, name, path: vaultPath, kvVersion: 2, auth };
  if (vault === undefined) {
    const others = Object.keys(provider ?? {});
    store.unsupported = `${kind} "${name}" uses the ${
      others[0] ?? "(no)"
    } provider; only vault is supported`;
    report.warn([...at, "spec", "provider"], store.unsupported);
    return store;
  }
  const server = asText(vault["server"]);
  if (server === undefined || server === "") {
    report.error([...vaultPath, "server"], "Required: server (the Vault address)");
  } else store.address = server;
  const mount = asText(vault["path"]);
  if (mount !== undefined && mount !== "") store.mount = mount;
  else if (mountPath !== undefined) store.mount = mountPath;
  const version = asText(vault["version"]);
  if (version !== undefined && version !== "v1" && version !== "v2") {
    report.error([...vaultPath, "version"], `Invalid version "${version}": expected "v1" or "v2"`);
  }
  if (version === "v1") store.kvVersion = 1;
  if (store.kvVersion === 2 && store.mount?.endsWith("/data")) {
    store.mount = store.mount.slice(0, -"/data".length);
  }
  const namespace = asText(vault["namespace"]);
  if (namespace !== undefined && namespace !== "") store.namespace = namespace;
  const handled = ["server", "path", "version", "namespace", "auth"];
  const hints: Record<string, string> = {
    caBundle: "set tlsCACert (or VAULT_CACERT) to a CA file",
    caProvider: "set tlsCACert (or VAULT_CACERT) to a CA file",
    tls: "set tlsClientCert and tlsClientKey",
  };
  for (const key of Object.keys(vault)) {
    if (handled.includes(key)) continue;
    report.warn([...vaultPath, key], `Not carried over${hints[key] ? `: ${hints[key]}` : ""}`);
  }
  return store;
}

function readAuth(auth: Raw | undefined, path: KeyPath, report: Report): StoreAuth {
  const token: StoreAuth = {
    method: "token",
    fields: { authMethod: "token" },
    envFields: { token: "${VAULT_TOKEN}" },
    path,
  };
  if (auth === undefined) return token;
  const methods = Object.keys(auth);
  if (methods.includes("tokenSecretRef")) {
    const ref = asMap(auth["tokenSecretRef"]);
    report.warn(
      [...path, "tokenSecretRef"],
      `The token is read from VAULT_TOKEN (or set tokenFile to a file holding it), not from Kubernetes Secret "${
        asText(ref?.["name"]) ?? ""
      }"`,
    );
    token.path = [...path, "tokenSecretRef"];
    return token;
  }
  const appRole = asMap(auth["appRole"]);
  if (appRole !== undefined) {
    const at = [...path, "appRole"];
    const fields: Record<string, string> = { authMethod: "approle" };
    const envFields: Record<string, string> = { secretId: "${VAULT_SECRET_ID}" };
    const mount = asText(appRole["path"]);
    if (mount !== undefined && mount !== "" && mount !== "approle") fields["authMount"] = mount;
    const roleId = asText(appRole["roleId"]);
    if (roleId !== undefined && roleId !== "") fields["roleId"] = roleId;
    else {
      envFields["roleId"] = "${VAULT_ROLE_ID}";
      if (appRole["roleRef"] !== undefined) {
        report.warn(
          [...at, "roleRef"],
          "The role-id is read from VAULT_ROLE_ID (or set roleIdFile), not from a Kubernetes Secret",
        );
      }
    }
    if (appRole["secretRef"] !== undefined) {
      report.warn(
        [...at, "secretRef"],
        "The secret-id is read from VAULT_SECRET_ID (or set secretIdFile), not from a Kubernetes Secret",
      );
    }
    return { method: "approle", fields, envFields, path: at };
  }
  const kubernetes = asMap(auth["kubernetes"]);
  if (kubernetes !== undefined) {
    return readKubernetesAuth(kubernetes, [...path, "kubernetes"], report);
  }
  const jwt = asMap(auth["jwt"]);
  if (jwt !== undefined) return readJwtAuth(jwt, [...path, "jwt"], report);
  const method = methods[0] ?? "";
  report.warn(
    [...path, method],
    `auth.${method} is not supported: use appRole, kubernetes, jwt or a token; the converted config uses token auth from VAULT_TOKEN`,
  );
  return token;
}

/**
 * Where the converted config expects a Kubernetes Secret holding a JWT to be mounted: the sidecar
 * cannot read Secrets through the API, but a pod can mount one as a volume
 * (`/var/run/secrets/<name>/<key>`).
 */
function mountedSecretFile(ref: Raw, defaultKey: string): string | undefined {
  const name = asText(ref["name"]);
  if (name === undefined || name === "") return undefined;
  const key = asText(ref["key"]);
  return `/var/run/secrets/${name}/${key === undefined || key === "" ? defaultKey : key}`;
}

/**
 * `secretRef` of a JWT/Kubernetes auth → `jwtFile` where the Secret is mounted (with a warning to
 * mount it there); the file, or `undefined` without a `secretRef`.
 */
function jwtFromSecretRef(
  raw: Raw,
  at: KeyPath,
  report: Report,
  fields: Record<string, string>,
): string | undefined {
  const secretRef = asMap(raw["secretRef"]);
  const secretFile = secretRef === undefined ? undefined : mountedSecretFile(secretRef, "token");
  if (secretFile === undefined) return undefined;
  fields["jwtFile"] = secretFile;
  report.warn(
    [...at, "secretRef"],
    `The JWT is read from jwtFile "${secretFile}": mount Kubernetes Secret "${
      asText(secretRef!["name"])
    }" there (the sidecar does not read Secrets through the Kubernetes API)`,
  );
  return secretFile;
}

/** `auth.kubernetes` (`mountPath`, `role`, `serviceAccountRef`, `secretRef`) → kubernetes. */
function readKubernetesAuth(raw: Raw, at: KeyPath, report: Report): StoreAuth {
  const fields: Record<string, string> = { authMethod: "kubernetes" };
  const role = asText(raw["role"]);
  if (role === undefined || role === "") report.error([...at, "role"], "Required: role");
  else fields["role"] = role;
  const mount = asText(raw["mountPath"])?.replace(/^\/+|\/+$/g, "");
  if (mount !== undefined && mount !== "" && mount !== "kubernetes") fields["authMount"] = mount;
  // The token the store names, not the pod's own: another identity would be the wrong role.
  const secretFile = jwtFromSecretRef(raw, at, report, fields);
  if (secretFile === undefined && raw["serviceAccountRef"] !== undefined) {
    const account = asText(asMap(raw["serviceAccountRef"])?.["name"]) ?? "";
    report.warn(
      [...at, "serviceAccountRef"],
      `The sidecar logs in with its own pod's service account token (${STORE_DEFAULTS.kubernetesJwtFile}), not with one requested for service account "${account}": run the pod as that service account, or set jwtFile`,
    );
  }
  return { method: "kubernetes", fields, envFields: {}, path: at };
}

/** `auth.jwt` (`path`, `role`, `secretRef`, `kubernetesServiceAccountToken`) → jwt. */
function readJwtAuth(raw: Raw, at: KeyPath, report: Report): StoreAuth {
  const fields: Record<string, string> = { authMethod: "jwt" };
  const role = asText(raw["role"]);
  // ESO leaves role optional (the mount's default_role); the sidecar always names one.
  if (role === undefined || role === "") {
    report.error([...at, "role"], "Required: role (the sidecar does not use a default role)");
  } else fields["role"] = role;
  const mount = asText(raw["path"])?.replace(/^\/+|\/+$/g, "");
  if (mount !== undefined && mount !== "" && mount !== "jwt") fields["authMount"] = mount;
  if (jwtFromSecretRef(raw, at, report, fields) !== undefined) {
    return { method: "jwt", fields, envFields: {}, path: at };
  }
  fields["jwtFile"] = STORE_DEFAULTS.kubernetesJwtFile;
  const request = asMap(raw["kubernetesServiceAccountToken"]);
  if (request !== undefined) {
    const account = asText(asMap(request["serviceAccountRef"])?.["name"]) ?? "";
    const audiences = asList(asMap(request["serviceAccountRef"])?.["audiences"]) ??
      asList(request["audiences"]) ?? ["vault"];
    report.warn(
      [...at, "kubernetesServiceAccountToken"],
      `The sidecar requests no token for service account "${account}": it reads jwtFile "${STORE_DEFAULTS.kubernetesJwtFile}" (its own pod's token); for the audience ${
        audiences.map((a) => `"${a}"`).join(", ")
      } mount a projected serviceAccountToken volume with it and set jwtFile to that file`,
    );
  } else {
    report.warn(
      at,
      `No secretRef or kubernetesServiceAccountToken: the JWT is read from jwtFile "${STORE_DEFAULTS.kubernetesJwtFile}" (the pod's service account token)`,
    );
  }
  return { method: "jwt", fields, envFields: {}, path: at };
}

function asList(value: unknown): string[] | undefined {
  if (!Array.isArray(value)) return undefined;
  const texts = value.map(asText).filter((v): v is string => v !== undefined && v !== "");
  return texts.length > 0 ? texts : undefined;
}
