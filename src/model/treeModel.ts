// What the Streams tree shows, computed without VS Code: grouping, labels, descriptions, status,
// and which rows a tick changes. The VS Code provider only turns these into TreeItems.
import type { LiveStream, LiveServer } from './liveStream';
import type { Liveness, ProbeSettings } from '../agent/protocol';
import type { StreamStore } from './streamStore';
import { libraryOf } from './liveStream';
import { suspectConnections as countSuspectConnections } from './connectionTree';
import { assessStream, formatBytes, formatSeconds, idleMs, isSuspect, keepaliveVerdict, suspectReasons } from './suspect';

/** Dead: its connection did not answer a PING (it is suspect too, and more than suspect). */
export type StreamStatus = 'active' | 'idle' | 'suspect' | 'dead';

/** How the tree lists a server's streams: under their methods, or under their client connections. */
export type Grouping = 'method' | 'connection';

/**
 * A queue this large is named in a row's description (the tooltip always gives the number). Below
 * it, bytes that sit in a buffer for an instant after each write would make rows flicker.
 */
export const QUEUED_NOTE_BYTES = 64 * 1024;

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

/** What a PING told of the client, in a few words: 'alive 0.3 ms', 'dead', or null when not asked yet. */
export function livenessText(s: Pick<LiveStream, 'liveness' | 'rttMs'>): string | null {
  if (s.liveness === 'alive') return typeof s.rttMs === 'number' ? `alive ${s.rttMs.toFixed(1)} ms` : 'alive';
  return s.liveness === 'dead' ? 'dead' : null;
}

/** The same in a sentence, with when it was asked (tooltips). */
export function livenessSentence(s: Pick<LiveStream, 'liveness' | 'rttMs' | 'livenessCheckedAt'>, now: number): string {
  const when = typeof s.livenessCheckedAt === 'number' ? ` (${formatSeconds(Math.max(0, now - s.livenessCheckedAt))} ago)` : '';
  if (s.liveness === 'alive') return `the client answered a PING${typeof s.rttMs === 'number' ? ` in ${s.rttMs.toFixed(1)} ms` : ''}${when}: it is there, even if it sends nothing`;
  if (s.liveness === 'dead') return `the client did not answer a PING${when}: it is gone`;
  return 'not probed yet (a PING is sent once a stream on the connection has been silent for the idle threshold, or on Probe Connections)';
}

/** Where a Go goroutine waits, short: `main.go:57`. */
export function waitsAtShort(w: LiveStream['waitsAt']): string {
  return w ? `${w.file.split(/[\\/]/).pop()}:${w.line}` : 'where unknown';
}

/** A stream's label when it stands for itself: its peer, else its goroutine, else its id. */
export function streamName(s: Pick<LiveStream, 'peer' | 'goroutine' | 'goroutines' | 'id'>): string {
  if (s.goroutines !== undefined) return `${s.goroutines} goroutine${s.goroutines === 1 ? '' : 's'}`;
  return s.peer ?? (typeof s.goroutine === 'number' ? `goroutine ${s.goroutine}` : s.id);
}

/** A row's label is the peer under a method, and the method under a connection (whose peer is its label). */
export function streamRow(s: LiveStream, server: LiveServer | undefined, now: number, settings: TreeSettings, labelBy: 'peer' | 'method' = 'peer'): StreamRow {
  const idle = idleMs(s, now);
  const a = assessStream(s, server, now, settings.suspectAfterMs);
  const status: StreamStatus = a.cause === 'dead' ? 'dead' : a.suspect ? 'suspect' : idle > settings.idleWarningMs ? 'idle' : 'active';
  const label = labelBy === 'method' ? methodLabel(s.method) : streamName(s);
  const reasons = a.suspect ? suspectReasons(s.kind, a, server, settings.suspectAfterMs, s) : [];
  if (s.waiting) {
    // A Go handler goroutine: how it waits, for how long, and where in the user's code.
    const how = s.waiting === 'handler' ? s.waitReason ?? 'running' : s.waiting;
    return { id: s.id, label, description: `${how} ${formatIdleShort(idle)} · ${waitsAtShort(s.waitsAt)}`, status, reasons };
  }
  const half = s.state === 'half_closed' && s.kind !== 'unary' && s.kind !== 'server_stream' ? ' · half-closed' : '';
  const queued = (s.queuedBytes ?? 0) >= QUEUED_NOTE_BYTES ? ` · ${formatBytes(s.queuedBytes ?? 0)} queued` : '';
  // Dead first, where a narrow view still shows it; a live client's round trip last.
  const alive = s.liveness === 'alive' ? ` · ${livenessText(s)}` : '';
  return {
    id: s.id,
    label,
    description: `${status === 'dead' ? 'dead · ' : ''}idle ${formatIdleShort(idle)} · ↓${s.received ?? '?'} ↑${s.sent ?? '?'} · ${s.kind ?? 'stream'}${half}${queued}${alive}`,
    status,
    reasons,
  };
}

/** Why a stream's Cancel is not available, or null when it is: Go offers no way to end a call from outside. */
export function cancelUnavailable(s: Pick<LiveStream, 'source'>): string | null {
  return s.source === 'go-pprof' || s.source === 'go-delve'
    ? 'Cancel is not available for Go: grpc-go has no way to end another goroutine\'s call from outside the process; end it in the handler (an idle timeout on Recv) or close the client.'
    : null;
}

/** Tooltip text: every field the source knows (unknown ones say so), plus the verdict. */
export function streamTooltip(s: LiveStream, row: StreamRow, now: number): string {
  const t = (v: number | null): string => (v === null ? '—' : new Date(v).toISOString());
  const known = (v: string | number | null): string => (v === null ? 'unknown' : String(v));
  const lines = [`${s.method} (${s.kind ?? 'kind unknown'})`, `id: ${s.id} · server: ${s.serverId || '?'}`, `peer: ${known(s.peer)}`];
  if (s.waiting) {
    const basis = s.waitingSinceBasis === 'runtime' ? 'the runtime\'s count, in whole minutes' : s.goroutines !== undefined ? 'since this tool first saw this stack' : 'since this tool first saw it wait there';
    lines.push(
      s.goroutines !== undefined
        ? `goroutines: ${s.goroutines} with this same stack (a server this large is read as groups of identical stacks, without ids or wait reasons: the full dump would stop it for a moment)`
        : `goroutine: ${known(s.goroutine ?? null)} (${s.source})`,
      `waiting: ${s.waiting === 'recv' ? 'in Recv, for the client\'s next message' : s.waiting === 'send' ? 'in Send, for the client to read (HTTP/2 flow control)' : `in the handler's own code (${s.waitReason ?? 'running'})`}`,
      `for: ${formatSeconds(idleMs(s, now))} (${basis})`,
      `waits at: ${s.waitsAt ? `${s.waitsAt.function} (${s.waitsAt.file}:${s.waitsAt.line})` : 'unknown'}`,
      'messages, deadline, connection: unknown (a goroutine stack does not show them)',
    );
    const why = cancelUnavailable(s);
    if (why) lines.push(why);
  } else {
    const queued = typeof s.queuedBytes === 'number' ? `${formatBytes(s.queuedBytes)} written by the handler and not yet taken by the client` : 'not known';
    lines.push(
      `state: ${known(s.state)}`,
      `started: ${s.startedAt === null ? 'before attach' : t(s.startedAt)}`,
      `observed since: ${t(s.observedSince)}`,
      `last received: ${t(s.lastReceivedAt)}`,
      `last sent: ${t(s.lastSentAt)}`,
      `received: ${known(s.received)} · sent: ${known(s.sent)}`,
      `deadline: ${s.deadline === null ? 'none' : t(s.deadline)}`,
      `idle: ${formatSeconds(idleMs(s, now))}`,
      `connection: ${s.connectionId || 'not known'} · client: ${livenessSentence(s, now)}`,
      `queued: ${queued}`,
    );
  }
  if (row.status === 'dead') lines.push('', `Dead: ${row.reasons.join('; ')}`);
  else if (row.status === 'suspect') lines.push('', `Suspect: ${row.reasons.join('; ')}`);
  return lines.join('\n');
}

export function serverLabel(s: LiveServer): string {
  if (s.addresses.length > 0) return s.addresses.join(', ');
  return s.library !== undefined ? `${s.library} server` : `server ${s.id} (not listening)`;
}

export interface ServerView {
  warning: string | null;
  description: string;
}

/** `dead` is how many of its open streams are on a connection that did not answer a PING. */
export function serverView(s: LiveServer, openStreams: number, settings: TreeSettings, dead = 0): ServerView {
  const verdict = keepaliveVerdict(s, settings.suspectAfterMs);
  const warning =
    verdict === 'none'
      ? 'No keepalive in force: a client that vanishes without closing its connection leaves its streams open forever. Set grpc.keepalive_time_ms and grpc.keepalive_timeout_ms.'
      : verdict === 'too-slow'
        ? `Keepalive every ${formatSeconds(s.keepalive?.timeMs ?? 0)} is slower than the suspect threshold; vanished clients are noticed late.`
        : verdict === 'buggy'
          ? `grpc-js ${s.grpcJsVersion} may leave a dead connection open after a keepalive timeout (grpc-node #2953); upgrade to 1.14.2 or newer.`
          : null;
  return { warning, description: `${openStreams} open${dead > 0 ? ` · ${dead} dead` : ''} · ${keepaliveShort(s.keepalive)} · ${libraryOf(s)}` };
}

/** `keepalive 30 s`, `no keepalive`, or `keepalive unknown` when the source cannot read the options. */
export function keepaliveShort(k: LiveServer['keepalive']): string {
  if (k === null) return 'keepalive unknown';
  return k.timeMs === null ? 'no keepalive' : `keepalive ${formatSeconds(k.timeMs)}`;
}

export function methodLabel(path: string): string {
  return path.replace(/^\//, '');
}

/** Streams of a server grouped by method, methods in the server's order then any others. */
export function groupByMethod(store: StreamStore, serverId: string): Map<string, LiveStream[]> {
  const groups = new Map<string, LiveStream[]>();
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

/** A stream's connection: the agent's id, else `peer:PEER` (an unknown peer makes a connection of its own). */
export function connectionKey(s: Pick<LiveStream, 'connectionId' | 'peer' | 'id'>): string {
  return s.connectionId || (s.peer !== null ? `peer:${s.peer}` : `stream:${s.id}`);
}

/** The streams of one client connection (an HTTP/2 session) and what its last PING told. */
export interface ConnectionGroup {
  /** The agent's connection id, or `peer:PEER` for streams whose connection is not known. */
  key: string;
  connectionId: string;
  peer: string;
  liveness: Liveness;
  rttMs: number | null;
  livenessCheckedAt: number | null;
  streams: LiveStream[];
}

const LIVENESS_ORDER: Record<Liveness, number> = { dead: 0, unknown: 1, alive: 2 };

/**
 * Streams of a server grouped by connection: dead connections first (what to act on), then those
 * not probed yet, then live ones; by peer within each, so rows keep their places between updates.
 */
export function groupByConnection(store: StreamStore, serverId: string): ConnectionGroup[] {
  const groups = new Map<string, ConnectionGroup>();
  for (const s of store.streams.values()) {
    if (s.serverId !== serverId) continue;
    const key = connectionKey(s);
    let g = groups.get(key);
    if (!g) groups.set(key, (g = { key, connectionId: s.connectionId ?? '', peer: s.peer ?? 'unknown peer', liveness: 'unknown', rttMs: null, livenessCheckedAt: null, streams: [] }));
    g.streams.push(s);
    // Every stream of a connection shares its PING's answer; the latest word counts.
    if ((s.livenessCheckedAt ?? -1) >= (g.livenessCheckedAt ?? -1) && s.liveness) {
      g.liveness = s.liveness;
      g.rttMs = s.rttMs ?? null;
      g.livenessCheckedAt = s.livenessCheckedAt ?? null;
    }
  }
  return [...groups.values()].sort((a, b) => LIVENESS_ORDER[a.liveness] - LIVENESS_ORDER[b.liveness] || (a.peer < b.peer ? -1 : a.peer > b.peer ? 1 : 0) || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}

export interface ConnectionRow {
  label: string;
  description: string;
  liveness: Liveness;
  tooltip: string;
}

export function connectionRow(g: ConnectionGroup, now: number): ConnectionRow {
  const open = `${g.streams.length} open`;
  const queued = g.streams.reduce((n, s) => n + (s.queuedBytes ?? 0), 0);
  const queuedNote = queued >= QUEUED_NOTE_BYTES ? ` · ${formatBytes(queued)} queued` : '';
  const state = livenessText(g) ?? 'not probed yet';
  const lines = [
    `Connection ${g.connectionId || 'not known'} from ${g.peer}: ${g.streams.length} open stream${g.streams.length === 1 ? '' : 's'}`,
    `Client: ${livenessSentence(g, now)}.`,
  ];
  if (g.liveness === 'dead') lines.push('', 'Cancel Dead Streams (on the server or process) ends its streams.');
  return { label: g.peer, description: `${state} · ${open}${queuedNote}`, liveness: g.liveness, tooltip: lines.join('\n') };
}

/** Which streams to list under a method: most idle first, at most the configured number. */
export function visibleStreams(streams: LiveStream[], now: number, max: number): { shown: LiveStream[]; hidden: number } {
  const sorted = [...streams].sort((a, b) => idleMs(b, now) - idleMs(a, now) || a.id.localeCompare(b.id));
  return { shown: sorted.slice(0, max), hidden: Math.max(0, sorted.length - max) };
}

/** Streams whose row text or status differs from what was rendered last. */
export function changedRows(
  store: StreamStore,
  rendered: Map<string, StreamRow>,
  now: number,
  settings: TreeSettings,
  labelBy: 'peer' | 'method' = 'peer',
): StreamRow[] {
  const changed: StreamRow[] = [];
  for (const [id, old] of rendered) {
    const s = store.streams.get(id);
    if (!s) continue;
    const row = streamRow(s, store.servers.get(s.serverId), now, settings, labelBy);
    if (row.description !== old.description || row.status !== old.status || row.label !== old.label) changed.push(row);
  }
  return changed;
}

/** Dead streams (their connection did not answer a PING) and the connections they are on. */
export interface DeadCounts {
  streams: number;
  connections: number;
  ids: string[];
}

export function deadStreams(streams: Iterable<LiveStream>, serverId?: string): DeadCounts {
  const ids: string[] = [];
  const connections = new Set<string>();
  for (const s of streams) {
    if (s.liveness !== 'dead' || (serverId !== undefined && s.serverId !== serverId)) continue;
    ids.push(s.id);
    connections.add(connectionKey(s));
  }
  return { streams: ids.length, connections: connections.size, ids };
}

const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`;

/** The question Cancel Dead Streams asks first; `where` names the server when it is about one. */
export function cancelDeadQuestion(c: Pick<DeadCounts, 'streams' | 'connections'>, where: string): string {
  return `Cancel ${plural(c.streams, 'stream')} on ${plural(c.connections, 'connection')} of ${where} whose client does not answer a PING?`;
}

/** What Cancel Dead Streams did, in one sentence. `connections` counts those of the cancelled streams. */
export function cancelDeadResult(r: { cancelled: string[]; failed: Array<{ id: string; error: string }> }, connections: number): string {
  const total = r.cancelled.length + r.failed.length;
  if (total === 0) return 'No dead stream was left to cancel: they had ended, or their clients answered again.';
  const on = ` on ${plural(connections, 'connection')}`;
  if (r.failed.length === 0) return `Cancelled ${plural(r.cancelled.length, 'dead stream')}${on}: ${r.cancelled.length === 1 ? 'its call has' : 'their calls have'} ended.`;
  const why = r.failed[0].error.replace(/[.\s]+$/, '');
  return `Cancelled ${r.cancelled.length} of ${plural(total, 'dead stream')}${on}; ${r.failed.length} did not end (${r.failed[0].id}: ${why}${r.failed.length > 1 ? `, and ${r.failed.length - 1} more` : ''}).`;
}

/** What Probe Connections found, in one sentence. */
export function probeResult(probed: number, dead: Pick<DeadCounts, 'streams' | 'connections'>): string {
  if (probed === 0) return 'No connection to probe: no stream is open.';
  if (dead.connections === 0) return `Probed ${plural(probed, 'connection')}: every client answered its PING.`;
  return `Probed ${plural(probed, 'connection')}: ${dead.connections} did not answer (${plural(dead.streams, 'stream')} dead), ${Math.max(0, probed - dead.connections)} answered.`;
}

/** The probe settings the extension gives the agent: the idle warning threshold decides when to PING. */
export function probeSettingsFor(c: { idleWarningMs: number; probeEnabled: boolean; probeTimeoutMs: number; probeMinIntervalMs: number }): Pick<ProbeSettings, 'enabled' | 'timeoutMs' | 'minIntervalMs' | 'idleMs'> {
  return { enabled: c.probeEnabled, timeoutMs: c.probeTimeoutMs, minIntervalMs: c.probeMinIntervalMs, idleMs: c.idleWarningMs };
}

export function sameProbeSettings(a: Partial<ProbeSettings> | undefined, b: Partial<ProbeSettings>): boolean {
  return !!a && a.enabled === b.enabled && a.timeoutMs === b.timeoutMs && a.minIntervalMs === b.minIntervalMs && a.idleMs === b.idleMs && a.maxPerSecond === b.maxPerSecond;
}

export interface Counts {
  streams: number;
  suspect: number;
  /** channelz sources: connections, and those that are suspect. */
  connections?: number;
  suspectConnections?: number;
}

export function countSuspects(stores: Iterable<StreamStore>, settings: TreeSettings, localNow = Date.now()): Counts {
  let streams = 0;
  let suspect = 0;
  let connections = 0;
  let suspectConnections = 0;
  for (const store of stores) {
    const now = store.now(localNow);
    for (const s of store.streams.values()) {
      // A group of identical Go stacks counts as the goroutines it stands for.
      const n = s.goroutines ?? 1;
      streams += n;
      if (isSuspect(s, store.servers.get(s.serverId), now, settings.suspectAfterMs)) suspect += n;
    }
    connections += store.connections.size;
    if (store.connections.size > 0) suspectConnections += countSuspectConnections(store, now, settings.suspectAfterMs);
  }
  return connections > 0 ? { streams, suspect, connections, suspectConnections } : { streams, suspect };
}

export function statusBarText(c: Counts): string {
  const conns = c.connections ? `${c.connections} connection${c.connections === 1 ? '' : 's'} · ${c.suspectConnections ?? 0} suspect` : '';
  if (conns && c.streams === 0) return `gRPC ${conns}`;
  return `gRPC ${c.streams} stream${c.streams === 1 ? '' : 's'} · ${c.suspect} suspect${conns ? ` · ${conns}` : ''}`;
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
export function healthDetail(state: HealthState, polled = false): string | null {
  if (state === 'not-answering' && polled) {
    return 'The last read of its goroutines failed (the server stopped, or its pprof endpoint is down): this is what it showed when it last answered; reading goes on.';
  }
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

/** A Go server's row: where it is read from, its grpc-go, its handler goroutines. */
export function goProcessDescription(label: string, library: string, handlers: number, state: HealthState): string {
  const base = `${label} · ${library} · ${handlers} handler goroutine${handlers === 1 ? '' : 's'}`;
  const note = healthNote(state);
  return note ? `${note} · ${base}` : base;
}

/** A channelz source's row: its servers and connections, the suspect ones first where a narrow view shows them. */
export function channelzProcessDescription(servers: number, connections: number, suspect: number, state: HealthState): string {
  const base = `${suspect > 0 ? `${suspect} suspect · ` : ''}${servers} server${servers === 1 ? '' : 's'} · ${connections} connection${connections === 1 ? '' : 's'}`;
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
