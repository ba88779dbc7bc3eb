/**
 * The file sink: writes rendered secrets to disk and runs on-change hooks.
 *
 * - {@linkcode FileSink} writes atomically (temp file in the same directory, fsync, rename,
 *   directory fsync) or in place for single-file bind mounts, applies mode and owner, skips
 *   identical content, refuses symlinks and non-regular targets, and cleans up its temp files.
 * - {@linkcode runHooks} runs a secret's on-change hooks (command, signal, http), each bounded in
 *   time, failures returned as values.
 *
 * The sink knows nothing about Vault or templates: it takes bytes and a {@linkcode FilePlan}.
 *
 * @example
 * ```ts
 * import { FileSink, runHooks } from "./mod.ts";
 *
 * const sink = new FileSink();
 * await sink.cleanupTemps(["/secrets"]);
 * const result = await sink.write(
 *   { path: "/secrets/app.env", template: "app.env", mode: 0o600, writeMode: "rename", createDirs: false },
 *   new TextEncoder().encode("DB_PASSWORD=…\n"),
 * );
 * if (result === "written") {
 *   await runHooks([{ kind: "signal", pidFile: "/run/app.pid", signal: "SIGHUP" }], { secret: "app" });
 * }
 * ```
 *
 * @module
 */

export {
  DEFAULT_MAX_BYTES,
  type FileContent,
  FileSink,
  type FileSinkOptions,
  type RemoveResult,
  type WriteOptions,
  type WriteResult,
} from "./file_sink.ts";
export { DENO_FS, type FsAdapter, type FsFileHandle } from "./fs_adapter.ts";
export type { OutputProblem } from "./output_check.ts";
export {
  describeHook,
  type HookResult,
  MAX_HOOK_OUTPUT_BYTES,
  runHooks,
  type RunHooksOptions,
  spawnCommand,
  type SpawnFn,
  type SpawnOptions,
  type SpawnResult,
} from "./hooks.ts";
export { SinkError, type SinkErrorOptions, type SinkStep } from "./sink_error.ts";
