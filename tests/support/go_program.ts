/**
 * Builds the small Go programs under tests/support/ that tests use as oracles (the template
 * oracle, the metrics linter) and caches each in `.cache/go/<name>-<hash>/<name>`, where the hash
 * covers the program's sources and the Go toolchain. Parallel test processes share one build:
 * a lock file per hash, and each build goes to a temp name renamed into place, so nobody runs a
 * half-written binary.
 *
 * @example
 * ```ts
 * import { buildGoProgram } from "./go_program.ts";
 * const bin = await buildGoProgram("promlint"); // "/…/.cache/go/promlint-3f2a…/promlint"
 * ```
 *
 * @module
 */

const SUPPORT_DIR = new URL(".", import.meta.url).pathname;
const REPO_ROOT = new URL("../../", import.meta.url).pathname;
const LOCK_STALE_MS = 10 * 60_000;

/** Options for {@linkcode buildGoProgram}. */
export interface BuildGoProgramOptions {
  /** Where builds are cached. @default "<repo>/.cache/go" */
  cacheDir?: string;
  /** Aborts a running `go build` or the wait for another process's build. */
  signal?: AbortSignal;
}

/** `go` is not on PATH, so a Go helper cannot be built. */
export class GoMissingError extends Error {
  override name = "GoMissingError";
  constructor(readonly program: string, options?: ErrorOptions) {
    super(`Cannot build "${program}": go is not on PATH (install Go: https://go.dev/dl/)`, options);
  }
}

/** `go build` failed; `output` holds Go's own message. */
export class GoBuildError extends Error {
  override name = "GoBuildError";
  constructor(readonly program: string, readonly output: string, options?: ErrorOptions) {
    super(`Cannot build "${program}": go build failed\n${output}`, options);
  }
}

/** The Go toolchain version (`go1.26.8`), or undefined when `go` is not on PATH. */
export async function goVersion(): Promise<string | undefined> {
  try {
    const out = await new Deno.Command("go", {
      args: ["env", "GOVERSION"],
      stdin: "null",
      stdout: "piped",
      stderr: "null",
    }).output();
    return out.success ? new TextDecoder().decode(out.stdout).trim() : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Builds (or reuses) `tests/support/<name>` and returns the binary's absolute path.
 *
 * Needs --allow-read, --allow-write (the cache) and --allow-run (go).
 * @throws {GoMissingError} when `go` is not on PATH
 * @throws {GoBuildError} when `go build` fails
 */
export async function buildGoProgram(
  name: string,
  options: BuildGoProgramOptions = {},
): Promise<string> {
  const { cacheDir = `${REPO_ROOT}.cache/go`, signal } = options;
  if (!/^[a-z0-9_-]+$/.test(name)) throw new RangeError(`Invalid Go program name: "${name}"`);
  signal?.throwIfAborted();
  const version = await goVersion();
  if (version === undefined) throw new GoMissingError(name);
  const sourceDir = `${SUPPORT_DIR}${name}`;
  const dir = `${cacheDir}/${name}-${await sourceHash(sourceDir, version)}`;
  const binary = `${dir}/${name}`;
  if (await isFile(binary)) return binary;

  await Deno.mkdir(dir, { recursive: true });
  // One build per hash at a time: parallel test processes on a cold module cache would otherwise
  // each download and compile the same modules.
  const release = await acquireLock(`${dir}/.build.lock`, binary, signal);
  if (release === "built") return binary;
  try {
    if (await isFile(binary)) return binary; // finished while we waited for the lock
    const temp = `${dir}/.${name}-${Deno.pid}-${crypto.randomUUID()}`;
    await compile(name, { sourceDir, temp, binary, signal });
    return binary;
  } finally {
    await release();
  }
}

interface CompileOptions {
  sourceDir: string;
  /** Where `go build` writes, renamed to `binary` once complete. */
  temp: string;
  binary: string;
  signal: AbortSignal | undefined;
}

async function compile(name: string, options: CompileOptions): Promise<void> {
  const { sourceDir, temp, binary, signal } = options;
  const output = await new Deno.Command("go", {
    // No VCS stamping: a fresh clone owned by another user makes git, and so the build, fail.
    args: ["build", "-trimpath", "-buildvcs=false", "-o", temp, "."],
    cwd: sourceDir,
    env: { CGO_ENABLED: "0" },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
    ...(signal ? { signal } : {}),
  }).output().catch((error) => {
    signal?.throwIfAborted();
    throw error;
  });
  if (!output.success) {
    signal?.throwIfAborted();
    await Deno.remove(temp).catch(() => {});
    const decoder = new TextDecoder();
    throw new GoBuildError(
      name,
      (decoder.decode(output.stderr) + decoder.decode(output.stdout)).trim(),
    );
  }
  await Deno.rename(temp, binary);
}

/**
 * Takes the build lock, or returns "built" once another process has produced the binary.
 * A lock whose owner process is gone (or older than 10 minutes) is broken.
 */
async function acquireLock(
  lock: string,
  binary: string,
  signal: AbortSignal | undefined,
): Promise<"built" | (() => Promise<void>)> {
  const deadline = Date.now() + LOCK_STALE_MS;
  while (true) {
    signal?.throwIfAborted();
    try {
      await Deno.writeTextFile(lock, String(Deno.pid), { createNew: true });
      return () => Deno.remove(lock).catch(() => {});
    } catch (error) {
      if (!(error instanceof Deno.errors.AlreadyExists)) throw error;
    }
    if (await isFile(binary)) return "built";
    const owner = Number(await Deno.readTextFile(lock).catch(() => ""));
    const ownerAlive = owner > 0 && await exists(`/proc/${owner}`);
    if (!ownerAlive || Date.now() > deadline) {
      await Deno.remove(lock).catch(() => {});
      continue;
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/** Hashes every source file (name and bytes, tests excluded), the Go version and the target. */
async function sourceHash(dir: string, version: string): Promise<string> {
  const names: string[] = [];
  for await (const entry of Deno.readDir(dir)) {
    if (entry.isFile && /\.(go|mod|sum)$/.test(entry.name) && !entry.name.endsWith("_test.go")) {
      names.push(entry.name);
    }
  }
  names.sort();
  const encoder = new TextEncoder();
  const parts: Uint8Array[] = [encoder.encode(`${version}\n${Deno.build.target}\n`)];
  for (const name of names) {
    parts.push(encoder.encode(`${name}\n`), await Deno.readFile(`${dir}/${name}`));
  }
  const all = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const p of parts) {
    all.set(p, offset);
    offset += p.length;
  }
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", all));
  return Array.from(digest.slice(0, 12), (b) => b.toString(16).padStart(2, "0")).join("");
}

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch {
    return false;
  }
}

async function isFile(path: string): Promise<boolean> {
  try {
    return (await Deno.stat(path)).isFile;
  } catch {
    return false;
  }
}
