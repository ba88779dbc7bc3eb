/**
 * Run by libraries_test.ts in a fresh process: renders every golden and generated case whose
 * functions, by `librariesFor`, need no `node:crypto`, with node-forge and bcryptjs loaded but not
 * `node:crypto`. A function that calls `node:crypto` without being listed for it fails there with
 * "node:crypto is not loaded". Prints one JSON line of findings.
 *
 * @module
 */
import { parse, TemplateError } from "../../src/template/mod.ts";
import { librariesFor } from "../../src/template/_functions.ts";
import { loadBcrypt, loadForge, nodeCrypto } from "../../src/template/_libraries.ts";
import { generateCases } from "./_generator.ts";
import { generateEsoCases } from "./_eso_generator.ts";
import { type OracleCase, toEngineData } from "./_oracle.ts";

await Promise.all([loadForge(), loadBcrypt()]);

const goldenDir = new URL("./golden/", import.meta.url);
const cases: OracleCase[] = [
  ...[...Deno.readDirSync(goldenDir)].filter((e) => e.name.endsWith(".json")).flatMap((e) =>
    JSON.parse(Deno.readTextFileSync(new URL(e.name, goldenDir))) as OracleCase[]
  ),
  // The differential test's seed and counts.
  ...generateCases(20261128, 3000),
  ...generateEsoCases(20261128, 600),
];

let rendered = 0;
let needNodeCrypto = 0;
const failures: string[] = [];
for (const c of cases) {
  let template;
  try {
    template = parse(c.template);
  } catch (e) {
    if (e instanceof TemplateError) continue; // a case about a parse error
    throw e;
  }
  if (librariesFor(template.functionNames()).has("node:crypto")) {
    needNodeCrypto++;
    continue;
  }
  rendered++;
  try {
    template.execute(toEngineData(c.data ?? null), c.options ?? {});
  } catch (e) {
    if (!(e instanceof TemplateError)) throw e;
    if (e.message.includes("node:crypto is not loaded")) {
      failures.push(`${c.template}: ${e.message}`);
    }
  }
}

let loadedAtEnd = true;
try {
  nodeCrypto();
} catch {
  loadedAtEnd = false;
}
console.log(JSON.stringify({ rendered, needNodeCrypto, failures, loadedAtEnd }));
