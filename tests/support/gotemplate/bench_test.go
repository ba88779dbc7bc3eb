package main

import (
	"io"
	"testing"
	"text/template"
)

// Keep identical to SECRETS_TEMPLATE in bench/template_bench.ts.
const secretsTemplate = `[database]
host = {{ .host }}
port = {{ .port }}
user = {{ .username | quote }}
password = {{ .password | quote }}
url = postgres://{{ .username }}:{{ .password | urlquery }}@{{ .host }}:{{ .port }}/{{ .database | default "app" }}
{{- if .ssl }}
sslmode = require
{{- end }}
`

var secretsData = map[string]interface{}{
	"host":     "db.internal",
	"port":     float64(5432),
	"username": "app",
	"password": "s3cr3t/p@ss",
	"database": "orders",
	"ssl":      true,
}

func BenchmarkParse(b *testing.B) {
	funcs := FuncMap()
	for i := 0; i < b.N; i++ {
		if _, err := template.New("t").Funcs(funcs).Parse(secretsTemplate); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkExecute(b *testing.B) {
	t := template.Must(template.New("t").Funcs(FuncMap()).Parse(secretsTemplate))
	for i := 0; i < b.N; i++ {
		if err := t.Execute(io.Discard, secretsData); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkRender(b *testing.B) {
	funcs := FuncMap()
	for i := 0; i < b.N; i++ {
		t := template.Must(template.New("t").Funcs(funcs).Parse(secretsTemplate))
		if err := t.Execute(io.Discard, secretsData); err != nil {
			b.Fatal(err)
		}
	}
}

// The engines must agree on the benchmark input.
func TestBenchmarkTemplateRenders(t *testing.T) {
	out, err := Render(testCase{Template: secretsTemplate, Data: []byte(`{"host":"db.internal","port":5432,"username":"app","password":"s3cr3t/p@ss","database":"orders","ssl":true}`)})
	if err != nil {
		t.Fatal(err)
	}
	want := "[database]\nhost = db.internal\nport = 5432\nuser = \"app\"\npassword = \"s3cr3t/p@ss\"\nurl = postgres://app:s3cr3t%2Fp%40ss@db.internal:5432/orders\nsslmode = require\n"
	if out != want {
		t.Fatalf("got %q", out)
	}
}
