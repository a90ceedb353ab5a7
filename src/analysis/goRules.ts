// Go rules: receive loops of server handlers with no idle timeout, servers without keepalive.
// A stream is a server stream by its declared type (a handler's parameter, a helper's parameter,
// a struct field), never by what the loop around it looks like: client streams are never findings.
import type { Node, Tree } from 'web-tree-sitter';
import { importName, importSpecs, parametersOf, resultShape } from './goSyntax';
import { Spellings } from './spellings';
import type { Finding, FixKind } from './types';

export interface GoRecvLoop {
  kind: 'recv-loop';
  loop: Node;
  /** The statement to insert before: the loop, or its label. */
  statement: Node;
  recvCalls: Node[];
  streamExpr: string;
  fn: Node;
}

export interface GoNewServer {
  kind: 'new-server';
  call: Node;
  grpcName: string;
}

export type GoFinding = Finding & { site: GoRecvLoop | GoNewServer };

/** Generated `<Service>_<Method>Server`, or grpc's generic server streams that can receive. */
export const SERVER_STREAM_TYPE = /^\*?(?:\w+\.)?(?:[A-Z]\w*_\w+Server|BidiStreamingServer|ClientStreamingServer)(?:\[[^\]]*\])?$/s;

function toRange(n: Node): Finding['range'] {
  return { start: { line: n.startPosition.row, column: n.startPosition.column }, end: { line: n.endPosition.row, column: n.endPosition.column } };
}

// The rules look only where they can find something (spellings.ts). A whole-tree query visits
// every node of the file inside the WebAssembly parser (15 ms for 10,000 lines before it returns a
// single capture); instead each place that spells a name the rules care about ("Recv", "Done",
// "EOF"...) is looked up in the syntax tree, walking down from its top-level declaration.

const FUNCTION_TYPES = new Set(['function_declaration', 'method_declaration', 'func_literal']);

/** Finds the syntax around a token, from its top-level declaration down, one step per level. */
class TokenLocator {
  /** Top-level declarations by start offset, materialized only when a token is looked up in them. */
  private readonly starts: number[] = [];
  private readonly ends: number[] = [];
  private readonly decls: Array<Node | null> = [];

  constructor(private readonly root: Node) {
    // A 10,000-line file has hundreds of top-level declarations: step over them with a cursor
    // (offsets only) rather than make an object of each.
    const c = root.walk();
    try {
      for (let ok = c.gotoFirstChild(); ok; ok = c.gotoNextSibling()) {
        this.starts.push(c.startIndex);
        this.ends.push(c.endIndex);
        this.decls.push(null);
      }
    } finally {
      c.delete();
    }
  }

  /** The token that starts at `offset` and its ancestors (top-level declaration first, the token last), or null. */
  pathTo(offset: number): Node[] | null {
    const top = this.declarationAt(offset);
    if (!top) return null;
    const leaf = top.descendantForIndex(offset, offset + 1);
    if (!leaf || leaf.startIndex !== offset) return null;
    const path: Node[] = [top];
    // childWithDescendant walks down; Node.parent would search from the root at every step.
    for (let n: Node | null = top; n && n.id !== leaf.id; ) {
      n = n.childWithDescendant(leaf);
      if (n) path.push(n);
    }
    return path[path.length - 1].id === leaf.id ? path : null;
  }

  private declarationAt(offset: number): Node | null {
    let lo = 0;
    let hi = this.starts.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.ends[mid] <= offset) lo = mid + 1;
      else hi = mid;
    }
    if (lo === this.starts.length || this.starts[lo] > offset) return null;
    this.decls[lo] ??= this.root.child(lo);
    return this.decls[lo];
  }

  /**
   * Where `name` is the field of a selector (`x.name`): the path ending at the field identifier,
   * and the selector node. With `called`, only where the selector is called (`x.name(...)`).
   */
  selectorAt(offset: number, name: string, called: boolean): { path: Node[]; selector: Node; call: Node | null } | null {
    const path = this.pathTo(offset);
    if (!path || path.length < 2) return null;
    const leaf = path[path.length - 1];
    const selector = path[path.length - 2];
    if (leaf.type !== 'field_identifier' || leaf.endIndex - leaf.startIndex !== name.length || selector.type !== 'selector_expression') return null;
    const parent = path[path.length - 3];
    const call = parent && parent.type === 'call_expression' && parent.startIndex === selector.startIndex ? parent : null;
    if (called && !call) return null;
    return { path, selector, call };
  }
}

/**
 * grpc.NewServer(opts...) where opts is a parameter of the function around it: the caller's
 * options, which may well hold keepalive; nothing here says they do not.
 */
function forwardsCallersOptions(call: Node, path: Node[]): boolean {
  const spread = call.childForFieldName('arguments')?.namedChildren.find((c) => c?.type === 'variadic_argument');
  const name = spread?.namedChild(0);
  if (!name || name.type !== 'identifier') return false;
  for (let i = path.length - 1; i >= 0; i--) {
    if (FUNCTION_TYPES.has(path[i].type)) return parametersOf(path[i]).some((p) => p.name === name.text);
  }
  return false;
}

/** Field name → declared types, from the struct types of the file. */
function structFieldTypes(root: Node): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (let i = 0, n = root.namedChildCount; i < n; i++) {
    const decl = root.namedChild(i);
    if (!decl || decl.type !== 'type_declaration' || !decl.text.includes('Server')) continue;
    for (const field of decl.descendantsOfType('field_declaration')) {
      const type = field?.childForFieldName('type')?.text;
      if (!field || !type) continue;
      for (const c of field.namedChildren) {
        if (c?.type !== 'field_identifier') continue;
        const list = out.get(c.text) ?? [];
        list.push(type);
        out.set(c.text, list);
      }
    }
  }
  return out;
}

function typeOfIdentifier(name: string, fns: Node[], cache: Map<number, Array<{ name: string; type: string }>>): string | null {
  for (const fn of fns) {
    let params = cache.get(fn.startIndex);
    if (!params) cache.set(fn.startIndex, (params = parametersOf(fn)));
    const p = params.find((x) => x.name === name);
    if (p) return p.type.replace(/^\*/, '');
  }
  return null;
}

/**
 * The findings of a tree parsed from `text`. Spellings are looked up in the text itself: the
 * root node starts at the first token, after any blank lines or byte-order mark.
 */
export function analyzeGoTree(tree: Tree, text: string): GoFinding[] {
  const root = tree.rootNode;
  // No gRPC import needed: handler files often import only their generated package.
  return findGo(new Spellings(text), new TokenLocator(root), importSpecs(root), root);
}

function findGo(spelled: Spellings, locator: TokenLocator, specs: Node[], root: Node): GoFinding[] {
  const findings: GoFinding[] = [];
  const params = new Map<number, Array<{ name: string; type: string }>>();
  let fields: Map<string, string[]> | null = null;
  /** The declared type says server stream: a parameter (`stream pb.X_YServer`) or a struct field (`s.stream`). */
  const isServerStream = (operand: Node, fns: Node[]): boolean => {
    if (operand.type === 'identifier') {
      const declared = typeOfIdentifier(operand.text, fns, params);
      return declared !== null && SERVER_STREAM_TYPE.test(declared);
    }
    if (operand.type === 'selector_expression') {
      const field = operand.childForFieldName('field')?.text;
      if (!field) return false;
      fields ??= structFieldTypes(root);
      const types = fields.get(field) ?? [];
      // Every struct field of that name must be a server stream: a client field of the same name makes it unknown.
      return types.length > 0 && types.every((t) => SERVER_STREAM_TYPE.test(t));
    }
    return false;
  };
  /** `X.Done()`, `ctx.Err()` or `X.Context().Err()` in [start, end). */
  const checksContext = (start: number, end: number): boolean =>
    spelled.of('Done', start, end).some((o) => {
      // ctx.Done(), stream.Context().Done(): not wg.Done() or a done channel of the handler's own.
      const operand = locator.selectorAt(o, 'Done', true)?.selector.childForFieldName('operand');
      return !!operand && (/(?:^|\.)ctx$/i.test(operand.text) || operand.text.endsWith('.Context()'));
    }) ||
    spelled.of('Err', start, end).some((o) => {
      const operand = locator.selectorAt(o, 'Err', true)?.selector.childForFieldName('operand');
      return !!operand && (operand.text === 'ctx' || operand.text.endsWith('.Context()'));
    });

  // recv-loop-ignores-context: group Recv() calls by their nearest enclosing loop.
  const loops = new Map<number, GoRecvLoop>();
  for (const o of spelled.of('Recv')) {
    const at = locator.selectorAt(o, 'Recv', true);
    if (!at || !at.call || (at.call.childForFieldName('arguments')?.namedChildCount ?? 0) > 0) continue;
    // The innermost loop or function around the call must be a loop of this function.
    let loopIndex = -1;
    const fns: Node[] = [];
    for (let i = at.path.length - 1; i >= 0; i--) {
      const step = at.path[i];
      if (step.type === 'for_statement' && fns.length === 0 && loopIndex === -1) loopIndex = i;
      else if (FUNCTION_TYPES.has(step.type)) fns.push(step);
    }
    if (loopIndex === -1 || fns.length === 0) continue;
    const loop = at.path[loopIndex];
    const operand = at.selector.childForFieldName('operand');
    if (!operand) continue;
    const existing = loops.get(loop.startIndex);
    if (existing) {
      if (existing.streamExpr === operand.text) existing.recvCalls.push(at.call);
      continue;
    }
    if (!isServerStream(operand, fns)) continue;
    const above = at.path[loopIndex - 1];
    const statement = above && above.type === 'labeled_statement' ? above : loop;
    loops.set(loop.startIndex, { kind: 'recv-loop', loop, statement, recvCalls: [at.call], streamExpr: operand.text, fn: fns[0] });
  }
  const grpcName = importName(specs, 'google.golang.org/grpc');
  const hasKeepalive = spelled.of('KeepaliveParams').some((o) => locator.selectorAt(o, 'KeepaliveParams', false)?.selector.childForFieldName('operand')?.type === 'identifier');
  for (const site of loops.values()) {
    const fixes: FixKind[] = [];
    // Checking the context between messages stops the handler's own work early; it cannot unblock Recv.
    if (resultShape(site.fn) !== 'other' && !checksContext(site.loop.startIndex, site.loop.endIndex)) fixes.push('context-aware');
    fixes.push('async-receive');
    const deadConnection = hasKeepalive
      ? 'a dead connection is noticed by the keepalive configured in this file'
      : 'a dead connection is noticed only by server keepalive (after about 2 h with grpc-go\'s defaults)';
    findings.push({
      rule: 'recv-without-idle-timeout',
      language: 'go',
      range: toRange(site.recvCalls[0]),
      message: `This handler blocks in ${site.streamExpr}.Recv() with no idle timeout: a client that goes silent keeps this goroutine forever, and ${deadConnection}.`,
      fixes,
      site,
    });
  }

  // server-without-keepalive
  if (grpcName && !hasKeepalive) {
    for (const o of spelled.of('NewServer')) {
      const call = locator.selectorAt(o, 'NewServer', true);
      if (!call?.call || call.selector.childForFieldName('operand')?.text !== grpcName) continue;
      if (forwardsCallersOptions(call.call, call.path)) continue;
      findings.push({
        rule: 'server-without-keepalive',
        language: 'go',
        range: toRange(call.selector),
        message: 'This gRPC server has no keepalive: a client that vanishes without closing its connection is not noticed for about 2 hours (grpc-go default), and its streams stay open.',
        fixes: ['keepalive'],
        site: { kind: 'new-server', call: call.call, grpcName },
      });
    }
  }
  return findings.sort((a, b) => a.range.start.line - b.range.start.line || a.range.start.column - b.range.start.column);
}
