// The HTTP/2 connections (sessions) that carry tracked calls, and what an HTTP/2 PING on each
// says of its client: a live client answers in well under a millisecond even when it sends
// nothing, a frozen or vanished one never does. Probing keeps to strict limits: one PING in flight
// per connection, one probe per connection per minIntervalMs unless asked, a cap on PINGs per
// second over all connections, none on a connection that is closing, and none at all unless a
// client of ours is subscribed or asking. Node answers and sends PINGs itself; grpc-js's own
// keepalive PINGs are separate PINGs on the same session, and clients (grpc-js, grpc-go) only
// acknowledge a server's PING, so probing cannot trip a client's ping policy.
import { DEFAULT_PROBE, type Liveness, type ProbeSettings } from './protocol';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Loose = any;

export interface Connection {
  readonly id: string;
  readonly session: WeakRef<Loose>;
  liveness: Liveness;
  rttMs: number | null;
  checkedAt: number | null;
  inFlight: boolean;
  lastProbeAt: number;
  /** Calls open on it, to mark when its liveness changes (removed as each call ends). */
  readonly calls: Set<{ connectionChanged(): void }>;
}

const PING_PAYLOAD_BYTES = 8;

export class ConnectionRegistry {
  private readonly bySession = new WeakMap<object, Connection>();
  private readonly all = new Set<Connection>();
  private nextId = 1;
  settings: ProbeSettings = { ...DEFAULT_PROBE };
  private secondStart = 0;
  private sentThisSecond = 0;
  /** Probes waiting for the per-second cap. */
  private readonly queue: Array<{ c: Connection; done: () => void; timeoutMs: number }> = [];
  private queueTimer: ReturnType<typeof setTimeout> | null = null;
  /** PINGs sent since the agent started (tests and the benchmark count them). */
  pingsSent = 0;

  constructor(private readonly prefix: string) {}

  /** The connection of an HTTP/2 session, made on first sight. */
  of(session: Loose): Connection | null {
    if (!session || typeof session !== 'object') return null;
    let c = this.bySession.get(session);
    if (!c) {
      c = { id: `${this.prefix}${this.nextId++}`, session: new WeakRef(session), liveness: 'unknown', rttMs: null, checkedAt: null, inFlight: false, lastProbeAt: 0, calls: new Set() };
      this.bySession.set(session, c);
    }
    // Back in the open set when a call starts on a connection that prune() had let go of.
    this.all.add(c);
    return c;
  }

  /** Forgets connections with no open call (their sessions may be collected). */
  prune(): void {
    for (const c of this.all) if (c.calls.size === 0 && !c.inFlight) this.all.delete(c);
  }

  get open(): Connection[] {
    return [...this.all].filter((c) => c.calls.size > 0);
  }

  /**
   * Sends one PING unless one is in flight, the connection is closing, or (unless forced) it was
   * probed less than minIntervalMs ago. `done` runs once the answer or the timeout is in.
   */
  probe(c: Connection, force: boolean, done: () => void = () => undefined, timeoutMs = this.settings.timeoutMs): boolean {
    const session = c.session.deref();
    if (!session || session.closed || session.destroyed || c.inFlight) return false;
    if (!force && Date.now() - c.lastProbeAt < this.settings.minIntervalMs) return false;
    c.inFlight = true;
    c.lastProbeAt = Date.now();
    this.queue.push({ c, done, timeoutMs });
    this.drain();
    return true;
  }

  /** Sends what the per-second cap allows now; the rest at the next second. */
  private drain(): void {
    const now = Date.now();
    if (now - this.secondStart >= 1000) {
      this.secondStart = now;
      this.sentThisSecond = 0;
    }
    while (this.queue.length > 0 && this.sentThisSecond < this.settings.maxPerSecond) {
      const { c, done, timeoutMs } = this.queue.shift() as { c: Connection; done: () => void; timeoutMs: number };
      this.sentThisSecond++;
      this.ping(c, done, timeoutMs);
    }
    if (this.queue.length > 0 && !this.queueTimer) {
      this.queueTimer = setTimeout(() => {
        this.queueTimer = null;
        this.drain();
      }, Math.max(1, 1000 - (Date.now() - this.secondStart)));
      this.queueTimer.unref?.();
    }
  }

  private ping(c: Connection, done: () => void, timeoutMs: number): void {
    const session = c.session.deref();
    let settled = false;
    const finish = (liveness: Liveness, rttMs: number | null): void => {
      c.liveness = liveness;
      if (rttMs !== null) c.rttMs = rttMs;
      c.checkedAt = Date.now();
      for (const call of c.calls) call.connectionChanged();
      if (!settled) {
        settled = true;
        c.inFlight = false;
        done();
      }
    };
    if (!session || session.closed || session.destroyed) {
      c.inFlight = false;
      done();
      return;
    }
    const timer = setTimeout(() => finish('dead', null), timeoutMs);
    timer.unref?.();
    try {
      this.pingsSent++;
      const sent = session.ping(Buffer.alloc(PING_PAYLOAD_BYTES), (err: unknown, duration: number) => {
        clearTimeout(timer);
        // An answer after the timeout brings a thawed client back to alive.
        if (!err) finish('alive', typeof duration === 'number' ? Math.round(duration * 1000) / 1000 : null);
        else if (!settled) finish(c.liveness, null);
      });
      if (!sent) {
        clearTimeout(timer);
        c.inFlight = false;
        done();
      }
    } catch {
      clearTimeout(timer);
      c.inFlight = false;
      done();
    }
  }

  clear(): void {
    if (this.queueTimer) clearTimeout(this.queueTimer);
    this.queueTimer = null;
    for (const q of this.queue.splice(0)) q.done();
    this.all.clear();
  }
}
