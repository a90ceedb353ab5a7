// list/watch --channelz HOST:PORT: any gRPC server (Java, C++, Python, Go, Node) through its
// channelz admin service. Connections, not streams: channelz counts per connection.
import { join } from 'node:path';
import type * as Channelz from '../sources/channelz/index';
import { renderTable, terminalSafe } from './table';
import { UsageError, type ParsedArgs } from './args';

type ChannelzBundle = typeof Channelz;

function loadChannelz(): ChannelzBundle {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require(join(__dirname, 'channelz.js')) as ChannelzBundle;
}

function target(args: ParsedArgs): Channelz.ChannelzTarget {
  if (args.values.has('--inspect') || args.values.has('--pid') || args.values.has('--pprof')) throw new UsageError('Give --channelz alone, not with --inspect, --pid or --pprof.');
  const address = args.values.get('--channelz') as string;
  if (!/^[^\s/]+:\d+$/.test(address)) throw new UsageError(`--channelz needs HOST:PORT, not "${address}".`);
  const tls = args.switches.has('--tls') || args.values.has('--ca') || args.values.has('--server-name');
  return { address, tls: tls ? { caFile: args.values.get('--ca'), serverName: args.values.get('--server-name') } : undefined };
}

function formatAgo(ms: number | null): string {
  if (ms === null) return '?';
  const s = Math.floor(ms / 1000);
  return s < 120 ? `${s}s` : s < 7200 ? `${Math.floor(s / 60)}m` : `${Math.floor(s / 3600)}h`;
}

const noMessageTimes = (watching: boolean): string => `This server's channelz gives no times for the messages it received (grpc-go 1.63 to 1.81 store a count there), so idle is judged by watching the counts: ${watching ? 'how long this watch has seen them stand still' : 'run watch to see it'}.`;

/** The JSON document of one read (the README documents it). */
function document(bundle: ChannelzBundle, snap: Channelz.ChannelzSnapshot, thresholdMs: number, seen: Map<string, Channelz.Seen>, watching = false) {
  const own = bundle.ownLocalPorts(Number(snap.address.split(':').pop()));
  const tracked = bundle.trackConnections(snap.connections, own, seen, snap.now);
  const connections = tracked.map((c) => {
    const j = bundle.judgeConnection(c, snap.now, thresholdMs);
    return {
      id: j.id, serverId: j.serverId, remote: j.remote, openStreams: j.openStreams,
      lastMessageReceivedAt: j.lastMessageReceivedAt, lastMessageSentAt: j.lastMessageSentAt, keepalivesSent: j.keepalivesSent,
      localWindow: j.localWindow, remoteWindow: j.remoteWindow, idleMs: j.idleMs, suspect: j.suspect, reasons: j.reasons,
    };
  });
  const notes = tracked.some((c) => c.openStreams > 0 && bundle.lacksMessageTimes(c)) ? [noMessageTimes(watching)] : [];
  return { source: 'channelz' as const, address: snap.address, servers: snap.servers, connections, notes };
}

function render(doc: ReturnType<typeof document>): string {
  const suspects = doc.connections.filter((c) => c.suspect).length;
  const head = terminalSafe(`channelz ${doc.address}  ${doc.servers.length} server${doc.servers.length === 1 ? '' : 's'}, ${doc.connections.length} connection${doc.connections.length === 1 ? '' : 's'}, ${suspects} suspect`);
  const servers = doc.servers.map((s) => terminalSafe(`server ${s.id}  ${s.addresses.join(', ') || '(no listen socket)'}  calls started ${s.callsStarted}, failed ${s.callsFailed}`)).join('\n');
  const notes = doc.notes.map((n) => `\nNote: ${n}`).join('');
  if (doc.connections.length === 0) return `${head}\n${servers}${notes}\n\nNo connections.`;
  const rows = [['ID', 'SERVER', 'REMOTE', 'OPEN', 'IDLE', 'KEEPALIVES', 'WINDOW (LOCAL/REMOTE)', 'SUSPECT']];
  const sorted = [...doc.connections].sort((a, b) => Number(b.suspect) - Number(a.suspect) || (b.idleMs ?? 0) - (a.idleMs ?? 0));
  for (const c of sorted) {
    rows.push([c.id, c.serverId, c.remote, String(c.openStreams), formatAgo(c.idleMs), String(c.keepalivesSent), `${c.localWindow ?? '—'}/${c.remoteWindow ?? '—'}`, c.suspect ? `yes: ${c.reasons.join('; ')}` : '']);
  }
  return `${head}\n${servers}${notes}\n\n${renderTable(rows)}`;
}

export async function listChannelz(args: ParsedArgs, thresholdMs: number): Promise<number> {
  const bundle = loadChannelz();
  const client = new bundle.ChannelzClient(target(args));
  try {
    const doc = document(bundle, await client.read(), thresholdMs, new Map());
    process.stdout.write(args.switches.has('--json') ? JSON.stringify(doc, null, 2) + '\n' : render(doc) + '\n');
    return 0;
  } finally {
    client.close();
  }
}

export async function watchChannelz(args: ParsedArgs, thresholdMs: number): Promise<number> {
  const bundle = loadChannelz();
  const client = new bundle.ChannelzClient(target(args));
  const seen = new Map<string, Channelz.Seen>();
  const tty = process.stdout.isTTY === true;
  let stopped = false;
  process.once('SIGINT', () => { stopped = true; });
  try {
    // Polled every 2 s: a few unary calls per connection on the admin port.
    while (!stopped) {
      const body = `${render(document(bundle, await client.read(), thresholdMs, seen, true))}  (Ctrl+C to stop)\n`;
      process.stdout.write(tty ? `\x1b[H\x1b[2J${body}` : `${body}\n`);
      await new Promise((r) => setTimeout(r, 2000));
    }
    return 0;
  } finally {
    client.close();
  }
}
