// The dashboard's stream table: rows, sorting and filtering, computed from records. Pure, shared
// by the webview and the tests.
import type { LiveStream, LiveServer } from '../model/liveStream';
import type { CallKind, Liveness } from '../agent/protocol';
import { ageMs, formatBytes, idleMs, isSuspect } from '../model/suspect';
import { cancelUnavailable } from '../model/treeModel';

export type SortKey = 'method' | 'kind' | 'peer' | 'client' | 'age' | 'idle' | 'received' | 'sent' | 'queued' | 'state';
export type StateFilter = 'all' | 'active' | 'half_closed' | 'suspect';
/** What the last PING on the stream's connection told. */
export type LivenessFilter = 'all' | Liveness;

export interface TableRow {
  id: string;
  /** The number in the id, for a cheap stable tie-break. */
  seq: number;
  method: string;
  /** Null: the source cannot tell (shown as —), as for peer and the message counts. */
  kind: CallKind | null;
  peer: string | null;
  ageMs: number;
  idleMs: number;
  received: number | null;
  sent: number | null;
  /** The call's state, or for a Go goroutine what it waits on (recv, send, handler). */
  state: string;
  /** Why Cancel is not offered for this row, or null when it is. */
  cancelUnavailable: string | null;
  suspect: boolean;
  connectionId: string;
  liveness: Liveness;
  rttMs: number | null;
  queuedBytes: number | null;
}

export function toRow(s: LiveStream, server: LiveServer | undefined, now: number, suspectAfterMs: number): TableRow {
  return {
    id: s.id,
    seq: Number(s.id.slice(s.id.lastIndexOf('-') + 1).replace(/^g/, '')) || 0,
    method: s.method,
    kind: s.kind,
    peer: s.peer,
    ageMs: ageMs(s, now),
    idleMs: idleMs(s, now),
    received: s.received,
    sent: s.sent,
    state: s.waiting ?? s.state ?? 'unknown',
    cancelUnavailable: cancelUnavailable(s),
    suspect: isSuspect(s, server, now, suspectAfterMs),
    connectionId: s.connectionId ?? '',
    liveness: s.liveness ?? 'unknown',
    rttMs: s.rttMs ?? null,
    queuedBytes: s.queuedBytes ?? null,
  };
}

/** A cell for a value the source may not know: — when it does not. */
export function knownCell(v: string | number | null): string {
  return v === null ? '—' : String(v);
}

/** The Client cell: 'dead', 'alive 0.3 ms', or '—' when not probed yet. */
export function clientCell(r: Pick<TableRow, 'liveness' | 'rttMs'>): string {
  if (r.liveness === 'alive') return r.rttMs !== null ? `alive ${r.rttMs.toFixed(1)} ms` : 'alive';
  return r.liveness === 'dead' ? 'dead' : '—';
}

/** The Queued cell: the bytes the client has not taken, '' when none, '?' when not known. */
export function queuedCell(r: Pick<TableRow, 'queuedBytes'>): string {
  if (r.queuedBytes === null) return '?';
  return r.queuedBytes > 0 ? formatBytes(r.queuedBytes) : '';
}

export function filterRows(rows: TableRow[], text: string, state: StateFilter, liveness: LivenessFilter = 'all'): TableRow[] {
  const q = text.trim().toLowerCase();
  return rows.filter((r) => {
    if (state === 'suspect' ? !r.suspect : state !== 'all' && r.state !== state) return false;
    if (liveness !== 'all' && r.liveness !== liveness) return false;
    if (!q) return true;
    return r.method.toLowerCase().includes(q) || (r.peer ?? '').toLowerCase().includes(q) || (r.kind ?? '').includes(q) || r.id === q || r.connectionId === q;
  });
}

/** Dead first, then not probed, then alive by round trip (ascending). */
const LIVENESS_RANK: Record<Liveness, number> = { dead: -2, unknown: -1, alive: 0 };

export function sortRows(rows: TableRow[], key: SortKey, descending: boolean): TableRow[] {
  const value = (r: TableRow): string | number => {
    switch (key) {
      case 'age': return r.ageMs;
      case 'idle': return r.idleMs;
      case 'received': return r.received ?? -1;
      case 'sent': return r.sent ?? -1;
      case 'peer': return r.peer ?? '';
      case 'kind': return r.kind ?? '';
      case 'queued': return r.queuedBytes ?? -1;
      case 'client': return r.liveness === 'alive' ? r.rttMs ?? 0 : LIVENESS_RANK[r.liveness];
      case 'state': return r.suspect ? 'suspect' : r.state;
      default: return r[key];
    }
  };
  const dir = descending ? -1 : 1;
  // Keys computed once per row; plain comparisons (a collator per comparison costs ~100x).
  const keyed = rows.map((r) => ({ r, k: value(r) }));
  keyed.sort((a, b) => {
    const c = a.k < b.k ? -1 : a.k > b.k ? 1 : 0;
    return c !== 0 ? c * dir : a.r.seq - b.r.seq;
  });
  return keyed.map((x) => x.r);
}

/** Which rows of a virtual list are in view (with a margin), given scroll position and sizes. */
export function visibleRange(scrollTop: number, viewportHeight: number, rowHeight: number, total: number, margin = 10): { start: number; end: number } {
  const start = Math.max(0, Math.floor(scrollTop / rowHeight) - margin);
  const end = Math.min(total, Math.ceil((scrollTop + viewportHeight) / rowHeight) + margin);
  return { start, end };
}

export { formatIdleShort as formatDuration } from '../model/treeModel';
