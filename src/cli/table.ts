// Text rendering for `list` and `watch`. Pure, so tests call it directly.
import type { JudgedStream } from '../model/listJson';
import type { GrpcJsCopy, ServerRecord } from '../agent/protocol';
import type { GoHandlerCall } from '../sources/goPprof/handlerCalls';
import { formatBytes, formatSeconds, keepaliveVerdict } from '../model/suspect';

export { formatIdleShort as formatIdle } from '../model/treeModel';
import { formatIdleShort as formatIdle } from '../model/treeModel';

/**
 * Text from the target (a method, a peer, a Unix socket path) printed so that it cannot drive
 * the terminal: control characters (C0, DEL, C1) become \xNN.
 */
export function terminalSafe(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\x00-\x1f\x7f-\x9f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

export function renderTable(input: string[][]): string {
  const rows = input.map((r) => r.map(terminalSafe));
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => (r[c] ?? '').length)));
  return rows.map((r) => r.map((cell, c) => (c === r.length - 1 ? cell : cell.padEnd(widths[c]))).join('  ').trimEnd()).join('\n');
}

export function renderServers(servers: ServerRecord[], thresholdMs: number): string {
  return servers
    .map((s) => {
      const k = keepaliveVerdict(s, thresholdMs);
      const ka = s.keepalive.timeMs === null ? 'no keepalive' : `keepalive ${formatSeconds(s.keepalive.timeMs)}/${formatSeconds(s.keepalive.timeoutMs ?? 20000)}`;
      const warn = k === 'ok' ? '' : '  (!)';
      return terminalSafe(`server ${s.id}  ${s.addresses.join(', ') || '(not listening)'}  grpc-js ${s.grpcJsVersion}  ${ka}${warn}  ${s.methods.length} methods`);
    })
    .join('\n');
}

/** The handler goroutines of a Go server (pprof), most suspect first. */
export function renderGoCalls(calls: Array<GoHandlerCall & { suspect: boolean; reasons: string[] }>): string {
  if (calls.length === 0) return 'No gRPC handler goroutines.';
  const sorted = [...calls].sort((a, b) => Number(b.suspect) - Number(a.suspect) || (b.waitMinutes ?? 0) - (a.waitMinutes ?? 0));
  const rows = [['ID', 'METHOD', 'KIND', 'WAITING', 'FOR', 'WHERE', 'SUSPECT']];
  for (const c of sorted) {
    const waiting = c.waiting === 'recv' ? 'in Recv' : c.waiting === 'send-blocked' ? 'in Send (flow control)' : c.state;
    const where = c.where ? `${c.where.file.split('/').slice(-2).join('/')}:${c.where.line}` : '?';
    rows.push([c.id, c.method, c.kind, waiting, c.waitMinutes === null ? '< 1 min' : `${c.waitMinutes} min`, where, c.suspect ? `yes: ${c.reasons.join('; ')}` : '']);
  }
  return renderTable(rows);
}

/** What the PING said of the client: alive with its round trip, dead, or ? when not asked. */
export function formatLiveness(s: Pick<JudgedStream, 'liveness' | 'rttMs'>): string {
  if (s.liveness === 'alive') return s.rttMs !== null ? `alive ${s.rttMs.toFixed(1)}ms` : 'alive';
  return s.liveness === 'dead' ? 'DEAD' : '?';
}

/** grpc-js copies the agent cannot hook: their servers and calls are not in the table. */
export function renderUntracked(copies: GrpcJsCopy[]): string {
  return copies
    .filter((c) => !c.supported)
    .map((c) => terminalSafe(`grpc-js ${c.version} at ${c.path}: not tracked (gRPC Stream Debugger needs 1.10 or newer); servers built on it are not listed`))
    .join('\n');
}

export function renderStreams(streams: JudgedStream[]): string {
  if (streams.length === 0) return 'No open streams.';
  const sorted = [...streams].sort((a, b) => Number(b.suspect) - Number(a.suspect) || b.idleMs - a.idleMs);
  const rows = [['ID', 'METHOD', 'KIND', 'PEER', 'IDLE', 'RECV', 'SENT', 'STATE', 'CLIENT', 'QUEUED', 'SUSPECT']];
  for (const s of sorted) {
    rows.push([s.id, s.method, s.kind, s.peer, formatIdle(s.idleMs), String(s.received), String(s.sent), s.state, formatLiveness(s), s.queuedBytes ? formatBytes(s.queuedBytes) : '', s.suspect ? `yes: ${s.reasons.join('; ')}` : '']);
  }
  return renderTable(rows);
}
