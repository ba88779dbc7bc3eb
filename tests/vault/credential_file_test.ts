import { assertEquals, assertRejects } from "../support/assert.ts";
import { CredentialFile, type CredentialFs } from "../../src/vault/credential_file.ts";

function memoryFs() {
  const files = new Map<string, { text: string; mtime: number }>();
  let reads = 0;
  const fs: CredentialFs = {
    stat: (path) => {
      const f = files.get(path);
      return f
        ? Promise.resolve({ mtimeMs: f.mtime, size: f.text.length, ino: 7 })
        : Promise.reject(new Deno.errors.NotFound("gone"));
    },
    readTextFile: (path) => {
      reads++;
      return Promise.resolve(files.get(path)!.text);
    },
  };
  return { fs, files, reads: () => reads };
}

Deno.test("CredentialFile.read() trims the content and re-reads only after a change", async () => {
  const m = memoryFs();
  m.files.set("/t", { text: "s.token-1\n", mtime: 1 });
  const file = new CredentialFile("/t", "token file", m.fs);
  assertEquals(await file.read(), "s.token-1");
  assertEquals(await file.read(), "s.token-1");
  assertEquals(m.reads(), 1);
  m.files.set("/t", { text: "s.token-2", mtime: 2 });
  assertEquals(await file.read(), "s.token-2");
  assertEquals(m.reads(), 2);
});

Deno.test("CredentialFile.read() names the path, never the content, when it fails", async () => {
  const m = memoryFs();
  m.files.set("/empty", { text: "  \n", mtime: 1 });
  const empty = await assertRejects(() => new CredentialFile("/empty", "token file", m.fs).read());
  assertEquals(empty.message, 'Cannot read token file "/empty": file is empty');
  const missing = await assertRejects(() =>
    new CredentialFile("/nope", "role-id file", m.fs).read()
  );
  assertEquals(missing.message, 'Cannot read role-id file "/nope": gone');
});

Deno.test("CredentialFile.read() refuses a file that never ends, like /dev/zero", async () => {
  const file = new CredentialFile("/dev/zero", "token file");
  const error = await file.read().then(() => undefined, (e: Error) => e);
  if (!error) throw new Error("expected an error");
  if (!error.message.includes("larger than")) throw new Error(error.message);
  if (!error.message.includes("/dev/zero")) throw new Error(error.message);
});
