/**
 * What to read (a {@linkcode SecretRef}) and what a read returns ({@linkcode SecretData}).
 *
 * @module
 */
import type { KvVersion } from "../config/mod.ts";

/** One KV secret to read. */
export interface SecretRef {
  /** KV mount, e.g. `secret` (no slashes needed). */
  mountPath: string;
  /** Path inside the mount, e.g. `app/db`. */
  key: string;
  /** Mount version; `"auto"` asks the server once per mount and namespace. */
  kvVersion: KvVersion;
  /** Pinned KV v2 version. */
  version?: number;
  /** `undefined` = the client's default namespace; `""` = the root namespace. */
  namespace?: string;
}

/** The data of one secret version. */
export interface SecretData {
  /** The secret's key/value pairs. */
  data: Record<string, unknown>;
  /** KV v2 version; absent for KV v1. */
  version?: number;
  /** KV v2 metadata (created_time, custom_metadata, …); absent for KV v1. */
  metadata?: Record<string, unknown>;
}
