/**
 * node-forge, bcryptjs and node:crypto are loaded only when a parsed template calls a function that
 * needs them (a config without certificates, bcrypt or digests never pays for them), and
 * `prepare()` loads them before the first render.
 */
import { createHash, createPublicKey, X509Certificate } from "node:crypto";
import forge from "node-forge";
import { assert, assertEquals, assertStringIncludes } from "../support/assert.ts";
import * as F from "./_eso_fixtures.ts";
import { librariesFor, standardFunctions } from "../../src/template/_functions.ts";

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

/** A PKCS#12 archive (base64) of F.CERT_GOOBLE and its key, written by node-forge itself. */
function pkcs12Fixture(password: string): string {
  const key = forge.pki.privateKeyFromPem(F.RSA_2048_PKCS1);
  const asn1 = forge.pkcs12.toPkcs12Asn1(
    key,
    [forge.pki.certificateFromPem(F.CERT_GOOBLE)],
    password,
  );
  return forge.util.encode64(forge.asn1.toDer(asn1).getBytes());
}

/** The certificates of a PEM bundle. */
function certificates(pem: string): X509Certificate[] {
  return pem.split(/(?<=-----END CERTIFICATE-----\n)/).filter((c) => c !== "").map((c) =>
    new X509Certificate(c)
  );
}

function samePublicKey(cert: X509Certificate, keyPem: string): boolean {
  const spki = (k: ReturnType<typeof createPublicKey>) => k.export({ type: "spki", format: "der" });
  return spki(cert.publicKey).equals(spki(createPublicKey(keyPem)));
}

Deno.test("prepare() loads node-forge for each function that calls it; before, the render fails with a clear error", async () => {
  const pair = { cert: F.CERT_GOOBLE, key: F.RSA_2048_PKCS8 };
  const eso = (template: string, data: unknown, output: string) => ({
    template,
    data,
    check: (out: string) => assertEquals(out, output),
  });
  const signedByCa = (out: string, key?: string) => {
    const [leaf, ca] = certificates(out);
    assert(leaf && ca && leaf.checkIssued(ca) && leaf.verify(ca.publicKey), out);
    if (key !== undefined) assert(samePublicKey(leaf, key));
  };
  // Every function marked needs("node-forge"). The Sprig certificates are random: checked for
  // what they say, not byte for byte. genSignedCert* need a CA from genCA, which fails first.
  const cases: Record<string, { template: string; data?: unknown; check(out: string): void }> = {
    pkcs12key: eso("{{ .p | b64dec | pkcs12key }}", { p: pkcs12Fixture("") }, F.RSA_2048_PKCS8),
    pkcs12keyPass: eso(
      '{{ .p | b64dec | pkcs12keyPass "pw" }}',
      { p: pkcs12Fixture("pw") },
      F.RSA_2048_PKCS8,
    ),
    pkcs12cert: eso("{{ .p | b64dec | pkcs12cert }}", { p: pkcs12Fixture("") }, F.CERT_GOOBLE),
    pkcs12certPass: eso(
      '{{ .p | b64dec | pkcs12certPass "pw" }}',
      { p: pkcs12Fixture("pw") },
      F.CERT_GOOBLE,
    ),
    pemToPkcs12: eso(
      "{{ $p := pemToPkcs12 .cert .key | b64dec }}{{ pkcs12cert $p }}{{ pkcs12key $p }}",
      pair,
      F.CERT_GOOBLE + F.RSA_2048_PKCS8,
    ),
    pemToPkcs12Pass: eso(
      '{{ $p := pemToPkcs12Pass .cert .key "pw" | b64dec }}{{ pkcs12certPass "pw" $p }}',
      pair,
      F.CERT_GOOBLE,
    ),
    fullPemToPkcs12: eso(
      "{{ $p := fullPemToPkcs12 .cert .key | b64dec }}{{ pkcs12cert $p }}{{ pkcs12key $p }}",
      pair,
      F.CERT_GOOBLE + F.RSA_2048_PKCS8,
    ),
    fullPemToPkcs12Pass: eso(
      '{{ $p := fullPemToPkcs12Pass .cert .key "pw" | b64dec }}{{ pkcs12keyPass "pw" $p }}',
      pair,
      F.RSA_2048_PKCS8,
    ),
    genCA: {
      template: '{{ (genCA "test-ca" 1).Cert }}',
      check: (out) => {
        const [ca] = certificates(out);
        assert(ca?.subject === "CN=test-ca" && ca.ca && ca.verify(ca.publicKey), out);
      },
    },
    genCAWithKey: {
      template: '{{ (genCAWithKey "test-ca" 1 .key).Cert }}',
      data: { key: F.RSA_2048_PKCS1 },
      check: (out) => {
        const [ca] = certificates(out);
        assert(ca?.ca && samePublicKey(ca, F.RSA_2048_PKCS1), out);
      },
    },
    genSelfSignedCert: {
      template: '{{ (genSelfSignedCert "host" (list "10.0.0.1") (list "a.example") 1).Cert }}',
      check: (out) => {
        const [cert] = certificates(out);
        assert(cert?.verify(cert.publicKey), out);
        assertEquals(cert?.subjectAltName, "DNS:a.example, IP Address:10.0.0.1");
      },
    },
    genSelfSignedCertWithKey: {
      template: '{{ (genSelfSignedCertWithKey "host" (list) (list) 1 .key).Cert }}',
      data: { key: F.RSA_2048_PKCS1 },
      check: (out) => {
        const [cert] = certificates(out);
        assert(cert?.verify(cert.publicKey) && samePublicKey(cert, F.RSA_2048_PKCS1), out);
      },
    },
    genSignedCert: {
      template:
        '{{ $ca := genCA "test-ca" 1 }}{{ (genSignedCert "host" (list) (list) 1 $ca).Cert }}' +
        "{{ $ca.Cert }}",
      check: (out) => signedByCa(out),
    },
    genSignedCertWithKey: {
      template: '{{ $ca := genCA "test-ca" 1 }}' +
        '{{ (genSignedCertWithKey "host" (list) (list) 1 $ca .key).Cert }}{{ $ca.Cert }}',
      data: { key: F.RSA_2048_PKCS1 },
      check: (out) => signedByCa(out, F.RSA_2048_PKCS1),
    },
    buildCustomCert: eso(
      "{{ (buildCustomCert (.cert | b64enc) (.key | b64enc)).Cert }}",
      pair,
      F.CERT_GOOBLE,
    ),
  };
  // The cases are exactly the functions marked for node-forge: a newly marked one needs a case.
  const marked = [...standardFunctions({}).keys()].filter((name) =>
    librariesFor([name]).has("node-forge")
  );
  assertEquals(marked.sort(), Object.keys(cases).sort());
  await Promise.all(
    Object.entries(cases).map(async ([fn, c]) => {
      // node:crypto loaded first: the certificate functions call it before node-forge.
      const r = await runChild(
        "./_lazy_child.ts",
        c.template,
        JSON.stringify(c.data ?? {}),
        "node:crypto",
      );
      assertEquals(r.before, { ...NONE, nodeCrypto: true }, fn);
      const first = fn.startsWith("genSignedCert") ? "genCA" : fn;
      assertStringIncludes(
        String(r.unprepared),
        `error calling ${first}: internal: node-forge is not loaded (prepare the template)`,
        fn,
      );
      c.check(String(r.output));
      assertEquals(r.after, { forge: true, bcrypt: false, nodeCrypto: true }, fn);
    }),
  );
});

// The guards: a function that calls node-forge (node:crypto) without being marked (listed) for it
// fails to render without it, renders differently once it is loaded, or, when every case calling
// it also calls a function that needs the library, is reported uncovered.
for (const [library, minSkipped] of [["node-forge", 10], ["node:crypto", 300]] as const) {
  Deno.test(`no function left out of librariesFor calls ${library}: the golden, generated and extra cases that do not need it render without it`, async () => {
    const r = await runChild("./_without_library_child.ts", library);
    assertEquals(r.failures, []);
    assertEquals(r.uncovered, []);
    assertEquals(r.loadedAtEnd, false);
    assert(Number(r.rendered) > 3000 && Number(r.skipped) >= minSkipped, JSON.stringify(r));
  });
}
