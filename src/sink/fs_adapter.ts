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

/** Runs a synchronous file-system call, as a promise: a throw becomes a rejection. */
function now<T>(call: () => T): Promise<T> {
  try {
    return Promise.resolve(call());
  } catch (error) {
    return Promise.reject(error);
  }
}

/** An open `Deno.FsFile`: cheap calls made synchronously, fsync on Deno's blocking pool. */
function handleOf(file: Deno.FsFile): FsFileHandle {
  return {
    write: (p) => now(() => file.writeSync(p)),
    read: (p) => now(() => file.readSync(p)),
    truncate: (len) => now(() => file.truncateSync(len)),
    // fsync waits for the disk (milliseconds, more on a busy one): it must not block the loop.
    sync: () => file.sync(),
    stat: () => now(() => file.statSync()),
    close: () => file.close(),
  };
}

/**
 * The real file system.
 *
 * Every call but fsync, directory listing and reading /etc/passwd is made synchronously: Deno
 * runs async file ops on a blocking thread pool, and handing one over costs more CPU than the
 * call itself. Measured with `bench/fs_ops.ts`: one atomic write (open, write, fsync, chmod,
 * rename, directory fsync) took 0.9–1.4 ms of CPU with async calls and 0.6 ms with only the two
 * fsyncs async. The calls are on local paths the sink has already
 * checked (a regular file, its directory, a temp file it creates): they take microseconds.
 *
 * Needs `--allow-read` and `--allow-write` for the target directories, and `--allow-read` for
 * /etc/passwd and /etc/group when owners are given by name.
 */
export const DENO_FS: FsAdapter = {
  lstat: (path) => now(() => Deno.lstatSync(path)),
  mkdir: (path, options) => now(() => Deno.mkdirSync(path, options)),
  open: (path, options) => now(() => handleOf(Deno.openSync(path, options))),
  chown: (path, uid, gid) => now(() => Deno.chownSync(path, uid, gid)),
  chmod: (path, mode) => now(() => Deno.chmodSync(path, mode)),
  rename: (from, to) => now(() => Deno.renameSync(from, to)),
  remove: (path) => now(() => Deno.removeSync(path)),
  readDir: (path) => Deno.readDir(path),
  readTextFile: (path) => Deno.readTextFile(path),
};
