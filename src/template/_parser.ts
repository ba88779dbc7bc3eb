/** Recursive-descent parser producing Go text/template parse trees (mirrors parse/parse.go). */
import type {
  ArgNode,
  CommandNode,
  ListNode,
  Node,
  NumberNode,
  PipeNode,
  TemplateNode,
  VariableNode,
} from "./_ast.ts";
import { nodeString } from "./_ast.ts";
import { goQuote, type Item, lex } from "./_lexer.ts";
import { parseGoFloat, parseGoInt, unquote, unquoteChar } from "./_literals.ts";

/** A parsed tree: the main body or one {{define}}/{{block}}. */
export interface Tree {
  name: string;
  root: ListNode;
}

/** Thrown by the parser; converted to TemplateError by the caller. */
export class ParseFailure extends Error {
  constructor(message: string, readonly line: number, readonly pos: number) {
    super(message);
  }
}

/** Parses the source into the main tree plus every defined template. */
export function parseTrees(
  name: string,
  text: string,
  hasFunction: (name: string) => boolean,
  delims: [string, string] = ["{{", "}}"],
): { trees: Map<string, Tree>; secretCalls: SecretCallSite[] } {
  const items = lex(text, delims[0], delims[1]);
  const p = new Parser(name, items, hasFunction);
  const trees = new Map<string, Tree>();
  p.treeSet = trees;
  p.parseTop(name);
  return { trees, secretCalls: p.secretCalls };
}

function isEmptyList(list: ListNode): boolean {
  return list.nodes.every((n) =>
    n.type === "comment" || (n.type === "text" && n.text.trim() === "")
  );
}

/** The functions that read from Vault, whose calls are listed for prefetching. */
export const VAULT_FUNCTIONS: readonly string[] = ["secret", "pkiCert"];

/**
 * One `secret`/`pkiCert` call in a template. `args` holds the path and the `k=v` arguments when
 * every one is a quoted string; `null` when one is computed (a field, a variable, a piped value).
 */
export interface SecretCallSite {
  fn: string;
  args: string[] | null;
  line: number;
}

type Control = Node | { type: "end"; pos: number } | { type: "else"; pos: number; line: number };

class Parser {
  treeSet = new Map<string, Tree>();
  secretCalls: SecretCallSite[] = [];
  #seenCalls = new Set<string>();
  #i = 0;
  #vars: string[] = ["$"];
  #rangeDepth = 0;
  #actionLine = 0;
  #lastLine = 1;

  constructor(
    readonly parseName: string,
    readonly items: Item[],
    readonly hasFunction: (name: string) => boolean,
  ) {}

  // --- token stream

  #next(): Item {
    const it = this.items[this.#i] ?? this.items[this.items.length - 1]!;
    if (this.#i < this.items.length) this.#i++;
    this.#lastLine = it.line;
    return it;
  }
  #backup(n = 1): void {
    this.#i -= n;
  }
  #peek(): Item {
    return this.items[this.#i] ?? this.items[this.items.length - 1]!;
  }
  #nextNonSpace(): Item {
    for (;;) {
      const t = this.#next();
      if (t.type !== "space") return t;
    }
  }
  #peekNonSpace(): Item {
    const t = this.#nextNonSpace();
    this.#backup();
    return t;
  }

  #errorf(msg: string): never {
    throw new ParseFailure(
      `template: ${this.parseName}:${this.#lastLine}: ${msg}`,
      this.#lastLine,
      this.items[Math.max(0, this.#i - 1)]?.pos ?? 0,
    );
  }
  #expect(type: Item["type"], context: string): Item {
    const t = this.#nextNonSpace();
    if (t.type !== type) this.#unexpected(t, context);
    return t;
  }
  #unexpected(t: Item, context: string): never {
    if (t.type === "error") {
      let extra = "";
      if (this.#actionLine !== 0 && this.#actionLine !== t.line) {
        extra = ` in action started at ${this.parseName}:${this.#actionLine}`;
        if (t.val.endsWith(" action")) extra = extra.slice(" in action".length);
      }
      this.#errorf(`${t.val}${extra}`);
    }
    this.#errorf(`unexpected ${itemString(t)} in ${context}`);
  }

  // --- structure

  parseTop(name: string): void {
    const root: ListNode = { type: "list", pos: this.#peek().pos, nodes: [] };
    while (this.#peek().type !== "eof") {
      if (this.#peek().type === "leftDelim") {
        const save = this.#i;
        this.#next();
        if (this.#nextNonSpace().type === "define") {
          this.#parseDefinition();
          continue;
        }
        this.#i = save;
      }
      const n = this.#textOrAction();
      if (n.type === "end" || n.type === "else") this.#errorf(`unexpected ${controlString(n)}`);
      root.nodes.push(n);
    }
    this.#add({ name, root });
  }

  #add(tree: Tree): void {
    const old = this.treeSet.get(tree.name);
    if (old === undefined || isEmptyList(old.root)) {
      this.treeSet.set(tree.name, tree);
      return;
    }
    if (!isEmptyList(tree.root)) {
      this.#errorf(`template: multiple definition of template ${goQuote(tree.name)}`);
    }
  }

  #withFreshScope<T>(fn: () => T): T {
    const vars = this.#vars;
    const depth = this.#rangeDepth;
    this.#vars = ["$"];
    this.#rangeDepth = 0;
    try {
      return fn();
    } finally {
      this.#vars = vars;
      this.#rangeDepth = depth;
    }
  }

  #parseDefinition(): void {
    const context = "define clause";
    const nameTok = this.#nextNonSpace();
    const name = this.#templateName(nameTok, context);
    this.#expect("rightDelim", context);
    this.#withFreshScope(() => {
      const [list, end] = this.#itemList();
      if (end.type !== "end") this.#errorf(`unexpected ${controlString(end)} in ${context}`);
      this.#add({ name, root: list });
    });
  }

  #templateName(t: Item, context: string): string {
    if (t.type === "string" || t.type === "rawString") {
      try {
        return unquote(t.val);
      } catch (e) {
        this.#errorf((e as Error).message);
      }
    }
    this.#unexpected(t, context);
  }

  #itemList(): [ListNode, Control] {
    const list: ListNode = { type: "list", pos: this.#peekNonSpace().pos, nodes: [] };
    while (this.#peekNonSpace().type !== "eof") {
      const n = this.#textOrAction();
      if (n.type === "end" || n.type === "else") return [list, n];
      list.nodes.push(n);
    }
    this.#errorf("unexpected EOF");
  }

  #textOrAction(): Control {
    const t = this.#nextNonSpace();
    switch (t.type) {
      case "text":
        return { type: "text", pos: t.pos, text: t.val };
      case "leftDelim": {
        this.#actionLine = t.line;
        try {
          return this.#action();
        } finally {
          this.#actionLine = 0;
        }
      }
      case "comment":
        return { type: "comment", pos: t.pos };
      default:
        this.#unexpected(t, "input");
    }
  }

  #action(): Control {
    const t = this.#nextNonSpace();
    switch (t.type) {
      case "block":
        return this.#blockControl();
      case "break":
      case "continue": {
        const r = this.#nextNonSpace();
        if (r.type !== "rightDelim") this.#unexpected(r, `{{${t.type}}}`);
        if (this.#rangeDepth === 0) this.#errorf(`{{${t.type}}} outside {{range}}`);
        return { type: t.type, pos: t.pos };
      }
      case "else":
        return this.#elseControl();
      case "end":
        return { type: "end", pos: this.#expect("rightDelim", "end").pos };
      case "if":
      case "range":
      case "with":
        return this.#control(t.type);
      case "template":
        return this.#templateControl();
    }
    this.#backup();
    const tok = this.#peek();
    return {
      type: "action",
      pos: tok.pos,
      line: tok.line,
      pipe: this.#pipeline("command", "rightDelim"),
    };
  }

  #elseControl(): Control {
    const peek = this.#peekNonSpace();
    if (peek.type === "if" || peek.type === "with") {
      return { type: "else", pos: peek.pos, line: peek.line };
    }
    const t = this.#expect("rightDelim", "else");
    return { type: "else", pos: t.pos, line: t.line };
  }

  #control(context: "if" | "range" | "with"): Node {
    const saved = this.#vars.length;
    try {
      const pipe = this.#pipeline(context, "rightDelim");
      if (context === "range") this.#rangeDepth++;
      let list: ListNode;
      let next: Control;
      try {
        [list, next] = this.#itemList();
      } finally {
        if (context === "range") this.#rangeDepth--;
      }
      let elseList: ListNode | undefined;
      if (next.type === "else") {
        const nextType = this.#peek().type;
        if (
          (context === "if" && nextType === "if") || (context === "with" && nextType === "with")
        ) {
          this.#next();
          elseList = { type: "list", pos: next.pos, nodes: [this.#control(context)] };
        } else {
          let end: Control;
          [elseList, end] = this.#itemList();
          if (end.type !== "end") this.#errorf(`expected end; found ${controlString(end)}`);
        }
      }
      return { type: context, pos: pipe.pos, line: pipe.line, pipe, list, elseList };
    } finally {
      this.#vars.length = saved;
    }
  }

  #templateControl(): TemplateNode {
    const context = "template clause";
    const t = this.#nextNonSpace();
    const name = this.#templateName(t, context);
    let pipe: PipeNode | undefined;
    if (this.#nextNonSpace().type !== "rightDelim") {
      this.#backup();
      pipe = this.#pipeline(context, "rightDelim");
    }
    return { type: "template", pos: t.pos, line: t.line, name, pipe };
  }

  #blockControl(): TemplateNode {
    const context = "block clause";
    const t = this.#nextNonSpace();
    const name = this.#templateName(t, context);
    const pipe = this.#pipeline(context, "rightDelim");
    this.#withFreshScope(() => {
      const [list, end] = this.#itemList();
      if (end.type !== "end") this.#errorf(`unexpected ${controlString(end)} in ${context}`);
      this.#add({ name, root: list });
    });
    return { type: "template", pos: t.pos, line: t.line, name, pipe };
  }

  // --- pipelines

  #pipeline(context: string, end: "rightDelim" | "rightParen"): PipeNode {
    const first = this.#peekNonSpace();
    const pipe: PipeNode = {
      type: "pipe",
      pos: first.pos,
      line: first.line,
      isAssign: false,
      decl: [],
      cmds: [],
    };
    decls: for (;;) {
      const v = this.#peekNonSpace();
      if (v.type !== "variable") break;
      const vIndex = this.#i;
      this.#nextNonSpace();
      const tokenAfterVariable = this.#peek();
      const next = this.#peekNonSpace();
      if (next.type === "assign" || next.type === "declare") {
        pipe.isAssign = next.type === "assign";
        this.#nextNonSpace();
        pipe.decl.push(newVariable(v.pos, v.val));
        this.#vars.push(v.val);
      } else if (next.type === "char" && next.val === ",") {
        this.#nextNonSpace();
        pipe.decl.push(newVariable(v.pos, v.val));
        this.#vars.push(v.val);
        if (context === "range" && pipe.decl.length < 2) {
          const k = this.#peekNonSpace().type;
          if (k === "variable" || k === "rightDelim" || k === "rightParen") continue decls;
          this.#errorf("range can only initialize variables");
        }
        this.#errorf(`too many declarations in ${context}`);
      } else if (tokenAfterVariable.type === "space") {
        this.#i = vIndex;
      } else {
        this.#i = vIndex;
      }
      break;
    }
    for (;;) {
      const t = this.#nextNonSpace();
      if (t.type === end) {
        this.#checkPipeline(pipe, context);
        return pipe;
      }
      switch (t.type) {
        case "bool":
        case "charConstant":
        case "dot":
        case "field":
        case "identifier":
        case "number":
        case "nil":
        case "rawString":
        case "string":
        case "variable":
        case "leftParen":
          this.#backup();
          pipe.cmds.push(this.#command(pipe.cmds.length > 0));
          break;
        default:
          this.#unexpected(t, context);
      }
    }
  }

  #checkPipeline(pipe: PipeNode, context: string): void {
    if (pipe.cmds.length === 0) this.#errorf(`missing value for ${context}`);
    pipe.cmds.slice(1).forEach((c, i) => {
      const k = c.args[0]!.type;
      if (k === "bool" || k === "dot" || k === "nil" || k === "number" || k === "string") {
        this.#errorf(`non executable command in pipeline stage ${i + 2}`);
      }
    });
  }

  #command(piped = false): CommandNode {
    const cmd: CommandNode = { type: "command", pos: this.#peekNonSpace().pos, args: [] };
    for (;;) {
      this.#peekNonSpace();
      const operand = this.#operand();
      if (operand !== undefined) cmd.args.push(operand);
      const t = this.#next();
      if (t.type === "space") continue;
      if (t.type === "rightDelim" || t.type === "rightParen") this.#backup();
      else if (t.type !== "pipe") this.#unexpected(t, "operand");
      break;
    }
    if (cmd.args.length === 0) this.#errorf("empty command");
    this.#recordSecret(cmd, piped);
    return cmd;
  }

  /** Lists a `secret`/`pkiCert` call once per function and arguments (a piped value is computed). */
  #recordSecret(cmd: CommandNode, piped: boolean): void {
    const [head, ...rest] = cmd.args;
    if (head?.type !== "identifier" || !VAULT_FUNCTIONS.includes(head.ident)) return;
    const literal = !piped && rest.length > 0 && rest.every((a) => a.type === "string");
    const args = literal ? rest.map((a) => (a as { text: string }).text) : null;
    const id = JSON.stringify([head.ident, args ?? cmd.pos]);
    if (this.#seenCalls.has(id)) return;
    this.#seenCalls.add(id);
    this.secretCalls.push({ fn: head.ident, args, line: this.#actionLine });
  }

  #operand(): ArgNode | undefined {
    const node = this.#term();
    if (node === undefined) return undefined;
    if (this.#peek().type !== "field") return node;
    const fields: string[] = [];
    const pos = this.#peek().pos;
    while (this.#peek().type === "field") fields.push(this.#next().val.slice(1));
    switch (node.type) {
      case "field":
        return { type: "field", pos, ident: [...node.ident, ...fields] };
      case "variable":
        return { type: "variable", pos, ident: [...node.ident, ...fields] };
      case "bool":
      case "string":
      case "number":
      case "nil":
      case "dot":
        this.#errorf(`unexpected . after term ${goQuote(nodeString(node))}`);
    }
    return { type: "chain", pos, node, field: fields };
  }

  #term(): ArgNode | undefined {
    const t = this.#nextNonSpace();
    switch (t.type) {
      case "identifier":
        if (!this.hasFunction(t.val)) this.#errorf(`function ${goQuote(t.val)} not defined`);
        return { type: "identifier", pos: t.pos, ident: t.val };
      case "dot":
        return { type: "dot", pos: t.pos };
      case "nil":
        return { type: "nil", pos: t.pos };
      case "variable": {
        const v = newVariable(t.pos, t.val);
        if (!this.#vars.includes(v.ident[0]!)) {
          this.#errorf(`undefined variable ${goQuote(v.ident[0]!)}`);
        }
        return v;
      }
      case "field":
        return { type: "field", pos: t.pos, ident: [t.val.slice(1)] };
      case "bool":
        return { type: "bool", pos: t.pos, value: t.val === "true" };
      case "charConstant":
      case "number":
        return this.#number(t);
      case "leftParen":
        return this.#pipeline("parenthesized pipeline", "rightParen");
      case "string":
      case "rawString":
        try {
          return { type: "string", pos: t.pos, quoted: t.val, text: unquote(t.val) };
        } catch (e) {
          this.#errorf((e as Error).message);
        }
    }
    this.#backup();
    return undefined;
  }

  #number(t: Item): NumberNode {
    try {
      return newNumber(t.pos, t.val, t.type === "charConstant");
    } catch (e) {
      this.#errorf((e as Error).message);
    }
  }
}

function newVariable(pos: number, text: string): VariableNode {
  return { type: "variable", pos, ident: text.split(".") };
}

/** Mirrors parse.newNumber: classifies a literal as int/uint/float. */
export function newNumber(pos: number, text: string, isChar: boolean): NumberNode {
  const n: NumberNode = {
    type: "number",
    pos,
    text,
    isInt: false,
    isUint: false,
    isFloat: false,
    int: 0n,
    float: 0,
    isChar,
  };
  if (isChar) {
    let v: number;
    let next: number;
    try {
      [v, , next] = unquoteChar(text, 1, "'");
    } catch {
      throw new Error("invalid syntax");
    }
    if (text.slice(next) !== "'") throw new Error(`malformed character constant: ${text}`);
    n.isInt = n.isUint = n.isFloat = true;
    n.int = BigInt(v);
    n.float = v;
    return n;
  }
  if (text.endsWith("i")) throw new Error(`illegal number syntax: ${goQuote(text)}`);
  const u = parseGoInt(text, true);
  if (u !== undefined) {
    n.isUint = true;
  }
  const i = parseGoInt(text);
  if (i !== undefined) {
    n.isInt = true;
    n.int = i;
    if (i === 0n) n.isUint = true;
  }
  if (n.isInt) {
    n.isFloat = true;
    n.float = Number(n.int);
  } else if (n.isUint) {
    n.isFloat = true;
    n.int = u!;
    n.float = Number(u);
  } else {
    const f = parseGoFloat(text);
    if (f !== undefined) {
      if (!/[.eEpP]/.test(text)) throw new Error(`integer overflow: ${goQuote(text)}`);
      if (!Number.isFinite(f)) throw new Error(`illegal number syntax: ${goQuote(text)}`);
      n.isFloat = true;
      n.float = f;
      if (Number.isInteger(f) && Math.abs(f) < 2 ** 63) {
        n.isInt = true;
        n.int = BigInt(f);
      }
      if (Number.isInteger(f) && f >= 0 && f < 2 ** 64) {
        n.isUint = true;
      }
    }
  }
  if (!n.isInt && !n.isUint && !n.isFloat) {
    throw new Error(`illegal number syntax: ${goQuote(text)}`);
  }
  return n;
}

function itemString(t: Item): string {
  if (t.type === "eof") return "EOF";
  if (t.type === "error") return t.val;
  const keywords = [
    "block",
    "break",
    "continue",
    "dot",
    "define",
    "else",
    "end",
    "if",
    "nil",
    "range",
    "template",
    "with",
  ];
  if (keywords.includes(t.type)) return `<${t.val}>`;
  if ([...t.val].length > 10) {
    return goQuote([...t.val].slice(0, 10).join("")).slice(0, -1) + '"...';
  }
  return goQuote(t.val);
}

function controlString(c: Control): string {
  if (c.type === "end") return "{{end}}";
  if (c.type === "else") return "{{else}}";
  return nodeString(c as Node);
}
