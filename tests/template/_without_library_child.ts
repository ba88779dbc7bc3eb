/**
 * Run by libraries_test.ts in a fresh process as `_without_library_child.ts LIBRARY`: renders every
 * golden and generated case (and the few cases below, for functions those miss) whose functions,
 * by `librariesFor`, do not need LIBRARY, with the other libraries loaded but not LIBRARY. A
 * function that calls LIBRARY without being marked or listed for it fails there with "LIBRARY is
 * not loaded"; one that hides that error in a message of its own renders differently once LIBRARY
 * is loaded, which the second pass compares. Prints one JSON line of findings.
 *
 * @module
 */
import { parse, TemplateError } from "../../src/template/mod.ts";
import { librariesFor, type Library } from "../../src/template/_functions.ts";
import {
  bcryptLib,
  forgeLib,
  loadBcrypt,
  loadForge,
  loadNodeCrypto,
  nodeCrypto,
} from "../../src/template/_libraries.ts";
import { ESO_FUNCS } from "../../src/template/_eso.ts";
import { ESO_PKI_FUNCS } from "../../src/template/_eso_pki.ts";
import { CRYPTO_FUNCS } from "../../src/template/_sprig_crypto.ts";
import { keyFuncs } from "../../src/template/_sprig_keys.ts";
import { generateCases, seededRandom } from "./_generator.ts";
import { generateEsoCases } from "./_eso_generator.ts";
import { type OracleCase, toEngineData } from "./_oracle.ts";
import * as F from "./_eso_fixtures.ts";

const LIBRARIES: Record<Library, { load: () => Promise<void>; get: () => unknown }> = {
  "node-forge": { load: loadForge, get: forgeLib },
  "bcryptjs": { load: loadBcrypt, get: bcryptLib },
  "node:crypto": { load: loadNodeCrypto, get: nodeCrypto },
};
const library = Deno.args[0] as Library;
if (!Object.hasOwn(LIBRARIES, library)) throw new Error(`unknown library ${library}`);
await Promise.all(
  Object.entries(LIBRARIES).filter(([name]) => name !== library).map(([, l]) => l.load()),
);

const PAIR = { cert: F.CERT_GOOBLE, key: F.RSA_2048_PKCS8 };

/**
 * Cases for the functions of the modules that call a lazily loaded library (ESO's, Sprig's key,
 * digest and bcrypt ones) that the golden and generated cases miss, or call only next to a
 * function that needs the library: one function a case where its input allows. The guard skips
 * those of a function that needs LIBRARY; they are here so that one wrongly left out of its set
 * renders, and fails. Outputs are deterministic, for the second pass.
 */
const EXTRA: OracleCase[] = [
  {
    template: "{{ jwkPublicKeyPem .jwk }}{{ jwkPrivateKeyPem .jwk }}",
    data: {
      jwk: JSON.stringify({
        kty: "OKP",
        crv: "Ed25519",
        x: "mmygTZc9ZYH3_pUnMiG99o6If6kJbSto9TLOWZ6qZ6s",
        d: "TamTqOK8HlyW5dEkcMpko6vBJsPu_XdUlXCm0mX176E",
      }),
    },
  },
  { template: "{{ toYaml . }}", data: { b: [1, "x"], a: true } },
  { template: '{{ (fromYaml "a: [1]").a }}' },
  { template: '{{ filterPEM "CERTIFICATE" .bundle }}', data: { bundle: PAIR.key + PAIR.cert } },
  { template: '{{ genPrivateKey "ed25519" | hasPrefix "-----BEGIN PRIVATE KEY-----" }}' },
  { template: '{{ bcrypt "pw" | hasPrefix "$2a$" }}' },
  { template: '{{ htpasswd "u" "pw" | hasPrefix "u:$2" }}' },
  {
    template: "{{ mustToJson . }} {{ mustToPrettyJson . }} {{ mustToRawJson . }} " +
      '{{ (mustFromJson "{\\"a\\": 1}").a }}',
    data: { a: "<b>" },
  },
  {
    template: '{{ mustRegexMatch "a+" "caab" }} {{ mustRegexFindAll "a" "aba" -1 }} ' +
      '{{ mustRegexFind "b+" "abbc" }} {{ mustRegexReplaceAll "a(x*)b" "-axb-" "${1}W" }} ' +
      '{{ mustRegexReplaceAllLiteral "a" "aba" "$1" }} {{ mustRegexSplit "a" "bab" -1 }}',
  },
  ...[
    "pemToPkcs12 .cert .key",
    'pemToPkcs12Pass .cert .key "pw"',
    "fullPemToPkcs12 .cert .key",
    'fullPemToPkcs12Pass .cert .key "pw"',
  ].map((call) => ({ template: `{{ ${call} | b64dec | len | lt 1000 }}`, data: PAIR })),
  // The archive readers need an archive: written by pemToPkcs12 in the same template.
  {
    template: "{{ $p := pemToPkcs12 .cert .key | b64dec }}{{ pkcs12cert $p }}{{ pkcs12key $p }}",
    data: PAIR,
  },
  {
    template: '{{ $p := pemToPkcs12Pass .cert .key "pw" | b64dec }}{{ pkcs12certPass "pw" $p }}' +
      '{{ pkcs12keyPass "pw" $p }}',
    data: PAIR,
  },
  ...[
    'genCA "ca" 1',
    'genCAWithKey "ca" 1 .key',
    'genSelfSignedCert "host" (list) (list "a.example") 1',
    'genSelfSignedCertWithKey "host" (list) (list) 1 .key',
    "buildCustomCert (.cert | b64enc) (.key | b64enc)",
  ].map((call) => ({
    template: `{{ (${call}).Cert | hasPrefix "-----BEGIN CERTIFICATE-----" }}`,
    data: PAIR,
  })),
  // genSignedCert* need a CA from genCA.
  {
    template:
      '{{ $ca := genCA "ca" 1 }}{{ (genSignedCert "host" (list) (list) 1 $ca).Cert | len | lt 100 }}' +
      '{{ (genSignedCertWithKey "host" (list) (list) 1 $ca .key).Cert | len | lt 100 }}',
    data: PAIR,
  },
];

const goldenDir = new URL("./golden/", import.meta.url);
const cases: OracleCase[] = [
  ...[...Deno.readDirSync(goldenDir)].filter((e) => e.name.endsWith(".json")).flatMap((e) =>
    JSON.parse(Deno.readTextFileSync(new URL(e.name, goldenDir))) as OracleCase[]
  ),
  // The differential test's seed and counts.
  ...generateCases(20261128, 3000),
  ...generateEsoCases(20261128, 600),
  ...EXTRA,
];

/** The output, or the error message, with a fixed clock and randomness. */
function renderCase(c: OracleCase, template: ReturnType<typeof parse>): string {
  try {
    return template.execute(toEngineData(c.data ?? null), {
      ...c.options,
      now: () => Date.UTC(2026, 0, 2, 3, 4, 5),
      random: seededRandom(1),
    });
  } catch (e) {
    if (!(e instanceof TemplateError)) throw e;
    return `error: ${e.message}`;
  }
}

const notLoaded = `${library} is not loaded`;
const rendered: { c: OracleCase; template: ReturnType<typeof parse>; result: string }[] = [];
let skipped = 0;
const called = new Set<string>();
const failures: string[] = [];
for (const c of cases) {
  let template;
  try {
    template = parse(c.template);
  } catch (e) {
    if (e instanceof TemplateError) continue; // a case about a parse error
    throw e;
  }
  if (librariesFor(template.functionNames()).has(library)) {
    skipped++;
    continue;
  }
  for (const name of template.functionNames()) called.add(name);
  const result = renderCase(c, template);
  if (result.includes(notLoaded)) failures.push(`${c.template}: ${result}`);
  rendered.push({ c, template, result });
}

let loadedAtEnd = true;
try {
  LIBRARIES[library].get();
} catch {
  loadedAtEnd = false;
}

// Second pass, with the library: a function that swallowed "not loaded" renders differently.
await LIBRARIES[library].load();
for (const { c, template, result } of rendered) {
  const again = renderCase(c, template);
  if (again !== result && !result.includes(notLoaded)) {
    failures.push(`${c.template}: without ${library}: ${result}; with it: ${again}`);
  }
}

// Every function of those modules that does without LIBRARY was rendered without it: one wrongly
// left out of LIBRARY's set that no case calls on its own (the PKCS#12 readers need an archive from
// pemToPkcs12) shows up here.
const uncovered = [
  ...Object.keys(ESO_FUNCS),
  ...Object.keys(ESO_PKI_FUNCS),
  ...Object.keys(CRYPTO_FUNCS),
  ...Object.keys(keyFuncs({ now: Date.now, random: Math.random })),
].filter((name) => !librariesFor([name]).has(library) && !called.has(name));

console.log(
  JSON.stringify({ rendered: rendered.length, skipped, failures, loadedAtEnd, uncovered }),
);
