/**
 * Child of status_file_test.ts: starts a status-file write and ends the process while it is in
 * flight, as a forced stop (a second Ctrl-C, `Deno.exit`) does. The rename never finishes, so the
 * exit lands after the temp file was written and before it replaced the status file.
 *
 * Usage: deno run -A _status_exit_child.ts <status path>
 */
import { writeStatusFile } from "../../src/observe/status_file.ts";

const [path] = Deno.args;
const dir = path!.slice(0, path!.lastIndexOf("/"));
(Deno as { rename: typeof Deno.rename }).rename = () => new Promise<void>(() => {});
void writeStatusFile(path!, { ready: true, secrets: [] }, { clock: { now: () => 1 } });
while (![...Deno.readDirSync(dir)].some((entry) => entry.name.endsWith(".tmp"))) {
  await new Promise((resolve) => setTimeout(resolve, 5));
}
Deno.exit(130);
