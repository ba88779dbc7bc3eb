/** Parse tree of a template (mirrors text/template/parse/node.go). */

export type Node =
  | TextNode
  | ActionNode
  | IfNode
  | RangeNode
  | WithNode
  | TemplateNode
  | BreakNode
  | ContinueNode
  | CommentNode;

export interface ListNode {
  type: "list";
  pos: number;
  nodes: Node[];
}

export interface TextNode {
  type: "text";
  pos: number;
  text: string;
}

export interface CommentNode {
  type: "comment";
  pos: number;
}

export interface ActionNode {
  type: "action";
  pos: number;
  line: number;
  pipe: PipeNode;
}

export interface BranchNode {
  pos: number;
  line: number;
  pipe: PipeNode;
  list: ListNode;
  elseList: ListNode | undefined;
}
export interface IfNode extends BranchNode {
  type: "if";
}
export interface RangeNode extends BranchNode {
  type: "range";
}
export interface WithNode extends BranchNode {
  type: "with";
}

export interface TemplateNode {
  type: "template";
  pos: number;
  line: number;
  name: string;
  pipe: PipeNode | undefined;
}

export interface BreakNode {
  type: "break";
  pos: number;
}
export interface ContinueNode {
  type: "continue";
  pos: number;
}

export interface PipeNode {
  type: "pipe";
  pos: number;
  line: number;
  isAssign: boolean;
  decl: VariableNode[];
  cmds: CommandNode[];
}

export interface CommandNode {
  type: "command";
  pos: number;
  args: ArgNode[];
}

export type ArgNode =
  | FieldNode
  | ChainNode
  | IdentifierNode
  | VariableNode
  | DotNode
  | NilNode
  | BoolNode
  | NumberNode
  | StringNode
  | PipeNode;

export interface FieldNode {
  type: "field";
  pos: number;
  ident: string[];
}
export interface ChainNode {
  type: "chain";
  pos: number;
  node: ArgNode;
  field: string[];
}
export interface IdentifierNode {
  type: "identifier";
  pos: number;
  ident: string;
}
export interface VariableNode {
  type: "variable";
  pos: number;
  ident: string[];
}
export interface DotNode {
  type: "dot";
  pos: number;
}
export interface NilNode {
  type: "nil";
  pos: number;
}
export interface BoolNode {
  type: "bool";
  pos: number;
  value: boolean;
}
export interface NumberNode {
  type: "number";
  pos: number;
  text: string;
  isInt: boolean;
  isUint: boolean;
  isFloat: boolean;
  int: bigint;
  float: number;
  /** True for a rune constant like 'a'. */
  isChar: boolean;
}
export interface StringNode {
  type: "string";
  pos: number;
  quoted: string;
  text: string;
}

export type AnyNode = Node | ArgNode | ListNode | CommandNode;

/** Go's Node.String(): the source form of a node, used in error contexts. */
export function nodeString(n: AnyNode | undefined): string {
  if (n === undefined) return "";
  switch (n.type) {
    case "list":
      return n.nodes.map(nodeString).join("");
    case "text":
      return JSON.stringify(n.text);
    case "comment":
      return "{{/* */}}";
    case "action":
      return `{{${nodeString(n.pipe)}}}`;
    case "if":
    case "range":
    case "with": {
      const e = n.elseList ? `{{else}}${nodeString(n.elseList)}` : "";
      return `{{${n.type} ${nodeString(n.pipe)}}}${nodeString(n.list)}${e}{{end}}`;
    }
    case "template":
      return n.pipe
        ? `{{template ${JSON.stringify(n.name)} ${nodeString(n.pipe)}}}`
        : `{{template ${JSON.stringify(n.name)}}}`;
    case "break":
      return "{{break}}";
    case "continue":
      return "{{continue}}";
    case "pipe": {
      let s = "";
      if (n.decl.length > 0) {
        s = n.decl.map(nodeString).join(", ") + (n.isAssign ? " = " : " := ");
      }
      return s + n.cmds.map(nodeString).join(" | ");
    }
    case "command":
      return n.args.map((a) => a.type === "pipe" ? `(${nodeString(a)})` : nodeString(a)).join(
        " ",
      );
    case "field":
      return n.ident.map((i) => "." + i).join("");
    case "chain": {
      const base = n.node.type === "pipe" ? `(${nodeString(n.node)})` : nodeString(n.node);
      return base + n.field.map((f) => "." + f).join("");
    }
    case "identifier":
      return n.ident;
    case "variable":
      return n.ident.join(".");
    case "dot":
      return ".";
    case "nil":
      return "nil";
    case "bool":
      return n.value ? "true" : "false";
    case "number":
      return n.text;
    case "string":
      return n.quoted;
  }
}
