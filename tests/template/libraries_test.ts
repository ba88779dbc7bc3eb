/**
 * node-forge and bcryptjs are loaded only when a parsed template calls a function that needs them
 * (a config without certificates or bcrypt never pays for them), and `prepare()` loads them before
 * the first render.
 */
import { assertEquals } from "../support/assert.ts";

Deno.test("Template.prepare() loads node-forge and bcryptjs only for templates that call functions needing them", async () => {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", new URL("./_lazy_child.ts", import.meta.url).pathname],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const stderr = new TextDecoder().decode(out.stderr);
  assertEquals(out.code, 0, stderr);
  const r = JSON.parse(new TextDecoder().decode(out.stdout).trim().split("\n").at(-1)!);
  assertEquals(r.functions, ["genCA", "trunc"]);
  assertEquals(r.afterPlain, { output: "DB 2d711642", forge: false, bcrypt: false });
  assertEquals(r.beforePrepare, { forge: false, bcrypt: false });
  assertEquals(r.afterCert, {
    output: "-----BEGIN CERTIFICATE-----",
    forge: true,
    bcrypt: false,
  });
  assertEquals(r.afterHash, { output: "user:$2", forge: true, bcrypt: true });
});
