/**
 * The resolved, normalised configuration ("Plan") that every other module consumes.
 *
 * The YAML the user writes (seed format or ExternalSecret manifests) is validated and turned into
 * this shape by `loadConfig()`; nothing downstream ever looks at raw YAML. All durations are in
 * milliseconds, all paths are absolute, every default is filled in.
 *
 * @module
 */

/** How a KV mount is versioned; `"auto"` asks the server (sys/internal/ui/mounts). */
export type KvVersion = 1 | 2 | "auto";

/** The TLS settings that name files (read and parsed by the start-up checks). */
export type TlsFileField = "caCert" | "caPath" | "clientCert" | "clientKey";

/** TLS settings for the connection to Vault/OpenBao (paths are absolute). */
export interface TlsPlan {
  caCert?: string;
  caPath?: string;
  clientCert?: string;
  clientKey?: string;
  serverName?: string;
  /** Skip certificate verification (logged as a warning at every start). */
  skipVerify: boolean;
}

/** Token authentication: a literal token or a file that holds one (re-read when it changes). */
export interface TokenAuthPlan {
  method: "token";
  token?: string;
  tokenFile?: string;
}

/** AppRole authentication. */
export interface AppRoleAuthPlan {
  method: "approle";
  roleId?: string;
  roleIdFile?: string;
  secretId?: string;
  secretIdFile?: string;
  /** The secret-id file holds a response-wrapping token to unwrap via sys/wrapping/unwrap. */
  secretIdWrapped: boolean;
  /** Auth mount path, default `approle`. */
  mount: string;
}

/**
 * JWT or Kubernetes authentication: the same login (`POST auth/<mount>/login` with `role` and
 * `jwt`); the JWT file is read at every login (projected service account tokens rotate).
 */
export interface JwtAuthPlan {
  method: "jwt" | "kubernetes";
  role: string;
  /** Absolute path of the file holding the JWT. */
  jwtFile: string;
  /** Auth mount path, default `jwt` or `kubernetes` (the method's name). */
  mount: string;
}

export type AuthPlan = TokenAuthPlan | AppRoleAuthPlan | JwtAuthPlan;

/** Connection to the secret store. */
export interface StorePlan {
  /** Base address(es), e.g. `http://127.0.0.1:8200`. The first is tried first. */
  addresses: string[];
  /** Global namespace; `undefined` means root. */
  namespace?: string;
  tls: TlsPlan;
  /** Deadline of every request, ms. @default 10000 */
  requestTimeoutMs: number;
  /** Largest accepted response body, bytes. @default 10 MiB */
  maxResponseBytes: number;
}

/** Retry/backoff and circuit-breaker settings. */
export interface ResiliencePlan {
  initialBackoffMs: number;
  maxBackoffMs: number;
  backoffMultiplier: number;
  /** Failures (transient only) before the breaker opens. */
  breakerMaxFailures: number;
  /** Window in which failures are counted, ms. */
  breakerIntervalMs: number;
  /** How long the breaker stays open before a half-open probe, ms. */
  breakerTimeoutMs: number;
}

/** An on-change hook. */
export type HookPlan =
  | { kind: "command"; argv: string[]; timeoutMs: number }
  | { kind: "signal"; pidFile: string; signal: Deno.Signal }
  | { kind: "http"; url: string; method: string; timeoutMs: number };

/** One output file of a secret. */
export interface FilePlan {
  /** Absolute path. */
  path: string;
  /** Name of the `template.data` entry this file receives. */
  template: string;
  /** File mode. @default 0o600 */
  mode: number;
  owner?: string;
  group?: string;
  /** `rename` (atomic, default) or `inplace` (for single-file bind mounts). */
  writeMode: "rename" | "inplace";
  /** Create missing parent directories (0700). @default false */
  createDirs: boolean;
}

/** One named template of a secret (`template.data` entry), in YAML order. */
export interface TemplatePlan {
  name: string;
  source: string;
  /** Where the template source starts in the config file, for error positions. */
  line?: number;
  column?: number;
}

/** One secret to keep in sync. */
export interface SecretPlan {
  name: string;
  /**
   * Path inside the mount, e.g. `app/db`. Absent when the templates read everything with
   * `secret`/`pkiCert`.
   */
  key?: string;
  mountPath: string;
  kvVersion: KvVersion;
  /** `undefined` inherits the store namespace; `""` is the root namespace. */
  namespace?: string;
  /** Name of the credential set; `"default"` is the one in `secretStore`. */
  credentials: string;
  /** Pinned KV v2 version. */
  version?: number;
  refreshIntervalMs: number;
  /** Jitter fraction applied to the interval (0.1 = ±10 %). */
  jitter: number;
  /** Readiness turns false when the last success is older than this, ms. */
  maxStalenessMs: number;
  templates: TemplatePlan[];
  files: FilePlan[];
  /** Go's missingkey option for this secret's templates. @default "error" */
  missingKey: "error" | "default" | "zero";
  /** What to do when the secret is gone (404, deleted, destroyed). @default "keep" */
  onMissing: "keep" | "delete";
  /** Remove this secret's files when it is removed from the config. @default false */
  deleteOnRemove: boolean;
  onChange: HookPlan[];
  /** Revoke the leases of this secret's templates on a clean stop of `run`. @default false */
  revokeOnStop: boolean;
}

/** Process-level settings. */
export interface SettingsPlan {
  logLevel: "debug" | "info" | "warning" | "error";
  logFormat: "json" | "pretty";
  metrics: { enabled: boolean; addr: string; port: number };
  statusFile: string;
  watch: boolean;
  /** Most secrets synced at once. @default 8 */
  concurrency: number;
  resilience: ResiliencePlan;
}

/** The whole resolved configuration. */
export interface Plan {
  /** Absolute path of the config file it came from. */
  file: string;
  store: StorePlan;
  /** Credential sets by name; always has `"default"`. */
  credentials: Record<string, AuthPlan>;
  secrets: SecretPlan[];
  settings: SettingsPlan;
  /** Environment variables the config referenced (for permissions). */
  envUsed: string[];
  /**
   * Where the values that are checked against this machine after planning were set (TLS files,
   * output paths, owners), so those checks report them like any config error. Absent in plans
   * built in code.
   */
  sources?: PlanSources;
}

/**
 * Where a value was set: a config key with its position, or an environment variable
 * (`key: "env.VAULT_CACERT"`, line and column 0).
 */
export interface ValueSource {
  /** `secretStore.tlsCACert`, `secrets[0].files[1].owner` or `env.VAULT_CACERT`. */
  key: string;
  /** 1-based; 0 when the value has no place in the file. */
  line: number;
  column: number;
}

/** Where the start-up checks' values came from (see {@linkcode Plan.sources}). */
export interface PlanSources {
  /** TLS file settings, by field. */
  tls: Partial<Record<TlsFileField, ValueSource>>;
  /** Output files by absolute path: where the entry's path, owner and group were written. */
  files: Record<string, Partial<Record<"path" | "owner" | "group", ValueSource>>>;
  /** The `jwtFile` of each credential set using JWT or Kubernetes auth, by set name. */
  jwtFiles?: Record<string, ValueSource>;
}
