/**
 * What a test needs from the machine (a tool, root) and the one line printed when it is skipped
 * for lack of it, so every such skip looks the same and `.ci/run` can fail on a missing tool:
 *
 * ```text
 * SKIP (missing tool: systemd-analyze): tests/integration/deploy_files_test.ts: the systemd unit checks; apt-get install systemd
 * SKIP (needs root): tests/sink/file_sink_test.ts: the chown tests; running as uid 1000
 * ```
 *
 * Call these at the top of a test file and pass the result to `Deno.test`'s `ignore`.
 *
 * @example
 * ```ts
 * import { requireTool } from "../support/requires.ts";
 * const systemdAnalyze = await requireTool("systemd-analyze", {
 *   test: import.meta.url,
 *   skips: "the systemd unit checks",
 *   install: "apt-get install systemd",
 * });
 * Deno.test({ name: "…", ignore: !systemdAnalyze, fn() {} });
 * ```
 *
 * @module
 */

const REPO_ROOT = new URL("../../", import.meta.url).pathname;

/** Why a test is skipped. `.ci/run` fails on `missing tool`; the others it cannot fix. */
export type SkipKind = `missing tool: ${string}` | "needs root" | "needs Linux";

/** Options shared by the `require*` functions and {@linkcode reportSkip}. */
export interface RequireOptions {
  /** The test file; pass `import.meta.url`. */
  test: string | URL;
  /** What is skipped without it, e.g. "the systemd unit checks". */
  skips: string;
}

/** Options for {@linkcode requireTool}. */
export interface RequireToolOptions extends RequireOptions {
  /** How to get the tool, e.g. "apt-get install systemd". */
  install: string;
  /** Arguments with which a working tool exits 0. @default ["--version"] */
  args?: string[];
}

/** Options for {@linkcode reportSkip}. */
export interface ReportSkipOptions extends RequireOptions {
  /** What to do about it, or why. */
  detail: string;
}

/** Whether `command args…` runs and exits 0 (output discarded). Needs --allow-run. */
export async function toolWorks(command: string, args: string[]): Promise<boolean> {
  try {
    const out = await new Deno.Command(command, {
      args,
      stdin: "null",
      stdout: "null",
      stderr: "null",
    }).output();
    return out.success;
  } catch {
    return false;
  }
}

/** Prints the one skip line to stderr. */
export function reportSkip(kind: SkipKind, options: ReportSkipOptions): void {
  const { test, skips, detail } = options;
  console.error(`SKIP (${kind}): ${testPath(test)}: ${skips}; ${detail}`);
}

/**
 * Whether the tool works (`name --version` exits 0); prints the skip line when it does not.
 * Needs --allow-run.
 */
export async function requireTool(name: string, options: RequireToolOptions): Promise<boolean> {
  const { install, args = ["--version"], ...rest } = options;
  if (await toolWorks(name, args)) return true;
  reportSkip(`missing tool: ${name}`, { ...rest, detail: install });
  return false;
}

/** Whether this process runs as root; prints the skip line when it does not. */
export function requireRoot(options: RequireOptions): boolean {
  const uid = Deno.uid();
  if (uid === 0) return true;
  reportSkip("needs root", { ...options, detail: `running as uid ${uid ?? "unknown"}` });
  return false;
}

/** The test file relative to the repository, as `deno test` names it. */
function testPath(test: string | URL): string {
  const path = test instanceof URL || test.startsWith("file:") ? new URL(test).pathname : test;
  return path.startsWith(REPO_ROOT) ? path.slice(REPO_ROOT.length) : path;
}
