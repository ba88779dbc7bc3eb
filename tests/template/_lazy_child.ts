/**
 * Run by libraries_test.ts in a fresh process: proves node-forge, bcryptjs and node:crypto load
 * only for templates that call functions needing them. Prints one JSON line of findings.
 *
 * Without arguments, it prepares and renders a sequence of templates. With
 * `TEMPLATE [DATA_JSON [PRELOAD]]` it reports on that one template: what is loaded before
 * `prepare()`, what rendering it before `prepare()` gives, and the output and what is loaded after.
 * PRELOAD lists libraries (comma-separated) to load first, so that rendering before `prepare()`
 * stops at the one library left out (node-forge's functions call `node:crypto` first).
 *
 * @module
 */
import { parse } from "../../src/template/mod.ts";
import {
  bcryptLib,
  forgeLib,
  type Library,
  loadBcrypt,
  loadForge,
  loadNodeCrypto,
  nodeCrypto,
} from "../../src/template/_libraries.ts";

const LOADERS: Record<Library, () => Promise<void>> = {
  "node-forge": loadForge,
  "bcryptjs": loadBcrypt,
  "node:crypto": loadNodeCrypto,
};

function isLoaded(lib: () => unknown): boolean {
  try {
    lib();
    return true;
  } catch {
    return false;
  }
}

const loaded = () => ({
  forge: isLoaded(forgeLib),
  bcrypt: isLoaded(bcryptLib),
  nodeCrypto: isLoaded(nodeCrypto),
});

if (Deno.args.length > 0) {
  const [source, dataJson, preload] = Deno.args as [string, string?, string?];
  const data = dataJson === undefined ? {} : JSON.parse(dataJson);
  for (const library of preload?.split(",") ?? []) await LOADERS[library as Library]();
  const template = parse(source);
  const before = loaded();
  let unprepared: string;
  try {
    unprepared = template.execute(data);
  } catch (e) {
    unprepared = `error: ${(e as Error).message}`;
  }
  await template.prepare();
  const output = template.execute(data);
  console.log(JSON.stringify({ before, unprepared, output, after: loaded() }));
} else {
  const plain = parse('{{ .name | upper }} {{ adler32sum "x" }}');
  await plain.prepare();
  const afterPlain = { output: plain.execute({ name: "db" }), ...loaded() };

  const digest = parse('{{ sha256sum "x" | trunc 8 }}');
  await digest.prepare();
  const afterDigest = { output: digest.execute({}), ...loaded() };

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
    afterDigest,
    beforePrepare,
    afterCert,
    afterHash,
  }));
}
