/**
 * Differential test: a seeded generator produces random templates and data; Go's
 * text/template + Sprig (tests/support/gotemplate, built into .cache/) and render()
 * must produce the same bytes. Skips when `go` is not installed.
 */
import { assert } from "../support/assert.ts";
import { render, TemplateError } from "../../src/template/mod.ts";
import { generateCases } from "./_generator.ts";
import { requireTool } from "../support/requires.ts";
import { runOracle, toEngineData } from "./_oracle.ts";

const SEED = 20261128;
const COUNT = 3000;

/** Error-text differences we make on purpose: Go prints a data value, we print its type. */
const KNOWN_ERROR_DIFFERENCES: [RegExp, string][] = [
  [/range can't iterate over /, "Go prints the ranged value; we print its type"],
  [/non-comparable types? /, "Go prints the compared values; we print their types"],
];

const go = await requireTool("go", {
  test: import.meta.url,
  skips: "the differential test against Go's text/template (tests/support/gotemplate)",
  install: "install Go (https://go.dev/dl/)",
  args: ["version"],
});

Deno.test({
  name: `render() matches Go byte for byte on ${COUNT} generated templates`,
  ignore: !go,
  async fn() {
    const cases = generateCases(SEED, COUNT);
    const expected = await runOracle(cases);
    let same = 0;
    let knownDiff = 0;
    const unexplained: string[] = [];
    cases.forEach((c, i) => {
      let got: { out?: string; err?: string };
      try {
        got = { out: render(c.template, toEngineData(c.data ?? null), c.options ?? {}) };
      } catch (e) {
        if (!(e instanceof TemplateError)) throw e;
        got = { err: e.message };
      }
      const want = expected[i]!;
      if (got.out === want.out && got.err === want.err) {
        same++;
        return;
      }
      const known = got.err !== undefined && want.err !== undefined &&
        KNOWN_ERROR_DIFFERENCES.some(([re]) => re.test(want.err!) && re.test(got.err!));
      if (known) knownDiff++;
      else {
        unexplained.push(
          `${JSON.stringify(c.template)}\n  data: ${JSON.stringify(c.data)}\n  go: ${
            JSON.stringify(want)
          }\n  js: ${JSON.stringify(got)}`,
        );
      }
    });
    const share = (same / COUNT) * 100;
    console.log(
      `differential: ${same}/${COUNT} identical (${share.toFixed(2)}%), ` +
        `${knownDiff} known error-text differences, ${unexplained.length} unexplained`,
    );
    for (const u of unexplained.slice(0, 10)) console.log(u);
    // Outputs never differ; only a small, explained share of error texts may.
    assert(unexplained.length <= COUNT * 0.005, `${unexplained.length} unexplained differences`);
  },
});
