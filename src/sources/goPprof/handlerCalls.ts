// From goroutines to the gRPC calls a grpc-go server is handling: each goroutine that runs a
// generated `_<Service>_<Method>_Handler` is one call, with where it waits in the user's code.
// What a stack cannot tell (the peer, message counts, exactly how long below a minute) is null.
import { readFileSync } from 'node:fs';
import type { GoWaiting } from '../../model/liveStream';
import type { GoFrame, Goroutine } from './goroutineDump';

export interface GoHandlerCall {
  /** The goroutine's id: unique for the life of the process (the runtime never reuses one); null for a group. */
  goroutine: number | null;
  /** How many goroutines with this same stack it stands for (a server read in aggregate). */
  count: number;
  /** A group's whole stack (function:line, innermost first): what keeps two groups apart. */
  stack?: string;
  /** Delve: the streaming kind from the method's StreamDesc, and the client's address. */
  streamKind?: 'client_stream' | 'server_stream' | 'bidi';
  peer?: string | null;
  /** `/grpc.testing.TestService/StreamingInputCall` from the generated file, else `/grpc_testing.TestService/…` (its Go package). */
  method: string;
  kind: 'unary' | 'stream';
  /** recv: blocked in Recv (waiting for the client); send: in Send, waiting for the client to read; handler: its own code. */
  waiting: GoWaiting;
  /** The runtime's wait reason (`select`, `chan receive`, …). */
  state: string;
  waitMinutes: number | null;
  /** The innermost frame of the user's own code, where the handler waits. */
  where: GoFrame | null;
}

const HANDLER_FUNC = /(?:^|[./])_([A-Za-z0-9]+)_([A-Za-z0-9]+)_Handler$/;
const GRPC = 'google.golang.org/grpc';

/** Frames of grpc-go, the runtime and the standard library: not the user's code. */
function isLibraryFrame(f: GoFrame): boolean {
  const fn = f.func;
  if (fn.startsWith(GRPC + '.') || fn.startsWith(GRPC + '/') || fn.startsWith('golang.org/x/') || fn.startsWith('google.golang.org/protobuf/')) return true;
  const pkg = fn.slice(0, fn.lastIndexOf('/') + 1) + fn.slice(fn.lastIndexOf('/') + 1).split('.')[0];
  // A standard-library package path has no dot in its first element (runtime, internal/poll, net/http).
  return !pkg.split('/')[0].includes('.') && pkg.split('/')[0] !== 'main';
}

function packageOf(func: string): string {
  const slash = func.lastIndexOf('/');
  return func.slice(slash + 1).split('.')[0];
}

/**
 * The gRPC method names a generated `_grpc.pb.go` file declares (`TestService_StreamingInputCall_FullMethodName
 * = "/grpc.testing.TestService/StreamingInputCall"`, or its ServiceDesc's ServiceName in older code),
 * keyed by `Service/Method` as the handler's Go name has them.
 */
export function fullMethodNames(generated: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const m of generated.matchAll(/\b([A-Za-z0-9]+)_([A-Za-z0-9]+)_FullMethodName\s*=\s*"(\/[^"]+)"/g)) out.set(`${m[1]}/${m[2]}`, m[3]);
  for (const m of generated.matchAll(/\b_?([A-Za-z0-9]+)_serviceDesc = grpc\.ServiceDesc\{\s*ServiceName:\s*"([^"]+)"|\bvar ([A-Za-z0-9]+)_ServiceDesc = grpc\.ServiceDesc\{\s*ServiceName:\s*"([^"]+)"/g)) {
    const service = m[1] ?? m[3];
    const name = m[2] ?? m[4];
    out.set(`${service}/*`, name);
  }
  return out;
}

/** The method names of a generated file (fullMethodNames), read once; null when it is not on this machine. */
export type GeneratedReader = (file: string) => Map<string, string> | null;

/**
 * The handler's real gRPC method name from its generated file when that file is readable here;
 * else the name the stack gives (the Go package, which may differ from the proto package).
 */
function methodName(handler: GoFrame, service: string, method: string, read?: GeneratedReader): string {
  const names = read?.(handler.file);
  if (names) {
    const full = names.get(`${service}/${method}`) ?? (names.has(`${service}/*`) ? `/${names.get(`${service}/*`)}/${method}` : undefined);
    if (full) return full;
  }
  return `/${packageOf(handler.func)}.${service}/${method}`;
}

export function handlerCalls(goroutines: Goroutine[], readGenerated?: GeneratedReader): GoHandlerCall[] {
  const out: GoHandlerCall[] = [];
  for (const g of goroutines) {
    const at = g.frames.findIndex((f) => HANDLER_FUNC.test(f.func));
    if (at < 0) continue;
    const m = HANDLER_FUNC.exec(g.frames[at].func) as RegExpExecArray;
    const inner = g.frames.slice(0, at);
    const funcs = inner.map((f) => f.func);
    const recv = funcs.some((f) => f === `${GRPC}.(*serverStream).RecvMsg`);
    // A Send waiting on flow control sits in the transport's write quota: the client stopped reading.
    const sendBlocked = funcs.some((f) => f === `${GRPC}.(*serverStream).SendMsg`) && funcs.some((f) => /\(\*writeQuota\)\.get$/.test(f));
    const outer = g.frames.slice(at + 1).map((f) => f.func);
    out.push({
      goroutine: g.id,
      count: g.count,
      ...(g.id === null ? { stack: g.frames.map((f) => `${f.func}:${f.line}`).join(' ') } : {}),
      method: methodName(g.frames[at], m[1], m[2], readGenerated),
      // processUnaryRPC up to grpc-go 1.7x; from then on one processRPC, with unary handlers wrapped.
      kind: outer.some((f) => f.endsWith('(*Server).processUnaryRPC') || f.includes('wrapUnaryHandler')) ? 'unary' : 'stream',
      waiting: recv ? 'recv' : sendBlocked ? 'send' : 'handler',
      state: g.state,
      waitMinutes: g.waitMinutes,
      where: inner.find((f) => !isLibraryFrame(f)) ?? null,
    });
  }
  return out;
}

/** The grpc-go version a stack's module paths name (`google.golang.org/grpc@v1.75.0/server.go`), or null. */
export function grpcGoVersion(goroutines: Goroutine[]): string | null {
  for (const g of goroutines) {
    for (const f of g.frames) {
      const m = /google\.golang\.org\/grpc@(v[^/\\]+)[/\\]/.exec(f.file);
      if (m) return m[1];
    }
  }
  return null;
}

/** A GeneratedReader over text files, each read and parsed once (generated code does not change under a running server). */
export function cachedFileReader(readFile: (file: string) => string): GeneratedReader {
  const cache = new Map<string, Map<string, string> | null>();
  return (file) => {
    let names = cache.get(file);
    if (names === undefined) {
      try {
        names = fullMethodNames(readFile(file));
      } catch {
        names = null;
      }
      cache.set(file, names);
    }
    return names;
  };
}

/** Generated files of this machine (a server built here names its module cache and sources). */
export const localGenerated = cachedFileReader((file) => (file.endsWith('.go') ? readFileSync(file, 'utf8') : ''));
