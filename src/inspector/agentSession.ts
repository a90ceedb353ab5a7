// One attachment to one process: installs the agent through the inspector, adopts what is already
// running, receives the agent's pushed deltas, and answers requests (refresh, cancel, handler
// location). Everything it owns (timers, listeners, binding) goes when its connection goes.
import type { LiveSource } from '../sources/source';
import { randomBytes } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { readFileSync } from 'node:fs';
import { checkPacked, mergePages, unpackSnapshot, type PackedPage, type PackedSnapshot } from '../agent/packedSnapshot';
import { AGENT_GLOBAL_KEY, AGENT_VERSION, foreignStreamId, type ProbeSettings, type AgentDelta, type AgentSnapshot, type AttachResult, type CancelResult, type SourceLocation } from '../agent/protocol';
import { formatAddress, type InspectorAddress } from './address';
import { CdpConnection } from './cdpConnection';
import type { RemoteObject } from './cdpProtocol';
import { checkDelta } from './deltaCheck';
import { AttachError, errorMessage } from './errors';
import { discoverTarget } from './targetDiscovery';

const AGENT = `globalThis[Symbol.for(${JSON.stringify(AGENT_GLOBAL_KEY)})]`;
/** A subscriber asks this often whether the process answers (and renews its lease). */
const HEARTBEAT_MS = 2000;
/** Slices of the in-flight adoption: each one request, so the target's event loop turns between. */
const ADOPT_SLICE_MS = 8;

/** What a subscriber knows of the process behind it. */
export type SessionHealth =
  | { state: 'ok' }
  /** No answer to the heartbeat: stopped (SIGSTOP, a breakpoint) or busy; data is stale. */
  | { state: 'not-answering'; sinceMs: number }
  /** The agent was removed (another client detached it): nothing more will arrive. */
  | { state: 'agent-gone' };
export interface AttachOptions {
  /** An inspector HOST:PORT, or a WebSocket URL handed over by a debugger (js-debug's CDP proxy). */
  address?: InspectorAddress;
  webSocketUrl?: string;
  allowRemote?: boolean;
  /** Path of dist/agent.js. */
  agentPath: string;
  timeoutMs?: number;
  flushMs?: number;
  /** How the agent probes connections with HTTP/2 PINGs (only while someone is subscribed or asks). */
  probe?: Partial<ProbeSettings>;
  /** Subscribe to pushed changes (watch, VS Code); `list` does not need them. */
  subscribe?: boolean;
  /**
   * A process that has not loaded grpc-js yet (a debugging session that just started) keeps the
   * agent, which finds grpc-js when it loads, instead of failing.
   */
  waitForGrpc?: boolean;
  /** Called with a short sentence for each step, for progress UI. */
  progress?: (step: string) => void;
  /** The tool opened this inspector (SIGUSR1): close it again when the session closes. */
  closeInspectorOnClose?: boolean;
  /** Where to say that a pushed delta was dropped (default: nowhere). */
  warn?: (message: string) => void;
}

/** What attachExpression answers: the version found and, when it is current, attach() and maybe a snapshot. */
interface AttachReply {
  installed: number;
  attach?: AttachResult;
  snapshot?: PackedSnapshot | null;
}

/** Attaches to an agent of this version if the process has one; else only says what is installed. */
function attachExpression(flush: number | 'undefined', withSnapshot: boolean, probe: Partial<ProbeSettings> | undefined): string {
  return `(() => {
    const a = ${AGENT};
    const installed = (a && a.version) || 0;
    if (installed < ${AGENT_VERSION}) return JSON.stringify({ installed });
    const attach = a.attach({ require: typeof require === 'function' ? require : undefined, flushMs: ${flush}, probe: ${probe ? JSON.stringify(probe) : 'undefined'} });
    const snapshot = ${withSnapshot} && attach.copies.some((c) => c.supported) ? a.packedSnapshot() : 'null';
    return '{"installed":' + installed + ',"attach":' + JSON.stringify(attach) + ',"snapshot":' + snapshot + '}';
  })()`;
}

/** Reads the rest of a paged snapshot, one inspector request per page, and checks the whole. */
async function completePacked(first: PackedSnapshot, evaluate: (expression: string) => Promise<unknown>): Promise<PackedSnapshot> {
  let packed = first;
  if (first && first.pageToken && typeof first.next === 'number') {
    const pages: PackedPage[] = [];
    let next: number | null = first.next;
    while (next !== null) {
      const page: PackedPage = parseReply<PackedPage>(await evaluate(`${AGENT}.snapshotPage(${JSON.stringify(first.pageToken)}, ${next})`));
      pages.push(page);
      next = typeof page.next === 'number' && page.next > next ? page.next : null;
    }
    try {
      packed = mergePages(first, pages);
    } catch (e) {
      throw new AttachError('agent-failed', errorMessage(e));
    }
  }
  try {
    checkPacked(packed);
  } catch (e) {
    throw new AttachError('agent-failed', errorMessage(e));
  }
  return packed;
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

/**
 * Asks the process to close its inspector just after this connection goes (inspector.close()
 * waits for its clients to leave), for an inspector this tool opened with SIGUSR1.
 */
async function closeInspectorAfter(cdp: CdpConnection): Promise<void> {
  await cdp.send('Runtime.evaluate', {
    expression: `(() => { const r = require; setTimeout(() => { try { r('inspector').close(); } catch {} }, 50); return true; })()`,
    includeCommandLineAPI: true,
    returnByValue: true,
    silent: true,
  }, 2000).catch(() => undefined);
}

/** The Node source: the agent inside the process, reached through its inspector. */
export class AgentSession implements LiveSource {
  readonly kind = 'node' as const;
  private readonly events = new EventEmitter();
  private heartbeatTimer: ReturnType<typeof setInterval> | null = null;
  private heartbeatPending = false;
  private closed = false;
  private closing: Promise<void> | null = null;
  private lastSeq: number;
  private unpacked: AgentSnapshot | null = null;
  private health: SessionHealth = { state: 'ok' };
  private lastAnswerAt = Date.now();
  /** The process and agent install of the latest snapshot. */
  private current: { pid: number; epoch: string };

  private constructor(
    private readonly cdp: CdpConnection,
    readonly label: string,
    readonly attachResult: AttachResult,
    /** The snapshot taken at attach, as the agent sent it (checked); `list --json` writes from it. */
    readonly initialPacked: PackedSnapshot,
    private sinkName: string | null,
    private readonly options: Pick<AttachOptions, 'closeInspectorOnClose' | 'warn' | 'webSocketUrl'>,
  ) {
    this.lastSeq = initialPacked.seq;
    this.current = { pid: initialPacked.pid, epoch: initialPacked.epoch };
    if (sinkName) {
      cdp.on('Runtime.bindingCalled', (e) => this.onPush(e.name, e.payload));
      this.heartbeatTimer = setInterval(() => void this.heartbeat(), HEARTBEAT_MS);
      this.heartbeatTimer.unref?.();
    }
    cdp.onClose((reason) => this.dispose(reason));
  }

  /** The process and install every stream id of this session belongs to. */
  get pid(): number {
    return this.current.pid;
  }

  /** The agent install now answering: a new one when another client re-installed the agent. */
  get epoch(): string {
    return this.current.epoch;
  }

  /** One pushed delta: parsed, checked and in order, or dropped with a warning. */
  private onPush(name: string, payload: string): void {
    if (name !== this.sinkName) return;
    let value: unknown;
    try {
      value = JSON.parse(payload);
    } catch {
      this.options.warn?.(`${this.label}: dropped a pushed update that is not JSON.`);
      return;
    }
    const checked = checkDelta(value, this.pid, this.epoch);
    if ('problem' in checked) {
      this.options.warn?.(`${this.label}: dropped a pushed update with ${checked.problem}`);
      return;
    }
    if (checked.delta.seq <= this.lastSeq) return; // already in the snapshot, or out of order
    this.lastSeq = checked.delta.seq;
    this.events.emit('delta', checked.delta);
  }

  /** Renews the lease and tells whether the process answers and still has our agent. */
  private async heartbeat(): Promise<void> {
    if (this.closed || this.heartbeatPending || !this.sinkName) return;
    this.heartbeatPending = true;
    try {
      const answer = await this.evaluate(`(() => { const a = ${AGENT}; if (!a) return 'gone'; return a.renew(${JSON.stringify(this.sinkName)}) ? 'ok' : 'lost'; })()`, HEARTBEAT_MS);
      this.lastAnswerAt = Date.now();
      if (answer === 'gone') this.setHealth({ state: 'agent-gone' });
      else {
        // The agent dropped our lease (the process was stopped past it): subscribe afresh.
        if (answer === 'lost') await this.resubscribe();
        this.setHealth({ state: 'ok' });
      }
    } catch (e) {
      if (this.closed) return;
      if (e instanceof AttachError && e.code === 'timeout') this.setHealth({ state: 'not-answering', sinceMs: Date.now() - this.lastAnswerAt });
    } finally {
      this.heartbeatPending = false;
    }
  }

  private setHealth(h: SessionHealth): void {
    const changed = h.state !== this.health.state;
    this.health = h;
    if (changed) this.events.emit('health', h);
  }

  get currentHealth(): SessionHealth {
    return this.health;
  }

  /** A new binding and a new snapshot, emitted as 'snapshot' for stores to reset from. */
  private async resubscribe(): Promise<void> {
    const old = this.sinkName;
    const sink = await AgentSession.subscribeSink(this.cdp, !!this.options.webSocketUrl, (e) => this.evaluate(e));
    this.sinkName = sink.name;
    if (old) this.cdp.send('Runtime.removeBinding', { name: old }).catch(() => undefined);
    const snap = unpackSnapshot(sink.packed);
    this.lastSeq = snap.seq;
    this.current = { pid: snap.pid, epoch: snap.epoch };
    this.events.emit('snapshot', snap);
    for (const payload of sink.early) this.onPush(sink.name, payload);
  }

  /** Adds a binding, hands it to the agent (which takes it off the global object) and returns its snapshot. */
  private static async subscribeSink(cdp: CdpConnection, viaProxy: boolean, evaluate: (e: string) => Promise<unknown>): Promise<{ name: string; packed: PackedSnapshot; early: string[] }> {
    const name = `__grpcStreams_${randomBytes(6).toString('hex')}`;
    // js-debug's CDP proxy shares its own session and forwards only the events asked for.
    if (viaProxy) await cdp.send('JsDebug.subscribe', { events: ['Runtime.bindingCalled'] }).catch(() => undefined);
    // Deltas can come while a paged snapshot is still being read: keep them for after it.
    const early: string[] = [];
    const stop = cdp.on('Runtime.bindingCalled', (e) => {
      if (e.name === name) early.push(e.payload);
    });
    try {
      await cdp.send('Runtime.addBinding', { name });
      const first = parseReply<PackedSnapshot>(await evaluate(`${AGENT}.subscribe(${JSON.stringify(name)})`));
      return { name, packed: await completePacked(first, evaluate), early };
    } finally {
      stop();
    }
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
      if (options.closeInspectorOnClose) await closeInspectorAfter(cdp);
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
    const attachReply = async (withSnapshot: boolean): Promise<AttachReply> => parseReply<AttachReply>((await run(attachExpression(flush, withSnapshot, options.probe))).value);
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
    const evaluate = async (e: string): Promise<unknown> => (await run(e)).value;
    if (options.subscribe) {
      const sink = await AgentSession.subscribeSink(cdp, !!options.webSocketUrl, evaluate);
      const session = new AgentSession(cdp, label, attach, sink.packed, sink.name, options);
      for (const payload of sink.early) session.onPush(sink.name, payload);
      return session;
    }
    const snapshot = reply.snapshot ?? parseReply<PackedSnapshot>(await evaluate(`${AGENT}.packedSnapshot()`));
    return new AgentSession(cdp, label, attach, await completePacked(snapshot, evaluate), null, options);
  }

  /**
   * Finds the servers and the calls already running, with no heap walk: each listening HTTP/2
   * server's 'stream' listener is bound to its grpc-js Server ([[BoundThis]], read through the
   * inspector); the agent then goes from the servers' sessions to their streams and calls, in
   * slices of a few milliseconds.
   */
  private static async adoptExisting(cdp: CdpConnection, run: (e: string, byValue?: boolean) => Promise<RemoteObject>): Promise<void> {
    try {
      const listeners = await run(`${AGENT}.serverListeners()`, false);
      if (listeners.objectId) {
        const items = await cdp.send('Runtime.getProperties', { objectId: listeners.objectId, ownProperties: true });
        for (const item of items.result) {
          if (!/^\d+$/.test(item.name) || !item.value?.objectId) continue;
          const fn = await cdp.send('Runtime.getProperties', { objectId: item.value.objectId, ownProperties: true });
          const server = fn.internalProperties?.find((p) => p.name === '[[BoundThis]]')?.value;
          if (!server?.objectId) continue;
          await cdp.send('Runtime.callFunctionOn', {
            objectId: server.objectId,
            functionDeclaration: `function () { return ${AGENT}.adoptServers([this]); }`,
            returnByValue: true,
            silent: true,
          });
        }
      }
    } finally {
      await cdp.send('Runtime.releaseObjectGroup', { objectGroup: 'grpc-streams' }).catch(() => undefined);
    }
    let left = Number((await run(`${AGENT}.beginAdoption()`)).value ?? 0);
    while (left > 0) left = Number((await run(`${AGENT}.adoptStep(${ADOPT_SLICE_MS})`)).value ?? 0);
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

  /** The process stopped answering, answers again, or lost its agent. */
  onHealth(listener: (health: SessionHealth) => void): () => void {
    this.events.on('health', listener);
    return () => this.events.off('health', listener);
  }

  /** A whole new snapshot replaces what the deltas built (after the agent had dropped our lease). */
  onSnapshot(listener: (snapshot: AgentSnapshot) => void): () => void {
    this.events.on('snapshot', listener);
    return () => this.events.off('snapshot', listener);
  }

  async refresh(): Promise<AgentSnapshot> {
    return unpackSnapshot(await this.refreshPacked());
  }

  /** A new snapshot as the agent packs it (checked); `list --probe --json` writes from it. */
  async refreshPacked(): Promise<PackedSnapshot> {
    let packed: PackedSnapshot;
    try {
      const first = parseReply<PackedSnapshot>(await this.evaluate(`${AGENT}.packedSnapshot()`));
      packed = await completePacked(first, (e) => this.evaluate(e));
    } catch (e) {
      throw e instanceof AttachError ? e : new AttachError('agent-failed', errorMessage(e));
    }
    this.lastSeq = Math.max(this.lastSeq, packed.seq);
    return packed;
  }

  /** Ends the call; ok only once it has left the live set. Ids of another process or install are refused. */
  async cancel(streamId: string): Promise<CancelResult> {
    const foreign = foreignStreamId(streamId, this.pid, this.epoch);
    if (foreign) return { ok: false, error: foreign };
    const r = (await this.evaluate(`${AGENT} ? ${AGENT}.cancel(${JSON.stringify(streamId)}) : { ok: false, error: 'The agent is no longer installed in the process (another client detached it).' }`, 10_000, true)) as CancelResult;
    return r;
  }

  /** PINGs every connection with an open stream and waits for the answers (at most the probe timeout). */
  async probeAll(timeoutMs: number): Promise<number> {
    return Number(await this.evaluate(`${AGENT} ? ${AGENT}.probeAll(${Number(timeoutMs)}) : 0`, timeoutMs + 10_000, true));
  }

  /** Changes how the agent probes connections (settings that apply at once). */
  async configureProbe(probe: Partial<ProbeSettings>): Promise<void> {
    await this.evaluate(`${AGENT} ? (${AGENT}.attach({ probe: ${JSON.stringify(probe)} }), true) : false`);
  }

  /** Cancels every stream whose connection did not answer its PING. */
  async cancelDead(filter: { serverId?: string } = {}): Promise<{ cancelled: string[]; failed: Array<{ id: string; error: string }> }> {
    const r = (await this.evaluate(`${AGENT} ? ${AGENT}.cancelDead(${JSON.stringify(filter)}) : { cancelled: [], failed: [] }`, 30_000, true)) as { cancelled: string[]; failed: Array<{ id: string; error: string }> };
    return { cancelled: Array.isArray(r?.cancelled) ? r.cancelled : [], failed: Array.isArray(r?.failed) ? r.failed : [] };
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
      await this.close();
    }
  }

  /**
   * Stops listening and closes the connection; the agent stays installed for the next attach.
   * Our binding goes, and an inspector this tool opened is closed again. Resolves once closed.
   */
  close(): Promise<void> {
    if (this.closing) return this.closing;
    const sink = this.sinkName;
    this.dispose('detached');
    this.closing = (async () => {
      if (this.cdp.isClosed) return;
      try {
        if (sink) {
          // Tell the agent first; the connection closes once it has answered.
          await this.evaluate(`${AGENT} && ${AGENT}.unsubscribe(${JSON.stringify(sink)})`, 2000).catch(() => undefined);
          await this.cdp.send('Runtime.removeBinding', { name: sink }, 2000).catch(() => undefined);
        }
        if (this.options.closeInspectorOnClose) await closeInspectorAfter(this.cdp);
      } finally {
        this.cdp.close();
      }
    })();
    return this.closing;
  }

  private async evaluate(expression: string, timeoutMs?: number, awaitPromise = false): Promise<unknown> {
    const r = await this.cdp.send('Runtime.evaluate', { expression, returnByValue: true, silent: true, awaitPromise }, timeoutMs);
    if (r.exceptionDetails) throw new AttachError('agent-failed', `The agent failed inside the process: ${(r.exceptionDetails.exception?.description ?? r.exceptionDetails.text).split('\n')[0]}`);
    return r.result.value;
  }

  private dispose(reason: string): void {
    if (this.closed) return;
    this.closed = true;
    if (this.heartbeatTimer) clearInterval(this.heartbeatTimer);
    this.heartbeatTimer = null;
    this.events.emit('close', reason);
    this.events.removeAllListeners();
  }
}
