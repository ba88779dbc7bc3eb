/**
 * Runs the sidecar as users do — `deno run -P=sidecar src/main.ts …`, the permission set from
 * deno.json — and captures its output for tests.
 *
 * @module
 */

const ROOT = new URL("../../", import.meta.url).pathname;
const MAIN = `${ROOT}src/main.ts`;

/** Options of {@linkcode startSidecar}. */
export interface StartSidecarOptions {
  /** Arguments after `src/main.ts`, e.g. `["run", "--config", path]`. */
  args: string[];
  /** Environment of the child (added to a minimal one: PATH, HOME, NO_COLOR). */
  env?: Record<string, string>;
  /** Deno permission flags. @default ["-P=sidecar"] */
  permissions?: string[];
}

/** A running sidecar process. */
export interface Sidecar extends AsyncDisposable {
  pid: number;
  /** Everything written to stdout so far. */
  stdout(): string;
  /** Everything written to stderr so far. */
  stderr(): string;
  /** stdout parsed as JSON lines (lines that are not JSON are skipped). */
  logs(): Array<Record<string, unknown>>;
  /** Sends a signal. */
  kill(signal?: Deno.Signal): void;
  /** Resolves with the exit code. */
  status: Promise<Deno.CommandStatus>;
  /** Waits until `predicate` holds (polled), or throws after `timeoutMs`. */
  waitFor(
    predicate: () => boolean | Promise<boolean>,
    what: string,
    timeoutMs?: number,
  ): Promise<void>;
}

/** Starts the sidecar. Always kill it: `await using sidecar = startSidecar(…)`. */
export function startSidecar(options: StartSidecarOptions): Sidecar {
  const { args, env = {}, permissions = ["-P=sidecar"] } = options;
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "--quiet", "--no-prompt", ...permissions, MAIN, ...args],
    cwd: ROOT,
    clearEnv: true,
    env: {
      PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin",
      HOME: Deno.env.get("HOME") ?? "/root",
      NO_COLOR: "1",
      ...(Deno.env.get("DENO_DIR") ? { DENO_DIR: Deno.env.get("DENO_DIR")! } : {}),
      ...env,
    },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  let out = "";
  let err = "";
  const decoder = () => new TextDecoderStream();
  const pumpOut = child.stdout.pipeThrough(decoder()).pipeTo(
    new WritableStream({ write: (chunk) => void (out += chunk) }),
  ).catch(() => {});
  const pumpErr = child.stderr.pipeThrough(decoder()).pipeTo(
    new WritableStream({ write: (chunk) => void (err += chunk) }),
  ).catch(() => {});
  const status = child.status.then(async (s) => {
    await Promise.all([pumpOut, pumpErr]);
    return s;
  });
  let exited = false;
  status.then(() => exited = true);
  return {
    pid: child.pid,
    stdout: () => out,
    stderr: () => err,
    logs: () =>
      out.split("\n").flatMap((line) => {
        try {
          const value = JSON.parse(line);
          return value && typeof value === "object" ? [value] : [];
        } catch {
          return [];
        }
      }),
    kill: (signal: Deno.Signal = "SIGTERM") => {
      if (!exited) {
        try {
          child.kill(signal);
        } catch {
          // already gone
        }
      }
    },
    status,
    async waitFor(predicate, what, timeoutMs = 15_000) {
      const end = Date.now() + timeoutMs;
      while (Date.now() < end) {
        if (await predicate()) return;
        if (exited) break;
        await new Promise((r) => setTimeout(r, 25));
      }
      if (await predicate()) return;
      throw new Error(
        `Timed out waiting for ${what}${exited ? " (sidecar exited)" : ""}\n--- stdout\n${
          out.slice(-4000)
        }\n--- stderr\n${err.slice(-4000)}`,
      );
    },
    async [Symbol.asyncDispose]() {
      if (!exited) {
        try {
          child.kill("SIGKILL");
        } catch {
          // already gone
        }
      }
      await status;
    },
  };
}

/** Reads a file, or undefined when it does not exist. */
export async function readIfExists(path: string): Promise<string | undefined> {
  try {
    return await Deno.readTextFile(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return undefined;
    throw error;
  }
}
