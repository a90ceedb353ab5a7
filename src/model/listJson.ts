// The `list --json` shape (also Export Snapshot…): the agent's records plus idle time and verdict.
import type { AgentSnapshot, ServerRecord, StreamRecord } from '../agent/protocol';
import { idleMs, judgeStream } from './suspect';

export interface JudgedStream extends StreamRecord {
  idleMs: number;
  suspect: boolean;
  reasons: string[];
}

export interface ListJson {
  pid: number;
  node: string;
  grpcJs: string[];
  servers: ServerRecord[];
  streams: JudgedStream[];
}

export function judgeAll(streams: Iterable<StreamRecord>, servers: Map<string, ServerRecord>, now: number, thresholdMs: number): JudgedStream[] {
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
    });
  }
  return out;
}

export function toListJson(snapshot: AgentSnapshot, thresholdMs: number): ListJson {
  const servers = new Map(snapshot.servers.map((s) => [s.id, s]));
  return {
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
