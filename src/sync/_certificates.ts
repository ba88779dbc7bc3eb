/**
 * What the sync engine needs to know about certificates in Vault responses and in files it wrote:
 * a certificate's validity (to re-issue at ~2/3 of it), and a previous run's certificate, key and
 * CA read back from the files (so a restart does not issue a new one, as Vault Agent's `pkiCert`).
 *
 * `node:crypto` is loaded on first use: only configs that handle certificates pay for it.
 *
 * @module
 */

type NodeCrypto = typeof import("node:crypto");
let crypto: Promise<NodeCrypto> | undefined;

function loadCrypto(): Promise<NodeCrypto> {
  crypto ??= import("node:crypto");
  return crypto;
}

/** A certificate's validity, epoch ms. */
export interface Validity {
  notBefore: number;
  notAfter: number;
}

const PEM_BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----\r?\n[\s\S]*?-----END \1-----/g;

/** Every PEM block in `text`, exactly as written, with its label. */
export function pemBlocks(text: string): Array<{ label: string; pem: string }> {
  return [...text.matchAll(PEM_BLOCK)].map((m) => ({ label: m[1]!, pem: m[0] }));
}

/**
 * The validity of the first certificate in `pem`, or `undefined` when it holds none that parses.
 */
export async function certificateValidity(pem: unknown): Promise<Validity | undefined> {
  if (typeof pem !== "string" || !pem.includes("-----BEGIN CERTIFICATE-----")) return undefined;
  const block = pemBlocks(pem).find((b) => b.label === "CERTIFICATE");
  if (!block) return undefined;
  try {
    const { X509Certificate } = await loadCrypto();
    const cert = new X509Certificate(block.pem);
    return { notBefore: Date.parse(cert.validFrom), notAfter: Date.parse(cert.validTo) };
  } catch {
    return undefined;
  }
}

/** The certificate set a previous run wrote, shaped like the body of a `pki/issue` response. */
export interface AdoptedCertificate {
  body: Record<string, unknown>;
  validity: Validity;
}

/**
 * Finds, in the text of a secret's files, a certificate whose public key matches a private key
 * in them, and rebuilds the `pki/issue` response it came from: `certificate`, `private_key`,
 * `private_key_type`, `issuing_ca` (the certificate that names the leaf's issuer as subject, else
 * the first other certificate), `ca_chain` (every other certificate, in file order),
 * `serial_number` (Vault's `aa:bb:…` form) and `expiration`. `undefined` when there is no such
 * pair. The caller proves the rebuild right by rendering it back to the same files.
 */
export async function adoptCertificate(
  texts: readonly string[],
  wanted: CertificateRequest = {},
): Promise<AdoptedCertificate | undefined> {
  const blocks = texts.flatMap((t) => pemBlocks(t));
  const certPems = [...new Set(blocks.filter((b) => b.label === "CERTIFICATE").map((b) => b.pem))];
  const keyPems = [
    ...new Set(blocks.filter((b) => b.label.endsWith("PRIVATE KEY")).map((b) => b.pem)),
  ];
  if (certPems.length === 0 || keyPems.length === 0) return undefined;
  const nodeCrypto = await loadCrypto();
  try {
    const certs = certPems.map((pem) => ({ pem, cert: new nodeCrypto.X509Certificate(pem) }));
    for (const keyPem of keyPems) {
      const key = nodeCrypto.createPrivateKey(keyPem);
      const leaf = certs.find((c) => c.cert.checkPrivateKey(key));
      if (!leaf) continue;
      if (!covers(leaf.cert, wanted)) return undefined;
      const others = certs.filter((c) => c !== leaf);
      const issuer = others.find((c) => c.cert.subject === leaf.cert.issuer) ?? others[0];
      const validity = {
        notBefore: Date.parse(leaf.cert.validFrom),
        notAfter: Date.parse(leaf.cert.validTo),
      };
      const data: Record<string, unknown> = {
        certificate: leaf.pem,
        private_key: keyPem,
        private_key_type: key.asymmetricKeyType === "ec" ? "ec" : key.asymmetricKeyType ?? "",
        issuing_ca: issuer?.pem ?? "",
        ca_chain: others.map((c) => c.pem),
        serial_number: vaultSerial(leaf.cert.serialNumber),
        expiration: Math.floor(validity.notAfter / 1000),
      };
      return { body: { lease_id: "", lease_duration: 0, renewable: false, data }, validity };
    }
  } catch {
    return undefined;
  }
  return undefined;
}

/** What a `pki/issue` call asks for, from its `k=v` arguments. */
export interface CertificateRequest {
  commonName?: string;
  /** `alt_names`, comma-separated in the call. */
  altNames?: string[];
  /** `ip_sans`, comma-separated in the call. */
  ipSans?: string[];
}

/** The names a `pki/issue` call's arguments ask for. */
export function certificateRequest(args: readonly string[]): CertificateRequest {
  const value = (key: string) => args.find((a) => a.startsWith(`${key}=`))?.slice(key.length + 1);
  const list = (key: string) => value(key)?.split(",").map((s) => s.trim()).filter((s) => s !== "");
  const request: CertificateRequest = {};
  const commonName = value("common_name");
  const altNames = list("alt_names");
  const ipSans = list("ip_sans");
  if (commonName !== undefined) request.commonName = commonName;
  if (altNames !== undefined) request.altNames = altNames;
  if (ipSans !== undefined) request.ipSans = ipSans;
  return request;
}

/**
 * True when the certificate names what the call asks for: a certificate left by a config that
 * asked for other names is not kept.
 */
function covers(cert: import("node:crypto").X509Certificate, wanted: CertificateRequest): boolean {
  const sans = (cert.subjectAltName ?? "").split(",").map((s) => s.trim());
  const cn = /(?:^|\n)CN=([^\n]*)/.exec(cert.subject)?.[1];
  const dns = (name: string) => sans.includes(`DNS:${name}`) || cn === name;
  if (wanted.commonName !== undefined && cn !== wanted.commonName && !dns(wanted.commonName)) {
    return false;
  }
  if (wanted.altNames?.some((n) => !dns(n))) return false;
  return !wanted.ipSans?.some((ip) => !sans.includes(`IP Address:${ip}`));
}

/** `0A1B…` → `0a:1b:…`, as Vault prints serial numbers. */
function vaultSerial(hex: string): string {
  const even = hex.length % 2 === 0 ? hex : `0${hex}`;
  return even.toLowerCase().match(/../g)?.join(":") ?? "";
}
