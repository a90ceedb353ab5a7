// What the Streams view shows of a channelz source: process → server → connection, computed
// without VS Code. channelz counts per connection, so there are no stream rows under them.
import { connectionDescription, judgeConnection, lacksMessageTimes, type JudgedConnection, type LiveConnection } from '../sources/channelz/connections';
import type { LiveServer } from './liveStream';
import type { StreamStore } from './streamStore';

export interface ConnectionView {
  label: string;
  description: string;
  suspect: boolean;
  tooltip: string;
  accessibility: string;
}

const t = (v: number | null): string => (v === null ? '—' : new Date(v).toISOString());

export function judgedConnection(c: LiveConnection, now: number, thresholdMs: number): JudgedConnection {
  return judgeConnection(c, now, thresholdMs);
}

export function channelzConnectionView(c: LiveConnection, now: number, thresholdMs: number): ConnectionView {
  const j = judgedConnection(c, now, thresholdMs);
  const description = connectionDescription(j);
  const lines = [
    `Connection ${c.id} from ${c.remote} (to ${c.local})`,
    `open streams: ${c.openStreams} (started ${c.streamsStarted})`,
    `messages received: ${c.messagesReceived}, last ${t(c.lastMessageReceivedAt)}`,
    `messages sent: ${c.messagesSent}, last ${t(c.lastMessageSentAt)}`,
    `keepalive pings sent by the server: ${c.keepalivesSent}`,
    `flow-control window: local ${c.localWindow ?? '—'}, remote ${c.remoteWindow ?? '—'}`,
    'Per stream (method, peer, messages): not known to channelz.',
  ];
  if (lacksMessageTimes(c)) lines.push('This server\'s channelz gives no message times (grpc-go 1.63 to 1.81): idle is how long our reads saw the count stand still.');
  if (j.suspect) lines.push('', `Suspect: ${j.reasons.join('; ')}`);
  return { label: c.remote, description, suspect: j.suspect, tooltip: lines.join('\n'), accessibility: `${j.suspect ? 'suspect ' : ''}connection from ${c.remote}, ${description}` };
}

/** A channelz server's row: its listen addresses and its calls. */
export function channelzServerDescription(s: LiveServer, connections: number): string {
  const calls = s.calls ? `calls ${s.calls.started} started, ${s.calls.failed} failed · ` : '';
  return `${calls}${connections} connection${connections === 1 ? '' : 's'}`;
}

/** The connections of one server, suspect first, then by remote address (rows keep their places). */
export function connectionsOf(store: StreamStore, serverId: string, now: number, thresholdMs: number): LiveConnection[] {
  const list = [...store.connections.values()].filter((c) => c.serverId === serverId);
  const suspect = new Map(list.map((c) => [c.id, judgedConnection(c, now, thresholdMs).suspect]));
  return list.sort((a, b) => Number(suspect.get(b.id)) - Number(suspect.get(a.id)) || (a.remote < b.remote ? -1 : a.remote > b.remote ? 1 : 0));
}

export function suspectConnections(store: StreamStore, now: number, thresholdMs: number): number {
  let n = 0;
  for (const c of store.connections.values()) if (judgedConnection(c, now, thresholdMs).suspect) n++;
  return n;
}
