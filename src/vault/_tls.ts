/**
 * Builds the endpoints and their `Deno.HttpClient`s from the store's TLS settings: extra CA
 * certificates (a file, or every certificate file in a directory), a client certificate for
 * mTLS, and a server-name override.
 *
 * Deno has neither a per-client "skip verification" nor an SNI/server-name option (its `tcp`
 * proxy transport speaks plain HTTP, so it cannot carry TLS for another name). Skip-verify is
 * only possible process-wide with `--unsafely-ignore-certificate-errors[=host,…]`, and a server
 * name can only be matched by putting that name into the address (with /etc/hosts or DNS
 * pointing it at the server). Both are reported by {@linkcode tlsWarnings}, never silently
 * dropped.
 *
 * @module
 */
import type { StorePlan } from "../config/plan.ts";
import type { Endpoint } from "./_http_transport.ts";

/** The synchronous file reads TLS setup needs (injectable for tests). */
export interface TlsFiles {
  /** A file's content. */
  readTextFile(path: string): string;
  /** Regular files in a directory, as absolute paths. */
  listFiles(dir: string): string[];
}

/** The real file system. Needs `--allow-read` for the configured paths. */
export const DENO_TLS_FILES: TlsFiles = {
  readTextFile: (path) => Deno.readTextFileSync(path),
  listFiles: (dir) =>
    [...Deno.readDirSync(dir)]
      .filter((e) => e.isFile || e.isSymlink)
      .map((e) => `${dir.replace(/\/+$/, "")}/${e.name}`)
      .sort(),
};

const PEM_CERT = "-----BEGIN CERTIFICATE-----";

/** The PEM CA bundle(s) the TLS plan names. */
export function loadCaCerts(tls: StorePlan["tls"], files: TlsFiles): string[] {
  const certs: string[] = [];
  if (tls.caCert !== undefined) {
    const text = readOrThrow(files, tls.caCert, "CA certificate");
    if (!text.includes(PEM_CERT)) {
      throw new Error(`Cannot load CA certificate "${tls.caCert}": no PEM certificate in file`);
    }
    certs.push(text);
  }
  if (tls.caPath !== undefined) {
    let names: string[];
    try {
      names = files.listFiles(tls.caPath);
    } catch (err) {
      throw new Error(`Cannot list CA directory "${tls.caPath}": ${message(err)}`, { cause: err });
    }
    for (const name of names) {
      const text = readOrThrow(files, name, "CA certificate");
      if (text.includes(PEM_CERT)) certs.push(text);
    }
  }
  return certs;
}

/** Options of {@linkcode createEndpoints}. */
export interface CreateEndpointsOptions {
  files?: TlsFiles;
  /** Creates the HttpClient (injectable for tests). @default Deno.createHttpClient */
  createHttpClient?: (
    options: Deno.CreateHttpClientOptions & Partial<Deno.TlsCertifiedKeyPem>,
  ) => Deno.HttpClient;
}

/**
 * One endpoint per configured address, all sharing one HttpClient.
 *
 * @throws {Error} when a certificate or key file cannot be read, or the client cannot be created
 */
export function createEndpoints(
  store: Pick<StorePlan, "addresses" | "tls">,
  options: CreateEndpointsOptions = {},
): Endpoint[] {
  const { files = DENO_TLS_FILES, createHttpClient = Deno.createHttpClient } = options;
  const { tls } = store;
  const clientOptions: Deno.CreateHttpClientOptions & Partial<Deno.TlsCertifiedKeyPem> = {};
  const caCerts = loadCaCerts(tls, files);
  if (caCerts.length > 0) clientOptions.caCerts = caCerts;
  if ((tls.clientCert === undefined) !== (tls.clientKey === undefined)) {
    throw new Error("Cannot set up mTLS: clientCert and clientKey must be given together");
  }
  if (tls.clientCert !== undefined && tls.clientKey !== undefined) {
    clientOptions.cert = readOrThrow(files, tls.clientCert, "client certificate");
    clientOptions.key = readOrThrow(files, tls.clientKey, "client key");
  }
  const origins = store.addresses.map(originOf);
  let client: Deno.HttpClient;
  try {
    client = createHttpClient(clientOptions);
  } catch (err) {
    throw new Error(`Cannot create the HTTP client for Vault: ${message(err)}`, { cause: err });
  }
  return origins.map((origin) => ({ origin, client }));
}

/** Warnings about TLS settings Deno cannot apply per client; logged at every start. */
export function tlsWarnings(tls: StorePlan["tls"]): string[] {
  const warnings: string[] = [];
  if (tls.skipVerify) {
    warnings.push(
      "TLS skipVerify is set, but Deno cannot skip certificate verification per client: " +
        "verification stays on unless the process runs with " +
        "--unsafely-ignore-certificate-errors=<vault host> (process-wide, insecure)",
    );
  }
  if (tls.serverName !== undefined && tls.serverName !== "") {
    warnings.push(
      `TLS serverName "${tls.serverName}" is ignored: Deno cannot override the TLS server name; ` +
        "use that name in the address and resolve it to the server (DNS or /etc/hosts)",
    );
  }
  return warnings;
}

/** `scheme://host:port` of a configured address (path and trailing slash dropped). */
export function originOf(address: string): string {
  let url: URL;
  try {
    url = new URL(address);
  } catch {
    throw new TypeError(`Invalid Vault address "${address}": not a URL`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new TypeError(`Invalid Vault address "${address}": scheme must be http or https`);
  }
  return url.origin;
}

function readOrThrow(files: TlsFiles, path: string, what: string): string {
  try {
    return files.readTextFile(path);
  } catch (err) {
    throw new Error(`Cannot load ${what} "${path}": ${message(err)}`, { cause: err });
  }
}

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
