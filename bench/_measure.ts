/**
 * Small measuring helpers shared by `bench/compare.ts` and `bench/soak.ts`: process memory and CPU
 * from `/proc`, quantiles, a free port, the machine description, and Prometheus text parsing.
 *
 * @example
 * ```ts
 * const rss = await rssKiB(Deno.pid);
 * const p99 = quantile([3, 1, 2], 0.99); // 3
 * ```
 *
 * @module
 */

/** USER_HZ on Linux: the unit of utime/stime in /proc/<pid>/stat. */
const CLOCK_TICKS = 100;

/** A real sleep (benchmarks run real processes, so time is real). */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Resident memory of a process (VmRSS), KiB. */
export async function rssKiB(pid: number): Promise<number> {
  const status = await Deno.readTextFile(`/proc/${pid}/status`);
  const m = /^VmRSS:\s+(\d+) kB$/m.exec(status);
  if (!m) throw new Error(`Cannot read the RSS of process ${pid}: no VmRSS in /proc/${pid}/status`);
  return Number(m[1]);
}

/** CPU time (utime + stime) a process has used, seconds. */
export async function cpuSeconds(pid: number): Promise<number> {
  const stat = await Deno.readTextFile(`/proc/${pid}/stat`);
  const rest = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(rest[11]) + Number(rest[12])) / CLOCK_TICKS;
}

/** The value at quantile `q` (0..1) of `values` (nearest rank); NaN when empty. */
export function quantile(values: number[], q: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
}

/** The median (nearest rank) of `values`. */
export function median(values: number[]): number {
  return quantile(values, 0.5);
}

/** A loopback TCP port that was free a moment ago. */
export function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const { port } = listener.addr as Deno.NetAddr;
  listener.close();
  return port;
}

/** What the benchmark ran on: CPU count and model, memory, kernel, Deno. */
export async function machine(): Promise<Record<string, string | number>> {
  const cpuinfo = await Deno.readTextFile("/proc/cpuinfo").catch(() => "");
  const meminfo = await Deno.readTextFile("/proc/meminfo").catch(() => "");
  const model = /^model name\s*:\s*(.+)$/m.exec(cpuinfo)?.[1] ?? "unknown";
  const memKiB = Number(/^MemTotal:\s+(\d+) kB$/m.exec(meminfo)?.[1] ?? NaN);
  return {
    nproc: navigator.hardwareConcurrency,
    cpuModel: model.trim(),
    memoryGiB: +(memKiB / 1024 / 1024).toFixed(1),
    kernel: Deno.osRelease(),
    deno: Deno.version.deno,
  };
}

/** One sample of a Prometheus text exposition: name, labels, value. */
export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** Parses Prometheus text format (the subset prom-client writes). */
export function parseMetrics(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of text.split("\n")) {
    if (!line || line.startsWith("#")) continue;
    const m = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})?\s+(\S+)/.exec(line);
    if (!m) continue;
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? "").matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) labels[l[1]!] = l[2]!;
    samples.push({ name: m[1]!, labels, value: Number(m[3]) });
  }
  return samples;
}

/** Sum of every sample of `name` whose labels include `where`. */
export function sumOf(samples: Sample[], name: string, where: Record<string, string> = {}): number {
  return samples.filter((s) =>
    s.name === name && Object.entries(where).every(([k, v]) => s.labels[k] === v)
  ).reduce((a, s) => a + s.value, 0);
}

/** Fetches and parses `/metrics` on the loopback port. */
export async function scrape(port: number): Promise<Sample[]> {
  const res = await fetch(`http://127.0.0.1:${port}/metrics`);
  return parseMetrics(await res.text());
}
