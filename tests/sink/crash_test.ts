import { assert, assertEquals } from "../support/assert.ts";
import { FileSink } from "../../src/sink/file_sink.ts";
import { tmpDir } from "../support/tmp_dir.ts";
import { crashContents, sameBytes } from "./_crash_contents.ts";
import { listDir } from "./_support.ts";

const KILLS = 30;
const CHILD = new URL("./_writer_child.ts", import.meta.url).pathname;

/** Reads the child's stdout until it says "ready" (bounded by the child's own life). */
async function waitReady(stdout: ReadableStream<Uint8Array>): Promise<void> {
  const decoder = new TextDecoder();
  let text = "";
  for await (const chunk of stdout) {
    text += decoder.decode(chunk, { stream: true });
    if (text.includes("ready\n")) return;
  }
  throw new Error(`writer child exited before it was ready: ${JSON.stringify(text)}`);
}

/** Starts a writer child on `path`, SIGKILLs it at a random moment, returns the file's bytes. */
async function killWhileWriting(
  path: string,
  writeMode: "rename" | "inplace",
): Promise<Uint8Array> {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", CHILD, path, writeMode],
    stdin: "null",
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  try {
    await waitReady(child.stdout);
    // Each write takes a few ms; a random delay lands the kill in any of its steps.
    await new Promise((r) => setTimeout(r, Math.random() * 60));
  } finally {
    child.kill("SIGKILL");
    await child.status;
  }
  return await Deno.readFile(path);
}

Deno.test("FileSink.write() leaves exactly A or B after a SIGKILL at any moment", async () => {
  await using dir = await tmpDir();
  const path = dir.join("app.env");
  const { a, b } = crashContents();
  const seen = { a: 0, b: 0 };
  for (let kill = 0; kill < KILLS; kill++) {
    const content = await killWhileWriting(path, "rename");
    const isA = sameBytes(content, a);
    const isB = sameBytes(content, b);
    assert(isA || isB, `kill ${kill}: file is neither A nor B (${content.length} bytes)`);
    seen[isA ? "a" : "b"]++;
  }
  // Both contents were observed: the kills really landed while the child was writing.
  assert(seen.a > 0 && seen.b > 0, `saw ${JSON.stringify(seen)}`);
  await new FileSink().cleanupTemps([dir.path]);
  assertEquals(await listDir(dir.path), ["app.env"]);
});

Deno.test("the crash check catches torn files: inplace mode is not crash-safe", async () => {
  // Control for the test above: the same harness must see a torn file when writes are not
  // atomic, or it could not have caught one. About 1 kill in 5 tears; 60 tries bound the loop.
  await using dir = await tmpDir();
  const path = dir.join("bind.env");
  const { a, b } = crashContents();
  let torn = false;
  for (let kill = 0; kill < 60 && !torn; kill++) {
    const content = await killWhileWriting(path, "inplace");
    torn = !sameBytes(content, a) && !sameBytes(content, b);
  }
  assert(torn, "no torn file seen in inplace mode");
});
