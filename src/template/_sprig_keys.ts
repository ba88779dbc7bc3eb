/**
 * Sprig's key, certificate and symmetric crypto functions: genPrivateKey, genCA,
 * genSelfSignedCert, genSignedCert (+WithKey), buildCustomCert, encryptAES, decryptAES,
 * derivePassword. Keys come from node:crypto, certificates are built with node-forge
 * (RSA keys only).
 */
import type { KeyObject } from "node:crypto";
import type forge from "node-forge";
import { forgeLib, nodeCrypto } from "./_libraries.ts";
import { def, type FuncDef, FuncError, needs, needsAll } from "./_func_def.ts";
import type { GoObject } from "./_methods.ts";
import { bytesToGoString } from "./_go_string.ts";
import { strval } from "./_conv.ts";

const UTF8 = new TextEncoder();

/** Sprig's certificate struct {Cert, Key string}. */
export class Certificate implements GoObject {
  readonly goTypeName = "sprig.certificate";
  constructor(readonly cert: string, readonly key: string) {}
  goString(): string {
    return `{${this.cert} ${this.key}}`;
  }
  methods(): Record<string, FuncDef> {
    return { Cert: def(() => this.cert), Key: def(() => this.key) };
  }
}

export interface KeyEnv {
  now: () => number;
  random: () => number;
}

function pemKey(keyObject: KeyObject): string {
  const type = keyObject.asymmetricKeyType;
  if (type === "rsa") return String(keyObject.export({ type: "pkcs1", format: "pem" }));
  if (type === "ec") return String(keyObject.export({ type: "sec1", format: "pem" }));
  return String(keyObject.export({ type: "pkcs8", format: "pem" }));
}

function genPrivateKey(typ: string): string {
  // Outside the try: an unprepared template fails, instead of rendering the message as the key.
  const { generateKeyPairSync } = nodeCrypto();
  try {
    switch (typ) {
      case "":
      case "rsa":
        return pemKey(generateKeyPairSync("rsa", { modulusLength: 4096 }).privateKey);
      case "ecdsa":
        return pemKey(generateKeyPairSync("ec", { namedCurve: "P-256" }).privateKey);
      case "ed25519":
        return pemKey(generateKeyPairSync("ed25519").privateKey);
      case "dsa":
        return "failed to generate private key: dsa keys are not supported";
      default:
        return "Unknown type " + typ;
    }
  } catch (e) {
    return `failed to generate private key: ${(e as Error).message}`;
  }
}

function rsaKeyFromPem(pem: string): forge.pki.rsa.PrivateKey {
  // Outside the try: an unprepared template fails with "not loaded", not as a bad key.
  const { createPrivateKey } = nodeCrypto();
  let key;
  try {
    key = createPrivateKey(pem);
  } catch {
    throw new FuncError("error parsing private key: no PEM data found");
  }
  if (key.asymmetricKeyType !== "rsa") {
    throw new FuncError(
      `error parsing private key: ${key.asymmetricKeyType} keys are not supported here (RSA only)`,
    );
  }
  return forgeLib().pki.privateKeyFromPem(
    String(key.export({ type: "pkcs1", format: "pem" })),
  ) as forge.pki.rsa.PrivateKey;
}

function newRsaKey(): forge.pki.rsa.PrivateKey {
  const { privateKey } = nodeCrypto().generateKeyPairSync("rsa", { modulusLength: 2048 });
  return forgeLib().pki.privateKeyFromPem(
    String(privateKey.export({ type: "pkcs1", format: "pem" })),
  ) as forge.pki.rsa.PrivateKey;
}

function serial(env: KeyEnv): string {
  let hex = "";
  for (let i = 0; i < 16; i++) {
    hex += Math.floor(env.random() * 256).toString(16).padStart(2, "0");
  }
  // A positive INTEGER: clear the top bit.
  return ((parseInt(hex[0]!, 16) & 7).toString(16)) + hex.slice(1);
}

function isIp(s: string): boolean {
  return /^\d{1,3}(\.\d{1,3}){3}$/.test(s) || s.includes(":");
}

function build(
  env: KeyEnv,
  opts: {
    cn: string;
    ips: unknown[];
    dns: unknown[];
    days: bigint;
    isCA: boolean;
    key: forge.pki.rsa.PrivateKey;
    signer?: { cert: forge.pki.Certificate; key: forge.pki.rsa.PrivateKey };
  },
): Certificate {
  const cert = forgeLib().pki.createCertificate();
  cert.publicKey = forgeLib().pki.setRsaPublicKey(opts.key.n, opts.key.e);
  cert.serialNumber = serial(env);
  const now = env.now();
  cert.validity.notBefore = new Date(now);
  cert.validity.notAfter = new Date(now + Number(opts.days) * 86_400_000);
  const subject = [{ name: "commonName", value: opts.cn }];
  cert.setSubject(subject);
  cert.setIssuer(opts.signer ? opts.signer.cert.subject.attributes : subject);
  const altNames: { type: number; value?: string; ip?: string }[] = [];
  for (const d of opts.dns) {
    if (typeof d !== "string") {
      throw new FuncError(`error processing alternate dns name: ${strval(d)} is not a string`);
    }
    altNames.push({ type: 2, value: d });
  }
  for (const ip of opts.ips) {
    if (typeof ip !== "string" || !isIp(ip)) throw new FuncError("error parsing ip");
    altNames.push({ type: 7, ip });
  }
  const extensions: Record<string, unknown>[] = [
    { name: "basicConstraints", cA: opts.isCA, critical: true },
    {
      name: "keyUsage",
      critical: true,
      digitalSignature: true,
      keyEncipherment: true,
      keyCertSign: opts.isCA,
    },
  ];
  if (!opts.isCA) extensions.push({ name: "extKeyUsage", serverAuth: true, clientAuth: true });
  else extensions.push({ name: "extKeyUsage", serverAuth: true, clientAuth: true });
  if (altNames.length > 0) extensions.push({ name: "subjectAltName", altNames });
  cert.setExtensions(extensions);
  cert.sign(opts.signer ? opts.signer.key : opts.key, forgeLib().md.sha256.create());
  return new Certificate(
    forgeLib().pki.certificateToPem(cert).replaceAll("\r\n", "\n"),
    forgeLib().pki.privateKeyToPem(opts.key).replaceAll("\r\n", "\n"),
  );
}

function signerOf(ca: unknown): { cert: forge.pki.Certificate; key: forge.pki.rsa.PrivateKey } {
  if (!(ca instanceof Certificate)) {
    throw new FuncError("wrong type for value; expected sprig.certificate");
  }
  // Outside the try: an unprepared template fails with "not loaded", not as a bad certificate.
  const lib = forgeLib();
  let cert: forge.pki.Certificate;
  try {
    cert = lib.pki.certificateFromPem(ca.cert);
  } catch {
    throw new FuncError("unable to decode certificate");
  }
  return { cert, key: rsaKeyFromPem(ca.key) };
}

/** Sprig's buildCustomCert: a certificate from base64 PEM texts, checked but kept as given. */
function buildCustomCert(b64cert: string, b64key: string): Certificate {
  let cert: string;
  let key: string;
  const strict = (s: string) => {
    const clean = s.replace(/[\r\n]/g, "");
    if (clean.length % 4 !== 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(clean)) throw new Error();
    return atob(clean);
  };
  try {
    cert = strict(b64cert);
  } catch {
    throw new FuncError("unable to decode base64 certificate");
  }
  try {
    key = strict(b64key);
  } catch {
    throw new FuncError("unable to decode base64 private key");
  }
  // Outside the try: an unprepared template fails with "not loaded", not as a bad certificate.
  const lib = forgeLib();
  try {
    lib.pki.certificateFromPem(cert);
  } catch {
    throw new FuncError("unable to decode certificate");
  }
  // Outside the try: an unprepared template fails with "not loaded", not as a bad key.
  const { createPrivateKey } = nodeCrypto();
  try {
    createPrivateKey(key);
  } catch {
    throw new FuncError("error parsing private key: no PEM data found");
  }
  return new Certificate(cert, key);
}

function asList(v: unknown): unknown[] {
  return Array.isArray(v) ? v : [];
}

function aesKey(password: string): Uint8Array {
  const key = new Uint8Array(32);
  key.set(UTF8.encode(password).slice(0, 32));
  return key;
}

function encryptAES(env: KeyEnv, password: string, plaintext: string): string {
  if (plaintext === "") return "";
  const iv = Uint8Array.from({ length: 16 }, () => Math.floor(env.random() * 256));
  const cipher = nodeCrypto().createCipheriv("aes-256-cbc", aesKey(password), iv);
  const body = new Uint8Array([...cipher.update(plaintext, "utf8"), ...cipher.final()]);
  let bin = "";
  for (const b of [...iv, ...body]) bin += String.fromCharCode(b);
  return btoa(bin);
}

function decryptAES(password: string, crypt64: string): string {
  if (crypt64 === "") return "";
  let crypt: Uint8Array;
  try {
    crypt = Uint8Array.from(atob(crypt64), (c) => c.charCodeAt(0));
  } catch {
    throw new FuncError("illegal base64 data");
  }
  if (crypt.length < 16 || crypt.length % 16 !== 0) {
    throw new FuncError("crypto/cipher: input not full blocks");
  }
  const { createDecipheriv } = nodeCrypto();
  const decipher = createDecipheriv("aes-256-cbc", aesKey(password), crypt.slice(0, 16));
  decipher.setAutoPadding(false);
  const out = new Uint8Array([...decipher.update(crypt.slice(16)), ...decipher.final()]);
  const pad = out[out.length - 1] ?? 0;
  return bytesToGoString(out.slice(0, Math.max(0, out.length - pad)));
}

const MASTER_PASSWORD_SEED = "com.lyndir.masterpassword";
const PASSWORD_TEMPLATES: Record<string, string[]> = {
  maximum: ["anoxxxxxxxxxxxxxxxxx", "axxxxxxxxxxxxxxxxxno"],
  long: [
    "CvcvnoCvcvCvcv",
    "CvcvCvcvnoCvcv",
    "CvcvCvcvCvcvno",
    "CvccnoCvcvCvcv",
    "CvccCvcvnoCvcv",
    "CvccCvcvCvcvno",
    "CvcvnoCvccCvcv",
    "CvcvCvccnoCvcv",
    "CvcvCvccCvcvno",
    "CvcvnoCvcvCvcc",
    "CvcvCvcvnoCvcc",
    "CvcvCvcvCvccno",
    "CvccnoCvccCvcv",
    "CvccCvccnoCvcv",
    "CvccCvccCvcvno",
    "CvcvnoCvccCvcc",
    "CvcvCvccnoCvcc",
    "CvcvCvccCvccno",
    "CvccnoCvcvCvcc",
    "CvccCvcvnoCvcc",
    "CvccCvcvCvccno",
  ],
  medium: ["CvcnoCvc", "CvcCvcno"],
  short: ["Cvcn"],
  basic: ["aaanaaan", "aannaaan", "aaannaaa"],
  pin: ["nnnn"],
};
const TEMPLATE_CHARACTERS: Record<string, string> = {
  V: "AEIOU",
  C: "BCDFGHJKLMNPQRSTVWXYZ",
  v: "aeiou",
  c: "bcdfghjklmnpqrstvwxyz",
  A: "AEIOUBCDFGHJKLMNPQRSTVWXYZ",
  a: "AEIOUaeiouBCDFGHJKLMNPQRSTVWXYZbcdfghjklmnpqrstvwxyz",
  n: "0123456789",
  o: "@&%?,=[]_:-+*$#!'^~;()/.",
  x: "AEIOUaeiouBCDFGHJKLMNPQRSTVWXYZbcdfghjklmnpqrstvwxyz0123456789!@#$%^&*()",
};

function u32(n: number): number[] {
  return [(n >>> 24) & 255, (n >>> 16) & 255, (n >>> 8) & 255, n & 255];
}

/** The Master Password algorithm, as Sprig's derivePassword. */
function derivePassword(
  counter: bigint,
  passwordType: string,
  password: string,
  user: string,
  site: string,
): string {
  const templates = PASSWORD_TEMPLATES[passwordType];
  if (templates === undefined) return `cannot find password template ${passwordType}`;
  const seed = [...UTF8.encode(MASTER_PASSWORD_SEED)];
  const userBytes = [...UTF8.encode(user)];
  const salt = new Uint8Array([...seed, ...u32(userBytes.length), ...userBytes]);
  const { createHmac, scryptSync } = nodeCrypto();
  const key = scryptSync(UTF8.encode(password), salt, 64, {
    N: 32768,
    r: 8,
    p: 2,
    maxmem: 256 * 1024 * 1024,
  });
  const siteBytes = [...UTF8.encode(site)];
  const message = new Uint8Array([
    ...seed,
    ...u32(siteBytes.length),
    ...siteBytes,
    ...u32(Number(BigInt.asUintN(32, counter))),
  ]);
  const digest = createHmac("sha256", key).update(message).digest();
  const template = templates[digest[0]! % templates.length]!;
  let out = "";
  [...template].forEach((element, i) => {
    const chars = TEMPLATE_CHARACTERS[element]!;
    out += chars[digest[i + 1]! % chars.length];
  });
  return out;
}

/**
 * Key and certificate functions bound to `env` (clock for validity, randomness for serials/IVs).
 * The certificate functions build and parse certificates with node-forge and are marked
 * `needs("node-forge", ...)`; `genPrivateKey`, the AES functions and `derivePassword` use only
 * `node:crypto`.
 */
export function keyFuncs(env: KeyEnv): Record<string, FuncDef> {
  /** A leaf (non-CA) certificate: self-signed, or signed by `signer`. */
  const leaf = (
    cn: string,
    ips: unknown,
    dns: unknown,
    days: bigint,
    key: ReturnType<typeof newRsaKey>,
    signer?: ReturnType<typeof signerOf>,
  ) =>
    build(env, {
      cn,
      ips: asList(ips),
      dns: asList(dns),
      days,
      isCA: false,
      key,
      ...(signer ? { signer } : {}),
    });
  // Every key, certificate and AES function here calls node:crypto.
  return needsAll("node:crypto", {
    genPrivateKey: def(genPrivateKey, "string"),
    genCA: needs(
      "node-forge",
      def(
        (cn: string, days: bigint) =>
          build(env, { cn, ips: [], dns: [], days, isCA: true, key: newRsaKey() }),
        "string",
        "int",
      ),
    ),
    genCAWithKey: needs(
      "node-forge",
      def(
        (cn: string, days: bigint, key: string) =>
          build(env, { cn, ips: [], dns: [], days, isCA: true, key: rsaKeyFromPem(key) }),
        "string",
        "int",
        "string",
      ),
    ),
    genSelfSignedCert: needs(
      "node-forge",
      def(
        (cn: string, ips: unknown, dns: unknown, days: bigint) =>
          leaf(cn, ips, dns, days, newRsaKey()),
        "string",
        "list",
        "list",
        "int",
      ),
    ),
    genSelfSignedCertWithKey: needs(
      "node-forge",
      def(
        (cn: string, ips: unknown, dns: unknown, days: bigint, key: string) =>
          leaf(cn, ips, dns, days, rsaKeyFromPem(key)),
        "string",
        "list",
        "list",
        "int",
        "string",
      ),
    ),
    genSignedCert: needs(
      "node-forge",
      def(
        (cn: string, ips: unknown, dns: unknown, days: bigint, ca: unknown) =>
          leaf(cn, ips, dns, days, newRsaKey(), signerOf(ca)),
        "string",
        "list",
        "list",
        "int",
        "any",
      ),
    ),
    genSignedCertWithKey: needs(
      "node-forge",
      def(
        (cn: string, ips: unknown, dns: unknown, days: bigint, ca: unknown, key: string) =>
          leaf(cn, ips, dns, days, rsaKeyFromPem(key), signerOf(ca)),
        "string",
        "list",
        "list",
        "int",
        "any",
        "string",
      ),
    ),
    buildCustomCert: needs("node-forge", def(buildCustomCert, "string", "string")),
    encryptAES: def(
      (password: string, plaintext: string) => encryptAES(env, password, plaintext),
      "string",
      "string",
    ),
    decryptAES: def(decryptAES, "string", "string"),
    derivePassword: def(derivePassword, "uint32", "string", "string", "string", "string"),
  });
}
