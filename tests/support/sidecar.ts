/**
 * Runs the sidecar as users do — `deno run -P=sidecar src/main.ts …`, the permission set from
 * deno.json — and captures its output for tests.
 *
 * @module
 */
import { type CapturedProcess, spawnCaptured } from "./process.ts";

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
export interface Sidecar extends CapturedProcess {
  /** stdout parsed as JSON lines (lines that are not JSON are skipped). */
  logs(): Array<Record<string, unknown>>;
}

/** Starts the sidecar. Always kill it: `await using sidecar = startSidecar(…)`. */
export function startSidecar(options: StartSidecarOptions): Sidecar {
  const { args, env = {}, permissions = ["-P=sidecar"] } = options;
  const process = spawnCaptured(Deno.execPath(), {
    args: ["run", "--quiet", "--no-prompt", ...permissions, MAIN, ...args],
    cwd: ROOT,
    env: {
      PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin",
      HOME: Deno.env.get("HOME") ?? "/root",
      NO_COLOR: "1",
      ...(Deno.env.get("DENO_DIR") ? { DENO_DIR: Deno.env.get("DENO_DIR")! } : {}),
      ...env,
    },
  });
  return {
    ...process,
    logs: () =>
      process.stdout().split("\n").flatMap((line) => {
        try {
          const value = JSON.parse(line);
          return value && typeof value === "object" ? [value] : [];
        } catch {
          return [];
        }
      }),
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
