// The snapshot as it crosses the inspector. 10,000 streams as objects are 2.4 MB of JSON whose
// keys repeat on every record; here the streams are one flat array, STREAM_FIELDS values per
// stream, and the strings that repeat (server ids, methods, kinds, peers, states) are indexes
// into `strings`. Times go as milliseconds before the snapshot's `now` (small integers rather
// than 13-digit ones, which are slower to print and to read). About a quarter of the bytes, and
// far fewer objects to build on either side.
// Used by the agent (pack) and the inspector client (unpack); plain data, no imports at run time.
import type { AgentSnapshot, StreamRecord } from './protocol';

export const STREAM_FIELDS = ['id', 'serverId', 'method', 'kind', 'peer', 'startedAt', 'observedSince', 'lastReceivedAt', 'lastSentAt', 'received', 'sent', 'deadline', 'state', 'connectionId', 'queuedBytes', 'liveness', 'livenessCheckedAt', 'rttMs'] as const;
/** The fields sent as indexes into the string table. */
export const STRING_FIELD_OFFSETS: readonly number[] = ['serverId', 'method', 'kind', 'peer', 'state', 'connectionId', 'liveness'].map((f) => STREAM_FIELDS.indexOf(f as (typeof STREAM_FIELDS)[number]));
export const STREAM_WIDTH = STREAM_FIELDS.length;
type StreamField = (typeof STREAM_FIELDS)[number];
/** Offset of each field within a stream's run of values. */
export const AT = Object.fromEntries(STREAM_FIELDS.map((f, i) => [f, i])) as Record<StreamField, number>;

export interface PackedSnapshot extends Omit<AgentSnapshot, 'streams'> {
  /**
   * A large snapshot comes in pages (each one inspector request, so the target's event loop turns
   * between them): this one carries the first; `snapshotPage(pageToken, next)` gives the rest.
   */
  pageToken?: string | null;
  next?: number | null;
  strings: string[];
  /**
   * STREAM_FIELDS values per stream; serverId, method, kind, peer and state are indexes into
   * strings; startedAt, observedSince, lastReceivedAt, lastSentAt and deadline are now − time.
   */
  streams: Array<string | number | null>;
}

/** Packs records (or anything with the StreamRecord fields, such as the agent's live calls). */
export function packStreams(records: Iterable<StreamRecord>, now: number): { strings: string[]; streams: Array<string | number | null> } {
  const index = new Map<string, number>();
  const strings: string[] = [];
  const at = (s: string): number => {
    let i = index.get(s);
    if (i === undefined) {
      i = strings.length;
      index.set(s, i);
      strings.push(s);
    }
    return i;
  };
  const streams: Array<string | number | null> = [];
  for (const r of records) {
    streams.push(
      r.id, at(r.serverId), at(r.method), at(r.kind), at(r.peer),
      ago(now, r.startedAt), now - r.observedSince, ago(now, r.lastReceivedAt), ago(now, r.lastSentAt),
      r.received, r.sent, ago(now, r.deadline), at(r.state),
      at(r.connectionId), r.queuedBytes, at(r.liveness), ago(now, r.livenessCheckedAt), r.rttMs,
    );
  }
  return { strings, streams };
}

/** One further page of a paged snapshot: its own string table, times against the head's now. */
export interface PackedPage {
  strings: string[];
  streams: Array<string | number | null>;
  next: number | null;
}

/** The head and its pages as one PackedSnapshot, strings re-indexed into one table. */
export function mergePages(head: PackedSnapshot, pages: PackedPage[]): PackedSnapshot {
  const strings = head.strings.slice();
  const index = new Map(strings.map((v, i) => [v, i]));
  const streams = head.streams.slice();
  for (const page of pages) {
    if (!Array.isArray(page?.strings) || !Array.isArray(page.streams) || page.streams.length % STREAM_WIDTH !== 0) {
      throw new PackedSnapshotError('The agent sent a snapshot page in an unknown shape.');
    }
    const remap = page.strings.map((v) => {
      let i = index.get(v);
      if (i === undefined) {
        i = strings.length;
        strings.push(v);
        index.set(v, i);
      }
      return i;
    });
    for (let i = 0; i < page.streams.length; i += STREAM_WIDTH) {
      for (let f = 0; f < STREAM_WIDTH; f++) {
        const v = page.streams[i + f];
        streams.push(STRING_FIELD_OFFSETS.includes(f) && typeof v === 'number' ? (remap[v] ?? -1) : v);
      }
    }
  }
  return { ...head, pageToken: null, next: null, strings, streams };
}

const ago = (now: number, t: number | null): number | null => (t === null ? null : now - t);
/** A time back from its packed form. */
export const timeAt = (now: number, v: number | null): number | null => (v === null ? null : now - v);

/** Thrown for a packed snapshot that does not have the shape above (another agent, a broken reply). */
export class PackedSnapshotError extends Error {}

const isIndex = (strings: string[], v: unknown): boolean => typeof v === 'number' && typeof strings[v] === 'string';
const isTime = (v: unknown): boolean => v === null || (typeof v === 'number' && Number.isFinite(v));
const isCount = (v: unknown): boolean => typeof v === 'number' && Number.isFinite(v);

/** Snapshots already checked (they are never changed after they arrive). */
const checked = new WeakSet<object>();

/** Checks every value once, so readers can index and print without checking each again. */
export function checkPacked(packed: PackedSnapshot): void {
  if (typeof packed === 'object' && packed !== null && checked.has(packed)) return;
  const { strings, streams: f } = packed ?? ({} as PackedSnapshot);
  if (!Array.isArray(strings) || !Array.isArray(f) || f.length % STREAM_WIDTH !== 0 || !Array.isArray(packed.servers) || !isCount(packed.now) || !isCount(packed.pid) || typeof packed.epoch !== 'string') {
    throw new PackedSnapshotError('The agent sent a snapshot in an unknown shape.');
  }
  for (let i = 0; i < f.length; i += STREAM_WIDTH) {
    const ok =
      typeof f[i + AT.id] === 'string' &&
      isIndex(strings, f[i + AT.serverId]) &&
      isIndex(strings, f[i + AT.method]) &&
      isIndex(strings, f[i + AT.kind]) &&
      isIndex(strings, f[i + AT.peer]) &&
      isTime(f[i + AT.startedAt]) &&
      isCount(f[i + AT.observedSince]) &&
      isTime(f[i + AT.lastReceivedAt]) &&
      isTime(f[i + AT.lastSentAt]) &&
      isCount(f[i + AT.received]) &&
      isCount(f[i + AT.sent]) &&
      isTime(f[i + AT.deadline]) &&
      isIndex(strings, f[i + AT.state]) &&
      isIndex(strings, f[i + AT.connectionId]) &&
      (f[i + AT.queuedBytes] === null || isCount(f[i + AT.queuedBytes])) &&
      isIndex(strings, f[i + AT.liveness]) &&
      isTime(f[i + AT.livenessCheckedAt]) &&
      (f[i + AT.rttMs] === null || isCount(f[i + AT.rttMs]));
    if (!ok) throw new PackedSnapshotError(`The agent sent a malformed record for stream ${String(f[i + AT.id])}.`);
  }
  checked.add(packed);
}

export function unpackSnapshot(packed: PackedSnapshot): AgentSnapshot {
  checkPacked(packed);
  const { strings: str, streams: flat, ...rest } = packed;
  const now = packed.now;
  const streams: StreamRecord[] = new Array(flat.length / STREAM_WIDTH);
  for (let i = 0, j = 0; i < flat.length; i += STREAM_WIDTH, j++) {
    streams[j] = {
      id: flat[i + AT.id] as string,
      serverId: str[flat[i + AT.serverId] as number],
      method: str[flat[i + AT.method] as number],
      kind: str[flat[i + AT.kind] as number] as StreamRecord['kind'],
      peer: str[flat[i + AT.peer] as number],
      startedAt: timeAt(now, flat[i + AT.startedAt] as number | null),
      observedSince: now - (flat[i + AT.observedSince] as number),
      lastReceivedAt: timeAt(now, flat[i + AT.lastReceivedAt] as number | null),
      lastSentAt: timeAt(now, flat[i + AT.lastSentAt] as number | null),
      received: flat[i + AT.received] as number,
      sent: flat[i + AT.sent] as number,
      deadline: timeAt(now, flat[i + AT.deadline] as number | null),
      state: str[flat[i + AT.state] as number] as StreamRecord['state'],
      connectionId: str[flat[i + AT.connectionId] as number],
      queuedBytes: flat[i + AT.queuedBytes] as number | null,
      liveness: str[flat[i + AT.liveness] as number] as StreamRecord['liveness'],
      livenessCheckedAt: timeAt(now, flat[i + AT.livenessCheckedAt] as number | null),
      rttMs: flat[i + AT.rttMs] as number | null,
    };
  }
  return { ...rest, streams };
}
