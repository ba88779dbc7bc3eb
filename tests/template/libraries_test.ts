/**
 * node-forge, bcryptjs and node:crypto are loaded only when a parsed template calls a function that
 * needs them (a config without certificates, bcrypt or digests never pays for them), and
 * `prepare()` loads them before the first render.
 */
import { createHash, createPublicKey } from "node:crypto";
import { assert, assertEquals, assertStringIncludes } from "../support/assert.ts";
import * as F from "./_eso_fixtures.ts";

/** Runs a child script of this directory in a fresh process; returns its last line, parsed. */
async function runChild(script: string, ...args: string[]): Promise<Record<string, unknown>> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", new URL(script, import.meta.url).pathname, ...args],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const stderr = new TextDecoder().decode(out.stderr);
  assertEquals(out.code, 0, stderr);
  return JSON.parse(new TextDecoder().decode(out.stdout).trim().split("\n").at(-1)!);
}

const NONE = { forge: false, bcrypt: false, nodeCrypto: false };
const NOT_LOADED = "node:crypto is not loaded (prepare the template)";

Deno.test("Template.prepare() loads node-forge, bcryptjs and node:crypto only for templates that call functions needing them", async () => {
  const r = await runChild("./_lazy_child.ts");
  assertEquals(r.functions, ["genCA", "trunc"]);
  // adler32sum is computed in JavaScript: no node:crypto.
  assertEquals(r.afterPlain, { output: "DB 7929977", ...NONE });
  assertEquals(r.afterDigest, { output: "2d711642", ...NONE, nodeCrypto: true });
  assertEquals(r.beforePrepare, { ...NONE, nodeCrypto: true });
  assertEquals(r.afterCert, {
    output: "-----BEGIN CERTIFICATE-----",
    forge: true,
    bcrypt: false,
    nodeCrypto: true,
  });
  assertEquals(r.afterHash, { output: "user:$2", forge: true, bcrypt: true, nodeCrypto: true });
});

Deno.test("prepare() loads node:crypto for each function that calls it; before, the render fails with a clear error", async () => {
  const jwk = JSON.stringify(createPublicKey(F.RSA_2048_PUBLIC).export({ format: "jwk" }));
  const sha1 = createHash("sha1").update("pw").digest("base64");
  const cases: { template: string; data?: unknown; output: string; forge: boolean }[] = [
    {
      template: '{{ sha256sum "x" }}',
      output: createHash("sha256").update("x").digest("hex"),
      forge: false,
    },
    {
      template: "{{ jwkPublicKeyPem .jwk }}",
      data: { jwk },
      output: F.RSA_2048_PUBLIC,
      forge: false,
    },
    {
      template: '{{ .key | rsaDecrypt "RSA-OAEP" "SHA1" (.ct | b64dec) }}',
      data: { key: F.RSA_2048_PKCS8, ct: F.CT_2048_SHA1 },
      output: "a1b2c3d4",
      forge: false,
    },
    {
      template: '{{ derivePassword 1 "long" "password" "user" "example.com" }}',
      output: "ZedaFaxcZaso9*", // Sprig's documented example
      forge: false,
    },
    { template: '{{ encryptAES "k" "secret" | decryptAES "k" }}', output: "secret", forge: false },
  ];
  await Promise.all(cases.map(async (c) => {
    const r = await runChild("./_lazy_child.ts", c.template, JSON.stringify(c.data ?? {}));
    assertEquals(r.before, NONE, c.template);
    assertStringIncludes(String(r.unprepared), NOT_LOADED, c.template);
    assertEquals(r.output, c.output, c.template);
    assertEquals(r.after, { forge: c.forge, bcrypt: false, nodeCrypto: true }, c.template);
  }));
  const htpasswd = await runChild("./_lazy_child.ts", '{{ htpasswd "user" "pw" "sha" }}');
  assertEquals(htpasswd.output, `user:{SHA}${sha1}`);
  assertEquals(htpasswd.after, { forge: false, bcrypt: true, nodeCrypto: true });
});

Deno.test("no function left out of librariesFor calls node:crypto: the golden and generated cases that do not need it render without it", async () => {
  const r = await runChild("./_without_node_crypto_child.ts");
  assertEquals(r.failures, []);
  assertEquals(r.loadedAtEnd, false);
  assert(Number(r.rendered) > 3000 && Number(r.needNodeCrypto) > 100, JSON.stringify(r));
});
