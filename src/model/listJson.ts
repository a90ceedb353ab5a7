// The `list --json` shape (also Export Snapshot…): any source's records plus idle time and verdict;
// every source gives the same fields, null where it cannot know them.
import type { LiveServer, LiveSnapshot, LiveStream, StreamSource, WaitsAt } from './liveStream';

/** What a list names as its source: a stream's source, or channelz (connections, not streams). */
export type SourceKind = StreamSource | 'channelz';
import { idleMs, judgeStream } from './suspect';

export interface JudgedStream extends LiveStream {
  source: StreamSource;
  goroutine: number | null;
  waitsAt: WaitsAt | null;
  idleMs: number;
  suspect: boolean;
  reasons: string[];
}

export interface ListJson {
  source: SourceKind;
  pid: number;
  node: string;
  grpcJs: string[];
  servers: LiveServer[];
  streams: JudgedStream[];
}

export function judgeAll(streams: Iterable<LiveStream>, servers: Map<string, LiveServer>, now: number, thresholdMs: number): JudgedStream[] {
  const out: JudgedStream[] = [];
  for (const s of streams) {
    const v = judgeStream(s, servers.get(s.serverId), now, thresholdMs);
    // Fields spelled out: a spread per record costs more than the judging for 10,000 streams.
    out.push({
      id: s.id,
      serverId: s.serverId,
      method: s.method,
      kind: s.kind,
      peer: s.peer,
      startedAt: s.startedAt,
      observedSince: s.observedSince,
      lastReceivedAt: s.lastReceivedAt,
      lastSentAt: s.lastSentAt,
      received: s.received,
      sent: s.sent,
      idleMs: idleMs(s, now),
      deadline: s.deadline,
      state: s.state,
      connectionId: s.connectionId,
      liveness: s.liveness,
      livenessCheckedAt: s.livenessCheckedAt,
      rttMs: s.rttMs,
      queuedBytes: s.queuedBytes,
      suspect: v.suspect,
      reasons: v.reasons,
      source: s.source ?? 'node',
      goroutine: s.goroutine ?? null,
      ...(s.goroutines !== undefined ? { goroutines: s.goroutines } : {}),
      waitsAt: s.waitsAt ?? null,
      ...(s.waiting ? { waiting: s.waiting, waitReason: s.waitReason ?? null, waitingSince: s.waitingSince ?? null, waitingSinceBasis: s.waitingSinceBasis ?? null } : {}),
    });
  }
  return out;
}

export function toListJson(snapshot: LiveSnapshot, thresholdMs: number, source: SourceKind = 'node'): ListJson {
  const servers = new Map(snapshot.servers.map((s) => [s.id, s]));
  return {
    source,
    pid: snapshot.pid,
    node: snapshot.node,
    grpcJs: snapshot.grpcJs,
    servers: snapshot.servers,
    streams: judgeAll(snapshot.streams, servers, snapshot.now, thresholdMs),
  };
}

/** Parses `30s`, `1m`, `500ms` or a bare number of seconds. */
export function parseDuration(text: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*(ms|s|m|min|h)?$/.exec(text.trim());
  if (!m) throw new Error(`"${text}" is not a duration: use for example 30s, 2m or 500ms.`);
  const n = Number(m[1]);
  const unit = m[2] ?? 's';
  return Math.round(n * (unit === 'ms' ? 1 : unit === 's' ? 1000 : unit === 'h' ? 3_600_000 : 60_000));
}
