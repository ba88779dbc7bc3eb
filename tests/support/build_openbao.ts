/**
 * Finds the real OpenBao `bao` binary (server and agent) the integration tests, the demo and the
 * benchmarks run, building and caching it when needed.
 *
 * Resolution order, first hit wins:
 * 1. `OPENBAO_BIN`;
 * 2. a `bao` on PATH whose `bao version` is OpenBao 2.6 or newer;
 * 3. the newest build cached in `.cache/openbao/` (`OPENBAO_CACHE_DIR` moves it);
 * 4. the team's source build, `shared/openbao/build.sh` (looked for beside the repository and in
 *    each parent directory, or at `OPENBAO_SOURCE_DIR/build.sh`), cached in `.cache/openbao/`;
 * 5. `go build` of the OpenBao Go module at one exact commit (tests/support/openbao), for machines
 *    whose module proxy serves it;
 * 6. otherwise an error naming these ways.
 *
 * Run as `deno task openbao-bin`: prints how it found the binary and its version on stderr, and
 * the binary's absolute path as the last line of stdout.
 *
 * @example
 * ```ts
 * import { openBaoBinary } from "./build_openbao.ts";
 * const bao = await openBaoBinary(); // "/…/.cache/openbao/3f2a…/bao"
 * ```
 *
 * @module
 */

import { goVersion } from "./go_program.ts";

const SUPPORT_DIR = new URL(".", import.meta.url).pathname;
const REPO_ROOT = new URL("../../", import.meta.url).pathname.replace(/\/$/, "");

/** The OpenBao release the tests are pinned to: tag v2.6.2 of github.com/openbao/openbao. */
export const OPENBAO_VERSION = "2.6.2";
/** The commit of tag v2.6.2, for the Go-module build. */
export const OPENBAO_COMMIT = "dd9c19c37a878cf4a81b18efb8d6f0599c7da923";

function cacheRoot(): string {
  return Deno.env.get("OPENBAO_CACHE_DIR") || `${REPO_ROOT}/.cache/openbao`;
}

/** How {@linkcode resolveOpenBao} found the binary. */
export type OpenBaoSource = "OPENBAO_BIN" | "PATH" | "cache" | "build.sh" | "go module";

/** A resolved binary. */
export interface ResolvedOpenBao {
  path: string;
  /** e.g. "2.6.2" */
  version: string;
  source: OpenBaoSource;
}

/** No way to get a `bao` worked; the message names every way tried. */
export class OpenBaoBuildError extends Error {
  override name = "OpenBaoBuildError";
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
  }
}

/** Options for {@linkcode resolveOpenBao}. */
export interface ResolveOpenBaoOptions {
  /** Aborts a running build. */
  signal?: AbortSignal;
}

const versions = new Map<string, Promise<string>>();

/**
 * The version `bao version` of this binary prints, e.g. "2.6.2" (memoised per path).
 * @throws {OpenBaoBuildError} when the binary does not run or is not OpenBao
 */
export function openBaoVersion(binary: string): Promise<string> {
  let version = versions.get(binary);
  if (!version) {
    version = readVersion(binary);
    versions.set(binary, version);
    version.catch(() => versions.delete(binary));
  }
  return version;
}

async function readVersion(binary: string): Promise<string> {
  let text: string;
  try {
    const out = await new Deno.Command(binary, {
      args: ["version"],
      stdout: "piped",
      stderr: "piped",
      stdin: "null",
      env: { NO_COLOR: "1" },
    }).output();
    text = new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
  } catch (error) {
    throw new OpenBaoBuildError(`Cannot run "${binary} version": ${String(error)}`, {
      cause: error,
    });
  }
  const m = /OpenBao v(\d+\.\d+\.\d+\S*)/.exec(text);
  if (!m?.[1]) {
    throw new OpenBaoBuildError(
      `"${binary} version" does not name an OpenBao release: ${JSON.stringify(text.trim())}`,
    );
  }
  return m[1];
}

function atLeast26(version: string): boolean {
  const [major = 0, minor = 0] = version.split(".").map((p) => parseInt(p, 10));
  return major > 2 || (major === 2 && minor >= 6);
}

/** Returns the path of the `bao` binary for tests (see the module doc for the order). */
export async function openBaoBinary(options: ResolveOpenBaoOptions = {}): Promise<string> {
  return (await resolveOpenBao(options)).path;
}

let resolved: Promise<ResolvedOpenBao> | undefined;

/**
 * Resolves the binary once per process.
 *
 * Needs --allow-env, --allow-read, --allow-run, and --allow-write (.cache/) to build.
 * @throws {OpenBaoBuildError} when no way produced a working OpenBao 2.6+
 */
export function resolveOpenBao(options: ResolveOpenBaoOptions = {}): Promise<ResolvedOpenBao> {
  if (!resolved) {
    resolved = findOpenBao(options);
    resolved.catch(() => (resolved = undefined));
  }
  return resolved;
}

async function findOpenBao({ signal }: ResolveOpenBaoOptions): Promise<ResolvedOpenBao> {
  const tried: string[] = [];
  const fromEnv = Deno.env.get("OPENBAO_BIN");
  if (fromEnv) {
    return { path: fromEnv, version: await openBaoVersion(fromEnv), source: "OPENBAO_BIN" };
  }
  tried.push("OPENBAO_BIN is not set");

  const onPath = await whichBao();
  if (onPath) {
    const version = await openBaoVersion(onPath).catch(() => "");
    if (version && atLeast26(version)) return { path: onPath, version, source: "PATH" };
    tried.push(`"${onPath}" on PATH is ${version ? `OpenBao ${version}` : "not OpenBao"}`);
  } else tried.push("no bao on PATH");

  const cached = await findCached();
  if (cached) return { path: cached, version: await openBaoVersion(cached), source: "cache" };
  tried.push(`no build cached in ${cacheRoot()}`);

  const buildScript = await findBuildScript();
  if (buildScript) {
    const path = await runBuildScript(buildScript, signal);
    return { path, version: await openBaoVersion(path), source: "build.sh" };
  }
  tried.push(
    Deno.env.get("OPENBAO_SOURCE_DIR")
      ? `no build.sh in OPENBAO_SOURCE_DIR=${Deno.env.get("OPENBAO_SOURCE_DIR")}`
      : `no shared/openbao/build.sh beside ${REPO_ROOT} or above it`,
  );

  if (await goVersion() !== undefined) {
    const path = await buildFromModule(signal);
    return { path, version: await openBaoVersion(path), source: "go module" };
  }
  tried.push("go is not on PATH");
  throw new OpenBaoBuildError(
    "Cannot find OpenBao 2.6+ (the real `bao` the integration tests run): " + tried.join("; ") +
      ". Set OPENBAO_BIN=/path/to/bao, put OpenBao 2.6 or newer on PATH, provide " +
      "shared/openbao/build.sh (or OPENBAO_SOURCE_DIR), or install Go so that " +
      `tests/support/openbao builds github.com/openbao/openbao@${OPENBAO_COMMIT.slice(0, 12)}`,
  );
}

async function whichBao(): Promise<string | undefined> {
  for (const dir of (Deno.env.get("PATH") ?? "").split(":")) {
    if (!dir) continue;
    const path = `${dir}/bao`;
    try {
      const info = await Deno.stat(path);
      if (info.isFile && ((info.mode ?? 0) & 0o111) !== 0) return path;
    } catch {
      // not here
    }
  }
  return undefined;
}

async function findBuildScript(): Promise<string | undefined> {
  const explicit = Deno.env.get("OPENBAO_SOURCE_DIR");
  if (explicit) {
    const script = `${explicit.replace(/\/$/, "")}/build.sh`;
    return await isFile(script) ? script : undefined;
  }
  let dir = REPO_ROOT;
  while (dir) {
    dir = dir.slice(0, dir.lastIndexOf("/"));
    const candidate = `${dir}/shared/openbao/build.sh`;
    if (await isFile(candidate)) return candidate;
  }
  return undefined;
}

async function runBuildScript(script: string, signal?: AbortSignal): Promise<string> {
  await Deno.mkdir(cacheRoot(), { recursive: true });
  const out = await new Deno.Command("bash", {
    args: [script, cacheRoot()],
    stdout: "piped",
    stderr: "inherit",
    stdin: "null",
    ...(signal ? { signal } : {}),
  }).output();
  const lines = new TextDecoder().decode(out.stdout).trim().split("\n");
  const path = lines.at(-1) ?? "";
  if (!out.success || !path.startsWith("/")) {
    throw new OpenBaoBuildError(`Cannot build OpenBao with "${script}": exit ${out.code}`);
  }
  return path;
}

/** A binary a previous build left in the cache (newest first), if it runs. */
async function findCached(): Promise<string | undefined> {
  const found: { path: string; mtime: number }[] = [];
  try {
    for await (const entry of Deno.readDir(cacheRoot())) {
      if (!entry.isDirectory) continue;
      const path = `${cacheRoot()}/${entry.name}/bao`;
      try {
        const info = await Deno.stat(path);
        if (info.isFile) found.push({ path, mtime: info.mtime?.getTime() ?? 0 });
      } catch {
        // no binary in this entry
      }
    }
  } catch {
    return undefined;
  }
  found.sort((a, b) => b.mtime - a.mtime);
  for (const { path } of found) {
    const version = await openBaoVersion(path).catch(() => "");
    if (version && atLeast26(version)) return path;
  }
  return undefined;
}

/**
 * `go build` of github.com/openbao/openbao at {@linkcode OPENBAO_COMMIT} from the module proxy,
 * in a copy of tests/support/openbao, cached under `.cache/openbao/module-<commit>/bao`.
 */
async function buildFromModule(signal?: AbortSignal): Promise<string> {
  const dir = `${cacheRoot()}/module-${OPENBAO_COMMIT.slice(0, 12)}`;
  const binary = `${dir}/bao`;
  if (await isFile(binary)) return binary;
  const work = `${dir}/src-${Deno.pid}`;
  await Deno.mkdir(work, { recursive: true });
  try {
    for (const name of ["main.go", "go.mod"]) {
      await Deno.copyFile(`${SUPPORT_DIR}openbao/${name}`, `${work}/${name}`);
    }
    const go = async (...args: string[]) => {
      const out = await new Deno.Command("go", {
        args,
        cwd: work,
        env: { CGO_ENABLED: "0", GOFLAGS: "-mod=mod" },
        stdout: "piped",
        stderr: "piped",
        stdin: "null",
        ...(signal ? { signal } : {}),
      }).output();
      if (!out.success) {
        throw new OpenBaoBuildError(
          `Cannot build OpenBao from its Go module: go ${args.join(" ")} failed\n` +
            new TextDecoder().decode(out.stderr).trim(),
        );
      }
    };
    await go("get", `github.com/openbao/openbao@${OPENBAO_COMMIT}`);
    await go("mod", "tidy");
    const temp = `${dir}/.bao-${Deno.pid}`;
    await go(
      "build",
      "-trimpath",
      "-ldflags",
      `-s -w -X github.com/openbao/openbao/version.fullVersion=${OPENBAO_VERSION}`,
      "-o",
      temp,
      ".",
    );
    await Deno.rename(temp, binary);
    return binary;
  } finally {
    await Deno.remove(work, { recursive: true }).catch(() => {});
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
    const found = await resolveOpenBao();
    console.error(
      `bao: OpenBao v${found.version} from ${found.source} in ${
        Math.round(performance.now() - started)
      } ms`,
    );
    console.log(found.path);
  } catch (error) {
    console.error(error instanceof Error ? error.message : String(error));
    Deno.exitCode = 1;
  }
}
