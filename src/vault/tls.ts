/**
 * Builds the endpoints and their HTTP clients from the store's TLS settings: extra CA
 * certificates (a file, or every certificate file in a directory), a client certificate for
 * mTLS, and skip-verify.
 *
 * `Deno.createHttpClient` has no per-client "skip verification" option, so a store with
 * `tlsSkipVerify` gets a fetch over Deno's `node:https` with `rejectUnauthorized: false`
 * ({@linkcode createInsecureFetch}): only this client's connections go unverified, not the
 * process's (as `--unsafely-ignore-certificate-errors` would do). Deno has no SNI/server-name
 * option either (its `tcp` proxy transport speaks plain HTTP, so it cannot carry TLS for another
 * name): a server name can only be matched by putting that name into the address (with /etc/hosts
 * or DNS pointing it at the server). Both are reported by {@linkcode tlsWarnings}.
 *
 * @module
 */
import type { StorePlan, TlsFileField } from "../config/mod.ts";
import type { Endpoint } from "./_http_transport.ts";
import { createInsecureFetch } from "./_insecure_fetch.ts";

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
const PEM_KEY = /-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----/;

/** The `Deno.createHttpClient` options TLS setup produces. */
type HttpClientOptions = Deno.CreateHttpClientOptions & Partial<Deno.TlsCertifiedKeyPem>;

/** A TLS file setting that cannot be used, and why. */
export interface TlsFileProblem {
  /** The setting that names the file. */
  field: TlsFileField;
  /** What is wrong, e.g. `Cannot load CA certificate "/etc/ca.pem": no such file`. */
  message: string;
}

/** A TLS file that cannot be used; `field` names the setting. */
export class TlsFileError extends Error {
  override name = "TlsFileError";
  /** The setting that names the file. */
  readonly field: TlsFileField;

  constructor(field: TlsFileField, message: string, options?: ErrorOptions) {
    super(message, options);
    this.field = field;
  }
}

/** The PEM CA bundle(s) the TLS plan names. @throws {TlsFileError} when one cannot be read */
export function loadCaCerts(tls: StorePlan["tls"], files: TlsFiles): string[] {
  const certs: string[] = [];
  if (tls.caCert !== undefined) {
    const text = readTlsFile(files, tls.caCert, "caCert", "CA certificate");
    if (!text.includes(PEM_CERT)) {
      throw new TlsFileError(
        "caCert",
        `Cannot load CA certificate "${tls.caCert}": no PEM certificate in the file`,
      );
    }
    certs.push(text);
  }
  if (tls.caPath !== undefined) {
    for (const name of listCaDirectory(files, tls.caPath)) {
      const text = readTlsFile(files, name, "caPath", "CA certificate");
      if (text.includes(PEM_CERT)) certs.push(text);
    }
  }
  return certs;
}

/** Options of {@linkcode checkTlsFiles}. */
export interface CheckTlsFilesOptions {
  files?: TlsFiles;
  /** Parses the files the way the client will. @default Deno.createHttpClient */
  createHttpClient?: (options: HttpClientOptions) => Deno.HttpClient;
}

/**
 * Reads and parses every CA certificate (file and directory), client certificate and key the TLS
 * plan names with the TLS stack the client uses, contacting nobody. Returns one problem per file
 * that cannot be used (missing, unreadable, no PEM, unparseable, an X.509 v1 client certificate, a
 * key that is not the certificate's); empty when all can be used. A file this process has no
 * permission to read is skipped: the permission check names the missing flag.
 *
 * Needs `--allow-read` for the files.
 *
 * @example
 * ```ts ignore
 * for (const problem of checkTlsFiles(plan.store.tls)) console.error(problem.message);
 * ```
 */
export function checkTlsFiles(
  tls: StorePlan["tls"],
  options: CheckTlsFilesOptions = {},
): TlsFileProblem[] {
  const { files = DENO_TLS_FILES, createHttpClient = Deno.createHttpClient } = options;
  const problems: TlsFileProblem[] = [];
  const check = (fn: () => void): void => {
    try {
      fn();
    } catch (err) {
      if (!(err instanceof TlsFileError)) throw err;
      if (!(err.cause instanceof Deno.errors.NotCapable)) {
        problems.push({ field: err.field, message: err.message });
      }
    }
  };
  const parse = (options: HttpClientOptions, describe: (err: unknown) => TlsFileError) => {
    let client: Deno.HttpClient;
    try {
      client = createHttpClient(options);
    } catch (err) {
      throw describe(err);
    }
    client.close();
  };

  const { caCert, caPath } = tls;
  if (caCert !== undefined) {
    check(() => {
      const certs = loadCaCerts({ skipVerify: false, caCert }, files);
      parse({ caCerts: certs }, (err) => caParseError("caCert", caCert, err));
    });
  }
  if (caPath !== undefined) {
    check(() => {
      let found = 0;
      for (const name of listCaDirectory(files, caPath)) {
        check(() => {
          const text = readTlsFile(files, name, "caPath", "CA certificate");
          if (!text.includes(PEM_CERT)) return;
          found++;
          parse({ caCerts: [text] }, (err) => caParseError("caPath", name, err));
        });
      }
      if (found === 0 && !problems.some((p) => p.field === "caPath")) {
        throw new TlsFileError(
          "caPath",
          `Cannot load CA directory "${caPath}": no PEM certificate in it`,
        );
      }
    });
  }
  if (tls.clientCert !== undefined && tls.clientKey !== undefined) {
    const paths = { cert: tls.clientCert, key: tls.clientKey };
    let cert: string | undefined;
    let key: string | undefined;
    check(() => cert = readClientCert(files, paths.cert));
    check(() => key = readClientKey(files, paths.key));
    if (cert !== undefined && key !== undefined) {
      const pair = { cert, key };
      check(() => parse(pair, (err) => clientParseError(paths, err)));
    }
  }
  return problems;
}

/** Options of {@linkcode createEndpoints}. */
export interface CreateEndpointsOptions {
  files?: TlsFiles;
  /** Creates the HttpClient (injectable for tests). @default Deno.createHttpClient */
  createHttpClient?: (options: HttpClientOptions) => Deno.HttpClient;
}

/**
 * One endpoint per configured address, all sharing one HttpClient.
 *
 * @throws {TlsFileError} when a certificate or key file cannot be read or parsed
 * @throws {Error} when the client cannot be created for another reason
 */
export function createEndpoints(
  store: Pick<StorePlan, "addresses" | "tls">,
  options: CreateEndpointsOptions = {},
): Endpoint[] {
  const { files = DENO_TLS_FILES, createHttpClient = Deno.createHttpClient } = options;
  const { tls } = store;
  const clientOptions: HttpClientOptions = {};
  const caCerts = loadCaCerts(tls, files);
  if (caCerts.length > 0) clientOptions.caCerts = caCerts;
  if ((tls.clientCert === undefined) !== (tls.clientKey === undefined)) {
    throw new Error("Cannot set up mTLS: clientCert and clientKey must be given together");
  }
  if (tls.clientCert !== undefined && tls.clientKey !== undefined) {
    clientOptions.cert = readClientCert(files, tls.clientCert);
    clientOptions.key = readClientKey(files, tls.clientKey);
  }
  const origins = store.addresses.map(originOf);
  if (tls.skipVerify) {
    const insecure = createInsecureFetch({
      caCerts,
      ...(clientOptions.cert !== undefined ? { cert: clientOptions.cert } : {}),
      ...(clientOptions.key !== undefined ? { key: clientOptions.key } : {}),
    });
    return origins.map((origin) => ({ origin, fetch: insecure.fetch, close: insecure.close }));
  }
  let client: Deno.HttpClient;
  try {
    client = createHttpClient(clientOptions);
  } catch (err) {
    if (tls.clientCert !== undefined && tls.clientKey !== undefined && isClientPairError(err)) {
      throw clientParseError({ cert: tls.clientCert, key: tls.clientKey }, err);
    }
    throw new Error(`Cannot create the HTTP client for Vault: ${message(err)}`, { cause: err });
  }
  return origins.map((origin) => ({ origin, client }));
}

/** Warnings about the store's TLS settings; logged at every start. */
export function tlsWarnings(store: Pick<StorePlan, "addresses" | "tls">): string[] {
  const { tls } = store;
  const warnings: string[] = [];
  if (tls.skipVerify) {
    const https = store.addresses.filter((a) => a.startsWith("https:")).map(originOf);
    if (https.length > 0) {
      warnings.push(
        `TLS certificate verification is off for ${https.join(", ")} (tlsSkipVerify): ` +
          "any server there is trusted with the token; use only for testing",
      );
    }
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

function readTlsFile(
  files: TlsFiles,
  path: string,
  field: TlsFileField,
  what: string,
): string {
  try {
    return files.readTextFile(path);
  } catch (err) {
    throw new TlsFileError(field, `Cannot load ${what} "${path}": ${describeFileError(err)}`, {
      cause: err,
    });
  }
}

function listCaDirectory(files: TlsFiles, dir: string): string[] {
  try {
    return files.listFiles(dir);
  } catch (err) {
    throw new TlsFileError(
      "caPath",
      `Cannot list CA directory "${dir}": ${describeFileError(err)}`,
      {
        cause: err,
      },
    );
  }
}

function readClientCert(files: TlsFiles, path: string): string {
  const text = readTlsFile(files, path, "clientCert", "client certificate");
  if (!text.includes(PEM_CERT)) {
    throw new TlsFileError(
      "clientCert",
      `Cannot load client certificate "${path}": no PEM certificate in the file`,
    );
  }
  return text;
}

function readClientKey(files: TlsFiles, path: string): string {
  const text = readTlsFile(files, path, "clientKey", "client key");
  if (!PEM_KEY.test(text)) {
    throw new TlsFileError(
      "clientKey",
      `Cannot load client key "${path}": no PEM private key in the file`,
    );
  }
  return text;
}

/** What rustls said about a CA certificate, as a problem of `field`. */
function caParseError(field: TlsFileField, path: string, err: unknown): TlsFileError {
  const text = message(err);
  const reason = /BadEncoding|InvalidByte|Unable to add pem|base64/i.test(text)
    ? "not a valid PEM certificate"
    : oneLine(text);
  return new TlsFileError(field, `Cannot load CA certificate "${path}": ${reason}`, {
    cause: err,
  });
}

function isClientPairError(err: unknown): boolean {
  return /certificate|key/i.test(message(err));
}

/**
 * What rustls said about a client certificate and key: a key that does not parse or belongs to
 * another certificate is the key's problem, everything else the certificate's.
 */
function clientParseError(paths: { cert: string; key: string }, err: unknown): TlsFileError {
  const text = message(err);
  const options = { cause: err };
  if (/KeyMismatch|keys may not be consistent/i.test(text)) {
    return new TlsFileError(
      "clientKey",
      `Cannot load client key "${paths.key}": it is not the key of client certificate "${paths.cert}"`,
      options,
    );
  }
  if (/decode key|No keys found/i.test(text)) {
    return new TlsFileError(
      "clientKey",
      `Cannot load client key "${paths.key}": not a valid PEM private key`,
      options,
    );
  }
  if (/UnsupportedCertVersion/.test(text)) {
    return new TlsFileError(
      "clientCert",
      `Cannot load client certificate "${paths.cert}": it is an X.509 v1 certificate; ` +
        "TLS client certificates must be X.509 v3",
      options,
    );
  }
  const reason = /BadEncoding|No certificates found|InvalidByte/i.test(text)
    ? "not a valid PEM certificate"
    : oneLine(text);
  return new TlsFileError(
    "clientCert",
    `Cannot load client certificate "${paths.cert}": ${reason}`,
    options,
  );
}

/** A file-system error in a few words (the path is already in the message). */
function describeFileError(err: unknown): string {
  if (err instanceof Deno.errors.NotFound) return "no such file";
  if (err instanceof Deno.errors.IsADirectory) return "is a directory";
  if (err instanceof Deno.errors.NotADirectory) return "not a directory";
  if (err instanceof Deno.errors.PermissionDenied) return "permission denied";
  if (err instanceof Deno.errors.NotCapable) return `no permission (${message(err)})`;
  return oneLine(message(err));
}

function oneLine(text: string): string {
  return text.replace(/\s+/g, " ").trim();
}

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
