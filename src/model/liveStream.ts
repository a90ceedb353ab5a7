// The one stream model every source fills: the Node agent's records, and the handler goroutines
// of a Go server. A field a source cannot know is null (shown as unknown), never guessed; the
// Node agent knows them all, so its StreamRecord is a LiveStream as it is.
import type { CallKind, CallState, EndedCall, KeepaliveOptions, Liveness, MethodInfo } from '../agent/protocol';
import type { LiveConnection } from '../sources/channelz/connections';

/** Where a stream's record came from. */
export type StreamSource = 'node' | 'go-pprof' | 'go-delve';

/** The innermost frame of the user's own code a Go handler goroutine waits in. */
export interface WaitsAt {
  file: string;
  line: number;
  function: string;
}

/**
 * What a Go handler goroutine is doing: waiting for the client's next message (`recv`), waiting for
 * the client to read (`send`: HTTP/2 flow control), or running / blocked in the user's own code.
 */
export type GoWaiting = 'recv' | 'send' | 'handler';

export interface LiveStream {
  id: string;
  serverId: string;
  method: string;
  /** Null when the source cannot tell (a goroutine dump tells unary from streaming only). */
  kind: CallKind | null;
  peer: string | null;
  startedAt: number | null;
  observedSince: number;
  received: number | null;
  sent: number | null;
  lastReceivedAt: number | null;
  lastSentAt: number | null;
  deadline: number | null;
  state: CallState | null;
  connectionId: string | null;
  queuedBytes: number | null;
  liveness: Liveness;
  livenessCheckedAt: number | null;
  rttMs: number | null;
  /** Absent: the Node agent. */
  source?: StreamSource;
  /** Go: the handler's goroutine id; null for a group of goroutines with one stack. */
  goroutine?: number | null;
  /** Go, a large server read in aggregate: how many goroutines share this stack (absent: one). */
  goroutines?: number;
  waitsAt?: WaitsAt | null;
  waiting?: GoWaiting | null;
  /** Go: the runtime's wait reason (`select`, `chan receive`, `IO wait`). */
  waitReason?: string | null;
  /** Go: epoch ms since when the goroutine waits the way it does now, at the same place. */
  waitingSince?: number | null;
  /** How waitingSince is known: from the runtime's whole minutes, or since this tool first saw it so. */
  waitingSinceBasis?: 'runtime' | 'first-seen' | null;
}

export interface LiveServer {
  id: string;
  /** The library serving it, as shown: `grpc-go v1.75.0`. Absent: grpc-js, of grpcJsVersion. */
  library?: string;
  /** Null for a server that is not grpc-js. */
  grpcJsVersion: string | null;
  addresses: string[];
  /** Null when the source cannot read the server's options. */
  keepalive: KeepaliveOptions | null;
  /** kind null: streaming, of a kind the source cannot tell. */
  methods: Array<Omit<MethodInfo, 'kind'> & { kind: MethodInfo['kind'] | null }>;
  /** channelz: the server's call counts. */
  calls?: { started: number; succeeded: number; failed: number };
}

/** A whole state of one process, from any source (the Node agent's AgentSnapshot is one). */
export interface LiveSnapshot {
  /** 0 when the source cannot know it (a pprof endpoint). */
  pid: number;
  /** The Node version, or '' for other runtimes. */
  node: string;
  grpcJs: string[];
  now: number;
  servers: LiveServer[];
  streams: LiveStream[];
  ended: EndedCall[];
  /** channelz: the servers' client connections (channelz counts per connection, not per stream). */
  connections?: LiveConnection[];
}

/** The library name shown for a server. */
export function libraryOf(s: Pick<LiveServer, 'library' | 'grpcJsVersion'>): string {
  return s.library ?? `grpc-js ${s.grpcJsVersion}`;
}
