/** Seeded generator of random templates + data for the differential test against Go. */
import type { OracleCase } from "./_oracle.ts";

/** mulberry32: small, fast, seedable. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function generateCases(seed: number, count: number): OracleCase[] {
  const rnd = seededRandom(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;
  const chance = (p: number) => rnd() < p;
  const int = (lo: number, hi: number) => lo + Math.floor(rnd() * (hi - lo + 1));

  const STRINGS = [
    "",
    "a",
    "hello",
    "Hello World",
    " pad ",
    "x,y,z",
    "ünï",
    'a"b',
    "<&>",
    "42",
    "3.5",
    "line1\nline2",
    "foo_bar-baz",
  ];
  const NUMBERS = [0, 1, -1, 2, 17, 3.5, -2.25, 1000000, 1e21, 0.000001, 123456789, 0.1, 1e-7, 255];
  const KEYS = ["a", "b", "name", "list", "m", "n", "s", "flag", "nil", "x"];

  const scalar = (): unknown => {
    switch (int(0, 7)) {
      case 5:
        return { $int: int(-3, 40) };
      case 6:
        return pick([{ $number: "12" }, { $number: "-1.5e3" }, { $bytes: "aGk=" }, { $bytes: "" }]);
      case 0:
        return pick(STRINGS);
      case 1:
        return pick(NUMBERS);
      case 2:
        return chance(0.5);
      case 3:
        return null;
      default:
        return pick(STRINGS);
    }
  };
  const value = (depth: number): unknown => {
    if (depth > 2 || chance(0.55)) return scalar();
    if (chance(0.5)) return Array.from({ length: int(0, 4) }, () => value(depth + 1));
    const o: Record<string, unknown> = {};
    for (let i = int(0, 4); i > 0; i--) o[pick(KEYS)] = value(depth + 1);
    return o;
  };
  const data = (): Record<string, unknown> => {
    const d: Record<string, unknown> = {
      name: pick(STRINGS),
      n: pick(NUMBERS),
      list: Array.from({ length: int(0, 4) }, () => scalar()),
      m: Object.fromEntries(Array.from({ length: int(0, 4) }, () => [pick(KEYS), scalar()])),
      flag: chance(0.5),
      nil: null,
    };
    for (let i = int(0, 2); i > 0; i--) d[pick(KEYS)] = value(1);
    return d;
  };

  const literal = (): string => {
    switch (int(0, 7)) {
      case 0:
        return JSON.stringify(pick(STRINGS));
      case 1:
        return String(int(-5, 300));
      case 2:
        return pick([
          "1.5",
          "0.0",
          "-2.5",
          "1e3",
          "1e6",
          "3.0",
          "0x1F",
          "0o17",
          "0b101",
          "1_000",
          "'a'",
          "-0.5",
        ]);
      case 3:
        return pick(["true", "false"]);
      case 4:
        return "`raw " + pick(["x", "y\\n"]) + "`";
      default:
        return JSON.stringify(pick(STRINGS));
    }
  };
  const field = (): string => {
    const f = pick([
      "." + pick(KEYS),
      ".m." + pick(KEYS),
      "." + pick(KEYS) + "." + pick(KEYS),
      ".",
      "$",
      "$." + pick(KEYS),
    ]);
    return f;
  };
  // Deterministic functions only: keys/values follow Go's random map order, now/rand/uuid vary.
  const STRING_FUNCS = [
    "untitle",
    "swapcase",
    "initials",
    "camelcase",
    "b64dec",
    "b32enc",
    "b32dec",
    "sha1sum",
    "adler32sum",
    "toPrettyJson",
    "toRawJson",
    "fromJson",
    "first",
    "last",
    "rest",
    "initial",
    "reverse",
    "uniq",
    "compact",
    "add1",
    "floor",
    "ceil",
    "int",
    "int64",
    "float64",
    "atoi",
    "toDecimal",
    "toStrings",
    "kindOf",
    "sortAlpha",
    'trimAll "a"',
    "trunc 3",
    "abbrev 5",
    "indent 2",
    "nindent 1",
    "substr 1 3",
    'splitList ","',
    'join ","',
    'replace "a" "b"',
    'regexFind "[a-z]+"',
    'regexFindAll "l" -1',
    'regexReplaceAll "(l+)" "<$1>"',
    'regexSplit "l" -1',
    'regexMatch "^h"',
    "wrap 4",
    'plural "one" "many"',
    "seq",
    "until",
    'dict "k"',
    "list",
    'hasKey (dict "a" 1)',
    'pick (dict "a" 1 "b" 2)',
    'default "dflt"',
    "coalesce 0",
    'ternary "T" "F"',
    "max 3",
    "min 3",
    "mod 7",
    "div 100",
    "round 2.555",
    "mulf 1.1",
    "addf 0.1",
    "divf 1",
    "subf 1",
    "maxf 2",
    "minf 2",
    "b64enc",
    "squote",
    'cat "x"',
    "has 1",
    "without (list 1 2)",
    "append (list 1)",
    "prepend (list 1)",
    "concat (list 1)",
    "chunk 2",
    "empty",
    "deepEqual (list)",
    'typeIs "string"',
    'get (dict "a" 1)',
    "htmlDate",
    'date "2006-01-02"',
    "duration",
    "durationRound",
    "semver",
    "urlquery",
    "base",
    "dir",
    "ext",
    "clean",
    "isAbs",
    "toJson",
    "quote",

    "upper",
    "lower",
    "title",
    "trim",
    "quote",
    "squote",
    "toString",
    "b64enc",
    "sha256sum",
    "nospace",
    "snakecase",
    "kebabcase",
    "len",
    "print",
    "html",
    "js",
    "urlquery",
    "toJson",
    "empty",
    "kindOf",
    "typeOf",
    "not",
  ];
  const BINARY = [
    "eq",
    "ne",
    "lt",
    "le",
    "gt",
    "ge",
    "and",
    "or",
    "default",
    "add",
    "sub",
    "mul",
    "max",
    "min",
    "cat",
    "list",
    "print",
    "contains",
    "hasPrefix",
    "trimPrefix",
    "repeat",
    "index",
  ];

  const operand = (depth: number): string => {
    const r = rnd();
    if (r < 0.35) return field();
    if (r < 0.65 || depth > 1) return literal();
    return `(${pipeline(depth + 1)})`;
  };
  const command = (depth: number): string => {
    const r = rnd();
    if (r < 0.3) return operand(depth);
    if (r < 0.55) return `${pick(STRING_FUNCS)} ${operand(depth)}`;
    if (r < 0.85) return `${pick(BINARY)} ${operand(depth)} ${operand(depth)}`;
    const verbs = [
      "%v",
      "%d",
      "%s",
      "%q",
      "%x",
      "%5.2f",
      "%-6v|",
      "%+d",
      "%e",
      "%g",
      "%t",
      "%08.3f",
      "%T",
      "%c",
      "%x %X",
      "%[2]v %[1]v",
      "%5s",
      "%.3s",
      "%U",
      "%o",
      "%b",
      "%#v",
    ];
    const args = Array.from({ length: int(1, 2) }, () => operand(depth)).join(" ");
    return `printf ${JSON.stringify(pick(verbs))} ${args}`;
  };
  const pipeline = (depth: number): string => {
    let p = command(depth);
    if (chance(0.25)) {
      p += ` | ${
        pick([
          "print",
          "upper",
          "quote",
          "len",
          "toString",
          'printf "%v"',
          'default "d"',
          "not",
          "toJson",
        ])
      }`;
    }
    return p;
  };
  const action = (): string => {
    const trimL = chance(0.2) ? "- " : "";
    const trimR = chance(0.2) ? " -" : "";
    return `{{${trimL}${pipeline(0)}${trimR}}}`;
  };
  const block = (depth: number): string => {
    const r = rnd();
    if (depth > 1 || r < 0.5) return action();
    if (r < 0.62) return `{{if ${pipeline(1)}}}${body(depth + 1)}{{else}}${body(depth + 1)}{{end}}`;
    if (r < 0.72) return `{{with ${pipeline(1)}}}${body(depth + 1)}{{end}}`;
    if (r < 0.84) {
      return `{{range $i, $v := ${pick([".list", ".m", "." + pick(KEYS), "3", "$.list"])}}}{{$i}}:${
        body(depth + 1)
      };{{else}}empty{{end}}`;
    }
    if (r < 0.92) return `{{$x := ${pipeline(1)}}}[{{$x}}]`;
    return `{{/* c */}}${action()}`;
  };
  const body = (depth: number): string => {
    let s = "";
    for (let i = int(1, 3); i > 0; i--) s += pick(["", " ", "\n", "-", "x "]) + block(depth);
    return s;
  };

  const cases: OracleCase[] = [];
  for (let i = 0; i < count; i++) {
    const c: OracleCase = { template: body(0), data: data() };
    if (chance(0.1)) c.options = { missingKey: pick(["zero", "error"] as const) };
    cases.push(c);
  }
  return cases;
}
