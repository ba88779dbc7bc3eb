/** External Secrets Operator (engine v2) functions: PKCS#12, PEM filtering, JWK, YAML. */
import { generateKeyPairSync } from "node:crypto";
import forge from "node-forge";
import { assert, assertEquals, assertStringIncludes, assertThrows } from "../support/assert.ts";
import { loadAllLibraries, render, TemplateError } from "../../src/template/mod.ts";

// node-forge, bcryptjs and node:crypto must be loaded before a sync render calls their functions.
await loadAllLibraries();

function selfSigned(
  cn: string,
  issuer?: { cert: forge.pki.Certificate; key: forge.pki.rsa.PrivateKey },
) {
  const keys = forge.pki.rsa.generateKeyPair({ bits: 1024, e: 0x10001 });
  const cert = forge.pki.createCertificate();
  cert.publicKey = keys.publicKey;
  cert.serialNumber = String(Math.floor(Math.random() * 1e9));
  cert.validity.notBefore = new Date(Date.UTC(2024, 0, 1));
  cert.validity.notAfter = new Date(Date.UTC(2034, 0, 1));
  cert.setSubject([{ name: "commonName", value: cn }]);
  cert.setIssuer(issuer ? issuer.cert.subject.attributes : [{ name: "commonName", value: cn }]);
  cert.sign(issuer ? issuer.key : keys.privateKey, forge.md.sha256.create());
  return {
    cert,
    key: keys.privateKey,
    certPem: forge.pki.certificateToPem(cert).replaceAll("\r\n", "\n"),
    keyPem: forge.pki.privateKeyToPem(keys.privateKey).replaceAll("\r\n", "\n"),
  };
}

const ca = selfSigned("ca");
const leaf = selfSigned("leaf", ca);

function b64ToBinary(b64: string): string {
  return atob(b64);
}

Deno.test("pemToPkcs12 output round-trips through pkcs12key and pkcs12cert", () => {
  const pfx = render("{{ pemToPkcs12 .cert .key }}", { cert: leaf.certPem, key: leaf.keyPem });
  const data = { pfx: b64ToBinary(pfx) };
  const keyPem = render("{{ pkcs12key .pfx }}", data);
  assert(keyPem.startsWith("-----BEGIN PRIVATE KEY-----\n"));
  const roundTripped = forge.pki.privateKeyFromPem(keyPem) as forge.pki.rsa.PrivateKey;
  assertEquals(roundTripped.n.toString(16), leaf.key.n.toString(16));
  assertEquals(render("{{ pkcs12cert .pfx }}", data), leaf.certPem);
});

Deno.test("pkcs12 functions take the archive from b64dec as ESO templates do", () => {
  const pfx = render("{{ pemToPkcs12 .cert .key }}", { cert: leaf.certPem, key: leaf.keyPem });
  assertEquals(render("{{ .pfx | b64dec | pkcs12cert }}", { pfx }), leaf.certPem);
});

Deno.test("password-protected archives need the password", () => {
  const pfx = render('{{ pemToPkcs12Pass .cert .key "pw" }}', {
    cert: leaf.certPem,
    key: leaf.keyPem,
  });
  const data = { pfx: b64ToBinary(pfx) };
  assertStringIncludes(render('{{ pkcs12keyPass "pw" .pfx }}', data), "BEGIN PRIVATE KEY");
  const err = assertThrows(() => render('{{ pkcs12keyPass "wrong" .pfx }}', data), TemplateError);
  assertStringIncludes(err.message, "unable to decode pkcs12 with password");
});

Deno.test("fullPemToPkcs12 keeps the chain and pkcs12cert orders it leaf first", () => {
  const pfx = render("{{ fullPemToPkcs12 .cert .key }}", {
    cert: leaf.certPem + ca.certPem,
    key: leaf.keyPem,
  });
  assertEquals(
    render("{{ pkcs12cert .pfx }}", { pfx: b64ToBinary(pfx) }),
    leaf.certPem + ca.certPem,
  );
});

Deno.test("filterPEM keeps only blocks of the requested type", () => {
  const bundle = leaf.keyPem + leaf.certPem + ca.certPem;
  assertEquals(render('{{ filterPEM "CERTIFICATE" . }}', bundle), leaf.certPem + ca.certPem);
  assertEquals(render('{{ filterPEM "rsa private key" . }}', bundle), leaf.keyPem);
});

Deno.test("filterPEM fails on input without any PEM block", () => {
  const err = assertThrows(() => render('{{ filterPEM "CERTIFICATE" . }}', "junk"), TemplateError);
  assertStringIncludes(err.message, "error filtering pem: found junk");
});

Deno.test("jwkPublicKeyPem and jwkPrivateKeyPem convert a JWK to PEM", () => {
  const { publicKey, privateKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
  const jwk = JSON.stringify(privateKey.export({ format: "jwk" }));
  assertEquals(
    render("{{ jwkPublicKeyPem . }}", jwk),
    publicKey.export({ type: "spki", format: "pem" }),
  );
  assertEquals(
    render("{{ jwkPrivateKeyPem . }}", jwk),
    privateKey.export({ type: "pkcs8", format: "pem" }),
  );
});

Deno.test("toYaml writes sorted keys without a trailing newline", () => {
  assertEquals(
    render("{{ toYaml . }}", { b: [1, "x"], a: { c: true }, n: 1000000 }),
    "a:\n  c: true\nb:\n- 1\n- x\nn: 1000000",
  );
});

Deno.test("fromYaml reads a mapping and reports errors in .Error", () => {
  assertEquals(render('{{ (fromYaml "a: 1\\nb: [x]").b }}', {}), "[x]");
  assertStringIncludes(render('{{ (fromYaml "- 1").Error }}', {}), "cannot unmarshal array");
});
