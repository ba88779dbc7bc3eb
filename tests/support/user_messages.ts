/**
 * The messages a user can meet, read out of src/ as the program writes them, so
 * tests/cli/troubleshooting_test.ts can hold docs/troubleshooting.md to them. A message is the literal
 * (string or template) at one of these places:
 *
 * - `log.warn|warning|error|fatal("…")` — a log line at warning level or above (LogTape placeholders
 *   `{name}` are variable parts);
 * - `new <Name>Error("…")`, except `RangeError`/`TypeError` (a caller's bad argument: a bug, not
 *   something a user can act on) — what reaches logs, `/ready` reasons and the CLI;
 * - `issues.add(path, "…")`, `issues.addEnv(name, "…")`, and `error:`/`message:` properties in
 *   src/config/ (zod) — config errors, printed as `file:line:column: key: message`;
 * - `err("…")`, `error("…")`, `console.error("…")` in src/cli/ and src/main.ts — CLI lines;
 * - anywhere else, a literal that reads like a message by the project's convention (STYLE.md: action
 *   first): one that starts with `Cannot`, `Invalid`, `Unknown`, `Expected` or `Required` —
 *   messages built in a helper and returned, like the permission preflight's lines.
 *
 * A message must have two words or more of its own text. Variable parts (`${…}`, `{name}`) become
 * `…`. Left out: src/template/ (Go text/template's own messages, one family in the doc) and
 * src/config/eso/ (the ExternalSecret converter's warnings and errors, documented with examples in
 * docs/migrating-from-eso.md).
 *
 * Run it to print the catalogue (for updating the doc): `deno run -A tests/support/user_messages.ts`.
 *
 * @module
 */

const ROOT = new URL("../../", import.meta.url);

/** One message and where it is built. */
export interface UserMessage {
  /** Path from the repository root, e.g. `src/vault/_auth.ts`. */
  file: string;
  line: number;
  site: "log" | "error" | "config" | "cli" | "other";
  /** The message with `…` for each variable part, whitespace collapsed. */
  text: string;
}

interface Token {
  kind: "ident" | "punct" | "string" | "number" | "regex";
  text: string;
  /** For strings and templates: the normalized content. */
  value?: string;
  line: number;
}

/** Splits TypeScript source into tokens (comments dropped; enough for finding call sites). */
export function tokenize(source: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  let line = 1;
  const at = () => source[i] ?? "";
  const advance = (n = 1) => {
    for (let k = 0; k < n; k++) if (source[i++] === "\n") line++;
  };
  /** Reads a quoted string starting at the quote; returns its (unescaped, roughly) content. */
  const quoted = (quote: string): string => {
    advance();
    let out = "";
    while (i < source.length && at() !== quote) {
      if (at() === "\\") {
        const next = source[i + 1] ?? "";
        out += next === "n" ? "\n" : next === "t" ? "\t" : next;
        advance(2);
      } else {
        out += at();
        advance();
      }
    }
    advance();
    return out;
  };
  /** Reads a template literal starting at the backtick; `${…}` parts become `…`. */
  const template = (): string => {
    advance();
    let out = "";
    while (i < source.length && at() !== "`") {
      if (at() === "\\") {
        const next = source[i + 1] ?? "";
        out += next === "n" ? "\n" : next;
        advance(2);
      } else if (at() === "$" && source[i + 1] === "{") {
        advance(2);
        skipExpression();
        out += "…";
      } else {
        out += at();
        advance();
      }
    }
    advance();
    return out;
  };
  /** Skips the inside of `${ … }` up to its closing brace (strings and nested templates too). */
  const skipExpression = () => {
    let depth = 1;
    while (i < source.length && depth > 0) {
      const c = at();
      if (c === "'" || c === '"') quoted(c);
      else if (c === "`") template();
      else {
        if (c === "{") depth++;
        else if (c === "}") depth--;
        advance();
      }
    }
  };
  const regexAllowed = () => {
    const last = tokens.at(-1);
    if (last === undefined) return true;
    if (last.kind === "ident") {
      return ["return", "typeof", "case", "in", "of", "void", "yield", "await"].includes(last.text);
    }
    if (last.kind === "punct") return ![")", "]", "}"].includes(last.text);
    return false;
  };
  while (i < source.length) {
    const c = at();
    const startLine = line;
    if (/\s/.test(c)) {
      advance();
    } else if (c === "/" && source[i + 1] === "/") {
      while (i < source.length && at() !== "\n") advance();
    } else if (c === "/" && source[i + 1] === "*") {
      const end = source.indexOf("*/", i + 2);
      advance((end === -1 ? source.length : end + 2) - i);
    } else if (c === "'" || c === '"') {
      const value = quoted(c);
      tokens.push({ kind: "string", text: c, value, line: startLine });
    } else if (c === "`") {
      const value = template();
      tokens.push({ kind: "string", text: "`", value, line: startLine });
    } else if (c === "/" && regexAllowed()) {
      advance();
      let inClass = false;
      while (i < source.length && (inClass || at() !== "/") && at() !== "\n") {
        if (at() === "\\") advance();
        else if (at() === "[") inClass = true;
        else if (at() === "]") inClass = false;
        advance();
      }
      advance();
      while (/[a-z]/.test(at())) advance();
      tokens.push({ kind: "regex", text: "/", line: startLine });
    } else if (/[A-Za-z_$#]/.test(c)) {
      const m = /^[#A-Za-z_$][\w$]*/.exec(source.slice(i, i + 200))!;
      tokens.push({ kind: "ident", text: m[0], line: startLine });
      advance(m[0].length);
    } else if (/\d/.test(c)) {
      const m = /^[\d_.xXa-fA-FnoObB]+/.exec(source.slice(i, i + 100))!;
      tokens.push({ kind: "number", text: m[0], line: startLine });
      advance(m[0].length);
    } else {
      const m = /^(\?\?=|\?\.|\?\?|=>|===|!==|==|!=|<=|>=|&&|\|\||\.\.\.|[^\s])/.exec(
        source.slice(i, i + 4),
      )!;
      tokens.push({ kind: "punct", text: m[0], line: startLine });
      advance(m[0].length);
    }
  }
  return tokens;
}

/** `{name}` is a LogTape placeholder (in log calls and in log records built by hand). */
function normalize(text: string): string {
  return text.replace(/\{[A-Za-z_]\w*\}/g, "…").replace(/\s+/g, " ").trim();
}

/** Index after the argument starting at `start` (balanced brackets), i.e. at its `,` or `)`. */
function skipArgument(tokens: Token[], start: number): number {
  let depth = 0;
  for (let k = start; k < tokens.length; k++) {
    const t = tokens[k]!;
    if (t.kind !== "punct") continue;
    if (["(", "[", "{"].includes(t.text)) depth++;
    else if ([")", "]", "}"].includes(t.text)) {
      if (depth === 0) return k;
      depth--;
    } else if (t.text === "," && depth === 0) return k;
  }
  return tokens.length;
}

/** The message literal at `k`, if the argument there is one (possibly `"…" + more`). */
function literalAt(tokens: Token[], k: number): string | undefined {
  const t = tokens[k];
  if (t?.kind !== "string") return undefined;
  const next = tokens[k + 1];
  return next?.kind === "punct" && next.text === "+" ? `${t.value} …` : t.value;
}

/** Whether the literal at `k` is compared with, not shown: `x === "…"`, `s.startsWith("…")`. */
function isComparison(tokens: Token[], k: number): boolean {
  const before = tokens[k - 1];
  if (before?.kind === "punct" && ["===", "!==", "==", "!="].includes(before.text)) return true;
  return before?.text === "(" &&
    ["startsWith", "endsWith", "includes", "indexOf"].includes(tokens[k - 2]?.text ?? "");
}

const LOG_LEVELS = new Set(["warn", "warning", "error", "fatal"]);
const NOT_USER_ERRORS = new Set(["RangeError", "TypeError"]);
/** The message convention: action first (STYLE.md). */
const MESSAGE_START = /^(Cannot|Invalid|Unknown|Expected|Required)\b/;
/** Literals that look like messages but are not the program's: JavaScript's own invalid date. */
const NOT_MESSAGES = new Set(["Invalid Date"]);
/** Directories whose messages other docs cover (see the module doc). */
const LEFT_OUT = ["src/template", "src/config/eso"];

/** The user messages of one source file. */
export function messagesOf(file: string, source: string): UserMessage[] {
  const tokens = tokenize(source);
  const out: UserMessage[] = [];
  const isCli = file.startsWith("src/cli/") || file === "src/main.ts";
  const isConfig = file.startsWith("src/config/");
  const is = (k: number, kind: Token["kind"], text?: string) =>
    tokens[k]?.kind === kind && (text === undefined || tokens[k]!.text === text);
  // Arguments of `new RangeError(…)` / `new TypeError(…)`: a caller's bug, not a user's message.
  const excluded = new Set<number>();
  for (let k = 0; k < tokens.length; k++) {
    if (
      is(k, "ident", "new") && NOT_USER_ERRORS.has(tokens[k + 1]?.text ?? "") &&
      is(k + 2, "punct", "(")
    ) {
      let end = k + 3;
      while (is(end = skipArgument(tokens, end), "punct", ",")) end++;
      for (let j = k + 3; j < end; j++) excluded.add(j);
    }
  }
  const taken = new Set<number>();
  const add = (site: UserMessage["site"], k: number) => {
    const raw = literalAt(tokens, k);
    if (raw === undefined || excluded.has(k)) return;
    taken.add(k);
    const text = normalize(raw);
    if (NOT_MESSAGES.has(text)) return;
    // A message has words of its own (a literal of only variable parts passes one through); a
    // one-word literal is a message only when it reads like one ("Required").
    const words = /[A-Za-z]{2,}\W+[A-Za-z]{2,}/.test(text.replace(/…/g, " "));
    if (!words && !(site === "other" && MESSAGE_START.test(text))) return;
    out.push({ file, line: tokens[k]!.line, site, text });
  };
  for (let k = 0; k < tokens.length; k++) {
    const t = tokens[k]!;
    if (t.kind !== "ident") continue;
    // log.warn("…") on any logger named *log / *Log
    if (
      /(^|[a-z])[lL]og$/.test(t.text) && is(k + 1, "punct", ".") &&
      LOG_LEVELS.has(tokens[k + 2]?.text ?? "") && is(k + 3, "punct", "(")
    ) {
      add("log", k + 4);
    } else if (
      t.text === "new" && is(k + 1, "ident") && /Error$/.test(tokens[k + 1]!.text) &&
      !NOT_USER_ERRORS.has(tokens[k + 1]!.text) && is(k + 2, "punct", "(")
    ) {
      add("error", k + 3);
    } else if (
      t.text === "issues" && is(k + 1, "punct", ".") &&
      (tokens[k + 2]?.text === "add" || tokens[k + 2]?.text === "addEnv") &&
      is(k + 3, "punct", "(")
    ) {
      const comma = skipArgument(tokens, k + 4);
      if (is(comma, "punct", ",")) add("config", comma + 1);
    } else if (
      isConfig && (t.text === "error" || t.text === "message") && is(k + 1, "punct", ":") &&
      !is(k - 1, "punct", ".")
    ) {
      add("config", k + 2);
    } else if (
      isCli && (t.text === "err" || t.text === "error") && is(k + 1, "punct", "(") &&
      !is(k - 1, "punct", ".")
    ) {
      add("cli", k + 2);
    } else if (
      isCli && t.text === "console" && is(k + 1, "punct", ".") && tokens[k + 2]?.text === "error" &&
      is(k + 3, "punct", "(")
    ) {
      add("cli", k + 4);
    }
  }
  for (let k = 0; k < tokens.length; k++) {
    if (
      tokens[k]!.kind === "string" && !taken.has(k) && MESSAGE_START.test(tokens[k]!.value ?? "") &&
      !isComparison(tokens, k)
    ) {
      add("other", k);
    }
  }
  out.sort((a, b) => a.line - b.line);
  return out;
}

async function* sourceFiles(dir: URL, prefix: string): AsyncGenerator<string> {
  for await (const entry of Deno.readDir(dir)) {
    const path = `${prefix}${entry.name}`;
    if (entry.isDirectory) {
      if (LEFT_OUT.includes(path)) continue;
      yield* sourceFiles(new URL(`${entry.name}/`, dir), `${path}/`);
    } else if (entry.isFile && entry.name.endsWith(".ts")) {
      yield path;
    }
  }
}

/** Every user message in src/, in file order. */
export async function userMessages(): Promise<UserMessage[]> {
  const files: string[] = [];
  for await (const file of sourceFiles(new URL("src/", ROOT), "src/")) files.push(file);
  const out: UserMessage[] = [];
  for (const file of files.sort()) {
    out.push(...messagesOf(file, await Deno.readTextFile(new URL(file, ROOT))));
  }
  return out;
}

/**
 * The error kinds a user sees (`errorKind` in logs, `kind` on `secret_fetch_errors_total`,
 * `lastErrorKind` in `/ready`): the members of `VaultErrorKind` and what `errorKind()` returns.
 */
export async function errorKinds(): Promise<string[]> {
  const vault = await Deno.readTextFile(new URL("src/vault/vault_error.ts", ROOT));
  const union = /export type VaultErrorKind =([^;]+);/.exec(vault);
  if (!union) throw new Error("src/vault/vault_error.ts: no VaultErrorKind union");
  const fn = /export function errorKind\([\s\S]*?\n\}/.exec(vault);
  if (!fn) throw new Error("src/vault/vault_error.ts: no errorKind()");
  const kinds = [
    ...[...union[1]!.matchAll(/"([a-z_]+)"/g)].map((m) => m[1]!),
    ...[...fn[0].matchAll(/return "([a-z_]+)"/g)].map((m) => m[1]!),
  ];
  return [...new Set(kinds)].sort();
}

if (import.meta.main) {
  let last = "";
  for (const message of await userMessages()) {
    if (message.file !== last) console.log(`\n${last = message.file}`);
    console.log(`  ${message.line} ${message.site}: \`${message.text}\``);
  }
  console.log(`\nerror kinds: ${(await errorKinds()).join(", ")}`);
}
