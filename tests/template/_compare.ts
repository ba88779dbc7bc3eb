/**
 * Developer tool: renders a JSON file of oracle cases with Go and with render() and prints
 * every difference. Run: deno run -A tests/template/_compare.ts cases.json
 */
import { loadAllLibraries, render } from "../../src/template/mod.ts";
import { type OracleCase, runOracle, toEngineData } from "./_oracle.ts";

// node-forge, bcryptjs and node:crypto must be loaded before a sync render calls their functions.
await loadAllLibraries();
const file = Deno.args[0]!;
const cases: OracleCase[] = JSON.parse(await Deno.readTextFile(file));
const go = await runOracle(cases);
let ok = 0;
cases.forEach((c, i) => {
  let mine: { out?: string; err?: string };
  try {
    // Go's JSON output shows each byte of invalid UTF-8 as U+FFFD; so does toWellFormed().
    mine = {
      out: render(c.template, toEngineData(c.data ?? null), c.options ?? {}).toWellFormed(),
    };
  } catch (e) {
    mine = { err: (e as Error).message };
  }
  const g = go[i]!;
  if (mine.out === g.out && (mine.err === g.err)) {
    ok++;
    return;
  }
  console.log(
    `#${i} ${JSON.stringify(c.template)} data=${JSON.stringify(c.data)}\n   go: ${
      JSON.stringify(g)
    }\n   js: ${JSON.stringify(mine)}`,
  );
});
console.log(`${ok}/${cases.length} match`);
