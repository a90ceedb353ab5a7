// What the Streams tree shows, computed without VS Code: grouping, labels, descriptions, status,
// and which rows a tick changes. The VS Code provider only turns these into TreeItems.
import type { ServerRecord, StreamRecord } from '../agent/protocol';
import type { StreamStore } from './streamStore';
import { formatSeconds, idleMs, isSuspect, judgeStream, keepaliveVerdict } from './suspect';

export type StreamStatus = 'active' | 'idle' | 'suspect';

export interface TreeSettings {
  idleWarningMs: number;
  suspectAfterMs: number;
  maxStreamsPerMethod: number;
}

export interface StreamRow {
  id: string;
  label: string;
  description: string;
  status: StreamStatus;
  reasons: string[];
}

export function formatIdleShort(ms: number): string {
  const s = Math.floor(ms / 1000);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

export function streamRow(s: StreamRecord, server: ServerRecord | undefined, now: number, settings: TreeSettings): StreamRow {
  const idle = idleMs(s, now);
  const verdict = judgeStream(s, server, now, settings.suspectAfterMs);
  const status: StreamStatus = verdict.suspect ? 'suspect' : idle > settings.idleWarningMs ? 'idle' : 'active';
  const half = s.state === 'half_closed' && s.kind !== 'unary' && s.kind !== 'server_stream' ? ' · half-closed' : '';
  return {
    id: s.id,
    label: s.peer,
    description: `idle ${formatIdleShort(idle)} · ↓${s.received} ↑${s.sent} · ${s.kind}${half}`,
    status,
    reasons: verdict.reasons,
  };
}

/** Tooltip text: every field of the agent's record, plus the verdict. */
export function streamTooltip(s: StreamRecord, row: StreamRow, now: number): string {
  const t = (v: number | null): string => (v === null ? '—' : new Date(v).toISOString());
  const lines = [
    `${s.method} (${s.kind})`,
    `id: ${s.id} · server: ${s.serverId || '?'}`,
    `peer: ${s.peer}`,
    `state: ${s.state}`,
    `started: ${s.startedAt === null ? 'before attach' : t(s.startedAt)}`,
    `observed since: ${t(s.observedSince)}`,
    `last received: ${t(s.lastReceivedAt)}`,
    `last sent: ${t(s.lastSentAt)}`,
    `received: ${s.received} · sent: ${s.sent}`,
    `deadline: ${s.deadline === null ? 'none' : t(s.deadline)}`,
    `idle: ${formatSeconds(idleMs(s, now))}`,
  ];
  if (row.status === 'suspect') lines.push('', `Suspect: ${row.reasons.join('; ')}`);
  return lines.join('\n');
}

export function serverLabel(s: ServerRecord): string {
  return s.addresses.length > 0 ? s.addresses.join(', ') : `server ${s.id} (not listening)`;
}

export interface ServerView {
  warning: string | null;
  description: string;
}

export function serverView(s: ServerRecord, openStreams: number, settings: TreeSettings): ServerView {
  const verdict = keepaliveVerdict(s, settings.suspectAfterMs);
  const warning =
    verdict === 'none'
      ? 'No keepalive in force: a client that vanishes without closing its connection leaves its streams open forever. Set grpc.keepalive_time_ms and grpc.keepalive_timeout_ms.'
      : verdict === 'too-slow'
        ? `Keepalive every ${formatSeconds(s.keepalive.timeMs ?? 0)} is slower than the suspect threshold; vanished clients are noticed late.`
        : verdict === 'buggy'
          ? `grpc-js ${s.grpcJsVersion} may leave a dead connection open after a keepalive timeout (grpc-node #2953); upgrade to 1.14.2 or newer.`
          : null;
  const ka = s.keepalive.timeMs === null ? 'no keepalive' : `keepalive ${formatSeconds(s.keepalive.timeMs)}`;
  return { warning, description: `${openStreams} open · ${ka} · grpc-js ${s.grpcJsVersion}` };
}

export function methodLabel(path: string): string {
  return path.replace(/^\//, '');
}

/** Streams of a server grouped by method, methods in the server's order then any others. */
export function groupByMethod(store: StreamStore, serverId: string): Map<string, StreamRecord[]> {
  const groups = new Map<string, StreamRecord[]>();
  const server = store.servers.get(serverId);
  for (const m of server?.methods ?? []) groups.set(m.path, []);
  for (const s of store.streams.values()) {
    if (s.serverId !== serverId) continue;
    let g = groups.get(s.method);
    if (!g) groups.set(s.method, (g = []));
    g.push(s);
  }
  return groups;
}

/** Which streams to list under a method: most idle first, at most the configured number. */
export function visibleStreams(streams: StreamRecord[], now: number, max: number): { shown: StreamRecord[]; hidden: number } {
  const sorted = [...streams].sort((a, b) => idleMs(b, now) - idleMs(a, now) || a.id.localeCompare(b.id));
  return { shown: sorted.slice(0, max), hidden: Math.max(0, sorted.length - max) };
}

/** Streams whose row text or status differs from what was rendered last. */
export function changedRows(
  store: StreamStore,
  rendered: Map<string, StreamRow>,
  now: number,
  settings: TreeSettings,
): StreamRow[] {
  const changed: StreamRow[] = [];
  for (const [id, old] of rendered) {
    const s = store.streams.get(id);
    if (!s) continue;
    const row = streamRow(s, store.servers.get(s.serverId), now, settings);
    if (row.description !== old.description || row.status !== old.status || row.label !== old.label) changed.push(row);
  }
  return changed;
}

export interface Counts {
  streams: number;
  suspect: number;
}

export function countSuspects(stores: Iterable<StreamStore>, settings: TreeSettings, localNow = Date.now()): Counts {
  let streams = 0;
  let suspect = 0;
  for (const store of stores) {
    const now = store.now(localNow);
    for (const s of store.streams.values()) {
      streams++;
      if (isSuspect(s, store.servers.get(s.serverId), now, settings.suspectAfterMs)) suspect++;
    }
  }
  return { streams, suspect };
}

export function statusBarText(c: Counts): string {
  return `gRPC ${c.streams} stream${c.streams === 1 ? '' : 's'} · ${c.suspect} suspect`;
}

/** What a client knows of the process behind an attachment (AgentSession's health, by state). */
export type HealthState = 'ok' | 'not-answering' | 'agent-gone';

/** A few words for a process whose data is stale, or null when it is live. */
export function healthNote(state: HealthState): string | null {
  if (state === 'not-answering') return 'not answering: data is stale';
  if (state === 'agent-gone') return 'agent removed by another client';
  return null;
}

/** One sentence on what a stale process means for what is shown, or null when it is live. */
export function healthDetail(state: HealthState): string | null {
  if (state === 'not-answering') {
    return 'The process does not answer (stopped, at a breakpoint, or busy): this is what it showed when it last answered, and idle times are held there until it answers again.';
  }
  if (state === 'agent-gone') {
    return 'Another client removed the agent from the process (grpc-streams detach, or another window): nothing more arrives. Re-attach to install it again, or Detach.';
  }
  return null;
}

/** The process row's description: the stale note first, where a narrow view still shows it. */
export function processDescription(label: string, node: string, open: number, state: HealthState): string {
  const base = `${label} · node ${node} · ${open} open`;
  const note = healthNote(state);
  return note ? `${note} · ${base}` : base;
}

/** The status bar's note on stale processes: the note itself for one, counts for several; null if none. */
export function staleSummary(states: HealthState[]): string | null {
  const silent = states.filter((s) => s === 'not-answering').length;
  const gone = states.filter((s) => s === 'agent-gone').length;
  if (silent + gone === 0) return null;
  if (states.length === 1) return healthNote(states[0]);
  const parts: string[] = [];
  if (silent > 0) parts.push(`${silent} not answering`);
  if (gone > 0) parts.push(`${gone} agent${gone === 1 ? '' : 's'} removed`);
  return `${parts.join(', ')}: data is stale`;
}
