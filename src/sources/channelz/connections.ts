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
  /**
   * Of the two, the window the client grants the server: 0 when it stopped reading. channelz.proto
   * calls it local (grpc-java follows that); grpc-go and grpc-js report it as remote.
   */
  sendWindow: number | null;
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

/** What a view remembers of a connection between reads. */
export interface Watched {
  /** 0 on the first read of it (its own count is judged), then the count that read saw. */
  keepalivesBefore: number;
  /**
   * Since when `messagesReceived` has stood at its value, as seen by our reads; null on the first
   * read. Used only where channelz gives no message times (grpc-go 1.63 to 1.81 store a count there).
   */
  quietSince: number | null;
}

/** A connection as a view keeps it: with what it saw of it before. */
export interface LiveConnection extends ChannelzConnection, Watched {}

/**
 * Suspect: open streams, nothing received past the threshold, and no keepalive PING sent since
 * `keepalivesBefore` (what the first read of this connection counted; its own count in a single
 * read). A remote window of 0 says the client stopped reading. Idle is channelz's last message
 * time; with messages but no time for them, it is how long our reads saw the count stand still.
 */
export function judgeConnection(c: ChannelzConnection & Partial<Watched>, now: number, thresholdMs: number, keepalivesBefore = c.keepalivesBefore ?? 0): JudgedConnection {
  // A stream opened but nothing received yet: idle since the client opened its last stream.
  const last = c.lastMessageReceivedAt ?? (c.messagesReceived === 0 ? c.lastRemoteStreamCreatedAt : null);
  const quietSince = last === null ? c.quietSince ?? null : null;
  const idleMs = last !== null ? Math.max(0, now - last) : quietSince !== null ? Math.max(0, now - quietSince) : null;
  const reasons: string[] = [];
  if (c.openStreams > 0 && c.sendWindow === 0) reasons.push('the client stopped reading: its flow-control window is 0');
  const silent = c.openStreams > 0 && idleMs !== null && idleMs > thresholdMs;
  const noPing = c.keepalivesSent - keepalivesBefore <= 0;
  if (silent && noPing) {
    const quiet = quietSince !== null ? `nothing received in the ${minutesOrSeconds(idleMs)} we watched` : `nothing received for ${minutesOrSeconds(idleMs)}`;
    reasons.push(`${c.openStreams} open stream${c.openStreams === 1 ? '' : 's'}, ${quiet}, and the server sent no keepalive ping${keepalivesBefore > 0 ? ' since we started watching' : ''}`);
  }
  return { ...c, idleMs, suspect: reasons.length > 0, reasons };
}

/** Has messages but no time for them: idle can only be judged by watching the count. */
export function lacksMessageTimes(c: ChannelzConnection): boolean {
  return c.lastMessageReceivedAt === null && c.messagesReceived > 0;
}

/** What earlier reads saw of a connection. */
export interface Seen {
  keepalives: number;
  received: number;
  since: number;
}

/**
 * One read's connections without our own polling connection (`ownPorts`: our local ports to the
 * admin address), each with what earlier reads saw; `seen` remembers that between reads and
 * forgets connections that closed.
 */
export function trackConnections(connections: ChannelzConnection[], ownPorts: Set<number>, seen: Map<string, Seen>, now: number): LiveConnection[] {
  const out: LiveConnection[] = [];
  const here = new Set<string>();
  for (const c of connections) {
    if (ownPorts.has(Number(c.remote.split(':').pop()))) continue;
    here.add(c.id);
    const before = seen.get(c.id);
    if (!before) {
      out.push({ ...c, keepalivesBefore: 0, quietSince: null });
      seen.set(c.id, { keepalives: c.keepalivesSent, received: c.messagesReceived, since: now });
      continue;
    }
    // A count that moved: something came in since the last read.
    if (before.received !== c.messagesReceived) Object.assign(before, { received: c.messagesReceived, since: now });
    out.push({ ...c, keepalivesBefore: before.keepalives, quietSince: before.since });
  }
  for (const id of seen.keys()) if (!here.has(id)) seen.delete(id);
  return out;
}

/** The tree row of a connection: `3 open · idle 12m · 0 keepalives`. */
export function connectionDescription(c: JudgedConnection): string {
  const idle = c.idleMs === null ? 'idle ?' : `idle ${shortAgo(c.idleMs)}`;
  const stopped = c.sendWindow === 0 && c.openStreams > 0 ? ' · window 0' : '';
  return `${c.openStreams} open · ${idle} · ${c.keepalivesSent} keepalive${c.keepalivesSent === 1 ? '' : 's'}${stopped}`;
}

function shortAgo(ms: number): string {
  const s = Math.floor(ms / 1000);
  return s < 120 ? `${s}s` : s < 7200 ? `${Math.floor(s / 60)}m` : `${Math.floor(s / 3600)}h`;
}
