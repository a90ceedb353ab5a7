// The Go source through net/http/pprof as a LiveSource: the goroutines read every interval
// (2 s by default; the process is not paused).
import type { LiveSnapshot } from '../../model/liveStream';
import { PolledSource } from '../polledSource';
import { GoCallTracker } from './goStreams';
import { readGoPprof } from './pprofSource';

export class PprofPoller extends PolledSource {
  readonly kind = 'go-pprof' as const;

  private constructor(readonly url: string, private readonly tracker: GoCallTracker, initial: LiveSnapshot, intervalMs: number) {
    super(initial, intervalMs);
  }

  /** The first read decides: an endpoint that is not pprof is an error, not an empty view. */
  static async start(base: string, intervalMs: number): Promise<PprofPoller> {
    const tracker = new GoCallTracker('go-pprof');
    const first = await readGoPprof(base);
    const poller = new PprofPoller(first.url, tracker, tracker.snapshot({ ...first, pid: 0 }), intervalMs);
    poller.start();
    return poller;
  }

  protected async readOnce(): Promise<LiveSnapshot> {
    return this.tracker.snapshot({ ...(await readGoPprof(this.url)), pid: 0 });
  }
}
