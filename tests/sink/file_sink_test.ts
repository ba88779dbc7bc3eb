import {
  assert,
  assertEquals,
  assertMatch,
  assertNotEquals,
  assertRejects,
  assertStrictEquals,
  assertThrows,
  fail,
} from "../support/assert.ts";
import { FileSink } from "../../src/sink/file_sink.ts";
import { SinkError } from "../../src/sink/sink_error.ts";
import { requireRoot, requireTool } from "../support/requires.ts";
import { tmpDir } from "../support/tmp_dir.ts";
import { captureLogs, faultyFs, filePlan, listDir, osError } from "./_support.ts";

const root = requireRoot({
  test: import.meta.url,
  skips: "the real chown tests (numeric owner change, EPERM as uid 65534)",
});
const setpriv = root && await requireTool("setpriv", {
  test: import.meta.url,
  skips: "the real EPERM test (it runs a chown as uid 65534)",
  install: "apt-get install util-linux",
});

const SECRET = "DB_PASSWORD=hunter2-very-secret\n";
const enc = (text: string) => new TextEncoder().encode(text);

async function rejectsWithSinkError(
  promise: Promise<unknown>,
  step: string,
  pattern?: RegExp,
): Promise<SinkError> {
  try {
    await promise;
  } catch (err) {
    assert(err instanceof SinkError, `expected SinkError, got ${err}`);
    assertStrictEquals(err.name, "SinkError");
    assertStrictEquals(err.step, step, err.message);
    if (pattern) assertMatch(err.message, pattern);
    assert(!err.message.includes("hunter2"), "error message leaks content");
    return err;
  }
  fail("expected a SinkError");
}

Deno.test("FileSink.write() creates a missing file with the content and mode", async () => {
  await using dir = await tmpDir();
  await using logs = await captureLogs();
  const path = dir.join("app.env");
  const result = await new FileSink().write(filePlan(path, { mode: 0o640 }), enc(SECRET));
  assertStrictEquals(result, "written");
  assertStrictEquals(await Deno.readTextFile(path), SECRET);
  assertStrictEquals((await Deno.stat(path)).mode! & 0o7777, 0o640);
  assertEquals(await listDir(dir.path), ["app.env"]);
  assert(logs.records.length > 0);
  assert(!logs.text().includes("hunter2"), "logs leak content");
});

Deno.test("FileSink.write() returns unchanged for identical bytes and keeps mtime and inode", async () => {
  await using dir = await tmpDir();
  const path = dir.join("app.env");
  const sink = new FileSink();
  await sink.write(filePlan(path), enc(SECRET));
  const before = await Deno.stat(path);
  assertStrictEquals(await sink.write(filePlan(path), enc(SECRET)), "unchanged");
  const after = await Deno.stat(path);
  assertStrictEquals(after.mtime?.getTime(), before.mtime?.getTime());
  assertStrictEquals(after.ino, before.ino);
});

Deno.test("FileSink.write() replaces different content of the same size with a new inode", async () => {
  await using dir = await tmpDir();
  const path = dir.join("app.env");
  const sink = new FileSink();
  await sink.write(filePlan(path), enc("A=1\n"));
  const before = await Deno.stat(path);
  assertStrictEquals(await sink.write(filePlan(path), enc("A=2\n")), "written");
  assertStrictEquals(await Deno.readTextFile(path), "A=2\n");
  assertNotEquals((await Deno.stat(path)).ino, before.ino);
  assertEquals(await listDir(dir.path), ["app.env"]);
});

Deno.test("FileSink.write() fixes only the mode when the content is identical", async () => {
  await using dir = await tmpDir();
  const path = dir.join("app.env");
  await Deno.writeTextFile(path, SECRET, { mode: 0o644 });
  await Deno.chmod(path, 0o644);
  const before = await Deno.stat(path);
  assertStrictEquals(
    await new FileSink().write(filePlan(path, { mode: 0o600 }), enc(SECRET)),
    "written",
  );
  const after = await Deno.stat(path);
  assertStrictEquals(after.mode! & 0o7777, 0o600);
  assertStrictEquals(after.ino, before.ino);
  assertStrictEquals(await Deno.readTextFile(path), SECRET);
});

Deno.test("FileSink.write() applies the planned mode despite a restrictive umask", async () => {
  await using dir = await tmpDir();
  const modes = ["644", "666", "400"];
  const child = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", new URL("./_umask_child.ts", import.meta.url).pathname, dir.path, ...modes],
    stdout: "inherit",
    stderr: "inherit",
  }).output();
  assert(child.success);
  for (const mode of modes) {
    assertStrictEquals(
      (await Deno.stat(dir.join(`f${mode}`))).mode! & 0o7777,
      parseInt(mode, 8),
      mode,
    );
  }
});

Deno.test("FileSink.write() refuses to write through a symlink", async () => {
  await using dir = await tmpDir();
  const real = dir.join("real.env");
  const link = dir.join("link.env");
  await Deno.writeTextFile(real, "old");
  await Deno.symlink(real, link);
  await rejectsWithSinkError(
    new FileSink().write(filePlan(link), enc(SECRET)),
    "policy",
    /symbolic link/,
  );
  assertStrictEquals(await Deno.readTextFile(real), "old");
  assert((await Deno.lstat(link)).isSymlink);
});

Deno.test("FileSink.write() refuses a non-regular file at the target", async () => {
  await using dir = await tmpDir();
  const asDir = dir.join("is-a-dir");
  await Deno.mkdir(asDir);
  const fifo = dir.join("fifo");
  const made = await new Deno.Command("mkfifo", { args: [fifo] }).output();
  assert(made.success);
  const sink = new FileSink();
  await rejectsWithSinkError(sink.write(filePlan(asDir), enc("x")), "policy", /a directory/);
  await rejectsWithSinkError(sink.write(filePlan(fifo), enc("x")), "policy", /a FIFO/);
  assert((await Deno.lstat(fifo)).isFifo);
  assertEquals(await listDir(dir.path), ["fifo", "is-a-dir"]);
});

Deno.test("FileSink.write() creates missing parent directories with 0700 when createDirs is set", async () => {
  await using dir = await tmpDir();
  const path = dir.join("a", "b", "app.env");
  const result = await new FileSink().write(filePlan(path, { createDirs: true }), enc("x"));
  assertStrictEquals(result, "written");
  assertStrictEquals(await Deno.readTextFile(path), "x");
  assertStrictEquals((await Deno.stat(dir.join("a", "b"))).mode! & 0o777, 0o700);
  assertStrictEquals((await Deno.stat(dir.join("a"))).mode! & 0o777, 0o700);
});

Deno.test("FileSink.write() explains a missing directory when createDirs is not set", async () => {
  await using dir = await tmpDir();
  const path = dir.join("missing", "app.env");
  const err = await rejectsWithSinkError(
    new FileSink().write(filePlan(path), enc(SECRET)),
    "mkdir",
    /directory ".*\/missing" does not exist; create it or set createDirs: true/,
  );
  assertStrictEquals(err.path, path);
  assertEquals(await listDir(dir.path), []);
});

Deno.test("FileSink.write() keeps the old file and removes the temp file when rename fails", async () => {
  await using dir = await tmpDir();
  const path = dir.join("app.env");
  await Deno.writeTextFile(path, "old content");
  const fs = faultyFs({
    rename: () => Promise.reject(osError(Deno.errors.PermissionDenied, "Permission denied", 13)),
  });
  await rejectsWithSinkError(
    new FileSink({ fs }).write(filePlan(path), enc(SECRET)),
    "rename",
    /^Cannot write ".*app\.env": permission denied \(rename over target\)$/,
  );
  assertStrictEquals(await Deno.readTextFile(path), "old content");
  assertEquals(await listDir(dir.path), ["app.env"]);
});

Deno.test("FileSink.write() keeps the old file and removes the temp file when a step fails", async () => {
  const fault = () => Promise.reject(osError(Deno.errors.WriteZero, "No space left on device", 28));
  const cases = [
    { step: "write", fs: { openWith: { write: fault } } },
    { step: "fsync", fs: { openWith: { sync: fault } } },
    { step: "chmod", fs: { chmod: fault } },
  ] as const;
  for (const c of cases) {
    await using dir = await tmpDir();
    const path = dir.join("app.env");
    await Deno.writeTextFile(path, "old content");
    const fs = faultyFs({
      ...("chmod" in c.fs ? { chmod: c.fs.chmod } : {}),
      open: async (p, options) => {
        const handle = await Deno.open(p, options);
        if (!options.createNew || !("openWith" in c.fs)) return handle;
        return {
          read: (b) => handle.read(b),
          write: (b) => handle.write(b),
          truncate: (n) => handle.truncate(n),
          sync: () => handle.sync(),
          stat: () => handle.stat(),
          close: () => handle.close(),
          ...c.fs.openWith,
        };
      },
    });
    await rejectsWithSinkError(
      new FileSink({ fs }).write(filePlan(path), enc(SECRET)),
      c.step,
      /no space left on device/,
    );
    assertStrictEquals(await Deno.readTextFile(path), "old content", c.step);
    assertEquals(await listDir(dir.path), ["app.env"], c.step);
  }
});

Deno.test("FileSink.write() in inplace mode keeps the inode", async () => {
  await using dir = await tmpDir();
  const path = dir.join("bind.env");
  await Deno.writeTextFile(path, "a much longer old content than the new one\n");
  const before = await Deno.stat(path);
  const result = await new FileSink().write(
    filePlan(path, { writeMode: "inplace", mode: 0o640 }),
    enc("new\n"),
  );
  assertStrictEquals(result, "written");
  const after = await Deno.stat(path);
  assertStrictEquals(after.ino, before.ino);
  assertStrictEquals(after.mode! & 0o7777, 0o640);
  assertStrictEquals(await Deno.readTextFile(path), "new\n");
  assertEquals(await listDir(dir.path), ["bind.env"]);
});

Deno.test("FileSink.write() in inplace mode creates a missing file", async () => {
  await using dir = await tmpDir();
  const path = dir.join("bind.env");
  assertStrictEquals(
    await new FileSink().write(filePlan(path, { writeMode: "inplace" }), enc("x")),
    "written",
  );
  assertStrictEquals(await Deno.readTextFile(path), "x");
});

Deno.test("FileSink.write() rejects content over maxBytes without touching the file", async () => {
  await using dir = await tmpDir();
  const path = dir.join("app.env");
  await Deno.writeTextFile(path, "old");
  const sink = new FileSink({ maxBytes: 8 });
  await rejectsWithSinkError(
    sink.write(filePlan(path), new Uint8Array(9)),
    "limit",
    /content is 9 bytes, over the limit of 8 bytes \(maxBytes\)/,
  );
  assertStrictEquals(await sink.write(filePlan(path), new Uint8Array(8)), "written");
  assertStrictEquals((await Deno.readFile(path)).length, 8);
});

Deno.test("FileSink rejects an invalid maxBytes or mode at once", async () => {
  assertThrows(() => new FileSink({ maxBytes: -1 }), RangeError);
  await using dir = await tmpDir();
  await assertRejects(
    () => new FileSink().write(filePlan(dir.join("x"), { mode: 0o10000 }), enc("x")),
    RangeError,
  );
});

Deno.test("FileSink.write() refuses a relative path", async () => {
  await rejectsWithSinkError(new FileSink().write(filePlan("rel/app.env"), enc("x")), "policy");
});

Deno.test("FileSink.write() changes owner and group to numeric ids when running as root", {
  ignore: !root,
}, async () => {
  await using dir = await tmpDir();
  const path = dir.join("app.env");
  const plan = filePlan(path, { owner: "1234", group: "4321" });
  assertStrictEquals(await new FileSink().write(plan, enc(SECRET)), "written");
  const info = await Deno.stat(path);
  assertStrictEquals(info.uid, 1234);
  assertStrictEquals(info.gid, 4321);
  assertStrictEquals(info.mode! & 0o7777, 0o600);
  assertStrictEquals(await new FileSink().write(plan, enc(SECRET)), "unchanged");
  // Same content, other owner: fixed in place and reported as a change.
  const other = filePlan(path, { owner: "4321" });
  assertStrictEquals(await new FileSink().write(other, enc(SECRET)), "written");
  assertStrictEquals((await Deno.stat(path)).uid, 4321);
  assertStrictEquals((await Deno.stat(path)).ino, info.ino);
});

Deno.test("FileSink.write() resolves owner and group names from passwd and group files", async () => {
  await using dir = await tmpDir();
  const path = dir.join("app.env");
  const calls: Array<[string, number | null, number | null]> = [];
  const fs = faultyFs({
    readTextFile: (p) =>
      Promise.resolve(
        p === "/etc/passwd"
          ? "root:x:0:0::/root:/bin/sh\napp:x:1000:1000::/home/app:/bin/sh\n"
          : "root:x:0:\nweb:x:2000:app\n",
      ),
    chown: (p, uid, gid) => {
      calls.push([p, uid, gid]);
      return Promise.resolve();
    },
  });
  await new FileSink({ fs }).write(filePlan(path, { owner: "app", group: "web" }), enc("x"));
  assertStrictEquals(calls.length, 1);
  assertMatch(calls[0]![0], /\/\.app\.env\.secrets-sync\.[0-9a-z]{10}\.tmp$/);
  assertEquals(calls[0]!.slice(1), [1000, 2000]);
});

Deno.test("FileSink.write() explains an unknown owner name", async () => {
  await using dir = await tmpDir();
  const fs = faultyFs({ readTextFile: () => Promise.resolve("root:x:0:0::/root:/bin/sh\n") });
  await rejectsWithSinkError(
    new FileSink({ fs }).write(filePlan(dir.join("a"), { owner: "ghost" }), enc("x")),
    "chown",
    /unknown user "ghost" \(not in \/etc\/passwd\)/,
  );
  assertEquals(await listDir(dir.path), []);
});

Deno.test("FileSink.write() says the process must run as root when chown is not permitted", async () => {
  await using dir = await tmpDir();
  const path = dir.join("app.env");
  await Deno.writeTextFile(path, "old content");
  const fs = faultyFs({
    readTextFile: () => Promise.resolve("app:x:1000:1000::/home/app:/bin/sh\n"),
    chown: () =>
      Promise.reject(osError(Deno.errors.PermissionDenied, "Operation not permitted", 1)),
  });
  const err = await rejectsWithSinkError(
    new FileSink({ fs }).write(filePlan(path, { owner: "app" }), enc(SECRET)),
    "chown",
  );
  assertStrictEquals(
    err.message,
    `Cannot write "${path}": operation not permitted — the process must run as root or as that owner (chown to owner "app")`,
  );
  assert(err.cause instanceof Deno.errors.PermissionDenied);
  assertStrictEquals(await Deno.readTextFile(path), "old content");
  assertEquals(await listDir(dir.path), ["app.env"]);
});

Deno.test("FileSink.write() rejects with the abort reason and keeps the old file", async () => {
  await using dir = await tmpDir();
  const path = dir.join("app.env");
  await Deno.writeTextFile(path, "old content");
  const controller = new AbortController();
  const fs = faultyFs({
    chmod: (p, mode) => {
      controller.abort(new Error("stop"));
      return Deno.chmod(p, mode);
    },
  });
  await assertRejects(
    () => new FileSink({ fs }).write(filePlan(path), enc(SECRET), { signal: controller.signal }),
    Error,
    "stop",
  );
  assertStrictEquals(await Deno.readTextFile(path), "old content");
  assertEquals(await listDir(dir.path), ["app.env"]);
});

Deno.test("FileSink.write() handles a file name at the 255-byte limit", async () => {
  await using dir = await tmpDir();
  const path = dir.join("é".repeat(127) + "x");
  assertStrictEquals(await new FileSink().write(filePlan(path), enc("x")), "written");
  assertStrictEquals(await Deno.readTextFile(path), "x");
  assertEquals((await listDir(dir.path)).length, 1);
});

Deno.test("FileSink.cleanupTemps() removes only our leftover temp files", async () => {
  await using dir = await tmpDir();
  await using other = await tmpDir();
  const ours = [".app.env.secrets-sync.abcdefghij.tmp", ".x.secrets-sync.0123456789.tmp"];
  const theirs = [
    "app.env",
    ".app.env.tmp",
    "secrets-sync.abcdefghij.tmp",
    ".a.secrets-sync.x.tmp",
  ];
  for (const name of [...ours, ...theirs]) await Deno.writeTextFile(dir.join(name), "x");
  await Deno.writeTextFile(other.join(ours[0]!), "x");
  await Deno.mkdir(dir.join(".d.secrets-sync.abcdefghij.tmp"));
  const removed = await new FileSink().cleanupTemps([dir.path, other.path, dir.join("missing")]);
  assertStrictEquals(removed, 3);
  assertEquals(await listDir(dir.path), [...theirs, ".d.secrets-sync.abcdefghij.tmp"].sort());
  assertEquals(await listDir(other.path), []);
});

Deno.test("FileSink.remove() removes a regular file and reports a missing one as absent", async () => {
  await using dir = await tmpDir();
  const path = dir.join("app.env");
  await Deno.writeTextFile(path, "x");
  const sink = new FileSink();
  assertStrictEquals(await sink.remove(filePlan(path)), "removed");
  assertStrictEquals(await sink.remove(filePlan(path)), "absent");
  assertEquals(await listDir(dir.path), []);
});

Deno.test("FileSink.remove() refuses to remove a symlink", async () => {
  await using dir = await tmpDir();
  await Deno.writeTextFile(dir.join("real"), "x");
  await Deno.symlink(dir.join("real"), dir.join("link"));
  await rejectsWithSinkError(new FileSink().remove(filePlan(dir.join("link"))), "policy");
  assertEquals(await listDir(dir.path), ["link", "real"]);
});

Deno.test("FileSink.write() suggests inplace when the target is a mount point", async () => {
  await using dir = await tmpDir();
  const path = dir.join("bind.env");
  await Deno.writeTextFile(path, "old content");
  const fs = faultyFs({
    rename: () => Promise.reject(osError(Deno.errors.Busy, "Device or resource busy", 16)),
  });
  await rejectsWithSinkError(
    new FileSink({ fs }).write(filePlan(path), enc(SECRET)),
    "rename",
    /device or resource busy \(rename over target\); if the file is a single-file bind mount, set writeMode: inplace$/,
  );
  assertStrictEquals(await Deno.readTextFile(path), "old content");
  assertEquals(await listDir(dir.path), ["bind.env"]);
});

Deno.test("FileSink.write() explains that atomic writes need a writable directory", async () => {
  await using dir = await tmpDir();
  const path = dir.join("app.env");
  const fs = faultyFs({
    open: (p, options) =>
      options.createNew
        ? Promise.reject(osError(Deno.errors.PermissionDenied, "Permission denied", 13))
        : Deno.open(p, options),
  });
  await rejectsWithSinkError(
    new FileSink({ fs }).write(filePlan(path), enc(SECRET)),
    "open",
    /permission denied \(creating temp file in ".*"\); atomic writes need a writable directory, or set writeMode: inplace$/,
  );
});

Deno.test("FileSink.write() recognises a real EPERM from chown as a non-root user", {
  ignore: !setpriv,
}, async () => {
  // Runs a bare chown as "nobody" (no imports, so no package cache is needed), then feeds the
  // real error through the sink: proves the simulated fault above has the right shape.
  await using dir = await tmpDir();
  await Deno.chmod(dir.path, 0o777);
  const probe = dir.join("probe");
  const code = `try { await Deno.writeTextFile(${JSON.stringify(probe)}, "x");
    await Deno.chown(${JSON.stringify(probe)}, 0, null); console.log("{}"); }
    catch (e) { console.log(JSON.stringify({ name: e.name, message: e.message })); }`;
  const output = await new Deno.Command("setpriv", {
    args: [
      "--reuid=65534",
      "--regid=65534",
      "--clear-groups",
      Deno.execPath(),
      "eval",
      "--no-config",
      code,
    ],
    env: { HOME: dir.path, DENO_DIR: dir.join("deno") },
    stderr: "inherit",
  }).output();
  assert(output.success);
  const real = JSON.parse(new TextDecoder().decode(output.stdout)) as {
    name?: string;
    message?: string;
  };
  assertStrictEquals(real.name, "PermissionDenied");
  const path = dir.join("app.env");
  const fs = faultyFs({
    chown: () => Promise.reject(new Deno.errors.PermissionDenied(real.message)),
  });
  await rejectsWithSinkError(
    new FileSink({ fs }).write(filePlan(path, { owner: "0" }), enc(SECRET)),
    "chown",
    /operation not permitted — the process must run as root or as that owner \(chown to owner "0"\)$/,
  );
});

Deno.test("FileSink.write() follows a symlinked parent directory", async () => {
  await using dir = await tmpDir();
  await Deno.mkdir(dir.join("real"));
  await Deno.symlink(dir.join("real"), dir.join("secrets"));
  const result = await new FileSink().write(filePlan(dir.join("secrets", "app.env")), enc("x"));
  assertStrictEquals(result, "written");
  assertStrictEquals(await Deno.readTextFile(dir.join("real", "app.env")), "x");
  assertEquals(await listDir(dir.join("real")), ["app.env"]);
});
