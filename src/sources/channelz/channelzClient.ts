// Reads a gRPC server's channelz service (grpc.channelz.v1.Channelz) on its admin address:
// GetServers, then GetServerSockets (paged) and GetSocket for each connection. channelz is
// read-only, so any host is allowed. The channel gets its own subchannel pool, so it never
// shares a connection with anything else in this process.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { AttachError, errorMessage } from '../../inspector/errors';
import type { ChannelzConnection, ChannelzServer } from './connections';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Loose = any;

export interface ChannelzTarget {
  address: string;
  tls?: { caFile?: string; serverName?: string };
}

export interface ChannelzSnapshot {
  source: 'channelz';
  address: string;
  /** This side's clock when the read ended (epoch ms). */
  now: number;
  servers: ChannelzServer[];
  connections: ChannelzConnection[];
}

const PAGE = 100;

function protoDir(): string {
  // Next to the bundle (dist/proto, copied by the build), else grpc-js's own copy (tests from out/).
  for (const dir of [join(__dirname, 'proto'), join(__dirname, '..', '..', '..', '..', 'node_modules', '@grpc', 'grpc-js', 'proto')]) {
    try {
      readFileSync(join(dir, 'channelz.proto'));
      return dir;
    } catch { /* next */ }
  }
  throw new AttachError('agent-failed', 'channelz.proto is missing next to the CLI (run npm run build).');
}

let service: Loose = null;
function channelzService(): Loose {
  if (!service) {
    const def = protoLoader.loadSync('channelz.proto', { keepCase: true, longs: String, enums: String, defaults: true, oneofs: true, includeDirs: [protoDir()] });
    service = (grpc.loadPackageDefinition(def) as Loose).grpc.channelz.v1.Channelz;
  }
  return service;
}

const num = (v: unknown): number => (typeof v === 'number' ? v : typeof v === 'string' ? Number(v) || 0 : 0);
// Before 2000 is not a time: unset (0), or grpc-go 1.63 to 1.81, which add 1 ns per message there.
const Y2000_MS = 946_684_800_000;
const time = (t: Loose): number | null => {
  const ms = t && (t.seconds !== undefined || t.nanos !== undefined) ? num(t.seconds) * 1000 + Math.floor(num(t.nanos) / 1e6) : null;
  return ms !== null && ms >= Y2000_MS ? ms : null;
};
const wrapped = (v: Loose): number | null => (v && v.value !== undefined ? num(v.value) : null);

function address(a: Loose): string {
  const tcp = a?.tcpip_address;
  if (tcp) {
    const ip = Buffer.from(tcp.ip_address ?? []);
    const host = ip.length === 4 ? [...ip].join('.') : ip.length === 16 ? `[${(ip.toString('hex').match(/.{4}/g) ?? []).join(':')}]` : '?';
    return `${host}:${tcp.port}`;
  }
  if (a?.uds_address) return `unix:${a.uds_address.filename}`;
  return a?.other_address?.name ?? 'unknown';
}

export class ChannelzClient {
  private readonly client: Loose;

  constructor(private readonly target: ChannelzTarget) {
    const Channelz = channelzService();
    let creds = grpc.credentials.createInsecure();
    const options: Record<string, string | number> = { 'grpc.use_local_subchannel_pool': 1, 'grpc.enable_channelz': 0 };
    if (target.tls) {
      let ca: Buffer | undefined;
      if (target.tls.caFile) {
        try {
          ca = readFileSync(target.tls.caFile);
        } catch (e) {
          throw new AttachError('bad-input', `Cannot read the CA file ${target.tls.caFile}: ${errorMessage(e)}.`);
        }
      }
      creds = grpc.credentials.createSsl(ca);
      if (target.tls.serverName) options['grpc.ssl_target_name_override'] = target.tls.serverName;
    }
    this.client = new Channelz(target.address, creds, options);
  }

  private call<T>(method: string, request: object, timeoutMs = 5000): Promise<T> {
    return new Promise((resolve, reject) => {
      this.client[method](request, { deadline: Date.now() + timeoutMs }, (err: Loose, res: T) => (err ? reject(err) : resolve(res)));
    });
  }

  /** One full read: servers, their connections (paged) and each connection's data. */
  async read(): Promise<ChannelzSnapshot> {
    try {
      const servers: ChannelzServer[] = [];
      const connections: ChannelzConnection[] = [];
      const found = await this.call<Loose>('GetServers', { start_server_id: 0, max_results: PAGE });
      for (const s of found.server ?? []) {
        const id = String(s.ref?.server_id ?? '');
        servers.push({
          id,
          addresses: (s.listen_socket ?? []).map((l: Loose) => l.name || `socket ${l.socket_id}`),
          callsStarted: num(s.data?.calls_started),
          callsSucceeded: num(s.data?.calls_succeeded),
          callsFailed: num(s.data?.calls_failed),
        });
        for (let start = 0; ; ) {
          const page = await this.call<Loose>('GetServerSockets', { server_id: id, start_socket_id: start, max_results: PAGE });
          const refs: Loose[] = page.socket_ref ?? [];
          // A page's sockets asked for at once: one round trip per page, not per connection.
          const socks = await Promise.all(refs.map((ref) => this.call<Loose>('GetSocket', { socket_id: ref.socket_id }).then((r) => r.socket, (e) => {
            // A connection that closed between the page and its GetSocket is simply gone.
            if ((e as { code?: number }).code === grpc.status.NOT_FOUND) return null;
            throw e;
          })));
          for (const [i, ref] of refs.entries()) {
            const sock = socks[i];
            if (!sock) continue;
            const d = sock?.data ?? {};
            const started = num(d.streams_started);
            connections.push({
              id: String(ref.socket_id),
              serverId: id,
              remote: address(sock?.remote),
              local: address(sock?.local),
              openStreams: Math.max(0, started - num(d.streams_succeeded) - num(d.streams_failed)),
              streamsStarted: started,
              messagesSent: num(d.messages_sent),
              messagesReceived: num(d.messages_received),
              keepalivesSent: num(d.keep_alives_sent),
              lastMessageReceivedAt: time(d.last_message_received_timestamp),
              lastMessageSentAt: time(d.last_message_sent_timestamp),
              lastRemoteStreamCreatedAt: time(d.last_remote_stream_created_timestamp),
              localWindow: wrapped(d.local_flow_control_window),
              remoteWindow: wrapped(d.remote_flow_control_window),
            });
          }
          if (page.end || refs.length === 0) break;
          start = Math.max(...refs.map((r) => num(r.socket_id))) + 1;
        }
      }
      return { source: 'channelz', address: this.target.address, now: Date.now(), servers, connections };
    } catch (e) {
      throw channelzError(e, this.target.address);
    }
  }

  close(): void {
    this.client.close();
  }
}

function channelzError(e: unknown, address: string): Error {
  if (e instanceof AttachError) return e;
  const code = (e as { code?: number }).code;
  if (code === grpc.status.UNIMPLEMENTED) return new AttachError('not-inspector', `${address} is a gRPC server without channelz: add it (grpc-go admin.Register, grpc-java AdminInterface, grpc-js addAdminServicesToServer, grpcio-channelz).`);
  if (code === grpc.status.UNAVAILABLE) {
    const m = (e as Error).message;
    if (/ECONNREFUSED/.test(m)) return new AttachError('not-listening', `Nothing is listening on ${address}.`);
    return new AttachError('not-listening', `Nothing answers gRPC on ${address}: ${m.replace(/^\d+ UNAVAILABLE: /, '').split('. ')[0]}.`);
  }
  if (code === grpc.status.DEADLINE_EXCEEDED) return new AttachError('timeout', `${address} did not answer channelz within 5 s.`);
  return new AttachError('agent-failed', `channelz on ${address} failed: ${errorMessage(e)}`);
}
