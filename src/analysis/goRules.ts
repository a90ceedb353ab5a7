// Go rules: receive loops of server handlers with no idle timeout, send loops that wait on a
// channel but never on the stream's context, servers without keepalive.
// A stream is a server stream by its declared type (a handler's parameter, a helper's parameter,
// a struct field), never by what the loop around it looks like: client streams are never findings.
import type { Node, Tree } from 'web-tree-sitter';
import { importName, importSpecs, parametersOf, resultShape, receiveFixBlocker, statementsOf } from './goSyntax';
import { takesServerStream } from './goRegions';
import type { ChannelResults } from './goChannelMethods';
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

/** A server-streaming loop that waits on a channel between sends, never on the stream's context. */
export interface GoStreamWait {
  kind: 'stream-wait';
  /** range: `for v := range ch`; select: a select with receive cases and no Done() case; receive: `v := <-ch` in a `for {}`. */
  wait: 'range' | 'select' | 'receive';
  /** The ranged or received channel expression, or the select statement. */
  node: Node;
  /** For a receive: its statement, and the loop whose body holds it. */
  statement?: Node;
  loop?: Node;
  streamExpr: string;
  fn: Node;
}

export type GoFinding = Finding & { site: GoRecvLoop | GoNewServer | GoStreamWait };

/** A server stream that can send: generated `<Service>_<Method>Server`, or grpc's generic ones. */
export const SENDING_STREAM_TYPE = /^\*?(?:\w+\.)?(?:[A-Z]\w*_\w+Server|ServerStreamingServer|BidiStreamingServer)(?:\[[^\]]*\])?$/s;

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

  /** The top-level declarations whose [start, end) offsets pass `test`, made into nodes only then. */
  declarationsWhere(test: (from: number, to: number) => boolean): Node[] {
    const out: Node[] = [];
    for (let i = 0; i < this.starts.length; i++) {
      if (!test(this.starts[i], this.ends[i])) continue;
      this.decls[i] ??= this.root.child(i);
      const d = this.decls[i];
      if (d) out.push(d);
    }
    return out;
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
 * Whether every option given to grpc.NewServer is visible here as a grpc option call
 * (`grpc.Creds(…)`), directly or through a slice built in the function (`opts :=
 * []grpc.ServerOption{…}`, `var opts []grpc.ServerOption`, `opts = append(opts, …)`), and whether
 * one of them is `grpc.KeepaliveParams`. An option from anywhere else (a helper, a field, another
 * package: etcd's embed, temporal's injected options) may hold keepalive: not visible, no finding.
 */
function optionsVisible(call: Node, path: Node[], grpcName: string): { visible: boolean; keepalive: boolean } {
  const fn = [...path].reverse().find((n) => FUNCTION_TYPES.has(n.type));
  let keepalive = false;
  const isGrpcOption = (e: Node | null): boolean => {
    if (!e) return false;
    if (e.type === 'call_expression') {
      const f = e.childForFieldName('function');
      const ours = f?.type === 'selector_expression' && f.childForFieldName('operand')?.text === grpcName;
      if (ours && f?.childForFieldName('field')?.text === 'KeepaliveParams') keepalive = true;
      return ours;
    }
    return false;
  };
  const seen = new Set<string>();
  /** A slice expression whose elements are all grpc option calls. */
  const sliceVisible = (e: Node | null): boolean => {
    if (!e) return false;
    if (e.type === 'composite_literal') {
      const body = e.childForFieldName('body');
      return (body?.namedChildren ?? []).every((el) => {
        const v = el?.type === 'literal_element' ? el.namedChild(0) : el;
        return !v || v.type === 'comment' || isGrpcOption(v);
      });
    }
    if (e.type === 'call_expression' && e.childForFieldName('function')?.text === 'append') {
      const args = (e.childForFieldName('arguments')?.namedChildren ?? []).filter((a): a is Node => !!a && a.type !== 'comment');
      return args.length > 0 && sliceVisible(args[0]) && args.slice(1).every((a) => (a.type === 'variadic_argument' ? sliceVisible(a.namedChild(0)) : isGrpcOption(a)));
    }
    if (e.type === 'identifier' && fn) {
      // The caller's options, passed on: whether they hold keepalive is not visible here.
      if (parametersOf(fn).some((p) => p.name === e.text)) return false;
      if (seen.has(e.text)) return true; // opts = append(opts, …): the other assignments decide
      seen.add(e.text);
      const values: Node[] = [];
      let declaredEmpty = false;
      for (const st of fn.descendantsOfType(['short_var_declaration', 'assignment_statement', 'var_spec'])) {
        if (!st) continue;
        const left = st.childForFieldName('left') ?? st.childForFieldName('name');
        const right = st.childForFieldName('right') ?? st.childForFieldName('value');
        const names = (left?.type === 'expression_list' ? left.namedChildren : [left]).map((n) => n?.text);
        const at = names.indexOf(e.text);
        if (at < 0) continue;
        // `var opts []grpc.ServerOption`: an empty slice, filled (or not) by the appends seen here.
        if (st.type === 'var_spec' && !right && st.childForFieldName('type')?.text === `[]${grpcName}.ServerOption`) {
          declaredEmpty = true;
          continue;
        }
        const vals = right?.type === 'expression_list' ? right.namedChildren : [right];
        const v = vals[at];
        if (!v) return false; // declared without a value we can read, or from a call with several results
        values.push(v);
      }
      return (values.length > 0 || declaredEmpty) && values.every((v) => sliceVisible(v));
    }
    return false;
  };
  const args = (call.childForFieldName('arguments')?.namedChildren ?? []).filter((a): a is Node => !!a && a.type !== 'comment');
  const visible = args.every((a) => (a.type === 'variadic_argument' ? sliceVisible(a.namedChild(0)) : isGrpcOption(a)));
  return { visible, keepalive };
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

/**
 * Where a call sits: the index in `path` of the innermost loop, when that loop is in the innermost
 * function (-1 otherwise), and the functions around it, innermost first.
 */
function enclosingLoop(path: Node[]): { loopIndex: number; fns: Node[] } {
  let loopIndex = -1;
  const fns: Node[] = [];
  for (let i = path.length - 1; i >= 0; i--) {
    const step = path[i];
    if (step.type === 'for_statement' && fns.length === 0 && loopIndex === -1) loopIndex = i;
    else if (FUNCTION_TYPES.has(step.type)) fns.push(step);
  }
  return { loopIndex, fns };
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
/** What `lint` knows from the other files it walks (goChannelMethods.ts); the editor has none. */
export interface GoFacts {
  channelResults?: ChannelResults;
}

export function analyzeGoTree(tree: Tree, text: string, facts: GoFacts = {}): GoFinding[] {
  const root = tree.rootNode;
  // No gRPC import needed: handler files often import only their generated package.
  return findGo(new Spellings(text), new TokenLocator(root), importSpecs(root), root, text, facts);
}

function findGo(spelled: Spellings, locator: TokenLocator, specs: Node[], root: Node, text: string, facts: GoFacts): GoFinding[] {
  const findings: GoFinding[] = [];
  const params = new Map<number, Array<{ name: string; type: string }>>();
  let fields: Map<string, string[]> | null = null;
  /** The declared type says server stream: a parameter (`stream pb.X_YServer`) or a struct field (`s.stream`). */
  /** The declared type says a stream of `type`: a parameter (`stream pb.X_YServer`) or a struct field (`s.stream`). */
  const isStreamOf = (operand: Node, fns: Node[], type: RegExp): boolean => {
    if (operand.type === 'identifier') {
      const declared = typeOfIdentifier(operand.text, fns, params);
      return declared !== null && type.test(declared);
    }
    if (operand.type === 'selector_expression') {
      const field = operand.childForFieldName('field')?.text;
      if (!field) return false;
      fields ??= structFieldTypes(root);
      const types = fields.get(field) ?? [];
      // Every struct field of that name must be one: a client field of the same name makes it unknown.
      return types.length > 0 && types.every((t) => type.test(t));
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
    const { loopIndex, fns } = enclosingLoop(at.path);
    if (loopIndex === -1 || fns.length === 0) continue;
    const loop = at.path[loopIndex];
    const operand = at.selector.childForFieldName('operand');
    if (!operand) continue;
    const existing = loops.get(loop.startIndex);
    if (existing) {
      if (existing.streamExpr === operand.text) existing.recvCalls.push(at.call);
      continue;
    }
    if (!isStreamOf(operand, fns, SERVER_STREAM_TYPE)) continue;
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
    // Measured (npm run bench -- vanished): a vanished client's connection, accepted by Go itself
    // on Linux, is closed after 30 s: Go's TCP keepalive (15 s) cut short by grpc-go's 20 s
    // TCP_USER_TIMEOUT. A TCP proxy in between answers for the client.
    const deadConnection = hasKeepalive
      ? 'a client that vanished is noticed by the keepalive configured in this file'
      : 'a client that vanished is noticed once its connection is found dead: after about 30 s on Linux when it connects to this server directly (TCP keepalive and grpc-go\'s 20 s TCP_USER_TIMEOUT), but through a TCP proxy or load balancer only by server keepalive, which is off here (2 h by default)';
    findings.push({
      rule: 'recv-without-idle-timeout',
      language: 'go',
      range: toRange(site.recvCalls[0]),
      message: `This handler blocks in ${site.streamExpr}.Recv() with no idle timeout: a client that goes silent on a live connection keeps this goroutine forever, and ${deadConnection}.`,
      fixes,
      site,
    });
  }

  // stream-wait-ignores-context: Send() calls grouped by their loop, the loop's wait examined.
  const waits = new Map<number, GoStreamWait | null>();
  for (const o of spelled.of('Send')) {
    // `x.Send(` only: SendHeader, Sender and the word in comments are not walked to.
    if (text[o - 1] !== '.' || text[o + 4] !== '(') continue;
    const at = locator.selectorAt(o, 'Send', true);
    if (!at || !at.call) continue;
    const { loopIndex, fns } = enclosingLoop(at.path);
    if (loopIndex === -1 || fns.length === 0) continue;
    const loop = at.path[loopIndex];
    if (waits.has(loop.startIndex)) continue;
    const operand = at.selector.childForFieldName('operand');
    if (!operand || !isStreamOf(operand, fns, SENDING_STREAM_TYPE)) continue;
    // The handler is the outermost function: a done channel may be bound there, outside a goroutine's literal.
    waits.set(loop.startIndex, streamWaitOf(loop, operand.text, fns[0], text, fns[fns.length - 1], facts));
  }
  // Loops that send through a helper (`srv.sendDevices(stream)`) or a closure of the handler
  // (`send := func(…) { stream.Send(…) }`) rather than calling Send themselves.
  // Candidates by their text first (a range or a select, a server stream in the signature): most
  // functions of a file are never made into nodes.
  for (const fn of locator.declarationsWhere((from, to) => spelled.anyIn(['range', 'select'], from, to) && takesServerStream(text, from, to))) {
    if (fn.type !== 'function_declaration' && fn.type !== 'method_declaration') continue;
    const streams = parametersOf(fn).filter((p) => SENDING_STREAM_TYPE.test(p.type.replace(/^\*/, ''))).map((p) => p.name);
    if (streams.length === 0) continue;
    const body = fn.childForFieldName('body');
    if (!body) continue;
    for (const stream of streams) {
      if (!body.text.includes(stream)) continue;
      // Closures of the handler that send on the stream.
      const senders = new Set<string>();
      for (const d of body.descendantsOfType('short_var_declaration')) {
        const right = d?.childForFieldName('right')?.namedChild(0);
        const left = d?.childForFieldName('left')?.namedChild(0);
        if (right?.type === 'func_literal' && left?.type === 'identifier' && right.text.includes(`${stream}.Send(`)) senders.add(left.text);
      }
      // Only a loop that ranges or selects can wait on a channel.
      if (!/\brange\b|\bselect\b/.test(body.text)) continue;
      for (const loop of ownDescendants(body, 'for_statement')) {
        if (waits.has(loop.startIndex)) continue;
        const loopText = loop.text;
        if (!/\brange\b|\bselect\b/.test(loopText) || !new RegExp(`\\b(?:${[stream, ...senders].join('|')})\\b`).test(loopText)) continue;
        const sends = ownDescendants(loop, 'call_expression').some((c) => {
          const f = c.childForFieldName('function');
          if (f?.type === 'identifier' && senders.has(f.text)) return true;
          // A helper given the stream (not the stream's own methods).
          if (f?.type === 'selector_expression' && f.childForFieldName('operand')?.text === stream) return false;
          return (c.childForFieldName('arguments')?.namedChildren ?? []).some((a) => a?.type === 'identifier' && a.text === stream);
        });
        if (sends) waits.set(loop.startIndex, streamWaitOf(loop, stream, fn, text, fn, facts));
      }
    }
  }
  for (const site of waits.values()) {
    if (!site) continue;
    const what = site.wait === 'range' ? `ranging over ${site.node.text}` : site.wait === 'receive' ? `receiving from ${site.node.text}` : 'in a select with no case for the stream\'s context';
    findings.push({
      rule: 'stream-wait-ignores-context',
      language: 'go',
      range: toRange(site.wait === 'select' ? (site.node.child(0) ?? site.node) : site.node),
      message: `This handler waits between sends ${what}, never on ${site.streamExpr}.Context().Done(): once the client is gone (cancelled, past its deadline, or a dead connection found by keepalive) it goes on waiting here until the next value comes, and its goroutine and whatever feeds it stay.`,
      fixes: (resultShape(site.fn) === 'other' && site.wait !== 'range') || (site.wait === 'receive' && site.loop && site.statement && receiveFixBlocker(site.loop, site.statement)) ? [] : ['select-context'],
      site,
    });
  }

  // server-without-keepalive
  if (grpcName) {
    for (const o of spelled.of('NewServer')) {
      const call = locator.selectorAt(o, 'NewServer', true);
      if (!call?.call || call.selector.childForFieldName('operand')?.text !== grpcName) continue;
      // Judged per server: keepalive given to another server of the file does not reach this one.
      const options = optionsVisible(call.call, call.path, grpcName);
      if (!options.visible || options.keepalive) continue;
      findings.push({
        rule: 'server-without-keepalive',
        language: 'go',
        range: toRange(call.selector),
        message: 'This gRPC server has no keepalive: it never pings its clients (2 h by default). On Linux a client that vanished is still noticed after about 30 s when it connects directly (TCP keepalive and grpc-go\'s 20 s TCP_USER_TIMEOUT); through a TCP proxy or load balancer, which answers for it, or on another system, its connection and streams stay.',
        fixes: ['keepalive'],
        site: { kind: 'new-server', call: call.call, grpcName },
      });
    }
  }
  return findings.sort((a, b) => a.range.start.line - b.range.start.line || a.range.start.column - b.range.start.column);
}

const LOOP_OR_FUNCTION: ReadonlySet<string> = new Set([...FUNCTION_TYPES, 'for_statement']);

/** Nodes of a type under `loop` that belong to it: not inside a nested function literal (or what stopAt names). */
function ownDescendants(loop: Node, type: string, stopAt: ReadonlySet<string> = FUNCTION_TYPES): Node[] {
  // Walked down with a cursor: Node.parent would search from the root at every step.
  const out: Node[] = [];
  const c = loop.walk();
  try {
    let depth = 0;
    const descend = (): boolean => c.gotoFirstChild() && (depth++, true);
    if (!descend()) return out;
    for (;;) {
      const t = c.nodeType;
      if (t === type) out.push(c.currentNode);
      if (!stopAt.has(t) && descend()) continue;
      while (!c.gotoNextSibling()) {
        if (!c.gotoParent() || --depth === 0) return out;
      }
    }
  } finally {
    c.delete();
  }
}

/** The channel a receive (`<-x`) reads, or null when the expression is not a receive. */
function receivedFrom(e: Node | null | undefined): Node | null {
  if (!e || e.type !== 'unary_expression' || e.child(0)?.type !== '<-') return null;
  return e.childForFieldName('operand');
}

/** Whether a channel read here ends when the stream does: `<-x.Done()`, or a name bound to one. */
function isDoneChannel(ch: Node, fnText: string): boolean {
  if (ch.type === 'call_expression' && /\.Done$/.test(ch.childForFieldName('function')?.text ?? '')) return true;
  if (ch.type === 'identifier') return new RegExp(`\\b${ch.text}\\s*:?=\\s*[\\w.()]*\\.Done\\(\\)`).test(fnText);
  return false;
}

/**
 * A channel a call made with a context gave (`events, errs := bus.Subscribe(ctx)`,
 * `dl.Watch(stream.Context())`): its producer is told when the stream ends, and commonly sends an
 * error or closes then. Not a finding: what it does is not visible here.
 */
function fromContext(ch: Node, fnText: string): boolean {
  const name = ch.type === 'identifier' ? ch.text : ch.type === 'selector_expression' ? ch.childForFieldName('field')?.text : null;
  if (!name) return false;
  const assigned = new RegExp(`(?:^|[\\s,(])${name}(?:\\s*,\\s*[\\w.]+)*\\s*:?=\\s*([^\\n]*)`, 'gm');
  for (const m of fnText.matchAll(assigned)) if (/\bctx\b|Ctx\b|\.Context\(\)/.test(m[1])) return true;
  return false;
}

/** A wait that wakes by itself: a timer or ticker channel (`t.C`, `time.After(...)`, `time.Tick(...)`). */
function isTimerChannel(ch: Node): boolean {
  if (ch.type === 'selector_expression' && ch.childForFieldName('field')?.text === 'C') return true;
  return ch.type === 'call_expression' && /(?:^|\.)(?:After|Tick)$/.test(ch.childForFieldName('function')?.text ?? '');
}

/**
 * Declared as a channel where the reader can see it: made or declared in the function, a
 * parameter, a struct field of the file, or the result of a call whose every declaration `lint`
 * saw returns a channel first (`eventC, closer := q.Subscribe()`, `range q.Events()`).
 */
function isKnownChannel(e: Node, fn: Node, fileText: string, facts: GoFacts): boolean {
  const chanType = /^(?:<-\s*)?chan\b/;
  const returnsChannel = (method: string, results: number) => facts.channelResults?.get(`${method}/${results}`) === true;
  if (e.type === 'call_expression') {
    const callee = e.childForFieldName('function');
    const method = callee?.type === 'selector_expression' ? callee.childForFieldName('field')?.text : callee?.type === 'identifier' ? callee.text : null;
    return !!method && returnsChannel(method, 1);
  }
  if (e.type === 'identifier') {
    const name = e.text;
    if (parametersOf(fn).some((p) => p.name === name && chanType.test(p.type))) return true;
    if (new RegExp(`\\b${name}\\s*:?=\\s*make\\(\\s*(?:<-\\s*)?chan\\b|\\bvar\\s+${name}\\s+(?:<-\\s*)?chan\\b`).test(fn.text)) return true;
    if (!facts.channelResults) return false;
    // `name[, other…] := x.Method(…)`: the first result of Method.
    const assigned = new RegExp(`(?:^|[\\s(])${name}((?:\\s*,\\s*\\w+)*)\\s*:?=\\s*(?:[\\w.]+\\.)?(\\w+)(?:\\[[^\\]\\n]*\\])?\\(`, 'm').exec(fn.text);
    return !!assigned && returnsChannel(assigned[2], 1 + (assigned[1].match(/,/g)?.length ?? 0));
  }
  if (e.type === 'selector_expression') {
    // Struct fields of that name in the file, read from its text (their types need not be parsed):
    // every one must be a channel.
    const field = e.childForFieldName('field')?.text;
    if (!field) return false;
    const types = [...fileText.matchAll(new RegExp(`^\\s+(?:\\w+\\s*,\\s*)*${field}(?:\\s*,\\s*\\w+)*\\s+([^\\s/].*)$`, 'gm'))].map((m) => m[1]);
    return types.length > 0 && types.every((t) => chanType.test(t));
  }
  return false;
}

/**
 * How a loop that sends on a server stream waits for its next value, when that wait does not end
 * with the stream: ranging over a channel, or a select of channel reads without a Done() case
 * (and without a default or a timer, which wake it anyway). Null when it waits on nothing that
 * could block forever, or when what it ranges over is not known to be a channel.
 */
function streamWaitOf(loop: Node, streamExpr: string, fn: Node, fileText: string, outer: Node, facts: GoFacts): GoStreamWait | null {
  const range = loop.namedChildren.find((c) => c?.type === 'range_clause');
  if (range) {
    const right = range.childForFieldName('right');
    if (!right || !isKnownChannel(right, fn, fileText, facts) || fromContext(right, outer.text)) return null;
    // Fed by this handler's own Recv loop and closed by it: the range ends when the stream does.
    if (fn.text.includes(`close(${right.text})`) && fn.text.includes(`${streamExpr}.Recv(`)) return null;
    return { kind: 'stream-wait', wait: 'range', node: right, streamExpr, fn };
  }
  // The loop's own selects: not those of an inner loop or a function literal.
  for (const sel of ownDescendants(loop, 'select_statement', LOOP_OR_FUNCTION)) {
    const cases = sel.namedChildren.filter((c): c is Node => !!c);
    if (cases.some((c) => c.type === 'default_case')) continue;
    const reads = cases
      .filter((c) => c.type === 'communication_case')
      .map((c) => c.childForFieldName('communication'))
      .map((comm) => (comm?.type === 'receive_statement' ? receivedFrom(comm.childForFieldName('right')) : comm?.type === 'expression_statement' ? receivedFrom(comm.namedChild(0)) : null))
      .filter((ch): ch is Node => !!ch);
    if (reads.length === 0 || reads.some((ch) => isDoneChannel(ch, outer.text) || isTimerChannel(ch) || fromContext(ch, outer.text))) continue;
    return { kind: 'stream-wait', wait: 'select', node: sel, streamExpr, fn };
  }
  // A bare receive in the loop (`v := <-ch`, `v, ok := <-ch`, `<-ch`), outside any select.
  if (!loop.namedChildren.some((c) => c?.type === 'for_clause' || c?.type === 'range_clause')) {
    for (const st of statementsOf(loop.childForFieldName('body'))) {
      const e = st?.type === 'short_var_declaration' || st?.type === 'assignment_statement' ? st.childForFieldName('right')?.namedChild(0) : st?.type === 'expression_statement' ? st.namedChild(0) : null;
      const ch = receivedFrom(e);
      if (!ch || isDoneChannel(ch, outer.text) || isTimerChannel(ch) || fromContext(ch, outer.text) || !isKnownChannel(ch, fn, fileText, facts)) continue;
      return { kind: 'stream-wait', wait: 'receive', node: ch, statement: st as Node, loop, streamExpr, fn };
    }
  }
  return null;
}
