// A source read by polling (a Go server's pprof endpoint, a channelz admin port): one read at a
// time every interval, a read that fails reported as the source not answering (the last good
// data is held), whole snapshots instead of deltas.
import type { AgentDelta } from '../agent/protocol';
import type { LiveSnapshot } from '../model/liveStream';
import type { LiveSource, SourceHealth, SourceKind } from './source';

export class Listeners<T> {
  private readonly set = new Set<(value: T) => void>();

  add(listener: (value: T) => void): () => void {
    this.set.add(listener);
    return () => this.set.delete(listener);
  }

  fire(value: T): void {
    for (const l of [...this.set]) l(value);
  }
}

export abstract class PolledSource implements LiveSource {
  abstract readonly kind: SourceKind;
  private readonly snapshots = new Listeners<LiveSnapshot>();
  private readonly healths = new Listeners<SourceHealth>();
  private readonly closes = new Listeners<string>();
  private health: SourceHealth = { state: 'ok' };
  private lastGoodAt = Date.now();
  private timer: ReturnType<typeof setTimeout> | null = null;
  private reading: Promise<LiveSnapshot> | null = null;
  protected closed = false;

  protected constructor(readonly initialSnapshot: LiveSnapshot, private intervalMs: number) {}

  /** One whole read of the source. */
  protected abstract readOnce(): Promise<LiveSnapshot>;

  get currentHealth(): SourceHealth {
    return this.health;
  }

  /** Starts polling (after the first read, which the subclass made to decide the attach). */
  protected start(): void {
    this.schedule();
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
      this.read()
        .then((snap) => {
          if (!this.closed) this.snapshots.fire(snap);
        }, () => undefined)
        .finally(() => this.schedule());
    }, this.intervalMs);
  }

  /** One read at a time: a refresh during a poll shares it. */
  private read(): Promise<LiveSnapshot> {
    if (this.reading) return this.reading;
    this.reading = this.readOnce()
      .then((snap) => {
        this.lastGoodAt = Date.now();
        if (this.health.state !== 'ok') this.setHealth({ state: 'ok' });
        return snap;
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
