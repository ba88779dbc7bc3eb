/**
 * Seeded generator of templates over ESO's key and certificate functions (rsaDecrypt, certSANs,
 * filterCertChain, hexdec) for the differential test against Go: fixture keys, ciphertexts and
 * certificates, wrong keys and hashes, junk, chains in every order, and Sprig pipelines after.
 */
import * as F from "./_eso_fixtures.ts";
import { seededRandom } from "./_generator.ts";
import type { OracleCase } from "./_oracle.ts";

const KEYS: Record<string, string> = {
  k2048: F.RSA_2048_PKCS8,
  k2048pkcs1: F.RSA_2048_PKCS1,
  k1024: F.RSA_1024_PKCS1,
  k512: F.RSA_512_PKCS1,
  ec: F.EC_SEC1,
  ec8: F.EC_PKCS8,
  ed: F.ED25519_PKCS8,
  pub: F.RSA_2048_PUBLIC,
  cert: F.CERT_GOOBLE,
  junk: "not-a-valid-pem",
  junkKey: "junk\n" + F.RSA_1024_PKCS1,
  glued: "junk" + F.RSA_1024_PKCS1,
};
const CIPHERTEXTS: Record<string, string> = {
  c1: F.CT_2048_SHA1,
  c256: F.CT_2048_SHA256,
  c512: F.CT_2048_SHA512,
  cutf8: F.CT_2048_UTF8,
  cempty: F.CT_2048_EMPTY,
  c1024: F.CT_1024_SHA256,
  cv15: F.CT_2048_PKCS1V15,
  c512bit: F.CT_512_SHA1,
  cshort: "AAEC",
  cbad: "bm90LWVuY3J5cHRlZA==",
};
const CERTS: Record<string, string> = {
  gooble: F.CERT_GOOBLE,
  all: F.CERT_ALL_SANS,
  v6: F.CERT_V6,
  none: F.CERT_NO_SANS,
  junkCert: "some junk\n" + F.CERT_GOOBLE,
  glued: "junk" + F.CERT_ALL_SANS,
  keyFirst: F.RSA_2048_PKCS8 + F.CERT_GOOBLE,
  keyOnly: F.EC_PKCS8,
  empty: "",
  text: "not a pem",
};
const CHAIN_PARTS: Record<string, string> = {
  L: F.CHAIN_LEAF,
  N: F.CHAIN_LEAF_NO_SKI,
  I: F.CHAIN_INTERMEDIATE,
  R: F.CHAIN_ROOT,
  D: F.DISJUNCT_ROOT,
  K: F.CHAIN_LEAF_KEY,
  J: "junk\n",
};

/** Random ESO-function templates with the data they read. */
export function generateEsoCases(seed: number, count: number): OracleCase[] {
  const rnd = seededRandom(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;
  const hexChars = "0123456789abcdefABCDEFgz é";
  const hexString = () => {
    const valid = rnd() < 0.7;
    let s = "";
    for (let i = Math.floor(rnd() * 12); i > 0; i--) {
      s += valid ? pick([..."0123456789abcdefABCDEF"]) : pick([...hexChars]);
    }
    return s;
  };
  const after = (list: boolean) =>
    pick(
      list
        ? ["", ' | join ","', " | toJson", " | len", " | first", " | last", " | sortAlpha"]
        : ["", " | b64enc", " | len", " | sha256sum", " | quote", " | trim"],
    );

  const cases: OracleCase[] = [];
  for (let i = 0; i < count; i++) {
    const data: Record<string, string> = {};
    let template: string;
    switch (Math.floor(rnd() * 4)) {
      case 0: {
        data.h = hexString();
        template = pick([
          `{{ hexdec .h${after(false)} }}`,
          `{{ .h | hexdec | hexdec${after(false)} }}`,
          `{{ hexdec .h | b64enc | b64dec | b64enc }}`,
          `{{ hexdec .h | printf "%x" }}`,
        ]);
        break;
      }
      case 1: {
        const k = pick(Object.keys(KEYS));
        const c = pick(Object.keys(CIPHERTEXTS));
        data.key = KEYS[k]!;
        data.ct = CIPHERTEXTS[c]!;
        const scheme = pick(["RSA-OAEP", "RSA-OAEP", "RSA-OAEP", "None", "RSA1_5", ""]);
        const hash = pick(["SHA1", "SHA256", "SHA512", "None", "MD5"]);
        template = pick([
          `{{ .key | rsaDecrypt "${scheme}" "${hash}" (.ct | b64dec)${after(false)} }}`,
          `{{ rsaDecrypt "${scheme}" "${hash}" (b64dec .ct) .key${after(false)} }}`,
        ]);
        break;
      }
      case 2: {
        const c = pick(Object.keys(CERTS));
        data.cert = CERTS[c]!;
        template = pick([
          `{{ certSANs .cert${after(true)} }}`,
          `{{ .cert | filterPEM "CERTIFICATE" | certSANs${after(true)} }}`,
          `{{ index (certSANs .cert) 0 }}`,
          `{{ range certSANs .cert }}[{{ . }}]{{ end }}`,
        ]);
        break;
      }
      default: {
        let chain = "";
        for (let n = Math.floor(rnd() * 4); n > 0; n--) chain += pick(Object.keys(CHAIN_PARTS));
        data.chain = [...chain].map((p) => CHAIN_PARTS[p]!).join("");
        const kind = pick(["leaf", "intermediate", "root", "other"]);
        template = pick([
          `{{ filterCertChain "${kind}" .chain | sha1sum }} {{ filterCertChain "${kind}" .chain | len }}`,
          `{{ filterCertChain "${kind}" .chain | certSANs | join "," }}`,
        ]);
      }
    }
    cases.push({ template, data });
  }
  return cases;
}
