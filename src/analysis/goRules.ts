// Go rules: receive loops that ignore the stream's context, servers without keepalive.
import webTreeSitter = require('web-tree-sitter');
import type { Node, Tree } from 'web-tree-sitter';
import { importName, importSpecs, importsAny, parametersOf, resultShape } from './goSyntax';
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

// One query, run inside the WebAssembly parser, collects everything the rules look at; the rules
// then work on offsets. Walking nodes from JavaScript costs a boundary crossing per step.
const QUERY_SOURCE = `
(call_expression
  function: (selector_expression operand: (_) @operand field: (field_identifier) @field (#any-of? @field "Recv" "NewServer" "Done" "Err"))
  arguments: (argument_list) @args) @call
(selector_expression operand: (identifier) @pkg field: (field_identifier) @sel (#any-of? @sel "EOF" "KeepaliveParams"))
(for_statement) @for
(function_declaration) @fn
(method_declaration) @fn
(func_literal) @fn
`;
const queries = new WeakMap<object, webTreeSitter.Query>();

function queryFor(tree: Tree): webTreeSitter.Query {
  const lang = tree.language;
  let q = queries.get(lang);
  if (!q) queries.set(lang, (q = new webTreeSitter.Query(lang, QUERY_SOURCE)));
  return q;
}

interface Span {
  node: Node;
  start: number;
  end: number;
  isLoop: boolean;
}

interface SelectorCallMatch {
  call: Node;
  start: number;
  operand: Node;
  field: string;
  argCount: number;
}

interface Scan {
  calls: SelectorCallMatch[];
  /** Offsets of `X.Done()` calls and of `ctx.Err()` / `X.Context().Err()` calls. */
  contextChecks: number[];
  /** Offsets of `io.EOF` (by the file's name for package io). */
  eofs: number[];
  hasKeepalive: boolean;
  /** for statements and functions, by start offset. */
  spans: Span[];
}

function scan(tree: Tree, ioName: string | null): Scan {
  const out: Scan = { calls: [], contextChecks: [], eofs: [], hasKeepalive: false, spans: [] };
  for (const m of queryFor(tree).matches(tree.rootNode)) {
    const c = m.captures;
    const first = c[0];
    if (first.name === 'for' || first.name === 'fn') {
      out.spans.push({ node: first.node, start: first.node.startIndex, end: first.node.endIndex, isLoop: first.name === 'for' });
      continue;
    }
    if (first.name === 'pkg' || first.name === 'sel') {
      const pkg = c.find((x) => x.name === 'pkg')?.node.text;
      const sel = c.find((x) => x.name === 'sel')?.node;
      if (!sel) continue;
      const field = sel.text;
      if (field === 'KeepaliveParams') out.hasKeepalive = true;
      else if (field === 'EOF' && pkg === ioName) out.eofs.push(sel.startIndex);
      continue;
    }
    const field = c.find((x) => x.name === 'field')?.node.text;
    const call = c.find((x) => x.name === 'call')?.node;
    const operand = c.find((x) => x.name === 'operand')?.node;
    if (!field || !call || !operand) continue;
    if (field === 'Done' || (field === 'Err' && (operand.text === 'ctx' || operand.text.endsWith('.Context()')))) {
      out.contextChecks.push(call.startIndex);
    } else if (field === 'Recv' || field === 'NewServer') {
      const args = c.find((x) => x.name === 'args')?.node;
      out.calls.push({ call, start: call.startIndex, operand, field, argCount: args ? args.namedChildCount : 0 });
    }
  }
  out.spans.sort((a, b) => a.start - b.start);
  return out;
}

/** The innermost span containing an offset, and the spans enclosing it (innermost first). */
function enclosingSpans(spans: Span[], at: number): Span[] {
  const inside: Span[] = [];
  for (const s of spans) {
    if (s.start > at) break;
    if (s.end > at) inside.push(s);
  }
  return inside.reverse();
}

const within = (offsets: number[], span: Span): boolean => offsets.some((o) => o >= span.start && o < span.end);

function typeOfIdentifier(name: string, fns: Span[], cache: Map<number, Array<{ name: string; type: string }>>): string | null {
  for (const fn of fns) {
    let params = cache.get(fn.start);
    if (!params) cache.set(fn.start, (params = parametersOf(fn.node)));
    const p = params.find((x) => x.name === name);
    if (p) return p.type.replace(/^\*/, '');
  }
  return null;
}

export function analyzeGoTree(tree: Tree): GoFinding[] {
  const root = tree.rootNode;
  const specs = importSpecs(root);
  if (!importsAny(specs, 'google.golang.org/grpc')) return [];
  const findings: GoFinding[] = [];
  const ioName = importName(specs, 'io');
  const { calls, contextChecks, eofs, hasKeepalive, spans } = scan(tree, ioName);
  const params = new Map<number, Array<{ name: string; type: string }>>();

  // recv-loop-ignores-context: group Recv() calls by their nearest enclosing loop.
  const loops = new Map<number, GoRecvLoop & { span: Span }>();
  for (const s of calls) {
    if (s.field !== 'Recv' || s.argCount > 0) continue;
    const around = enclosingSpans(spans, s.start);
    const loopSpan = around[0];
    if (!loopSpan || !loopSpan.isLoop) continue; // not directly in a loop of this function
    const fns = around.filter((x) => !x.isLoop);
    if (fns.length === 0) continue;
    const operand = s.operand;
    const existing = loops.get(loopSpan.start);
    if (existing) {
      if (existing.streamExpr === operand.text) existing.recvCalls.push(s.call);
      continue;
    }
    const declared = operand.type === 'identifier' ? typeOfIdentifier(operand.text, fns, params) : null;
    const isStream = (declared !== null && STREAM_TYPE.test(declared)) || within(eofs, loopSpan);
    if (!isStream) continue;
    const loop = loopSpan.node;
    const statement = loop.parent?.type === 'labeled_statement' ? loop.parent : loop;
    loops.set(loopSpan.start, { kind: 'recv-loop', loop, statement, recvCalls: [s.call], streamExpr: operand.text, fn: fns[0].node, span: loopSpan });
  }
  for (const { span, ...site } of loops.values()) {
    if (within(contextChecks, span)) continue;
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
