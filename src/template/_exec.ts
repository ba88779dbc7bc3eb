/** Executes parse trees with Go text/template semantics (mirrors text/template/exec.go). */
import type {
  AnyNode,
  ArgNode,
  ChainNode,
  CommandNode,
  FieldNode,
  IdentifierNode,
  IfNode,
  ListNode,
  Node,
  NumberNode,
  PipeNode,
  RangeNode,
  VariableNode,
  WithNode,
} from "./_ast.ts";
import { nodeString } from "./_ast.ts";
import { goQuote } from "./_lexer.ts";
import type { Tree } from "./_parser.ts";
import { bytesOf, goTypeName, intOf, kindOf, mapEntries, sprint } from "./_fmt.ts";
import { type FuncDef, NON_NILLABLE, PARAM_TYPE_NAMES, type ParamType } from "./_func_def.ts";
import { type GoBytes, GoInt64, GoTime } from "./values.ts";
import { methodsOf } from "./_methods.ts";

/** No final argument from a previous pipeline stage. */
const MISSING: unique symbol = Symbol("missing");
type Final = unknown | typeof MISSING;

const MAX_EXEC_DEPTH = 100000;

export type MissingKey = "default" | "zero" | "error";

/** Thrown with a full Go-style message; converted to TemplateError by the caller. */
export class ExecFailure extends Error {
  constructor(
    message: string,
    readonly node: AnyNode | undefined,
    readonly templateName: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

class BreakSignal {}
class ContinueSignal {}
const BREAK = new BreakSignal();
const CONTINUE = new ContinueSignal();

interface Variable {
  name: string;
  value: unknown;
  /** Whether the value sits in an interface{} (came out of a container). */
  wrapped: boolean;
}

export interface ExecContext {
  parseName: string;
  source: string;
  trees: Map<string, Tree>;
  funcs: (name: string) => FuncDef | undefined;
  missingKey: MissingKey;
  /** Positions -> "line:col" as Go's ErrorContext computes. */
  location: (pos: number) => string;
}

/** Go's isTrue: the truth of a value for if/with/and/or/not. */
export function isTrue(v: unknown): boolean {
  if (v === undefined || v === null) return false;
  switch (typeof v) {
    case "boolean":
      return v;
    case "number":
      return v !== 0;
    case "bigint":
      return v !== 0n;
    case "string":
      return v.length > 0;
    case "function":
      return true;
  }
  switch (kindOf(v)) {
    case "int":
      return intOf(v) !== 0n;
    case "string":
      return String(v).length > 0;
    case "bytes":
      return bytesOf(v as GoBytes).length > 0;
    case "slice":
      return (v as unknown[]).length > 0;
    case "map":
      return v instanceof Map ? v.size > 0 : Object.keys(v as object).length > 0;
    default:
      return true;
  }
}

export class State {
  out: string[] = [];
  node: AnyNode | undefined;
  vars: Variable[];
  depth = 0;

  constructor(readonly ctx: ExecContext, public tmplName: string, dot: unknown) {
    this.vars = [{ name: "$", value: dot, wrapped: false }];
  }

  at(node: AnyNode): void {
    this.node = node;
  }

  errorf(msg: string, cause?: unknown): never {
    const name = this.tmplName;
    let full: string;
    if (this.node === undefined) {
      full = `template: ${name}: ${msg}`;
    } else {
      const location = this.ctx.location(this.node.pos);
      const context = nodeString(this.node);
      full = `template: ${location}: executing ${goQuote(name)} at <${context}>: ${msg}`;
    }
    throw new ExecFailure(full, this.node, name, cause === undefined ? undefined : { cause });
  }

  mark(): number {
    return this.vars.length;
  }
  pop(mark: number): void {
    this.vars.length = mark;
  }
  push(name: string, value: unknown, wrapped = false): void {
    this.vars.push({ name, value, wrapped });
  }
  setVar(name: string, value: unknown, wrapped = false): void {
    for (let i = this.vars.length - 1; i >= 0; i--) {
      if (this.vars[i]!.name === name) {
        this.vars[i]!.value = value;
        this.vars[i]!.wrapped = wrapped;
        return;
      }
    }
    this.errorf(`undefined variable: ${name}`);
  }
  setTopVar(n: number, value: unknown, wrapped: boolean): void {
    const v = this.vars[this.vars.length - n]!;
    v.value = value;
    v.wrapped = wrapped;
  }
  varValue(name: string): Variable {
    for (let i = this.vars.length - 1; i >= 0; i--) {
      if (this.vars[i]!.name === name) return this.vars[i]!;
    }
    this.errorf(`undefined variable: ${name}`);
  }

  // ------------------------------------------------------------ walking

  walk(dot: unknown, node: Node | ListNode, dotWrapped = false): void {
    this.at(node);
    switch (node.type) {
      case "action": {
        const val = this.evalPipeline(dot, node.pipe, dotWrapped);
        if (node.pipe.decl.length === 0) this.printValue(node, val);
        return;
      }
      case "break":
        throw BREAK;
      case "comment":
        return;
      case "continue":
        throw CONTINUE;
      case "if":
      case "with":
        return this.walkIfOrWith(node.type, dot, node, dotWrapped);
      case "list":
        for (const n of node.nodes) this.walk(dot, n, dotWrapped);
        return;
      case "range":
        return this.walkRange(dot, node, dotWrapped);
      case "template":
        return this.walkTemplate(dot, node, dotWrapped);
      case "text":
        this.out.push(node.text);
        return;
    }
  }

  walkIfOrWith(
    kind: "if" | "with",
    dot: unknown,
    node: IfNode | WithNode,
    dotWrapped: boolean,
  ): void {
    const mark = this.mark();
    try {
      const val = this.evalPipeline(dot, node.pipe, dotWrapped);
      if (isTrue(val)) {
        if (kind === "with") this.walk(val, node.list, false);
        else this.walk(dot, node.list, dotWrapped);
      } else if (node.elseList) {
        this.walk(dot, node.elseList, dotWrapped);
      }
    } finally {
      this.pop(mark);
    }
  }

  walkRange(dot: unknown, r: RangeNode, dotWrapped: boolean): void {
    this.at(r);
    const mark = this.mark();
    try {
      const val = this.evalPipeline(dot, r.pipe, dotWrapped);
      const decl = r.pipe.decl;
      const oneIteration = (index: unknown, elem: unknown, wrapped: boolean): boolean => {
        if (decl.length > 0) {
          if (r.pipe.isAssign) {
            if (decl.length > 1) this.setVar(decl[0]!.ident[0]!, index);
            else this.setVar(decl[0]!.ident[0]!, elem, wrapped);
          } else {
            this.setTopVar(1, elem, wrapped);
          }
        }
        if (decl.length > 1) {
          if (r.pipe.isAssign) this.setVar(decl[1]!.ident[0]!, elem, wrapped);
          else this.setTopVar(2, index, false);
        }
        const m = this.mark();
        try {
          this.walk(elem, r.list, wrapped);
        } catch (e) {
          if (e === CONTINUE) return true;
          if (e === BREAK) return false;
          throw e;
        } finally {
          this.pop(m);
        }
        return true;
      };
      let ran = false;
      const kind = kindOf(val);
      if (kind === "slice") {
        const arr = val as unknown[];
        for (let i = 0; i < arr.length; i++) {
          ran = true;
          if (!oneIteration(BigInt(i), arr[i], true)) break;
        }
      } else if (kind === "bytes") {
        const b = bytesOf(val as GoBytes);
        for (let i = 0; i < b.length; i++) {
          ran = true;
          if (!oneIteration(BigInt(i), new GoInt64(BigInt(b[i]!), "uint8"), false)) break;
        }
      } else if (kind === "map") {
        for (const [k, v] of mapEntries(val)) {
          ran = true;
          if (!oneIteration(k, v, true)) break;
        }
      } else if (kind === "int") {
        const n = intOf(val);
        if (decl.length > 1) {
          this.errorf(`can't use ${n} to iterate over more than one variable`);
        }
        const wrap = val instanceof GoInt64;
        for (let i = 0n; i < n; i++) {
          ran = true;
          const x = wrap ? new GoInt64(i) : i;
          if (!oneIteration(x, x, false)) break;
        }
      } else if (kind === "invalid") {
        // An invalid value is likely a missing map key: range over nothing.
      } else if (kind === "nil") {
        // nil interface: nothing to range over
      } else {
        this.errorf(`range can't iterate over value of type ${goTypeName(val)}`);
      }
      if (!ran && r.elseList) this.walk(dot, r.elseList, dotWrapped);
    } finally {
      this.pop(mark);
    }
  }

  walkTemplate(dot: unknown, t: Extract<Node, { type: "template" }>, dotWrapped: boolean): void {
    this.at(t);
    const tree = this.ctx.trees.get(t.name);
    if (tree === undefined) this.errorf(`template ${goQuote(t.name)} not defined`);
    if (this.depth >= MAX_EXEC_DEPTH) {
      this.errorf(`exceeded maximum template depth (${MAX_EXEC_DEPTH})`);
    }
    const newDot = this.evalPipeline(dot, t.pipe, dotWrapped);
    const saved = { vars: this.vars, name: this.tmplName };
    this.depth++;
    this.tmplName = t.name;
    this.vars = [{ name: "$", value: newDot, wrapped: false }];
    try {
      this.walk(newDot, tree.root, false);
    } finally {
      this.depth--;
      this.vars = saved.vars;
      this.tmplName = saved.name;
    }
  }

  // ------------------------------------------------------------ evaluation

  evalPipeline(dot: unknown, pipe: PipeNode | undefined, dotWrapped = false): unknown {
    if (pipe === undefined) return undefined;
    this.at(pipe);
    let value: Final = MISSING;
    for (const cmd of pipe.cmds) {
      value = this.evalCommand(dot, cmd, value, dotWrapped);
      // An interface{} holding nil is "no value" once it leaves a command.
      if (value === null) value = undefined;
    }
    for (const v of pipe.decl) {
      if (pipe.isAssign) this.setVar(v.ident[0]!, value);
      else this.push(v.ident[0]!, value);
    }
    return value;
  }

  notAFunction(args: ArgNode[], final: Final): void {
    if (args.length > 1 || final !== MISSING) {
      this.errorf(`can't give argument to non-function ${nodeString(args[0])}`);
    }
  }

  evalCommand(dot: unknown, cmd: CommandNode, final: Final, dotWrapped: boolean): unknown {
    const first = cmd.args[0]!;
    switch (first.type) {
      case "field":
        return this.evalFieldNode(dot, first, cmd.args, final, dotWrapped);
      case "chain":
        return this.evalChainNode(dot, first, cmd.args, final, dotWrapped);
      case "identifier":
        return this.evalFunction(dot, first, cmd, cmd.args, final, dotWrapped);
      case "pipe":
        this.notAFunction(cmd.args, final);
        return this.evalPipeline(dot, first, dotWrapped);
      case "variable":
        return this.evalVariableNode(dot, first, cmd.args, final);
    }
    this.at(first);
    this.notAFunction(cmd.args, final);
    switch (first.type) {
      case "bool":
        return first.value;
      case "dot":
        return dot;
      case "nil":
        this.errorf("nil is not a command");
        break;
      case "number":
        return this.idealConstant(first);
      case "string":
        return first.text;
    }
    this.errorf(`can't evaluate command ${goQuote(nodeString(first))}`);
  }

  idealConstant(n: NumberNode): unknown {
    this.at(n);
    const isHexInt = /^[+-]?0[xX]/.test(n.text) && !/[pP]/.test(n.text);
    if (n.isFloat && !isHexInt && !n.isChar && /[.eEpP]/.test(n.text)) return n.float;
    if (n.isInt) return n.int;
    if (n.isUint) this.errorf(`${n.text} overflows int`);
    return undefined;
  }

  evalFieldNode(
    dot: unknown,
    field: FieldNode,
    args: ArgNode[],
    final: Final,
    dotWrapped: boolean,
  ): unknown {
    this.at(field);
    return this.evalFieldChain(dot, dot, dotWrapped, field, field.ident, args, final);
  }

  evalChainNode(
    dot: unknown,
    chain: ChainNode,
    args: ArgNode[],
    final: Final,
    dotWrapped: boolean,
  ): unknown {
    this.at(chain);
    if (chain.node.type === "nil") {
      this.errorf(`indirection through explicit nil in ${nodeString(chain)}`);
    }
    const pipe = this.evalArg(dot, "any", chain.node, dotWrapped);
    return this.evalFieldChain(dot, pipe, false, chain, chain.field, args, final);
  }

  evalVariableNode(dot: unknown, v: VariableNode, args: ArgNode[], final: Final): unknown {
    this.at(v);
    const value = this.varValue(v.ident[0]!);
    if (v.ident.length === 1) {
      this.notAFunction(args, final);
      return value.value;
    }
    return this.evalFieldChain(dot, value.value, value.wrapped, v, v.ident.slice(1), args, final);
  }

  evalFieldChain(
    _dot: unknown,
    receiver: unknown,
    wrapped: boolean,
    node: AnyNode,
    ident: string[],
    args: ArgNode[],
    final: Final,
  ): unknown {
    const n = ident.length;
    for (let i = 0; i < n - 1; i++) {
      receiver = this.evalField(_dot, ident[i]!, node, [], MISSING, receiver, wrapped);
      wrapped = true;
    }
    return this.evalField(_dot, ident[n - 1]!, node, args, final, receiver, wrapped);
  }

  evalField(
    dot: unknown,
    fieldName: string,
    node: AnyNode,
    args: ArgNode[],
    final: Final,
    receiver: unknown,
    wrapped: boolean,
  ): unknown {
    void node;
    if (receiver === undefined) {
      if (this.ctx.missingKey === "error") {
        this.errorf(`nil data; no entry for key ${goQuote(fieldName)}`);
      }
      return undefined;
    }
    const typ = wrapped ? "interface {}" : goTypeName(receiver);
    if (receiver === null) this.errorf(`nil pointer evaluating ${typ}.${fieldName}`);
    const method = methodsOf(receiver)?.[fieldName];
    if (method !== undefined) {
      return this.evalCall(dot, method, node, fieldName, args, final, false);
    }
    const hasArgs = args.length > 1 || final !== MISSING;
    if (kindOf(receiver) === "struct") {
      if (Object.hasOwn(receiver as object, fieldName)) {
        if (hasArgs) this.errorf(`${fieldName} has arguments but cannot be invoked as function`);
        const field = (receiver as Record<string, unknown>)[fieldName];
        return field === undefined ? null : field;
      }
      this.errorf(`can't evaluate field ${fieldName} in type ${typ}`);
    }
    if (kindOf(receiver) === "map") {
      if (hasArgs) this.errorf(`${fieldName} is not a method but has arguments`);
      let result: unknown;
      if (receiver instanceof Map) {
        result = receiver.has(fieldName) ? receiver.get(fieldName) : undefined;
        if (!receiver.has(fieldName)) result = undefined;
        else if (result === undefined) result = null;
      } else {
        const obj = receiver as Record<string, unknown>;
        if (Object.hasOwn(obj, fieldName)) {
          result = obj[fieldName];
          if (result === undefined) result = null;
        }
      }
      if (result === undefined) {
        switch (this.ctx.missingKey) {
          case "default":
            break;
          case "zero":
            result = null;
            break;
          case "error":
            this.errorf(`map has no entry for key ${goQuote(fieldName)}`);
        }
      }
      return result;
    }
    this.errorf(`can't evaluate field ${fieldName} in type ${typ}`);
  }

  evalFunction(
    dot: unknown,
    node: IdentifierNode,
    cmd: AnyNode,
    args: ArgNode[],
    final: Final,
    dotWrapped: boolean,
  ): unknown {
    this.at(node);
    const name = node.ident;
    const fn = this.ctx.funcs(name);
    if (fn === undefined) this.errorf(`${goQuote(name)} is not a defined function`);
    return this.evalCall(dot, fn, cmd, name, args, final, dotWrapped);
  }

  evalCall(
    dot: unknown,
    fn: FuncDef,
    node: AnyNode,
    name: string,
    allArgs: ArgNode[],
    final: Final,
    dotWrapped: boolean,
  ): unknown {
    const args = allArgs.slice(1);
    let numIn = args.length;
    if (final !== MISSING) numIn++;
    let numFixed = args.length;
    const nParams = fn.params.length + (fn.variadic !== undefined ? 1 : 0);
    if (fn.variadic !== undefined) {
      numFixed = fn.params.length;
      if (numIn < numFixed) {
        this.errorf(
          `wrong number of args for ${name}: want at least ${numFixed} got ${args.length}`,
        );
      }
    } else if (numIn !== nParams) {
      this.errorf(`wrong number of args for ${name}: want ${nParams} got ${numIn}`);
    }
    if (fn.lazy !== undefined) {
      let v: unknown;
      for (const arg of args) {
        v = this.evalArg(dot, "value", arg, dotWrapped);
        if (isTrue(v) === (fn.lazy === "or")) return v === null ? undefined : v;
      }
      if (final !== MISSING) v = final;
      return v === null ? undefined : v;
    }
    const argv: unknown[] = [];
    let i = 0;
    for (; i < numFixed && i < args.length; i++) {
      argv.push(this.evalArg(dot, fn.params[i]!, args[i]!, dotWrapped));
    }
    if (fn.variadic !== undefined) {
      for (; i < args.length; i++) argv.push(this.evalArg(dot, fn.variadic, args[i]!, dotWrapped));
    }
    if (final !== MISSING) {
      let t: ParamType;
      if (fn.variadic !== undefined) {
        t = numIn - 1 < numFixed ? fn.params[numIn - 1]! : fn.variadic;
      } else t = fn.params[fn.params.length - 1]!;
      argv.push(this.validateType(final, t));
    }
    if (name === "call" && fn.params[0] === "value") argv.unshift(nodeString(args[0]));
    let result: unknown;
    try {
      result = fn.fn(...argv);
    } catch (e) {
      if (e instanceof ExecFailure) throw e;
      this.at(node);
      const msg = e instanceof Error ? e.message : String(e);
      this.errorf(`error calling ${name}: ${msg}`, e);
    }
    return result;
  }

  validateType(value: unknown, typ: ParamType): unknown {
    if (typ === "value") return value;
    if (value === undefined || value === null) {
      if (value === null && NON_NILLABLE.has(typ)) {
        this.errorf(`wrong type for value; expected ${PARAM_TYPE_NAMES[typ]}; got interface {}`);
      }
      if (value === undefined && NON_NILLABLE.has(typ)) {
        this.errorf(`invalid value; expected ${PARAM_TYPE_NAMES[typ]}`);
      }
      return null;
    }
    const k = kindOf(value);
    let ok: boolean;
    switch (typ) {
      case "any":
        return value;
      case "string":
        ok = typeof value === "string";
        break;
      case "text":
        ok = typeof value === "string" || k === "bytes";
        break;
      case "int":
        ok = typeof value === "bigint";
        break;
      case "uint32":
        ok = false;
        break;
      case "int64":
        ok = value instanceof GoInt64;
        if (ok) return (value as GoInt64).value;
        break;
      case "float64":
        ok = k === "float";
        break;
      case "bool":
        ok = k === "bool";
        break;
      case "list":
      case "strings":
        ok = k === "slice";
        break;
      case "map":
        ok = k === "map";
        break;
      case "bytes":
        ok = k === "bytes";
        break;
      case "time":
        ok = value instanceof GoTime;
        break;
    }
    if (!ok) {
      this.errorf(
        `wrong type for value; expected ${PARAM_TYPE_NAMES[typ]}; got ${goTypeName(value)}`,
      );
    }
    return value;
  }

  evalArg(dot: unknown, typ: ParamType, n: ArgNode, dotWrapped: boolean): unknown {
    this.at(n);
    switch (n.type) {
      case "dot":
        return this.validateType(dot, typ);
      case "nil":
        if (!NON_NILLABLE.has(typ)) return null;
        this.errorf(`cannot assign nil to ${PARAM_TYPE_NAMES[typ]}`);
        break;
      case "field":
        return this.validateType(this.evalFieldNode(dot, n, [n], MISSING, dotWrapped), typ);
      case "variable":
        return this.validateType(this.evalVariableNode(dot, n, [], MISSING), typ);
      case "pipe":
        return this.validateType(this.evalPipeline(dot, n, dotWrapped), typ);
      case "identifier":
        return this.validateType(
          this.evalFunction(dot, n, n, [n], MISSING, dotWrapped),
          typ,
        );
      case "chain":
        return this.validateType(this.evalChainNode(dot, n, [], MISSING, dotWrapped), typ);
    }
    switch (typ) {
      case "bool":
        if (n.type === "bool") return n.value;
        this.errorf(`expected bool; found ${nodeString(n)}`);
        break;
      case "string":
      case "text":
        if (n.type === "string") return n.text;
        this.errorf(`expected string; found ${nodeString(n)}`);
        break;
      case "int":
      case "int64":
        if (n.type === "number" && n.isInt) return n.int;
        this.errorf(`expected integer; found ${nodeString(n)}`);
        break;
      case "uint32":
        if (n.type === "number" && n.isUint && n.int >= 0n && n.int < 1n << 32n) return n.int;
        this.errorf(`expected integer; found ${nodeString(n)}`);
        break;
      case "float64":
        if (n.type === "number" && n.isFloat) return n.float;
        this.errorf(`expected float; found ${nodeString(n)}`);
        break;
      case "any":
      case "value":
        switch (n.type) {
          case "bool":
            return n.value;
          case "number":
            return this.idealConstant(n);
          case "string":
            return n.text;
        }
    }
    this.errorf(`can't handle ${nodeString(n)} for arg of type ${PARAM_TYPE_NAMES[typ]}`);
  }

  printValue(node: AnyNode, v: unknown): void {
    this.at(node);
    if (v === undefined) {
      this.out.push("<no value>");
      return;
    }
    if (typeof v === "string") {
      this.out.push(v);
      return;
    }
    if (typeof v === "function") {
      this.errorf(`can't print ${nodeString(node)} of type ${goTypeName(v)}`);
    }
    this.out.push(sprint([v]));
  }
}
