/**
 * The status file: a small JSON heartbeat the running program rewrites, so `isready` can answer
 * from disk without HTTP. Also the HTTP variant of the same check.
 *
 * @module
 */
import type { Clock } from "../resilience/mod.ts";
import { countSecrets, type ReadinessSnapshot, type StatusCounts } from "./readiness.ts";

/**
 * How often the running program rewrites the status file, ms. Readers judge the heartbeat's age
 * in multiples of it.
 */
export const STATUS_HEARTBEAT_MS = 2_000;

/**
 * A heartbeat older than this means the process is stuck or gone (three missed beats): the status
 * file reads not ready, and `/health` answers not alive.
 */
export const STATUS_MAX_AGE_MS = STATUS_HEARTBEAT_MS * 3;

/** What the status file holds (names and counts only). */
export interface StatusFileContent {
  version: 1;
  ready: boolean;
  reason?: string;
  pid: number;
  /** Epoch ms of the write. */
  heartbeat: number;
  secrets: StatusCounts;
  /** Where the running process answers `/ready`, when its HTTP server is enabled. */
  readyUrl?: string;
}

/** The answer of {@linkcode readStatus} and {@linkcode checkReadyHttp}. */
export interface ReadyCheck {
  ready: boolean;
  /** One line for a person: why (not) ready. */
  reason: string;
}

/** Writing the status file failed. */
export class StatusFileError extends Error {
  /** The status file's path. */
  readonly path: string;

  constructor(message: string, options: { path: string; cause?: unknown }) {
    super(message, { cause: options.cause });
    this.name = "StatusFileError";
    this.path = options.path;
  }
}

/** Options of {@linkcode writeStatusFile}. */
export interface WriteStatusFileOptions {
  /** Source of the heartbeat time. */
  clock: Pick<Clock, "now">;
  /**
   * Process id to record.
   * @default Deno.pid
   */
  pid?: number;
  /** Where the process answers `/ready` (recorded so `isready` can ask it). */
  readyUrl?: string;
}

let tempCounter = 0;

/**
 * Writes the status file atomically (a temp file in the same directory, then rename), mode 0644
 * so an `isready` running as another user can read it. If the process exits while the write is in
 * flight (`Deno.exit` on a forced stop), the temp file is removed on the way out. Needs read/write
 * permission on its directory.
 *
 * @throws {StatusFileError} when the file cannot be written; the old file is left as it was.
 * @example
 * ```ts
 * await writeStatusFile("/tmp/secrets-sync.status", readiness(), { clock: SYSTEM_CLOCK });
 * ```
 */
export async function writeStatusFile(
  path: string,
  snapshot: ReadinessSnapshot,
  options: WriteStatusFileOptions,
): Promise<void> {
  const { clock, pid = Deno.pid } = options;
  const content: StatusFileContent = {
    version: 1,
    ready: snapshot.ready,
    pid,
    heartbeat: clock.now(),
    secrets: countSecrets(snapshot),
  };
  if (snapshot.reason !== undefined) content.reason = snapshot.reason;
  if (options.readyUrl !== undefined) content.readyUrl = options.readyUrl;
  const slash = path.lastIndexOf("/");
  const dir = slash === -1 ? "." : path.slice(0, slash) || "/";
  const base = path.slice(slash + 1);
  const temp = `${dir}/.${base}.${Deno.pid}.${++tempCounter}.tmp`;
  // A forced stop exits between the temp write and the rename; without this the temp file stayed
  // beside the status file for good (nothing else cleans the status file's directory).
  const removeTempOnExit = () => {
    try {
      Deno.removeSync(temp);
    } catch {
      // Not created yet, or already renamed.
    }
  };
  globalThis.addEventListener("unload", removeTempOnExit);
  try {
    await Deno.writeTextFile(temp, JSON.stringify(content) + "\n", { mode: 0o644 });
    // The mode given at creation is cut by the umask; set it exactly.
    if (Deno.build.os !== "windows") await Deno.chmod(temp, 0o644);
    await Deno.rename(temp, path);
  } catch (error) {
    await Deno.remove(temp).catch(() => {});
    throw new StatusFileError(
      `Cannot write status file "${path}": ${error instanceof Error ? error.message : error}`,
      { path, cause: error },
    );
  } finally {
    globalThis.removeEventListener("unload", removeTempOnExit);
  }
}

/** Options of {@linkcode StatusFile}. */
export interface StatusFileOptions {
  /** Source of the heartbeat time. */
  clock: Pick<Clock, "now">;
  /** Process id to record. @default Deno.pid */
  pid?: number;
  /** Writes one snapshot. @default writeStatusFile */
  write?: (
    path: string,
    snapshot: ReadinessSnapshot,
    options: WriteStatusFileOptions,
  ) => Promise<void>;
}

interface StatusJob {
  snapshot: ReadinessSnapshot;
  readyUrl: string | undefined;
  done: PromiseWithResolvers<void>;
}

/**
 * The status file of the running process. Writes one snapshot at a time: a heartbeat that started
 * before the stop can never land after the final state, and of the snapshots that queue up behind
 * a slow write only the newest is written.
 *
 * @example
 * ```ts
 * const status = new StatusFile("/tmp/.secrets-sync-ready", { clock: SYSTEM_CLOCK });
 * await status.write(readiness());
 * await status.close({ ...readiness(), ready: false, reason: "stopped" });
 * ```
 */
export class StatusFile {
  readonly #path: string;
  readonly #options: StatusFileOptions;
  #inFlight = false;
  #queued: StatusJob | undefined;
  #closed = false;

  constructor(path: string, options: StatusFileOptions) {
    this.#path = path;
    this.#options = options;
  }

  /**
   * Writes `snapshot` (or, if a newer one arrives while it waits, that one).
   *
   * @throws {StatusFileError} when the write fails; the old file is left as it was.
   */
  write(snapshot: ReadinessSnapshot, options: { readyUrl?: string } = {}): Promise<void> {
    if (this.#closed) return Promise.resolve();
    return this.#submit(snapshot, options.readyUrl);
  }

  /**
   * Writes the final state after the write in flight; later writes are ignored.
   *
   * @throws {StatusFileError} when the write fails.
   */
  close(snapshot: ReadinessSnapshot): Promise<void> {
    if (this.#closed) return Promise.resolve();
    this.#closed = true;
    return this.#submit(snapshot, undefined);
  }

  #submit(snapshot: ReadinessSnapshot, readyUrl: string | undefined): Promise<void> {
    if (this.#queued) {
      this.#queued.snapshot = snapshot;
      this.#queued.readyUrl = readyUrl;
      return this.#queued.done.promise;
    }
    const job: StatusJob = { snapshot, readyUrl, done: Promise.withResolvers<void>() };
    if (this.#inFlight) this.#queued = job;
    else void this.#run(job);
    return job.done.promise;
  }

  async #run(job: StatusJob): Promise<void> {
    this.#inFlight = true;
    const { clock, pid, write = writeStatusFile } = this.#options;
    try {
      await write(this.#path, job.snapshot, {
        clock,
        ...(pid !== undefined ? { pid } : {}),
        ...(job.readyUrl !== undefined ? { readyUrl: job.readyUrl } : {}),
      });
      job.done.resolve();
    } catch (error) {
      job.done.reject(error);
    }
    this.#inFlight = false;
    const next = this.#queued;
    this.#queued = undefined;
    if (next) void this.#run(next);
  }
}

/** Options of {@linkcode readStatus}. */
export interface ReadStatusOptions {
  /** Source of "now" to judge the heartbeat's age. */
  clock: Pick<Clock, "now">;
  /** A heartbeat older than this means not ready, ms. */
  maxAgeMs: number;
  /**
   * Whether the recorded pid must be a running process. Turn off when the reader runs in
   * another PID namespace than the writer (a second container sharing the volume).
   * @default true
   */
  checkPid?: boolean;
  /**
   * Tells whether a pid runs; `undefined` means "cannot tell" and is not held against it.
   * @default a look at /proc/<pid> (Linux); elsewhere always undefined
   */
  isAlive?: (pid: number) => Promise<boolean | undefined>;
  /**
   * When the file records a `readyUrl`, ask it (a process killed with SIGKILL is then seen at
   * once: its port refuses) instead of trusting the file's `ready`.
   * @default false
   */
  followReadyUrl?: boolean;
  /** Deadline of that HTTP check, ms. @default 150 */
  httpTimeoutMs?: number;
}

/**
 * Reads the status file and judges it: missing, unreadable, a stale heartbeat, a dead pid or
 * `ready: false` all mean not ready. Never throws for a bad file; needs read permission on it.
 *
 * @throws {RangeError} when `maxAgeMs` is not a positive number.
 * @example
 * ```ts
 * const { ready, reason } = await readStatus(path, { clock: SYSTEM_CLOCK, maxAgeMs: 30_000 });
 * ```
 */
export async function readStatus(path: string, options: ReadStatusOptions): Promise<ReadyCheck> {
  const { clock, maxAgeMs, checkPid = true, isAlive = processAlive } = options;
  if (!(maxAgeMs > 0) || !Number.isFinite(maxAgeMs)) {
    throw new RangeError(`Cannot read status: invalid maxAgeMs ${maxAgeMs}`);
  }
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) {
      return { ready: false, reason: `status file "${path}" not found` };
    }
    return { ready: false, reason: `cannot read status file "${path}": ${errorName(error)}` };
  }
  const content = parseStatus(text);
  if (content === undefined) {
    return { ready: false, reason: `status file "${path}" is not a valid status file` };
  }
  const ageMs = clock.now() - content.heartbeat;
  if (ageMs > maxAgeMs) {
    return {
      ready: false,
      reason: `heartbeat is ${seconds(ageMs)} old (limit ${seconds(maxAgeMs)})`,
    };
  }
  if (checkPid && (await isAlive(content.pid)) === false) {
    return { ready: false, reason: `process ${content.pid} is not running` };
  }
  if (options.followReadyUrl && content.readyUrl !== undefined) {
    return await checkReadyHttp(content.readyUrl, { timeoutMs: options.httpTimeoutMs ?? 150 });
  }
  const { ok, total } = content.secrets;
  if (!content.ready) {
    return { ready: false, reason: content.reason ?? `not ready (${ok}/${total} secrets ok)` };
  }
  return { ready: true, reason: `ready (${ok}/${total} secrets ok)` };
}

/** Options of {@linkcode checkReadyHttp}. */
export interface CheckReadyHttpOptions {
  /**
   * Deadline of the whole check, ms.
   * @default 150
   */
  timeoutMs?: number;
  signal?: AbortSignal;
  /** @default globalThis.fetch */
  fetch?: typeof fetch;
}

/**
 * Asks a running instance's `/readyz` and answers within the deadline. Never throws for
 * network errors; needs net permission for the URL's host.
 *
 * @throws {RangeError} when `timeoutMs` is not a positive number.
 * @example
 * ```ts
 * const { ready, reason } = await checkReadyHttp("http://127.0.0.1:9090/readyz");
 * ```
 */
export async function checkReadyHttp(
  url: string,
  options: CheckReadyHttpOptions = {},
): Promise<ReadyCheck> {
  const { timeoutMs = 150, signal, fetch: doFetch = globalThis.fetch } = options;
  if (!(timeoutMs > 0) || !Number.isFinite(timeoutMs)) {
    throw new RangeError(`Cannot check readiness: invalid timeoutMs ${timeoutMs}`);
  }
  const deadline = AbortSignal.timeout(timeoutMs);
  const combined = signal === undefined ? deadline : AbortSignal.any([deadline, signal]);
  try {
    const response = await doFetch(url, {
      signal: combined,
      headers: { accept: "application/json" },
    });
    const text = await response.text();
    let reason: string | undefined;
    try {
      const body = JSON.parse(text) as { reason?: unknown };
      if (typeof body.reason === "string") reason = body.reason;
    } catch {
      // Not our JSON: the status code alone decides.
    }
    if (response.status === 200) return { ready: true, reason: reason ?? "ready" };
    return { ready: false, reason: reason ?? `not ready (HTTP ${response.status})` };
  } catch (error) {
    if (deadline.aborted) {
      return { ready: false, reason: `no answer from ${url} within ${timeoutMs} ms` };
    }
    return { ready: false, reason: `cannot reach ${url}: ${errorName(error)}` };
  }
}

function parseStatus(text: string): StatusFileContent | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (value === null || typeof value !== "object") return undefined;
  const v = value as Partial<StatusFileContent>;
  if (typeof v.ready !== "boolean" || typeof v.heartbeat !== "number") return undefined;
  if (typeof v.pid !== "number" || v.secrets === null || typeof v.secrets !== "object") {
    return undefined;
  }
  return v as StatusFileContent;
}

/** Whether a pid runs, by /proc; `undefined` where /proc cannot tell. */
async function processAlive(pid: number): Promise<boolean | undefined> {
  try {
    await Deno.stat(`/proc/${pid}`);
    return true;
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) return undefined;
    try {
      await Deno.stat("/proc/self");
      return false;
    } catch {
      return undefined;
    }
  }
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}

/** Deno's I/O and fetch errors name the path or URL and the OS reason; never file content. */
function errorName(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** The `/ready` URL of a listener; wildcard addresses are asked on loopback. */
export function readyUrl(addr: string, port: number): string {
  const host = addr === "0.0.0.0" || addr === "" ? "127.0.0.1" : addr === "::" ? "::1" : addr;
  const bracketed = host.includes(":") && !host.startsWith("[") ? `[${host}]` : host;
  return `http://${bracketed}:${port}/ready`;
}
