// Reads a gRPC server's channelz service (grpc.channelz.v1.Channelz) on its admin address:
// GetServers, then GetServerSockets (paged) and GetSocket for each connection. channelz is
// read-only, so any host is allowed. The calls go over a connection of their own (grpcUnary.ts)
// and are decoded field by field (protoWire.ts), with channelz.proto's field numbers.
import { readFileSync } from 'node:fs';
import { AttachError, errorMessage } from '../../inspector/errors';
import type { ChannelzConnection, ChannelzServer } from './connections';
import { GrpcCallError, GrpcUnaryChannel, Status } from './grpcUnary';
import { WireError, bytes, decodeFields, encodeVarints, id, int, message, messages, text, type WireFields } from './protoWire';

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
const SERVICE = '/grpc.channelz.v1.Channelz/';

// Before 2000 is not a time: unset (0), or grpc-go 1.63 to 1.81, which add 1 ns per message there.
const Y2000_MS = 946_684_800_000;
/** google.protobuf.Timestamp {seconds = 1, nanos = 2} in epoch ms. */
function time(t: WireFields | null): number | null {
  if (!t) return null;
  const ms = int(t, 1) * 1000 + Math.floor(int(t, 2) / 1e6);
  return ms >= Y2000_MS ? ms : null;
}

/** google.protobuf.Int64Value {value = 1}; null when absent. */
const wrapped = (v: WireFields | null): number | null => (v ? int(v, 1) : null);

/** Address {tcpip_address = 1 {ip_address = 1, port = 2}, uds_address = 2 {filename = 1}, other_address = 3 {name = 1}}. */
function address(a: WireFields | null): string {
  const tcp = a && message(a, 1);
  if (tcp) {
    const ip = Buffer.from(bytes(tcp, 1) ?? []);
    const host = ip.length === 4 ? [...ip].join('.') : ip.length === 16 ? `[${(ip.toString('hex').match(/.{4}/g) ?? []).join(':')}]` : '?';
    return `${host}:${int(tcp, 2)}`;
  }
  const uds = a && message(a, 2);
  if (uds) return `unix:${text(uds, 1)}`;
  const other = a && message(a, 3);
  return other ? text(other, 1) || 'unknown' : 'unknown';
}

/** Server {ref = 1 {server_id = 5}, data = 2 {calls_started = 2, succeeded = 3, failed = 4}, listen_socket = 3 {socket_id = 3, name = 4}}. */
function server(s: WireFields, listenAddresses: string[]): ChannelzServer {
  const ref = message(s, 1);
  const data = message(s, 2);
  return {
    id: ref ? id(ref, 5) : '0',
    addresses: listenAddresses,
    callsStarted: data ? int(data, 2) : 0,
    callsSucceeded: data ? int(data, 3) : 0,
    callsFailed: data ? int(data, 4) : 0,
  };
}

/** Socket {data = 2 SocketData, local = 3, remote = 4}; SocketData's numbers are in the comments. */
function connection(socketId: string, serverId: string, sock: WireFields, windowsAsProto: boolean): ChannelzConnection {
  const d = message(sock, 2) ?? new Map();
  const started = int(d, 1); // streams_started
  const localWindow = wrapped(message(d, 11));
  const remoteWindow = wrapped(message(d, 12));
  return {
    id: socketId,
    serverId,
    remote: address(message(sock, 4)),
    local: address(message(sock, 3)),
    openStreams: Math.max(0, started - int(d, 2) - int(d, 3)), // − streams_succeeded − streams_failed
    streamsStarted: started,
    messagesSent: int(d, 4),
    messagesReceived: int(d, 5),
    keepalivesSent: int(d, 6),
    lastMessageReceivedAt: time(message(d, 10)),
    lastMessageSentAt: time(message(d, 9)),
    lastRemoteStreamCreatedAt: time(message(d, 8)),
    localWindow,
    remoteWindow,
    sendWindow: windowsAsProto ? localWindow : remoteWindow,
  };
}

export class ChannelzClient {
  private readonly channel: GrpcUnaryChannel;

  constructor(private readonly target: ChannelzTarget) {
    let ca: Buffer | undefined;
    if (target.tls?.caFile) {
      try {
        ca = readFileSync(target.tls.caFile);
      } catch (e) {
        throw new AttachError('bad-input', `Cannot read the CA file ${target.tls.caFile}: ${errorMessage(e)}.`);
      }
    }
    this.channel = new GrpcUnaryChannel(target.address, target.tls ? { ca, serverName: target.tls.serverName } : undefined);
  }

  private async call(method: string, request: Array<[number, number | string | boolean]>, timeoutMs = 5000): Promise<WireFields> {
    return decodeFields(await this.channel.call(SERVICE + method, encodeVarints(request), timeoutMs));
  }

  /** One full read: servers, their connections (paged) and each connection's data. */
  async read(): Promise<ChannelzSnapshot> {
    try {
      const servers: ChannelzServer[] = [];
      const connections: ChannelzConnection[] = [];
      // GetServersRequest {start_server_id = 1, max_results = 2} → GetServersResponse {server = 1, end = 2}
      const found = await this.call('GetServers', [[1, 0], [2, PAGE]]);
      for (const entry of messages(found, 1)) {
        // Listen sockets' own addresses: their names differ (grpc-java: ListenSocket{logId=3, …}).
        const listen = messages(entry, 3).map((l) => ({ id: id(l, 3), name: text(l, 4) }));
        const local = await Promise.all(listen.map((l) => this.call('GetSocket', [[1, l.id]]).then((r) => message(r, 1), () => null)));
        const s = server(entry, listen.map((l, i) => {
          const a = local[i] ? address(message(local[i] as WireFields, 3)) : 'unknown';
          return a !== 'unknown' ? a : l.name || `socket ${l.id}`;
        }));
        // grpc-java names its sockets so, and reports windows as channelz.proto defines them.
        const windowsAsProto = listen.some((l) => l.name.startsWith('ListenSocket{'));
        servers.push(s);
        for (let start = '0'; ; ) {
          // GetServerSocketsRequest {server_id = 1, start_socket_id = 2, max_results = 3} → {socket_ref = 1, end = 2}
          const page = await this.call('GetServerSockets', [[1, s.id], [2, start], [3, PAGE]]);
          const refs = messages(page, 1).map((r) => id(r, 3));
          // A page's sockets asked for at once: one round trip per page, not per connection.
          // GetSocketRequest {socket_id = 1} → GetSocketResponse {socket = 1}
          const socks = await Promise.all(refs.map((ref) => this.call('GetSocket', [[1, ref]]).then((r) => message(r, 1), (e) => {
            // A connection that closed between the page and its GetSocket is simply gone.
            if (e instanceof GrpcCallError && e.code === Status.NOT_FOUND) return null;
            throw e;
          })));
          for (const [i, ref] of refs.entries()) {
            const sock = socks[i];
            if (sock) connections.push(connection(ref, s.id, sock, windowsAsProto));
          }
          if (int(page, 2) === 1 || refs.length === 0) break;
          start = String(refs.reduce((m, r) => (BigInt(r) > m ? BigInt(r) : m), 0n) + 1n);
        }
      }
      return { source: 'channelz', address: this.target.address, now: Date.now(), servers, connections };
    } catch (e) {
      throw channelzError(e, this.target);
    }
  }

  close(): void {
    this.channel.close();
  }
}

function channelzError(e: unknown, target: ChannelzTarget): Error {
  const address = target.address;
  if (e instanceof AttachError) return e;
  if (e instanceof WireError) return new AttachError('agent-failed', `channelz on ${address} sent a message that is not channelz's: ${e.message}.`);
  if (!(e instanceof GrpcCallError)) return new AttachError('agent-failed', `channelz on ${address} failed: ${errorMessage(e)}`);
  if (e.code === Status.UNIMPLEMENTED) return new AttachError('not-inspector', `${address} is a gRPC server without channelz: add it (grpc-go admin.Register, grpc-java AdminInterface, grpc-js addAdminServicesToServer, grpcio-channelz).`);
  if (e.code === Status.DEADLINE_EXCEEDED) return new AttachError('timeout', `${address} did not answer channelz within 5 s.`);
  if (e.code === Status.UNAVAILABLE) {
    const errno = e.cause?.code;
    if (errno === 'ECONNREFUSED') return new AttachError('not-listening', `Nothing is listening on ${address}.`);
    if (errno === 'ENOTFOUND' || errno === 'EAI_AGAIN') return new AttachError('not-listening', `Cannot resolve the host of ${address}.`);
    // TLS asked of a plaintext port: the handshake reads HTTP/2 bytes as a TLS record.
    if (target.tls && /wrong version number|packet length too long|ECONNRESET|socket hang up|disconnected before secure/i.test(`${errno} ${e.message}`)) {
      return new AttachError('not-listening', `${address} does not speak TLS: leave out --tls (and --ca, --server-name).`);
    }
    if (target.tls && /certificate|self.signed|altnames|hostname/i.test(e.message)) return new AttachError('not-listening', `${address}'s TLS certificate is not trusted: ${e.message}${e.message.endsWith('.') ? '' : '.'} Give its CA with --ca, or the name it was issued for with --server-name.`);
    if (!target.tls && /ERR_HTTP2_SESSION_ERROR|ERR_HTTP2_ERROR|Protocol error|ECONNRESET|ERR_HTTP2_STREAM_CANCEL|socket hang up|closed before any answer/i.test(`${errno} ${e.message}`)) {
      return new AttachError('not-listening', `Nothing answers gRPC in plaintext on ${address}: if its admin port uses TLS, add --tls.`);
    }
    return new AttachError('not-listening', `Nothing answers gRPC on ${address}: ${e.message.replace(/\.$/, '')}.`);
  }
  return new AttachError('agent-failed', `channelz on ${address} failed: ${e.message}`);
}
