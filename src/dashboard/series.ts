// Streams over time (one point a second, last 15 minutes) and the idle-time histogram. Pure.
import type { LiveStream, LiveServer } from '../model/liveStream';
import type { CallKind } from '../agent/protocol';
import { idleMs, isSuspect } from '../model/suspect';

export interface SeriesPoint {
  t: number;
  unary: number;
  client_stream: number;
  server_stream: number;
  bidi: number;
  suspect: number;
}

export const SERIES_SECONDS = 15 * 60;
export const KINDS: CallKind[] = ['unary', 'client_stream', 'server_stream', 'bidi'];

export function samplePoint(streams: Iterable<LiveStream>, servers: Map<string, LiveServer>, now: number, suspectAfterMs: number): SeriesPoint {
  const p: SeriesPoint = { t: now, unary: 0, client_stream: 0, server_stream: 0, bidi: 0, suspect: 0 };
  for (const s of streams) {
    // A stream of a kind the source cannot tell (Go) is counted only as suspect or not.
    if (s.kind !== null) p[s.kind]++;
    if (isSuspect(s, servers.get(s.serverId), now, suspectAfterMs)) p.suspect++;
  }
  return p;
}

/** A ring of the last SERIES_SECONDS points. */
export class SeriesBuffer {
  private readonly points: SeriesPoint[] = [];

  constructor(private readonly capacity = SERIES_SECONDS) {}

  push(p: SeriesPoint): void {
    this.points.push(p);
    if (this.points.length > this.capacity) this.points.splice(0, this.points.length - this.capacity);
  }

  all(): SeriesPoint[] {
    return this.points.slice();
  }

  get length(): number {
    return this.points.length;
  }
}

export interface HistogramBucket {
  label: string;
  /** Upper bound in ms (exclusive); Infinity for the last. */
  upTo: number;
  count: number;
}

export const IDLE_BUCKETS: Array<{ label: string; upTo: number }> = [
  { label: '<5s', upTo: 5_000 },
  { label: '5–15s', upTo: 15_000 },
  { label: '15–30s', upTo: 30_000 },
  { label: '30–60s', upTo: 60_000 },
  { label: '1–2m', upTo: 120_000 },
  { label: '2–5m', upTo: 300_000 },
  { label: '5–15m', upTo: 900_000 },
  { label: '≥15m', upTo: Infinity },
];

export function idleHistogram(streams: Iterable<LiveStream>, now: number): HistogramBucket[] {
  const buckets = IDLE_BUCKETS.map((b) => ({ ...b, count: 0 }));
  for (const s of streams) {
    const idle = idleMs(s, now);
    const b = buckets.find((x) => idle < x.upTo) as HistogramBucket;
    b.count++;
  }
  return buckets;
}
