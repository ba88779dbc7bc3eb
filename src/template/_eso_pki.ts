/**
 * External Secrets Operator (template engine v2) functions over keys and certificates:
 * rsaDecrypt, certSANs, filterCertChain. Behaviour, argument order and messages follow ESO's
 * runtime/template/v2 (decrypt.go, pem.go, pem_chain.go). No message carries key material,
 * ciphertext or plaintext: only fixed texts and Go's library messages.
 */
import type { KeyObject } from "node:crypto";
import { def, type FuncDef, FuncError, needs } from "./_func_def.ts";
import { nodeCrypto } from "./_libraries.ts";
import { bytesOf } from "./_fmt.ts";
import { bytesToGoString, goStringBytes } from "./_go_string.ts";
import { pemDecode, pemDecodeAll, pemEncode } from "./_pem.ts";
import { type Certificate, formatIp, parseCertificate, sameKeyId, X509Error } from "./_x509.ts";
import { GoBytes, withGoType } from "./values.ts";

/** The bytes of a `text` argument (a string or a []byte). */
function inputBytes(v: unknown): Uint8Array {
  return v instanceof GoBytes ? bytesOf(v) : goStringBytes(String(v));
}

/** The string of a `text` argument, as Go's string(b) would see it. */
function inputString(v: unknown): string {
  return v instanceof GoBytes ? bytesToGoString(bytesOf(v)) : String(v);
}

/** ESO's trimJunk: PEM decoding starts at the first "-----BEGIN". */
function skipToBegin(s: string): string {
  const i = s.indexOf("-----BEGIN");
  return i < 0 ? s : s.slice(i);
}

// Curves crypto/x509 parses; other EC keys fail to parse in Go.
const GO_CURVES = new Set(["prime256v1", "secp384r1", "secp521r1", "secp224r1"]);

/**
 * ESO's parsePrivateKey: PKCS#1, then PKCS#8, then SEC1, whatever the PEM type says. Returns
 * undefined where Go cannot parse the key.
 */
function parsePrivateKey(der: Uint8Array): KeyObject | undefined {
  // Outside the try: an unprepared template fails with "not loaded", not as an unparsable key.
  const { createPrivateKey } = nodeCrypto();
  for (const type of ["pkcs1", "pkcs8", "sec1"] as const) {
    let key: KeyObject;
    try {
      key = createPrivateKey({ key: der as unknown as Buffer, format: "der", type });
    } catch {
      continue;
    }
    const kind = key.asymmetricKeyType;
    if (kind === "rsa" || kind === "ed25519" || kind === "x25519") return key;
    if (kind === "ec" && GO_CURVES.has(String(key.asymmetricKeyDetails?.namedCurve))) return key;
    return undefined;
  }
  return undefined;
}

/** ESO's getHash: SHA1 and SHA512 by name; "SHA256", "None" and anything else are SHA-256. */
function oaepHash(name: string): "sha1" | "sha256" | "sha512" {
  return name === "SHA1" ? "sha1" : name === "SHA512" ? "sha512" : "sha256";
}

const DECRYPTION_ERROR = "error decrypting data with RSA: crypto/rsa: decryption error";

/** rsaDecrypt SCHEME HASH CIPHERTEXT PRIVATE_KEY_PEM: "None" returns CIPHERTEXT, "RSA-OAEP" decrypts. */
function rsaDecrypt(scheme: string, hash: string, input: unknown, privateKey: unknown): string {
  if (scheme === "None") return inputString(input);
  if (scheme !== "RSA-OAEP") throw new FuncError(`decryption scheme ${scheme} is not supported`);
  const { block } = pemDecode(inputString(privateKey));
  if (block === undefined) throw new FuncError("failed to decode PEM block");
  const key = parsePrivateKey(block.bytes);
  if (key === undefined) {
    throw new FuncError("could not parse private key: unable to parse private key type");
  }
  if (key.asymmetricKeyType !== "rsa") throw new FuncError("could not parse RSA private key");
  const bits = Number(key.asymmetricKeyDetails?.modulusLength ?? 0);
  if (bits < 1024) {
    throw new FuncError(
      `error decrypting data with RSA: crypto/rsa: ${bits}-bit keys are insecure ` +
        "(see https://go.dev/pkg/crypto/rsa#hdr-Minimum_key_size)",
    );
  }
  let ciphertext = inputBytes(input);
  const size = Math.ceil(bits / 8);
  if (ciphertext.length > size) throw new FuncError(DECRYPTION_ERROR);
  if (ciphertext.length < size) {
    // Go reads a short ciphertext as a big-endian number; OpenSSL-style APIs want k bytes.
    const padded = new Uint8Array(size);
    padded.set(ciphertext, size - ciphertext.length);
    ciphertext = padded;
  }
  const { constants, privateDecrypt } = nodeCrypto();
  let plaintext: Uint8Array;
  try {
    plaintext = privateDecrypt(
      { key, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: oaepHash(hash) },
      ciphertext,
    );
  } catch (e) {
    throw new FuncError(DECRYPTION_ERROR, { cause: e });
  }
  return bytesToGoString(plaintext);
}

function parseCert(der: Uint8Array, prefix: string): Certificate {
  try {
    return parseCertificate(der);
  } catch (e) {
    if (e instanceof X509Error) throw new FuncError(prefix + e.message, { cause: e });
    throw e;
  }
}

/** certSANs PEM: the first certificate's DNS names, IP addresses, emails and URIs, in that order. */
function certSANs(input: unknown): string[] {
  const { block } = pemDecode(skipToBegin(inputString(input)));
  if (block === undefined) throw new FuncError("failed to decode PEM block");
  const cert = parseCert(block.bytes, "failed to parse certificate: ");
  return withGoType([
    ...cert.dnsNames,
    ...cert.ipAddresses.map(formatIp),
    ...cert.emailAddresses,
    ...cert.uris,
  ], "[]string");
}

/**
 * ESO's fetchX509CertChains: links each certificate to the first other one whose subject key id
 * equals its authority key id (missing ids are equal, as nil slices are in Go) and returns the
 * chain leaf first. Not a trust check.
 */
function orderChain(input: string): Certificate[] {
  const certs = pemDecodeAll(input).map((b) => parseCert(b.bytes, ""));
  const parent = new Map<Certificate, Certificate>();
  const isParent = new Set<Certificate>();
  for (const c of certs) {
    const p = certs.find((o) => o !== c && sameKeyId(c.authorityKeyId, o.subjectKeyId));
    if (p !== undefined) {
      parent.set(c, p);
      isParent.add(p);
    }
  }
  const leaves = certs.filter((c) => !isParent.has(c));
  if (leaves.length > 1) throw new FuncError("found multiple leaf or disjunct certificates");
  if (leaves.length === 0) throw new FuncError("no leaf certificate found");
  const chain: Certificate[] = [];
  for (let c: Certificate | undefined = leaves[0]; c !== undefined; c = parent.get(c)) {
    if (chain.length === certs.length) throw new FuncError("constructing chain resulted in cycle");
    chain.push(c);
  }
  return chain;
}

function isRoot(c: Certificate): boolean {
  return c.authorityKeyId === undefined || sameKeyId(c.authorityKeyId, c.subjectKeyId);
}

/** filterCertChain "leaf"|"intermediate"|"root" PEM_CHAIN. */
function filterCertChain(certType: string, input: unknown): string {
  const chain = orderChain(inputString(input));
  const pem = (c: Certificate) => pemEncode("CERTIFICATE", c.raw);
  switch (certType) {
    case "leaf": {
      const c = chain[0]!;
      return c.authorityKeyId !== undefined && !sameKeyId(c.authorityKeyId, c.subjectKeyId)
        ? pem(c)
        : "";
    }
    case "intermediate": {
      let out = "";
      for (const c of chain.slice(1)) {
        if (isRoot(c)) break;
        out += pem(c);
      }
      return out;
    }
    case "root": {
      const c = chain[chain.length - 1]!;
      return isRoot(c) ? pem(c) : "";
    }
  }
  return "";
}

export const ESO_PKI_FUNCS: Record<string, FuncDef> = {
  rsaDecrypt: needs("node:crypto", def(rsaDecrypt, "string", "string", "text", "text")),
  certSANs: def(certSANs, "text"),
  filterCertChain: def(filterCertChain, "string", "text"),
};
