/**
 * Child process of the crash test: writes two large contents, A and B, alternately to one file
 * through FileSink until it is killed. Prints "ready" once the file first holds A.
 *
 * Usage: deno run -A tests/sink/_writer_child.ts <path> [rename|inplace]
 *
 * @module
 */
import { FileSink } from "../../src/sink/file_sink.ts";
import { crashContents } from "./_crash_contents.ts";

const path = Deno.args[0];
if (path === undefined) throw new TypeError("usage: _writer_child.ts <path>");
const { a, b } = crashContents();
const sink = new FileSink({ maxBytes: 8 * 1024 * 1024 });
const writeMode = Deno.args[1] === "inplace" ? "inplace" : "rename";
const plan = { path, template: "t", mode: 0o600, writeMode, createDirs: false } as const;

await sink.write(plan, a);
await Deno.stdout.write(new TextEncoder().encode("ready\n"));
for (let i = 0;; i++) {
  await sink.write(plan, i % 2 === 0 ? b : a);
}
