import { assertEquals } from "../support/assert.ts";
import { describeNetworkError } from "../../src/vault/_network_error.ts";

/** What Deno's fetch throws: a TypeError "fetch failed" whose cause says what happened. */
function fetchFailed(cause: string): TypeError {
  return new TypeError("fetch failed", {
    cause: new Error(`error sending request for url (https://vault.test:8200/v1/x): ${cause}`),
  });
}

/** What node:https (the tlsSkipVerify fetch) throws: the cause carries an errno code. */
function nodeFailed(message: string, code: string): TypeError {
  return new TypeError("fetch failed", { cause: Object.assign(new Error(message), { code }) });
}

const ORIGIN = "https://vault.test:8200";

const CASES: Array<[string, unknown, string]> = [
  [
    "connection refused",
    fetchFailed("client error (Connect): tcp connect error: Connection refused (os error 111)"),
    "connection refused at vault.test:8200",
  ],
  [
    "connection refused (node)",
    nodeFailed("connect ECONNREFUSED 127.0.0.1:8200", "ECONNREFUSED"),
    "connection refused at vault.test:8200",
  ],
  [
    "DNS",
    fetchFailed(
      "client error (Connect): dns error: failed to lookup address information: Name or service not known",
    ),
    'cannot resolve host "vault.test" (DNS: Name or service not known)',
  ],
  [
    "DNS (node)",
    nodeFailed("getaddrinfo ENOTFOUND vault.test", "ENOTFOUND"),
    'cannot resolve host "vault.test" (DNS: ENOTFOUND)',
  ],
  [
    "untrusted certificate",
    fetchFailed("client error (Connect): invalid peer certificate: UnknownIssuer"),
    "TLS certificate of vault.test:8200 is not trusted (UnknownIssuer): " +
    "set tlsCACert (or VAULT_CACERT) to the CA that signed it",
  ],
  [
    "self-signed server certificate",
    fetchFailed(
      "client error (Connect): invalid peer certificate: Other(OtherError(CaUsedAsEndEntity))",
    ),
    "TLS certificate of vault.test:8200 is not trusted (CaUsedAsEndEntity): " +
    "set tlsCACert (or VAULT_CACERT) to the CA that signed it",
  ],
  [
    "name mismatch",
    fetchFailed("client error (Connect): invalid peer certificate: NotValidForName"),
    'TLS certificate of vault.test:8200 is not valid for "vault.test": ' +
    "use an address with a name the certificate holds",
  ],
  [
    "expired certificate",
    fetchFailed("client error (Connect): invalid peer certificate: Expired"),
    "TLS certificate of vault.test:8200 has expired",
  ],
  [
    "client certificate required",
    new TypeError("fetch failed", {
      cause: new Error("received fatal alert: CertificateRequired"),
    }),
    "vault.test:8200 requires a client certificate: set tlsClientCert and tlsClientKey",
  ],
  [
    "client certificate refused",
    new TypeError("fetch failed", { cause: new Error("received fatal alert: UnknownCA") }),
    "vault.test:8200 refused the client certificate (UnknownCA)",
  ],
  [
    "https to a plain HTTP port",
    fetchFailed("client error (Connect): received corrupt message of type InvalidContentType"),
    "TLS handshake with vault.test:8200 failed: the server does not speak TLS there " +
    "(http:// address?)",
  ],
  [
    "reset",
    nodeFailed("read ECONNRESET", "ECONNRESET"),
    "connection reset by vault.test:8200",
  ],
  [
    "anything else",
    fetchFailed("client error (SendRequest): connection closed before message completed"),
    "fetch failed: client error (SendRequest): connection closed before message completed",
  ],
];

for (const [name, err, expected] of CASES) {
  Deno.test(`describeNetworkError() names the cause: ${name}`, () => {
    assertEquals(describeNetworkError(err, ORIGIN), expected);
  });
}

Deno.test("describeNetworkError() makes the default port explicit", () => {
  assertEquals(
    describeNetworkError(
      fetchFailed("client error (Connect): tcp connect error: Connection refused (os error 111)"),
      "https://vault.test",
    ),
    "connection refused at vault.test:443",
  );
});
