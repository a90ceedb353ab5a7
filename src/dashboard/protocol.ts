// The messages between the dashboard webview and the extension, typed for both sides, and the
// validation every message from the webview passes before the extension acts on it.
import type { LiveStream, LiveServer } from '../model/liveStream';
import type { LiveConnection } from '../sources/channelz/connections';
import type { SourceKind } from '../sources/source';
import { parseStreamId, type EndedCall } from '../agent/protocol';
import type { SeriesPoint } from './series';

export interface DashboardSettings {
  idleWarningMs: number;
  suspectAfterMs: number;
}

export interface ServerFixInfo {
  serverId: string;
  /** Where the server is created in the workspace, when found: the Fix button opens it. */
  file: string | null;
  line: number | null;
}

export interface DashboardInit {
  type: 'init';
  title: string;
  /** Which source: a channelz one has connections instead of streams; only the Node agent can probe. */
  source: SourceKind;
  connections: LiveConnection[];
  pid: number;
  now: number;
  settings: DashboardSettings;
  servers: LiveServer[];
  streams: LiveStream[];
  series: SeriesPoint[];
  fixes: ServerFixInfo[];
  /** Why the data is stale (the process does not answer, or lost its agent); null while live. */
  stale: string | null;
}

/** At most one a second: only what changed since the previous one. */
export interface DashboardDelta {
  type: 'delta';
  now: number;
  upserts: LiveStream[];
  removed: string[];
  servers?: LiveServer[];
  point?: SeriesPoint;
  settings?: DashboardSettings;
  fixes?: ServerFixInfo[];
  /** channelz: every connection, when any changed. */
  connections?: LiveConnection[];
}

export type ToWebview =
  | DashboardInit
  | DashboardDelta
  | { type: 'error'; message: string }
  | { type: 'info'; message: string }
  | { type: 'stale'; message: string | null }
  | { type: 'detached' };

export type FromWebview =
  | { type: 'ready' }
  | { type: 'cancelStream'; streamId: string }
  | { type: 'goToHandler'; streamId: string }
  | { type: 'openKeepaliveFix'; serverId: string }
  /** PING every client of the process now. */
  | { type: 'probeConnections' }
  /** End every stream of the process whose client does not answer a PING (the extension asks first). */
  | { type: 'cancelDeadStreams' };

/** Stream ids are PID-EPOCH-N (agent/protocol); anything longer than this is not one. */
const STREAM_ID_MAX = 64;
/** A Go handler goroutine (`g25`) or a group of identical stacks (goStreams.ts). */
const GO_STREAM_ID = /^(?:g\d{1,12}|s[0-9a-z]{1,16}-\d{1,6})$/;
const SERVER_ID = /^s\d{1,9}$/;

/** Checks a message from the webview; returns the message or a sentence saying what is wrong. */
export function parseWebviewMessage(raw: unknown): { ok: true; message: FromWebview } | { ok: false; error: string } {
  if (!raw || typeof raw !== 'object') return { ok: false, error: 'The dashboard sent a message that is not an object.' };
  const m = raw as Record<string, unknown>;
  switch (m.type) {
    case 'ready':
    case 'probeConnections':
    case 'cancelDeadStreams':
      return { ok: true, message: { type: m.type } };
    case 'cancelStream':
    case 'goToHandler':
      if (typeof m.streamId !== 'string' || m.streamId.length > STREAM_ID_MAX || (!parseStreamId(m.streamId) && !GO_STREAM_ID.test(m.streamId))) return { ok: false, error: `The dashboard asked to ${m.type === 'cancelStream' ? 'cancel' : 'open the handler of'} a stream without a valid stream id.` };
      return { ok: true, message: { type: m.type, streamId: m.streamId } };
    case 'openKeepaliveFix':
      if (typeof m.serverId !== 'string' || !SERVER_ID.test(m.serverId)) return { ok: false, error: 'The dashboard asked for a keepalive fix without a valid server id.' };
      return { ok: true, message: { type: 'openKeepaliveFix', serverId: m.serverId } };
    default:
      return { ok: false, error: `The dashboard sent an unknown message type ${JSON.stringify(m.type)}.` };
  }
}

/** Coalesces the agent's deltas between two dashboard ticks: latest record per id wins. */
export class DeltaAccumulator {
  private upserts = new Map<string, LiveStream>();
  private removed = new Set<string>();
  private servers: LiveServer[] | undefined;

  add(upserts: LiveStream[], ended: Array<Pick<EndedCall, 'id'>>, servers?: LiveServer[]): void {
    for (const s of upserts) {
      this.upserts.set(s.id, s);
      this.removed.delete(s.id);
    }
    for (const e of ended) {
      this.upserts.delete(e.id);
      this.removed.add(e.id);
    }
    if (servers) this.servers = servers;
  }

  get isEmpty(): boolean {
    return this.upserts.size === 0 && this.removed.size === 0 && !this.servers;
  }

  take(now: number): DashboardDelta {
    const d: DashboardDelta = { type: 'delta', now, upserts: [...this.upserts.values()], removed: [...this.removed] };
    if (this.servers) d.servers = this.servers;
    this.upserts.clear();
    this.removed.clear();
    this.servers = undefined;
    return d;
  }
}
