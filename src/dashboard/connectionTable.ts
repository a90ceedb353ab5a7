// The dashboard's connection table for a channelz source: rows computed from the connections,
// judged as the tree judges them. Pure, shared by the webview and the tests.
import { judgedConnection } from '../model/connectionTree';
import type { LiveConnection } from '../sources/channelz/connections';

export interface ConnectionTableRow {
  id: string;
  remote: string;
  server: string;
  open: string;
  idle: string;
  lastReceived: string;
  lastSent: string;
  keepalives: string;
  window: string;
  suspect: boolean;
  reasons: string;
}

const ago = (ms: number | null): string => {
  if (ms === null) return '—';
  const s = Math.floor(ms / 1000);
  return s < 120 ? `${s}s` : s < 7200 ? `${Math.floor(s / 60)}m` : `${Math.floor(s / 3600)}h`;
};

/** One row per connection, suspect ones first, then by remote address; what channelz does not say is —. */
export function connectionRows(connections: Iterable<LiveConnection>, now: number, thresholdMs: number): ConnectionTableRow[] {
  const rows: ConnectionTableRow[] = [];
  for (const c of connections) {
    const j = judgedConnection(c, now, thresholdMs);
    rows.push({
      id: c.id,
      remote: c.remote,
      server: c.serverId,
      open: String(c.openStreams),
      idle: ago(j.idleMs),
      lastReceived: c.lastMessageReceivedAt === null ? '—' : `${ago(Math.max(0, now - c.lastMessageReceivedAt))} ago`,
      lastSent: c.lastMessageSentAt === null ? '—' : `${ago(Math.max(0, now - c.lastMessageSentAt))} ago`,
      keepalives: String(c.keepalivesSent),
      window: `${c.localWindow ?? '—'} / ${c.remoteWindow ?? '—'}`,
      suspect: j.suspect,
      reasons: j.reasons.join('; '),
    });
  }
  return rows.sort((a, b) => Number(b.suspect) - Number(a.suspect) || (a.remote < b.remote ? -1 : a.remote > b.remote ? 1 : 0));
}

export const CONNECTION_COLUMNS: Array<[keyof ConnectionTableRow, string]> = [
  ['remote', 'Remote'],
  ['open', 'Open streams'],
  ['idle', 'Idle'],
  ['lastReceived', 'Last received'],
  ['lastSent', 'Last sent'],
  ['keepalives', 'Keepalives sent'],
  ['window', 'Window (local / remote)'],
  ['reasons', 'Why suspect'],
];
