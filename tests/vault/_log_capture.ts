/**
 * Captures LogTape records of the "secrets-sync" category for assertions, e.g. that no token or
 * secret value was logged. `await using logs = await captureLogs()`.
 *
 * @module
 */
import { configure, type LogRecord, reset } from "@logtape/logtape";

/** Captured records, rendered as text for substring checks. */
export interface LogCapture extends AsyncDisposable {
  readonly records: LogRecord[];
  /** Every record's rendered message and properties, one JSON line each. */
  text(): string;
  /** Rendered messages only. */
  messages(): string[];
}

/** Starts capturing (replaces any LogTape configuration until disposed). */
export async function captureLogs(): Promise<LogCapture> {
  const records: LogRecord[] = [];
  await configure({
    reset: true,
    sinks: { capture: (record) => records.push(record) },
    loggers: [
      { category: ["secrets-sync"], sinks: ["capture"], lowestLevel: "debug" },
      { category: ["logtape", "meta"], sinks: [], lowestLevel: "warning" },
    ],
  });
  const render = (r: LogRecord) =>
    r.message.map((p) => (typeof p === "string" ? p : JSON.stringify(p))).join("");
  return {
    records,
    messages: () => records.map(render),
    text: () =>
      records.map((r) =>
        JSON.stringify({ level: r.level, message: render(r), properties: r.properties })
      )
        .join("\n"),
    async [Symbol.asyncDispose]() {
      await reset();
    },
  };
}

/** Asserts none of `values` appears in the captured logs. */
export function assertNoneLogged(logs: LogCapture, values: Array<string | undefined>): void {
  const text = logs.text();
  for (const value of values) {
    if (value === undefined || value === "") continue;
    if (text.includes(value)) {
      throw new Error(`A sensitive value (${value.length} chars) appeared in the logs`);
    }
  }
}
