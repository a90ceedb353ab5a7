// Finds the calls that were already running when the agent arrived, without walking the heap:
// from each server's HTTP/2 sessions to their open streams, and from each stream to its grpc-js
// call. The call is not reachable from the stream (grpc-js's 'data' listener is an arrow
// function closing over it), so for an instant the call prototype's handleDataFrame is replaced
// by one that recognises a sentinel by identity: calling the listener with the sentinel hands
// over `this` and returns before grpc-js sees anything. The prototype is put back before the
// slice ends, so no real data frame can ever reach the replacement. Work is cut into slices of a
// few milliseconds, each one inspector request, so the server's event loop keeps turning.

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Loose = any;

const SENTINEL: object = Object.freeze({ grpcStreamsSentinel: true });

/** The live HTTP/2 streams of a session (Node keeps them in the session's symbol-keyed state). */
function sessionStreams(session: Loose): Loose[] | null {
  const key = Object.getOwnPropertySymbols(session).find((s) => s.description === 'state');
  const streams = key ? session[key]?.streams : undefined;
  // Node's own SafeMap: not an instance of this realm's Map.
  return streams && typeof streams.values === 'function' && typeof streams.size === 'number' ? [...streams.values()] : null;
}

/** grpc-js's listener is `(data) => { this.handleDataFrame(data); }` in every supported version. */
export function isGrpcDataListener(fn: unknown): fn is (data: unknown) => void {
  return typeof fn === 'function' && /\.handleDataFrame\(\s*\w+\s*\)/.test(Function.prototype.toString.call(fn));
}

export class InFlightCalls {
  private pending: Loose[] = [];
  private next = 0;
  /** Sessions whose streams could not be read (a Node whose HTTP/2 internals differ). */
  unreadableSessions = 0;

  /** Collects the open streams of these servers; returns how many there are to look at. */
  collect(servers: Iterable<Loose>): number {
    for (const server of servers) {
      const sessions = server?.sessions;
      if (!(sessions instanceof Map)) continue;
      for (const session of sessions.keys()) {
        if (!session || session.destroyed || session.closed) continue;
        const streams = sessionStreams(session);
        if (streams === null) this.unreadableSessions++;
        else for (const s of streams) this.pending.push(s);
      }
    }
    return this.pending.length - this.next;
  }

  /**
   * Hands the call of each collected stream to `adopt`, for at most budgetMs; returns how many
   * streams are left for the next slice.
   */
  step(callPrototypes: object[], budgetMs: number, adopt: (call: Loose) => void): number {
    const deadline = performance.now() + budgetMs;
    let found: Loose = null;
    const saved: Array<[Loose, PropertyDescriptor]> = [];
    try {
      for (const proto of callPrototypes as Loose[]) {
        const own = Object.getOwnPropertyDescriptor(proto, 'handleDataFrame');
        const original = proto.handleDataFrame;
        if (!own || typeof original !== 'function') continue;
        saved.push([proto, own]);
        Object.defineProperty(proto, 'handleDataFrame', {
          ...own,
          value: function (this: Loose, data: unknown) {
            if (data === SENTINEL) {
              found = this;
              return undefined;
            }
            return original.call(this, data);
          },
        });
      }
      while (this.next < this.pending.length && performance.now() < deadline) {
        const stream = this.pending[this.next];
        this.pending[this.next++] = undefined; // nothing held longer than needed
        if (!stream || stream.destroyed || stream.closed || typeof stream.listeners !== 'function') continue;
        for (const listener of stream.listeners('data')) {
          if (!isGrpcDataListener(listener)) continue;
          found = null;
          try {
            listener.call(stream, SENTINEL);
          } catch { /* not grpc-js's after all */ }
          if (found) {
            try { adopt(found); } catch { /* skip that call */ }
            break;
          }
        }
      }
    } finally {
      for (const [proto, own] of saved) Object.defineProperty(proto, 'handleDataFrame', own);
    }
    const left = this.pending.length - this.next;
    if (left === 0) {
      this.pending = [];
      this.next = 0;
    }
    return left;
  }
}
