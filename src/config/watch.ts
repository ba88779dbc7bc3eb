/**
 * Watching the config file for changes: the file's directory is watched (not the file), so
 * editors' write-then-rename saves and the Kubernetes/Docker ConfigMap `..data` symlink swap are
 * seen; a change counts only when the file's resolved path or content really differs.
 *
 * @module
 */
import { getLogger } from "@logtape/logtape";
import { type Clock, SYSTEM_CLOCK } from "../resilience/mod.ts";
import { dirname } from "./paths.ts";
import { configFingerprint, isRelevantEvent } from "./_watch_events.ts";

const log = getLogger(["secrets-sync", "config"]);

/** A directory watcher, as `Deno.watchFs` returns. */
export type DirWatcher = AsyncIterable<Deno.FsEvent> & { close(): void };

/** Options of {@linkcode watchConfig}. */
export interface WatchConfigOptions {
  /** Called once per real change, after the events have settled. Errors it throws are logged. */
  onChange: () => void;
  /** Stops watching when aborted. */
  signal: AbortSignal;
  /** Quiet time after the last event before checking, ms. @default 200 */
  debounceMs?: number;
  /** Longest wait after the first event of a burst, ms. @default 2000 */
  maxWaitMs?: number;
  /** @default SYSTEM_CLOCK */
  clock?: Clock;
  /** Watches a directory. @default `(dir) => Deno.watchFs(dir, { recursive: false })` */
  watchFs?: (dir: string) => DirWatcher;
  /**
   * What identifies the file's current version (resolved path and content hash), `undefined`
   * while it does not exist. @default realpath + SHA-256 of the content
   */
  fingerprint?: (path: string) => Promise<{ realPath: string; id: string } | undefined>;
}

/** A running watch. */
export interface ConfigWatcher {
  /** Stops watching (idempotent). */
  close(): void;
}

/**
 * Calls `onChange` when the config file at `path` (absolute) changes. Never throws: watch errors
 * are logged and the watch is set up again after `maxWaitMs`.
 *
 * Permissions: `--allow-read` for the file's directory (and its symlink target's directory).
 *
 * @example
 * ```ts
 * const controller = new AbortController();
 * watchConfig("/etc/secrets-sync/config.yaml", {
 *   onChange: () => void sidecar.reload(),
 *   signal: controller.signal,
 * });
 * ```
 */
export function watchConfig(path: string, options: WatchConfigOptions): ConfigWatcher {
  const {
    onChange,
    signal,
    debounceMs = 200,
    maxWaitMs = 2000,
    clock = SYSTEM_CLOCK,
    watchFs = (dir: string) => Deno.watchFs(dir, { recursive: false }),
    fingerprint = configFingerprint,
  } = options;
  if (!path.startsWith("/")) throw new TypeError(`Invalid path "${path}": must be absolute`);
  if (!(debounceMs >= 0)) throw new RangeError(`Invalid debounceMs ${debounceMs}: must be >= 0`);
  if (!(maxWaitMs >= debounceMs)) {
    throw new RangeError(`Invalid maxWaitMs ${maxWaitMs}: must be >= debounceMs (${debounceMs})`);
  }

  const watchers = new Map<string, DirWatcher>();
  const retries = new Set<number>();
  let closed = false;
  let timer: number | undefined;
  let firstEventAt: number | undefined;
  let checking: Promise<void> | undefined;
  let again = false;
  let last: { realPath: string; id: string } | undefined;
  const ready = safeFingerprint(path).then((current) => {
    last = current;
    if (current) watchTargetDir(current.realPath);
  });

  async function safeFingerprint(file: string) {
    try {
      return await fingerprint(file);
    } catch (error) {
      log.warn("Cannot read the config file {path} to compare it: {error}", {
        path: file,
        error: (error as Error).message,
      });
      return undefined;
    }
  }

  function schedule(): void {
    if (closed) return;
    const now = clock.now();
    firstEventAt ??= now;
    const at = Math.min(now + debounceMs, firstEventAt + maxWaitMs);
    if (timer !== undefined) clock.clearTimeout(timer);
    timer = clock.setTimeout(() => {
      timer = undefined;
      firstEventAt = undefined;
      void check();
    }, Math.max(0, at - now));
  }

  function check(): Promise<void> {
    if (checking) {
      again = true;
      return checking;
    }
    checking = (async () => {
      do {
        again = false;
        await ready;
        const current = await safeFingerprint(path);
        if (closed) return;
        // Missing (between the two steps of a swap): wait for the next event.
        if (current === undefined) continue;
        watchTargetDir(current.realPath);
        if (last !== undefined && last.realPath === current.realPath && last.id === current.id) {
          log.debug("Config file {path} touched but unchanged", { path });
          continue;
        }
        last = current;
        log.info("Config file {path} changed", { path, realPath: current.realPath });
        try {
          onChange();
        } catch (error) {
          log.error("Config change handler failed: {error}", { error: (error as Error).message });
        }
      } while (again && !closed);
    })().finally(() => checking = undefined);
    return checking;
  }

  function watchTargetDir(realPath: string): void {
    // A symlink outside the directory (e.g. to a shared volume): watch where it points too.
    // Inside the config's own directory (a ConfigMap's `..2026_…` dirs), events already show.
    const dir = dirname(realPath);
    const home = dirname(path);
    if (dir === home || dir.startsWith(`${home}/`)) return;
    if (!watchers.has(dir) && !closed) start(dir);
  }

  function start(dir: string): void {
    let watcher: DirWatcher;
    try {
      watcher = watchFs(dir);
    } catch (error) {
      retryLater(dir, error);
      return;
    }
    watchers.set(dir, watcher);
    void (async () => {
      try {
        for await (const event of watcher) {
          if (closed) break;
          if (isRelevantEvent(event, { path, realPath: last?.realPath })) schedule();
        }
        if (!closed) retryLater(dir, new Error("the watch ended"));
      } catch (error) {
        if (!closed) retryLater(dir, error);
      }
    })();
  }

  function retryLater(dir: string, error: unknown): void {
    watchers.delete(dir);
    if (closed) return;
    if (error instanceof Deno.errors.NotCapable || error instanceof Deno.errors.PermissionDenied) {
      // Retrying cannot help; say it once.
      log.warn("Cannot watch {dir} for config changes: {error}; SIGHUP still reloads", {
        dir,
        error: (error as Error).message,
      });
      return;
    }
    if (dir !== dirname(path) && (last === undefined || dirname(last.realPath) !== dir)) {
      // A former symlink target's directory: no longer needed.
      void check();
      return;
    }
    log.error("Cannot watch {dir} for config changes: {error}; retrying", {
      dir,
      error: error instanceof Error ? error.message : String(error),
    });
    const id = clock.setTimeout(() => {
      retries.delete(id);
      if (closed || watchers.has(dir)) return;
      start(dir);
      // Whatever happened while not watching is caught up by one check.
      void check();
    }, maxWaitMs);
    retries.add(id);
  }

  function close(): void {
    if (closed) return;
    closed = true;
    if (timer !== undefined) clock.clearTimeout(timer);
    for (const id of retries) clock.clearTimeout(id);
    retries.clear();
    for (const watcher of watchers.values()) {
      try {
        watcher.close();
      } catch {
        // already closed
      }
    }
    watchers.clear();
  }

  if (signal.aborted) {
    closed = true;
    return { close };
  }
  signal.addEventListener("abort", close, { once: true });
  start(dirname(path));
  return { close };
}
