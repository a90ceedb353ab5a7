// Go fixes. Each keeps the user's loop body, names and indentation, adds what it needs once,
// and leaves the file gofmt-clean.
import type { Node, Tree } from 'web-tree-sitter';
import { goImportEdits } from './goImports';
import type { GoFinding, GoNewServer, GoRecvLoop, GoStreamWait } from './goRules';
import { descendants, receiveFixBlocker, resultShape, statementsAfter } from './goSyntax';
import { lineIndent, lineStartOf } from './textLines';
import { AnalysisError, type FixKind, type FixOptions, type TextEdit } from './types';

export const GO_HELPER_NAME = 'recvWithIdle';

/** A time.Duration expression; gofmt writes it without spaces where it is a call argument. */
export function goDuration(ms: number, compact = false): string {
  const sp = compact ? '' : ' ';
  if (ms % 60_000 === 0) return `${ms / 60_000}${sp}*${sp}time.Minute`;
  if (ms % 1000 === 0) return `${ms / 1000}${sp}*${sp}time.Second`;
  return `${ms}${sp}*${sp}time.Millisecond`;
}

export const GO_IDLE_CONSTANT = 'recvIdleTimeout';

// The receiver goroutine selects on the context for every send, so it always finishes after the
// handler returns (the textbook version blocks forever on an unbuffered send nobody reads). The
// result type is declared outside the generic function: Go before 1.20 rejects type declarations
// inside one.
function helperText(idleMs: number): string {
  return `
// ${GO_IDLE_CONSTANT} is how long ${GO_HELPER_NAME} waits for the client's next message: a healthy
// stream that is quiet for longer than this is ended with DEADLINE_EXCEEDED.
const ${GO_IDLE_CONSTANT} = ${goDuration(idleMs)}

// ${GO_HELPER_NAME}Result is one Recv outcome handed from the receiving goroutine.
type ${GO_HELPER_NAME}Result[T any] struct {
	msg T
	err error
}

// ${GO_HELPER_NAME} returns a receive function for a gRPC stream that waits on the stream, its
// context and an idle timer at once. A separate goroutine does the blocking Recv; it selects on
// ctx for every send, so it never outlives the handler. When the client sends nothing for idle,
// the returned function fails with DEADLINE_EXCEEDED. Added by gRPC Stream Debugger.
func ${GO_HELPER_NAME}[T any](ctx context.Context, recv func() (T, error), idle time.Duration) func() (T, error) {
	results := make(chan ${GO_HELPER_NAME}Result[T], 1)
	go func() {
		for {
			msg, err := recv()
			select {
			case results <- ${GO_HELPER_NAME}Result[T]{msg, err}:
			case <-ctx.Done():
				return
			}
			if err != nil {
				return
			}
		}
	}()
	timer := time.NewTimer(idle)
	return func() (T, error) {
		if !timer.Stop() {
			select {
			case <-timer.C:
			default:
			}
		}
		timer.Reset(idle)
		var zero T
		select {
		case r := <-results:
			return r.msg, r.err
		case <-ctx.Done():
			return zero, status.FromContextError(ctx.Err()).Err()
		case <-timer.C:
			return zero, status.Errorf(codes.DeadlineExceeded, "no message from the client for %s", idle)
		}
	}
}
`;
}

/** Whether a file declares a helper (a top-level function; by default the async-receive one). */
export function declaresHelper(root: Node, name: string = GO_HELPER_NAME): boolean {
  return root.namedChildren.some((f) => f?.type === 'function_declaration' && f.childForFieldName('name')?.text === name);
}

export const GO_UNTIL_DONE = 'untilDone';

// The forwarding goroutine selects on ctx for every receive and every hand-over, so it ends with
// the stream; a value taken from ch just as the client went is dropped (nobody is left to get it).
const UNTIL_DONE_TEXT = `
// ${GO_UNTIL_DONE} passes on the values of ch until ctx is done, then closes its result: a handler
// that ranges over it stops waiting once its client is gone (cancelled, past its deadline, or a
// dead connection found by keepalive). Added by gRPC Stream Debugger.
func ${GO_UNTIL_DONE}[T any](ctx context.Context, ch <-chan T) <-chan T {
	out := make(chan T)
	go func() {
		defer close(out)
		for {
			select {
			case <-ctx.Done():
				return
			case v, ok := <-ch:
				if !ok {
					return
				}
				select {
				case out <- v:
				case <-ctx.Done():
					return
				}
			}
		}
	}()
	return out
}
`;

function selectContext(source: string, tree: Tree, site: GoStreamWait, options: FixOptions): TextEdit[] {
  const ctx = `${site.streamExpr}.Context()`;
  if (site.wait === 'range') {
    // The loop and its body stay as they are: only what it ranges over changes.
    if (options.goVersion && compareGoVersions(options.goVersion, '1.18') < 0) {
      throw new AnalysisError(`the ${GO_UNTIL_DONE} helper needs Go 1.18 (generics); this module says go ${options.goVersion}`);
    }
    const edits: TextEdit[] = [{ start: site.node.startIndex, end: site.node.endIndex, newText: `${GO_UNTIL_DONE}(${ctx}, ${site.node.text})` }];
    if (!declaresHelper(tree.rootNode, GO_UNTIL_DONE) && !options.goUntilDoneDeclaredElsewhere) {
      const end = source.length;
      edits.push({ start: end, end, newText: (source.endsWith('\n') ? '' : '\n') + UNTIL_DONE_TEXT });
    }
    return [...edits, ...goImportEdits(source, tree.rootNode, ['context'])];
  }
  const shape = resultShape(site.fn);
  if (shape === 'other') throw new AnalysisError('the enclosing function returns more than an error; add the case by hand');
  if (site.wait === 'receive') return receiveInSelect(source, tree, site, shape === 'error' ? `return status.FromContextError(${ctx}.Err()).Err()` : 'return');
  const open = source.indexOf('{', site.node.startIndex);
  const indent = lineIndent(source, site.node.startIndex);
  const ret = shape === 'error' ? `return status.FromContextError(${ctx}.Err()).Err()` : 'return';
  const edits: TextEdit[] = [{ start: open + 1, end: open + 1, newText: `\n${indent}case <-${ctx}.Done():\n${indent}\t${ret}` }];
  return shape === 'error' ? [...edits, ...goImportEdits(source, tree.rootNode, ['google.golang.org/grpc/status'])] : edits;
}

/**
 * `v := <-ch` then the rest of the loop body becomes a select whose receive case holds that rest:
 * `select { case <-ctx.Done(): return …; case v := <-ch: …rest… }`. Not where the rest breaks
 * out of the loop (in a select, break would end the select) or holds a raw string (re-indented).
 */
function receiveInSelect(source: string, tree: Tree, site: GoStreamWait, ret: string): TextEdit[] {
  const st = site.statement;
  if (!st || !site.loop) throw new AnalysisError('the receive is not a statement of the loop');
  const why = receiveFixBlocker(site.loop, st);
  if (why) throw new AnalysisError(`${why}; add the case by hand`);
  const rest = statementsAfter(site.loop, st);
  const end = rest.length > 0 ? rest[rest.length - 1].endIndex : st.endIndex;
  const moved = rest.length > 0 ? source.slice(source.lastIndexOf('\n', rest[0].startIndex) + 1, end) : '';
  const indent = lineIndent(source, st.startIndex);
  const ctx = `${site.streamExpr}.Context()`;
  const inner = moved ? '\n' + moved.split('\n').map((l) => (l.trim() ? `\t${l}` : l)).join('\n') : '';
  const text = `select {\n${indent}case <-${ctx}.Done():\n${indent}\t${ret}\n${indent}case ${st.text}:${inner}\n${indent}}`;
  const edits: TextEdit[] = [{ start: st.startIndex, end, newText: text }];
  return ret.startsWith('return status') ? [...edits, ...goImportEdits(source, tree.rootNode, ['google.golang.org/grpc/status'])] : edits;
}

function identifiersIn(node: Node): Set<string> {
  return new Set(descendants(node, 'identifier').map((n) => n.text));
}

function contextAware(source: string, site: GoRecvLoop): TextEdit[] {
  const body = site.loop.childForFieldName('body');
  if (!body) throw new AnalysisError('the loop has no body');
  const shape = resultShape(site.fn);
  if (shape === 'other') throw new AnalysisError('the enclosing function returns more than an error; add the context check by hand');
  const indent = lineIndent(source, site.loop.startIndex);
  const ctx = `${site.streamExpr}.Context()`;
  const ret = shape === 'error' ? `return ${ctx}.Err()` : 'return';
  const text = [
    `${indent}\t// Stop waiting once the client is gone or the call is cancelled.`,
    `${indent}\tselect {`,
    `${indent}\tcase <-${ctx}.Done():`,
    `${indent}\t\t${ret}`,
    `${indent}\tdefault:`,
    `${indent}\t}`,
  ].join('\n');
  return [{ start: body.startIndex + 1, end: body.startIndex + 1, newText: `\n${text}` }];
}

function asyncReceive(source: string, tree: Tree, site: GoRecvLoop, options: FixOptions): TextEdit[] {
  const fnBody = site.fn.childForFieldName('body') ?? site.fn;
  const taken = identifiersIn(fnBody);
  const base = /^[A-Za-z_]\w*$/.test(site.streamExpr) ? `${site.streamExpr}Recv` : 'recvNext';
  let name = base;
  for (let i = 2; taken.has(name); i++) name = `${base}${i}`;
  const indent = lineIndent(source, site.loop.startIndex);
  const at = lineStartOf(source, site.statement.startIndex);
  const edits: TextEdit[] = [
    {
      start: at,
      end: at,
      newText: `${indent}${name} := ${GO_HELPER_NAME}(${site.streamExpr}.Context(), ${site.streamExpr}.Recv, ${GO_IDLE_CONSTANT})\n`,
    },
    ...site.recvCalls.map((c) => ({ start: c.startIndex, end: c.endIndex, newText: `${name}()` })),
  ];
  if (options.goVersion && compareGoVersions(options.goVersion, '1.18') < 0) {
    throw new AnalysisError(`the idle-timeout helper needs Go 1.18 (generics); this module says go ${options.goVersion}`);
  }
  if (!declaresHelper(tree.rootNode) && !options.goHelperDeclaredElsewhere) {
    const end = source.length;
    const trailing = source.endsWith('\n') ? '' : '\n';
    edits.push({ start: end, end, newText: trailing + helperText(options.idleTimeoutMs) });
    // What the helper uses; the call site needs none of it (an unused import breaks the build).
    edits.push(...goImportEdits(source, tree.rootNode, ['context', 'time', 'google.golang.org/grpc/codes', 'google.golang.org/grpc/status']));
  }
  return edits;
}

function keepalive(source: string, tree: Tree, site: GoNewServer, options: FixOptions): TextEdit[] {
  const args = site.call.childForFieldName('arguments');
  if (!args) throw new AnalysisError('grpc.NewServer has no argument list');
  const g = site.grpcName;
  const params = `${g}.KeepaliveParams(keepalive.ServerParameters{Time: ${goDuration(options.keepaliveTimeMs)}, Timeout: ${goDuration(options.keepaliveTimeoutMs)}})`;
  // Clients may ping as often as the server does; stricter enforcement would GOAWAY them.
  const policy = `${g}.KeepaliveEnforcementPolicy(keepalive.EnforcementPolicy{MinTime: ${goDuration(Math.min(options.keepaliveTimeMs, 5000))}, PermitWithoutStream: true})`;
  const first = args.namedChildren.find((c) => c && c.type !== 'comment');
  const spread = args.namedChildren.find((c) => c?.type === 'variadic_argument');
  let edit: TextEdit;
  if (spread) {
    // grpc.NewServer(opts...) takes no other argument beside a spread: extend the slice instead.
    const inner = spread.namedChild(0);
    if (!inner) throw new AnalysisError('cannot read the spread argument of grpc.NewServer');
    edit = { start: spread.startIndex, end: spread.endIndex, newText: `append(${inner.text}, ${params}, ${policy})...` };
  } else if (!first) {
    edit = { start: args.startIndex + 1, end: args.endIndex - 1, newText: `${params}, ${policy}` };
  } else if (first.startPosition.row > args.startPosition.row) {
    const indent = lineIndent(source, first.startIndex);
    edit = { start: first.startIndex, end: first.startIndex, newText: `${params},\n${indent}${policy},\n${indent}` };
  } else {
    edit = { start: first.startIndex, end: first.startIndex, newText: `${params}, ${policy}, ` };
  }
  return [edit, ...goImportEdits(source, tree.rootNode, ['time', 'google.golang.org/grpc/keepalive'])];
}

/** -1, 0 or 1 for Go versions like 1.17, 1.21.3. */
export function compareGoVersions(a: string, b: string): number {
  const pa = a.split('.').map((x) => parseInt(x, 10) || 0);
  const pb = b.split('.').map((x) => parseInt(x, 10) || 0);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) if ((pa[i] ?? 0) !== (pb[i] ?? 0)) return (pa[i] ?? 0) < (pb[i] ?? 0) ? -1 : 1;
  return 0;
}

export function goFixEdits(source: string, tree: Tree, finding: GoFinding, kind: FixKind, options: FixOptions): TextEdit[] {
  if (!finding.fixes.includes(kind)) throw new AnalysisError(`the ${kind} fix does not apply to ${finding.rule}`);
  const site = finding.site;
  if (site.kind === 'recv-loop') return kind === 'context-aware' ? contextAware(source, site) : asyncReceive(source, tree, site, options);
  if (site.kind === 'stream-wait') return selectContext(source, tree, site, options);
  return keepalive(source, tree, site, options);
}
