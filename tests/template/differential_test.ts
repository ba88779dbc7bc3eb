/**
 * Differential test: a seeded generator produces random templates and data; Go's
 * text/template + Sprig + ESO's functions (tests/support/gotemplate, built into .cache/) and
 * render() must produce the same bytes. Skips when `go` is not installed.
 */
import { assert } from "../support/assert.ts";
import { loadAllLibraries, render, TemplateError } from "../../src/template/mod.ts";
import { generateCases } from "./_generator.ts";
import { generateEsoCases } from "./_eso_generator.ts";
import type { OracleCase } from "./_oracle.ts";
import { requireTool } from "../support/requires.ts";
import { runOracle, toEngineData } from "./_oracle.ts";

// node-forge, bcryptjs and node:crypto must be loaded before a sync render calls their functions.
await loadAllLibraries();

const SEED = 20261128;
const COUNT = 3000;
const ESO_COUNT = 600;

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

interface Comparison {
  same: number;
  knownDiff: number;
  unexplained: string[];
}

async function compareWithGo(cases: OracleCase[]): Promise<Comparison> {
  const expected = await runOracle(cases);
  const result: Comparison = { same: 0, knownDiff: 0, unexplained: [] };
  cases.forEach((c, i) => {
    let got: { out?: string; err?: string };
    try {
      // The oracle's JSON shows each byte of invalid UTF-8 as U+FFFD; toWellFormed() does too.
      got = {
        out: render(c.template, toEngineData(c.data ?? null), c.options ?? {}).toWellFormed(),
      };
    } catch (e) {
      if (!(e instanceof TemplateError)) throw e;
      got = { err: e.message };
    }
    const want = expected[i]!;
    if (got.out === want.out && got.err === want.err) {
      result.same++;
      return;
    }
    const known = got.err !== undefined && want.err !== undefined &&
      KNOWN_ERROR_DIFFERENCES.some(([re]) => re.test(want.err!) && re.test(got.err!));
    if (known) result.knownDiff++;
    else {
      result.unexplained.push(
        `${JSON.stringify(c.template)}\n  data: ${JSON.stringify(c.data)}\n  go: ${
          JSON.stringify(want)
        }\n  js: ${JSON.stringify(got)}`,
      );
    }
  });
  return result;
}

function report(label: string, count: number, r: Comparison): void {
  const share = (r.same / count) * 100;
  console.log(
    `${label}: ${r.same}/${count} identical (${share.toFixed(2)}%), ` +
      `${r.knownDiff} known error-text differences, ${r.unexplained.length} unexplained`,
  );
  for (const u of r.unexplained.slice(0, 10)) console.log(u);
}

Deno.test({
  name: `render() matches Go byte for byte on ${COUNT} generated templates`,
  ignore: !go,
  async fn() {
    const r = await compareWithGo(generateCases(SEED, COUNT));
    report("differential", COUNT, r);
    // Outputs never differ; only a small, explained share of error texts may.
    assert(
      r.unexplained.length <= COUNT * 0.005,
      `${r.unexplained.length} unexplained differences`,
    );
  },
});

Deno.test({
  name: `rsaDecrypt, certSANs, filterCertChain and hexdec match Go on ${ESO_COUNT} templates`,
  ignore: !go,
  async fn() {
    const r = await compareWithGo(generateEsoCases(SEED, ESO_COUNT));
    report("differential (ESO key and certificate functions)", ESO_COUNT, r);
    assert(r.unexplained.length === 0, `${r.unexplained.length} unexplained differences`);
  },
});
