/**
 * FileSink.check(): whether the sink will be able to write each planned file (owner and group
 * known, directory there or creatable, writable), asked before the first sync.
 */
import { FileSink } from "../../src/sink/mod.ts";
import { assertEquals } from "../support/assert.ts";
import { tmpDir } from "../support/tmp_dir.ts";
import { faultyFs, filePlan, listDir, osError } from "./_support.ts";

const PASSWD = "root:x:0:0::/root:/bin/sh\napp:x:1000:1000::/home/app:/bin/sh\n";
const GROUP = "root:x:0:\napp:x:1000:\n";

/** The real file system with fixed /etc/passwd and /etc/group. */
function withIds(overrides: Parameters<typeof faultyFs>[0] = {}) {
  return faultyFs({
    readTextFile: (path) =>
      path === "/etc/passwd"
        ? Promise.resolve(PASSWD)
        : path === "/etc/group"
        ? Promise.resolve(GROUP)
        : Deno.readTextFile(path),
    ...overrides,
  });
}

Deno.test("FileSink.check() accepts a writable directory and leaves nothing in it", async () => {
  await using dir = await tmpDir();
  const sink = new FileSink({ fs: withIds() });
  const problems = await sink.check([
    filePlan(dir.join("a.env"), { owner: "app", group: "1000" }),
    filePlan(dir.join("b.env")),
  ]);
  assertEquals(problems, []);
  assertEquals(await listDir(dir.path), []);
});

Deno.test("FileSink.check() names an unknown owner and group", async () => {
  await using dir = await tmpDir();
  const sink = new FileSink({ fs: withIds() });
  const path = dir.join("a.env");
  const problems = await sink.check([filePlan(path, { owner: "nobody-here", group: "wheel" })]);
  assertEquals(problems, [
    {
      path,
      field: "owner",
      message: `Cannot write "${path}": unknown user "nobody-here" (not in /etc/passwd)`,
    },
    {
      path,
      field: "group",
      message: `Cannot write "${path}": unknown group "wheel" (not in /etc/group)`,
    },
  ]);
});

Deno.test("FileSink.check() names a directory that does not exist unless createDirs can make it", async () => {
  await using dir = await tmpDir();
  const sink = new FileSink({ fs: withIds() });
  const missing = dir.join("nope/deeper/a.env");
  assertEquals(await sink.check([filePlan(missing)]), [{
    path: missing,
    field: "path",
    message: `Cannot write "${missing}": directory "${
      dir.join("nope/deeper")
    }" does not exist; create it or set createDirs: true`,
  }]);
  assertEquals(await sink.check([filePlan(missing, { createDirs: true })]), []);
  assertEquals(await listDir(dir.path), [], "nothing created");
});

Deno.test("FileSink.check() accepts a missing directory that another file creates", async () => {
  await using dir = await tmpDir();
  const sink = new FileSink({ fs: withIds() });
  assertEquals(
    await sink.check([
      filePlan(dir.join("out/a.env"), { createDirs: true }),
      filePlan(dir.join("out/b.env")),
    ]),
    [],
  );
});

Deno.test("FileSink.check() names a path whose directory is a file", async () => {
  await using dir = await tmpDir();
  await Deno.writeTextFile(dir.join("file"), "x");
  const sink = new FileSink({ fs: withIds() });
  const path = dir.join("file/a.env");
  for (const createDirs of [false, true]) {
    assertEquals(await sink.check([filePlan(path, { createDirs })]), [{
      path,
      field: "path",
      message: `Cannot write "${path}": "${dir.join("file")}" is not a directory`,
    }]);
  }
});

Deno.test("FileSink.check() names a directory it may not write in", async () => {
  await using dir = await tmpDir();
  const denied = withIds({
    open: (path, options) =>
      options.createNew
        ? Promise.reject(osError(Deno.errors.PermissionDenied, "Permission denied", 13))
        : Deno.open(path, options),
  });
  const path = dir.join("a.env");
  assertEquals(await new FileSink({ fs: denied }).check([filePlan(path)]), [{
    path,
    field: "path",
    message: `Cannot write "${path}": permission denied (creating a file in "${dir.path}")`,
  }]);
  const child = dir.join("sub/a.env");
  assertEquals(await new FileSink({ fs: denied }).check([filePlan(child, { createDirs: true })]), [{
    path: child,
    field: "path",
    message: `Cannot write "${child}": permission denied (creating directory "${
      dir.join("sub")
    }" in "${dir.path}")`,
  }]);
});

Deno.test("FileSink.check() checks an existing in-place file itself, not its directory", async () => {
  await using dir = await tmpDir();
  const path = dir.join("bind-mounted.env");
  await Deno.writeTextFile(path, "old");
  const readOnlyDir = withIds({
    open: (p, options) =>
      options.createNew
        ? Promise.reject(osError(Deno.errors.PermissionDenied, "Permission denied", 13))
        : Deno.open(p, options),
  });
  const sink = new FileSink({ fs: readOnlyDir });
  assertEquals(await sink.check([filePlan(path, { writeMode: "inplace" })]), []);
  assertEquals(await Deno.readTextFile(path), "old", "the file is not touched");
  const readOnlyFile = withIds({
    open: (p, options) =>
      options.write
        ? Promise.reject(osError(Deno.errors.PermissionDenied, "Permission denied", 13))
        : Deno.open(p, options),
  });
  assertEquals(
    await new FileSink({ fs: readOnlyFile }).check([filePlan(path, { writeMode: "inplace" })]),
    [{
      path,
      field: "path",
      message: `Cannot write "${path}": permission denied (opening for in-place write)`,
    }],
  );
});

Deno.test("FileSink.check() leaves what this process may not touch to the permission check", async () => {
  await using dir = await tmpDir();
  const notCapable = () =>
    Promise.reject(new Deno.errors.NotCapable('Requires write access to "/x"'));
  const sink = new FileSink({
    fs: withIds({ open: notCapable, readTextFile: notCapable }),
  });
  assertEquals(await sink.check([filePlan(dir.join("a.env"), { owner: "app" })]), []);
});
