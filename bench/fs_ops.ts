/**
 * CPU of one atomic file write (create temp, write, fsync, chmod, rename, directory fsync) with
 * Deno's async file calls, with sync calls, and with sync calls but async fsyncs (what
 * `src/sink/fs_adapter.ts` does), in turn, in one process. Also the time an async call blocks
 * the caller before it returns its promise. Linux only (/proc/self/stat).
 *
 * Run: `deno run -A bench/fs_ops.ts [writes=2000] [rounds=2] [dir=/tmp]`
 *
 * @module
 */
const writes = Number(Deno.args[0] ?? 2000);
const rounds = Number(Deno.args[1] ?? 2);
const parent = Deno.args[2] ?? "/tmp";

/** utime + stime of this process, ms (CLK_TCK 100). */
function cpuMs(): number {
  const stat = Deno.readTextFileSync("/proc/self/stat");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

type Mode = "async" | "sync" | "sync, async fsync";
const data = new TextEncoder().encode(
  "USER=user-1\nPASSWORD=0b7c6f43-54a1-4f55-9a38-07a3a5a1f0d2\n",
);

async function writeOne(mode: Mode, dir: string, path: string): Promise<number> {
  const temp = `${path}.tmp`;
  let blocked = 0;
  const timed = <T>(call: () => Promise<T>): Promise<T> => {
    const t = performance.now();
    const promise = call();
    blocked += performance.now() - t;
    return promise;
  };
  if (mode === "async") {
    const file = await timed(() => Deno.open(temp, { createNew: true, write: true, mode: 0o600 }));
    await file.write(data);
    await timed(() => file.sync());
    file.close();
    await timed(() => Deno.chmod(temp, 0o600));
    await timed(() => Deno.rename(temp, path));
    const d = await timed(() => Deno.open(dir, { read: true }));
    await d.sync();
    d.close();
    return blocked;
  }
  const file = Deno.openSync(temp, { createNew: true, write: true, mode: 0o600 });
  file.writeSync(data);
  if (mode === "sync") file.syncSync();
  else await file.sync();
  file.close();
  Deno.chmodSync(temp, 0o600);
  Deno.renameSync(temp, path);
  const d = Deno.openSync(dir, { read: true });
  if (mode === "sync") d.syncSync();
  else await d.sync();
  d.close();
  return 0;
}

const modes: Mode[] = ["async", "sync", "sync, async fsync"];
console.log(`| round | calls | CPU per write | wall per write | async call blocks the caller |`);
console.log(`| --: | --- | --: | --: | --: |`);
for (let round = 1; round <= rounds; round++) {
  for (const mode of modes) {
    const dir = Deno.makeTempDirSync({ dir: parent, prefix: "fs-ops-" });
    try {
      let blocked = 0;
      const cpu0 = cpuMs();
      const t0 = performance.now();
      for (let i = 0; i < writes; i++) blocked += await writeOne(mode, dir, `${dir}/f${i}`);
      const wall = performance.now() - t0;
      const cpu = cpuMs() - cpu0;
      console.log(
        `| ${round} | ${mode} | ${(cpu / writes * 1000).toFixed(0)} µs | ${
          (wall / writes).toFixed(2)
        } ms | ${mode === "async" ? `${(blocked / writes * 1000).toFixed(0)} µs` : "—"} |`,
      );
    } finally {
      Deno.removeSync(dir, { recursive: true });
    }
  }
}
