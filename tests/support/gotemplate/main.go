// ESO is built with a go.mod newer than Go 1.24, which refuses RSA keys under 1024 bits;
// this module's go line is older, so the oracle asks for the same default explicitly.
//go:debug rsa1024min=1

// Command gotemplate is the oracle for src/template: it renders JSON-described
// cases with Go's text/template and Sprig v3 and prints the results as JSON.
//
// Input (stdin): [{"template": "...", "data": <json>, "options": {"missingKey": "error"}}]
// Data encodings: {"$bytes": "<base64>"} is a []byte, {"$number": "12"} a json.Number,
// {"$int": 5} an int, {"$time": "RFC3339"} a time.Time.
// Output (stdout): [{"out": "..."} | {"err": "..."}]
package main

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"
	"text/template"
	"time"

	"github.com/Masterminds/sprig/v3"
)

type options struct {
	MissingKey string `json:"missingKey"`
}

type testCase struct {
	Template string          `json:"template"`
	Data     json.RawMessage `json:"data"`
	Options  options         `json:"options"`
}

type result struct {
	Out *string `json:"out,omitempty"`
	Err *string `json:"err,omitempty"`
}

// FuncMap is Sprig's text function map without the functions that read the
// environment or the network (as External Secrets Operator removes them), plus the ESO
// functions in eso.go.
func FuncMap() template.FuncMap {
	m := sprig.TxtFuncMap()
	for _, name := range []string{"env", "expandenv", "getHostByName"} {
		delete(m, name)
	}
	for name, f := range esoFuncs() {
		m[name] = f
	}
	return m
}

func convert(v interface{}) interface{} {
	switch x := v.(type) {
	case map[string]interface{}:
		if len(x) == 1 {
			if b, ok := x["$bytes"].(string); ok {
				raw, _ := base64.StdEncoding.DecodeString(b)
				return raw
			}
			if n, ok := x["$number"].(string); ok {
				return json.Number(n)
			}
			if n, ok := x["$int"].(float64); ok {
				return int(n)
			}
			if t, ok := x["$time"].(string); ok {
				tm, _ := time.Parse(time.RFC3339Nano, t)
				return tm
			}
		}
		out := make(map[string]interface{}, len(x))
		for k, e := range x {
			out[k] = convert(e)
		}
		return out
	case []interface{}:
		out := make([]interface{}, len(x))
		for i, e := range x {
			out[i] = convert(e)
		}
		return out
	}
	return v
}

// Render renders one case; errors come back as strings.
func Render(c testCase) (out string, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("panic: %v", r)
		}
	}()
	var data interface{}
	if len(c.Data) > 0 {
		if err := json.Unmarshal(c.Data, &data); err != nil {
			return "", err
		}
	}
	t := template.New("template").Funcs(FuncMap())
	if c.Options.MissingKey != "" {
		t = t.Option("missingkey=" + map[string]string{"default": "default", "zero": "zero", "error": "error"}[c.Options.MissingKey])
	}
	t, err = t.Parse(c.Template)
	if err != nil {
		return "", err
	}
	var b strings.Builder
	err = t.Execute(&b, convert(data))
	return b.String(), err
}

func main() {
	input, err := io.ReadAll(os.Stdin)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	var cases []testCase
	if err := json.Unmarshal(input, &cases); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	results := make([]result, len(cases))
	for i, c := range cases {
		out, err := Render(c)
		if err != nil {
			s := err.Error()
			results[i].Err = &s
		} else {
			results[i].Out = &out
		}
	}
	enc := json.NewEncoder(os.Stdout)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(results); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
}
