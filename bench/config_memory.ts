/**
 * Memory of a large config: parses a generated config of N secrets (one KV read and one file
 * each, like `bench/compare.ts`) with `parseConfig`, then parses every secret's templates with the
 * syncer, and prints V8's live heap (after a full GC) and the process's RSS after each step.
 * The difference shows what a config keeps alive per secret against the high-water mark its
 * parse leaves in RSS.
 *
 * Run: `deno run -A --v8-flags=--expose-gc,--max-semi-space-size=1 bench/config_memory.ts [N=2000]`
 *
 * @module
 */
import { parseConfig } from "../src/config/mod.ts";
import { Syncer } from "../src/sync/syncer.ts";

const count = Number(Deno.args[0] ?? 2000);
const gc = (globalThis as { gc?: () => void }).gc;
if (gc === undefined) throw new Error("Run with --v8-flags=--expose-gc");

let yaml = "secretStore:\n  address: http://127.0.0.1:8200\n  token: x\nsecrets:\n";
for (let i = 0; i < count; i++) {
  yaml += `  - name: s${i}\n    key: bench/s${i}\n    refreshInterval: 60s\n` +
    `    template:\n      data:\n        out: "USER={{ .username }}\\nPASSWORD={{ .password }}\\n"\n` +
    `    files: [{ path: /tmp/bench-config-memory/s${i}.env }]\n`;
}

const mib = (bytes: number) => (bytes / 1048576).toFixed(1);
function sample(label: string, before?: Deno.MemoryUsage): Deno.MemoryUsage {
  gc!();
  const now = Deno.memoryUsage();
  const perSecret = before
    ? `, +${((now.heapUsed - before.heapUsed) / count / 1024).toFixed(1)} KiB live heap per secret`
    : "";
  console.log(`${label}: live heap ${mib(now.heapUsed)} MiB, RSS ${mib(now.rss)} MiB${perSecret}`);
  return now;
}

const start = sample("start");
const plan = parseConfig(yaml, { file: "/tmp/bench-config-memory.yaml", env: () => undefined });
const parsed = sample(`config of ${count} secrets parsed`, start);
const syncer = new Syncer({
  reader: () => {
    throw new Error("not used");
  },
  sink: {
    write: () => Promise.reject(new Error("not used")),
    remove: () => Promise.reject(new Error("not used")),
  },
  runHooks: () => Promise.resolve([]),
});
for (const secret of plan.secrets) syncer.compile(secret);
sample("templates parsed", parsed);
