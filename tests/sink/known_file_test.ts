import { assertEquals } from "../support/assert.ts";
import { FakeClock } from "../support/fake_clock.ts";
import { tmpDir } from "../support/tmp_dir.ts";
import { FileSink, KNOWN_TTL_MS } from "../../src/sink/file_sink.ts";
import { DENO_FS } from "../../src/sink/fs_adapter.ts";
import { faultyFs, filePlan } from "./_support.ts";

const enc = (text: string) => new TextEncoder().encode(text);

function countingFs() {
  const counts = { open: 0 };
  const fs = faultyFs({
    open: (path, options) => {
      counts.open++;
      return DENO_FS.open(path, options);
    },
  });
  return { fs, counts };
}

Deno.test("FileSink.write() answers an unchanged file it wrote without reading it back", async () => {
  await using dir = await tmpDir();
  const { fs, counts } = countingFs();
  const sink = new FileSink({ fs });
  const file = filePlan(dir.join("a.env"));
  assertEquals(await sink.write(file, enc("A=1\n")), "written");
  const opensAfterWrite = counts.open;
  assertEquals(await sink.write(file, enc("A=1\n")), "unchanged");
  assertEquals(await sink.write(file, enc("A=1\n")), "unchanged");
  assertEquals(counts.open, opensAfterWrite, "no open() for an unchanged file it knows");
});

Deno.test("FileSink.write() notices a same-size change made behind its back", async () => {
  await using dir = await tmpDir();
  const sink = new FileSink();
  const file = filePlan(dir.join("a.env"));
  await sink.write(file, enc("A=1\n"));
  // Another process rewrites the file in place with other bytes of the same size.
  await new Promise((r) => setTimeout(r, 5));
  await Deno.writeTextFile(file.path, "A=2\n");
  assertEquals(await sink.write(file, enc("A=1\n")), "written");
  assertEquals(await Deno.readTextFile(file.path), "A=1\n");
});

Deno.test("FileSink.write() reads the file back again once the remembered identity is old", async () => {
  await using dir = await tmpDir();
  const clock = new FakeClock();
  const { fs, counts } = countingFs();
  const sink = new FileSink({ fs, clock });
  const file = filePlan(dir.join("a.env"));
  await sink.write(file, enc("A=1\n"));
  const opens = counts.open;
  await clock.tick(KNOWN_TTL_MS + 1);
  assertEquals(await sink.write(file, enc("A=1\n")), "unchanged");
  assertEquals(counts.open, opens + 1, "verified by reading");
  assertEquals(await sink.write(file, enc("A=1\n")), "unchanged");
  assertEquals(counts.open, opens + 1, "trusted again after the read");
});

Deno.test("FileSink.intact() is true only for a file as this sink last wrote it, recently", async () => {
  await using dir = await tmpDir();
  const clock = new FakeClock();
  const { fs, counts } = countingFs();
  const sink = new FileSink({ clock, fs });
  const file = filePlan(dir.join("a.env"));
  assertEquals(await sink.intact(file), false, "never written");
  await sink.write(file, enc("A=1\n"));
  assertEquals(await sink.intact(file), true);
  assertEquals(await sink.intact({ ...file, mode: 0o640 }), false, "another planned mode");

  await Deno.chmod(file.path, 0o644);
  assertEquals(await sink.intact(file), false, "mode changed behind its back");
  assertEquals(await sink.write(file, enc("A=1\n")), "written", "mode fixed");
  assertEquals(await sink.intact(file), true);

  await new Promise((r) => setTimeout(r, 5));
  await Deno.writeTextFile(file.path, "A=2\n");
  assertEquals(await sink.intact(file), false, "same size, other bytes");
  await sink.write(file, enc("A=1\n"));
  assertEquals(await sink.intact(file), true);

  // Rewritten in place with other bytes of the same size, the mtime put back: the identity
  // matches, so it is trusted until the remembered identity is old, then read back.
  const before = await Deno.lstat(file.path);
  await Deno.writeTextFile(file.path, "A=2\n");
  await Deno.utime(file.path, before.atime!, before.mtime!);
  assertEquals(await sink.intact(file), true, "identity kept: trusted while recent");
  await clock.tick(KNOWN_TTL_MS);
  assertEquals(await sink.intact(file), false, "read back once old: other bytes");
  assertEquals(await sink.write(file, enc("A=1\n")), "written");
  await clock.tick(KNOWN_TTL_MS);
  const opens = counts.open;
  assertEquals(await sink.intact(file), true, "read back once old: same bytes");
  assertEquals(counts.open, opens + 1, "one read");
  assertEquals(await sink.intact(file), true, "trusted again after the read");
  assertEquals(counts.open, opens + 1, "no read while recent");

  await Deno.remove(file.path);
  assertEquals(await sink.intact(file), false, "gone");
});
