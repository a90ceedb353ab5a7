// The Go source through Delve, for a Go process that serves no pprof: a snapshot on request,
// never a poll. Delve halts the process from the moment it attaches until it detaches, so only the
// goroutines grpc's server started get their stacks read (found by where they started, which
// ListGoroutines gives without stacks), and the pause is measured and reported.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { homedir } from 'node:os';
import { delimiter, join } from 'node:path';
import { AttachError, errorMessage } from '../../inspector/errors';
import { processExists } from '../../inspector/nodeProcesses';
import { hasDebugInfo, isGoProcess } from './goProcesses';
import type { Goroutine } from '../goPprof/goroutineDump';
import { grpcGoVersion, handlerCalls, localGenerated, type GoHandlerCall } from '../goPprof/handlerCalls';

export const DELVE_VERSION = 'v1.27.2';

export interface GoDelveSnapshot {
  source: 'go-delve';
  pid: number;
  /** How long the process was halted, from Delve's attach to its detach. */
  pausedMs: number;
  /** Where the pause went: Delve attaching (reading the binary's debug info), listing goroutines, reading the handlers' stacks. */
  timing: { attachMs: number; listMs: number; stacksMs: number; variablesMs: number };
  goroutines: number;
  calls: GoHandlerCall[];
  grpcVersion: string | null;
  /** When Delve had read the stacks (epoch ms). */
  now: number;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Loose = any;

/** `dlv` on PATH, else where `go install` (and vscode-go) put it. */
export function findDelve(): string | null {
  const names = process.platform === 'win32' ? ['dlv.exe'] : ['dlv'];
  const dirs = [...(process.env.PATH ?? '').split(delimiter), join(process.env.GOPATH ?? join(homedir(), 'go'), 'bin')];
  for (const d of dirs) for (const n of names) if (d && existsSync(join(d, n))) return join(d, n);
  return null;
}

/** Goroutines that grpc's server started for a call (serveStreams, or a stream worker). */
function isHandlerStart(name: string): boolean {
  return /google\.golang\.org\/grpc\.\(\*Server\)\.(serveStreams|serverWorker|handleStream)/.test(name);
}

class DelveRpc {
  private nextId = 1;
  private buffer = '';
  private readonly pending = new Map<number, { resolve: (v: Loose) => void; reject: (e: Error) => void }>();

  constructor(private readonly socket: Socket) {
    socket.setEncoding('utf8');
    socket.on('data', (d: string) => this.onData(d));
    socket.on('close', () => {
      for (const p of this.pending.values()) p.reject(new Error('Delve closed the connection'));
      this.pending.clear();
    });
  }

  call(method: string, params: object): Promise<Loose> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.socket.write(JSON.stringify({ method: `RPCServer.${method}`, params: [params], id }) + '\n');
    });
  }

  /**
   * net/rpc's JSON codec writes each answer with encoding/json's Encoder: one value per line (a
   * newline inside a string is escaped). Only the new text is searched for the line's end, so a
   * 10 MB answer arriving in many chunks is scanned once.
   */
  private onData(d: string): void {
    const from = this.buffer.length;
    this.buffer += d;
    let end = this.buffer.indexOf('\n', from);
    while (end >= 0) {
      const line = this.buffer.slice(0, end).trim();
      this.buffer = this.buffer.slice(end + 1);
      if (line) this.answer(JSON.parse(line));
      end = this.buffer.indexOf('\n');
    }
  }

  private answer(msg: Loose): void {
    const p = this.pending.get(msg.id);
    if (!p) return;
    this.pending.delete(msg.id);
    if (msg.error) p.reject(new Error(String(msg.error)));
    else p.resolve(msg.result);
  }
}

/** Delve's "operation not permitted" with what to do about it. */
function withPtraceHint(reason: string): string {
  return /not permitted|EPERM/i.test(reason)
    ? `${reason.replace(/[.\s]+$/, '')} (ptrace is not permitted: run as the process's user or root, or allow it with sysctl kernel.yama.ptrace_scope=0; in a container, add the SYS_PTRACE capability)`
    : reason;
}

/** What Delve printed last, for the error when it gives up. */
function lastLine(out: string): string {
  const lines = out.trim().split('\n').filter((l) => l && !/API server listening/.test(l));
  const failure = lines.filter((l) => /could not|error|not permitted|failed|no such/i.test(l)).pop();
  return (failure ?? lines.pop() ?? 'it exited').replace(/^(could not attach to pid \d+: )+/i, '').replace(/^Error: /, '');
}

function waitForListen(dlv: ChildProcess, timeoutMs: number, output: { text: string }): Promise<number> {
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new AttachError('timeout', `Delve did not start within ${timeoutMs} ms: ${out.trim().split('\n').pop() ?? ''}`)), timeoutMs);
    const onData = (d: Buffer): void => {
      out += d;
      output.text = out;
      const m = /API server listening at: [^\s]*:(\d+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(Number(m[1]));
      }
    };
    dlv.stdout?.on('data', onData);
    dlv.stderr?.on('data', onData);
    dlv.once('exit', () => {
      clearTimeout(timer);
      reject(new AttachError('no-inspector', `Delve could not attach: ${withPtraceHint(lastLine(out))}`));
    });
  });
}

/** Attaches, reads the handler goroutines' stacks, detaches (the process runs on). */
/** Above this many handler goroutines, peers are not read (one more variable read each, with the process halted). */
export const PEER_LIMIT = 1000;

const EVAL_CFG = { FollowPointers: true, MaxVariableRecurse: 3, MaxStringLen: 64, MaxArrayValues: 16, MaxStructFields: -1 };

/** `127.0.0.1:50720` from a Delve net.Addr holding a *net.TCPAddr, or null. */
export function tcpAddrText(v: Loose): string | null {
  const find = (n: Loose, name: string): Loose => {
    if (!n || typeof n !== 'object') return null;
    if (n.name === name) return n;
    for (const c of n.children ?? []) {
      const f = find(c, name);
      if (f) return f;
    }
    return null;
  };
  const ip = find(v, 'IP');
  const port = find(v, 'Port');
  if (!ip || !port) return null;
  const bytes: number[] = (ip.children ?? []).map((b: Loose) => Number(b.value));
  let host: string;
  if (bytes.length === 4 || (bytes.length === 16 && bytes.slice(0, 10).every((b) => b === 0) && bytes[10] === 255 && bytes[11] === 255)) host = bytes.slice(-4).join('.');
  else if (bytes.length === 16) host = `[${Array.from({ length: 8 }, (_, i) => ((bytes[2 * i] << 8) | bytes[2 * i + 1]).toString(16)).join(':')}]`;
  else return null;
  return `${host}:${port.value}`;
}

type Facts = { kind: 'client_stream' | 'server_stream' | 'bidi' | null; peer?: string | null };

/**
 * What a handler's stream holds, read in the generated handler's frame: the method's StreamDesc
 * (which streaming kind; once per method) and the connection's peer (per goroutine, up to
 * peerLimit). The field paths differ by grpc-go version; one that does not resolve is left unknown.
 */
async function streamFacts(rpc: DelveRpc, goroutines: Array<{ id: number; locations: Loose[] }>, peerLimit: number): Promise<Map<number, Facts>> {
  const out = new Map<number, Facts>();
  const evalIn = (id: number, frame: number, expr: string): Promise<Loose | null> => rpc.call('Eval', { Scope: { GoroutineID: id, Frame: frame }, Expr: expr, Cfg: EVAL_CFG }).then((r) => r.Variable, () => null);
  const kinds = new Map<string, Promise<Facts['kind']>>();
  const withPeers = goroutines.length <= peerLimit;
  await Promise.all(goroutines.map(async (g) => {
    const frame = g.locations.findIndex((l: Loose) => /_Handler$/.test(l.function?.name ?? ''));
    // Unary handlers take no stream; and past the handler frame there is nothing of ours to read.
    if (frame < 0 || g.locations.slice(frame).some((l: Loose) => /processUnaryRPC|wrapUnaryHandler/.test(l.function?.name ?? ''))) return;
    const method = g.locations[frame].function.name as string;
    let kind = kinds.get(method);
    if (!kind) {
      // The stream's own desc (grpc-go 1.75 on), else processStreamingRPC's sd parameter (before).
      const outer = g.locations.findIndex((l: Loose) => /\(\*Server\)\.processStreamingRPC$/.test(l.function?.name ?? ''));
      const read = async (prefix: string, at: number): Promise<Facts['kind'] | undefined> => {
        const [c, s] = await Promise.all([evalIn(g.id, at, `${prefix}.ClientStreams`), evalIn(g.id, at, `${prefix}.ServerStreams`)]);
        if (!c || !s) return undefined;
        const [client, server] = [c.value === 'true', s.value === 'true'];
        return client && server ? 'bidi' : client ? 'client_stream' : server ? 'server_stream' : null;
      };
      kind = read('stream.desc', frame).then(async (k) => (k !== undefined ? k : outer >= 0 ? (await read('sd', outer)) ?? null : null));
      kinds.set(method, kind);
    }
    const facts: Facts = { kind: await kind };
    if (withPeers) {
      let peer: string | null = null;
      for (const expr of ['stream.s.st.peer.Addr', 'stream.t.peer.Addr']) {
        const v = await evalIn(g.id, frame, expr);
        if (v && (peer = tcpAddrText(v)) !== null) break;
      }
      facts.peer = peer;
    }
    out.set(g.id, facts);
  }));
  return out;
}

export async function readGoDelve(pid: number, options: { dlv?: string; timeoutMs?: number; peerLimit?: number } = {}): Promise<GoDelveSnapshot> {
  const dlvPath = options.dlv ?? findDelve();
  if (!dlvPath) throw new AttachError('no-inspector', `Delve (dlv) is not installed: go install github.com/go-delve/delve/cmd/dlv@${DELVE_VERSION}, or install it from vscode-go (Go: Install/Update Tools).`);
  if (!processExists(pid)) throw new AttachError('no-process', `There is no process with id ${pid}.`);
  // Checked before Delve is started, so that a stripped binary costs no pause.
  if (isGoProcess(pid) && !hasDebugInfo(`/proc/${pid}/exe`)) {
    throw new AttachError('no-inspector', `Process ${pid} is a Go program without debug info (built with -ldflags="-s -w", or stripped): Delve cannot read it. Build it without those flags, or serve net/http/pprof and use --pprof.`);
  }
  const started = Date.now();
  const timing = { attachMs: 0, listMs: 0, stacksMs: 0, variablesMs: 0 };
  const dlv = spawn(dlvPath, ['attach', String(pid), '--headless', '--api-version=2', '--accept-multiclient', '--listen=127.0.0.1:0', '--log-dest=2'], { stdio: ['ignore', 'pipe', 'pipe'] });
  const output = { text: '' };
  try {
    const port = await waitForListen(dlv, options.timeoutMs ?? 20_000, output);
    const socket = await new Promise<Socket>((resolve, reject) => {
      const s = connect(port, '127.0.0.1', () => resolve(s));
      s.once('error', reject);
    });
    const rpc = new DelveRpc(socket);
    let detached = false;
    try {
      // Delve's first answer comes once it has attached and read the binary's debug info.
      await rpc.call('State', { NonBlocking: true });
      timing.attachMs = Date.now() - started;
      const t0 = Date.now();
      // Delve filters by where a goroutine started (4: GoroutineStartLoc, a substring match) before
      // it describes each one; the exact starts are checked here.
      const listed = await rpc.call('ListGoroutines', { Start: 0, Count: 0, Filters: [{ Kind: 4, Arg: 'google.golang.org/grpc.(*Server).' }] });
      const all: Loose[] = listed.Goroutines ?? [];
      const handlers = all.filter((g) => isHandlerStart(g.startLoc?.function?.name ?? ''));
      const t1 = Date.now();
      // All stack requests at once: Delve answers them in turn, without a round trip between them.
      // 24 frames reach the generated handler from a Recv or Send; deeper helpers get a second, deeper read.
      const stacks = await Promise.all(handlers.map((g) => rpc.call('Stacktrace', { Id: g.id, Depth: 24 })));
      await Promise.all(stacks.map(async (st, i) => {
        if (!(st.Locations ?? []).some((l: Loose) => /_Handler$/.test(l.function?.name ?? ''))) stacks[i] = await rpc.call('Stacktrace', { Id: handlers[i].id, Depth: 200 });
      }));
      const goroutines: Goroutine[] = handlers.map((g, i) => ({
        id: g.id,
        count: 1,
        state: g.status === 4 ? 'waiting' : 'running',
        waitMinutes: null,
        frames: (stacks[i].Locations ?? []).map((l: Loose) => ({ func: l.function?.name ?? '?', file: l.file ?? '?', line: l.line ?? 0 })),
      }));
      timing.listMs = t1 - t0;
      timing.stacksMs = Date.now() - t1;
      const t2 = Date.now();
      const facts = await streamFacts(rpc, handlers.map((g: Loose, i: number) => ({ id: g.id, locations: stacks[i].Locations ?? [] })), options.peerLimit ?? PEER_LIMIT);
      timing.variablesMs = Date.now() - t2;
      await rpc.call('Detach', { Kill: false });
      detached = true;
      const calls = handlerCalls(goroutines, localGenerated).map((c) => {
        const f = c.goroutine !== null ? facts.get(c.goroutine) : undefined;
        return f ? { ...c, ...(f.kind ? { streamKind: f.kind } : {}), ...(f.peer !== undefined ? { peer: f.peer } : {}) } : c;
      });
      return { source: 'go-delve', pid, pausedMs: Date.now() - started, timing, goroutines: all.length, calls, grpcVersion: grpcGoVersion(goroutines), now: Date.now() };
    } finally {
      if (!detached) await rpc.call('Detach', { Kill: false }).catch(() => undefined);
      socket.destroy();
    }
  } catch (e) {
    if (e instanceof AttachError) throw e;
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ECONNREFUSED' || /closed the connection/.test(errorMessage(e))) {
      // Delve may announce its server and then fail to attach: its own last words say why.
      if (dlv.exitCode === null) await new Promise((r) => { dlv.once('exit', r); setTimeout(r, 2000); });
      throw new AttachError('no-inspector', `Delve could not attach to process ${pid}: ${withPtraceHint(lastLine(output.text))}`);
    }
    throw new AttachError('agent-failed', `Delve could not read process ${pid}: ${errorMessage(e)} (is it a Go program with debug info?)`);
  } finally {
    if (dlv.exitCode === null) dlv.kill('SIGKILL');
  }
}
