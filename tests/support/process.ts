/**
 * A child process whose output is captured for tests, with polling and a kill on dispose.
 *
 * @module
 */
import { pollUntil } from "./poll.ts";

/** A running child process with captured output. */
export interface CapturedProcess extends AsyncDisposable {
  pid: number;
  /** Everything written to stdout so far. */
  stdout(): string;
  /** Everything written to stderr so far. */
  stderr(): string;
  /** Sends a signal (ignored once the process is gone). */
  kill(signal?: Deno.Signal): void;
  /** Resolves with the exit status once the output is drained. */
  status: Promise<Deno.CommandStatus>;
  /**
   * Polls `predicate` every 25 ms ({@linkcode pollUntil}); throws with the output after
   * `timeoutMs`, or at once when the process has exited and the predicate still fails.
   */
  waitFor(
    predicate: () => boolean | Promise<boolean>,
    what: string,
    timeoutMs?: number,
  ): Promise<void>;
}

/** Options of {@linkcode spawnCaptured}. */
export interface SpawnCapturedOptions {
  args: string[];
  env: Record<string, string>;
  cwd?: string;
  /** Default bound of {@linkcode CapturedProcess.waitFor}, ms. @default 15_000 */
  timeoutMs?: number;
  /**
   * Start the child in a process group of its own, as a shell does for a foreground job: then
   * `Deno.kill(-pid, "SIGINT")` is what Ctrl-C in a terminal does, and dispose kills the group.
   * @default false
   */
  detached?: boolean;
}

/** Starts `command` with a clean environment, piped output and no stdin. */
export function spawnCaptured(command: string, options: SpawnCapturedOptions): CapturedProcess {
  const { args, env, cwd, timeoutMs: defaultTimeoutMs = 15_000, detached = false } = options;
  const child = new Deno.Command(command, {
    args,
    detached,
    ...(cwd ? { cwd } : {}),
    clearEnv: true,
    env,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  let out = "";
  let err = "";
  const pump = (stream: ReadableStream<Uint8Array>, add: (text: string) => void) =>
    stream.pipeThrough(new TextDecoderStream()).pipeTo(
      new WritableStream({ write: (chunk) => add(chunk) }),
    ).catch(() => {});
  const pumps = Promise.all([
    pump(child.stdout, (t) => out += t),
    pump(child.stderr, (t) => err += t),
  ]);
  let exited = false;
  const status = child.status.then(async (s) => {
    exited = true;
    await pumps;
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
  return {
    pid: child.pid,
    stdout: () => out,
    stderr: () => err,
    kill,
    status,
    waitFor(predicate, what, timeoutMs = defaultTimeoutMs) {
      return pollUntil(predicate, what, {
        timeoutMs,
        stop: () => exited,
        detail: () =>
          `${exited ? "(process exited)\n" : ""}--- stdout\n${out.slice(-4000)}\n--- stderr\n${
            err.slice(-4000)
          }`,
      });
    },
    async [Symbol.asyncDispose]() {
      if (detached) {
        try {
          Deno.kill(-child.pid, "SIGKILL"); // the whole group: children outlive a killed parent
        } catch {
          // already gone
        }
      }
      kill("SIGKILL");
      await status;
    },
  };
}
