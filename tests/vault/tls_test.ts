import { assertEquals, assertThrows } from "../support/assert.ts";
import { makeTestPki, makeV1Cert, requireOpenssl } from "../support/pki.ts";
import { tmpDir } from "../support/tmp_dir.ts";
import {
  checkTlsFiles,
  createEndpoints,
  loadCaCerts,
  originOf,
  type TlsFiles,
  tlsWarnings,
} from "../../src/vault/tls.ts";

const PEM = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";

const KEY = "-----BEGIN PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY-----\n";

const openssl = await requireOpenssl(import.meta.url);

function files(map: Record<string, string>): TlsFiles {
  return {
    readTextFile(path) {
      const text = map[path];
      if (text === undefined) throw new Deno.errors.NotFound(`No such file: ${path}`);
      return text;
    },
    listFiles(dir) {
      return Object.keys(map).filter((p) => p.startsWith(`${dir}/`)).sort();
    },
  };
}

Deno.test("loadCaCerts() reads the CA file and every certificate file of the CA directory", () => {
  const fs = files({
    "/ca.pem": PEM,
    "/cadir/a.crt": PEM,
    "/cadir/README": "hello",
    "/cadir/b.pem": PEM,
  });
  assertEquals(
    loadCaCerts({ skipVerify: false, caCert: "/ca.pem", caPath: "/cadir" }, fs).length,
    3,
  );
});

Deno.test("loadCaCerts() refuses a CA file without a certificate", () => {
  const err = assertThrows(() =>
    loadCaCerts({ skipVerify: false, caCert: "/x" }, files({ "/x": "junk" }))
  );
  assertEquals(err.message, 'Cannot load CA certificate "/x": no PEM certificate in the file');
});

Deno.test("createEndpoints() builds one client with CA certificates and the mTLS pair", () => {
  const seen: Array<Record<string, unknown>> = [];
  const endpoints = createEndpoints(
    {
      addresses: ["https://a.test:8200/", "https://b.test:8200/some/path"],
      tls: { skipVerify: false, caCert: "/ca.pem", clientCert: "/c.pem", clientKey: "/c.key" },
    },
    {
      files: files({ "/ca.pem": PEM, "/c.pem": PEM, "/c.key": KEY }),
      createHttpClient: (o) => {
        seen.push(o as Record<string, unknown>);
        return {} as Deno.HttpClient;
      },
    },
  );
  assertEquals(endpoints.map((e) => e.origin), ["https://a.test:8200", "https://b.test:8200"]);
  assertEquals(seen, [{ caCerts: [PEM], cert: PEM, key: KEY }]);
  assertEquals(endpoints[0]!.client, endpoints[1]!.client);
});

Deno.test("createEndpoints() refuses a client certificate without its key", () => {
  assertThrows(() =>
    createEndpoints(
      { addresses: ["https://a.test"], tls: { skipVerify: false, clientCert: "/c.pem" } },
      { files: files({ "/c.pem": "CERT" }), createHttpClient: () => ({} as Deno.HttpClient) },
    )
  );
});

Deno.test("originOf() accepts http(s) addresses only", () => {
  assertEquals(originOf("http://127.0.0.1:8200/"), "http://127.0.0.1:8200");
  assertThrows(() => originOf("vault:8200"), TypeError);
  assertThrows(() => originOf("ftp://vault"), TypeError);
});

Deno.test("tlsWarnings() names the addresses that go unverified and the ignored server name", () => {
  assertEquals(tlsWarnings({ addresses: ["https://a.test"], tls: { skipVerify: false } }), []);
  assertEquals(
    tlsWarnings({
      addresses: ["https://a.test:8200/", "http://b.test:8200"],
      tls: { skipVerify: true, serverName: "vault.internal" },
    }),
    [
      "TLS certificate verification is off for https://a.test:8200 (tlsSkipVerify): " +
      "any server there is trusted with the token; use only for testing",
      'TLS serverName "vault.internal" is ignored: Deno cannot override the TLS server name; ' +
      "use that name in the address and resolve it to the server (DNS or /etc/hosts)",
    ],
  );
});

Deno.test("createEndpoints() gives a skip-verify store a fetch of its own, not an HttpClient", () => {
  const endpoints = createEndpoints(
    { addresses: ["https://a.test:8200", "https://b.test:8200"], tls: { skipVerify: true } },
    {
      files: files({}),
      createHttpClient: () => {
        throw new Error("no HttpClient expected");
      },
    },
  );
  assertEquals(endpoints.map((e) => [e.origin, e.client, typeof e.fetch]), [
    ["https://a.test:8200", undefined, "function"],
    ["https://b.test:8200", undefined, "function"],
  ]);
  endpoints[0]!.close!();
});

Deno.test("checkTlsFiles() names a CA file that does not exist", () => {
  assertEquals(checkTlsFiles({ skipVerify: false, caCert: "/missing.pem" }, { files: files({}) }), [
    { field: "caCert", message: 'Cannot load CA certificate "/missing.pem": no such file' },
  ]);
});

Deno.test("checkTlsFiles() refuses a CA file or directory without a certificate", () => {
  const fs = files({ "/x": "junk", "/cadir/README": "hello" });
  assertEquals(
    checkTlsFiles({ skipVerify: false, caCert: "/x", caPath: "/cadir" }, { files: fs }),
    [
      {
        field: "caCert",
        message: 'Cannot load CA certificate "/x": no PEM certificate in the file',
      },
      { field: "caPath", message: 'Cannot load CA directory "/cadir": no PEM certificate in it' },
    ],
  );
});

Deno.test("checkTlsFiles() skips a file this process may not read: the permission check names it", () => {
  const denied: TlsFiles = {
    readTextFile: () => {
      throw new Deno.errors.NotCapable('Requires read access to "/ca.pem"');
    },
    listFiles: () => [],
  };
  assertEquals(checkTlsFiles({ skipVerify: false, caCert: "/ca.pem" }, { files: denied }), []);
});

Deno.test({
  name: "checkTlsFiles() parses every file as the client will: garbage PEM, X.509 v1, wrong key",
  ignore: !openssl,
}, async () => {
  await using dir = await tmpDir();
  const pki = await makeTestPki(dir.path);
  const v1 = await makeV1Cert(dir.path, "v1");
  const garbage = dir.join("garbage.pem");
  await Deno.writeTextFile(garbage, `${PEM.replace("MIIB", "not base64 at all!")}`);
  const check = (tls: Parameters<typeof checkTlsFiles>[0]) =>
    checkTlsFiles(tls).map((p) => `${p.field}: ${p.message.replaceAll(dir.path, "DIR")}`);

  assertEquals(check({ skipVerify: false, caCert: pki.ca }), []);
  assertEquals(
    check({
      skipVerify: false,
      caCert: pki.ca,
      clientCert: pki.clientCert,
      clientKey: pki.clientKey,
    }),
    [],
  );
  assertEquals(check({ skipVerify: false, caCert: garbage }), [
    'caCert: Cannot load CA certificate "DIR/garbage.pem": not a valid PEM certificate',
  ]);
  assertEquals(check({ skipVerify: false, clientCert: v1.cert, clientKey: v1.key }), [
    'clientCert: Cannot load client certificate "DIR/v1.pem": it is an X.509 v1 certificate; ' +
    "TLS client certificates must be X.509 v3",
  ]);
  assertEquals(check({ skipVerify: false, clientCert: pki.clientCert, clientKey: v1.key }), [
    'clientKey: Cannot load client key "DIR/v1.key": it is not the key of client certificate ' +
    '"DIR/client.pem"',
  ]);
  assertEquals(
    check({ skipVerify: false, clientCert: pki.clientCert, clientKey: pki.clientCert }),
    [
      'clientKey: Cannot load client key "DIR/client.pem": no PEM private key in the file',
    ],
  );
  assertEquals(check({ skipVerify: false, clientCert: pki.clientKey, clientKey: pki.clientKey }), [
    'clientCert: Cannot load client certificate "DIR/client.key": no PEM certificate in the file',
  ]);
});
