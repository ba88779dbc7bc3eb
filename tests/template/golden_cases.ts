/**
 * Golden cases: rendered by Go (tests/support/gotemplate) into golden/<suite>.json by
 * `deno run -A tests/template/update_golden.ts`. Data encodings: {"$int": n} is a Go int,
 * {"$bytes": base64} a []byte, {"$number": "12"} a json.Number, {"$time": RFC3339} a time.Time.
 * Cases whose Go error prints a data value carry `diff` (we print a type description instead).
 */
import type { OracleCase } from "./_oracle.ts";

export interface GoldenCase extends OracleCase {
  name: string;
  /** Why our output deliberately differs from Go's (only the error text may differ). */
  diff?: string;
}

const USER = { user: "app", password: "s3cr3t", port: 5432, host: "db.internal", tags: ["a", "b"] };

export const SUITES: Record<string, GoldenCase[]> = {
  language: [
    { name: "text only", template: "plain text" },
    { name: "field", template: "{{.user}}@{{.host}}", data: USER },
    { name: "nested field", template: "{{.a.b.c}}", data: { a: { b: { c: "deep" } } } },
    { name: "missing key prints no value", template: "{{.missing}}", data: {} },
    { name: "missing nested key", template: "[{{.a.b}}]", data: {} },
    { name: "null field prints no value", template: "{{.x}}", data: { x: null } },
    { name: "null in print is nil", template: "{{print .x}}", data: { x: null } },
    { name: "dot", template: "{{.}}", data: "hello" },
    { name: "nil data", template: "{{.}}", data: null },
    { name: "float64 large prints exponent", template: "{{.n}}", data: { n: 1000000 } },
    { name: "float64 small", template: "{{.n}} {{.m}}", data: { n: 0.0001, m: 0.00001 } },
    { name: "float64 integer", template: "{{.n}}", data: { n: 5432 } },
    { name: "int literal", template: "{{1000000}} {{-3}} {{+7}}" },
    {
      name: "number literals",
      template: "{{0x1F}} {{0o17}} {{017}} {{0b101}} {{1_000}} {{'a'}} {{'\\n'}}",
    },
    { name: "float literals", template: "{{1.5}} {{1e3}} {{1.0}} {{0x1p-2}} {{.5}}" },
    { name: "string literals", template: '{{"a\\tb\\u00e9\\x41\\101"}} {{`raw\\n`}}' },
    { name: "bool and nil literal args", template: "{{true}} {{false}} {{print nil}}" },
    { name: "trim markers", template: "a  {{- 1 -}}  b\n{{- 2}}\n{{3 -}}\n c" },
    { name: "comment", template: "a{{/* comment */}}b{{- /* trimmed */ -}} c" },
    { name: "pipeline", template: '{{.user | printf "%s!" | printf "%q"}}', data: USER },
    {
      name: "parenthesized args",
      template: '{{printf "%s-%s" (print 1) (print .user)}}',
      data: USER,
    },
    { name: "chained fields on parens", template: "{{(.a).b}}", data: { a: { b: 7 } } },
    { name: "variables", template: "{{$x := .user}}{{$x}} {{$}}", data: { user: "u" } },
    { name: "variable fields", template: "{{$a := .a}}{{$a.b}}", data: { a: { b: "v" } } },
    {
      name: "assign inside if changes outer",
      template: "{{$x := 1}}{{if true}}{{$x = 2}}{{end}}{{$x}}",
    },
    {
      name: "declare inside if shadows",
      template: "{{$x := 1}}{{if true}}{{$x := 2}}{{$x}}{{end}}{{$x}}",
    },
    {
      name: "if else if else",
      template: "{{if .a}}a{{else if .b}}b{{else}}c{{end}}",
      data: { b: 1 },
    },
    { name: "if empty string", template: "{{if .s}}yes{{else}}no{{end}}", data: { s: "" } },
    {
      name: "if empty list and map",
      template: "{{if .l}}l{{end}}{{if .m}}m{{end}}-",
      data: { l: [], m: {} },
    },
    { name: "with", template: "{{with .a}}{{.b}}{{end}}", data: { a: { b: "x" } } },
    { name: "with else", template: "{{with .a}}{{.}}{{else}}none{{end}}", data: { a: 0 } },
    {
      name: "with else with",
      template: "{{with .a}}A{{else with .b}}{{.}}{{else}}none{{end}}",
      data: { b: "B" },
    },
    { name: "with variable", template: "{{with $v := .a}}{{$v}}{{end}}", data: { a: "x" } },
    { name: "range list", template: "{{range .tags}}<{{.}}>{{end}}", data: USER },
    {
      name: "range index and value",
      template: "{{range $i, $v := .tags}}{{$i}}={{$v}} {{end}}",
      data: USER,
    },
    {
      name: "range map sorted",
      template: "{{range $k, $v := .m}}{{$k}}:{{$v}},{{end}}",
      data: { m: { b: 2, a: 1, c: 3 } },
    },
    { name: "range map values", template: "{{range .m}}{{.}}{{end}}", data: { m: { b: 2, a: 1 } } },
    { name: "range else", template: "{{range .l}}x{{else}}empty{{end}}", data: { l: [] } },
    { name: "range missing", template: "{{range .l}}x{{else}}empty{{end}}", data: {} },
    { name: "range int", template: "{{range 4}}{{.}}{{end}} {{range $i := 3}}{{$i}}{{end}}" },
    {
      name: "range break continue",
      template:
        "{{range $i, $v := .l}}{{if eq $v 2.0}}{{continue}}{{end}}{{if eq $v 4.0}}{{break}}{{end}}{{$v}}{{end}}",
      data: { l: [1, 2, 3, 4, 5] },
    },
    {
      name: "range assign outer",
      template: "{{$last := 0}}{{range .l}}{{$last = .}}{{end}}{{$last}}",
      data: { l: [1, 2, 3] },
    },
    {
      name: "range null element",
      template: "{{range .l}}[{{.}}|{{print .}}]{{end}}",
      data: { l: [null, "a"] },
    },
    { name: "dollar inside range", template: "{{range .tags}}{{$.user}}{{end}}", data: USER },
    {
      name: "define and template",
      template: '{{define "t"}}[{{.}}]{{end}}{{template "t" .user}}{{template "t"}}',
      data: USER,
    },
    { name: "block", template: '{{block "b" .}}default {{.user}}{{end}}', data: USER },
    {
      name: "redefine block",
      template: '{{define "b"}}override{{end}}{{block "b" .}}default{{end}}',
    },
    {
      name: "recursive template",
      template:
        '{{define "r"}}{{if .}}{{len .}}{{template "r" (slice . 1)}}{{end}}{{end}}{{template "r" .l}}',
      data: { l: [1, 2, 3] },
    },
    {
      name: "and or return operands",
      template: '{{and 1 0 2}} {{and 1 2}} {{or 0 "" "x"}} {{or 0 ""}}',
    },
    { name: "and or short-circuit", template: '{{and false (fail "no")}} {{or true (fail "no")}}' },
    { name: "not", template: '{{not 0}} {{not "a"}} {{not .missing}}', data: {} },
    {
      name: "len",
      template: '{{len "héllo"}} {{len .l}} {{len .m}}',
      data: { l: [1, 2], m: { a: 1 } },
    },
    {
      name: "index",
      template: '{{index .l 1}} {{index .m "k"}} {{index .nested 0 1}} {{index "abc" 1}}',
      data: { l: ["a", "b"], m: { k: "v" }, nested: [[1, 2]] },
    },
    { name: "index missing map key", template: '{{index .m "nope"}}', data: { m: {} } },
    {
      name: "print spacing",
      template: '{{print 1 2 "a" "b" 3}}|{{print "a" 1 "b"}}|{{println 1 "a"}}',
    },
    {
      name: "html js urlquery",
      template:
        '{{html "<a href=\'x\'>&\\"</a>"}} {{js "it\'s <b> & \\"q\\" ="}} {{urlquery "a b&c=d/é"}}',
    },
    { name: "html of missing", template: "{{html .a.m}}", data: { a: {} } },
    {
      name: "eq rules",
      template:
        '{{eq 1 1}} {{eq .n 17.0}} {{eq "a" "a"}} {{eq 1 2 3 1}} {{eq .missing .missing}} {{eq .x nil}}',
      data: { n: 17, x: null },
    },
    {
      name: "ne lt le gt ge",
      template: '{{ne 1 2}} {{lt 1 2}} {{le 2 2}} {{gt "b" "a"}} {{ge 1.5 1.5}} {{lt .a .b}}',
      data: { a: 1, b: 2 },
    },
    {
      name: "json.Number compares as string",
      template: '{{.n}} {{eq .n "12"}} {{printf "%v|%s|%d" .n .n .n}}',
      data: { n: { $number: "12" } },
    },
    {
      name: "bytes print",
      template: '{{.b}} {{printf "%s %x %q" .b .b .b}} {{len .b}} {{index .b 0}}',
      data: { b: { $bytes: "aGk=" } },
    },
    {
      name: "Go ints in data",
      template: '{{.i}} {{eq .i 3}} {{printf "%d" .i}}',
      data: { i: { $int: 3 } },
    },
    { name: "missingkey zero", template: "{{.a}}", data: {}, options: { missingKey: "zero" } },
    {
      name: "dash keys via index",
      template: '{{index . "service-account"}}',
      data: { "service-account": "sa" },
    },
    {
      name: "toString is a function not a prototype",
      template: "{{toString 1}} {{.constructor}}",
      data: {},
    },
    {
      name: "typical secrets file",
      template:
        "[db]\nuser={{ .user }}\npassword={{ .password | quote }}\nurl=postgres://{{ .user }}:{{ .password | urlquery }}@{{ .host }}:{{ .port }}/app\n{{- range $i, $t := .tags }}\ntag{{ $i }}={{ $t }}{{ end }}\n",
      data: USER,
    },
  ],
  printf: [
    {
      name: "basic verbs",
      template:
        '{{printf "%d|%s|%v|%q|%x|%X|%o|%b|%t|%c|%U|%%" 42 "s" 1.5 "q" 255 255 8 5 true 65 65}}',
    },
    {
      name: "width precision flags",
      template:
        '{{printf "[%5d][%-5d][%05d][%+d][% d][%5.2f][%-8.3e][%08.3f][%.3s][%5s][%-5s|]" 42 42 42 42 42 3.14159 1234.5 -3.14159 "abcdef" "ab" "ab"}}',
    },
    {
      name: "float formats",
      template:
        '{{printf "%e %E %f %g %G %.0f %.0f %.2f %.3g %.10g" 1234.5678 0.000012 1e6 1e-7 1e21 0.5 2.5 2.675 1234567.0 1234567.0}}',
    },
    {
      name: "float v",
      template: '{{printf "%v %v %v %v %v %v" 1e20 1e21 100000.0 1000000.0 0.0001 0.00001}}',
    },
    { name: "special floats", template: '{{printf "%v %5.1f %+v" -0.0 -2.25 1.5}}' },
    { name: "float64 data with %d", template: '{{printf "%d" .n}}', data: { n: 1000000 } },
    { name: "bad verbs", template: '{{printf "%d %s %t %z" "x" 5 "y" 1}}' },
    {
      name: "missing and extra",
      template: '{{printf "%d %d" 1}}|{{printf "%d" 1 2 "x"}}|{{printf "%!"}}|{{printf "%"}}',
    },
    {
      name: "argument indexes and star",
      template: '{{printf "%[2]d %[1]d %*d %.*f %[5]v" 1 2 5 3 2 3.14159}}',
    },
    {
      name: "maps and slices",
      template: '{{printf "%v|%d|%s|%q" .m .l .m .l}}',
      data: { m: { b: [1, null], a: "x" }, l: [1, "a", null, true] },
    },
    {
      name: "sharp v",
      template: '{{printf "%#v %#v %#v %#v" "s" 1 .l .m}}',
      data: { l: [1, "a"], m: { a: 1 } },
    },
    {
      name: "type verb",
      template: '{{printf "%T %T %T %T %T %T" 1 1.5 "s" true .l .m}}',
      data: { l: [], m: {} },
    },
    {
      name: "quote unicode",
      template: '{{printf "%q %+q %#q %x % x %#x" "héllo\\n" "héllo" "raw" "hi" "hi" "hi"}}',
    },
    { name: "chars and unicode", template: '{{printf "%c %q %U %#U" 9731 9731 9731 9731}}' },
    { name: "hex float", template: '{{printf "%x %X %.2x" 1.5 -3.25 3.14159}}' },
  ],
  sprig: [
    {
      name: "string functions",
      template:
        '{{upper "ab"}} {{lower "AB"}} {{title "hello world"}} {{untitle "Hello World"}} {{trim "  x  "}} {{trimAll "$" "$$x$"}} {{trimPrefix "a" "abc"}} {{trimSuffix "c" "abc"}}',
    },
    {
      name: "replace split join",
      template:
        '{{replace "a" "b" "aaa"}} {{splitList "," "a,b,c"}} {{split "," "a,b"}} {{join "-" .l}} {{splitn "," 2 "a,b,c"}}',
      data: { l: ["x", 1, null, true] },
    },
    {
      name: "predicates",
      template: '{{contains "b" "abc"}} {{hasPrefix "a" "abc"}} {{hasSuffix "c" "abc"}}',
    },
    {
      name: "quoting",
      template: '{{quote "a" 1 nil}} {{squote "a"}} {{.p | quote}} {{cat "a" 1 nil "b"}}',
      data: { p: 's3"cr' },
    },
    { name: "indentation", template: '{{indent 2 "a\\nb"}}|{{nindent 2 "a"}}|{{repeat 3 "ab"}}' },
    {
      name: "substr trunc abbrev",
      template:
        '{{substr 1 3 "hello"}} {{trunc 3 "hello"}} {{trunc -2 "hello"}} {{abbrev 5 "hello world"}} {{abbrevboth 5 10 "1234 5678 9123"}}',
    },
    {
      name: "case conversions",
      template:
        '{{snakecase "HelloWorld"}} {{snakecase "HTTPServer2Go"}} {{camelcase "hello_world"}} {{kebabcase "FooBar baz"}} {{swapcase "Hello World"}} {{initials "First Last"}} {{nospace "a b\\tc"}}',
    },
    {
      name: "plural wrap",
      template:
        '{{plural "one" "many" 1}} {{plural "one" "many" 2}} {{wrap 5 "hello world foo"}} {{wrapWith 5 "\\t" "Hello World"}}',
    },
    {
      name: "regex",
      template:
        '{{regexMatch "^a.c$" "abc"}} {{regexFind "[0-9]+" "ab12cd34"}} {{regexFindAll "[0-9]" "a1b2c3" 2}} {{regexReplaceAll "a(x*)b" "-ab-axxb-" "${1}W"}} {{regexReplaceAllLiteral "a(x*)b" "-ab-axxb-" "${1}"}} {{regexSplit "z+" "pizza" -1}} {{regexQuoteMeta "1.5*"}}',
    },
    {
      name: "defaults",
      template:
        '{{default "d" .missing}} {{default "d" ""}} {{default "d" 0}} {{default "d" "x"}} {{empty .l}} {{coalesce 0 "" "y"}} {{ternary "a" "b" true}} {{.n | default 5}} {{all 1 "a"}} {{any 0 ""}}',
      data: { l: [] },
    },
    {
      name: "lists",
      template:
        '{{list 1 "a" 2.5}} {{first .l}} {{last .l}} {{rest .l}} {{initial .l}} {{append .l 4}} {{prepend .l 0}} {{concat .l (list 9)}} {{reverse .l}} {{uniq (list 1 1 2)}} {{compact (list 0 1 "" 2)}} {{has 2.0 .l}} {{without .l 1.0}} {{sortAlpha (list "b" "a")}} {{slice .l 1}} {{chunk 2 .l}}',
      data: { l: [1, 2, 3] },
    },
    {
      name: "dicts",
      template:
        '{{$d := dict "a" 1 "b" "x"}}{{$d}} {{get $d "a"}} [{{get $d "z"}}] {{hasKey $d "b"}} {{set $d "c" 3}} {{unset $d "a"}} {{keys $d | sortAlpha}} {{pick $d "b"}} {{omit $d "b"}} {{dig "x" "y" "def" .m}} {{dig "x" "z" "def" .m}} {{pluck "a" (dict "a" 1) (dict "b" 2)}}',
      data: { m: { x: { y: "deep" } } },
    },
    {
      name: "merge",
      template:
        '{{merge (dict "a" 1 "n" (dict "x" 1)) (dict "a" 2 "b" 3 "n" (dict "y" 2))}} {{mergeOverwrite (dict "a" 1) (dict "a" 2 "b" 3)}}',
    },
    {
      name: "integer math",
      template:
        '{{add 1 2 3}} {{add1 .n}} {{sub 5 3}} {{mul 2 3 4}} {{div 7 2}} {{mod 7 3}} {{max 1 5 3}} {{min 4 2}} {{biggest 1 9}} {{int "42"}} {{int64 3.9}} {{atoi "12"}} {{toDecimal "0777"}}',
      data: { n: 41 },
    },
    {
      name: "float math",
      template:
        '{{floor 1.7}} {{ceil 1.2}} {{round 1.2345 2}} {{float64 "1.5"}} {{addf 0.1 0.2}} {{mulf 1.1 3}} {{divf 10 3}} {{subf 1 0.9}} {{maxf 1 2.5}} {{minf 1 2.5}} {{add1f 1.5}}',
    },
    {
      name: "sequences",
      template: "{{until 3}} {{untilStep 0 10 3}} {{seq 5}} {{seq 1 2 10}} {{seq 5 1}}",
    },
    {
      name: "encoding",
      template:
        '{{b64enc "hello"}} {{b64dec "aGVsbG8="}} {{b64dec "!!"}} {{b32enc "hello"}} {{b32dec "NBSWY3DP"}}',
    },
    {
      name: "hashes",
      template: '{{sha1sum "a"}} {{sha256sum "a"}} {{sha512sum "a"}} {{adler32sum "hello"}}',
    },
    {
      name: "json",
      template:
        '{{toJson .m}} {{toPrettyJson .m}} {{toRawJson .m}} {{(fromJson "{\\"a\\":[1,2]}").a}} {{fromJson "bad"}}',
      data: { m: { b: "<x>", a: [1, 1.5, 1000000, 1e21, null, true] } },
    },
    {
      name: "reflection",
      template:
        '{{typeOf 1}} {{typeOf .l}} {{typeOf (add 1 1)}} {{kindOf .m}} {{kindIs "string" "a"}} {{deepEqual .l .l}} {{typeIs "int" 1}}',
      data: { l: [1], m: {} },
    },
    {
      name: "paths",
      template:
        '{{base "/a/b.txt"}} {{dir "/a/b.txt"}} {{clean "/a/../b/./c"}} {{ext "x.tar.gz"}} {{isAbs "/x"}}',
    },
    {
      name: "urls",
      template:
        '{{urlParse "https://u:p@host:8080/path?q=1#frag"}} {{urlJoin (dict "scheme" "https" "host" "h" "path" "/p" "query" "a=1")}}',
    },
    {
      name: "dates",
      template:
        '{{date "2006-01-02 15:04:05" .t}} {{dateInZone "Jan 2 2006 15:04 MST" .t "America/New_York"}} {{unixEpoch .t}} {{duration "95"}} {{durationRound "2h10m"}} {{toDate "2006-01-02" "2024-03-05"}} {{htmlDate .t}} {{dateModify "-1h" .t | date "15:04"}} {{date "Mon Jan _2 3:04PM .000" .t}}',
      data: { t: { $time: "2024-02-29T13:45:30.123Z" } },
    },
    {
      name: "semver",
      template:
        '{{semverCompare ">=1.2" "1.3.0"}} {{semverCompare "^1.2.3" "2.0.0"}} {{semverCompare "~1.2" "1.2.9"}} {{semverCompare "1.x" "1.9.0"}} {{semverCompare ">1.0, <2.0" "1.5.0"}} {{semver "1.2"}}',
    },
    { name: "hello", template: "{{hello}}" },
    {
      name: "derivePassword",
      template:
        '{{derivePassword 1 "long" "password" "user" "example.com"}} {{derivePassword 3 "pin" "pw" "u" "s"}} {{derivePassword 1 "maximum" "pw" "u" "s"}}',
    },
    {
      name: "AES round trip",
      template:
        '{{decryptAES "secretkey" (encryptAES "secretkey" "plaintext")}} [{{encryptAES "k" ""}}]',
    },
    {
      name: "generated certificates",
      template:
        '{{$ca := genCA "foo-ca" 365}}{{$ca.Cert | hasPrefix "-----BEGIN CERTIFICATE-----"}} {{$ca.Key | hasPrefix "-----BEGIN RSA PRIVATE KEY-----"}} {{$c := genSignedCert "foo.com" (list "10.0.0.1") (list "a.com") 365 $ca}}{{$c.Cert | hasPrefix "-----BEGIN CERTIFICATE-----"}} {{typeOf $ca}} {{genPrivateKey "ecdsa" | hasPrefix "-----BEGIN EC PRIVATE KEY-----"}} {{genPrivateKey "nope"}}',
    },
    {
      name: "semver methods",
      template:
        '{{$s := semver "1.2.3-beta.1+c0ff33"}}{{$s.Prerelease}} {{$s.Major}} {{$s}} {{semver "1.2.3" | (semver "1.3.3").Compare}} {{typeOf $s}}',
    },
    {
      name: "time methods",
      template:
        '{{$t := toDate "2006-01-02 15:04" "2024-03-05 13:07"}}{{$t.Year}} {{$t.Month}} {{$t.Day}} {{$t.Weekday}} {{$t.Unix}} {{$t.Format "Jan 2"}} {{($t.AddDate 0 1 30).Format "2006-01-02"}}',
    },
    {
      name: "bytes through toString and toJson",
      template: "{{toString .b}} {{toJson .b}}",
      data: { b: { $bytes: "aGk=" } },
    },
  ],
  errors: [
    { name: "unknown function", template: "{{nope 1}}" },
    { name: "required is not a Sprig function", template: '{{required "x" .a}}' },
    { name: "unclosed action", template: "{{.a" },
    { name: "unexpected end", template: "{{end}}" },
    { name: "missing end", template: "{{if .a}}x" },
    { name: "else outside", template: "{{else}}" },
    { name: "undefined variable", template: "{{$x}}" },
    { name: "bad number", template: "{{3k}}" },
    { name: "invalid escape", template: '{{"\\q"}}' },
    { name: "multi-char char", template: "{{'ab'}}" },
    { name: "break outside range", template: "{{break}}" },
    { name: "unexpected dot after literal", template: '{{"a".b}}' },
    { name: "non executable stage", template: "{{1 | 2}}" },
    { name: "empty pipeline", template: "{{}}" },
    { name: "unterminated string", template: '{{"abc}}' },
    { name: "unclosed comment", template: "{{/* x }}" },
    { name: "missing key error", template: "{{.a.b}}", data: {}, options: { missingKey: "error" } },
    {
      name: "missing nested key error",
      template: "{{.a.b}}",
      data: { a: {} },
      options: { missingKey: "error" },
    },
    { name: "field of string", template: "{{.a.b}}", data: { a: "str" } },
    { name: "field of nil", template: "{{.a.b}}", data: { a: null } },
    { name: "eq incompatible", template: "{{eq .n 17}}", data: { n: 17 } },
    { name: "lt incompatible", template: "{{lt 1.5 2}}" },
    { name: "lt invalid", template: "{{lt .l 2}}", data: { l: [] } },
    { name: "index out of range", template: "{{index .l 5}}", data: { l: [1] } },
    { name: "index at len", template: "{{index .l 1}}", data: { l: [1] } },
    { name: "index of missing", template: "{{index .missing 1}}", data: {} },
    { name: "index with float", template: "{{index .l .i}}", data: { l: [1], i: 0 } },
    { name: "wrong arg type", template: "{{upper .n}}", data: { n: 3 } },
    { name: "wrong literal type", template: '{{repeat "x" 3}}' },
    { name: "int64 to int param", template: '{{repeat (add 1 2) "x"}}' },
    { name: "wrong arg count", template: "{{upper}}" },
    { name: "fail", template: '{{fail "boom"}}' },
    { name: "nil command", template: "{{nil}}" },
    { name: "argument to non-function", template: "{{.a | 3}}" },
    { name: "template not defined", template: '{{template "x"}}' },
    { name: "call non-function", template: "{{call .f}}", data: { f: 1 } },
    { name: "error position on later line", template: "line1\n  {{ .x.y }}", data: { x: "s" } },
    { name: "len of missing", template: "{{len .missing}}", data: {} },
    { name: "printf arg error", template: "{{printf 3}}" },
    { name: "divide by zero", template: "{{div 1 0}}" },
    {
      name: "range over string",
      template: "{{range .s}}x{{end}}",
      data: { s: "abc" },
      diff: 'Go prints the value ("range can\'t iterate over abc"); we print its type',
    },
    {
      name: "range over float",
      template: "{{range .n}}x{{end}}",
      data: { n: 3 },
      diff: "Go prints the value; we print its type",
    },
    {
      name: "eq of lists",
      template: "{{eq .l .l}}",
      data: { l: [1] },
      diff: "Go prints the list; we print its type",
    },
  ],
};
