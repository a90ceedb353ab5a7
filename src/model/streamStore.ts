// The client-side copy of one process's streams: a snapshot (from any source) plus the agent's deltas, with the
// ids that changed reported to listeners so views update only what changed.
import type { AgentDelta, EndedCall } from '../agent/protocol';
import type { LiveConnection } from '../sources/channelz/connections';
import type { LiveServer, LiveSnapshot, LiveStream } from './liveStream';

export interface StoreChange {
  /** Streams added or updated. */
  updated: string[];
  /** Streams that ended (left the live set). */
  removed: string[];
  serversChanged: boolean;
  /** channelz connections added or changed, and those that closed. */
  connections?: { updated: string[]; removed: string[] };
}

export class StreamStore {
  readonly streams = new Map<string, LiveStream>();
  readonly servers = new Map<string, LiveServer>();
  /** channelz only: connections by id. */
  readonly connections = new Map<string, LiveConnection>();
  ended: EndedCall[] = [];
  pid = 0;
  node = '';
  grpcJs: string[] = [];
  /** target clock − local clock, so idle times are computed in the target's time. */
  clockOffsetMs = 0;
  private historySize = 200;

  constructor(snapshot?: LiveSnapshot, localNow = Date.now()) {
    if (snapshot) this.reset(snapshot, localNow);
  }

  /** Replaces everything; returns what changed against the previous state. */
  reset(snapshot: LiveSnapshot, localNow = Date.now(), polled = false): StoreChange {
    const before = new Map(this.streams);
    this.pid = snapshot.pid;
    this.node = snapshot.node;
    this.grpcJs = snapshot.grpcJs;
    this.clockOffsetMs = snapshot.now - localNow;
    this.streams.clear();
    // A poll reports only the records that changed (a Go read gives every goroutine each time).
    const updated: string[] = [];
    for (const s of snapshot.streams) {
      this.streams.set(s.id, s);
      const old = before.get(s.id);
      if (!polled || !old || JSON.stringify(old) !== JSON.stringify(s)) updated.push(s.id);
    }
    this.servers.clear();
    for (const s of snapshot.servers) this.servers.set(s.id, s);
    this.ended = snapshot.ended.slice(-this.historySize);
    const removed = [...before.keys()].filter((id) => !this.streams.has(id));
    const connections = this.resetConnections(snapshot.connections ?? []);
    // A poll that changed no server leaves the server rows alone; any other new snapshot (the
    // Node agent's, after its lease was lost) may come from another install: everything changed.
    const serversText = JSON.stringify(snapshot.servers);
    const serversChanged = !polled || serversText !== this.serversText;
    this.serversText = serversText;
    return { updated, removed, serversChanged, connections };
  }

  private serversText = '';

  private resetConnections(next: LiveConnection[]): { updated: string[]; removed: string[] } {
    const updated: string[] = [];
    const ids = new Set<string>();
    for (const c of next) {
      ids.add(c.id);
      const old = this.connections.get(c.id);
      if (!old || JSON.stringify(old) !== JSON.stringify(c)) updated.push(c.id);
      this.connections.set(c.id, c);
    }
    const removed = [...this.connections.keys()].filter((id) => !ids.has(id));
    for (const id of removed) this.connections.delete(id);
    return { updated, removed };
  }

  apply(delta: AgentDelta, localNow = Date.now()): StoreChange {
    this.clockOffsetMs = delta.now - localNow;
    const updated: string[] = [];
    const removed: string[] = [];
    for (const s of delta.upserts) {
      this.streams.set(s.id, s);
      updated.push(s.id);
    }
    for (const e of delta.ended) {
      if (this.streams.delete(e.id)) removed.push(e.id);
      this.ended.push(e);
    }
    if (this.ended.length > this.historySize) this.ended.splice(0, this.ended.length - this.historySize);
    if (delta.servers) {
      this.servers.clear();
      for (const s of delta.servers) this.servers.set(s.id, s);
    }
    return { updated, removed, serversChanged: !!delta.servers };
  }

  /** The target's clock now. */
  now(localNow = Date.now()): number {
    return localNow + this.clockOffsetMs;
  }
}
