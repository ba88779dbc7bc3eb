/**
 * Reading back a certificate set a previous run wrote (`src/sync/_certificates.ts`), with
 * certificates made by openssl (the integration test pki_test.ts uses the real PKI engine).
 */
import { assert, assertEquals, assertMatch } from "../support/assert.ts";
import { makeTestPki, requireOpenssl } from "../support/pki.ts";
import { tmpDir } from "../support/tmp_dir.ts";
import {
  adoptCertificate,
  certificateRequest,
  certificateValidity,
  pemBlocks,
} from "../../src/sync/_certificates.ts";

const openssl = await requireOpenssl(import.meta.url);

Deno.test({
  name: "adoptCertificate() rebuilds the pki/issue answer from a key, its certificate and the CA",
  ignore: !openssl,
  async fn() {
    await using dir = await tmpDir();
    const pki = await makeTestPki(dir.path);
    const read = (f: string) => Deno.readTextFile(f);
    const [ca, cert, key, other] = [
      await read(pki.ca),
      await read(pki.cert),
      await read(pki.key),
      await read(pki.clientCert),
    ];
    // The server's certificate and key in one file, the CA and an unrelated certificate beside.
    const found = await adoptCertificate([cert + key, ca + other], certificateRequest([]));
    assert(found);
    const data = found.body.data as Record<string, unknown>;
    assertEquals(data.certificate, pemBlocks(cert)[0]!.pem);
    assertEquals(data.private_key, pemBlocks(key)[0]!.pem);
    assertEquals(data.issuing_ca, pemBlocks(ca)[0]!.pem, "the issuer by subject, not file order");
    assertEquals(data.private_key_type, "rsa");
    assertMatch(String(data.serial_number), /^[0-9a-f]{2}(:[0-9a-f]{2})+$/);
    assertEquals(found.validity, await certificateValidity(cert));
    assertEquals(data.expiration, Math.floor(found.validity.notAfter / 1000));
  },
});

Deno.test({
  name: "adoptCertificate() keeps nothing for other names, a lone certificate or a foreign key",
  ignore: !openssl,
  async fn() {
    await using dir = await tmpDir();
    const pki = await makeTestPki(dir.path);
    const read = (f: string) => Deno.readTextFile(f);
    const [cert, key, clientKey] = [
      await read(pki.cert),
      await read(pki.key),
      await read(pki.clientKey),
    ];
    // The server certificate is CN=localhost with SANs IP:127.0.0.1 and DNS:localhost.
    const asked = (...args: string[]) => adoptCertificate([cert, key], certificateRequest(args));
    assert(await asked("common_name=localhost", "ip_sans=127.0.0.1"));
    assertEquals(await asked("common_name=app.example.com"), undefined);
    assertEquals(await asked("common_name=localhost", "alt_names=api.example.com"), undefined);
    assertEquals(await asked("ip_sans=10.0.0.1"), undefined);
    assertEquals(await adoptCertificate([cert]), undefined);
    assertEquals(await adoptCertificate([cert, clientKey]), undefined);
    assertEquals(await certificateValidity("not a certificate"), undefined);
  },
});
