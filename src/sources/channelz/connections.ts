// What channelz says of a server's connections, judged for the vanished-client leak. Pure: the
// client (channelzClient.ts) turns channelz's messages into these records.

export interface ChannelzServer {
  id: string;
  /** Listen addresses. */
  addresses: string[];
  callsStarted: number;
  callsSucceeded: number;
  callsFailed: number;
}

export interface ChannelzConnection {
  id: string;
  serverId: string;
  remote: string;
  local: string;
  /** streams started − succeeded − failed: the calls open on it now. */
  openStreams: number;
  streamsStarted: number;
  messagesSent: number;
  messagesReceived: number;
  keepalivesSent: number;
  /** Epoch ms; null when channelz has none (nothing received yet, or the server does not record it). */
  lastMessageReceivedAt: number | null;
  lastMessageSentAt: number | null;
  lastRemoteStreamCreatedAt: number | null;
  /** Flow-control windows in bytes; null when the server does not report them. */
  localWindow: number | null;
  remoteWindow: number | null;
}

export interface JudgedConnection extends ChannelzConnection {
  /** Since the last message received (or the last stream the client opened); null when unknown. */
  idleMs: number | null;
  suspect: boolean;
  reasons: string[];
}

function minutesOrSeconds(ms: number): string {
  const s = Math.floor(ms / 1000);
  return s < 120 ? `${s} s` : s < 7200 ? `${Math.floor(s / 60)} min` : `${Math.floor(s / 3600)} h`;
}

/**
 * Suspect: open streams, nothing received past the threshold, and no keepalive PING sent since
 * `keepalivesBefore` (what the first read of this connection counted; its own count in a single
 * read). A remote window of 0 says the client stopped reading.
 */
export function judgeConnection(c: ChannelzConnection, now: number, thresholdMs: number, keepalivesBefore = 0): JudgedConnection {
  const last = c.lastMessageReceivedAt ?? c.lastRemoteStreamCreatedAt;
  const idleMs = last === null ? null : Math.max(0, now - last);
  const reasons: string[] = [];
  if (c.openStreams > 0 && c.remoteWindow === 0) reasons.push('the client stopped reading: its flow-control window is 0');
  const silent = c.openStreams > 0 && idleMs !== null && idleMs > thresholdMs;
  const noPing = c.keepalivesSent - keepalivesBefore <= 0;
  if (silent && noPing) {
    reasons.push(`${c.openStreams} open stream${c.openStreams === 1 ? '' : 's'}, nothing received for ${minutesOrSeconds(idleMs)}, and the server sent no keepalive ping${keepalivesBefore > 0 ? ' since we started watching' : ''}`);
  }
  return { ...c, idleMs, suspect: reasons.length > 0, reasons };
}

/** A connection as a view keeps it: with the keepalive count to judge "no ping since we started watching" by. */
export interface LiveConnection extends ChannelzConnection {
  /** 0 on the first read of it (its own count is judged), then the count that read saw. */
  keepalivesBefore: number;
}

/**
 * One read's connections without our own polling connection (`ownPorts`: our local ports to the
 * admin address), each with its keepalive baseline; `first` remembers the baselines between reads
 * and forgets connections that closed.
 */
export function trackConnections(connections: ChannelzConnection[], ownPorts: Set<number>, first: Map<string, number>): LiveConnection[] {
  const out: LiveConnection[] = [];
  const seen = new Set<string>();
  for (const c of connections) {
    if (ownPorts.has(Number(c.remote.split(':').pop()))) continue;
    seen.add(c.id);
    out.push({ ...c, keepalivesBefore: first.get(c.id) ?? 0 });
    if (!first.has(c.id)) first.set(c.id, c.keepalivesSent);
  }
  for (const id of first.keys()) if (!seen.has(id)) first.delete(id);
  return out;
}

/** The tree row of a connection: `3 open · idle 12m · 0 keepalives`. */
export function connectionDescription(c: JudgedConnection): string {
  const idle = c.idleMs === null ? 'idle ?' : `idle ${shortAgo(c.idleMs)}`;
  const stopped = c.remoteWindow === 0 && c.openStreams > 0 ? ' · window 0' : '';
  return `${c.openStreams} open · ${idle} · ${c.keepalivesSent} keepalive${c.keepalivesSent === 1 ? '' : 's'}${stopped}`;
}

function shortAgo(ms: number): string {
  const s = Math.floor(ms / 1000);
  return s < 120 ? `${s}s` : s < 7200 ? `${Math.floor(s / 60)}m` : `${Math.floor(s / 3600)}h`;
}
