// The data model the agent reports. It is the contract between the agent (inside the target),
// the inspector client, the CLI, the VS Code tree and the dashboard. Plain JSON only.

export const AGENT_GLOBAL_KEY = 'grpc-stream-debugger.agent';
/** Bumped whenever the agent's behaviour or protocol changes; a newer client replaces an older agent. */
export const AGENT_VERSION = 6;

export type CallKind = 'unary' | 'client_stream' | 'server_stream' | 'bidi';
export type CallState = 'active' | 'half_closed' | 'cancelled';
/** What an HTTP/2 PING on the call's connection told: answered, not answered in time, or not asked yet. */
export type Liveness = 'alive' | 'dead' | 'unknown';

/** What every call record says, open or ended. */
export interface CallIdentity {
  id: string;
  serverId: string;
  method: string;
  kind: CallKind;
  peer: string;
  /** Epoch ms when the call started; null for calls adopted at attach (their start is not knowable). */
  startedAt: number | null;
  /** Epoch ms since when the agent has watched this call. */
  observedSince: number;
  /** Messages since observedSince. */
  received: number;
  sent: number;
}

export interface StreamRecord extends CallIdentity {
  lastReceivedAt: number | null;
  lastSentAt: number | null;
  /** Epoch ms of the call's deadline, null when it has none. */
  deadline: number | null;
  state: CallState;
  /** The HTTP/2 connection (session) the call runs on: every call of one client connection shares it. */
  connectionId: string;
  /** Bytes the handler wrote that the client has not taken (beyond the HTTP/2 window); null if unknown. */
  queuedBytes: number | null;
  liveness: Liveness;
  /** Epoch ms of the PING answer (or of its timeout) behind `liveness`; null when never probed. */
  livenessCheckedAt: number | null;
  /** Round-trip time of the last answered PING; null when none answered. */
  rttMs: number | null;
}

export interface EndedCall extends CallIdentity {
  endedAt: number;
  durationMs: number;
  /** gRPC status code the call ended with (1 = CANCELLED when the stream closed without a status). */
  statusCode: number;
}

export interface KeepaliveOptions {
  timeMs: number | null;
  timeoutMs: number | null;
  maxConnectionIdleMs: number | null;
  maxConnectionAgeMs: number | null;
}

export interface MethodInfo {
  path: string;
  kind: CallKind;
}

export interface ServerRecord {
  id: string;
  grpcJsVersion: string;
  addresses: string[];
  keepalive: KeepaliveOptions;
  methods: MethodInfo[];
}

export interface GrpcJsCopy {
  version: string;
  path: string;
  supported: boolean;
}

export interface AgentSnapshot {
  agentVersion: number;
  pid: number;
  /** This agent's install in this process: part of every stream id, new after each detach. */
  epoch: string;
  node: string;
  /** The target's clock when the snapshot was taken. */
  now: number;
  /** Sequence number of the last change included; deltas with a higher seq follow. */
  seq: number;
  grpcJs: string[];
  copies: GrpcJsCopy[];
  servers: ServerRecord[];
  streams: StreamRecord[];
  ended: EndedCall[];
}

/** What the agent pushes to a subscriber: only what changed since the previous delta. */
export interface AgentDelta {
  seq: number;
  now: number;
  upserts: StreamRecord[];
  ended: EndedCall[];
  /** Present when servers were added or changed. */
  servers?: ServerRecord[];
}

/** How the agent probes connections (set by the subscribers; the latest one wins). */
export interface ProbeSettings {
  enabled: boolean;
  /** A PING not answered within this is a dead connection. */
  timeoutMs: number;
  /** At most one probe per connection in this time, unless asked for. */
  minIntervalMs: number;
  /** A connection is probed once one of its streams has received nothing for this long. */
  idleMs: number;
  /** At most this many PINGs a second over all connections. */
  maxPerSecond: number;
}

export const DEFAULT_PROBE: ProbeSettings = { enabled: true, timeoutMs: 5000, minIntervalMs: 10_000, idleMs: 30_000, maxPerSecond: 100 };

export interface AttachResult {
  agentVersion: number;
  pid: number;
  epoch: string;
  copies: GrpcJsCopy[];
  servers: number;
  streams: number;
}

/** A place in a script; line and column are 0-based, as the inspector reports them. */
export interface SourceLocation {
  url: string;
  line: number;
  column: number;
}

export interface CancelResult {
  /** True once the call has ended (left the live set), not merely when a status was sent. */
  ok: boolean;
  /** How it ended: with a CANCELLED status, or by resetting its HTTP/2 stream (RST_STREAM CANCEL). */
  how?: 'status' | 'reset';
  error?: string;
}

/** Stream ids are PID-EPOCH-N: unique across processes and across installs of the agent. */
export function formatStreamId(pid: number, epoch: string, n: number): string {
  return `${pid}-${epoch}-${n}`;
}

export function parseStreamId(id: string): { pid: number; epoch: string; n: number } | null {
  const m = /^(\d+)-([0-9a-z]+)-(\d+)$/.exec(id);
  return m ? { pid: Number(m[1]), epoch: m[2], n: Number(m[3]) } : null;
}

/** Why an id names no open stream of this process and install, in one sentence; null if it is ours. */
export function foreignStreamId(id: string, pid: number, epoch: string): string | null {
  const p = parseStreamId(id);
  if (!p) return `"${id}" is not a stream id (ids look like ${pid}-${epoch}-12; run grpc-streams list).`;
  if (p.pid !== pid) return `Stream ${id} belongs to process ${p.pid}, not to process ${pid}.`;
  if (p.epoch !== epoch) return `Stream ${id} is from an earlier attach to process ${pid} (the agent was installed again since, so its ids changed); run grpc-streams list for the current ids.`;
  return null;
}

/** The API the agent puts on globalThis[Symbol.for(AGENT_GLOBAL_KEY)]. */
export interface AgentApi {
  readonly version: number;
  attach(options?: { require?: unknown; flushMs?: number; historySize?: number; probe?: Partial<ProbeSettings> }): AttachResult;
  /** PINGs every connection with an open stream (caps kept); resolves once all answered or timed out. */
  probeAll(timeoutMs?: number): Promise<number>;
  /** Cancels every stream whose connection did not answer its PING; the ids it ended. */
  cancelDead(filter?: { serverId?: string }): Promise<{ cancelled: string[]; failed: Array<{ id: string; error: string }> }>;
  /** The 'stream' listeners of the process's listening HTTP/2 servers: grpc-js binds them to its Server. */
  serverListeners(): unknown[];
  adoptServers(servers: unknown[]): number;
  /** Collects the open HTTP/2 streams of the adopted servers; returns how many. */
  beginAdoption(): number;
  /** Adopts in-flight calls for at most budgetMs; returns how many streams are left. */
  adoptStep(budgetMs: number): number;
  /** Registers a sink for pushed deltas; returns the JSON of the PackedSnapshot they continue from. */
  subscribe(sink: string): string;
  renew(sink: string): boolean;
  unsubscribe(sink: string): void;
  snapshot(): AgentSnapshot;
  /** The same snapshot as the JSON of a PackedSnapshot (packedSnapshot.ts): what clients read. */
  packedSnapshot(): string;
  /** A further page of a paged snapshot (JSON of a PackedPage). */
  snapshotPage(pageToken: string, offset: number): string;
  cancel(id: string): Promise<CancelResult>;
  handlerOf(serverId: string, method: string): unknown;
  handlerLocation(serverId: string, method: string): SourceLocation | null;
  detach(): void;
}
