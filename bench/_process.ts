/**
 * Runs a long-lived child (the sidecar, `bao agent`) for benchmarks with its output streamed to a
 * log file instead of memory, so hour-long runs do not grow the harness.
 *
 * @example
 * ```ts
 * await using child = spawnLogged(Deno.execPath(), ["--version"], { log: "/tmp/out.log" });
 * await child.status;
 * ```
 *
 * @module
 */

/** Options of {@linkcode spawnLogged}. */
export interface SpawnLoggedOptions {
  /** File that receives stdout and stderr (appended). */
  log: string;
  env?: Record<string, string>;
  cwd?: string;
}

/** A running child; disposing it sends SIGKILL and waits. */
export interface LoggedChild extends AsyncDisposable {
  readonly pid: number;
  readonly status: Promise<Deno.CommandStatus>;
  readonly exited: boolean;
  kill(signal?: Deno.Signal): void;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves when it has exited. */
  stop(graceMs?: number): Promise<void>;
}

/** Spawns `program args…` with a minimal environment plus `env`, output to `log`. */
export function spawnLogged(
  program: string,
  args: string[],
  options: SpawnLoggedOptions,
): LoggedChild {
  const child = new Deno.Command(program, {
    args,
    ...(options.cwd ? { cwd: options.cwd } : {}),
    clearEnv: true,
    env: {
      PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin",
      HOME: Deno.env.get("HOME") ?? "/root",
      NO_COLOR: "1",
      ...(Deno.env.get("DENO_DIR") ? { DENO_DIR: Deno.env.get("DENO_DIR")! } : {}),
      ...options.env,
    },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const file = Deno.openSync(options.log, { write: true, create: true, append: true });
  const sink = async (stream: ReadableStream<Uint8Array>) => {
    for await (const chunk of stream) {
      let written = 0;
      while (written < chunk.length) written += await file.write(chunk.subarray(written));
    }
  };
  const pumps = Promise.all([sink(child.stdout), sink(child.stderr)]).catch(() => {});
  let exited = false;
  const status = child.status.then(async (s) => {
    exited = true;
    await pumps;
    file.close();
    return s;
  });
  const kill = (signal: Deno.Signal = "SIGTERM") => {
    if (exited) return;
    try {
      child.kill(signal);
    } catch {
      // already gone
    }
  };
  const stop = async (graceMs = 3_000) => {
    kill("SIGTERM");
    const timer = setTimeout(() => kill("SIGKILL"), graceMs);
    try {
      await status;
    } finally {
      clearTimeout(timer);
    }
  };
  return {
    pid: child.pid,
    status,
    get exited() {
      return exited;
    },
    kill,
    stop,
    async [Symbol.asyncDispose]() {
      kill("SIGKILL");
      await status;
    },
  };
}

/**
 * The Deno flags of `deno task run` in `<root>/deno.json` — the words between `deno run` and
 * `src/main.ts`, e.g. `["-P=sidecar", "--no-prompt", "--v8-flags=…"]` — so that benchmarks run
 * the sidecar with exactly the permission set and V8 flags users get.
 */
export function runTaskFlags(root: string = ROOT): string[] {
  const tasks = JSON.parse(Deno.readTextFileSync(`${root}deno.json`)).tasks;
  const words = String(tasks.run).split(/\s+/);
  if (words[0] !== "deno" || words[1] !== "run" || words.at(-1) !== "src/main.ts") {
    throw new Error(`Cannot read the flags of "deno task run": ${tasks.run}`);
  }
  return words.slice(2, -1);
}

/** Command line of the sidecar as users run it: `deno task run …` = `deno run -P=sidecar … src/main.ts …`. */
export function sidecarCommand(args: string[], extraDenoFlags: string[] = []): [string, string[]] {
  const main = new URL("../src/main.ts", import.meta.url).pathname;
  return [Deno.execPath(), [
    "run",
    "--quiet",
    ...runTaskFlags(),
    ...extraDenoFlags,
    main,
    ...args,
  ]];
}

/** The repository root (the sidecar resolves `-P=sidecar` from deno.json there). */
export const ROOT = new URL("../", import.meta.url).pathname;
