// The Go source through net/http/pprof as a LiveSource: reads the goroutine dump every interval
// (2 s by default; the process is not paused), one read at a time, and reports a read that fails
// as the endpoint not answering, with the last good data held.
import type { AgentDelta } from '../../agent/protocol';
import type { LiveSnapshot } from '../../model/liveStream';
import type { LiveSource, SourceHealth } from '../source';
import { GoCallTracker } from './goStreams';
import { readGoPprof } from './pprofSource';

type Listener<T> = (value: T) => void;

class Listeners<T> {
  private readonly set = new Set<Listener<T>>();
  add(l: Listener<T>): () => void {
    this.set.add(l);
    return () => this.set.delete(l);
  }
  fire(v: T): void {
    for (const l of [...this.set]) l(v);
  }
}

export class PprofPoller implements LiveSource {
  readonly kind = 'go-pprof' as const;
  private readonly snapshots = new Listeners<LiveSnapshot>();
  private readonly healths = new Listeners<SourceHealth>();
  private readonly closes = new Listeners<string>();
  private health: SourceHealth = { state: 'ok' };
  private lastGoodAt = Date.now();
  private timer: ReturnType<typeof setTimeout> | null = null;
  private closed = false;
  private reading: Promise<LiveSnapshot> | null = null;

  private constructor(readonly url: string, private readonly tracker: GoCallTracker, readonly initialSnapshot: LiveSnapshot, private intervalMs: number) {}

  /** The first read decides: an endpoint that is not pprof is an error, not an empty view. */
  static async start(base: string, intervalMs: number): Promise<PprofPoller> {
    const tracker = new GoCallTracker('go-pprof');
    const first = await readGoPprof(base);
    const poller = new PprofPoller(first.url, tracker, tracker.snapshot({ ...first, pid: 0 }), intervalMs);
    poller.schedule();
    return poller;
  }

  get currentHealth(): SourceHealth {
    return this.health;
  }

  setInterval(ms: number): void {
    if (ms === this.intervalMs) return;
    this.intervalMs = ms;
    this.schedule();
  }

  onDelta(_listener: (delta: AgentDelta) => void): () => void {
    return () => undefined;
  }

  onSnapshot(listener: (snapshot: LiveSnapshot) => void): () => void {
    return this.snapshots.add(listener);
  }

  onHealth(listener: (health: SourceHealth) => void): () => void {
    return this.healths.add(listener);
  }

  onClose(listener: (reason: string) => void): () => void {
    return this.closes.add(listener);
  }

  refresh(): Promise<LiveSnapshot> {
    return this.read();
  }

  private schedule(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    if (this.closed) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.read().then(
        (snap) => this.snapshots.fire(snap),
        () => undefined,
      ).finally(() => this.schedule());
    }, this.intervalMs);
  }

  /** One read at a time: a refresh during a poll shares it. */
  private read(): Promise<LiveSnapshot> {
    if (this.reading) return this.reading;
    this.reading = readGoPprof(this.url)
      .then((r) => {
        this.lastGoodAt = Date.now();
        if (this.health.state !== 'ok') this.setHealth({ state: 'ok' });
        return this.tracker.snapshot({ ...r, pid: 0 });
      })
      .catch((e) => {
        this.setHealth({ state: 'not-answering', sinceMs: Date.now() - this.lastGoodAt });
        throw e;
      })
      .finally(() => {
        this.reading = null;
      });
    return this.reading;
  }

  private setHealth(h: SourceHealth): void {
    this.health = h;
    if (!this.closed) this.healths.fire(h);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.closes.fire('detached');
  }
}
