import { assertEquals, assertThrows } from "../support/assert.ts";
import {
  createEndpoints,
  loadCaCerts,
  originOf,
  type TlsFiles,
  tlsWarnings,
} from "../../src/vault/_tls.ts";

const PEM = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";

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
  assertEquals(err.message, 'Cannot load CA certificate "/x": no PEM certificate in file');
});

Deno.test("createEndpoints() builds one client with CA certificates and the mTLS pair", () => {
  const seen: Array<Record<string, unknown>> = [];
  const endpoints = createEndpoints(
    {
      addresses: ["https://a.test:8200/", "https://b.test:8200/some/path"],
      tls: { skipVerify: false, caCert: "/ca.pem", clientCert: "/c.pem", clientKey: "/c.key" },
    },
    {
      files: files({ "/ca.pem": PEM, "/c.pem": "CERT", "/c.key": "KEY" }),
      createHttpClient: (o) => {
        seen.push(o as Record<string, unknown>);
        return {} as Deno.HttpClient;
      },
    },
  );
  assertEquals(endpoints.map((e) => e.origin), ["https://a.test:8200", "https://b.test:8200"]);
  assertEquals(seen, [{ caCerts: [PEM], cert: "CERT", key: "KEY" }]);
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

Deno.test("tlsWarnings() names what Deno cannot do per client", () => {
  assertEquals(tlsWarnings({ skipVerify: false }), []);
  const warnings = tlsWarnings({ skipVerify: true, serverName: "vault.internal" });
  assertEquals(warnings.length, 2);
});
