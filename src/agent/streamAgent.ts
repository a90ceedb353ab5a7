// The agent: keeps the live set of gRPC calls of one process, the servers they belong to and a
// bounded history of ended calls, and pushes what changed to inspector subscribers.
import { findLoadedCopies, type LoadedCopy } from './grpcCopies';
import { kindFromHandlerType } from './kinds';
import { InFlightCalls } from './inFlightCalls';
import { ConnectionRegistry } from './connections';
import { functionLocation } from './functionLocation';
import { PatchSet } from './patches';
import { packStreams, type PackedPage, type PackedSnapshot } from './packedSnapshot';
import {
  AGENT_VERSION,
  type AgentApi,
  type AgentDelta,
  type AgentSnapshot,
  type AttachResult,
  type CancelResult,
  formatStreamId,
  type ProbeSettings,
  type SourceLocation,
  type EndedCall,
  type ServerRecord,
} from './protocol';
import { hookCallPrototype, hookWriteQueues } from './callHooks';
import { TRACK, TrackedCall, type CallObserver } from './trackedCall';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Loose = any;

interface ServerEntry {
  id: string;
  ref: WeakRef<Loose>;
  copy: LoadedCopy | null;
}

/** A subscriber: the inspector binding it pushes to (held here, deleted from the global object). */
interface Sink {
  push: (payload: string) => void;
  expires: number;
}

const DEFAULT_FLUSH_MS = 500;
const DEFAULT_HISTORY = 200;
/** A subscriber that has not renewed its lease for this long is dropped (its client is gone). */
const SINK_LEASE_MS = 30_000;
/** A cancelled call that has not ended after this long (its status stuck behind queued data) is reset. */
const CANCEL_RESET_AFTER_MS = 1000;
const CANCEL_GIVE_UP_AFTER_MS = 3000;
/** Streams per snapshot page: packing and sending 2,000 takes a few milliseconds of the target's thread. */
const SNAPSHOT_PAGE = 2000;
/** A paged snapshot whose reader went away is forgotten after this long. */
const PAGING_TTL_MS = 60_000;

export class StreamAgent implements AgentApi, CallObserver {
  readonly version = AGENT_VERSION;
  private detached = false;
  private readonly patches = new PatchSet();
  private moduleApi: Loose = null;
  private requireFn: ((id: string) => Loose) | null = null;
  private readFile: ((p: string) => string) | null = null;
  private readonly copies: LoadedCopy[] = [];
  private readonly knownDirs = new Set<string>();
  private readonly serverEntries: ServerEntry[] = [];
  private readonly serverIds = new WeakMap<object, ServerEntry>();
  private readonly live = new Map<string, TrackedCall>();
  private history: EndedCall[] = [];
  private historySize = DEFAULT_HISTORY;
  private flushMs = DEFAULT_FLUSH_MS;
  private readonly sinks = new Map<string, Sink>();
  private readonly endWaiters = new Map<TrackedCall, () => void>();
  private readonly inFlight = new InFlightCalls();
  /** Paged snapshots being read: the calls as they were listed, and the head's clock. */
  private readonly pagings = new Map<string, { calls: TrackedCall[]; now: number; expires: number }>();
  private nextPaging = 1;
  /** New for every install of the agent, so ids from an earlier attach never match a later call. */
  readonly epoch = (Date.now() % 1679616).toString(36) + Math.floor(Math.random() * 1296).toString(36);
  private readonly connections = new ConnectionRegistry(`k${this.epoch}-`);
  private probeTimer: ReturnType<typeof setInterval> | null = null;
  private dirty: TrackedCall[] = [];
  private endedPending: EndedCall[] = [];
  private serversChanged = false;
  private flushTimer: ReturnType<typeof setTimeout> | null = null;
  private seq = 0;
  private nextCallId = 1;
  private nextServerId = 1;

  constructor(private readonly onDetach: () => void) {}

  attach(options: { require?: unknown; flushMs?: number; historySize?: number; probe?: Partial<ProbeSettings> } = {}): AttachResult {
    if (typeof options.flushMs === 'number' && options.flushMs >= 50) this.flushMs = options.flushMs;
    if (options.probe && typeof options.probe === 'object') this.setProbe(options.probe);
    if (typeof options.historySize === 'number' && options.historySize >= 0) this.historySize = Math.floor(options.historySize);
    if (!this.moduleApi) this.initModuleAccess(options.require);
    this.scanCopies();
    return {
      agentVersion: this.version,
      pid: process.pid,
      epoch: this.epoch,
      copies: this.copies.map(({ version, path, supported }) => ({ version, path, supported })),
      servers: this.serverEntries.length,
      streams: this.live.size,
    };
  }

  serverListeners(): unknown[] {
    const out: unknown[] = [];
    try {
      const handles: Loose[] = (process as Loose)._getActiveHandles?.() ?? [];
      for (const h of handles) {
        if (!h || typeof h.listeners !== 'function' || typeof h.address !== 'function') continue;
        for (const l of h.listeners('stream')) if (typeof l === 'function' && l.name.startsWith('bound ')) out.push(l);
      }
    } catch { /* no handles to offer */ }
    return out;
  }

  adoptServers(servers: unknown[]): number {
    let n = 0;
    for (const s of Array.isArray(servers) ? servers : []) if (this.adoptServer(s, null)) n++;
    return n;
  }

  beginAdoption(): number {
    if (this.detached) return 0;
    return this.inFlight.collect(this.serverEntries.map((e) => e.ref.deref()).filter(Boolean));
  }

  adoptStep(budgetMs: number): number {
    if (this.detached) return 0;
    const protos = this.copies.filter((c) => c.supported).map((c) => c.BaseCall.prototype);
    return this.inFlight.step(protos, Math.max(1, Math.min(Number(budgetMs) || 10, 50)), (base) => this.adoptCall(base));
  }

  /**
   * Registers a sink for pushed deltas; returns the packed snapshot they continue from. The
   * binding is taken off the global object, so the application can neither find nor call it.
   */
  subscribe(sink: string): string {
    const g = globalThis as Loose;
    const name = String(sink);
    const push = g[name];
    if (typeof push !== 'function') throw new Error(`no inspector binding named ${name}`);
    try { delete g[name]; } catch { /* a frozen global: it stays visible */ }
    this.sinks.set(name, { push, expires: Date.now() + SINK_LEASE_MS });
    this.updateProbeTimer();
    return this.packedSnapshot();
  }

  renew(sink: string): boolean {
    const s = this.sinks.get(sink);
    if (!s) return false;
    s.expires = Date.now() + SINK_LEASE_MS;
    return true;
  }

  unsubscribe(sink: string): void {
    this.sinks.delete(sink);
    if (this.sinks.size === 0) this.clearPending();
    this.updateProbeTimer();
  }

  snapshot(): AgentSnapshot {
    return { ...this.snapshotHead(), streams: [...this.live.values()].map((c) => c.toRecord()) };
  }

  /** The snapshot as JSON of a PackedSnapshot: what the inspector client reads (paged when large). */
  packedSnapshot(): string {
    const head = this.snapshotHead();
    const calls = [...this.live.values()];
    if (calls.length <= SNAPSHOT_PAGE) return JSON.stringify({ ...head, ...packStreams(calls, head.now) } satisfies PackedSnapshot);
    const now = Date.now();
    const pageToken = `p${this.nextPaging++}`;
    this.pagings.set(pageToken, { calls, now: head.now, expires: now + PAGING_TTL_MS });
    const packed: PackedSnapshot = { ...head, pageToken, next: SNAPSHOT_PAGE, ...packStreams(calls.slice(0, SNAPSHOT_PAGE), head.now) };
    return JSON.stringify(packed);
  }

  /** The page of a paged snapshot from offset on; calls that ended since the head are left out. */
  snapshotPage(pageToken: string, offset: number): string {
    const p = this.pagings.get(String(pageToken));
    if (!p) throw new Error(`no snapshot ${pageToken} is being read (it expired)`);
    const from = Math.max(0, Math.floor(Number(offset) || 0));
    const part = p.calls.slice(from, from + SNAPSHOT_PAGE).filter((c) => !c.ended);
    const next = from + SNAPSHOT_PAGE < p.calls.length ? from + SNAPSHOT_PAGE : null;
    if (next === null) this.pagings.delete(String(pageToken));
    const page: PackedPage = { ...packStreams(part, p.now), next };
    return JSON.stringify(page);
  }

  /** Everything but the streams, and the sequence point the snapshot stands for. */
  private snapshotHead(): Omit<AgentSnapshot, 'streams'> {
    this.sweep();
    // Everything up to now is in the snapshot: pending changes need not be sent again.
    this.clearPending();
    this.seq++;
    return {
      agentVersion: this.version,
      pid: process.pid,
      epoch: this.epoch,
      node: process.version,
      now: Date.now(),
      seq: this.seq,
      grpcJs: [...new Set(this.copies.map((c) => c.version))],
      copies: this.copies.map(({ version, path, supported }) => ({ version, path, supported })),
      servers: this.serverRecords(),
      ended: this.history.slice(),
    };
  }

  /** Ends the call and answers once it has left the live set (or says why it did not). */
  async cancel(id: string): Promise<CancelResult> {
    const call = this.live.get(String(id));
    if (!call) return { ok: false, error: `There is no open stream ${id} in process ${process.pid}.` };
    let how: CancelResult['how'] = 'status';
    try {
      call.cancel('Cancelled from gRPC Stream Debugger');
      if (!call.ended && !(await this.endOf(call, CANCEL_RESET_AFTER_MS))) {
        how = 'reset';
        call.reset();
      } else if (call.resetSent) how = 'reset';
      if (call.ended || (await this.endOf(call, CANCEL_GIVE_UP_AFTER_MS))) return { ok: true, how };
      return { ok: false, how, error: `Stream ${id} was sent CANCELLED and reset, but grpc-js has not ended the call yet.` };
    } catch (e) {
      return { ok: false, error: `grpc-js refused to cancel ${id}: ${e instanceof Error ? e.message : String(e)}` };
    }
  }

  private setProbe(p: Partial<ProbeSettings>): void {
    const cur = this.connections.settings;
    const num = (v: unknown, min: number, dflt: number): number => (typeof v === 'number' && Number.isFinite(v) && v >= min ? v : dflt);
    this.connections.settings = {
      enabled: typeof p.enabled === 'boolean' ? p.enabled : cur.enabled,
      timeoutMs: num(p.timeoutMs, 100, cur.timeoutMs),
      minIntervalMs: num(p.minIntervalMs, 1000, cur.minIntervalMs),
      idleMs: num(p.idleMs, 1000, cur.idleMs),
      maxPerSecond: num(p.maxPerSecond, 1, cur.maxPerSecond),
    };
    this.updateProbeTimer();
  }

  /** Probing runs only while a subscriber is there and probing is on. */
  private updateProbeTimer(): void {
    const want = !this.detached && this.sinks.size > 0 && this.connections.settings.enabled;
    if (want && !this.probeTimer) {
      this.probeTimer = setInterval(() => this.probeIdle(), 1000);
      this.probeTimer.unref?.();
    } else if (!want && this.probeTimer) {
      clearInterval(this.probeTimer);
      this.probeTimer = null;
    }
  }

  /** Probes the connections of streams that passed the idle threshold (each at most every minIntervalMs). */
  private probeIdle(): void {
    try {
      const now = Date.now();
      const idle = this.connections.settings.idleMs;
      for (const call of this.live.values()) {
        const c = call.connection;
        if (!c || c.inFlight) continue;
        const last = Math.max(call.lastReceivedAt ?? 0, call.startedAt ?? call.observedSince);
        if (now - last >= idle) this.connections.probe(c, false);
      }
      this.connections.prune();
    } catch { /* never into the application */ }
  }

  /** The timeout applies to this request only: other clients' probe settings stay as they set them. */
  async probeAll(timeoutMs?: number): Promise<number> {
    if (this.detached) return 0;
    const timeout = typeof timeoutMs === 'number' && timeoutMs >= 100 ? timeoutMs : this.connections.settings.timeoutMs;
    const waits: Promise<void>[] = [];
    for (const c of this.connections.open) {
      waits.push(new Promise<void>((resolve) => {
        if (!this.connections.probe(c, true, resolve, timeout)) resolve();
      }));
    }
    await Promise.all(waits);
    return waits.length;
  }

  /** Streams dead at this moment (of one server when serverId is given): a client that answered again is spared. */
  async cancelDead(filter: { serverId?: string } = {}): Promise<{ cancelled: string[]; failed: Array<{ id: string; error: string }> }> {
    const serverId = typeof filter?.serverId === 'string' ? filter.serverId : null;
    const dead = [...this.live.values()].filter((c) => c.liveness === 'dead' && (serverId === null || c.serverId === serverId)).map((c) => c.id);
    const results = await Promise.all(dead.map(async (id) => ({ id, r: await this.cancel(id) })));
    return {
      cancelled: results.filter((x) => x.r.ok).map((x) => x.id),
      failed: results.filter((x) => !x.r.ok).map((x) => ({ id: x.id, error: x.r.error ?? 'not ended' })),
    };
  }

  /** Resolves true when the call ends, false after timeoutMs. */
  private endOf(call: TrackedCall, timeoutMs: number): Promise<boolean> {
    if (call.ended) return Promise.resolve(true);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.endWaiters.delete(call);
        resolve(false);
      }, timeoutMs);
      this.endWaiters.set(call, () => {
        clearTimeout(timer);
        resolve(true);
      });
    });
  }

  handlerOf(serverId: string, method: string): unknown {
    const entry = this.serverEntries.find((e) => e.id === serverId);
    const server = entry?.ref.deref();
    const handler = server?.handlers?.get?.(method);
    return handler ? handler.func : undefined;
  }

  handlerLocation(serverId: string, method: string): SourceLocation | null {
    try {
      return functionLocation(this.handlerOf(serverId, method), this.builtin('inspector'));
    } catch {
      return null;
    }
  }

  detach(): void {
    if (this.detached) return;
    this.detached = true;
    this.patches.restoreAll();
    for (const call of this.live.values()) call.unhook();
    for (const wake of this.endWaiters.values()) wake();
    this.endWaiters.clear();
    if (this.probeTimer) clearInterval(this.probeTimer);
    this.probeTimer = null;
    this.connections.clear();
    if (this.flushTimer) clearTimeout(this.flushTimer);
    this.flushTimer = null;
    this.live.clear();
    this.serverEntries.length = 0;
    this.copies.length = 0;
    this.history = [];
    this.pagings.clear();
    this.sinks.clear();
    this.clearPending();
    this.onDetach();
  }

  // ---- CallObserver ----

  changed(call: TrackedCall): void {
    if (call.dirty || this.sinks.size === 0) return;
    call.dirty = true;
    this.dirty.push(call);
    this.scheduleFlush();
  }

  ended(call: TrackedCall, statusCode: number): void {
    const wake = this.endWaiters.get(call);
    if (wake) {
      this.endWaiters.delete(call);
      wake();
    }
    if (!this.live.delete(call.id)) return;
    const record = call.toEnded(statusCode, Date.now());
    this.history.push(record);
    if (this.history.length > this.historySize) this.history.splice(0, this.history.length - this.historySize);
    if (this.sinks.size > 0) {
      this.endedPending.push(record);
      this.scheduleFlush();
    }
  }

  // ---- internals ----

  /**
   * A Node built-in module: through the `require` we were given (preload, or the inspector's
   * command-line API), else process.getBuiltinModule (Node 20.16+).
   */
  private builtin(name: string): Loose {
    try {
      const m = this.requireFn ? this.requireFn(name) : null;
      if (m) return m;
    } catch { /* fall through */ }
    const getBuiltin = (process as Loose).getBuiltinModule;
    return typeof getBuiltin === 'function' ? getBuiltin(name) : null;
  }

  private initModuleAccess(req: unknown): void {
    this.requireFn = typeof req === 'function' ? (req as (id: string) => Loose) : null;
    const mod = this.builtin('module');
    if (!mod || !mod._cache) throw new Error('cannot reach the module cache of this process');
    this.moduleApi = mod;
    const fs = this.builtin('fs');
    this.readFile = (p: string) => fs.readFileSync(p, 'utf8');
    // Copies loaded later (the usual case with --require) are found when grpc-js loads its server module.
    const self = this;
    this.patches.wrap(mod, '_load', (orig) => function (this: unknown, ...args: unknown[]) {
      const exportsValue = orig.apply(this, args);
      if (!self.detached) {
        try {
          const request = args[0];
          if (typeof request === 'string' && (request === './server' || request.includes('grpc-js'))) self.scanCopies();
        } catch { /* never throw into require() */ }
      }
      return exportsValue;
    });
  }

  private scanCopies(): void {
    if (this.detached || !this.moduleApi || !this.readFile) return;
    const added = findLoadedCopies(this.moduleApi._cache, this.readFile, this.knownDirs);
    for (const copy of added) {
      this.knownDirs.add(copy.path);
      this.copies.push(copy);
      if (copy.supported) this.hookServerClass(copy);
    }
  }

  /** Servers created from now on are adopted when they register a service or bind a port. */
  private hookServerClass(copy: LoadedCopy): void {
    const self = this;
    hookCallPrototype(copy.BaseCall.prototype, this.patches, () => this.detached, (base) => this.trackNewCall(base));
    hookWriteQueues(copy.WritableStreams.map((c) => c.prototype), this.patches, () => this.detached);
    for (const method of ['register', 'bindAsync', 'start']) {
      this.patches.wrap(copy.Server.prototype, method, (orig) => function (this: unknown, ...args: unknown[]) {
        if (!self.detached) {
          try { self.adoptServer(this, copy); } catch { /* never throw into grpc-js */ }
        }
        return orig.apply(this, args);
      });
    }
  }

  private copyOf(server: Loose): LoadedCopy | null {
    for (const c of this.copies) if (server instanceof c.Server) return c;
    return null;
  }

  /** Servers are known by the object itself; nothing of theirs is written to. */
  private adoptServer(server: Loose, copy: LoadedCopy | null): boolean {
    if (this.detached || !server || typeof server !== 'object') return false;
    if (this.serverIds.has(server)) return false;
    if (!(server.handlers instanceof Map) || !(server.sessions instanceof Map)) return false; // not a grpc-js Server
    const c = copy ?? this.copyOf(server);
    if (!c || !c.supported) return false; // an unsupported copy is listed in copies; its calls are not hooked
    const entry: ServerEntry = { id: `s${this.nextServerId++}`, ref: new WeakRef(server), copy: c };
    this.serverIds.set(server, entry);
    this.serverEntries.push(entry);
    this.serversChanged = true;
    if (this.sinks.size > 0) this.scheduleFlush();
    return true;
  }

  /** A call its handler just started. */
  private trackNewCall(base: Loose): void {
    this.track(base, Date.now());
  }

  /** A call that was running before the agent came: its start is not knowable. */
  private adoptCall(base: Loose): void {
    if (base.cancelled || base.streamEnded || base.stream?.destroyed || base.stream?.closed) return;
    this.track(base, null);
  }

  private track(base: Loose, startedAt: number | null): void {
    if (this.detached || !base || typeof base !== 'object' || !base.handler || !base.stream || base[TRACK]) return;
    const handler = base.handler;
    const call = new TrackedCall(
      formatStreamId(process.pid, this.epoch, this.nextCallId++),
      this.serverOfHandler(handler),
      String(handler.path ?? 'unknown'),
      kindFromHandlerType(handler.type),
      startedAt,
      Date.now(),
      base,
      this,
      this.connections.of(base.stream.session),
    );
    this.live.set(call.id, call);
    this.changed(call);
  }

  /** grpc-js makes a handler record per server and method, so the record names its server. */
  private serverOfHandler(handler: Loose): string {
    for (const e of this.serverEntries) {
      if (e.ref.deref()?.handlers?.get?.(handler.path) === handler) return e.id;
    }
    return '';
  }

  /** Ends calls whose close we missed, so nothing ended stays in the live set. */
  private sweep(): void {
    // A paged snapshot whose reader went away lets go of its list of calls.
    const now = Date.now();
    for (const [token, p] of this.pagings) if (p.expires < now) this.pagings.delete(token);
    for (const call of [...this.live.values()]) if (call.isOverInGrpc()) call.finish(null);
    for (let i = this.serverEntries.length - 1; i >= 0; i--) {
      if (!this.serverEntries[i].ref.deref()) this.serverEntries.splice(i, 1);
    }
  }

  private serverRecords(): ServerRecord[] {
    const out: ServerRecord[] = [];
    for (const e of this.serverEntries) {
      const s = e.ref.deref();
      if (!s) continue;
      out.push(describeServer(e.id, s, e.copy?.version ?? this.copyOf(s)?.version ?? 'unknown'));
    }
    return out;
  }

  private scheduleFlush(): void {
    if (this.flushTimer || this.detached) return;
    this.flushTimer = setTimeout(() => this.flush(), this.flushMs);
    if (typeof this.flushTimer === 'object' && this.flushTimer && 'unref' in this.flushTimer) this.flushTimer.unref();
  }

  private flush(): void {
    this.flushTimer = null;
    try {
      const now = Date.now();
      for (const [name, sink] of this.sinks) if (sink.expires < now) this.sinks.delete(name);
      this.updateProbeTimer();
      if (this.sinks.size === 0) {
        this.clearPending();
        return;
      }
      this.sweep();
      const delta: AgentDelta = {
        seq: ++this.seq,
        now,
        upserts: [],
        ended: this.endedPending,
      };
      for (const call of this.dirty) {
        call.dirty = false;
        if (!call.ended) delta.upserts.push(call.toRecord());
      }
      if (this.serversChanged) delta.servers = this.serverRecords();
      this.dirty = [];
      this.endedPending = [];
      this.serversChanged = false;
      const payload = JSON.stringify(delta);
      for (const [name, sink] of [...this.sinks]) {
        try {
          sink.push(payload);
        } catch {
          this.sinks.delete(name); // the client's binding is gone
        }
      }
    } catch { /* a failed flush never reaches the application */ }
  }

  private clearPending(): void {
    for (const c of this.dirty) c.dirty = false;
    this.dirty = [];
    this.endedPending = [];
    this.serversChanged = false;
  }
}

function describeServer(id: string, server: Loose, version: string): ServerRecord {
  const opts = server.options ?? {};
  const num = (k: string): number | null => (typeof opts[k] === 'number' ? opts[k] : null);
  const addresses: string[] = [];
  const servers = server.http2Servers;
  const list: Loose[] = servers instanceof Map ? [...servers.keys()] : Array.isArray(servers) ? servers.map((x: Loose) => x.server ?? x) : [];
  for (const h of list) {
    try {
      const a = h.address();
      if (!a) continue;
      if (typeof a === 'string') addresses.push(a);
      else addresses.push(a.family === 'IPv6' || a.address.includes(':') ? `[${a.address}]:${a.port}` : `${a.address}:${a.port}`);
    } catch { /* not listening */ }
  }
  const methods: ServerRecord['methods'] = [];
  if (server.handlers instanceof Map) {
    for (const [path, h] of server.handlers) methods.push({ path, kind: kindFromHandlerType(h?.type) });
  }
  return {
    id,
    grpcJsVersion: version,
    addresses,
    keepalive: {
      timeMs: num('grpc.keepalive_time_ms'),
      timeoutMs: num('grpc.keepalive_timeout_ms'),
      maxConnectionIdleMs: num('grpc.max_connection_idle_ms'),
      maxConnectionAgeMs: num('grpc.max_connection_age_ms'),
    },
    methods,
  };
}
