/**
 * A throwaway PKI for TLS tests, made with Debian's openssl: a CA, a server certificate for
 * 127.0.0.1/localhost and a client certificate (clientAuth), all signed by the CA, valid one day.
 * A TLS test file calls {@linkcode requireOpenssl} first and skips itself when it returns false.
 *
 * @example
 * ```ts
 * import { makeTestPki, requireOpenssl } from "../support/pki.ts";
 * const openssl = await requireOpenssl(import.meta.url);
 * Deno.test({ name: "…", ignore: !openssl }, async () => {
 *   const pki = await makeTestPki(dir.path);
 * });
 * ```
 *
 * @module
 */
import { requireTool } from "./requires.ts";

/** Paths of the files {@linkcode makeTestPki} wrote. */
export interface TestPki {
  ca: string;
  cert: string;
  key: string;
  clientCert: string;
  clientKey: string;
}

/**
 * Whether openssl is there to make the PKI; prints the one skip line for `test` when it is not.
 * Needs --allow-run.
 */
export function requireOpenssl(test: string | URL): Promise<boolean> {
  return requireTool("openssl", {
    test,
    skips: "the TLS tests (their certificates are made with openssl)",
    install: "apt-get install openssl",
    args: ["version"],
  });
}

async function openssl(cwd: string, ...args: string[]): Promise<void> {
  const out = await new Deno.Command("openssl", { args, cwd, stdout: "null", stderr: "piped" })
    .output();
  if (!out.success) {
    throw new Error(`openssl ${args[0]} failed: ${new TextDecoder().decode(out.stderr)}`);
  }
}

/** Writes `ca.pem`, `server.{pem,key}` and `client.{pem,key}` into `dir`. Needs openssl. */
export async function makeTestPki(dir: string): Promise<TestPki> {
  await openssl(
    dir,
    "req",
    "-x509",
    "-newkey",
    "rsa:2048",
    "-nodes",
    "-keyout",
    "ca.key",
    "-out",
    "ca.pem",
    "-days",
    "1",
    "-subj",
    "/CN=secrets-sync test CA",
    "-addext",
    "basicConstraints=critical,CA:TRUE",
    "-addext",
    "keyUsage=critical,keyCertSign,cRLSign",
  );
  await Deno.writeTextFile(
    `${dir}/server.ext`,
    "subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n",
  );
  await Deno.writeTextFile(`${dir}/client.ext`, "extendedKeyUsage=clientAuth\n");
  for (const name of ["server", "client"]) {
    await signedByCa(dir, name, name === "server" ? "localhost" : "secrets-sync", `${name}.ext`);
  }
  const at = (file: string) => `${dir}/${file}`;
  return {
    ca: at("ca.pem"),
    cert: at("server.pem"),
    key: at("server.key"),
    clientCert: at("client.pem"),
    clientKey: at("client.key"),
  };
}

/**
 * Writes `<name>.pem` and `<name>.key` into `dir`: an X.509 **v1** certificate (no extensions)
 * signed by the `ca.pem`/`ca.key` of {@linkcode makeTestPki}, the kind rustls refuses. Needs
 * openssl.
 */
export async function makeV1Cert(
  dir: string,
  name: string,
): Promise<{ cert: string; key: string }> {
  // No extension file: openssl then writes a v1 certificate.
  await signedByCa(dir, name, name);
  return { cert: `${dir}/${name}.pem`, key: `${dir}/${name}.key` };
}

/** A new key `<name>.key` and a certificate `<name>.pem` for `cn`, signed by `ca.pem`/`ca.key`. */
async function signedByCa(dir: string, name: string, cn: string, extFile?: string): Promise<void> {
  await openssl(
    dir,
    "req",
    "-newkey",
    "rsa:2048",
    "-nodes",
    "-keyout",
    `${name}.key`,
    "-out",
    `${name}.csr`,
    "-subj",
    `/CN=${cn}`,
  );
  await openssl(
    dir,
    "x509",
    "-req",
    "-in",
    `${name}.csr`,
    "-CA",
    "ca.pem",
    "-CAkey",
    "ca.key",
    "-CAcreateserial",
    "-out",
    `${name}.pem`,
    "-days",
    "1",
    ...(extFile ? ["-extfile", extFile] : []),
  );
}
