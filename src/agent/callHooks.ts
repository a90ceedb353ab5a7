// The agent's hooks on grpc-js's BaseServerInterceptingCall prototype (one copy of grpc-js). Each
// looks up the call's TrackedCall by a symbol and, when there is one, counts; then it calls
// grpc-js's own method unchanged. Untracked calls pay one property load.
import type { PatchSet } from './patches';
import { TRACK, type TrackedCall } from './trackedCall';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Loose = any;

export function hookCallPrototype(proto: object, patches: PatchSet, isDetached: () => boolean, onStart: (call: Loose) => void): void {
  // Every call's handler starts it: new calls are tracked from here, with no interceptor (the
  // server's interceptors array may be the application's own, shared between servers).
  patches.wrap(proto, 'start', (orig) => function (this: Loose, ...args: unknown[]) {
    if (this[TRACK] === undefined && !isDetached()) {
      try { onStart(this); } catch { /* never throw into grpc-js */ }
    }
    return orig.apply(this, args);
  });
  // The per-message hooks take grpc-js's own arity: no rest array and apply per message.
  patches.wrap(proto, 'sendMessage', (orig) => function (this: Loose, message: unknown, callback: unknown) {
    const t: TrackedCall | undefined = this[TRACK];
    if (t !== undefined && !isDetached()) {
      try { t.onSent(); } catch { /* never throw into grpc-js */ }
    }
    return orig.call(this, message, callback);
  });
  patches.wrap(proto, 'sendStatus', (orig) => function (this: Loose, ...args: unknown[]) {
    const t: TrackedCall | undefined = this[TRACK];
    if (t !== undefined) {
      try { t.onStatus((args[0] as Loose)?.code); } catch { /* ignore */ }
    }
    return orig.apply(this, args);
  });
  // A message reaches the handler when grpc-js shifts a READABLE entry off its read queue.
  patches.wrap(proto, 'maybePushNextMessage', (orig) => function (this: Loose) {
    const t: TrackedCall | undefined = this[TRACK];
    if (t === undefined) return orig.call(this);
    const q = this.readQueue;
    const head = Array.isArray(q) && q.length > 0 ? q[0] : undefined;
    const result = orig.call(this);
    try {
      if (head !== undefined && head.type === 'READABLE' && q[0] !== head && !isDetached()) t.onReceived();
    } catch { /* ignore */ }
    return result;
  });
  patches.wrap(proto, 'handleEndEvent', (orig) => function (this: Loose, ...args: unknown[]) {
    const result = orig.apply(this, args);
    const t: TrackedCall | undefined = this[TRACK];
    if (t !== undefined) {
      try { t.onHalfClosed(); } catch { /* ignore */ }
    }
    return result;
  });
  // grpc-js calls notifyOnCancel once a call is over: after its status, or when its stream closes.
  patches.wrap(proto, 'notifyOnCancel', (orig) => function (this: Loose, ...args: unknown[]) {
    const t: TrackedCall | undefined = this[TRACK];
    if (t !== undefined) {
      try { t.finish(null); } catch { /* ignore */ }
    }
    return orig.apply(this, args);
  });
}

/** The grpc-js call under an interceptor chain (ServerInterceptingCall → ... → the base call). */
function baseOf(call: Loose): Loose {
  let c = call;
  for (let i = 0; c && i < 32; i++) {
    if (c[TRACK] !== undefined || (c.stream && typeof c.handler === 'object')) return c;
    c = c.nextCall;
  }
  return null;
}

/**
 * The handler's writable stream buffers the messages HTTP/2 has not taken yet: its first write
 * tells the call which stream that is. After that first write the stream gets grpc-js's own
 * `_write` back as a (non-enumerable) own property, so later writes do not pass through the
 * agent at all (a wrapper on every write cost about 1,000 instructions per message).
 */
export function hookWriteQueues(writableProtos: object[], patches: PatchSet, isDetached: () => boolean): void {
  for (const proto of writableProtos) {
    patches.wrap(proto, '_write', (orig) => function (this: Loose, chunk: unknown, encoding: unknown, callback: unknown) {
      if (!isDetached()) {
        try {
          const t: TrackedCall | undefined = baseOf(this.call)?.[TRACK];
          if (t) {
            if (!t.ended && t.userStream === null) t.userStream = this;
            Object.defineProperty(this, '_write', { value: orig, writable: true, configurable: true, enumerable: false });
          }
        } catch { /* never throw into grpc-js */ }
      }
      return orig.call(this, chunk, encoding, callback);
    });
  }
}
