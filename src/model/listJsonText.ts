// `grpc-streams list --json` written straight from the packed snapshot: one line per stream, each
// distinct string escaped once, reason texts shared between equal streams, and no record objects
// in between. It is the document toListJson(unpackSnapshot(packed)) describes, field for field;
// 10,000 streams take a few ms instead of the tens that building, judging and stringifying took.
import { AT, checkPacked, STREAM_WIDTH, timeAt, type PackedSnapshot } from '../agent/packedSnapshot';
import type { ServerRecord, StreamRecord } from '../agent/protocol';
import { assessStream, idleMs, reasonsKey, suspectReasons } from './suspect';

/**
 * Characters per written chunk. Each chunk's pieces die young, which keeps garbage collection
 * cheap, and appending to one string costs less than collecting lines to join.
 */
const CHUNK_CHARS = 64 * 1024;

/** The document as one string (tests, small snapshots). */
export function listJsonText(packed: PackedSnapshot, thresholdMs: number): string {
  const chunks: string[] = [];
  writeListJson(packed, thresholdMs, (c) => chunks.push(c));
  return chunks.join('');
}

export function writeListJson(packed: PackedSnapshot, thresholdMs: number, write: (chunk: string) => void): void {
  checkPacked(packed);
  const { strings, streams: f, now } = packed;
  const head = [
    `  "source": "node"`,
    `  "pid": ${JSON.stringify(packed.pid)}`,
    `  "node": ${JSON.stringify(packed.node)}`,
    `  "grpcJs": ${JSON.stringify(packed.grpcJs)}`,
    `  "servers": ${JSON.stringify(packed.servers, null, 2).replace(/\n/g, '\n  ')}`,
  ].join(',\n');
  if (f.length === 0) {
    write(`{\n${head},\n  "streams": []\n}\n`);
    return;
  }
  write(`{\n${head},\n  "streams": [\n    `);
  const servers = new Map<string, ServerRecord>(packed.servers.map((s) => [s.id, s]));
  const quoted = strings.map((s) => JSON.stringify(s));
  const reasonsCache = new Map<string, string>();
  // One record, refilled per stream, for the judging functions. checkPacked vouched for every
  // value, so numbers and nulls print as they are.
  const r: StreamRecord = {
    id: '', serverId: '', method: '', kind: 'unary', peer: '', startedAt: null, observedSince: 0, lastReceivedAt: null, lastSentAt: null, received: 0, sent: 0, deadline: null, state: 'active',
    connectionId: '', queuedBytes: null, liveness: 'unknown', livenessCheckedAt: null, rttMs: null,
  };
  let chunk = '';
  for (let i = 0; i < f.length; i += STREAM_WIDTH) {
    const sid = f[i + AT.serverId] as number;
    const kind = f[i + AT.kind] as number;
    const state = f[i + AT.state] as number;
    r.serverId = strings[sid];
    r.kind = strings[kind] as StreamRecord['kind'];
    r.state = strings[state] as StreamRecord['state'];
    r.startedAt = timeAt(now, f[i + AT.startedAt] as number | null);
    r.observedSince = now - (f[i + AT.observedSince] as number);
    r.lastReceivedAt = timeAt(now, f[i + AT.lastReceivedAt] as number | null);
    r.lastSentAt = timeAt(now, f[i + AT.lastSentAt] as number | null);
    const deadline = timeAt(now, f[i + AT.deadline] as number | null);
    const connection = f[i + AT.connectionId] as number;
    const liveness = f[i + AT.liveness] as number;
    r.liveness = strings[liveness] as StreamRecord['liveness'];
    r.queuedBytes = f[i + AT.queuedBytes] as number | null;
    r.rttMs = f[i + AT.rttMs] as number | null;
    r.livenessCheckedAt = timeAt(now, f[i + AT.livenessCheckedAt] as number | null);
    const server = servers.get(r.serverId);
    const a = assessStream(r, server, now, thresholdMs);
    let reasons = '[]';
    if (a.suspect) {
      const key = reasonsKey(r.kind, a, r.serverId, r);
      reasons = reasonsCache.get(key) ?? JSON.stringify(suspectReasons(r.kind, a, server, thresholdMs, r));
      reasonsCache.set(key, reasons);
    }
    chunk +=
      `${i === 0 ? '' : ',\n    '}{"id":${JSON.stringify(f[i + AT.id])},"serverId":${quoted[sid]},"method":${quoted[f[i + AT.method] as number]},"kind":${quoted[kind]},` +
        `"peer":${quoted[f[i + AT.peer] as number]},"startedAt":${r.startedAt},"observedSince":${r.observedSince},"lastReceivedAt":${r.lastReceivedAt},` +
        `"lastSentAt":${r.lastSentAt},"received":${f[i + AT.received]},"sent":${f[i + AT.sent]},"idleMs":${idleMs(r, now)},"deadline":${deadline},` +
        `"state":${quoted[state]},"connectionId":${quoted[connection]},"liveness":${quoted[liveness]},"livenessCheckedAt":${r.livenessCheckedAt},` +
        `"rttMs":${r.rttMs},"queuedBytes":${r.queuedBytes},"suspect":${a.suspect},"reasons":${reasons},"source":"node","goroutine":null,"waitsAt":null}`;
    if (chunk.length >= CHUNK_CHARS) {
      write(chunk);
      chunk = '';
    }
  }
  write(`${chunk}\n  ]\n}\n`);
}
