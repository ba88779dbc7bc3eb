/**
 * Regenerates tests/template/golden/*.json from golden_cases.ts with the Go oracle.
 * Run: deno run -A tests/template/update_golden.ts   (needs `go`)
 */
import { SUITES } from "./golden_cases.ts";
import { runOracle } from "./_oracle.ts";

const dir = new URL("./golden/", import.meta.url).pathname;
await Deno.mkdir(dir, { recursive: true });
for (const [suite, cases] of Object.entries(SUITES)) {
  const results = await runOracle(cases);
  const golden = cases.map((c, i) => ({ ...c, go: results[i] }));
  await Deno.writeTextFile(`${dir}${suite}.json`, JSON.stringify(golden, null, 2) + "\n");
  console.log(`${suite}: ${cases.length} cases`);
}
