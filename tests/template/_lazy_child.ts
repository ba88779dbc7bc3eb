/**
 * Run by libraries_test.ts in a fresh process: proves node-forge and bcryptjs load only for
 * templates that call functions needing them. Prints one JSON line of findings.
 *
 * @module
 */
import { parse } from "../../src/template/mod.ts";
import { bcryptLib, forgeLib } from "../../src/template/_libraries.ts";

const loaded = () => ({
  forge: (() => {
    try {
      forgeLib();
      return true;
    } catch {
      return false;
    }
  })(),
  bcrypt: (() => {
    try {
      bcryptLib();
      return true;
    } catch {
      return false;
    }
  })(),
});

const plain = parse('{{ .name | upper }} {{ sha256sum "x" | trunc 8 }}');
await plain.prepare();
const afterPlain = { output: plain.execute({ name: "db" }), ...loaded() };

const cert = parse('{{ $ca := genCA "test-ca" 1 }}{{ $ca.Cert | trunc 27 }}');
const beforePrepare = loaded();
await cert.prepare();
const afterCert = { output: cert.execute({}), ...loaded() };

const hash = parse('{{ htpasswd "user" "pw" | trunc 7 }}');
await hash.prepare();
const afterHash = { output: hash.execute({}), ...loaded() };

console.log(JSON.stringify({
  functions: cert.functionNames(),
  afterPlain,
  beforePrepare,
  afterCert,
  afterHash,
}));
