// The channelz source as a LiveSource: the admin address read every interval (2 s by default),
// our own polling connection left out, and each connection's keepalive and message counts
// remembered from when it was first seen, so "no keepalive ping since we started watching" can be
// said, and idle judged where the server gives no message times.
import type { LiveSnapshot } from '../../model/liveStream';
import { PolledSource } from '../polledSource';
import { ChannelzClient, type ChannelzSnapshot, type ChannelzTarget } from './channelzClient';
import { trackConnections, type Seen } from './connections';
import { ownLocalPorts } from './ownConnection';

export class ChannelzPoller extends PolledSource {
  readonly kind = 'channelz' as const;
  private readonly seen = new Map<string, Seen>();

  private constructor(readonly address: string, private readonly client: ChannelzClient, intervalMs: number) {
    super({ pid: 0, node: '', grpcJs: [], now: Date.now(), servers: [], streams: [], ended: [] }, intervalMs);
  }

  /** The first read decides: nothing listening, or no channelz there, is an error, not an empty view. */
  static async start(target: ChannelzTarget, intervalMs: number): Promise<ChannelzPoller> {
    const client = new ChannelzClient(target);
    const poller = new ChannelzPoller(target.address, client, intervalMs);
    try {
      Object.assign(poller.initialSnapshot, poller.toSnapshot(await client.read()));
    } catch (e) {
      client.close();
      throw e;
    }
    poller.start();
    return poller;
  }

  protected async readOnce(): Promise<LiveSnapshot> {
    return this.toSnapshot(await this.client.read());
  }

  private toSnapshot(read: ChannelzSnapshot): LiveSnapshot {
    const own = ownLocalPorts(Number(read.address.split(':').pop()));
    return {
      pid: 0,
      node: '',
      grpcJs: [],
      now: read.now,
      servers: read.servers.map((s) => ({
        id: s.id,
        library: 'channelz',
        grpcJsVersion: null,
        addresses: s.addresses,
        keepalive: null,
        methods: [],
        calls: { started: s.callsStarted, succeeded: s.callsSucceeded, failed: s.callsFailed },
      })),
      streams: [],
      ended: [],
      connections: trackConnections(read.connections, own, this.seen, read.now),
    };
  }

  override async close(): Promise<void> {
    await super.close();
    this.client.close();
  }
}
