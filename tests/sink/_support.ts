/**
 * Helpers for the sink tests: plans, a fault-injecting file system and a log capture.
 *
 * @module
 */
import { configure, type LogRecord, reset } from "@logtape/logtape";
import type { FilePlan } from "../../src/config/plan.ts";
import { DENO_FS, type FsAdapter } from "../../src/sink/fs_adapter.ts";

/** A FilePlan with the defaults of the config loader. */
export function filePlan(path: string, overrides: Partial<FilePlan> = {}): FilePlan {
  return {
    path,
    template: "t",
    mode: 0o600,
    writeMode: "rename",
    createDirs: false,
    ...overrides,
  };
}

/** The real file system with some calls replaced. */
export function faultyFs(overrides: Partial<FsAdapter>): FsAdapter {
  return { ...DENO_FS, ...overrides };
}

/** An OS-like error, e.g. `osError(Deno.errors.PermissionDenied, "Operation not permitted", 1)`. */
export function osError(
  kind: new (message: string) => Error,
  message: string,
  code: number,
): Error {
  return new kind(`${message} (os error ${code})`);
}

/** Names of the files in `dir`. */
export async function listDir(dir: string): Promise<string[]> {
  const names: string[] = [];
  for await (const entry of Deno.readDir(dir)) names.push(entry.name);
  return names.sort();
}

/** Captures every log record of the program while the returned handle is alive. */
export async function captureLogs(): Promise<
  AsyncDisposable & { records: LogRecord[]; text(): string }
> {
  const records: LogRecord[] = [];
  await configure({
    reset: true,
    sinks: { memory: (record) => records.push(record) },
    loggers: [
      { category: ["secrets-sync"], lowestLevel: "debug", sinks: ["memory"] },
      { category: ["logtape", "meta"], lowestLevel: "error", sinks: [] },
    ],
  });
  return {
    records,
    text: () =>
      records.map((r) => `${r.message.join("")} ${JSON.stringify(r.properties)}`).join("\n"),
    async [Symbol.asyncDispose]() {
      await reset();
    },
  };
}
