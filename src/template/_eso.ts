/** External Secrets Operator (template engine v2) functions: PKCS#12, PEM, JWK, YAML. */
import type forge from "node-forge";
import { forgeLib, nodeCrypto } from "./_libraries.ts";
import { parse as parseYaml, stringify as stringifyYaml } from "yaml";
import { def, type FuncDef, FuncError, needs } from "./_func_def.ts";
import { bytesOf, kindOf, mapEntries } from "./_fmt.ts";
import { marshalJson } from "./_json.ts";
import { GoBytes } from "./values.ts";
import { goStringBytes, hasEscapedBytes } from "./_go_string.ts";

const UTF8_DECODER = new TextDecoder();

/**
 * Raw bytes of an input: []byte as-is; strings with escaped bytes (b64dec of binary data) via
 * goStringBytes; other strings holding only code units <= 0xFF are taken as binary (data handed
 * in as a byte string); anything else is UTF-8.
 */
function binaryInput(v: unknown): string {
  let bytes: Uint8Array;
  if (v instanceof GoBytes || v instanceof Uint8Array) bytes = bytesOf(v);
  else {
    const s = String(v ?? "");
    // deno-lint-ignore no-control-regex
    if (!hasEscapedBytes(s) && /^[\x00-\xff]*$/.test(s)) return s;
    bytes = goStringBytes(s);
  }
  let out = "";
  for (const b of bytes) out += String.fromCharCode(b);
  return out;
}

function textInput(v: unknown): string {
  if (v instanceof GoBytes || v instanceof Uint8Array) return UTF8_DECODER.decode(bytesOf(v));
  return String(v ?? "");
}

/** encoding/pem Encode. */
function pemEncode(type: string, der: string, headers: [string, string][] = []): string {
  let out = `-----BEGIN ${type}-----\n`;
  for (const [k, v] of headers) out += `${k}: ${v}\n`;
  if (headers.length > 0) out += "\n";
  const b64 = btoa(der);
  for (let i = 0; i < b64.length; i += 64) out += b64.slice(i, i + 64) + "\n";
  return out + `-----END ${type}-----\n`;
}

interface PemBlock {
  type: string;
  headers: [string, string][];
  der: string;
}

/** encoding/pem Decode loop: returns the blocks and whether junk remained after the last one. */
function pemDecodeAll(input: string): { blocks: PemBlock[]; rest: string } {
  const blocks: PemBlock[] = [];
  const re = /-----BEGIN ([^\n-]*)-----[ \t]*\r?\n([\s\S]*?)-----END \1-----[ \t]*(?:\r?\n|$)/g;
  let rest = input;
  let m: RegExpExecArray | null;
  let lastEnd = 0;
  while ((m = re.exec(input)) !== null) {
    let body = m[2]!;
    const headers: [string, string][] = [];
    const hdr = /^([A-Za-z0-9-]+): *(.*)\r?\n/;
    let h: RegExpExecArray | null;
    while ((h = hdr.exec(body)) !== null) {
      headers.push([h[1]!, h[2]!]);
      body = body.slice(h[0].length);
    }
    const b64 = body.replace(/\s+/g, "");
    let der: string;
    try {
      der = atob(b64);
    } catch {
      continue;
    }
    blocks.push({ type: m[1]!, headers, der });
    lastEnd = re.lastIndex;
  }
  rest = input.slice(lastEnd);
  return { blocks, rest: blocks.length === 0 ? input : rest };
}

function filterPEM(pemType: unknown, input: unknown): string {
  const type = textInput(pemType);
  const { blocks, rest } = pemDecodeAll(textInput(input));
  const out = blocks.filter((b) => b.type.toLowerCase() === type.toLowerCase())
    .map((b) => pemEncode(b.type, b.der, b.headers)).join("");
  if (out === "" && rest.length !== 0) throw new FuncError("error filtering pem: found junk");
  return out;
}

function decodePkcs12(input: unknown, pass: string, what: "key" | "cert"): forge.pkcs12.Pkcs12Pfx {
  // Outside the try: an unprepared template fails with "not loaded", not as a bad archive.
  const lib = forgeLib();
  try {
    const asn1 = lib.asn1.fromDer(binaryInput(input));
    return lib.pkcs12.pkcs12FromAsn1(asn1, false, pass);
  } catch (e) {
    const reason = e instanceof Error ? e.message.split("\n")[0] : "decoding error";
    throw new FuncError(
      what === "key"
        ? `unable to decode pkcs12 with password: ${reason}`
        : `unable to decode pkcs12 certificate with password: ${reason}`,
    );
  }
}

function bagsOf(p12: forge.pkcs12.Pkcs12Pfx, type: string): forge.pkcs12.Bag[] {
  return p12.getBags({ bagType: type })[type] ?? [];
}

function pkcs12keyPass(pass: unknown, input: unknown): string {
  const p12 = decodePkcs12(input, textInput(pass), "key");
  const bag = bagsOf(p12, forgeLib().pki.oids.pkcs8ShroudedKeyBag!)[0] ??
    bagsOf(p12, forgeLib().pki.oids.keyBag!)[0];
  if (bag?.key === undefined && bag?.asn1 === undefined) {
    throw new FuncError("unable to decode pkcs12 with password: no private key found");
  }
  const keyAsn1 = bag.key !== undefined
    ? forgeLib().pki.wrapRsaPrivateKey(forgeLib().pki.privateKeyToAsn1(bag.key))
    : bag.asn1!;
  return pemEncode("PRIVATE KEY", forgeLib().asn1.toDer(keyAsn1).getBytes());
}

function certDer(c: forge.pki.Certificate): string {
  return forgeLib().asn1.toDer(forgeLib().pki.certificateToAsn1(c)).getBytes();
}

/** Orders a chain leaf-first by issuer/subject links; undefined when it is not a single chain. */
function orderChain(certs: forge.pki.Certificate[]): forge.pki.Certificate[] | undefined {
  const subj = (c: forge.pki.Certificate) => c.subject.hash as string;
  const iss = (c: forge.pki.Certificate) => c.issuer.hash as string;
  const leaves = certs.filter((c) =>
    !certs.some((o) => o !== c && iss(o) === subj(c) && subj(o) !== iss(o))
  );
  if (leaves.length !== 1) return undefined;
  const ordered = [leaves[0]!];
  while (ordered.length < certs.length) {
    const last = ordered[ordered.length - 1]!;
    if (iss(last) === subj(last)) break;
    const next = certs.find((c) => !ordered.includes(c) && subj(c) === iss(last));
    if (!next) break;
    ordered.push(next);
  }
  return ordered.length === certs.length ? ordered : undefined;
}

function pkcs12certPass(pass: unknown, input: unknown): string {
  const p12 = decodePkcs12(input, textInput(pass), "cert");
  const certs = bagsOf(p12, forgeLib().pki.oids.certBag!).map((b) => b.cert).filter((c) =>
    c !== undefined
  ) as forge.pki.Certificate[];
  if (certs.length === 0) {
    throw new FuncError("unable to decode pkcs12 certificate with password: no certificate found");
  }
  const ordered = orderChain(certs) ?? certs;
  return ordered.map((c) => pemEncode("CERTIFICATE", certDer(c))).join("");
}

function parseCert(der: string): forge.pki.Certificate {
  // Outside the try: an unprepared template fails with "not loaded", not as a bad certificate.
  const lib = forgeLib();
  try {
    return lib.pki.certificateFromAsn1(lib.asn1.fromDer(der));
  } catch {
    throw new FuncError("x509: malformed certificate");
  }
}

function parseKey(pem: string): forge.pki.rsa.PrivateKey {
  const block = pemDecodeAll(pem).blocks[0];
  if (!block) throw new FuncError("unable to parse private key type");
  // Outside the try: an unprepared template fails with "not loaded", not as a bad key.
  const lib = forgeLib();
  try {
    const asn1 = lib.asn1.fromDer(block.der);
    try {
      return lib.pki.privateKeyFromAsn1(asn1) as forge.pki.rsa.PrivateKey;
    } catch {
      return lib.pki.privateKeyFromAsn1(
        lib.pki.wrapRsaPrivateKey(asn1),
      ) as forge.pki.rsa.PrivateKey;
    }
  } catch {
    throw new FuncError("unable to parse private key type");
  }
}

function toPkcs12(certPem: unknown, keyPem: unknown, pass: unknown, full: boolean): string {
  const { blocks } = pemDecodeAll(textInput(certPem));
  if (blocks.length === 0) throw new FuncError("x509: malformed certificate");
  const certs = (full ? blocks : blocks.slice(0, 1)).map((b) => parseCert(b.der));
  const key = parseKey(textInput(keyPem));
  const asn1 = forgeLib().pkcs12.toPkcs12Asn1(key, certs, textInput(pass), {
    algorithm: "aes256",
  });
  return btoa(forgeLib().asn1.toDer(asn1).getBytes());
}

function jwkPem(input: unknown, kind: "public" | "private"): string {
  let jwk: Record<string, unknown>;
  try {
    jwk = JSON.parse(textInput(input));
  } catch {
    throw new FuncError("failed to unmarshal JSON into key hint");
  }
  // Outside the try: an unprepared template fails with "not loaded", not as a bad JWK.
  const { createPrivateKey, createPublicKey } = nodeCrypto();
  try {
    if (kind === "public") {
      const pub = createPublicKey({ key: jwk as never, format: "jwk" });
      return String(pub.export({ type: "spki", format: "pem" }));
    }
    const priv = createPrivateKey({ key: jwk as never, format: "jwk" });
    return String(priv.export({ type: "pkcs8", format: "pem" }));
  } catch {
    throw new FuncError(`failed to parse JWK as a ${kind} key`);
  }
}

/** Converts a template value to plain JSON-compatible data (as sigs.k8s.io/yaml does via JSON). */
function toPlain(v: unknown): unknown {
  return JSON.parse(marshalJson(v, false), (_k, x) => x);
}

function toYaml(v: unknown): string {
  try {
    const plain = toPlain(v);
    const sorted = sortKeys(plain);
    const s = stringifyYaml(sorted, {
      indentSeq: false,
      lineWidth: 0,
      defaultStringType: "PLAIN",
      defaultKeyType: "PLAIN",
    });
    return s.replace(/\n$/, "");
  } catch {
    return "";
  }
}

function sortKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (v !== null && typeof v === "object") {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(v).sort()) out[k] = sortKeys((v as Record<string, unknown>)[k]);
    return out;
  }
  return v;
}

function fromYaml(s: unknown): Record<string, unknown> {
  const m: Record<string, unknown> = Object.create(null);
  try {
    const doc = parseYaml(textInput(s));
    if (doc === null || doc === undefined) return m;
    if (kindOf(doc) !== "map" || Array.isArray(doc)) {
      m.Error = "error unmarshaling JSON: while decoding JSON: json: cannot unmarshal " +
        (Array.isArray(doc) ? "array" : typeof doc === "string" ? "string" : "number") +
        " into Go value of type map[string]interface {}";
      return m;
    }
    const plain = JSON.parse(JSON.stringify(doc));
    for (const [k, v] of mapEntries(plain)) m[k] = nullProto(v);
  } catch {
    m.Error = "error converting YAML to JSON: yaml: invalid document";
  }
  return m;
}

function nullProto(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(nullProto);
  if (v !== null && typeof v === "object") {
    const m: Record<string, unknown> = Object.create(null);
    for (const [k, x] of Object.entries(v)) m[k] = nullProto(x);
    return m;
  }
  return v;
}

/**
 * ESO's functions. The PKCS#12 ones parse and write archives with node-forge and are marked
 * `needs("node-forge", ...)`; the PEM, JWK and YAML ones do without it, so a template calling only
 * those never loads it.
 */
export const ESO_FUNCS: Record<string, FuncDef> = {
  pkcs12key: needs("node-forge", def((input: unknown) => pkcs12keyPass("", input), "any")),
  pkcs12keyPass: needs("node-forge", def(pkcs12keyPass, "any", "any")),
  pkcs12cert: needs("node-forge", def((input: unknown) => pkcs12certPass("", input), "any")),
  pkcs12certPass: needs("node-forge", def(pkcs12certPass, "any", "any")),
  pemToPkcs12: needs(
    "node-forge",
    def((c: unknown, k: unknown) => toPkcs12(c, k, "", false), "any", "any"),
  ),
  pemToPkcs12Pass: needs(
    "node-forge",
    def((c: unknown, k: unknown, p: unknown) => toPkcs12(c, k, p, false), "any", "any", "any"),
  ),
  fullPemToPkcs12: needs(
    "node-forge",
    def((c: unknown, k: unknown) => toPkcs12(c, k, "", true), "any", "any"),
  ),
  fullPemToPkcs12Pass: needs(
    "node-forge",
    def((c: unknown, k: unknown, p: unknown) => toPkcs12(c, k, p, true), "any", "any", "any"),
  ),
  filterPEM: def(filterPEM, "any", "any"),
  jwkPublicKeyPem: needs("node:crypto", def((j: unknown) => jwkPem(j, "public"), "any")),
  jwkPrivateKeyPem: needs("node:crypto", def((j: unknown) => jwkPem(j, "private"), "any")),
  toYaml: def(toYaml, "any"),
  fromYaml: def(fromYaml, "any"),
};
