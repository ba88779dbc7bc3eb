/**
 * Events the client emits for metrics: request durations, login and renewal results, breaker
 * state changes and the token's remaining TTL. Events never carry a token or secret value.
 *
 * @module
 */
import type { CircuitState } from "../resilience/mod.ts";
import type { VaultErrorKind } from "./vault_error.ts";

/** The circuit breaker's state. */

/** What a request was for. */
export type VaultOperation =
  | "read"
  | "read_path"
  | "mount_info"
  | "login"
  | "unwrap"
  | "lookup_self"
  | "renew_self"
  | "write_path"
  | "renew_lease"
  | "revoke_lease";

/** One event of a {@linkcode VaultClient}; `credentials` names its credential set. */
export type VaultEvent =
  | {
    type: "request";
    credentials: string;
    operation: VaultOperation;
    /** `"success"` or the error kind. */
    outcome: "success" | VaultErrorKind;
    status?: number;
    durationMs: number;
  }
  | {
    type: "login";
    credentials: string;
    method: "token" | "approle" | "jwt" | "kubernetes";
    outcome: "success" | VaultErrorKind;
  }
  | {
    type: "renew";
    credentials: string;
    /** `"capped"`: renewed, but the server granted less than asked (max TTL near). */
    outcome: "success" | "capped" | VaultErrorKind;
    grantedSeconds?: number;
  }
  | {
    type: "token_ttl";
    credentials: string;
    /** Remaining seconds; `undefined` when the token never expires or there is none. */
    seconds: number | undefined;
  }
  | { type: "breaker"; credentials: string; state: CircuitState };
