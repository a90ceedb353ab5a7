// The one small interface every live source offers the views: a first snapshot, then changes
// (deltas pushed by the Node agent, or whole snapshots from a poll), its health, and its end.
// The tree, status bar and dashboard read a source only through this; what only one source can
// do (Cancel, Probe: the Node agent) is asked of that source by name.
import type { AgentDelta } from '../agent/protocol';
import type { LiveSnapshot, StreamSource } from '../model/liveStream';

export type SourceHealth =
  | { state: 'ok' }
  /** No answer (stopped, at a breakpoint, busy, or the endpoint is down): the data shown is stale. */
  | { state: 'not-answering'; sinceMs: number }
  /** The Node agent was removed by another client: nothing more will arrive. */
  | { state: 'agent-gone' };

/** A stream source, or channelz (connections, not streams). */
export type SourceKind = StreamSource | 'channelz';

export interface LiveSource {
  readonly kind: SourceKind;
  readonly initialSnapshot: LiveSnapshot;
  readonly currentHealth: SourceHealth;
  /** Changes to some streams (the Node agent); polled sources send whole snapshots instead. */
  onDelta(listener: (delta: AgentDelta) => void): () => void;
  onSnapshot(listener: (snapshot: LiveSnapshot) => void): () => void;
  onHealth(listener: (health: SourceHealth) => void): () => void;
  onClose(listener: (reason: string) => void): () => void;
  /** Reads everything again, now. */
  refresh(): Promise<LiveSnapshot>;
  close(): Promise<void>;
}

/** A source read by polling (PolledSource); checked by shape, as the channelz source comes from its own bundle. */
export function isPolled(s: LiveSource): s is LiveSource & { setInterval(ms: number): void } {
  return typeof (s as { setInterval?: unknown }).setInterval === 'function';
}
