/**
 * The sync engine and the sidecar's core: the `Sidecar` (start, reload, stop; heartbeat, readiness,
 * status file), the `Runtime` of one plan (Vault clients, sink, syncer, results → logs and
 * metrics), the per-secret scheduler, the syncer (read → render → write → hooks) and the readiness
 * it implies. It knows nothing of YAML: it is handed a resolved `Plan`.
 *
 * @example
 * ```ts
 * import { Scheduler, Syncer } from "./mod.ts";
 * const syncer = new Syncer({ reader: () => client, sink, runHooks });
 * const scheduler = new Scheduler((s, signal) => syncer.sync(s, signal), { backoff });
 * scheduler.start(plan.secrets, controller.signal);
 * ```
 *
 * @module
 */
export {
  type RunSecret,
  Scheduler,
  type SchedulerOptions,
  type UpdateSummary,
} from "./scheduler.ts";
export {
  type FileWriter,
  type HookRunner,
  type SecretReader,
  Syncer,
  type SyncerOptions,
  type SyncResult,
  type SyncStage,
  vaultCallsOf,
} from "./syncer.ts";
export { SharedReads } from "./shared_reads.ts";
export {
  computeReadiness,
  type Readiness,
  type SecretHealth,
  type SecretState,
} from "./secret_state.ts";
export {
  createDynamicSecrets,
  type CreateDynamicSecretsOptions,
  credentialsInUse,
  loginWaitMs,
  registerPlanSecrets,
  Runtime,
  type RuntimeOptions,
} from "./runtime.ts";
export {
  HEARTBEAT_MS,
  type ReloadOutcome,
  RESTART_SETTINGS,
  SHUTDOWN_GRACE_MS,
  Sidecar,
  type SidecarOptions,
  type SidecarRuntime,
  withRestartSettings,
} from "./sidecar.ts";
export { toConsulTemplateSecret, toPkiCert, toTemplateData } from "./template_data.ts";
export {
  DynamicSecrets,
  type DynamicSecretsOptions,
  type IssueReason,
  type LeaseClient,
  type LeaseEvent,
  type LeaseSummary,
  type VaultCall,
  vaultCallKey,
} from "./dynamic_secrets.ts";
