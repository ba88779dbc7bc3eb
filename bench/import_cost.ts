/**
 * What loading a module costs: `deno run -A bench/import_cost.ts src/cli/run.ts [npm:zod@4.6.7 …]`
 * imports each argument in turn and prints the milliseconds each took and the resident memory
 * after them all. Run it several times and take the median: the first run after a change also
 * pays for type checking and caching.
 *
 * @module
 */
const started = performance.now();
for (const specifier of Deno.args) {
  const t = performance.now();
  const url = /^(npm:|jsr:|https?:|file:)/.test(specifier)
    ? specifier
    : new URL(specifier, `file://${Deno.cwd()}/`).href;
  await import(url);
  console.log(`${specifier}: ${(performance.now() - t).toFixed(0)} ms`);
}
console.log(
  `total ${(performance.now() - started).toFixed(0)} ms, rss ${
    (Deno.memoryUsage().rss / 1048576).toFixed(1)
  } MiB`,
);
