/** huandu/xstrings' word splitting, behind Sprig's snakecase and kebabcase. */
import { isSpaceRune } from "./_sprig_strings.ts";

type WordType = "number" | "upper" | "alphabet" | "connector" | "punct" | "other" | "none";

function isConnector(c: string): boolean {
  return c === "-" || c === "_" || isSpaceRune(c);
}
function isPunct(c: string): boolean {
  return /^\p{P}$/u.test(c);
}
function isUpper(c: string): boolean {
  return /^\p{Lu}$/u.test(c);
}
function isAlphabet(c: string): boolean {
  if (!/^\p{L}$/u.test(c)) return false;
  const cp = c.codePointAt(0)!;
  return !((cp >= 0x4e00 && cp <= 0x9fcc) || (cp >= 0x3400 && cp <= 0x4d85) ||
    (cp >= 0x20000 && cp <= 0x2a6d6));
}
function isNumber(c: string): boolean {
  return /^\p{N}$/u.test(c);
}

/** Splits the first word off `chars` starting at `i`: [type, end]. */
function nextWord(chars: string[], i: number): [WordType, number] {
  if (i >= chars.length) return ["none", i];
  const r = chars[i]!;
  let j = i + 1;
  const run = (pred: (c: string) => boolean) => {
    while (j < chars.length && pred(chars[j]!)) j++;
  };
  if (isConnector(r)) {
    run(isConnector);
    return ["connector", j];
  }
  if (isPunct(r)) {
    run(isPunct);
    return ["punct", j];
  }
  if (isUpper(r)) {
    if (j >= chars.length) return ["upper", j];
    const n = chars[j]!;
    if (isUpper(n)) {
      run(isUpper);
      // "HTTPServer": the last upper letter starts the next word.
      if (j < chars.length && isAlphabet(chars[j]!)) j--;
    } else if (isAlphabet(n)) {
      run((c) => isAlphabet(c) && !isUpper(c));
    }
    return ["upper", j];
  }
  if (isAlphabet(r)) {
    run((c) => isAlphabet(c) && !isUpper(c));
    return ["alphabet", j];
  }
  if (isNumber(r)) {
    run(isNumber);
    return ["number", j];
  }
  run((c) => !(isConnector(c) || isAlphabet(c) || isNumber(c) || isPunct(c)));
  return ["other", j];
}

function lowerWord(wt: WordType, word: string[], connector: string): string {
  if (wt !== "upper" && wt !== "connector") return word.join("");
  return word.map((c) => (isConnector(c) ? connector : c.toLowerCase())).join("");
}

/** xstrings.ToSnakeCase / ToKebabCase with the given connector. */
export function camelCaseToLowerCase(str: string, connector: string): string {
  const chars = [...str];
  if (chars.length === 0) return "";
  let out = "";
  let pos = 0;
  const take = (): [WordType, string[]] => {
    const [wt, end] = nextWord(chars, pos);
    const word = chars.slice(pos, end);
    pos = end;
    return [wt, word];
  };
  let [wt, word] = take();
  while (pos < chars.length) {
    if (wt !== "connector") out += lowerWord(wt, word, connector);
    const prev = wt;
    const last = word;
    [wt, word] = take();
    switch (prev) {
      case "number":
        while (wt === "alphabet" || wt === "number") {
          out += lowerWord(wt, word, connector);
          [wt, word] = take();
        }
        if (wt !== "none" && wt !== "punct" && wt !== "connector") out += connector;
        break;
      case "connector":
        out += lowerWord(prev, last, connector);
        break;
      case "punct":
        break;
      default: {
        if (wt !== "number") {
          if (wt !== "connector" && wt !== "punct") out += connector;
          break;
        }
        if (pos >= chars.length) break;
        const numWord = word;
        [wt, word] = take();
        if (wt !== "alphabet") {
          out += lowerWord("number", numWord, connector);
          if (wt !== "connector" && wt !== "punct") out += connector;
          break;
        }
        out += connector;
        out += lowerWord("number", numWord, connector);
        while (wt === "alphabet" || wt === "number") {
          out += lowerWord(wt, word, connector);
          [wt, word] = take();
        }
        if (wt !== "none" && wt !== "connector" && wt !== "punct") out += connector;
      }
    }
  }
  out += lowerWord(wt, word, connector);
  return out;
}
