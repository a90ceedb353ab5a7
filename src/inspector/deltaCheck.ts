// Every delta that arrives through the push binding is checked before it reaches a store: a
// malformed one, or one naming streams of another process or install, is dropped whole.
import { foreignStreamId, type AgentDelta, type EndedCall, type ServerRecord, type StreamRecord } from '../agent/protocol';

const KINDS = new Set(['unary', 'client_stream', 'server_stream', 'bidi']);
const STATES = new Set(['active', 'half_closed', 'cancelled']);
const LIVENESS = new Set(['alive', 'dead', 'unknown']);
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isNum = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
const isTime = (v: unknown): boolean => v === null || isNum(v);
const isStr = (v: unknown): v is string => typeof v === 'string';

function identityProblem(r: Record<string, unknown>, pid: number, epoch: string): string | null {
  if (!isStr(r.id)) return 'a stream without an id';
  const foreign = foreignStreamId(r.id, pid, epoch);
  if (foreign) return foreign;
  const ok = isStr(r.serverId) && isStr(r.method) && KINDS.has(r.kind as string) && isStr(r.peer) &&
    isTime(r.startedAt) && isNum(r.observedSince) && isNum(r.received) && isNum(r.sent);
  return ok ? null : `a malformed record for stream ${r.id}`;
}

function streamProblem(r: unknown, pid: number, epoch: string): string | null {
  if (!isObject(r)) return 'a stream that is not an object';
  const p = identityProblem(r, pid, epoch);
  if (p) return p;
  const ok = isTime(r.lastReceivedAt) && isTime(r.lastSentAt) && isTime(r.deadline) && STATES.has(r.state as string) &&
    isStr(r.connectionId) && isTime(r.queuedBytes) && LIVENESS.has(r.liveness as string) && isTime(r.livenessCheckedAt) && isTime(r.rttMs);
  return ok ? null : `a malformed record for stream ${String(r.id)}`;
}

function endedProblem(r: unknown, pid: number, epoch: string): string | null {
  if (!isObject(r)) return 'an ended call that is not an object';
  return identityProblem(r, pid, epoch) ?? (isNum(r.endedAt) && isNum(r.durationMs) && isNum(r.statusCode) ? null : `a malformed ended call ${String(r.id)}`);
}

function serverProblem(r: unknown): string | null {
  if (!isObject(r) || !isStr(r.id) || !isStr(r.grpcJsVersion) || !Array.isArray(r.addresses) || !r.addresses.every(isStr)) return 'a malformed server';
  const k = r.keepalive;
  if (!isObject(k) || ![k.timeMs, k.timeoutMs, k.maxConnectionIdleMs, k.maxConnectionAgeMs].every(isTime)) return `a malformed keepalive of server ${r.id}`;
  if (!Array.isArray(r.methods) || !r.methods.every((m) => isObject(m) && isStr(m.path) && KINDS.has(m.kind as string))) return `malformed methods of server ${r.id}`;
  return null;
}

/** The delta if it is well formed and ours, else the reason it is not (one sentence). */
export function checkDelta(value: unknown, pid: number, epoch: string): { delta: AgentDelta } | { problem: string } {
  if (!isObject(value) || !isNum(value.seq) || !isNum(value.now) || !Array.isArray(value.upserts) || !Array.isArray(value.ended)) {
    return { problem: 'a delta in an unknown shape' };
  }
  for (const s of value.upserts) {
    const p = streamProblem(s, pid, epoch);
    if (p) return { problem: p };
  }
  for (const e of value.ended) {
    const p = endedProblem(e, pid, epoch);
    if (p) return { problem: p };
  }
  if (value.servers !== undefined) {
    if (!Array.isArray(value.servers)) return { problem: 'a malformed server list' };
    for (const s of value.servers) {
      const p = serverProblem(s);
      if (p) return { problem: p };
    }
  }
  return {
    delta: {
      seq: value.seq,
      now: value.now,
      upserts: value.upserts as StreamRecord[],
      ended: value.ended as EndedCall[],
      ...(value.servers ? { servers: value.servers as ServerRecord[] } : {}),
    },
  };
}
