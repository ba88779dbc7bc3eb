/**
 * Template engine benchmarks: parse and render of a typical 5-field secrets template.
 * Run: deno bench -A bench/template_bench.ts
 * Go side: (cd tests/support/gotemplate && go test -bench . -benchmem)
 */
import { parse, render } from "../src/template/mod.ts";

/** Shared with tests/support/gotemplate/bench_test.go (keep them identical). */
export const SECRETS_TEMPLATE = `[database]
host = {{ .host }}
port = {{ .port }}
user = {{ .username | quote }}
password = {{ .password | quote }}
url = postgres://{{ .username }}:{{ .password | urlquery }}@{{ .host }}:{{ .port }}/{{ .database | default "app" }}
{{- if .ssl }}
sslmode = require
{{- end }}
`;

export const SECRETS_DATA = {
  host: "db.internal",
  port: 5432,
  username: "app",
  password: "s3cr3t/p@ss",
  database: "orders",
  ssl: true,
};

const tmpl = parse(SECRETS_TEMPLATE);

Deno.bench("parse: 5-field secrets template", { group: "template" }, () => {
  parse(SECRETS_TEMPLATE);
});

Deno.bench("execute: 5-field secrets template (pre-parsed)", { group: "template" }, () => {
  tmpl.execute(SECRETS_DATA);
});

Deno.bench("render: parse + execute", { group: "template" }, () => {
  render(SECRETS_TEMPLATE, SECRETS_DATA);
});
