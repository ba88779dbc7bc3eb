/**
 * The parts of an X.509 certificate ESO's functions read (key identifiers and subject
 * alternative names), from DER, with crypto/x509's messages for the structural errors it
 * reports first. Signatures are not checked: like ESO's helpers this formats, it does not trust.
 */

/** A certificate as far as certSANs / filterCertChain look at it. */
export interface Certificate {
  raw: Uint8Array;
  /** undefined when absent (Go's nil). */
  subjectKeyId: Uint8Array | undefined;
  authorityKeyId: Uint8Array | undefined;
  dnsNames: string[];
  emailAddresses: string[];
  ipAddresses: Uint8Array[];
  uris: string[];
}

/** A certificate crypto/x509 would refuse; the message is Go's (or its closest general one). */
export class X509Error extends Error {
  override name = "X509Error";
}

interface Tlv {
  tag: number;
  /** Start of the contents. */
  body: number;
  end: number;
}

/** One DER element at `off` (single-byte tags, minimal definite lengths), or undefined. */
function readTlv(b: Uint8Array, off: number, limit: number): Tlv | undefined {
  if (off + 2 > limit) return undefined;
  const tag = b[off]!;
  if ((tag & 0x1f) === 0x1f) return undefined;
  let len = b[off + 1]!;
  let body = off + 2;
  if (len & 0x80) {
    const n = len & 0x7f;
    if (n === 0 || n > 4 || body + n > limit || b[body] === 0) return undefined;
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + b[body + i]!;
    if (len < 0x80) return undefined;
    body += n;
  }
  if (body + len > limit) return undefined;
  return { tag, body, end: body + len };
}

/** The elements inside a constructed element. */
function children(b: Uint8Array, parent: Tlv): Tlv[] | undefined {
  const out: Tlv[] = [];
  for (let p = parent.body; p < parent.end;) {
    const t = readTlv(b, p, parent.end);
    if (t === undefined) return undefined;
    out.push(t);
    p = t.end;
  }
  return out;
}

const OID_SUBJECT_KEY_ID = "551d0e";
const OID_AUTHORITY_KEY_ID = "551d23";
const OID_SUBJECT_ALT_NAME = "551d11";

function hex(b: Uint8Array): string {
  return Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
}

function ia5(b: Uint8Array, what: string): string {
  if (b.some((x) => x >= 0x80)) throw new X509Error(`x509: SAN ${what} is malformed`);
  return String.fromCharCode(...b);
}

function parseSans(b: Uint8Array, ext: Tlv, cert: Certificate): void {
  const seq = readTlv(b, ext.body, ext.end);
  const names = seq?.tag === 0x30 ? children(b, seq) : undefined;
  if (names === undefined) throw new X509Error("x509: invalid subject alternative names");
  for (const n of names) {
    const v = b.subarray(n.body, n.end);
    switch (n.tag) {
      case 0x81:
        cert.emailAddresses.push(ia5(v, "rfc822Name"));
        break;
      case 0x82:
        cert.dnsNames.push(ia5(v, "dNSName"));
        break;
      case 0x86:
        cert.uris.push(ia5(v, "uniformResourceIdentifier"));
        break;
      case 0x87:
        if (v.length !== 4 && v.length !== 16) {
          throw new X509Error(`x509: cannot parse IP address of length ${v.length}`);
        }
        cert.ipAddresses.push(v.slice());
        break;
    }
  }
}

function parseExtensions(b: Uint8Array, exts: Tlv, cert: Certificate): void {
  const seq = readTlv(b, exts.body, exts.end);
  const list = seq?.tag === 0x30 ? children(b, seq) : undefined;
  if (list === undefined) throw new X509Error("x509: malformed extensions");
  for (const e of list) {
    const parts = e.tag === 0x30 ? children(b, e) : undefined;
    const oid = parts?.[0];
    const value = parts?.[parts.length - 1];
    if (oid?.tag !== 0x06 || value?.tag !== 0x04 || parts!.length > 3) {
      throw new X509Error("x509: malformed extension");
    }
    const id = hex(b.subarray(oid.body, oid.end));
    if (id === OID_SUBJECT_KEY_ID) {
      const ski = readTlv(b, value.body, value.end);
      if (ski?.tag !== 0x04) throw new X509Error("x509: invalid subject key identifier");
      cert.subjectKeyId = b.slice(ski.body, ski.end);
    } else if (id === OID_AUTHORITY_KEY_ID) {
      const aki = readTlv(b, value.body, value.end);
      const fields = aki?.tag === 0x30 ? children(b, aki) : undefined;
      if (fields === undefined) throw new X509Error("x509: invalid authority key identifier");
      const keyId = fields.find((f) => f.tag === 0x80);
      if (keyId !== undefined) cert.authorityKeyId = b.slice(keyId.body, keyId.end);
    } else if (id === OID_SUBJECT_ALT_NAME) {
      parseSans(b, value, cert);
    }
  }
}

/** x509.ParseCertificate, reduced to the fields in {@linkcode Certificate}. */
export function parseCertificate(der: Uint8Array): Certificate {
  const outer = readTlv(der, 0, der.length);
  if (outer?.tag !== 0x30) throw new X509Error("x509: malformed certificate");
  if (outer.end !== der.length) throw new X509Error("x509: trailing data");
  const tbs = readTlv(der, outer.body, outer.end);
  if (tbs?.tag !== 0x30) throw new X509Error("x509: malformed tbs certificate");
  const rest = children(der, { tag: 0x30, body: tbs.end, end: outer.end });
  if (rest?.length !== 2 || rest[0]!.tag !== 0x30 || rest[1]!.tag !== 0x03) {
    throw new X509Error("x509: malformed certificate");
  }
  const fields = children(der, tbs);
  if (fields === undefined) throw new X509Error("x509: malformed tbs certificate");
  let i = fields[0]?.tag === 0xa0 ? 1 : 0;
  const expect: [number, string][] = [
    [0x02, "serial number"],
    [0x30, "signature algorithm identifier"],
    [0x30, "issuer"],
    [0x30, "validity"],
    [0x30, "subject"],
    [0x30, "spki"],
  ];
  for (const [tag, what] of expect) {
    if (fields[i]?.tag !== tag) throw new X509Error(`x509: malformed ${what}`);
    i++;
  }
  const cert: Certificate = {
    raw: der,
    subjectKeyId: undefined,
    authorityKeyId: undefined,
    dnsNames: [],
    emailAddresses: [],
    ipAddresses: [],
    uris: [],
  };
  for (; i < fields.length; i++) {
    if (fields[i]!.tag === 0xa3) parseExtensions(der, fields[i]!, cert);
  }
  return cert;
}

/** net.IP.String for a 4- or 16-byte address (IPv4-mapped IPv6 prints as IPv4). */
export function formatIp(ip: Uint8Array): string {
  const mapped = ip.length === 16 && ip.subarray(0, 10).every((x) => x === 0) &&
    ip[10] === 0xff && ip[11] === 0xff;
  if (ip.length === 4 || mapped) return Array.from(ip.subarray(ip.length - 4)).join(".");
  const groups = Array.from({ length: 8 }, (_, g) => (ip[2 * g]! << 8) | ip[2 * g + 1]!);
  // The first longest run of two or more zero groups becomes "::" (net/netip).
  let zeroStart = -1;
  let zeroLen = 1;
  for (let g = 0; g < 8;) {
    let e = g;
    while (e < 8 && groups[e] === 0) e++;
    if (e - g > zeroLen) {
      zeroStart = g;
      zeroLen = e - g;
    }
    g = e === g ? g + 1 : e;
  }
  if (zeroStart < 0) return groups.map((x) => x.toString(16)).join(":");
  const left = groups.slice(0, zeroStart).map((x) => x.toString(16)).join(":");
  const right = groups.slice(zeroStart + zeroLen).map((x) => x.toString(16)).join(":");
  return `${left}::${right}`;
}

/** bytes.Equal, where a missing key identifier equals an empty one (Go's nil slice). */
export function sameKeyId(a: Uint8Array | undefined, b: Uint8Array | undefined): boolean {
  const x = a ?? new Uint8Array(0);
  const y = b ?? new Uint8Array(0);
  return x.length === y.length && x.every((v, i) => v === y[i]);
}
