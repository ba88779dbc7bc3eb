/**
 * An image-like root directory for tests: `await using root = await buildRoot()` holds only the
 * Deno executable, the shared libraries `ldd` lists for it, the program (`src/`, deno.json,
 * deno.lock) with its npm packages in a private DENO_DIR, `/etc/secrets-sync/`, an empty `/secrets`
 * owned by the unprivileged user and `/proc` (Docker always mounts one; Deno needs it to size the
 * main thread's stack). Commands then run under `chroot --userspec=UID:GID`, as the container image
 * runs the compiled binary: no shell, no package manager, no other file of the host.
 *
 * Large files (Deno itself, ~100 MB, and the npm cache) are hard-linked, not copied, when they are on
 * the same filesystem; `src/` is copied so that edits made meanwhile cannot change a running test.
 * Needs root (chroot, mount) and `--allow-all` in practice.
 *
 * @example
 * ```ts
 * if (await requireChroot(import.meta.url)) {
 *   await using root = await buildRoot();
 *   await using child = root.spawn(["version"], { env: {} });
 *   // (await child.status).code === 0
 * }
 * ```
 *
 * @module
 */
import { type CapturedProcess, spawnCaptured } from "./process.ts";
import { reportSkip, type SkipKind } from "./requires.ts";

const PROJECT = new URL("../../", import.meta.url).pathname;

/** UID and GID of `nobody`, which the test runs the program as. */
export const NOBODY = 65534;

/** Paths inside the root. */
export const ROOT_PATHS = {
  deno: "/deno",
  app: "/app",
  denoDir: "/deno-dir",
  config: "/etc/secrets-sync/config.yaml",
  secrets: "/secrets",
} as const;

/** Options of {@linkcode buildRoot}. */
export interface BuildRootOptions {
  /** The Deno executable to put into the root. @default Deno.execPath() */
  deno?: string;
  /** The project whose `src/`, deno.json and deno.lock are copied. @default this repository */
  projectDir?: string;
  /** Owner of `/secrets`. @default 65534 */
  uid?: number;
  gid?: number;
}

/** Options of {@linkcode Root.spawn}. */
export interface SpawnInRootOptions {
  /** The complete environment (DENO_DIR and NO_COLOR are added). */
  env: Record<string, string>;
  /** Deno permission flags. @default ["-P=sidecar"] */
  permissions?: string[];
}

/** A process running inside the root. */
export type RootProcess = CapturedProcess;

/** A built root directory; disposing unmounts `/proc` and removes the directory. */
export interface Root extends AsyncDisposable {
  /** The root directory on the host. */
  path: string;
  /** The host path of a path inside the root: `join("/secrets/db.env")`. */
  join(inside: string): string;
  /** Files the root holds outside /app, /deno-dir and /proc, relative, sorted. */
  listSystemFiles(): Promise<string[]>;
  /**
   * Runs `/deno run --config /app/deno.json <permissions> --cached-only --no-prompt
   * /app/src/main.ts <args>` under `chroot --userspec=UID:GID`.
   */
  spawn(args: string[], options: SpawnInRootOptions): RootProcess;
}

/** Where `chroot` is, or undefined. */
export function findChroot(): string | undefined {
  const path = (Deno.env.get("PATH") ?? "").split(":").filter(Boolean);
  for (const dir of [...path, "/usr/sbin", "/sbin", "/usr/bin", "/bin"]) {
    try {
      const candidate = `${dir}/chroot`;
      if (Deno.statSync(candidate).isFile) return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

/** Why chroot tests cannot run here: the skip kind, its detail, and the message as one line. */
interface ChrootBlocker {
  kind: SkipKind;
  detail: string;
  message: string;
}

async function chrootBlocker(): Promise<ChrootBlocker | undefined> {
  const blocker = (kind: SkipKind, detail: string, message: string) => ({ kind, detail, message });
  if (Deno.build.os !== "linux") {
    return blocker(
      "needs Linux",
      `this is ${Deno.build.os}`,
      `needs Linux, this is ${Deno.build.os}`,
    );
  }
  if (Deno.uid() !== 0) {
    return blocker(
      "needs root",
      `chroot and mount; running as uid ${Deno.uid()}`,
      `needs root (chroot and mount), running as uid ${Deno.uid()}`,
    );
  }
  if (!findChroot()) {
    return blocker(
      "missing tool: chroot",
      "apt-get install coreutils",
      "the chroot command is missing (Debian package coreutils)",
    );
  }
  if (!await succeeds("ldd", ["--version"])) {
    return blocker(
      "missing tool: ldd",
      "apt-get install libc-bin",
      "ldd is missing (Debian package libc-bin)",
    );
  }
  const probe = await Deno.makeTempDir({ prefix: "secrets-sync-proc-probe-" });
  try {
    const mount = await run("mount", ["-t", "proc", "proc", probe]);
    if (mount.code !== 0) {
      const message = `cannot mount /proc in a chroot: ${mount.stderr.trim()}`;
      // Root without CAP_SYS_ADMIN (a container): a privilege, not something to install.
      return blocker("needs root", `${message} (root with CAP_SYS_ADMIN)`, message);
    }
    await run("umount", [probe]);
    return undefined;
  } finally {
    if (!await isMountPoint(probe)) await Deno.remove(probe).catch(() => {});
  }
}

/**
 * Why chroot tests cannot run here, or undefined when they can: not root, no `chroot`, no `ldd`,
 * or `/proc` cannot be mounted (a container without CAP_SYS_ADMIN).
 */
export async function chrootUnavailable(): Promise<string | undefined> {
  return (await chrootBlocker())?.message;
}

/**
 * Whether the chroot tests can run here; when not, prints the one skip line for `test`
 * (`SKIP (needs root): …` or `SKIP (missing tool: chroot): …`, see requires.ts).
 */
export async function requireChroot(test: string | URL): Promise<boolean> {
  const blocker = await chrootBlocker();
  if (blocker === undefined) return true;
  reportSkip(blocker.kind, { test, skips: "the chroot tests", detail: blocker.detail });
  return false;
}

/** Builds the root. Always dispose it: `await using root = await buildRoot()`. */
export async function buildRoot(options: BuildRootOptions = {}): Promise<Root> {
  const {
    deno = Deno.execPath(),
    projectDir = PROJECT,
    uid = NOBODY,
    gid = uid,
  } = options;
  const path = await Deno.makeTempDir({ prefix: "secrets-sync-root-" });
  const join = (inside: string) => `${path}${inside.startsWith("/") ? "" : "/"}${inside}`;
  let procMounted = false;
  const dispose = async () => {
    if (procMounted || await isMountPoint(join("/proc"))) {
      const result = await run("umount", [join("/proc")]);
      if (result.code !== 0) await run("umount", ["-l", join("/proc")]);
    }
    // Never remove a tree with a filesystem still mounted in it.
    if (await isMountPoint(join("/proc"))) {
      throw new Error(`Cannot remove "${path}": /proc is still mounted in it`);
    }
    await Deno.remove(path, { recursive: true });
  };
  try {
    // makeTempDir creates 0700; the unprivileged user must traverse "/".
    await Deno.chmod(path, 0o755);
    for (const dir of ["/app", "/deno-dir", "/etc/secrets-sync", "/secrets", "/tmp", "/proc"]) {
      await Deno.mkdir(join(dir), { recursive: true });
    }
    // Like a read-only root filesystem: only /secrets is writable for the program.
    await Deno.chmod(join("/tmp"), 0o755);
    await Deno.chown(join("/secrets"), uid, gid);
    await Deno.chmod(join("/secrets"), 0o750);

    await linkOrCopy(deno, join(ROOT_PATHS.deno));
    for (const lib of await sharedLibraries(deno)) {
      await Deno.mkdir(join(dirname(lib)), { recursive: true });
      await linkOrCopy(await Deno.realPath(lib), join(lib));
    }

    await copyTree(`${projectDir}/src`, join("/app/src"));
    for (const name of ["deno.json", "deno.lock"]) {
      await Deno.copyFile(`${projectDir}/${name}`, join(`/app/${name}`));
    }
    const npmCache = await denoInfo(deno, "npmCache");
    await linkTree(npmCache, join("/deno-dir/npm"));

    const mount = await run("mount", ["-t", "proc", "proc", join("/proc")]);
    if (mount.code !== 0) throw new Error(`Cannot mount /proc: ${mount.stderr.trim()}`);
    procMounted = true;
  } catch (error) {
    await dispose().catch(() => {});
    throw error;
  }

  const chroot = findChroot() ?? "chroot";
  return {
    path,
    join,
    async listSystemFiles() {
      const found: string[] = [];
      const skip = new Set(["app", "deno-dir", "proc"]);
      const walk = async (dir: string, rel: string) => {
        for await (const entry of Deno.readDir(dir)) {
          const relPath = rel ? `${rel}/${entry.name}` : entry.name;
          if (!rel && skip.has(entry.name)) continue;
          if (entry.isDirectory) await walk(`${dir}/${entry.name}`, relPath);
          else found.push(relPath);
        }
      };
      await walk(path, "");
      return found.sort();
    },
    spawn(args, spawnOptions) {
      const { env, permissions = ["-P=sidecar"] } = spawnOptions;
      const argv = [
        `--userspec=${uid}:${gid}`,
        path,
        ROOT_PATHS.deno,
        "run",
        "--config",
        `${ROOT_PATHS.app}/deno.json`,
        ...permissions,
        "--cached-only",
        "--no-prompt",
        "--quiet",
        `${ROOT_PATHS.app}/src/main.ts`,
        ...args,
      ];
      return spawnProcess(chroot, argv, {
        DENO_DIR: ROOT_PATHS.denoDir,
        NO_COLOR: "1",
        ...env,
      });
    },
    async [Symbol.asyncDispose]() {
      await dispose();
    },
  };
}

/** The libraries `ldd` lists for `binary`, as the absolute paths the loader will open. */
export async function sharedLibraries(binary: string): Promise<string[]> {
  const result = await run("ldd", [binary]);
  if (result.code !== 0) throw new Error(`Cannot list libraries of "${binary}": ${result.stderr}`);
  return parseLdd(result.stdout);
}

/** Parses `ldd` output: `libc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x…)` and `/lib64/ld…`. */
export function parseLdd(output: string): string[] {
  const libs: string[] = [];
  for (const line of output.split("\n")) {
    const m = /(?:=>\s*)?(\/\S+)\s+\(0x[0-9a-f]+\)/.exec(line);
    if (m?.[1] && !libs.includes(m[1])) libs.push(m[1]);
  }
  return libs;
}

function dirname(path: string): string {
  return path.slice(0, path.lastIndexOf("/")) || "/";
}

async function denoInfo(deno: string, key: "npmCache" | "denoDir"): Promise<string> {
  const result = await run(deno, ["info", "--json"]);
  const value = JSON.parse(result.stdout)[key];
  if (typeof value !== "string") throw new Error(`deno info --json has no ${key}`);
  return value;
}

/** Hard-links `from` to `to`, copying when they are on different filesystems. */
async function linkOrCopy(from: string, to: string): Promise<void> {
  try {
    await Deno.link(from, to);
  } catch {
    await Deno.copyFile(from, to);
  }
}

/** Recreates the tree `from` at `to` with hard links (copies across filesystems). */
async function linkTree(from: string, to: string): Promise<void> {
  await Deno.mkdir(to, { recursive: true });
  for await (const entry of Deno.readDir(from)) {
    const src = `${from}/${entry.name}`;
    const dst = `${to}/${entry.name}`;
    if (entry.isDirectory) await linkTree(src, dst);
    else if (entry.isFile) await linkOrCopy(src, dst);
    else if (entry.isSymlink) await Deno.symlink(await Deno.readLink(src), dst);
  }
}

/** Copies the tree `from` to `to` (regular files and directories). */
async function copyTree(from: string, to: string): Promise<void> {
  await Deno.mkdir(to, { recursive: true });
  for await (const entry of Deno.readDir(from)) {
    const src = `${from}/${entry.name}`;
    const dst = `${to}/${entry.name}`;
    if (entry.isDirectory) await copyTree(src, dst);
    else if (entry.isFile) await Deno.copyFile(src, dst);
  }
}

async function isMountPoint(path: string): Promise<boolean> {
  const mounts = await Deno.readTextFile("/proc/self/mounts").catch(() => "");
  return mounts.split("\n").some((line) => line.split(" ")[1] === path);
}

interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

async function run(command: string, args: string[]): Promise<RunResult> {
  try {
    const out = await new Deno.Command(command, { args, stdin: "null" }).output();
    const decode = (bytes: Uint8Array) => new TextDecoder().decode(bytes);
    return { code: out.code, stdout: decode(out.stdout), stderr: decode(out.stderr) };
  } catch (error) {
    return {
      code: 127,
      stdout: "",
      stderr: error instanceof Error ? error.message : String(error),
    };
  }
}

async function succeeds(command: string, args: string[]): Promise<boolean> {
  return (await run(command, args)).code === 0;
}

function spawnProcess(command: string, args: string[], env: Record<string, string>): RootProcess {
  return spawnCaptured(command, { args, env, timeoutMs: 20_000 });
}
