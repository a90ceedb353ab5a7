// The Go source through Delve as a LiveSource: a snapshot only when asked (attach, Refresh), never
// a poll, because Delve halts the process while it reads. Each snapshot says how long that was.
import type { AgentDelta } from '../../agent/protocol';
import type { LiveSnapshot } from '../../model/liveStream';
import { GoCallTracker } from '../goPprof/goStreams';
import type { LiveSource, SourceHealth } from '../source';
import { readGoDelve } from './delveSource';

export class DelveSnapshots implements LiveSource {
  readonly kind = 'go-delve' as const;
  readonly currentHealth: SourceHealth = { state: 'ok' };
  private readonly closes = new Set<(reason: string) => void>();

  private constructor(readonly pid: number, private readonly tracker: GoCallTracker, readonly initialSnapshot: LiveSnapshot, public lastPausedMs: number) {}

  static async take(pid: number): Promise<DelveSnapshots> {
    const tracker = new GoCallTracker('go-delve');
    const r = await readGoDelve(pid);
    return new DelveSnapshots(pid, tracker, tracker.snapshot(r), r.pausedMs);
  }

  /** Halts the process again for as long as Delve reads it. */
  async refresh(): Promise<LiveSnapshot> {
    const r = await readGoDelve(this.pid);
    this.lastPausedMs = r.pausedMs;
    return this.tracker.snapshot(r);
  }

  onDelta(_l: (d: AgentDelta) => void): () => void {
    return () => undefined;
  }

  onSnapshot(_l: (s: LiveSnapshot) => void): () => void {
    return () => undefined;
  }

  onHealth(_l: (h: SourceHealth) => void): () => void {
    return () => undefined;
  }

  onClose(l: (reason: string) => void): () => void {
    this.closes.add(l);
    return () => this.closes.delete(l);
  }

  async close(): Promise<void> {
    for (const l of [...this.closes]) l('detached');
    this.closes.clear();
  }
}
