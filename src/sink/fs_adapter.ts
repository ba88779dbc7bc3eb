/**
 * The file-system port of the sink: the few calls it makes, so tests can inject faults
 * (a rename that fails, a chown that is not permitted) without touching the real disk's rules.
 *
 * @module
 */

/** An open file: the subset of `Deno.FsFile` the sink uses. */
export interface FsFileHandle {
  write(p: Uint8Array): Promise<number>;
  read(p: Uint8Array): Promise<number | null>;
  truncate(len?: number): Promise<void>;
  sync(): Promise<void>;
  stat(): Promise<Deno.FileInfo>;
  close(): void;
}

/** The file-system calls the sink makes. Paths are absolute. */
export interface FsAdapter {
  /** Like `Deno.lstat`: does not follow a symlink at `path`. */
  lstat(path: string): Promise<Deno.FileInfo>;
  mkdir(path: string, options: { mode: number; recursive: boolean }): Promise<void>;
  open(path: string, options: Deno.OpenOptions): Promise<FsFileHandle>;
  chown(path: string, uid: number | null, gid: number | null): Promise<void>;
  chmod(path: string, mode: number): Promise<void>;
  rename(from: string, to: string): Promise<void>;
  remove(path: string): Promise<void>;
  readDir(path: string): AsyncIterable<Deno.DirEntry>;
  /** Used for /etc/passwd and /etc/group. */
  readTextFile(path: string): Promise<string>;
}

/**
 * The real file system.
 *
 * Needs `--allow-read` and `--allow-write` for the target directories, and `--allow-read` for
 * /etc/passwd and /etc/group when owners are given by name.
 */
export const DENO_FS: FsAdapter = {
  // The one call of an unchanged refresh. Deno runs async file ops on a blocking thread pool: an
  // async lstat cost ~0.45 ms of CPU here, a sync one a few µs (bench/sync_cpu.ts: 27 % of the
  // sidecar's CPU at 200 secrets). A local lstat blocks the loop for microseconds.
  lstat: (path) => {
    try {
      return Promise.resolve(Deno.lstatSync(path));
    } catch (error) {
      return Promise.reject(error);
    }
  },
  mkdir: (path, options) => Deno.mkdir(path, options),
  open: (path, options) => Deno.open(path, options),
  chown: (path, uid, gid) => Deno.chown(path, uid, gid),
  chmod: (path, mode) => Deno.chmod(path, mode),
  rename: (from, to) => Deno.rename(from, to),
  remove: (path) => Deno.remove(path),
  readDir: (path) => Deno.readDir(path),
  readTextFile: (path) => Deno.readTextFile(path),
};
