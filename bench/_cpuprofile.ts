/**
 * Summarises a V8 `.cpuprofile` (from `deno run --cpu-prof`): self time per function and per
 * source file (src/ files by path, npm packages by package name, the rest as "(deno runtime)",
 * "(garbage collector)", "(idle)"…), highest first.
 *
 * Run: `deno run -A bench/_cpuprofile.ts PROFILE.cpuprofile [top=25]`; with `--phases`, busy time
 * per start-up phase instead (config, permission checks, module evaluation, first sync…).
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

/** A start-up phase: a sample belongs to the first phase (in list order) matching any frame. */
export interface Phase {
  name: string;
  /** Matches a frame by function name and source URL. */
  test: (functionName: string, url: string) => boolean;
}

/** The phases of `src/main.ts run` up to and around the first sync. */
export const START_UP_PHASES: Phase[] = [
  {
    name: "module evaluation (top-level code of src/ and npm modules)",
    test: (f, u) => f === "" && /^(file|npm):/.test(u),
  },
  {
    name: "npm/Node compat loading (require, polyfills)",
    test: (f, u) => /^(ext:|node:)/.test(u) && /require|Module|load/i.test(f),
  },
  { name: "config: YAML + zod", test: (f) => f === "loadConfig" || f === "parseConfig" },
  { name: "permission checks", test: (f) => f === "preflight" || f === "checkPlanFiles" },
  { name: "logging set-up", test: (f) => f === "setupLogging" },
  {
    name: "first syncs: read, render, write",
    test: (f, u) => f !== "" && /src\/(vault|sink|template)\/|src\/sync\/(runtime|syncer)/.test(u),
  },
  {
    name: "sidecar start (scheduler, server, status)",
    test: (_f, u) => /src\/(sync|observe)\//.test(u),
  },
];

/**
 * Busy time per phase (the first of `phases` matching any frame of a sample's stack), plus V8's own
 * buckets ("(garbage collector)", "(program)" = compiling and other VM work), ms; and when each
 * phase was first seen, ms after the profile started.
 */
export function phases(profile: CpuProfile, list: Phase[] = START_UP_PHASES) {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const phaseOf = new Map<number, string>();
  const classify = (id: number): string => {
    const known = phaseOf.get(id);
    if (known !== undefined) return known;
    const leaf = byId.get(id)!.callFrame;
    let name: string | undefined;
    if (!leaf.url && leaf.functionName.startsWith("(")) name = leaf.functionName;
    const frames: Array<{ functionName: string; url: string }> = [];
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
      frames.push(byId.get(at)!.callFrame);
    }
    name ??= list.find((p) => frames.some((f) => p.test(f.functionName, f.url)))?.name;
    name ??= "other JavaScript (Deno runtime, promise glue)";
    phaseOf.set(id, name);
    return name;
  };
  const busy = new Map<string, number>();
  const first = new Map<string, number>();
  let t = 0;
  profile.samples.forEach((id, i) => {
    t += profile.timeDeltas[i] ?? 0;
    const name = classify(id);
    busy.set(name, (busy.get(name) ?? 0) + (profile.timeDeltas[i] ?? 0) / 1000);
    if (!first.has(name)) first.set(name, t / 1000);
  });
  return [...busy].filter(([k]) => k !== "(idle)").sort((a, b) => b[1] - a[1]).map((
    [name, ms],
  ) => ({ name, ms, firstMs: first.get(name)! }));
}

if (import.meta.main) {
  const [file, topArg] = Deno.args;
  if (!file) {
    console.error("Usage: deno run -A bench/_cpuprofile.ts PROFILE.cpuprofile [top=25]");
    Deno.exit(2);
  }
  const top = Number(topArg ?? 25);
  if (Deno.args.includes("--phases")) {
    const profile = JSON.parse(await Deno.readTextFile(file));
    const rows = phases(profile);
    const total = rows.reduce((a, r) => a + r.ms, 0);
    console.log(
      `busy ${total.toFixed(0)} ms of ${
        ((profile.endTime - profile.startTime) / 1000).toFixed(0)
      } ms profiled`,
    );
    for (const r of rows) {
      console.log(
        `${r.ms.toFixed(0).padStart(6)} ms ${
          (r.ms / total * 100).toFixed(1).padStart(5)
        } %  first at ${r.firstMs.toFixed(0).padStart(5)} ms  ${r.name}`,
      );
    }
    Deno.exit(0);
  }
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
