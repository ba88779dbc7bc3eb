/**
 * Writes rendered secrets to files: atomically (temp file in the same directory, fsync, rename,
 * directory fsync) or in place for single-file bind mounts, with mode/owner, and only when
 * something changed.
 *
 * @module
 */
import { getLogger } from "@logtape/logtape";
import type { FilePlan } from "../config/mod.ts";
import { type Clock, type Random, SYSTEM_CLOCK, SYSTEM_RANDOM } from "../resilience/mod.ts";
import { DENO_FS, type FsAdapter, type FsFileHandle } from "./fs_adapter.ts";
import { type ResolvedIds, resolveIds } from "./_owner.ts";
import {
  describeKind,
  describeOsError,
  isNotPermitted,
  SinkError,
  type SinkStep,
} from "./sink_error.ts";
import { joinPath, splitPath, TEMP_PATTERN, tempName } from "./_temp_name.ts";
import { checkOutputFiles, type OutputProblem } from "./output_check.ts";

const log = getLogger(["secrets-sync", "sink"]);

/** Default largest content accepted by {@linkcode FileSink.write}: 1 MiB. */
export const DEFAULT_MAX_BYTES = 1024 * 1024;

/** A file's bytes as {@linkcode FileSink.read} found them. */
export interface FileContent {
  content: Uint8Array;
  /** Epoch ms of the last modification, when the file system reports it. */
  modifiedAt?: number;
}

/** Mode of directories created because of `createDirs`. */
const DIR_MODE = 0o700;

const TEMP_ATTEMPTS = 5;

/** Options of {@linkcode FileSink}. */
export interface FileSinkOptions {
  /** File-system port. @default DENO_FS (the real file system) */
  fs?: FsAdapter;
  /** Used to time writes for logs. @default SYSTEM_CLOCK */
  clock?: Clock;
  /** Used to name temp files. @default SYSTEM_RANDOM */
  random?: Random;
  /** Largest content accepted, bytes. @default 1048576 (1 MiB) */
  maxBytes?: number;
}

/** How long a remembered file identity is trusted before the content is read back again, ms. */
export const KNOWN_TTL_MS = 60_000;

/**
 * Largest content remembered for the unchanged-refresh fast path, bytes; a larger file is read
 * back and compared at every sync instead.
 */
export const KNOWN_MAX_BYTES = 64 * 1024;

interface KnownFile {
  ino: number | null;
  size: number;
  mtimeMs: number | null;
  /**
   * The bytes last written or read back (never mutated: each render makes a new array). Kept
   * instead of a digest: comparing a few hundred bytes is cheaper than hashing them, and needs
   * no `node:crypto`, which would load Deno's Node compatibility layer at start.
   */
  content: Uint8Array;
  /** The owner and group the file was given (or found with). */
  ids: ResolvedIds;
  /** When the content was last written or read back. */
  verifiedAt: number;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function sameIdentity(known: KnownFile, info: Deno.FileInfo): boolean {
  return known.ino === info.ino && known.size === info.size &&
    known.mtimeMs === (info.mtime?.getTime() ?? null) && known.ino !== null &&
    known.mtimeMs !== null;
}

/** Options of {@linkcode FileSink.write}. */
export interface WriteOptions {
  /** Aborts the write before it commits; the old file stays. */
  signal?: AbortSignal;
}

/** `"written"` when content, mode or owner changed on disk; `"unchanged"` when nothing was done. */
export type WriteResult = "written" | "unchanged";

/** Result of {@linkcode FileSink.remove}. */
export type RemoveResult = "removed" | "absent";

/**
 * Writes files so that a reader (or a crash) sees either the old or the new content, never a mix.
 *
 * Permissions: `--allow-read` and `--allow-write` on the target directories; `--allow-read` on
 * /etc/passwd and /etc/group when owner/group are names. Changing the owner needs root (or
 * CAP_CHOWN).
 *
 * @example
 * ```ts
 * const sink = new FileSink();
 * await sink.write(
 *   { path: "/secrets/app.env", template: "app.env", mode: 0o600, writeMode: "rename", createDirs: false },
 *   new TextEncoder().encode("A=1\n"),
 * ); // "written", then "unchanged" for the same bytes
 * ```
 */
export class FileSink {
  #fs: FsAdapter;
  #clock: Clock;
  /**
   * What this sink last wrote or verified at each path: the file's identity (inode, size, mtime)
   * and the content's digest. An unchanged sync whose file still has that identity is answered
   * from it with one lstat instead of reading the file back; the entry is trusted for
   * {@linkcode KNOWN_TTL_MS} and then verified by a read again.
   */
  #known = new Map<string, KnownFile>();
  #random: Random;
  #maxBytes: number;

  constructor(options: FileSinkOptions = {}) {
    const {
      fs = DENO_FS,
      clock = SYSTEM_CLOCK,
      random = SYSTEM_RANDOM,
      maxBytes = DEFAULT_MAX_BYTES,
    } = options;
    if (!Number.isSafeInteger(maxBytes) || maxBytes < 0) {
      throw new RangeError(`Invalid maxBytes "${maxBytes}": must be a non-negative integer`);
    }
    this.#fs = fs;
    this.#clock = clock;
    this.#random = random;
    this.#maxBytes = maxBytes;
  }

  /**
   * Writes `content` to `file.path` unless the file already holds exactly these bytes with the
   * planned mode and owner. If only mode/owner differ they are fixed and `"written"` is returned.
   *
   * @throws {SinkError} with `step` naming what failed; the old file is kept and no temp file is
   *   left behind. Rejects with the signal's reason when it aborts before the commit.
   */
  async write(
    file: FilePlan,
    content: Uint8Array,
    options: WriteOptions = {},
  ): Promise<WriteResult> {
    const { signal } = options;
    signal?.throwIfAborted();
    const started = this.#clock.now();
    const { path } = file;
    const { dir, base } = splitPath(path);
    checkMode(file.mode);
    if (content.length > this.#maxBytes) {
      throw new SinkError(
        `Cannot write "${path}": content is ${content.length} bytes, over the limit of ${this.#maxBytes} bytes (maxBytes)`,
        { path, step: "limit" },
      );
    }
    const ids = await this.#resolveIds(file);
    const existing = await this.#lstatTarget(path, "write");

    if (existing) {
      let sameContent = false;
      if (existing.size === content.length) {
        const known = this.#known.get(path);
        if (
          known !== undefined && sameIdentity(known, existing) &&
          this.#clock.now() - known.verifiedAt < KNOWN_TTL_MS && sameBytes(known.content, content)
        ) {
          sameContent = true;
        } else if (await this.#hasContent(path, content, signal)) {
          sameContent = true;
          this.#remember(path, existing, content, ids);
        }
      }
      if (sameContent) {
        if (metadataMatches(existing, file.mode, ids)) {
          log.debug("File unchanged {path}", { path });
          return "unchanged";
        }
        await this.#applyMetadata(path, path, file, ids);
        log.info("Fixed mode/owner of {path}", { path, mode: octal(file.mode) });
        return "written";
      }
    } else {
      await this.#ensureDir(path, dir, file.createDirs);
    }
    signal?.throwIfAborted();

    this.#known.delete(path);
    if (existing && file.writeMode === "inplace") {
      await this.#writeInPlace(file, content, ids);
    } else {
      await this.#writeAtomic(file, dir, base, content, ids, signal);
    }
    try {
      this.#remember(path, await this.#fs.lstat(path), content, ids);
    } catch {
      // Only an optimisation: the next sync reads the file back instead.
    }
    log.info("Wrote {path}", {
      path,
      bytes: content.length,
      mode: octal(file.mode),
      writeMode: existing ? file.writeMode : "rename",
      durationMs: this.#clock.now() - started,
    });
    return "written";
  }

  /**
   * Whether each file can be written, asked before the first sync (by `validate`, at start and
   * on reload): owner and group resolve, the directory exists (or `createDirs` can make it) and
   * takes a new file, an existing in-place file opens for writing. Creates and removes one empty
   * temp file per directory; writes nothing else. What this process has no Deno permission to
   * look at is skipped: the permission check names the flag.
   *
   * @example
   * ```ts ignore
   * for (const p of await new FileSink().check(secret.files)) console.error(p.message);
   * ```
   */
  check(files: readonly FilePlan[]): Promise<OutputProblem[]> {
    return checkOutputFiles(files, { fs: this.#fs, random: this.#random });
  }

  /**
   * Removes `file.path` if it is a regular file.
   *
   * @throws {SinkError} step `"policy"` for a symlink or non-regular file, `"remove"` on failure.
   */
  async remove(file: FilePlan): Promise<RemoveResult> {
    const { path } = file;
    const { dir } = splitPath(path);
    const existing = await this.#lstatTarget(path, "remove");
    if (!existing) return "absent";
    try {
      this.#known.delete(path);
      await this.#fs.remove(path);
    } catch (cause) {
      if (cause instanceof Deno.errors.NotFound) return "absent";
      throw new SinkError(`Cannot remove "${path}": ${describeOsError(cause)}`, {
        path,
        step: "remove",
        cause,
      });
    }
    await this.#syncDir(dir, path);
    log.info("Removed {path}", { path });
    return "removed";
  }

  /**
   * Removes temp files this program left behind (after a crash or SIGKILL) in `dirs`. Call it at
   * start, before the first write. Missing or unreadable directories are skipped.
   *
   * @returns how many temp files were removed.
   */
  async cleanupTemps(dirs: string[]): Promise<number> {
    let removed = 0;
    for (const dir of new Set(dirs)) {
      try {
        for await (const entry of this.#fs.readDir(dir)) {
          if (!entry.isFile || !TEMP_PATTERN.test(entry.name)) continue;
          const tempPath = joinPath(dir, entry.name);
          try {
            await this.#fs.remove(tempPath);
            removed++;
          } catch (cause) {
            log.warn("Cannot remove temp file {path}: {reason}", {
              path: tempPath,
              reason: describeOsError(cause),
            });
          }
        }
      } catch (cause) {
        if (cause instanceof Deno.errors.NotFound) continue;
        log.warn("Cannot scan {dir} for temp files: {reason}", {
          dir,
          reason: describeOsError(cause),
        });
      }
    }
    if (removed > 0) log.info("Removed {count} leftover temp files", { count: removed });
    return removed;
  }

  async #resolveIds(file: FilePlan): Promise<ResolvedIds> {
    try {
      return await resolveIds(this.#fs, file.owner, file.group);
    } catch (cause) {
      const reason = cause instanceof Error ? cause.message : String(cause);
      throw new SinkError(`Cannot write "${file.path}": ${reason}`, {
        path: file.path,
        step: "chown",
        cause,
      });
    }
  }

  /** Stats the target without following a symlink; refuses anything but a regular file. */
  async #lstatTarget(path: string, verb: "write" | "remove"): Promise<Deno.FileInfo | undefined> {
    let info: Deno.FileInfo;
    try {
      info = await this.#fs.lstat(path);
    } catch (cause) {
      if (cause instanceof Deno.errors.NotFound) return undefined;
      throw new SinkError(`Cannot ${verb} "${path}": ${describeOsError(cause)}`, {
        path,
        step: "stat",
        cause,
      });
    }
    if (info.isSymlink) {
      throw new SinkError(
        `Cannot ${verb} "${path}": it is a symbolic link; refusing to ${verb} through it`,
        { path, step: "policy" },
      );
    }
    if (!info.isFile) {
      throw new SinkError(`Cannot ${verb} "${path}": not a regular file (${describeKind(info)})`, {
        path,
        step: "policy",
      });
    }
    return info;
  }

  #remember(path: string, info: Deno.FileInfo, content: Uint8Array, ids: ResolvedIds): void {
    if (content.length > KNOWN_MAX_BYTES) return;
    this.#known.set(path, {
      ino: info.ino,
      size: info.size,
      mtimeMs: info.mtime?.getTime() ?? null,
      content,
      ids,
      verifiedAt: this.#clock.now(),
    });
  }

  /**
   * Whether `file.path` still holds what this sink last wrote or read back there, with the
   * planned mode and owner: the same inode, size and mtime (one lstat). An identity remembered
   * {@linkcode KNOWN_TTL_MS} ago or more is confirmed by reading the file back, as
   * {@linkcode write} would (a same-size edit that kept the mtime cannot hide for longer).
   * `false` when unsure (never written, changed, gone, unreadable); never throws. The syncer asks
   * it before skipping a refresh whose secret has not changed; `false` means render and
   * {@linkcode write} as usual.
   */
  async intact(file: FilePlan): Promise<boolean> {
    const known = this.#known.get(file.path);
    if (known === undefined) return false;
    try {
      const info = await this.#fs.lstat(file.path);
      if (
        !info.isFile || !sameIdentity(known, info) || !metadataMatches(info, file.mode, known.ids)
      ) {
        return false;
      }
      if (this.#clock.now() - known.verifiedAt < KNOWN_TTL_MS) return true;
      // Refreshes at intervals of a minute or more land here every time: one read instead of a
      // render and a write's read-back.
      if (!(await this.#hasContent(file.path, known.content))) return false;
      known.verifiedAt = this.#clock.now();
      return true;
    } catch {
      return false;
    }
  }

  /**
   * The current content of `file.path` and when it was last modified (epoch ms), or `undefined`
   * when it is missing, unreadable or larger than the sink's size cap. Best effort, never throws:
   * used to adopt what a previous run wrote.
   */
  async read(file: FilePlan): Promise<FileContent | undefined> {
    let handle: FsFileHandle | undefined;
    try {
      handle = await this.#fs.open(file.path, { read: true });
      const info = await handle.stat();
      const buf = new Uint8Array(Math.min(info.size, this.#maxBytes) + 1);
      let filled = 0;
      while (filled < buf.length) {
        const n = await handle.read(buf.subarray(filled));
        if (n === null) break;
        filled += n;
      }
      if (filled > this.#maxBytes) return undefined;
      const content = buf.slice(0, filled);
      const modifiedAt = info.mtime?.getTime();
      return modifiedAt === undefined ? { content } : { content, modifiedAt };
    } catch {
      return undefined;
    } finally {
      handle?.close();
    }
  }

  /** True when the file at `path` holds exactly `content` (its size was already checked). */
  async #hasContent(path: string, content: Uint8Array, signal?: AbortSignal): Promise<boolean> {
    let handle: FsFileHandle | undefined;
    try {
      handle = await this.#fs.open(path, { read: true });
      // One byte more than expected tells a file that grew since the stat.
      const buf = new Uint8Array(content.length + 1);
      let filled = 0;
      while (filled < buf.length) {
        signal?.throwIfAborted();
        const n = await handle.read(buf.subarray(filled));
        if (n === null) break;
        filled += n;
      }
      if (filled !== content.length) return false;
      for (let i = 0; i < content.length; i++) if (buf[i] !== content[i]) return false;
      return true;
    } catch (cause) {
      if (signal?.aborted) throw signal.reason;
      throw new SinkError(
        `Cannot write "${path}": ${describeOsError(cause)} (reading the current file)`,
        {
          path,
          step: "read",
          cause,
        },
      );
    } finally {
      handle?.close();
    }
  }

  async #ensureDir(path: string, dir: string, createDirs: boolean): Promise<void> {
    try {
      await this.#fs.lstat(dir);
      return;
    } catch (cause) {
      if (!(cause instanceof Deno.errors.NotFound)) {
        throw new SinkError(
          `Cannot write "${path}": ${describeOsError(cause)} (directory "${dir}")`,
          { path, step: "stat", cause },
        );
      }
      if (!createDirs) {
        throw new SinkError(
          `Cannot write "${path}": directory "${dir}" does not exist; create it or set createDirs: true`,
          { path, step: "mkdir", cause },
        );
      }
    }
    try {
      await this.#fs.mkdir(dir, { recursive: true, mode: DIR_MODE });
      log.info("Created directory {dir}", { dir, mode: octal(DIR_MODE) });
    } catch (cause) {
      throw new SinkError(
        `Cannot write "${path}": ${describeOsError(cause)} (creating directory "${dir}")`,
        { path, step: "mkdir", cause },
      );
    }
  }

  async #writeAtomic(
    file: FilePlan,
    dir: string,
    base: string,
    content: Uint8Array,
    ids: ResolvedIds,
    signal: AbortSignal | undefined,
  ): Promise<void> {
    const { path } = file;
    const { handle, tempPath } = await this.#createTemp(path, dir, base, file.mode);
    let open = true;
    try {
      await this.#step(path, "write", "writing temp file", () => writeAll(handle, content));
      await this.#step(path, "fsync", "fsync of temp file", () => handle.sync());
      open = false;
      handle.close();
      // Owner before mode: chown(2) may clear set-id bits, and chmod beats the umask.
      await this.#applyMetadata(path, tempPath, file, ids);
      signal?.throwIfAborted();
      try {
        await this.#fs.rename(tempPath, path);
      } catch (cause) {
        // EBUSY: the target is a mount point, typically a single-file Docker bind mount.
        const hint = cause instanceof Deno.errors.Busy
          ? "; if the file is a single-file bind mount, set writeMode: inplace"
          : "";
        throw new SinkError(
          `Cannot write "${path}": ${describeOsError(cause)} (rename over target)${hint}`,
          { path, step: "rename", cause },
        );
      }
    } catch (err) {
      if (open) handle.close();
      await this.#fs.remove(tempPath).catch((cause) => {
        log.warn("Cannot remove temp file {path}: {reason}", {
          path: tempPath,
          reason: describeOsError(cause),
        });
      });
      throw err;
    }
    // The rename is durable only once the directory entry is on disk.
    await this.#syncDir(dir, path);
  }

  async #createTemp(
    path: string,
    dir: string,
    base: string,
    mode: number,
  ): Promise<{ handle: FsFileHandle; tempPath: string }> {
    for (let attempt = 1;; attempt++) {
      const tempPath = joinPath(dir, tempName(base, this.#random));
      try {
        // createNew (O_EXCL): never reuse or follow anything already at the temp path.
        const handle = await this.#fs.open(tempPath, { write: true, createNew: true, mode });
        return { handle, tempPath };
      } catch (cause) {
        if (cause instanceof Deno.errors.AlreadyExists && attempt < TEMP_ATTEMPTS) continue;
        // Atomic writes need a writable directory; in-place writes only need a writable file.
        const hint = cause instanceof Deno.errors.PermissionDenied
          ? "; atomic writes need a writable directory, or set writeMode: inplace"
          : "";
        const reason = describeOsError(cause);
        throw new SinkError(
          `Cannot write "${path}": ${reason} (creating temp file in "${dir}")${hint}`,
          { path, step: "open", cause },
        );
      }
    }
  }

  /** Truncates and rewrites the existing inode: visible through single-file bind mounts. */
  async #writeInPlace(file: FilePlan, content: Uint8Array, ids: ResolvedIds): Promise<void> {
    const { path } = file;
    // Tighten mode/owner before the new content lands in the file.
    await this.#applyMetadata(path, path, file, ids);
    const handle = await this.#step(
      path,
      "open",
      "opening for in-place write",
      () => this.#fs.open(path, { write: true }),
    );
    try {
      await this.#step(path, "write", "truncating", () => handle.truncate(0));
      await this.#step(path, "write", "writing in place", () => writeAll(handle, content));
      await this.#step(path, "fsync", "fsync", () => handle.sync());
    } finally {
      handle.close();
    }
  }

  async #applyMetadata(
    path: string,
    target: string,
    file: FilePlan,
    ids: ResolvedIds,
  ): Promise<void> {
    if (ids.uid !== null || ids.gid !== null) {
      try {
        await this.#fs.chown(target, ids.uid, ids.gid);
      } catch (cause) {
        const what = describeChown(file);
        const reason = cause instanceof Deno.errors.PermissionDenied && isNotPermitted(cause)
          ? "operation not permitted — the process must run as root or as that owner"
          : describeOsError(cause);
        throw new SinkError(`Cannot write "${path}": ${reason} (${what})`, {
          path,
          step: "chown",
          cause,
        });
      }
    }
    await this.#step(
      path,
      "chmod",
      `chmod ${octal(file.mode)}`,
      () => this.#fs.chmod(target, file.mode),
    );
  }

  async #syncDir(dir: string, path: string): Promise<void> {
    let handle: FsFileHandle | undefined;
    try {
      handle = await this.#fs.open(dir, { read: true });
      await handle.sync();
    } catch (cause) {
      // The new content is already in place; some file systems cannot fsync a directory.
      log.warn("Cannot fsync directory {dir} after writing {path}: {reason}", {
        dir,
        path,
        reason: describeOsError(cause),
      });
    } finally {
      handle?.close();
    }
  }

  async #step<T>(path: string, step: SinkStep, what: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (cause) {
      throw new SinkError(`Cannot write "${path}": ${describeOsError(cause)} (${what})`, {
        path,
        step,
        cause,
      });
    }
  }
}

async function writeAll(handle: FsFileHandle, content: Uint8Array): Promise<void> {
  let offset = 0;
  while (offset < content.length) {
    const n = await handle.write(content.subarray(offset));
    if (n <= 0) throw new Deno.errors.WriteZero("write returned 0 bytes");
    offset += n;
  }
}

function metadataMatches(info: Deno.FileInfo, mode: number, ids: ResolvedIds): boolean {
  if (info.mode !== null && (info.mode & 0o7777) !== mode) return false;
  if (ids.uid !== null && info.uid !== ids.uid) return false;
  if (ids.gid !== null && info.gid !== ids.gid) return false;
  return true;
}

function checkMode(mode: number): void {
  if (!Number.isInteger(mode) || mode < 0 || mode > 0o7777) {
    throw new RangeError(`Invalid mode "${mode}": must be an integer from 0 to 0o7777`);
  }
}

function describeChown(file: FilePlan): string {
  const parts: string[] = [];
  if (file.owner !== undefined && file.owner !== "") parts.push(`owner "${file.owner}"`);
  if (file.group !== undefined && file.group !== "") parts.push(`group "${file.group}"`);
  return `chown to ${parts.join(" and ")}`;
}

function octal(mode: number): string {
  return `0${mode.toString(8).padStart(3, "0")}`;
}
