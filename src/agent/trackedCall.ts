// One in-flight gRPC call as the agent sees it. The call's grpc-js object points back to it with
// one symbol-keyed property; the agent's patches on grpc-js's call prototype (callHooks.ts) feed
// it. No closures or patches per call: a few hundred bytes each, and nothing that outlives it.
import type { Connection } from './connections';
import type { CallIdentity, CallKind, CallState, EndedCall, Liveness, StreamRecord } from './protocol';

export const TRACK = Symbol.for('grpc-stream-debugger.call');

/** What the agent needs to hear from a call. */
export interface CallObserver {
  changed(call: TrackedCall): void;
  ended(call: TrackedCall, statusCode: number): void;
}

// grpc-js call objects are untyped from here.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Loose = any;

const CANCELLED = 1;
/** HTTP/2 error code CANCEL: the client's grpc-js and grpc-go report it as status CANCELLED. */
const NGHTTP2_CANCEL = 8;

export class TrackedCall {
  lastReceivedAt: number | null = null;
  lastSentAt: number | null = null;
  received = 0;
  sent = 0;
  state: CallState = 'active';
  deadline: number | null = null;
  peer = 'unknown';
  /** Set while queued for the next delta. */
  dirty = false;
  ended = false;
  sentStatus: number | null = null;
  /** The handler's writable stream (its first write tells which). */
  userStream: Loose = null;
  /** Set once cancel() had to reset the HTTP/2 stream. */
  resetSent = false;
  /** grpc-js's BaseServerInterceptingCall; null once the call ended. */
  base: Loose;

  constructor(
    readonly id: string,
    readonly serverId: string,
    readonly method: string,
    readonly kind: CallKind,
    readonly startedAt: number | null,
    readonly observedSince: number,
    base: unknown,
    private readonly observer: CallObserver,
    /** The HTTP/2 connection it runs on; null when it cannot be told. */
    readonly connection: Connection | null = null,
  ) {
    this.base = base;
    connection?.calls.add(this);
    try {
      const peer = this.base.getPeer();
      if (typeof peer === 'string') this.peer = peer;
    } catch { /* peer stays unknown */ }
    try {
      const d = this.base.getDeadline();
      const ms = d instanceof Date ? d.getTime() : typeof d === 'number' ? d : NaN;
      this.deadline = Number.isFinite(ms) ? ms : null;
    } catch { /* no deadline */ }
    if (this.base.receivedHalfClose === true) this.state = 'half_closed';
    this.base[TRACK] = this;
  }

  get connectionId(): string {
    return this.connection?.id ?? '';
  }

  get liveness(): Liveness {
    return this.connection?.liveness ?? 'unknown';
  }

  get livenessCheckedAt(): number | null {
    return this.connection?.checkedAt ?? null;
  }

  get rttMs(): number | null {
    return this.connection?.rttMs ?? null;
  }

  /**
   * What the handler wrote that the client has not taken: the bytes HTTP/2 holds beyond the
   * client's window, plus the messages still in the handler's stream, each counted at the size of
   * what HTTP/2 holds (the handler's stream hands down one message at a time, so that is the
   * message in flight). Known for calls whose first write the agent saw; an estimate when message
   * sizes vary.
   */
  get queuedBytes(): number | null {
    const n = this.base?.stream?.writableLength;
    if (typeof n !== 'number') return null;
    const pending = this.userStream?.writableLength;
    return n + (typeof pending === 'number' && n > 0 ? pending * n : 0);
  }

  /** Its connection's liveness changed: the record changed too. */
  connectionChanged(): void {
    if (!this.ended) this.observer.changed(this);
  }

  onReceived(): void {
    if (this.ended) return;
    this.received++;
    this.lastReceivedAt = Date.now();
    this.observer.changed(this);
  }

  onSent(): void {
    if (this.ended) return;
    this.sent++;
    this.lastSentAt = Date.now();
    this.observer.changed(this);
  }

  onHalfClosed(): void {
    if (this.ended || this.state !== 'active') return;
    this.state = 'half_closed';
    this.observer.changed(this);
  }

  onStatus(code: unknown): void {
    if (this.sentStatus === null && typeof code === 'number') this.sentStatus = code;
  }

  /** True when grpc-js already considers the call over (a close we may have missed). */
  isOverInGrpc(): boolean {
    try {
      const b = this.base;
      if (!b) return true;
      if (b.cancelled === true) return true;
      const s = b.stream;
      return !!s && (s.destroyed === true || s.closed === true);
    } catch {
      return false;
    }
  }

  /**
   * Ends the call from the server side with status CANCELLED, as a user asked for. grpc-js sends
   * trailers only after the queued messages, which a client that stopped reading never takes, so
   * when data is queued the HTTP/2 stream is reset at once instead.
   */
  cancel(details: string): void {
    const stream = this.base.stream;
    this.base.sendStatus({ code: CANCELLED, details, metadata: null });
    if (!this.ended && hasQueuedData(stream)) this.reset();
  }

  /** RST_STREAM with CANCEL: the handler sees 'cancelled', the client CANCELLED when it reads again. */
  reset(): void {
    const stream = this.base?.stream;
    if (stream && !stream.destroyed && !stream.closed) {
      this.resetSent = true;
      stream.close(NGHTTP2_CANCEL);
    }
  }

  /** The call is over: report it once and drop the reference to grpc-js's object. */
  finish(statusCode: number | null): void {
    if (this.ended) return;
    this.ended = true;
    this.base = null;
    this.forgetUserStream();
    this.connection?.calls.delete(this);
    this.observer.ended(this, statusCode ?? this.sentStatus ?? CANCELLED);
  }

  /** Detach: the grpc-js object forgets us (set, not deleted, to keep its shape). */
  unhook(): void {
    this.connection?.calls.delete(this);
    try {
      if (this.base && this.base[TRACK] === this) this.base[TRACK] = undefined;
    } catch { /* ignore */ }
    this.base = null;
    this.forgetUserStream();
  }

  /** The handler's stream goes back to its prototype's `_write` (callHooks.ts gave it an own copy). */
  private forgetUserStream(): void {
    const s = this.userStream;
    this.userStream = null;
    try {
      if (s && Object.prototype.hasOwnProperty.call(s, '_write') && !Object.getOwnPropertyDescriptor(s, '_write')?.enumerable) delete s._write;
    } catch { /* a frozen stream keeps its copy, which is grpc-js's own method */ }
  }

  private identity(): CallIdentity {
    return {
      id: this.id,
      serverId: this.serverId,
      method: this.method,
      kind: this.kind,
      peer: this.peer,
      startedAt: this.startedAt,
      observedSince: this.observedSince,
      received: this.received,
      sent: this.sent,
    };
  }

  toRecord(): StreamRecord {
    // Spelled out rather than spread from identity(): snapshots build 10,000 of these.
    return {
      id: this.id,
      serverId: this.serverId,
      method: this.method,
      kind: this.kind,
      peer: this.peer,
      startedAt: this.startedAt,
      observedSince: this.observedSince,
      lastReceivedAt: this.lastReceivedAt,
      lastSentAt: this.lastSentAt,
      received: this.received,
      sent: this.sent,
      deadline: this.deadline,
      state: this.state,
      connectionId: this.connectionId,
      queuedBytes: this.queuedBytes,
      liveness: this.liveness,
      livenessCheckedAt: this.livenessCheckedAt,
      rttMs: this.rttMs,
    };
  }

  toEnded(statusCode: number, endedAt: number): EndedCall {
    return { ...this.identity(), endedAt, durationMs: endedAt - (this.startedAt ?? this.observedSince), statusCode };
  }
}

function hasQueuedData(stream: Loose): boolean {
  if (!stream) return false;
  return (stream.writableLength ?? 0) > 0 || (stream.bufferSize ?? 0) > 0;
}
