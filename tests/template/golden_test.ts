/** render() reproduces Go's text/template + Sprig output recorded in golden/*.json. */
import { assert, assertEquals } from "../support/assert.ts";
import { loadAllLibraries, render, TemplateError } from "../../src/template/mod.ts";
import { toEngineData } from "./_oracle.ts";
import type { GoldenCase } from "./golden_cases.ts";

// node-forge, bcryptjs and node:crypto must be loaded before a sync render calls their functions.
await loadAllLibraries();

interface Golden extends GoldenCase {
  go: { out?: string; err?: string };
}

const dir = new URL("./golden/", import.meta.url);
const suites = [...Deno.readDirSync(dir)].map((e) => e.name).filter((n) => n.endsWith(".json"))
  .sort();

function run(c: Golden): { out?: string; err?: string } {
  try {
    return { out: render(c.template, toEngineData(c.data ?? null), c.options ?? {}) };
  } catch (e) {
    if (!(e instanceof TemplateError)) throw e;
    return { err: e.message };
  }
}

for (const file of suites) {
  const cases: Golden[] = JSON.parse(Deno.readTextFileSync(new URL(file, dir)));
  for (const c of cases) {
    Deno.test(`render() matches Go for ${file.replace(".json", "")}: ${c.name}`, () => {
      const got = run(c);
      if (c.diff === undefined) {
        assertEquals(got, c.go);
      } else {
        // A deliberate difference: both fail, and ours names a type instead of a value.
        assert(got.err !== undefined && c.go.err !== undefined, `expected an error: ${c.diff}`);
        assertEquals(got.err.split(":").slice(0, 3), c.go.err.split(":").slice(0, 3));
      }
    });
  }
}
