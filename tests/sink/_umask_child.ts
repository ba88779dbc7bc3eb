/**
 * Child process of the umask test: the umask is process-wide, so it is changed here rather than
 * in the test runner (whose other test modules may be creating files at the same time).
 *
 * Usage: deno run -A tests/sink/_umask_child.ts <dir> <octal mode>...
 *
 * @module
 */
import { FileSink } from "../../src/sink/file_sink.ts";

const [dir, ...modes] = Deno.args;
if (dir === undefined) throw new TypeError("usage: _umask_child.ts <dir> <octal mode>...");
Deno.umask(0o277);
const sink = new FileSink();
for (const text of modes) {
  const mode = parseInt(text, 8);
  const path = `${dir}/f${text}`;
  await sink.write(
    { path, template: "t", mode, writeMode: "rename", createDirs: false },
    new TextEncoder().encode("x"),
  );
}
