// A Go server's handler goroutines as the one stream model: each read of the goroutines becomes a
// LiveSnapshot, and the tracker remembers since when each goroutine has waited the way it does, at
// the same place, so a wait below the runtime's first whole minute still has a length.
import type { LiveServer, LiveSnapshot, LiveStream, StreamSource } from '../../model/liveStream';
import type { GoHandlerCall } from './handlerCalls';

/** All handler goroutines of a dump belong to one server: a stack does not tell which *grpc.Server runs it. */
export const GO_SERVER_ID = 'grpc-go';

export interface GoRead {
  /** When the goroutines were read (epoch ms, this side's clock). */
  now: number;
  calls: GoHandlerCall[];
  /** The grpc-go version the stacks' module paths name, or null. */
  grpcVersion: string | null;
  /** The process id when the source knows it (Delve), else 0. */
  pid: number;
}

interface Seen {
  key: string;
  since: number;
  firstSeen: number;
}

/** A group's id: the same stack gives the same id from one read to the next. */
function groupId(c: GoHandlerCall, frames: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < frames.length; i++) h = Math.imul(h ^ frames.charCodeAt(i), 0x01000193) >>> 0;
  return `s${h.toString(36)}-${c.method.length}`;
}

export class GoCallTracker {
  /** By goroutine id (`g25`), or by a group's stack (`s…`). */
  private readonly seen = new Map<string, Seen>();

  constructor(private readonly source: StreamSource) {}

  /** The read as a snapshot; goroutines no longer there are forgotten. */
  snapshot(read: GoRead): LiveSnapshot {
    const streams: LiveStream[] = [];
    const methods = new Map<string, 'unary' | 'client_stream' | 'server_stream' | 'bidi' | null>();
    const alive = new Set<string>();
    for (const c of read.calls) {
      const place = c.where ? `${c.where.file}:${c.where.line}` : '';
      const id = c.goroutine !== null ? `g${c.goroutine}` : groupId(c, `${c.method} ${c.waiting} ${place} ${c.stack ?? ''}`);
      alive.add(id);
      const key = `${c.waiting} ${c.state} ${place}`;
      let seen = this.seen.get(id);
      if (!seen) this.seen.set(id, (seen = { key, since: read.now, firstSeen: read.now }));
      else if (seen.key !== key) Object.assign(seen, { key, since: read.now });
      // The runtime's whole minutes (up to about 2 low) when they say more than our own sightings.
      const runtimeSince = c.waitMinutes !== null ? read.now - c.waitMinutes * 60_000 : null;
      const byRuntime = runtimeSince !== null && runtimeSince < seen.since;
      methods.set(c.method, c.kind === 'unary' ? 'unary' : c.streamKind ?? null);
      streams.push({
        id,
        serverId: GO_SERVER_ID,
        method: c.method,
        kind: c.kind === 'unary' ? 'unary' : c.streamKind ?? null,
        peer: c.peer ?? null,
        startedAt: null,
        observedSince: seen.firstSeen,
        received: null,
        sent: null,
        lastReceivedAt: null,
        lastSentAt: null,
        deadline: null,
        state: null,
        connectionId: null,
        queuedBytes: null,
        liveness: 'unknown',
        livenessCheckedAt: null,
        rttMs: null,
        source: this.source,
        goroutine: c.goroutine,
        ...(c.goroutine === null ? { goroutines: c.count } : {}),
        waitsAt: c.where ? { file: c.where.file, line: c.where.line, function: c.where.func } : null,
        waiting: c.waiting,
        waitReason: c.state || null,
        waitingSince: byRuntime ? runtimeSince : seen.since,
        waitingSinceBasis: byRuntime ? 'runtime' : 'first-seen',
      });
    }
    for (const id of this.seen.keys()) if (!alive.has(id)) this.seen.delete(id);
    const server: LiveServer = {
      id: GO_SERVER_ID,
      library: `grpc-go ${read.grpcVersion ?? '(version unknown)'}`,
      grpcJsVersion: null,
      addresses: [],
      keepalive: null,
      methods: [...methods].map(([path, kind]) => ({ path, kind })),
    };
    return { pid: read.pid, node: '', grpcJs: [], now: read.now, servers: read.calls.length > 0 || read.grpcVersion ? [server] : [], streams, ended: [] };
  }
}
