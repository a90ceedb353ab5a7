// One in-flight gRPC call as the agent sees it, plus the hooks that feed it. The hooks only count
// and forward: they never change arguments, return values or the order of events.
import type { CallKind, CallState, EndedCall, StreamRecord } from './protocol';

/** What the agent needs to hear from a call. */
export interface CallObserver {
  changed(call: TrackedCall): void;
  ended(call: TrackedCall, statusCode: number): void;
}

interface InstancePatch {
  target: Record<string, unknown>;
  key: string;
  hadOwn: boolean;
  original: unknown;
}

type AnyFn = (...args: unknown[]) => unknown;
// grpc-js call layers are untyped from here; we only touch their public listener/responder shape.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Loose = any;

const CANCELLED = 1;

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
  private sentStatus: number | null = null;
  private patches: InstancePatch[] = [];
  private layer: Loose;
  private stream: Loose = null;
  private onStreamClose: (() => void) | null = null;

  constructor(
    readonly id: string,
    readonly serverId: string,
    readonly method: string,
    readonly kind: CallKind,
    readonly startedAt: number | null,
    readonly observedSince: number,
    layer: unknown,
    private readonly observer: CallObserver,
  ) {
    this.layer = layer;
    try {
      const peer = this.layer.getPeer();
      if (typeof peer === 'string') this.peer = peer;
    } catch { /* peer stays unknown */ }
    try {
      const d = this.layer.getDeadline();
      const ms = d instanceof Date ? d.getTime() : typeof d === 'number' ? d : NaN;
      this.deadline = Number.isFinite(ms) ? ms : null;
    } catch { /* no deadline */ }
  }

  /** Hooks a call that has not started yet (it came through our interceptor). */
  hookNew(): void {
    const self = this;
    this.patch(this.layer, 'start', (orig) => function (this: unknown, listener: Loose) {
      try { self.hookListener(listener); } catch { /* never throw into grpc-js */ }
      return orig.call(this, listener);
    });
    this.hookResponder();
    this.hookStreamClose(findBaseCall(this.layer));
  }

  /** Hooks a call that was already in flight when the agent attached. */
  hookInFlight(): void {
    const base = findBaseCall(this.layer);
    if (base && base.listener) {
      this.hookListener(base.listener);
    } else {
      const self = this;
      this.patch(this.layer, 'start', (orig) => function (this: unknown, listener: Loose) {
        try { self.hookListener(listener); } catch { /* never throw into grpc-js */ }
        return orig.call(this, listener);
      });
    }
    if (base && base.receivedHalfClose) this.state = 'half_closed';
    this.hookResponder();
    this.hookStreamClose(base);
  }

  /** True when grpc-js already considers the call over (a close we may have missed). */
  isOverInGrpc(): boolean {
    try {
      const base = findBaseCall(this.layer);
      if (!base) return false;
      if (base.cancelled === true) return true;
      const s = base.stream;
      return !!s && (s.destroyed === true || s.closed === true);
    } catch {
      return false;
    }
  }

  isSameBase(base: unknown): boolean {
    return !!this.layer && findBaseCall(this.layer) === base;
  }

  /** Ends the call from the server side with status CANCELLED, as a user asked for. */
  cancel(details: string): void {
    this.layer.sendStatus({ code: CANCELLED, details, metadata: null });
  }

  /** Called when the call ends: drop every reference to grpc-js objects. */
  finish(statusCode: number | null): void {
    if (this.ended) return;
    this.ended = true;
    const code = statusCode ?? this.sentStatus ?? CANCELLED;
    this.release(false);
    this.observer.ended(this, code);
  }

  /** Removes every hook from a call that is still running (detach). */
  unhook(): void {
    this.release(true);
  }

  toRecord(): StreamRecord {
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
    };
  }

  toEnded(statusCode: number, endedAt: number): EndedCall {
    return {
      id: this.id,
      serverId: this.serverId,
      method: this.method,
      kind: this.kind,
      peer: this.peer,
      startedAt: this.startedAt,
      observedSince: this.observedSince,
      endedAt,
      durationMs: endedAt - (this.startedAt ?? this.observedSince),
      statusCode,
      received: this.received,
      sent: this.sent,
    };
  }

  private hookListener(listener: Loose): void {
    if (!listener || typeof listener !== 'object') return;
    const self = this;
    this.patch(listener, 'onReceiveMessage', (orig) => function (this: unknown, ...args: unknown[]) {
      if (!self.ended) {
        self.received++;
        self.lastReceivedAt = Date.now();
        self.observer.changed(self);
      }
      return orig.apply(this, args);
    });
    this.patch(listener, 'onReceiveHalfClose', (orig) => function (this: unknown, ...args: unknown[]) {
      if (!self.ended && self.state === 'active') {
        self.state = 'half_closed';
        self.observer.changed(self);
      }
      return orig.apply(this, args);
    });
    this.patch(listener, 'onCancel', (orig) => function (this: unknown, ...args: unknown[]) {
      try { self.finish(null); } catch { /* never throw into grpc-js */ }
      return orig.apply(this, args);
    });
  }

  private hookResponder(): void {
    const self = this;
    this.patch(this.layer, 'sendMessage', (orig) => function (this: unknown, ...args: unknown[]) {
      if (!self.ended) {
        self.sent++;
        self.lastSentAt = Date.now();
        self.observer.changed(self);
      }
      return orig.apply(this, args);
    });
    this.patch(this.layer, 'sendStatus', (orig) => function (this: unknown, ...args: unknown[]) {
      try {
        const status = args[0] as Loose;
        if (self.sentStatus === null && status && typeof status.code === 'number') self.sentStatus = status.code;
      } catch { /* ignore */ }
      return orig.apply(this, args);
    });
  }

  private hookStreamClose(base: Loose): void {
    const stream = base && base.stream;
    if (!stream || typeof stream.once !== 'function') return;
    this.stream = stream;
    this.onStreamClose = () => {
      try { this.finish(null); } catch { /* never throw into the stream's emitter */ }
    };
    stream.once('close', this.onStreamClose);
  }

  private patch(target: Loose, key: string, make: (orig: AnyFn) => AnyFn): void {
    if (!target) return;
    const original = target[key];
    if (typeof original !== 'function') return;
    const hadOwn = Object.prototype.hasOwnProperty.call(target, key);
    target[key] = make(original as AnyFn);
    this.patches.push({ target, key, hadOwn, original });
  }

  private release(restore: boolean): void {
    if (restore) {
      for (let i = this.patches.length - 1; i >= 0; i--) {
        const p = this.patches[i];
        try {
          if (p.hadOwn) p.target[p.key] = p.original;
          else delete p.target[p.key];
        } catch { /* ignore */ }
      }
    }
    if (this.stream && this.onStreamClose) {
      try { this.stream.removeListener('close', this.onStreamClose); } catch { /* ignore */ }
    }
    this.patches = [];
    this.stream = null;
    this.onStreamClose = null;
    this.layer = null;
  }
}

/** Walks the interceptor chain (`nextCall`) down to grpc-js's BaseServerInterceptingCall. */
export function findBaseCall(layer: Loose): Loose {
  let c = layer;
  for (let i = 0; c && i < 32; i++) {
    if (c.stream && typeof c.handler === 'object') return c;
    c = c.nextCall;
  }
  return null;
}
