// The client-side copy of one process's streams: a snapshot (from any source) plus the agent's deltas, with the
// ids that changed reported to listeners so views update only what changed.
import type { AgentDelta, EndedCall } from '../agent/protocol';
import type { LiveServer, LiveSnapshot, LiveStream } from './liveStream';

export interface StoreChange {
  /** Streams added or updated. */
  updated: string[];
  /** Streams that ended (left the live set). */
  removed: string[];
  serversChanged: boolean;
}

export class StreamStore {
  readonly streams = new Map<string, LiveStream>();
  readonly servers = new Map<string, LiveServer>();
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
  reset(snapshot: LiveSnapshot, localNow = Date.now()): StoreChange {
    const before = new Set(this.streams.keys());
    this.pid = snapshot.pid;
    this.node = snapshot.node;
    this.grpcJs = snapshot.grpcJs;
    this.clockOffsetMs = snapshot.now - localNow;
    this.streams.clear();
    for (const s of snapshot.streams) this.streams.set(s.id, s);
    this.servers.clear();
    for (const s of snapshot.servers) this.servers.set(s.id, s);
    this.ended = snapshot.ended.slice(-this.historySize);
    const removed = [...before].filter((id) => !this.streams.has(id));
    return { updated: [...this.streams.keys()], removed, serversChanged: true };
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
