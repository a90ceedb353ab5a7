// One attachment to one process: installs the agent through the inspector, adopts what is already
// running, receives the agent's pushed deltas, and answers requests (refresh, cancel, handler
// location). Everything it owns (timers, listeners, binding) goes when its connection goes.
import { randomBytes } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { readFileSync } from 'node:fs';
import { checkPacked, unpackSnapshot, type PackedSnapshot } from '../agent/packedSnapshot';
import { AGENT_GLOBAL_KEY, AGENT_VERSION, type AgentDelta, type AgentSnapshot, type AttachResult, type CancelResult, type SourceLocation } from '../agent/protocol';
import { formatAddress, type InspectorAddress } from './address';
import { CdpConnection } from './cdpConnection';
import type { RemoteObject } from './cdpProtocol';
import { AttachError, errorMessage } from './errors';
import { discoverTarget } from './targetDiscovery';

const AGENT = `globalThis[Symbol.for(${JSON.stringify(AGENT_GLOBAL_KEY)})]`;
const RENEW_EVERY_MS = 10_000;

export interface AttachOptions {
  /** An inspector HOST:PORT, or a WebSocket URL handed over by a debugger (js-debug's CDP proxy). */
  address?: InspectorAddress;
  webSocketUrl?: string;
  allowRemote?: boolean;
  /** Path of dist/agent.js. */
  agentPath: string;
  timeoutMs?: number;
  flushMs?: number;
  /** Subscribe to pushed changes (watch, VS Code); `list` does not need them. */
  subscribe?: boolean;
  /**
   * A process that has not loaded grpc-js yet (a debugging session that just started) keeps the
   * agent, which finds grpc-js when it loads, instead of failing.
   */
  waitForGrpc?: boolean;
  /** Called with a short sentence for each step, for progress UI. */
  progress?: (step: string) => void;
}

/** What attachExpression answers: the version found and, when it is current, attach() and maybe a snapshot. */
interface AttachReply {
  installed: number;
  attach?: AttachResult;
  snapshot?: PackedSnapshot | null;
}

/** Attaches to an agent of this version if the process has one; else only says what is installed. */
function attachExpression(flush: number | 'undefined', withSnapshot: boolean): string {
  return `(() => {
    const a = ${AGENT};
    const installed = (a && a.version) || 0;
    if (installed < ${AGENT_VERSION}) return JSON.stringify({ installed });
    const attach = a.attach({ require: typeof require === 'function' ? require : undefined, flushMs: ${flush} });
    const snapshot = ${withSnapshot} && attach.copies.some((c) => c.supported) ? a.packedSnapshot() : 'null';
    return '{"installed":' + installed + ',"attach":' + JSON.stringify(attach) + ',"snapshot":' + snapshot + '}';
  })()`;
}

/** The agent answers with JSON text (cheaper over the inspector than a returned object). */
function parseReply<T>(value: unknown): T {
  try {
    if (typeof value !== 'string') throw new Error(`expected text, got ${typeof value}`);
    return JSON.parse(value) as T;
  } catch (e) {
    throw new AttachError('agent-failed', `The agent's answer could not be read: ${errorMessage(e)}`);
  }
}

export class AgentSession {
  private readonly events = new EventEmitter();
  private renewTimer: ReturnType<typeof setInterval> | null = null;
  private closed = false;
  private lastSeq: number;
  private unpacked: AgentSnapshot | null = null;

  private constructor(
    private readonly cdp: CdpConnection,
    readonly label: string,
    readonly attachResult: AttachResult,
    /** The snapshot taken at attach, as the agent sent it (checked); `list --json` writes from it. */
    readonly initialPacked: PackedSnapshot,
    private readonly sinkName: string | null,
  ) {
    this.lastSeq = initialPacked.seq;
    if (sinkName) {
      cdp.on('Runtime.bindingCalled', (e) => {
        if (e.name !== sinkName) return;
        let delta: AgentDelta;
        try {
          delta = JSON.parse(e.payload);
        } catch {
          return;
        }
        if (delta.seq <= this.lastSeq) return; // already in the snapshot
        this.lastSeq = delta.seq;
        this.events.emit('delta', delta);
      });
      this.renewTimer = setInterval(() => {
        this.evaluate(`${AGENT} ? ${AGENT}.renew(${JSON.stringify(sinkName)}) : false`).catch(() => undefined);
      }, RENEW_EVERY_MS);
      this.renewTimer.unref?.();
    }
    cdp.onClose((reason) => this.dispose(reason));
  }

  static async attach(options: AttachOptions): Promise<AgentSession> {
    const progress = options.progress ?? (() => undefined);
    let url = options.webSocketUrl;
    let label = url ?? '';
    if (!url) {
      if (!options.address) throw new AttachError('bad-input', 'No inspector address was given.');
      progress(`Looking for an inspector on ${formatAddress(options.address)}`);
      const found = await discoverTarget(options.address, { allowRemote: options.allowRemote, timeoutMs: options.timeoutMs });
      url = found.webSocketUrl;
      label = formatAddress(found.address);
    }
    progress('Connecting to the inspector');
    const cdp = await CdpConnection.connect(url, { timeoutMs: options.timeoutMs ?? 5000, requestTimeoutMs: options.timeoutMs ?? 10_000 });
    try {
      return await AgentSession.install(cdp, label, options, progress);
    } catch (e) {
      cdp.close();
      throw e;
    }
  }

  private static async install(cdp: CdpConnection, label: string, options: AttachOptions, progress: (s: string) => void): Promise<AgentSession> {
    const run = async (expression: string, byValue = true): Promise<RemoteObject> => {
      const r = await cdp.send('Runtime.evaluate', { expression, returnByValue: byValue, includeCommandLineAPI: true, silent: true, objectGroup: 'grpc-streams' });
      if (r.exceptionDetails) {
        const text = r.exceptionDetails.exception?.description ?? r.exceptionDetails.text;
        throw new AttachError('agent-failed', `The agent failed inside the process: ${text.split('\n')[0]}`);
      }
      return r.result;
    };
    const flush = typeof options.flushMs === 'number' ? options.flushMs : 'undefined';
    const attachReply = async (withSnapshot: boolean): Promise<AttachReply> => parseReply<AttachReply>((await run(attachExpression(flush, withSnapshot))).value);
    // An agent of this version is usually there already (every attach after the first): then
    // attach and snapshot are one round trip. A subscriber takes its snapshot with subscribe().
    const first = await attachReply(!options.subscribe);
    let reply = first;
    if (!reply.attach) {
      progress('Installing the agent');
      let source: string;
      try {
        source = readFileSync(options.agentPath, 'utf8');
      } catch (e) {
        throw new AttachError('agent-failed', `Cannot read the agent at ${options.agentPath}: ${errorMessage(e)} (run npm run build).`);
      }
      await run(`${source}\n;void 0`);
      progress('Finding @grpc/grpc-js in the process');
      reply = await attachReply(false);
    }
    const attach = reply.attach;
    if (!attach) throw new AttachError('agent-failed', 'The agent did not install in the process (is its global object frozen?).');
    const supported = attach.copies.filter((c) => c.supported);
    if (supported.length === 0 && !(options.waitForGrpc && attach.copies.length === 0)) {
      // Leave nothing behind in a process we cannot help with.
      if (first.installed === 0) await run(`${AGENT} && ${AGENT}.detach()`).catch(() => undefined);
      if (attach.copies.length === 0) {
        throw new AttachError('no-grpc', `No @grpc/grpc-js is loaded in the process behind ${label}: is it a gRPC server, and has it loaded grpc-js yet?`);
      }
      const versions = [...new Set(attach.copies.map((c) => c.version))].join(', ');
      throw new AttachError('unsupported-grpc', `Unsupported @grpc/grpc-js version ${versions} in the process behind ${label}: gRPC Stream Debugger needs 1.10 or newer.`);
    }
    if (reply !== first) {
      // A fresh agent: adopt what runs already. An agent that was there has tracked it all along.
      progress('Adopting servers and calls already running');
      await AgentSession.adoptExisting(cdp, run);
    }
    let sinkName: string | null = null;
    let packed = reply.snapshot;
    if (options.subscribe) {
      sinkName = `__grpcStreams_${randomBytes(6).toString('hex')}`;
      // js-debug's CDP proxy shares its own session and forwards only the events asked for.
      if (options.webSocketUrl) await cdp.send('JsDebug.subscribe', { events: ['Runtime.bindingCalled'] }).catch(() => undefined);
      await cdp.send('Runtime.addBinding', { name: sinkName });
      packed = parseReply<PackedSnapshot>((await run(`${AGENT}.subscribe(${JSON.stringify(sinkName)})`)).value);
    } else if (!packed) {
      packed = parseReply<PackedSnapshot>((await run(`${AGENT}.packedSnapshot()`)).value);
    }
    try {
      checkPacked(packed);
    } catch (e) {
      throw new AttachError('agent-failed', errorMessage(e));
    }
    return new AgentSession(cdp, label, attach, packed, sinkName);
  }

  /** Finds live Server instances and in-flight calls with Runtime.queryObjects and hands them to the agent. */
  private static async adoptExisting(cdp: CdpConnection, run: (e: string, byValue?: boolean) => Promise<RemoteObject>): Promise<void> {
    try {
      const count = Number((await run(`${AGENT}.prototypes().length`)).value ?? 0);
      for (let i = 0; i < count; i++) {
        for (const [field, method] of [['server', 'adoptServers'], ['call', 'adoptCalls']] as const) {
          const proto = await run(`${AGENT}.prototypes()[${i}].${field}`, false);
          if (!proto.objectId) continue;
          const found = await cdp.send('Runtime.queryObjects', { prototypeObjectId: proto.objectId, objectGroup: 'grpc-streams' });
          if (!found.objects.objectId) continue;
          await cdp.send('Runtime.callFunctionOn', {
            objectId: found.objects.objectId,
            functionDeclaration: `function () { return ${AGENT}.${method}(this); }`,
            returnByValue: true,
            silent: true,
          });
        }
      }
    } finally {
      await cdp.send('Runtime.releaseObjectGroup', { objectGroup: 'grpc-streams' }).catch(() => undefined);
    }
  }

  /** The snapshot taken at attach, as records (unpacked when first asked for). */
  get initialSnapshot(): AgentSnapshot {
    this.unpacked ??= unpackSnapshot(this.initialPacked);
    return this.unpacked;
  }

  get isClosed(): boolean {
    return this.closed;
  }

  onDelta(listener: (delta: AgentDelta) => void): () => void {
    this.events.on('delta', listener);
    return () => this.events.off('delta', listener);
  }

  onClose(listener: (reason: string) => void): () => void {
    this.events.on('close', listener);
    return () => this.events.off('close', listener);
  }

  async refresh(): Promise<AgentSnapshot> {
    let snap: AgentSnapshot;
    try {
      snap = unpackSnapshot(parseReply<PackedSnapshot>(await this.evaluate(`${AGENT}.packedSnapshot()`)));
    } catch (e) {
      throw e instanceof AttachError ? e : new AttachError('agent-failed', errorMessage(e));
    }
    this.lastSeq = Math.max(this.lastSeq, snap.seq);
    return snap;
  }

  async cancel(streamId: string): Promise<CancelResult> {
    const r = (await this.evaluate(`${AGENT} ? ${AGENT}.cancel(${JSON.stringify(streamId)}) : { ok: false, error: 'the agent is not installed' }`)) as CancelResult;
    return r;
  }

  /** Where the handler function of a method is defined (the agent asks its own process). */
  async handlerLocation(serverId: string, method: string): Promise<SourceLocation | null> {
    return (await this.evaluate(`${AGENT} ? ${AGENT}.handlerLocation(${JSON.stringify(serverId)}, ${JSON.stringify(method)}) : null`)) as SourceLocation | null;
  }

  /** Uninstalls the agent from the process (every hook and timer) and closes the connection. */
  async detachAgent(): Promise<void> {
    try {
      await this.evaluate(`${AGENT} ? (${AGENT}.detach(), true) : false`);
    } finally {
      this.close();
    }
  }

  /** Stops listening and closes the connection; the agent stays installed for the next attach. */
  close(): void {
    if (this.closed) return;
    if (this.sinkName && !this.cdp.isClosed) {
      // Tell the agent first; the connection closes once it has answered.
      this.evaluate(`${AGENT} && ${AGENT}.unsubscribe(${JSON.stringify(this.sinkName)})`)
        .catch(() => undefined)
        .finally(() => this.cdp.close());
    } else {
      this.cdp.close();
    }
    this.dispose('detached');
  }

  private async evaluate(expression: string): Promise<unknown> {
    const r = await this.cdp.send('Runtime.evaluate', { expression, returnByValue: true, silent: true });
    if (r.exceptionDetails) throw new AttachError('agent-failed', `The agent failed inside the process: ${(r.exceptionDetails.exception?.description ?? r.exceptionDetails.text).split('\n')[0]}`);
    return r.result.value;
  }

  private dispose(reason: string): void {
    if (this.closed) return;
    this.closed = true;
    if (this.renewTimer) clearInterval(this.renewTimer);
    this.renewTimer = null;
    this.events.emit('close', reason);
    this.events.removeAllListeners();
  }
}
