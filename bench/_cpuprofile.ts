/**
 * Summarises a V8 `.cpuprofile` (from `deno run --cpu-prof`): self time per function and per
 * source file (src/ files by path, npm packages by package name, the rest as "(deno runtime)",
 * "(garbage collector)", "(idle)"…), highest first.
 *
 * Run: `deno run -A bench/_cpuprofile.ts PROFILE.cpuprofile [top=25]`
 *
 * @example
 * ```ts
 * const profile = JSON.parse(await Deno.readTextFile("x.cpuprofile"));
 * const { byFile } = summarise(profile);
 * ```
 *
 * @module
 */

/** The parts of a V8 CPU profile this reads. */
export interface CpuProfile {
  nodes: Array<{
    id: number;
    callFrame: { functionName: string; url: string; lineNumber: number };
    children?: number[];
  }>;
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

/** Where a source URL's time is booked. */
export function bucketOf(url: string, functionName: string): string {
  if (!url) {
    if (functionName.startsWith("(")) return functionName; // (idle), (program), (garbage collector)
    return functionName.startsWith("op_") ? "(deno ops)" : "(native)";
  }
  const npm = /\/npm\/registry\.npmjs\.org\/((?:@[^/]+\/)?[^/]+)\//.exec(url);
  if (npm) return `npm:${npm[1]}`;
  const src = /\/((?:src|tests|bench)\/.+)$/.exec(url);
  if (src) return src[1]!;
  if (url.startsWith("ext:") || url.startsWith("node:")) return "(deno runtime)";
  return url;
}

/** Self time (ms) by function and by file bucket. */
export function summarise(profile: CpuProfile) {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const selfUs = new Map<number, number>();
  profile.samples.forEach((id, i) => {
    selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0));
  });
  const byFunction = new Map<string, number>();
  const byFile = new Map<string, number>();
  for (const [id, us] of selfUs) {
    const { functionName, url, lineNumber } = byId.get(id)!.callFrame;
    const bucket = bucketOf(url, functionName);
    const fn = `${functionName || "(anonymous)"} ${bucket}${url ? `:${lineNumber + 1}` : ""}`;
    byFunction.set(fn, (byFunction.get(fn) ?? 0) + us / 1000);
    byFile.set(bucket, (byFile.get(bucket) ?? 0) + us / 1000);
  }
  const sorted = (m: Map<string, number>) => [...m].sort((a, b) => b[1] - a[1]);
  return {
    totalMs: (profile.endTime - profile.startTime) / 1000,
    byFunction: sorted(byFunction),
    byFile: sorted(byFile),
  };
}

if (import.meta.main) {
  const [file, topArg] = Deno.args;
  if (!file) {
    console.error("Usage: deno run -A bench/_cpuprofile.ts PROFILE.cpuprofile [top=25]");
    Deno.exit(2);
  }
  const top = Number(topArg ?? 25);
  const { totalMs, byFunction, byFile } = summarise(JSON.parse(await Deno.readTextFile(file)));
  const busy = byFile.filter(([k]) => k !== "(idle)").reduce((a, [, v]) => a + v, 0);
  console.log(`profile ${(totalMs / 1000).toFixed(1)} s, busy ${(busy / 1000).toFixed(2)} s`);
  const pct = (ms: number) => `${(ms / busy * 100).toFixed(1)} %`.padStart(7);
  console.log("\nself time by file/package (share of busy time):");
  for (const [k, v] of byFile.filter(([k]) => k !== "(idle)").slice(0, top)) {
    console.log(`${pct(v)} ${v.toFixed(0).padStart(7)} ms  ${k}`);
  }
  console.log("\nself time by function:");
  for (const [k, v] of byFunction.filter(([k]) => !k.startsWith("(idle)")).slice(0, top)) {
    console.log(`${pct(v)} ${v.toFixed(0).padStart(7)} ms  ${k}`);
  }
}
