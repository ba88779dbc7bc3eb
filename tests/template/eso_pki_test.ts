/**
 * ESO's rsaDecrypt, certSANs, filterCertChain and hexdec, with the cases of ESO's own tests
 * (runtime/template/v2: decrypt_test.go, template_test.go, pem_test.go) on our fixtures.
 */
import { assert, assertEquals, assertStringIncludes, assertThrows } from "../support/assert.ts";
import { bytesValue, loadAllLibraries, render, TemplateError } from "../../src/template/mod.ts";
import * as F from "./_eso_fixtures.ts";

// node-forge, bcryptjs and node:crypto must be loaded before a sync render calls their functions.
await loadAllLibraries();

const b64 = (s: string) => Uint8Array.from(atob(s), (c) => c.charCodeAt(0));

/** Every 24-character run of a PEM body: none may show up in an error message. */
function pemFragments(pem: string): string[] {
  const body = pem.split("\n").filter((l) => l !== "" && !l.startsWith("-----")).join("");
  const out: string[] = [];
  for (let i = 0; i + 24 <= body.length; i += 12) out.push(body.slice(i, i + 24));
  return out;
}

function renderError(template: string, data: unknown): TemplateError {
  return assertThrows(() => render(template, data), TemplateError);
}

// hexdec

Deno.test("hexdec decodes hex to bytes that b64enc encodes byte for byte (ESO's case)", () => {
  assertEquals(
    render("{{ .example | sha256sum | hexdec | b64enc }}", { example: "example" }),
    "UNhY4JhezH9gQYqvDMWrWH9CwlcKiECVqejMrND2VFw=",
  );
  assertEquals(render('{{ hexdec "48656C6c6f" }}', {}), "Hello");
});

Deno.test("hexdec returns Go's error text for bad hex, as b64dec does", () => {
  const cases: [string, string][] = [
    ["4g", "encoding/hex: invalid byte: U+0067 'g'"],
    ["abc", "encoding/hex: odd length hex string"],
    ["zzz", "encoding/hex: invalid byte: U+007A 'z'"],
    ["0\u0001", "encoding/hex: invalid byte: U+0001"],
  ];
  for (const [input, want] of cases) assertEquals(render("{{ hexdec . }}", input), want);
});

Deno.test("hexdec output keeps invalid UTF-8 bytes for len, quote and toJson", () => {
  assertEquals(render('{{ hexdec "ff41" | len }}', {}), "2");
  assertEquals(render('{{ hexdec "ff41" | quote }}', {}), '"\\xffA"');
  assertEquals(render('{{ hexdec "ff41" | toJson }}', {}), '"\\ufffdA"');
});

// rsaDecrypt

Deno.test("rsaDecrypt decrypts RSA-OAEP with PKCS#8 and PKCS#1 keys (ESO's cases)", () => {
  const cases: [string, Record<string, unknown>, string][] = [
    [
      '{{ .private_key | rsaDecrypt "RSA-OAEP" "SHA1" (.data | b64dec) }}',
      { private_key: F.RSA_2048_PKCS8, data: F.CT_2048_SHA1 },
      "a1b2c3d4",
    ],
    [
      '{{ .private_key | rsaDecrypt "RSA-OAEP" "SHA256" (.data | b64dec) }}',
      { private_key: F.RSA_1024_PKCS1, data: F.CT_1024_SHA256 },
      "hellopkcs1sha256",
    ],
    [
      '{{ rsaDecrypt "RSA-OAEP" "SHA256" .data .private_key }}',
      { private_key: F.RSA_1024_PKCS1, data: bytesValue(b64(F.CT_1024_SHA256)) },
      "hellopkcs1sha256",
    ],
    [
      '{{ rsaDecrypt "RSA-OAEP" "SHA512" (b64dec .data) .private_key }}',
      { private_key: F.RSA_2048_PKCS1, data: F.CT_2048_SHA512 },
      "s3cr3t-sha512",
    ],
    [
      '{{ rsaDecrypt "RSA-OAEP" "None" (b64dec .data) .private_key }}',
      { private_key: F.RSA_2048_PKCS8, data: F.CT_2048_SHA256 },
      "s3cr3t-sha256",
    ],
    [
      '{{ rsaDecrypt "RSA-OAEP" "SHA256" (b64dec .data) .private_key }}',
      { private_key: F.RSA_2048_PKCS8, data: F.CT_2048_UTF8 },
      "pässwörd ✓",
    ],
    [
      '{{ rsaDecrypt "RSA-OAEP" "SHA256" (b64dec .data) .private_key | len }}',
      { private_key: F.RSA_2048_PKCS8, data: F.CT_2048_EMPTY },
      "0",
    ],
  ];
  for (const [template, data, want] of cases) assertEquals(render(template, data), want, template);
});

Deno.test('rsaDecrypt with scheme "None" returns the input unchanged', () => {
  assertEquals(
    render('{{ rsaDecrypt "None" "SHA256" "plaintext" "irrelevant" }}', {}),
    "plaintext",
  );
});

Deno.test("rsaDecrypt reports bad keys, schemes and ciphertexts with ESO's messages", () => {
  const decryptionError = "error decrypting data with RSA: crypto/rsa: decryption error";
  const cases: [string, Record<string, unknown>, string][] = [
    [
      'rsaDecrypt "RSA-OAEP" "SHA256" "data" .k',
      { k: "not-a-valid-pem" },
      "failed to decode PEM block",
    ],
    [
      'rsaDecrypt "RSA-OAEP" "SHA256" "data" .k',
      { k: "-----BEGIN CERTIFICATE-----\naW52YWxpZA==\n-----END CERTIFICATE-----\n" },
      "could not parse private key: unable to parse private key type",
    ],
    [
      'rsaDecrypt "RSA-OAEP" "SHA256" "data" .k',
      { k: F.EC_SEC1 },
      "could not parse RSA private key",
    ],
    [
      'rsaDecrypt "RSA-OAEP" "SHA256" "data" .k',
      { k: F.ED25519_PKCS8 },
      "could not parse RSA private key",
    ],
    [
      'rsaDecrypt "Unsupported" "SHA256" "data" .k',
      { k: F.RSA_1024_PKCS1 },
      "decryption scheme Unsupported is not supported",
    ],
    // PKCS#1 v1.5 is not a scheme ESO offers, and its ciphertext is no OAEP ciphertext.
    [
      'rsaDecrypt "RSA1_5" "SHA256" (b64dec .c) .k',
      { k: F.RSA_2048_PKCS8, c: F.CT_2048_PKCS1V15 },
      "decryption scheme RSA1_5 is not supported",
    ],
    ['rsaDecrypt "RSA-OAEP" "SHA256" (b64dec .c) .k', {
      k: F.RSA_2048_PKCS8,
      c: F.CT_2048_PKCS1V15,
    }, decryptionError],
    [
      'rsaDecrypt "RSA-OAEP" "SHA256" "not-encrypted-data" .k',
      { k: F.RSA_1024_PKCS1 },
      decryptionError,
    ],
    // The wrong hash, the wrong key.
    [
      'rsaDecrypt "RSA-OAEP" "SHA256" (b64dec .c) .k',
      { k: F.RSA_2048_PKCS8, c: F.CT_2048_SHA1 },
      decryptionError,
    ],
    [
      'rsaDecrypt "RSA-OAEP" "SHA256" (b64dec .c) .k',
      { k: F.RSA_1024_PKCS1, c: F.CT_2048_SHA256 },
      decryptionError,
    ],
    [
      'rsaDecrypt "RSA-OAEP" "SHA1" (b64dec .c) .k',
      { k: F.RSA_512_PKCS1, c: F.CT_512_SHA1 },
      "error decrypting data with RSA: crypto/rsa: 512-bit keys are insecure (see https://go.dev/pkg/crypto/rsa#hdr-Minimum_key_size)",
    ],
  ];
  for (const [call, data, want] of cases) {
    const err = renderError(`{{ ${call} }}`, data);
    assertStringIncludes(err.message, `error calling rsaDecrypt: ${want}`);
  }
});

Deno.test("rsaDecrypt errors never contain the private key, ciphertext or plaintext", () => {
  const key = F.RSA_2048_PKCS8;
  const attempts: [string, Record<string, unknown>][] = [
    ['{{ rsaDecrypt "RSA-OAEP" "SHA256" (b64dec .c) .k }}', { k: key, c: F.CT_2048_SHA1 }],
    ['{{ rsaDecrypt "RSA-OAEP" "SHA1" (b64dec .c) .k }}', {
      k: key.replace("MII", "MIX"),
      c: F.CT_2048_SHA1,
    }],
    ['{{ rsaDecrypt "RSA-OAEP" "SHA1" (b64dec .c) .k }}', {
      k: F.RSA_1024_PKCS1,
      c: F.CT_2048_SHA1,
    }],
    // The plaintext is decrypted, then a later step fails on it.
    ['{{ rsaDecrypt "RSA-OAEP" "SHA1" (b64dec .c) .k | int | mod 0 }}', {
      k: key,
      c: F.CT_2048_SHA1,
    }],
  ];
  for (const [template, data] of attempts) {
    const err = renderError(template, data);
    const texts = [
      err.message,
      String(err.stack),
      String((err.cause as Error | undefined)?.message),
    ];
    for (const text of texts) {
      for (const fragment of [...pemFragments(key), ...pemFragments(F.RSA_1024_PKCS1)]) {
        assert(!text.includes(fragment), `key material in error: ${template}`);
      }
      assert(!text.includes(F.CT_2048_SHA1.slice(0, 24)), `ciphertext in error: ${template}`);
      assert(!text.includes("a1b2c3d4"), `plaintext in error: ${template}`);
    }
  }
});

// certSANs

Deno.test("certSANs lists DNS names, IPs, emails and URIs in ESO's order", () => {
  assertEquals(
    render('{{ certSANs . | join "," }}', F.CERT_ALL_SANS),
    "example.com,www.example.com,192.168.1.10,10.0.0.1,admin@example.com,https://example.com",
  );
  assertEquals(
    render("{{ certSANs . }}", F.CERT_V6),
    "[2001:db8::1 1.2.3.4 fe80:: 2001:db8::1:0:0:1 :: a@b.c ops@example.org " +
      "spiffe://cluster.local/ns/default/sa/app]",
  );
  assertEquals(render("{{ certSANs . | toJson }}", F.CERT_NO_SANS), "[]");
});

Deno.test("certSANs works in ESO's documented pipelines", () => {
  const cert = F.CERT_GOOBLE;
  const cases: [string, unknown, string][] = [
    ['{{ .certificate | certSANs | join "," }}', { certificate: cert }, "gooble.com"],
    ["{{ index (.certificate | certSANs) 0 }}", { certificate: cert }, "gooble.com"],
    ["{{ .certificate | certSANs | toJson }}", { certificate: cert }, '["gooble.com"]'],
    ['{{ .secret | filterPEM "CERTIFICATE" | certSANs | join "," }}', {
      secret: F.RSA_2048_PKCS8 + cert,
    }, "gooble.com"],
    ["{{ certSANs .c }}", { c: "some junk\n" + cert }, "[gooble.com]"],
    ["{{ certSANs .c }}", { c: "junk" + cert }, "[gooble.com]"],
    [
      '{{ .c | filterCertChain "leaf" | certSANs | join "," }}',
      { c: F.CHAIN_ROOT + F.CHAIN_LEAF + F.CHAIN_INTERMEDIATE },
      "foo",
    ],
  ];
  for (const [template, data, want] of cases) assertEquals(render(template, data), want, template);
});

Deno.test("certSANs fails on input that is no PEM certificate", () => {
  const cases: [string, string][] = [
    ["not a pem", "failed to decode PEM block"],
    ["", "failed to decode PEM block"],
    [F.EC_PKCS8, "failed to parse certificate: x509: malformed tbs certificate"],
    [
      "-----BEGIN CERTIFICATE-----\naW52YWxpZA==\n-----END CERTIFICATE-----\n",
      "failed to parse certificate: x509: malformed certificate",
    ],
  ];
  for (const [input, want] of cases) {
    assertStringIncludes(
      renderError("{{ certSANs . }}", input).message,
      `error calling certSANs: ${want}`,
    );
  }
});

// filterCertChain

Deno.test("filterCertChain picks the leaf, intermediates or root (ESO's table)", () => {
  const { CHAIN_LEAF: L, CHAIN_INTERMEDIATE: I, CHAIN_ROOT: R } = F;
  const cases: [string, string, string][] = [
    ["leaf", L, L],
    ["leaf", L + I, L],
    ["leaf", R, ""],
    ["leaf", L + I + R, L],
    ["leaf", R + L + I, L],
    ["intermediate", L, ""],
    ["intermediate", L + I, I],
    ["intermediate", I + R + L, I],
    ["root", L, ""],
    ["root", R, R],
    ["root", L + I + R, R],
    ["other", L + I + R, ""],
  ];
  for (const [kind, chain, want] of cases) {
    assertEquals(render(`{{ filterCertChain "${kind}" . }}`, chain), want, `${kind}`);
  }
});

Deno.test("filterCertChain fails on empty, disjunct or non-certificate input", () => {
  const cases: [string, string][] = [
    ["", "no leaf certificate found"],
    [F.CHAIN_LEAF + F.DISJUNCT_ROOT, "found multiple leaf or disjunct certificates"],
    [F.CHAIN_LEAF + F.CHAIN_LEAF_KEY, "x509: malformed tbs certificate"],
  ];
  for (const [input, want] of cases) {
    const err = renderError('{{ filterCertChain "leaf" . }}', input);
    assertStringIncludes(err.message, `error calling filterCertChain: ${want}`);
  }
});
