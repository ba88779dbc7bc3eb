/**
 * Whether the sink will be able to write planned files, asked before the first sync: owner and
 * group names resolve, the directory exists (or `createDirs` can make it) and is writable — found
 * by creating and removing one empty temp file there, the only test that sees read-only mounts,
 * ACLs and root — and an existing in-place file opens for writing.
 *
 * @module
 */
import type { FilePlan } from "../config/mod.ts";
import type { Random } from "../resilience/mod.ts";
import type { FsAdapter } from "./fs_adapter.ts";
import { resolveId, UnknownIdError } from "./_owner.ts";
import { describeKind, describeOsError } from "./sink_error.ts";
import { joinPath, splitPath, tempName } from "./_temp_name.ts";

/**
 * The probe file is named like a temp file of a target called this (so a leftover is cleaned up at
 * the next start) and cannot be mistaken for a write in progress.
 */
export const PROBE_NAME = "secrets-sync-check";

/** A planned file the sink will not be able to write. */
export interface OutputProblem {
  /** The file's path. */
  path: string;
  /** The part of the file's plan at fault: its path (the directory), owner or group. */
  field: "path" | "owner" | "group";
  /** `Cannot write "/data/app.env": directory "/data" does not exist; …` */
  message: string;
}

/** Options of {@linkcode checkOutputFiles}. */
export interface CheckOutputFilesOptions {
  fs: FsAdapter;
  /** Names the probe files. */
  random: Random;
}

/** Something this process has no Deno permission for: the permission check reports it. */
class Unchecked extends Error {}

/**
 * Checks every file; one problem per file and field. What the process has no Deno permission to
 * look at is skipped (the permission check names the flag). Leaves nothing behind.
 */
export async function checkOutputFiles(
  files: readonly FilePlan[],
  options: CheckOutputFilesOptions,
): Promise<OutputProblem[]> {
  const { fs, random } = options;
  const problems: OutputProblem[] = [];
  /** Probe result per directory: the reason it is not writable, or undefined. */
  const probed = new Map<string, Promise<string | undefined>>();
  const probe = (dir: string): Promise<string | undefined> => {
    let result = probed.get(dir);
    if (result === undefined) {
      result = probeDirectory(fs, dir, random);
      probed.set(dir, result);
    }
    return result;
  };

  // A directory another file creates (createDirs: true) exists by the time the sink writes there.
  const created = new Set<string>();
  for (const file of files) {
    if (!file.createDirs) continue;
    for (let dir = splitPath(file.path).dir; dir !== "/"; dir = splitPath(dir).dir) {
      created.add(dir);
    }
  }

  for (const file of files) {
    const { path } = file;
    const fail = (field: OutputProblem["field"], reason: string) =>
      problems.push({ path, field, message: `Cannot write "${path}": ${reason}` });
    for (const field of ["owner", "group"] as const) {
      try {
        await resolveId(fs, field, file[field]);
      } catch (err) {
        if (err instanceof UnknownIdError && err.cause instanceof Deno.errors.NotCapable) continue;
        fail(field, (err as Error).message);
      }
    }
    try {
      const createDirs = file.createDirs || created.has(splitPath(path).dir);
      const reason = await checkPath(fs, { ...file, createDirs }, probe);
      if (reason !== undefined) fail("path", reason);
    } catch (err) {
      if (!(err instanceof Unchecked)) throw err;
    }
  }
  return problems;
}

/** Why `file` cannot be written, or undefined when it can. @throws {Unchecked} */
async function checkPath(
  fs: FsAdapter,
  file: FilePlan,
  probe: (dir: string) => Promise<string | undefined>,
): Promise<string | undefined> {
  const { dir } = splitPath(file.path);
  const existing = await lstatOrUndefined(fs, file.path);
  if (typeof existing === "string") return existing;
  if (existing !== undefined) {
    if (existing.isSymlink) return "it is a symbolic link; refusing to write through it";
    if (!existing.isFile) return `not a regular file (${describeKind(existing)})`;
    if (file.writeMode === "inplace") return await openForWrite(fs, file.path);
    return await probe(dir);
  }
  // The file does not exist: it is created by a rename in its directory.
  for (let at = dir;;) {
    const info = await lstatOrUndefined(fs, at);
    if (typeof info === "string") return info;
    if (info !== undefined) {
      if (!info.isDirectory) return `"${at}" is not a directory`;
      if (at === dir) return await probe(dir);
      if (!file.createDirs) break;
      const reason = await probe(at);
      return reason === undefined ? undefined : reason.replace(
        / \(creating a file in ".*"\)$/,
        ` (creating directory "${dir}" in "${at}")`,
      );
    }
    if (at === "/") break;
    at = splitPath(at).dir;
  }
  return `directory "${dir}" does not exist; create it or set createDirs: true`;
}

/** The entry at `path`, undefined when there is none, or why it cannot be looked at. */
async function lstatOrUndefined(
  fs: FsAdapter,
  path: string,
): Promise<Deno.FileInfo | undefined | string> {
  try {
    return await fs.lstat(path);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return undefined;
    if (err instanceof Deno.errors.NotADirectory) return undefined;
    if (err instanceof Deno.errors.NotCapable) throw new Unchecked();
    return `${describeOsError(err)} (looking at "${path}")`;
  }
}

/** Creates and removes an empty temp file in `dir`; the reason when that fails. */
async function probeDirectory(
  fs: FsAdapter,
  dir: string,
  random: Random,
): Promise<string | undefined> {
  const temp = joinPath(dir, tempName(PROBE_NAME, random));
  try {
    const handle = await fs.open(temp, { write: true, createNew: true, mode: 0o600 });
    handle.close();
  } catch (err) {
    if (err instanceof Deno.errors.NotCapable) throw new Unchecked();
    return `${describeOsError(err)} (creating a file in "${dir}")`;
  }
  // A leftover (the remove failed) matches cleanupTemps' pattern and goes at the next start.
  await fs.remove(temp).catch(() => {});
  return undefined;
}

/** Opens an existing file for writing (no truncation, nothing written); the reason on failure. */
async function openForWrite(fs: FsAdapter, path: string): Promise<string | undefined> {
  try {
    const handle = await fs.open(path, { write: true });
    handle.close();
    return undefined;
  } catch (err) {
    if (err instanceof Deno.errors.NotCapable) throw new Unchecked();
    return `${describeOsError(err)} (opening for in-place write)`;
  }
}
