/**
 * `secretStore` → {@linkcode StorePlan} and the credential sets, with the vault CLI's
 * environment overrides (VAULT_ADDR, VAULT_NAMESPACE, VAULT_TOKEN, VAULT_CACERT, …).
 *
 * @module
 */

import type { AuthPlan, KvVersion, StorePlan, TlsFileField } from "./plan.ts";
import type { CredentialSetInput, SecretStoreInput } from "./seed_schema.ts";
import { configPath, envSource, envValue, type PlanContext, sourceAt } from "./_context.ts";
import type { KeyPath } from "./source_locator.ts";
import { STORE_DEFAULTS } from "./defaults.ts";
import { trimSlashes } from "./paths.ts";

/** The store plus what secrets inherit from it. */
export interface ResolvedStore {
  store: StorePlan;
  credentials: Record<string, AuthPlan>;
  kvVersion: KvVersion;
  mountPath: string;
}

/** Resolves the store section (which may be missing entirely when env supplies everything). */
export function resolveStore(
  ctx: PlanContext,
  input: SecretStoreInput | undefined,
  path: KeyPath,
): ResolvedStore | undefined {
  const store = input ?? {};
  const before = ctx.issues.size;

  const addresses = resolveAddresses(ctx, store.address, [...path, "address"]);
  const namespaceEnv = envValue(ctx, "VAULT_NAMESPACE");
  const namespace = namespaceEnv ?? (store.namespace === "" ? undefined : store.namespace);
  if (namespace !== undefined) checkNamespace(ctx, namespace, [...path, "namespace"]);

  const tlsPath = (
    field: keyof SecretStoreInput & `tls${string}`,
    envName: string,
    planField: TlsFileField,
  ): string | undefined => {
    const fromEnv = envValue(ctx, envName);
    const value = fromEnv ?? (store[field] as string | undefined);
    if (value === undefined) return undefined;
    if (ctx.sources !== undefined) {
      ctx.sources.tls[planField] = fromEnv !== undefined
        ? envSource(envName)
        : sourceAt(ctx, [...path, field]);
    }
    return configPath(ctx, value);
  };
  const skipEnv = envValue(ctx, "VAULT_SKIP_VERIFY");
  let skipVerify = store.tlsSkipVerify ?? false;
  if (skipEnv !== undefined) {
    const parsed = parseEnvBool(skipEnv);
    if (parsed === undefined) {
      ctx.issues.addEnv("VAULT_SKIP_VERIFY", `Expected true or false, got "${skipEnv}"`);
    } else skipVerify = parsed;
  }
  const tls: StorePlan["tls"] = { skipVerify };
  const caCert = tlsPath("tlsCACert", "VAULT_CACERT", "caCert");
  const caPath = tlsPath("tlsCAPath", "VAULT_CAPATH", "caPath");
  const clientCert = tlsPath("tlsClientCert", "VAULT_CLIENT_CERT", "clientCert");
  const clientKey = tlsPath("tlsClientKey", "VAULT_CLIENT_KEY", "clientKey");
  const serverName = envValue(ctx, "VAULT_TLS_SERVER_NAME") ?? store.tlsServerName;
  if (caCert !== undefined) tls.caCert = caCert;
  if (caPath !== undefined) tls.caPath = caPath;
  if (clientCert !== undefined) tls.clientCert = clientCert;
  if (clientKey !== undefined) tls.clientKey = clientKey;
  if (serverName !== undefined) tls.serverName = serverName;
  if ((clientCert === undefined) !== (clientKey === undefined)) {
    const missing = clientCert === undefined ? "tlsClientCert" : "tlsClientKey";
    const given = clientCert === undefined ? "tlsClientKey" : "tlsClientCert";
    ctx.issues.add(
      [...path, given],
      `${missing} is required when ${given} is set (mutual TLS needs both)`,
    );
  }

  const credentials: Record<string, AuthPlan> = {};
  const defaultAuth = resolveAuth(ctx, store, path, { isDefault: true });
  if (defaultAuth !== undefined) credentials["default"] = defaultAuth;
  for (const [name, set] of Object.entries(store.credentials ?? {})) {
    const setPath = [...path, "credentials", name];
    if (name === "default") {
      ctx.issues.add(
        setPath,
        'The credential set name "default" is reserved for the credentials in secretStore',
        "key",
      );
      continue;
    }
    const auth = resolveAuth(ctx, set, setPath, { isDefault: false });
    if (auth !== undefined) credentials[name] = auth;
  }

  if (ctx.issues.size > before || addresses === undefined) return undefined;
  const plan: StorePlan = {
    addresses,
    tls,
    requestTimeoutMs: store.requestTimeout ?? STORE_DEFAULTS.requestTimeoutMs,
    maxResponseBytes: store.maxResponseBytes ?? STORE_DEFAULTS.maxResponseBytes,
  };
  if (namespace !== undefined) plan.namespace = namespace;
  if (plan.requestTimeoutMs <= 0) {
    ctx.issues.add([...path, "requestTimeout"], "Must be more than 0s");
    return undefined;
  }
  return {
    store: plan,
    credentials,
    kvVersion: store.kvVersion ?? STORE_DEFAULTS.kvVersion,
    mountPath: trimSlashes(store.mountPath ?? STORE_DEFAULTS.mountPath),
  };
}

function resolveAddresses(
  ctx: PlanContext,
  input: string | string[] | undefined,
  path: KeyPath,
): string[] | undefined {
  const fromEnv = envValue(ctx, "VAULT_ADDR");
  let list: string[];
  if (fromEnv !== undefined) {
    list = fromEnv.split(",").map((a) => a.trim()).filter((a) => a !== "");
  } else if (input === undefined || input === "") {
    ctx.issues.add(path, "Required: the Vault/OpenBao address (or set VAULT_ADDR)");
    return undefined;
  } else {
    list = typeof input === "string" ? [input] : input;
  }
  const out: string[] = [];
  list.forEach((address, index) => {
    const at = typeof input === "string" || fromEnv !== undefined ? path : [...path, index];
    const problem = addressProblem(address);
    if (problem === undefined) out.push(address.replace(/\/+$/, ""));
    else if (fromEnv !== undefined) ctx.issues.addEnv("VAULT_ADDR", problem);
    else ctx.issues.add(at, problem);
  });
  return out.length === list.length ? out : undefined;
}

function addressProblem(input: string): string | undefined {
  // Never echo credentials someone put into the URL.
  const address = input.replace(/\/\/[^/]*@/, "//***@");
  let url: URL;
  try {
    url = new URL(input);
  } catch {
    return `Invalid address "${address}": expected a URL like "https://vault.example.com:8200"`;
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    return `Invalid address "${address}": the scheme must be http or https`;
  }
  if (url.hostname === "") return `Invalid address "${address}": no host`;
  if (url.username !== "" || url.password !== "") {
    return "Invalid address: credentials in the URL are not allowed";
  }
  if (url.search !== "" || url.hash !== "") {
    return `Invalid address "${address}": no query or fragment allowed`;
  }
  return undefined;
}

function checkNamespace(ctx: PlanContext, namespace: string, path: KeyPath): void {
  if (/[\s]/.test(namespace) || namespace.split("/").includes("..")) {
    ctx.issues.add(path, `Invalid namespace "${namespace}"`);
  }
}

/** Parses the boolean spellings Go's strconv.ParseBool accepts. */
export function parseEnvBool(value: string): boolean | undefined {
  if (["1", "t", "T", "true", "TRUE", "True"].includes(value)) return true;
  if (["0", "f", "F", "false", "FALSE", "False"].includes(value)) return false;
  return undefined;
}

type AuthInput = CredentialSetInput;
type AuthMethodName = AuthPlan["method"];

/** Which methods use each credential field (a field given for another method is an error). */
const FIELD_METHODS: Record<Exclude<keyof AuthInput, "authMethod">, readonly AuthMethodName[]> = {
  token: ["token"],
  tokenFile: ["token"],
  roleId: ["approle"],
  roleIdFile: ["approle"],
  secretId: ["approle"],
  secretIdFile: ["approle"],
  secretIdWrapped: ["approle"],
  authMount: ["approle", "jwt", "kubernetes"],
  role: ["jwt", "kubernetes"],
  jwtFile: ["jwt", "kubernetes"],
};

function resolveAuth(
  ctx: PlanContext,
  input: AuthInput,
  path: KeyPath,
  options: { isDefault: boolean },
): AuthPlan | undefined {
  const { isDefault } = options;
  const has = (value: unknown) => value !== undefined;
  const approleGiven = has(input.roleId) || has(input.roleIdFile) || has(input.secretId) ||
    has(input.secretIdFile) || has(input.secretIdWrapped) || has(input.authMount);
  const tokenGiven = has(input.token) || has(input.tokenFile);
  const jwtGiven = has(input.role) || has(input.jwtFile);
  let method = input.authMethod;
  if (method === undefined) {
    if (jwtGiven) {
      const field = has(input.role) ? "role" : "jwtFile";
      ctx.issues.add(
        [...path, field],
        `Set authMethod to "jwt" or "kubernetes": ${field} is only used with them`,
        "key",
      );
      return undefined;
    }
    if (approleGiven && !tokenGiven) method = "approle";
    else if (tokenGiven) method = "token";
    else if (isDefault && envValue(ctx, "VAULT_ROLE_ID") !== undefined) method = "approle";
    else method = "token";
  }
  const where = isDefault ? "" : ` (credential set "${String(path.at(-1))}")`;
  const before = ctx.issues.size;
  const file = (value: string | undefined) =>
    value === undefined ? undefined : configPath(ctx, value);
  for (const [field, methods] of Object.entries(FIELD_METHODS)) {
    if (!has(input[field as keyof AuthInput]) || methods.includes(method)) continue;
    ctx.issues.add(
      [...path, field],
      `${field} is only used with authMethod ${methods.map((m) => `"${m}"`).join(" or ")}`,
      "key",
    );
  }

  if (method === "token") {
    let token = input.token;
    const tokenFile = input.tokenFile;
    if (isDefault && tokenFile === undefined) token = envValue(ctx, "VAULT_TOKEN") ?? token;
    if (token === "") token = undefined;
    if (token !== undefined && tokenFile !== undefined) {
      ctx.issues.add([...path, "tokenFile"], "Give either token or tokenFile, not both", "key");
    } else if (token === undefined && tokenFile === undefined) {
      ctx.issues.add(
        path,
        `Token auth needs token or tokenFile${isDefault ? " (or VAULT_TOKEN)" : ""}${where}`,
        "key",
      );
    }
    if (ctx.issues.size > before) return undefined;
    const plan: AuthPlan = { method: "token" };
    if (token !== undefined) plan.token = token;
    const tokenPath = file(tokenFile);
    if (tokenPath !== undefined) plan.tokenFile = tokenPath;
    return plan;
  }

  if (method === "jwt" || method === "kubernetes") {
    const label = method === "jwt" ? "JWT" : "Kubernetes";
    if (input.role === undefined) ctx.issues.add(path, `${label} auth needs role${where}`, "key");
    let jwtFile = input.jwtFile;
    if (jwtFile === undefined && method === "kubernetes") {
      jwtFile = STORE_DEFAULTS.kubernetesJwtFile;
    } else if (jwtFile === undefined) {
      ctx.issues.add(path, `JWT auth needs jwtFile (the file holding the JWT)${where}`, "key");
    }
    const mount = trimSlashes(input.authMount ?? method);
    if (mount === "") ctx.issues.add([...path, "authMount"], "Must not be empty");
    if (ctx.issues.size > before || input.role === undefined || jwtFile === undefined) {
      return undefined;
    }
    if (ctx.sources !== undefined) {
      const set = isDefault ? "default" : String(path.at(-1));
      const at = input.jwtFile !== undefined ? [...path, "jwtFile"] : [...path, "authMethod"];
      (ctx.sources.jwtFiles ??= {})[set] = sourceAt(ctx, at);
    }
    return { method, role: input.role, jwtFile: configPath(ctx, jwtFile), mount };
  }

  let roleId = input.roleId === "" ? undefined : input.roleId;
  let secretId = input.secretId === "" ? undefined : input.secretId;
  if (isDefault && input.roleIdFile === undefined) {
    roleId = envValue(ctx, "VAULT_ROLE_ID") ?? roleId;
  }
  if (isDefault && input.secretIdFile === undefined) {
    secretId = envValue(ctx, "VAULT_SECRET_ID") ?? secretId;
  }
  const pair = (literal: string | undefined, fromFile: string | undefined, name: string) => {
    if (literal !== undefined && fromFile !== undefined) {
      ctx.issues.add(
        [...path, `${name}File`],
        `Give either ${name} or ${name}File, not both`,
        "key",
      );
    } else if (literal === undefined && fromFile === undefined) {
      const envName = name === "roleId" ? "VAULT_ROLE_ID" : "VAULT_SECRET_ID";
      ctx.issues.add(
        path,
        `AppRole auth needs ${name} or ${name}File${isDefault ? ` (or ${envName})` : ""}${where}`,
        "key",
      );
    }
  };
  pair(roleId, input.roleIdFile, "roleId");
  pair(secretId, input.secretIdFile, "secretId");
  const mount = trimSlashes(input.authMount ?? STORE_DEFAULTS.authMount);
  if (mount === "") ctx.issues.add([...path, "authMount"], "Must not be empty");
  if (ctx.issues.size > before) return undefined;
  const plan: AuthPlan = {
    method: "approle",
    secretIdWrapped: input.secretIdWrapped ?? false,
    mount,
  };
  if (roleId !== undefined) plan.roleId = roleId;
  const roleIdFile = file(input.roleIdFile);
  if (roleIdFile !== undefined) plan.roleIdFile = roleIdFile;
  if (secretId !== undefined) plan.secretId = secretId;
  const secretIdFile = file(input.secretIdFile);
  if (secretIdFile !== undefined) plan.secretIdFile = secretIdFile;
  return plan;
}
