/** The public API of src/template: render, parse, Template, TemplateError, value helpers. */
import {
  assert,
  assertEquals,
  assertInstanceOf,
  assertNotIncludes,
  assertStringIncludes,
  assertThrows,
} from "../support/assert.ts";
import {
  bytesValue,
  jsonNumber,
  loadAllLibraries,
  parse,
  render,
  TemplateError,
} from "../../src/template/mod.ts";

// node-forge, bcryptjs and node:crypto must be loaded before a sync render calls their functions.
await loadAllLibraries();

const SECRET = "hunter2-Sup3rS3cret";

Deno.test("render() substitutes fields", () => {
  assertEquals(render("{{ .user }}:{{ .pass }}", { user: "app", pass: "pw" }), "app:pw");
});

Deno.test("parse() returns a template that executes many times", () => {
  const t = parse("v={{ . }}");
  assertEquals(t.execute(1.5), "v=1.5");
  assertEquals(t.execute("x"), "v=x");
});

Deno.test("Template.secretPaths() lists literal secret paths once, in order", () => {
  const t = parse(
    '{{ with secret "secret/data/app" }}{{ .Data.data.user }}{{ end }}' +
      '{{ (secret "kv/db").password }}{{ secret "secret/data/app" }}{{ secret .dynamic }}',
  );
  assertEquals(t.secretPaths(), ["secret/data/app", "kv/db"]);
});

Deno.test("Template.secretPaths() finds secret calls inside define, not piped ones", () => {
  const t = parse(
    '{{ define "x" }}{{ secret "p/two" | toJson }}{{ "a" | secret "p/one" }}{{ end }}' +
      '{{ template "x" }}',
  );
  assertEquals(t.secretPaths(), ["p/two"]);
  assertEquals(t.secretCalls().map((c) => c.args), [["p/two"], null]);
});

Deno.test("Template.secretCalls() lists reads, writes and pkiCert once per arguments", () => {
  const t = parse(
    '{{ with secret "pki/issue/web" "common_name=a.example" "ttl=20s" }}{{ .Data.certificate }}\n' +
      "{{ .Data.private_key }}{{ end }}\n" +
      '{{ (secret "pki/issue/web" "common_name=a.example" "ttl=20s").Data.issuing_ca }}' +
      '{{ (secret "database/creds/app").Data.username }}' +
      '{{ with pkiCert "pki/issue/web" "common_name=b.example" }}{{ .Cert }}{{ end }}' +
      "{{ secret .path }}",
  );
  assertEquals(t.secretCalls(), [
    { fn: "secret", args: ["pki/issue/web", "common_name=a.example", "ttl=20s"], line: 1 },
    { fn: "secret", args: ["database/creds/app"], line: 3 },
    { fn: "pkiCert", args: ["pki/issue/web", "common_name=b.example"], line: 3 },
    { fn: "secret", args: null, line: 3 },
  ]);
  assertEquals(t.secretPaths(), ["database/creds/app"]);
});

Deno.test("calling pkiCert without a supplied function is an execution error", () => {
  const err = assertThrows(() => render('{{ pkiCert "pki/issue/x" }}', {}), TemplateError);
  assertStringIncludes(err.message, "error calling pkiCert: pkiCert is unavailable");
});

Deno.test("calling secret without a supplied function is an execution error", () => {
  const err = assertThrows(() => render('{{ secret "kv/app" }}', {}), TemplateError);
  assertStringIncludes(err.message, "error calling secret: secret is unavailable");
});

Deno.test("RenderOptions.functions supplies secret", () => {
  const data: Record<string, unknown> = { "kv/app": { data: { user: "u1" } } };
  const out = render('{{ with secret "kv/app" }}{{ .data.user }}{{ end }}', {}, {
    functions: { secret: (path) => data[String(path)] },
  });
  assertEquals(out, "u1");
});

Deno.test("RenderOptions.functions overrides a builtin", () => {
  assertEquals(render("{{ upper 1 }}", {}, { functions: { upper: () => "UP" } }), "UP");
});

Deno.test("unknown functions fail at parse time like Go", () => {
  const err = assertThrows(() => parse("{{ nope }}"), TemplateError);
  assertEquals(err.message, 'template: template:1: function "nope" not defined');
  assertEquals(err.line, 1);
});

Deno.test("TemplateError carries line, column and template name", () => {
  const err = assertThrows(
    () =>
      render('{{ define "inner" }}\n  {{ .a.b }}{{ end }}{{ template "inner" . }}', { a: 1 }, {
        name: "cfg",
      }),
    TemplateError,
  );
  assertEquals(err.name, "TemplateError");
  assertEquals(err.line, 2);
  assertEquals(err.column, 7);
  assertEquals(err.templateName, "inner");
  assertEquals(
    err.message,
    'template: cfg:2:7: executing "inner" at <.a.b>: can\'t evaluate field b in type interface {}',
  );
});

Deno.test("missingKey error reports the key like Go", () => {
  const err = assertThrows(
    () => render("{{ .x }}", {}, { missingKey: "error" }),
    TemplateError,
  );
  assertEquals(
    err.message,
    'template: template:1:3: executing "template" at <.x>: map has no entry for key "x"',
  );
});

Deno.test("render() rejects an invalid missingKey option", () => {
  assertThrows(() => render("x", {}, { missingKey: "loud" as "error" }), RangeError);
});

Deno.test("execution errors never contain a data value", () => {
  const cases = [
    "{{ range .s }}{{ end }}",
    "{{ eq .l .l }}",
    "{{ eq .m .l }}",
    "{{ .s.field }}",
    "{{ upper .n }}",
    "{{ index .l .s }}",
    "{{ mustFromJson .s }}",
    "{{ lt .s 1 }}",
  ];
  for (const tpl of cases) {
    const err = assertThrows(
      () => render(tpl, { s: SECRET, l: [SECRET], m: { k: SECRET }, n: 3 }),
      TemplateError,
    );
    assertNotIncludes(err.message, SECRET, tpl);
  }
});

Deno.test("RenderOptions.redact is applied to error messages", () => {
  const err = assertThrows(
    () =>
      render('{{ fail "token hunter2" }}', {}, { redact: (s) => s.replaceAll("hunter2", "***") }),
    TemplateError,
  );
  assertStringIncludes(err.message, "token ***");
  assertNotIncludes(err.message, "hunter2");
});

Deno.test("RenderOptions.redact is applied to parse errors from render()", () => {
  const err = assertThrows(
    () => render("{{ hunter2 }}", {}, { redact: (s) => s.replaceAll("hunter2", "***") }),
    TemplateError,
  );
  assertEquals(err.message, 'template: template:1: function "***" not defined');
});

Deno.test("jsonNumber() prints its exact text and compares as a string", () => {
  const n = jsonNumber("12345678901234567890");
  assertEquals(render("{{ . }}", n), "12345678901234567890");
  assertEquals(render('{{ eq . "12345678901234567890" }}', n), "true");
  assertThrows(() => render("{{ eq . 1 }}", jsonNumber("1")), TemplateError);
  assertEquals(render("{{ add . 1 }}", jsonNumber("41")), "42");
});

Deno.test("bytesValue() prints like Go's []byte", () => {
  const b = bytesValue(new TextEncoder().encode("hi"));
  assertEquals(render("{{ . }}", b), "[104 105]");
  assertEquals(render('{{ printf "%s" . }} {{ toString . }} {{ len . }}', b), "hi hi 2");
});

Deno.test("now and random are injectable", () => {
  const fixed = Date.UTC(2024, 0, 2, 3, 4, 5);
  const opts = { now: () => fixed, random: () => 0 };
  assertEquals(render('{{ now | date "2006-01-02T15:04:05" }}', {}, opts), "2024-01-02T03:04:05");
  assertEquals(render("{{ randAlphaNum 4 }}", {}, opts), "aaaa");
  assertEquals(render("{{ uuidv4 }}", {}, opts), "00000000-0000-4000-8000-000000000000");
});

Deno.test("env, expandenv and getHostByName are not available", () => {
  for (const f of ["env", "expandenv", "getHostByName"]) {
    assertThrows(() => parse(`{{ ${f} "HOME" }}`), TemplateError, "not defined");
  }
});

Deno.test("bcrypt and htpasswd produce verifiable hashes", async () => {
  const { default: bcryptjs } = await import("bcryptjs");
  const hash = render('{{ bcrypt "pw" }}', {});
  assert(hash.startsWith("$2a$10$"));
  assert(bcryptjs.compareSync("pw", hash));
  const line = render('{{ htpasswd "user" "pw" }}', {});
  assert(bcryptjs.compareSync("pw", line.slice("user:".length)));
  assertEquals(
    render('{{ htpasswd "user" "pw" "sha" }}', {}),
    "user:{SHA}GpHWL3ymc5liWkNopqtdSjuqYHM=",
  );
});

Deno.test("Map data works like a Go map", () => {
  const m = new Map<string, unknown>([["b", 2], ["a", 1]]);
  assertEquals(render("{{ .a }} {{ range $k, $v := . }}{{ $k }}{{ $v }}{{ end }}", m), "1 a1b2");
});

Deno.test("deep template recursion fails with Go's depth error instead of crashing", () => {
  const err = assertThrows(
    () => render('{{ define "r" }}{{ template "r" . }}{{ end }}{{ template "r" . }}', {}),
    TemplateError,
  );
  assertStringIncludes(err.message, "exceeded maximum template depth");
});

Deno.test("custom delimiters are supported by parse()", () => {
  const t = parse("[[ .a ]] {{ .a }}", { delimiters: ["[[", "]]"] });
  assertEquals(t.execute({ a: "x" }), "x {{ .a }}");
});

Deno.test("a TemplateError keeps its cause", () => {
  const err = assertThrows(() => render("{{ .a.b }}", { a: 1 }), TemplateError);
  assertInstanceOf(err.cause, Error);
});

Deno.test("class instances behave like Go structs: fields, methods, unknown fields fail", () => {
  class Inner {
    V = "v";
  }
  class Data {
    I = 17n;
    U = new Inner();
    Add(a: bigint, b: bigint) {
      return a + b + this.I;
    }
  }
  const data = new Data();
  assertEquals(
    render('{{ .U.V }} {{ .Add 1 2 }} {{ .U }} {{ printf "%+v" .U }}', data),
    "v 20 {v} {V:v}",
  );
  const err = assertThrows(() => render("{{ .Nope }}", data), TemplateError);
  assertStringIncludes(err.message, "can't evaluate field Nope in type main.Data");
});

Deno.test("call invokes a function from the data", () => {
  assertEquals(render("{{ call .f 1 2 }}", { f: (a: bigint, b: bigint) => a + b }), "3");
});
