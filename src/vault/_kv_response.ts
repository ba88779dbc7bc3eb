/**
 * Pure KV helpers: request paths, response parsing (v1, v2, deleted, destroyed, missing) and
 * mount-version detection. A deleted or destroyed version is always an error, never empty data.
 *
 * @module
 */
import { z } from "zod";
import type { SecretData, SecretRef } from "./secret_ref.ts";
import { VaultError } from "./vault_error.ts";
import { errorFromResponse } from "./_error_mapping.ts";
import { trimSlashes } from "../config/mod.ts";

function encodePath(value: string): string {
  return trimSlashes(value).split("/").filter((s) => s !== "").map(encodeURIComponent).join("/");
}

/** The human name of a secret for messages: `mount/key`. */
export function displayPath(ref: Pick<SecretRef, "mountPath" | "key">): string {
  return `${trimSlashes(ref.mountPath)}/${trimSlashes(ref.key)}`;
}

/** The API path (without `/v1/`) of a KV read for a resolved mount version. */
export function kvReadPath(
  ref: Pick<SecretRef, "mountPath" | "key" | "version">,
  kv: 1 | 2,
): string {
  const mount = encodePath(ref.mountPath);
  const key = encodePath(ref.key);
  if (kv === 1) return `${mount}/${key}`;
  const query = ref.version !== undefined ? `?version=${ref.version}` : "";
  return `${mount}/data/${key}${query}`;
}

/** The API path of the mount-info preflight the vault CLI uses for `kvVersion: "auto"`. */
export function mountInfoPath(ref: Pick<SecretRef, "mountPath" | "key">): string {
  return `sys/internal/ui/mounts/${encodePath(ref.mountPath)}/${encodePath(ref.key)}`;
}

const DataRecord = z.record(z.string(), z.unknown());

const Kv2Metadata = z.looseObject({
  version: z.number().int().nonnegative().optional(),
  created_time: z.string().optional(),
  deletion_time: z.string().optional(),
  destroyed: z.boolean().optional(),
});

const Kv2Body = z.looseObject({
  data: z.looseObject({
    data: DataRecord.nullable().optional(),
    metadata: Kv2Metadata.nullable().optional(),
  }).nullable(),
});

const Kv1Body = z.looseObject({ data: DataRecord });

const MountInfoBody = z.looseObject({
  data: z.looseObject({
    options: z.looseObject({ version: z.string().optional() }).nullable().optional(),
  }),
});

/** Input of {@linkcode parseKvRead}. */
export interface ParseKvReadOptions {
  kv: 1 | 2;
  status: number;
  body: unknown;
  /** `mount/key` for messages. */
  name: string;
  /** API path for the error's `path`. */
  path: string;
  retryAfter?: string | null | undefined;
  nowMs: number;
}

function invalid(name: string, path: string, detail: string, cause?: unknown): VaultError {
  return new VaultError(`Cannot read secret "${name}": invalid response: ${detail}`, {
    kind: "invalid_response",
    path,
    ...(cause !== undefined ? { cause } : {}),
  });
}

function gone(
  name: string,
  path: string,
  status: number,
  metadata: z.infer<typeof Kv2Metadata> | null | undefined,
): VaultError | undefined {
  const version = metadata?.version !== undefined ? ` (version ${metadata.version})` : "";
  if (metadata?.destroyed === true) {
    return new VaultError(`Cannot read secret "${name}": version destroyed${version}`, {
      kind: "destroyed",
      status,
      path,
    });
  }
  if (metadata?.deletion_time !== undefined && metadata.deletion_time !== "") {
    return new VaultError(`Cannot read secret "${name}": version deleted${version}`, {
      kind: "deleted",
      status,
      path,
    });
  }
  return undefined;
}

/**
 * Interprets the answer to a KV read.
 *
 * @throws {VaultError} `not_found`, `deleted`, `destroyed`, `invalid_response`, or the mapped
 * kind of any other non-200 status.
 */
export function parseKvRead(options: ParseKvReadOptions): SecretData {
  const { kv, status, body, name, path, retryAfter, nowMs } = options;
  const action = `read secret "${name}"`;
  if (status !== 200 && status !== 404) {
    throw errorFromResponse({ status, body, retryAfter, path, action, context: "read", nowMs });
  }
  if (kv === 1) {
    if (status === 404) throw errorFromResponse({ status, body, path, action, nowMs });
    const parsed = Kv1Body.safeParse(body);
    if (!parsed.success) throw invalid(name, path, "expected an object at data", parsed.error);
    return { data: parsed.data.data };
  }
  // KV v2: a soft-deleted or destroyed version answers 404 with a full body (data.data null,
  // metadata filled); a path that never existed answers 404 {"errors":[]}.
  const parsed = Kv2Body.safeParse(body);
  if (status === 404) {
    const metadata = parsed.success ? parsed.data.data?.metadata : undefined;
    const err = gone(name, path, status, metadata);
    throw err ?? errorFromResponse({ status, body, path, action, nowMs });
  }
  if (!parsed.success) {
    throw invalid(name, path, "expected data.data and data.metadata", parsed.error);
  }
  const inner = parsed.data.data;
  const metadata = inner?.metadata ?? undefined;
  if (inner === null || inner.data === null || inner.data === undefined) {
    // A 200 without data must never become an empty secret.
    throw gone(name, path, status, metadata) ?? invalid(name, path, "data.data is null");
  }
  const result: SecretData = { data: inner.data };
  if (metadata?.version !== undefined) result.version = metadata.version;
  if (metadata !== undefined) result.metadata = { ...metadata };
  return result;
}

/** Input of {@linkcode parseMountVersion}: a read's answer without the KV version. */
export type ParseMountVersionOptions = Omit<ParseKvReadOptions, "kv">;

/**
 * Reads the KV version from a `sys/internal/ui/mounts/…` answer. A 404 means "assume v1", as the
 * vault CLI does (old servers, or no such mount).
 *
 * @throws {VaultError} for other non-200 answers or a malformed body.
 */
export function parseMountVersion(options: ParseMountVersionOptions): 1 | 2 {
  const { status, body, name, path, retryAfter, nowMs } = options;
  if (status === 404) return 1;
  if (status !== 200) {
    throw errorFromResponse({
      status,
      body,
      retryAfter,
      path,
      action: `detect the KV version of "${name}"`,
      context: "read",
      nowMs,
    });
  }
  const parsed = MountInfoBody.safeParse(body);
  if (!parsed.success) throw invalid(name, path, "mount info without data", parsed.error);
  return parsed.data.data.options?.version === "2" ? 2 : 1;
}
