/**
 * Builds the `bao` binary the integration tests run, and caches it.
 *
 * By default this is devbao (tests/support/devbao): a standard-library-only Go server that
 * follows OpenBao's HTTP API, used while the real OpenBao module cannot be fetched. With
 * `OPENBAO_REAL=1` it builds the real server from tests/support/openbao instead. The binary
 * lands in `.cache/openbao/<hash of the sources>/bao` and is reused while the sources are
 * unchanged (`OPENBAO_CACHE_DIR` moves the cache). `OPENBAO_BIN` points tests at a prebuilt
 * binary and skips building.
 *
 * Run as `deno task openbao-bin`: prints the binary's absolute path as the last line.
 *
 * @example
 * ```ts
 * import { openBaoBinary } from "./build_openbao.ts";
 * const bao = await openBaoBinary(); // "/…/.cache/openbao/3f2a…/bao"
 * ```
 *
 * @module
 */

const SUPPORT_DIR = new URL(".", import.meta.url).pathname;
const REPO_ROOT = new URL("../../", import.meta.url).pathname;

function cacheRoot(): string {
  return Deno.env.get("OPENBAO_CACHE_DIR") || `${REPO_ROOT}.cache/openbao`;
}

/** Which server a build produces. */
export type OpenBaoFlavour = "devbao" | "real";

/** Options for {@linkcode buildOpenBao}. */
export interface BuildOpenBaoOptions {
  /** Which sources to build. @default "devbao", or "real" when env OPENBAO_REAL=1 */
  flavour?: OpenBaoFlavour;
  /** Aborts a running `go build`. */
  signal?: AbortSignal;
}

/** `go build` failed; `output` holds Go's own message. */
export class OpenBaoBuildError extends Error {
  override name = "OpenBaoBuildError";
  constructor(readonly flavour: OpenBaoFlavour, readonly output: string, options?: ErrorOptions) {
    super(
      `Cannot build ${flavour === "real" ? "OpenBao" : "devbao"}: go build failed\n${output}`,
      options,
    );
  }
}

function defaultFlavour(): OpenBaoFlavour {
  return Deno.env.get("OPENBAO_REAL") === "1" ? "real" : "devbao";
}

/**
 * Returns the `bao` binary for tests: `OPENBAO_BIN` if set, else a cached build.
 *
 * Needs --allow-env, --allow-read, --allow-write (.cache/) and --allow-run (go).
 * @throws {OpenBaoBuildError} when `go build` fails
 */
export async function openBaoBinary(options: BuildOpenBaoOptions = {}): Promise<string> {
  const fromEnv = Deno.env.get("OPENBAO_BIN");
  if (fromEnv) return fromEnv;
  return await buildOpenBao(options);
}

/**
 * Builds (or reuses) the binary and returns its absolute path.
 *
 * Several test processes may race here: each builds into its own temp name and renames it
 * into place, so a reader never sees a half-written binary.
 * @throws {OpenBaoBuildError} when `go build` fails
 */
export async function buildOpenBao(options: BuildOpenBaoOptions = {}): Promise<string> {
  const { flavour = defaultFlavour(), signal } = options;
  signal?.throwIfAborted();
  const sourceDir = `${SUPPORT_DIR}${flavour === "real" ? "openbao" : "devbao"}`;
  const hash = await sourceHash(sourceDir);
  const dir = `${cacheRoot()}/${flavour === "real" ? "real-" : ""}${hash}`;
  const binary = `${dir}/bao`;
  if (await isFile(binary)) return binary;

  await Deno.mkdir(dir, { recursive: true });
  // One build at a time per source hash: parallel test processes on a cold Go cache would
  // otherwise each compile the standard library. The temp-and-rename below keeps readers
  // safe even if a stale lock is broken.
  const release = await acquireLock(`${dir}/.build.lock`, binary, signal);
  if (release === "built") return binary;
  try {
    if (await isFile(binary)) return binary; // finished while we waited for the lock
    return await compile(flavour, sourceDir, dir, binary, signal);
  } finally {
    await release();
  }
}

async function compile(
  flavour: OpenBaoFlavour,
  sourceDir: string,
  dir: string,
  binary: string,
  signal: AbortSignal | undefined,
): Promise<string> {
  const temp = `${dir}/.bao-${Deno.pid}-${crypto.randomUUID()}`;
  if ((await goVersion()) === "go-unknown") {
    throw new OpenBaoBuildError(
      flavour,
      "Go was not found on PATH. The test server is built from Go sources: install Go " +
        "(https://go.dev/dl/), or set OPENBAO_BIN=/path/to/bao to use a server binary you have.",
    );
  }
  const output = await new Deno.Command("go", {
    args: ["build", "-trimpath", "-ldflags", "-s -w", "-o", temp, "."],
    cwd: sourceDir,
    env: { CGO_ENABLED: "0" },
    stdout: "piped",
    stderr: "piped",
    stdin: "null",
    ...(signal ? { signal } : {}),
  }).output().catch((error) => {
    signal?.throwIfAborted();
    throw error;
  });
  if (!output.success) {
    signal?.throwIfAborted();
    await Deno.remove(temp).catch(() => {});
    const text = new TextDecoder().decode(output.stderr) + new TextDecoder().decode(output.stdout);
    throw new OpenBaoBuildError(flavour, text.trim());
  }
  await Deno.rename(temp, binary);
  return binary;
}

const LOCK_STALE_MS = 10 * 60_000;

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

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch {
    return false;
  }
}

/** Hashes every source file (name and bytes) plus the Go toolchain version. */
async function sourceHash(dir: string): Promise<string> {
  const names: string[] = [];
  for await (const entry of Deno.readDir(dir)) {
    if (entry.isFile && /\.(go|mod|sum)$/.test(entry.name) && !entry.name.endsWith("_test.go")) {
      names.push(entry.name);
    }
  }
  names.sort();
  const encoder = new TextEncoder();
  const parts: Uint8Array[] = [encoder.encode(`${await goVersion()}\n${Deno.build.target}\n`)];
  for (const name of names) {
    parts.push(encoder.encode(`${name}\n`), await Deno.readFile(`${dir}/${name}`));
  }
  const total = parts.reduce((n, p) => n + p.length, 0);
  const all = new Uint8Array(total);
  let offset = 0;
  for (const p of parts) {
    all.set(p, offset);
    offset += p.length;
  }
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", all));
  return Array.from(digest.slice(0, 12), (b) => b.toString(16).padStart(2, "0")).join("");
}

async function goVersion(): Promise<string> {
  try {
    const out = await new Deno.Command("go", {
      args: ["env", "GOVERSION"],
      stdout: "piped",
      stderr: "null",
    }).output();
    return out.success ? new TextDecoder().decode(out.stdout).trim() : "go-unknown";
  } catch {
    return "go-unknown"; // no Go: a binary cached earlier can still be used
  }
}

async function isFile(path: string): Promise<boolean> {
  try {
    return (await Deno.stat(path)).isFile;
  } catch {
    return false;
  }
}

if (import.meta.main) {
  try {
    const started = performance.now();
    const binary = await openBaoBinary();
    console.error(`bao ready in ${Math.round(performance.now() - started)} ms`);
    console.log(binary);
  } catch (error) {
    console.error(error instanceof Error ? error.message : String(error));
    Deno.exitCode = 1;
  }
}
