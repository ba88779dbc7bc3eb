import { apiPath, locateKey } from "../../../src/config/eso/_vault_path.ts";
import { splitLiteral } from "../../../src/config/eso/_literal.ts";
import { assertEquals } from "../../support/assert.ts";

// The cases of the ESO Vault provider's path building (its buildPath examples), plus ours.
const CASES: Array<[string, string | undefined, 1 | 2, string]> = [
  ["foo", "secret/path", 2, "secret/path/data/foo"],
  ["foo", "secret/path", 1, "secret/path/foo"],
  ["secret/path/foo", "secret/path", 2, "secret/path/data/foo"],
  ["secret/path/data/foo", "secret/path", 2, "secret/path/data/foo"],
  ["secret/path/foo", "secret/path", 1, "secret/path/foo"],
  ["secret/path/foo", undefined, 2, "secret/data/path/foo"],
  ["secret/path/data/foo", undefined, 2, "secret/path/data/foo"],
  ["secret/path/foo", undefined, 1, "secret/path/foo"],
  ["/kv/app/", undefined, 2, "kv/data/app"],
];

for (const [key, mount, kvVersion, expected] of CASES) {
  Deno.test(`locateKey() reads "${key}" with mount ${mount ?? "(none)"} on KV v${kvVersion} as ${expected}`, () => {
    const location = locateKey(key, { mount, kvVersion });
    if ("problem" in location) throw new Error(location.problem);
    assertEquals(apiPath(location), expected);
  });
}

Deno.test("locateKey() needs a mount for a one-segment key without a store path", () => {
  const location = locateKey("app", { mount: undefined, kvVersion: 2 });
  assertEquals("problem" in location, true);
});

Deno.test("locateKey() rejects . and .. segments", () => {
  assertEquals("problem" in locateKey("secret/../sys", { mount: undefined, kvVersion: 2 }), true);
});

Deno.test("splitLiteral() turns a literal's YAML map into one template per key", () => {
  const split = splitLiteral('a: "{{ .x }}"\nb.conf: |\n  k={{ .y | quote }}\n  z=1\n');
  assertEquals(split, {
    ok: true,
    templates: [["a", "{{ .x }}"], ["b.conf", "k={{ .y | quote }}\nz=1\n"]],
  });
});

Deno.test("splitLiteral() refuses keys computed by template actions", () => {
  const split = splitLiteral("{{ range $k, $v := . }}{{ $k }}: {{ $v }}\n{{ end }}");
  assertEquals(split.ok, false);
});

Deno.test("splitLiteral() refuses a literal that is not a map", () => {
  assertEquals(splitLiteral("just text {{ .x }}").ok, false);
});
