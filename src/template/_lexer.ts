/** Tokens of Go's text/template action language (mirrors text/template/parse/lex.go). */
export type ItemType =
  | "error"
  | "bool"
  | "char"
  | "charConstant"
  | "comment"
  | "assign"
  | "declare"
  | "eof"
  | "field"
  | "identifier"
  | "leftDelim"
  | "leftParen"
  | "number"
  | "pipe"
  | "rawString"
  | "rightDelim"
  | "rightParen"
  | "space"
  | "string"
  | "text"
  | "variable"
  | "block"
  | "break"
  | "continue"
  | "dot"
  | "define"
  | "else"
  | "end"
  | "if"
  | "nil"
  | "range"
  | "template"
  | "with";

export interface Item {
  type: ItemType;
  /** Offset (UTF-16) in the source. */
  pos: number;
  val: string;
  line: number;
}

const KEYWORDS: Record<string, ItemType> = Object.assign(Object.create(null), {
  ".": "dot",
  block: "block",
  break: "break",
  continue: "continue",
  define: "define",
  else: "else",
  end: "end",
  if: "if",
  range: "range",
  nil: "nil",
  template: "template",
  with: "with",
});

const TRIM_MARKER = "-";
const LEFT_COMMENT = "/*";
const RIGHT_COMMENT = "*/";

function isSpace(c: string): boolean {
  return c === " " || c === "\t" || c === "\r" || c === "\n";
}

function isAlphaNumeric(c: string): boolean {
  const code = c.charCodeAt(0);
  if (code < 0x80) {
    return (code >= 97 && code <= 122) || (code >= 65 && code <= 90) ||
      (code >= 48 && code <= 57) || code === 95;
  }
  return /^[\p{L}\p{Nd}]$/u.test(c);
}

function isDigit(c: string): boolean {
  return c >= "0" && c <= "9";
}

/** Lexes a whole template source into items; stops at the first error item. */
export function lex(
  input: string,
  leftDelim = "{{",
  rightDelim = "}}",
  breakOK = true,
  continueOK = true,
): Item[] {
  const items: Item[] = [];
  let pos = 0;
  let start = 0;
  const lineStarts: number[] = [0];
  for (let i = input.indexOf("\n"); i >= 0; i = input.indexOf("\n", i + 1)) lineStarts.push(i + 1);
  const lineAt = (p: number): number => {
    let lo = 0;
    let hi = lineStarts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (lineStarts[mid]! <= p) lo = mid;
      else hi = mid - 1;
    }
    return lo + 1;
  };
  let parenDepth = 0;
  let insideAction = false;

  const emit = (type: ItemType, val = input.slice(start, pos)) => {
    items.push({ type, pos: start, val, line: lineAt(start) });
    start = pos;
  };
  const ignore = () => {
    start = pos;
  };
  const next = (): string => {
    if (pos >= input.length) return "";
    const cp = input.codePointAt(pos)!;
    const c = String.fromCodePoint(cp);
    pos += c.length;
    return c;
  };
  const peek = (): string => {
    if (pos >= input.length) return "";
    return String.fromCodePoint(input.codePointAt(pos)!);
  };
  const backup = (c: string) => {
    pos -= c.length;
  };
  const errorf = (msg: string): false => {
    items.push({ type: "error", pos: start, val: msg, line: lineAt(start) });
    return false;
  };
  const atRightDelim = (): { delim: boolean; trim: boolean } => {
    if (
      pos < input.length && isSpace(input[pos]!) && input.startsWith(TRIM_MARKER, pos + 1) &&
      input.startsWith(rightDelim, pos + 2)
    ) {
      // " -}}": the space and the marker belong to the delimiter.
      return { delim: true, trim: true };
    }
    if (input.startsWith(rightDelim, pos)) return { delim: true, trim: false };
    return { delim: false, trim: false };
  };

  // Returns false when lexing must stop.
  const lexText = (): boolean => {
    const x = input.indexOf(leftDelim, pos);
    if (x < 0) {
      pos = input.length;
      if (pos > start) emit("text");
      emit("eof");
      return false;
    }
    const ldn = x;
    pos = x;
    let trimLength = 0;
    const after = x + leftDelim.length;
    if (
      input.startsWith(TRIM_MARKER, after) && after + 1 < input.length &&
      isSpace(input[after + 1]!)
    ) {
      trimLength = rightTrimLength(input.slice(start, x));
    }
    pos = ldn - trimLength;
    if (pos > start) emit("text");
    pos = ldn;
    ignore();
    return lexLeftDelim();
  };

  const lexLeftDelim = (): boolean => {
    pos += leftDelim.length;
    const trimSpace = input.startsWith(TRIM_MARKER, pos) && pos + 1 < input.length &&
      isSpace(input[pos + 1]!);
    let afterMarker = 0;
    if (trimSpace) afterMarker = 2;
    if (input.startsWith(LEFT_COMMENT, pos + afterMarker)) {
      pos += afterMarker;
      ignore();
      return lexComment();
    }
    emit("leftDelim");
    pos += afterMarker;
    ignore();
    parenDepth = 0;
    insideAction = true;
    return true;
  };

  const lexComment = (): boolean => {
    pos += LEFT_COMMENT.length;
    const x = input.indexOf(RIGHT_COMMENT, pos);
    if (x < 0) return errorf("unclosed comment");
    pos = x + RIGHT_COMMENT.length;
    const { delim, trim } = atRightDelim();
    if (!delim) return errorf("comment ends before closing delimiter");
    emit("comment");
    if (trim) pos += TRIM_MARKER.length + 1;
    pos += rightDelim.length;
    if (trim) pos += leftTrimLength(input.slice(pos));
    ignore();
    return true;
  };

  const lexRightDelim = (trim: boolean): boolean => {
    if (trim) {
      pos += TRIM_MARKER.length + 1;
      ignore();
    }
    pos += rightDelim.length;
    emit("rightDelim");
    if (trim) {
      pos += leftTrimLength(input.slice(pos));
      ignore();
    }
    insideAction = false;
    return true;
  };

  const lexInsideAction = (): boolean => {
    const { delim, trim } = atRightDelim();
    if (delim) {
      if (parenDepth === 0) return lexRightDelim(trim);
      return errorf("unclosed left paren");
    }
    const r = next();
    if (r === "") return errorf("unclosed action");
    if (isSpace(r)) {
      backup(r);
      return lexSpace();
    }
    if (r === "=") {
      emit("assign");
      return true;
    }
    if (r === ":") {
      if (next() !== "=") return errorf("expected :=");
      emit("declare");
      return true;
    }
    if (r === "|") {
      emit("pipe");
      return true;
    }
    if (r === '"') return lexQuote();
    if (r === "`") return lexRawQuote();
    if (r === "$") return lexVariable();
    if (r === "'") return lexChar();
    if (r === ".") {
      if (pos < input.length) {
        const c = input[pos]!;
        if (c < "0" || "9" < c) return lexField();
      }
      backup(r);
      return lexNumber();
    }
    if (r === "+" || r === "-" || isDigit(r)) {
      backup(r);
      return lexNumber();
    }
    if (isAlphaNumeric(r)) {
      backup(r);
      return lexIdentifier();
    }
    if (r === "(") {
      emit("leftParen");
      parenDepth++;
      return true;
    }
    if (r === ")") {
      parenDepth--;
      if (parenDepth < 0) return errorf("unexpected right paren");
      emit("rightParen");
      return true;
    }
    if (r.codePointAt(0)! <= 0x7f && /[\x21-\x7e]/.test(r)) {
      emit("char");
      return true;
    }
    return errorf(`unrecognized character in action: ${goQuoteRune(r)}`);
  };

  const lexSpace = (): boolean => {
    let numSpaces = 0;
    while (pos < input.length && isSpace(input[pos]!)) {
      pos++;
      numSpaces++;
    }
    if (input.startsWith(TRIM_MARKER, pos) && input.startsWith(rightDelim, pos + 1)) {
      pos--; // Before the space: it is part of " -}}".
      if (numSpaces === 1) return lexRightDelim(true);
    }
    emit("space");
    return true;
  };

  const lexIdentifier = (): boolean => {
    for (;;) {
      const r = next();
      if (r !== "" && isAlphaNumeric(r)) continue;
      if (r !== "") backup(r);
      const word = input.slice(start, pos);
      if (!atTerminator()) return errorf(`bad character ${goQuoteRune(peek())}`);
      const kw = KEYWORDS[word];
      if (
        kw !== undefined && kw !== "dot" && !(kw === "break" && !breakOK) &&
        !(kw === "continue" && !continueOK)
      ) {
        emit(kw);
      } else if (word[0] === ".") {
        emit("field");
      } else if (word === "true" || word === "false") {
        emit("bool");
      } else {
        emit("identifier");
      }
      return true;
    }
  };

  const lexField = (): boolean => lexFieldOrVariable("field");
  const lexVariable = (): boolean => lexFieldOrVariable("variable");

  const lexFieldOrVariable = (typ: "field" | "variable"): boolean => {
    if (atTerminator()) {
      if (typ === "variable") emit("variable");
      else emit("dot");
      return true;
    }
    for (;;) {
      const r = next();
      if (r !== "" && isAlphaNumeric(r)) continue;
      if (r !== "") backup(r);
      break;
    }
    if (!atTerminator()) return errorf(`bad character ${goQuoteRune(peek())}`);
    emit(typ);
    return true;
  };

  const atTerminator = (): boolean => {
    const r = peek();
    if (r === "" || isSpace(r)) return true;
    if (".,|:()".includes(r)) return true;
    return input.startsWith(rightDelim, pos);
  };

  const lexChar = (): boolean => {
    for (;;) {
      let r = next();
      if (r === "\\") {
        r = next();
        if (r !== "" && r !== "\n") continue;
      }
      if (r === "" || r === "\n") return errorf("unterminated character constant");
      if (r === "'") break;
    }
    emit("charConstant");
    return true;
  };

  const lexNumber = (): boolean => {
    if (!scanNumber()) return errorf(`bad number syntax: ${goQuote(input.slice(start, pos))}`);
    emit("number");
    return true;
  };

  const scanNumber = (): boolean => {
    const accept = (valid: string): boolean => {
      const r = peek();
      if (r !== "" && valid.includes(r)) {
        next();
        return true;
      }
      return false;
    };
    const acceptRun = (valid: string) => {
      while (accept(valid)) { /* consume */ }
    };
    accept("+-");
    let digits = "0123456789_";
    if (accept("0")) {
      if (accept("xX")) digits = "0123456789abcdefABCDEF_";
      else if (accept("oO")) digits = "01234567_";
      else if (accept("bB")) digits = "01_";
    }
    acceptRun(digits);
    if (accept(".")) acceptRun(digits);
    if (digits.length === 10 + 1 && accept("eE")) {
      accept("+-");
      acceptRun("0123456789_");
    }
    if (digits.length === 16 + 6 + 1 && accept("pP")) {
      accept("+-");
      acceptRun("0123456789_");
    }
    accept("i");
    const r = peek();
    if (r !== "" && isAlphaNumeric(r)) {
      next();
      return false;
    }
    return true;
  };

  const lexQuote = (): boolean => {
    for (;;) {
      let r = next();
      if (r === "\\") {
        r = next();
        if (r !== "" && r !== "\n") continue;
      }
      if (r === "" || r === "\n") return errorf("unterminated quoted string");
      if (r === '"') break;
    }
    emit("string");
    return true;
  };

  const lexRawQuote = (): boolean => {
    const x = input.indexOf("`", pos);
    if (x < 0) return errorf("unterminated raw quoted string");
    pos = x + 1;
    emit("rawString");
    return true;
  };

  for (;;) {
    const ok = insideAction ? lexInsideAction() : lexText();
    if (!ok) break;
  }
  return items;
}

function rightTrimLength(s: string): number {
  let i = s.length;
  while (i > 0 && isSpace(s[i - 1]!)) i--;
  return s.length - i;
}

function leftTrimLength(s: string): number {
  let i = 0;
  while (i < s.length && isSpace(s[i]!)) i++;
  return i;
}

/** Go's %q for a string (strconv.Quote). */
export function goQuote(s: string): string {
  let out = '"';
  for (const ch of s) {
    out += quoteChar(ch, '"');
  }
  return out + '"';
}

/** Go's %#U-ish rune description used in lexer errors. */
function goQuoteRune(r: string): string {
  const cp = r.codePointAt(0) ?? 0;
  const hex = cp.toString(16).toUpperCase().padStart(4, "0");
  return `U+${hex} '${r}'`;
}

export function quoteChar(ch: string, quote: string): string {
  const cp = ch.codePointAt(0)!;
  if (cp >= 0x20 && cp < 0x7f && ch !== quote && ch !== "\\") return ch;
  if (ch === quote || ch === "\\") return "\\" + ch;
  switch (ch) {
    case "\x07":
      return "\\a";
    case "\b":
      return "\\b";
    case "\f":
      return "\\f";
    case "\n":
      return "\\n";
    case "\r":
      return "\\r";
    case "\t":
      return "\\t";
    case "\v":
      return "\\v";
  }
  if (cp === 0xfffd && ch === "\ufffd") return ch;
  // An escaped byte of invalid UTF-8 (see _go_string.ts) quotes as Go quotes that byte.
  if (cp >= 0xdc80 && cp <= 0xdcff) return "\\x" + (cp - 0xdc00).toString(16);
  if (isPrintRune(cp)) return ch;
  if (cp < 0x20 || cp === 0x7f) return "\\x" + cp.toString(16).padStart(2, "0");
  if (cp < 0x10000) return "\\u" + cp.toString(16).padStart(4, "0");
  return "\\U" + cp.toString(16).padStart(8, "0");
}

/** Approximates Go's unicode.IsPrint (letters, marks, numbers, punctuation, symbols, ASCII space). */
export function isPrintRune(cp: number): boolean {
  if (cp === 0x20) return true;
  if (cp >= 0xd800 && cp <= 0xdfff) return false;
  const s = String.fromCodePoint(cp);
  return /^[\p{L}\p{M}\p{N}\p{P}\p{S}]$/u.test(s);
}
