/**
 * docs/migrating-from-eso.md shows test files verbatim: every block after an
 * `<!-- include: PATH -->` marker must equal that file, and the corpus test converts those files
 * and compares with their expected output, so the doc's examples are run.
 */
import { assert, assertEquals } from "../../support/assert.ts";

const ROOT = new URL("../../../", import.meta.url).pathname;
const DOC = `${ROOT}docs/migrating-from-eso.md`;

function includes(text: string): Array<{ path: string; block: string }> {
  const out: Array<{ path: string; block: string }> = [];
  const marker = /<!-- include: (\S+) -->\n\n?```[a-z]*\n([\s\S]*?)```\n/g;
  for (const match of text.matchAll(marker)) out.push({ path: match[1]!, block: match[2]! });
  return out;
}

Deno.test("docs/migrating-from-eso.md includes its examples verbatim from the test corpus", async () => {
  const text = await Deno.readTextFile(DOC);
  const blocks = includes(text);
  assertEquals(
    blocks.length,
    (text.match(/<!-- include:/g) ?? []).length,
    "every marker is followed by a fenced block",
  );
  assert(blocks.length >= 6, `only ${blocks.length} included examples`);
  for (const { path, block } of blocks) {
    assert(path.startsWith("tests/config/eso/corpus/"), `${path} is a corpus file`);
    assertEquals(block, await Deno.readTextFile(ROOT + path), path);
  }
});

Deno.test("docs/migrating-from-eso.md shows each example input with its converted output", async () => {
  const paths = includes(await Deno.readTextFile(DOC)).map((b) => b.path);
  for (const path of paths.filter((p) => p.endsWith(".expected.yaml"))) {
    assert(paths.includes(path.replace(".expected.yaml", ".yaml")), `${path} has its input`);
  }
});
