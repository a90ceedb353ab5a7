// Go rules: receive loops that ignore the stream's context, servers without keepalive.
import webTreeSitter = require('web-tree-sitter');
import type { Node, Tree } from 'web-tree-sitter';
import { descendants, enclosing, FUNCTION_TYPES, importName, importsAny, parametersOf, resultShape, selectorCall } from './goSyntax';
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

function typeOfIdentifier(name: string, from: Node): string | null {
  for (let fn = enclosing(from, FUNCTION_TYPES); fn; fn = enclosing(fn, FUNCTION_TYPES)) {
    const p = parametersOf(fn).find((x) => x.name === name);
    if (p) return p.type.replace(/^\*/, '');
  }
  return null;
}

function watchesContext(loop: Node): boolean {
  for (const call of descendants(loop, 'call_expression')) {
    const s = selectorCall(call);
    if (!s) continue;
    if (s.field === 'Done') return true;
    if (s.field === 'Err' && (s.operand.text === 'ctx' || /\.Context\(\)$/.test(s.operand.text))) return true;
  }
  return false;
}

function checksEOF(loop: Node, ioName: string | null): boolean {
  if (!ioName) return false;
  return descendants(loop, 'selector_expression').some((s) => s.childForFieldName('operand')?.text === ioName && s.childForFieldName('field')?.text === 'EOF');
}

function toRange(n: Node): Finding['range'] {
  return { start: { line: n.startPosition.row, column: n.startPosition.column }, end: { line: n.endPosition.row, column: n.endPosition.column } };
}

// Queries run inside the WebAssembly parser: far cheaper than walking every node from JavaScript.
const QUERY_SOURCE = `
(call_expression
  function: (selector_expression operand: (_) @operand field: (field_identifier) @field)
  arguments: (argument_list) @args) @call
(selector_expression field: (field_identifier) @keepalive (#eq? @keepalive "KeepaliveParams"))
`;
const queries = new WeakMap<object, webTreeSitter.Query>();

function queryFor(tree: Tree): webTreeSitter.Query {
  const lang = tree.language;
  let q = queries.get(lang);
  if (!q) queries.set(lang, (q = new webTreeSitter.Query(lang, QUERY_SOURCE)));
  return q;
}

interface SelectorCallMatch {
  call: Node;
  operand: Node;
  field: string;
  argCount: number;
}

function scan(tree: Tree): { calls: SelectorCallMatch[]; hasKeepalive: boolean } {
  const calls: SelectorCallMatch[] = [];
  let hasKeepalive = false;
  for (const m of queryFor(tree).matches(tree.rootNode)) {
    const by = (name: string): Node | undefined => m.captures.find((c) => c.name === name)?.node;
    if (by('keepalive')) {
      hasKeepalive = true;
      continue;
    }
    const field = by('field')?.text;
    if (field !== 'Recv' && field !== 'NewServer') continue;
    const call = by('call') as Node;
    const args = by('args') as Node;
    calls.push({ call, operand: by('operand') as Node, field, argCount: args.namedChildCount });
  }
  return { calls, hasKeepalive };
}

export function analyzeGoTree(tree: Tree): GoFinding[] {
  const root = tree.rootNode;
  if (!importsAny(root, 'google.golang.org/grpc')) return [];
  const findings: GoFinding[] = [];
  const ioName = importName(root, 'io');
  const { calls, hasKeepalive } = scan(tree);

  // recv-loop-ignores-context: group Recv() calls by their nearest enclosing loop.
  const loops = new Map<number, GoRecvLoop>();
  for (const s of calls) {
    const call = s.call;
    if (s.field !== 'Recv' || s.argCount > 0) continue;
    const loop = enclosing(call, ['for_statement', ...FUNCTION_TYPES]);
    if (!loop || loop.type !== 'for_statement') continue;
    const fn = enclosing(loop, FUNCTION_TYPES);
    if (!fn) continue;
    const operand = s.operand;
    const declared = operand.type === 'identifier' ? typeOfIdentifier(operand.text, call) : null;
    const isStream = (declared !== null && STREAM_TYPE.test(declared)) || checksEOF(loop, ioName);
    if (!isStream) continue;
    const existing = loops.get(loop.startIndex);
    if (existing) {
      if (existing.streamExpr === operand.text) existing.recvCalls.push(call);
      continue;
    }
    const statement = loop.parent?.type === 'labeled_statement' ? loop.parent : loop;
    loops.set(loop.startIndex, { kind: 'recv-loop', loop, statement, recvCalls: [call], streamExpr: operand.text, fn });
  }
  for (const site of loops.values()) {
    if (watchesContext(site.loop)) continue;
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
  const grpcName = importName(root, 'google.golang.org/grpc');
  if (grpcName) {
    if (!hasKeepalive) {
      for (const s of calls) {
        const call = s.call;
        if (s.field !== 'NewServer' || s.operand.text !== grpcName) continue;
        findings.push({
          rule: 'server-without-keepalive',
          language: 'go',
          range: toRange(call.childForFieldName('function') ?? call),
          message: 'This gRPC server has no keepalive: a client that vanishes without closing its connection is not noticed for about 2 hours (grpc-go default), and its streams stay open.',
          fixes: ['keepalive'],
          site: { kind: 'new-server', call, grpcName },
        });
      }
    }
  }
  return findings.sort((a, b) => a.range.start.line - b.range.start.line || a.range.start.column - b.range.start.column);
}
