// Go rules: receive loops that ignore the stream's context, servers without keepalive.
import type { Node, Tree } from 'web-tree-sitter';
import { importName, importSpecs, importsAny, parametersOf, resultShape } from './goSyntax';
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

const STREAM_TYPE = /(?:^|\.)(?:\w+_\w+Server|BidiStreamingServer|ClientStreamingServer|ServerStream)(?:\[.*\])?$/s;

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
  const specs = importSpecs(root);
  if (!importsAny(specs, 'google.golang.org/grpc')) return [];
  return findGo(new Spellings(text), new TokenLocator(root), specs);
}

function findGo(spelled: Spellings, locator: TokenLocator, specs: Node[]): GoFinding[] {
  const findings: GoFinding[] = [];
  const ioName = importName(specs, 'io');
  const params = new Map<number, Array<{ name: string; type: string }>>();
  /** `io.EOF` somewhere in [start, end). */
  const mentionsEof = (start: number, end: number): boolean =>
    ioName !== null &&
    spelled.of('EOF', start, end).some((o) => {
      const operand = locator.selectorAt(o, 'EOF', false)?.selector.childForFieldName('operand');
      return operand?.type === 'identifier' && operand.text === ioName;
    });
  /** `X.Done()`, `ctx.Err()` or `X.Context().Err()` in [start, end). */
  const checksContext = (start: number, end: number): boolean =>
    spelled.of('Done', start, end).some((o) => !!locator.selectorAt(o, 'Done', true)) ||
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
    const declared = operand.type === 'identifier' ? typeOfIdentifier(operand.text, fns, params) : null;
    const isStream = (declared !== null && STREAM_TYPE.test(declared)) || mentionsEof(loop.startIndex, loop.endIndex);
    if (!isStream) continue;
    const above = at.path[loopIndex - 1];
    const statement = above && above.type === 'labeled_statement' ? above : loop;
    loops.set(loop.startIndex, { kind: 'recv-loop', loop, statement, recvCalls: [at.call], streamExpr: operand.text, fn: fns[0] });
  }
  for (const site of loops.values()) {
    if (checksContext(site.loop.startIndex, site.loop.endIndex)) continue;
    const fixes: FixKind[] = [];
    if (resultShape(site.fn) !== 'other') fixes.push('context-aware');
    fixes.push('async-receive');
    findings.push({
      rule: 'recv-loop-ignores-context',
      language: 'go',
      range: toRange(site.recvCalls[0]),
      message: `This loop blocks in ${site.streamExpr}.Recv() and never checks ${site.streamExpr}.Context(): if the client vanishes without closing its connection, the handler waits forever.`,
      fixes,
      site,
    });
  }

  // server-without-keepalive
  const grpcName = importName(specs, 'google.golang.org/grpc');
  const hasKeepalive = spelled.of('KeepaliveParams').some((o) => locator.selectorAt(o, 'KeepaliveParams', false)?.selector.childForFieldName('operand')?.type === 'identifier');
  if (grpcName && !hasKeepalive) {
    for (const o of spelled.of('NewServer')) {
      const call = locator.selectorAt(o, 'NewServer', true);
      if (!call?.call || call.selector.childForFieldName('operand')?.text !== grpcName) continue;
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
