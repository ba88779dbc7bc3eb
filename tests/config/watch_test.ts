import { type DirWatcher, watchConfig } from "../../src/config/mod.ts";
import { configFingerprint, isRelevantEvent } from "../../src/config/_watch_events.ts";
import { assert, assertEquals, assertFalse, assertThrows } from "../support/assert.ts";
import { FakeClock, flushMicrotasks } from "../support/fake_clock.ts";
import { tmpDir } from "../support/tmp_dir.ts";

/** A directory watcher the test feeds events into. */
class FakeDirWatcher implements DirWatcher {
  closed = false;
  #queue: Deno.FsEvent[] = [];
  #wake: (() => void) | undefined;
  #error: Error | undefined;

  constructor(readonly dir: string) {}

  emit(kind: Deno.FsEvent["kind"], ...names: string[]): void {
    this.#queue.push({ kind, paths: names.map((n) => `${this.dir}/${n}`) });
    this.#wake?.();
  }

  fail(error: Error): void {
    this.#error = error;
    this.#wake?.();
  }

  close(): void {
    this.closed = true;
    this.#wake?.();
  }

  async *[Symbol.asyncIterator](): AsyncIterator<Deno.FsEvent> {
    while (!this.closed) {
      const next = this.#queue.shift();
      if (next) {
        yield next;
        continue;
      }
      if (this.#error) throw this.#error;
      await new Promise<void>((resolve) => this.#wake = resolve);
      this.#wake = undefined;
    }
  }
}

interface Harness {
  clock: FakeClock;
  changes: () => number;
  watchers: FakeDirWatcher[];
  /** The current version of each path (realPath, content id); absent = missing. */
  files: Map<string, { realPath: string; id: string }>;
  controller: AbortController;
  close: () => void;
}

function harness(options: { debounceMs?: number; maxWaitMs?: number } = {}): Harness {
  const clock = new FakeClock();
  const watchers: FakeDirWatcher[] = [];
  const files = new Map([["/etc/app/config.yaml", {
    realPath: "/etc/app/config.yaml",
    id: "v1",
  }]]);
  let changes = 0;
  const controller = new AbortController();
  const watcher = watchConfig("/etc/app/config.yaml", {
    onChange: () => changes++,
    signal: controller.signal,
    clock,
    watchFs: (dir) => {
      const w = new FakeDirWatcher(dir);
      watchers.push(w);
      return w;
    },
    fingerprint: (path) => Promise.resolve(files.get(path)),
    ...options,
  });
  return { clock, changes: () => changes, watchers, files, controller, close: watcher.close };
}

function edit(h: Harness, id: string, realPath = "/etc/app/config.yaml"): void {
  h.files.set("/etc/app/config.yaml", { realPath, id });
}

Deno.test("watchConfig() watches the config file's directory, not the file", async () => {
  const h = harness();
  await flushMicrotasks();
  assertEquals(h.watchers.map((w) => w.dir), ["/etc/app"]);
  h.close();
});

Deno.test("watchConfig() calls onChange once after a burst of events settles", async () => {
  const h = harness();
  await flushMicrotasks();
  edit(h, "v2");
  for (let i = 0; i < 5; i++) {
    h.watchers[0]!.emit("modify", "config.yaml");
    await h.clock.tick(100);
  }
  assertEquals(h.changes(), 0, "still inside the debounce window");
  await h.clock.tick(200);
  assertEquals(h.changes(), 1);
  h.close();
});

Deno.test("watchConfig() fires by maxWaitMs even while events keep coming", async () => {
  const h = harness({ debounceMs: 200, maxWaitMs: 1000 });
  await flushMicrotasks();
  edit(h, "v2");
  for (let i = 0; i < 9; i++) {
    h.watchers[0]!.emit("modify", "config.yaml");
    await h.clock.tick(100);
  }
  assertEquals(h.changes(), 0);
  h.watchers[0]!.emit("modify", "config.yaml");
  await h.clock.tick(100);
  assertEquals(h.changes(), 1, "the cap of 1000 ms after the first event was reached");
  h.close();
});

Deno.test("watchConfig() ignores events that do not change the resolved path or content", async () => {
  const h = harness();
  await flushMicrotasks();
  h.watchers[0]!.emit("modify", "config.yaml");
  await h.clock.tick(500);
  assertEquals(h.changes(), 0, "touched, same content");
  h.close();
});

Deno.test("watchConfig() ignores events about other files in the directory", async () => {
  const h = harness();
  await flushMicrotasks();
  edit(h, "v2");
  h.watchers[0]!.emit("modify", "other.yaml");
  h.watchers[0]!.emit("access", "config.yaml");
  await h.clock.tick(500);
  assertEquals(h.changes(), 0);
  h.watchers[0]!.emit("create", "config.yaml");
  await h.clock.tick(500);
  assertEquals(h.changes(), 1);
  h.close();
});

Deno.test("watchConfig() sees an editor's write-to-temp-then-rename save", async () => {
  const h = harness();
  await flushMicrotasks();
  h.files.delete("/etc/app/config.yaml");
  h.watchers[0]!.emit("create", ".config.yaml.swp");
  h.watchers[0]!.emit("remove", "config.yaml");
  await h.clock.tick(300);
  assertEquals(h.changes(), 0, "a missing file is a step of the save, not a change");
  edit(h, "v2");
  h.watchers[0]!.emit("rename", ".config.yaml.swp", "config.yaml");
  await h.clock.tick(300);
  assertEquals(h.changes(), 1);
  h.close();
});

Deno.test("watchConfig() sees a ConfigMap ..data symlink swap", async () => {
  const h = harness();
  await flushMicrotasks();
  // config.yaml -> ..data/config.yaml; the swap renames ..data_tmp over ..data.
  edit(h, "v1", "/etc/app/..2026_01_01_00_00_00.1/config.yaml");
  h.watchers[0]!.emit("create", "..2026_01_01_00_00_00.1");
  h.watchers[0]!.emit("rename", "..data_tmp", "..data");
  await h.clock.tick(300);
  assertEquals(h.changes(), 1, "the resolved path changed");
  edit(h, "v2", "/etc/app/..2026_01_01_00_00_00.2/config.yaml");
  h.watchers[0]!.emit("rename", "..data_tmp", "..data");
  await h.clock.tick(300);
  assertEquals(h.changes(), 2);
  h.close();
});

Deno.test("watchConfig() also watches the directory a symlink points into", async () => {
  const h = harness();
  await flushMicrotasks();
  edit(h, "v2", "/shared/config/app.yaml");
  h.watchers[0]!.emit("modify", "config.yaml");
  await h.clock.tick(300);
  assertEquals(h.changes(), 1);
  assertEquals(h.watchers.map((w) => w.dir), ["/etc/app", "/shared/config"]);
  edit(h, "v3", "/shared/config/app.yaml");
  h.watchers[1]!.emit("modify", "app.yaml");
  await h.clock.tick(300);
  assertEquals(h.changes(), 2, "a change at the target is seen");
  h.close();
});

Deno.test("watchConfig() stops on abort and closes its watchers", async () => {
  const h = harness();
  await flushMicrotasks();
  edit(h, "v2");
  h.watchers[0]!.emit("modify", "config.yaml");
  h.controller.abort();
  await h.clock.tick(1000);
  assertEquals(h.changes(), 0);
  assert(h.watchers[0]!.closed);
  assertEquals(h.clock.pending, 0, "no timer left behind");
});

Deno.test("watchConfig() keeps watching after onChange throws", async () => {
  const clock = new FakeClock();
  let id = "v1";
  let calls = 0;
  let watcher: FakeDirWatcher | undefined;
  const w = watchConfig("/etc/app/config.yaml", {
    onChange: () => {
      calls++;
      throw new Error("boom");
    },
    signal: new AbortController().signal,
    clock,
    watchFs: (dir) => watcher = new FakeDirWatcher(dir),
    fingerprint: () => Promise.resolve({ realPath: "/etc/app/config.yaml", id }),
  });
  await flushMicrotasks();
  id = "v2";
  watcher!.emit("modify", "config.yaml");
  await clock.tick(300);
  id = "v3";
  watcher!.emit("modify", "config.yaml");
  await clock.tick(300);
  assertEquals(calls, 2);
  w.close();
});

Deno.test("watchConfig() sets the watch up again after it fails, and catches up", async () => {
  const h = harness({ debounceMs: 200, maxWaitMs: 2000 });
  await flushMicrotasks();
  h.watchers[0]!.fail(new Error("inotify queue overflow"));
  await flushMicrotasks();
  edit(h, "v2"); // changed while nobody watched
  await h.clock.tick(2000);
  assertEquals(h.watchers.length, 2, "a new watcher");
  await flushMicrotasks();
  assertEquals(h.changes(), 1, "the missed change is found by a check");
  h.close();
});

Deno.test("watchConfig() does not throw when the directory cannot be watched", async () => {
  const clock = new FakeClock();
  let attempts = 0;
  const w = watchConfig("/nope/config.yaml", {
    onChange: () => {},
    signal: new AbortController().signal,
    clock,
    watchFs: () => {
      attempts++;
      throw new Deno.errors.NotFound("No such file or directory");
    },
    fingerprint: () => Promise.resolve(undefined),
  });
  await clock.tick(4000);
  assertEquals(attempts, 3, "tried at start, after 2 s and after 4 s");
  w.close();
  assertEquals(clock.pending, 0);
});

Deno.test("watchConfig() rejects a relative path and a maxWaitMs below debounceMs", () => {
  const base = { onChange: () => {}, signal: new AbortController().signal };
  assertThrows(() => watchConfig("config.yaml", base), TypeError);
  assertThrows(
    () => watchConfig("/a/config.yaml", { ...base, debounceMs: 500, maxWaitMs: 100 }),
    RangeError,
  );
});

Deno.test("isRelevantEvent() accepts the file, its target and ConfigMap entries only", () => {
  const file = { path: "/etc/app/config.yaml", realPath: "/etc/app/..2026/config.yaml" };
  const ev = (kind: Deno.FsEvent["kind"], ...paths: string[]) => ({ kind, paths });
  assert(isRelevantEvent(ev("modify", "/etc/app/config.yaml"), file));
  assert(isRelevantEvent(ev("rename", "/etc/app/..data_tmp", "/etc/app/..data"), file));
  assert(isRelevantEvent(ev("create", "/etc/app/..2026"), file));
  assert(isRelevantEvent(ev("other"), file), "a rescan without paths");
  assertFalse(isRelevantEvent(ev("modify", "/etc/app/other.yaml"), file));
  assertFalse(isRelevantEvent(ev("access", "/etc/app/config.yaml"), file));
});

Deno.test("configFingerprint() follows symlinks and changes with the content", async () => {
  await using dir = await tmpDir();
  await Deno.mkdir(dir.join("..v1"));
  await Deno.writeTextFile(dir.join("..v1/config.yaml"), "a: 1\n");
  await Deno.symlink("..v1", dir.join("..data"));
  await Deno.symlink("..data/config.yaml", dir.join("config.yaml"));
  const first = await configFingerprint(dir.join("config.yaml"));
  assertEquals(first?.realPath, await Deno.realPath(dir.join("..v1/config.yaml")));
  await Deno.writeTextFile(dir.join("..v1/config.yaml"), "a: 2\n");
  const second = await configFingerprint(dir.join("config.yaml"));
  assert(first!.id !== second!.id);
  assertEquals(await configFingerprint(dir.join("missing.yaml")), undefined);
});

Deno.test("watchConfig() sees a real symlink swap with Deno.watchFs", async () => {
  await using dir = await tmpDir();
  await Deno.mkdir(dir.join("..v1"));
  await Deno.writeTextFile(dir.join("..v1/config.yaml"), "a: 1\n");
  await Deno.symlink("..v1", dir.join("..data"));
  await Deno.symlink("..data/config.yaml", dir.join("config.yaml"));
  const controller = new AbortController();
  const { promise, resolve } = Promise.withResolvers<void>();
  const watcher = watchConfig(dir.join("config.yaml"), {
    onChange: resolve,
    signal: controller.signal,
    debounceMs: 20,
    maxWaitMs: 100,
  });
  try {
    // Let the initial fingerprint settle before the swap.
    await configFingerprint(dir.join("config.yaml"));
    await Deno.mkdir(dir.join("..v2"));
    await Deno.writeTextFile(dir.join("..v2/config.yaml"), "a: 2\n");
    await Deno.symlink("..v2", dir.join("..data_tmp"));
    await Deno.rename(dir.join("..data_tmp"), dir.join("..data"));
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<never>((_, reject) =>
      timer = setTimeout(() => reject(new Error("no change seen within 5 s")), 5000)
    );
    try {
      await Promise.race([promise, timeout]);
    } finally {
      clearTimeout(timer);
    }
  } finally {
    watcher.close();
    controller.abort();
  }
});

Deno.test("watchConfig() drops the watch of a former symlink target's directory", async () => {
  const h = harness();
  await flushMicrotasks();
  edit(h, "v2", "/shared/a/app.yaml");
  h.watchers[0]!.emit("modify", "config.yaml");
  await h.clock.tick(300);
  edit(h, "v3", "/shared/b/app.yaml");
  h.watchers[0]!.emit("modify", "config.yaml");
  await h.clock.tick(300);
  assertEquals(h.changes(), 2);
  assertEquals(h.watchers.map((w) => w.dir), ["/etc/app", "/shared/a", "/shared/b"]);
  h.watchers[1]!.fail(new Error("directory removed"));
  await h.clock.tick(5000);
  assertEquals(h.watchers.length, 3, "no retry for /shared/a");
  assertEquals(h.clock.pending, 0);
  h.close();
});

Deno.test("watchConfig() does not retry a watch it has no permission for", async () => {
  const clock = new FakeClock();
  let attempts = 0;
  const w = watchConfig("/etc/app/config.yaml", {
    onChange: () => {},
    signal: new AbortController().signal,
    clock,
    watchFs: () => {
      attempts++;
      throw new Deno.errors.NotCapable('Requires read access to "/etc/app"');
    },
    fingerprint: () => Promise.resolve(undefined),
  });
  await clock.tick(10_000);
  assertEquals(attempts, 1);
  assertEquals(clock.pending, 0);
  w.close();
});
