// Text rendering for `list` and `watch`. Pure, so tests call it directly.
import { libraryOf, type LiveServer } from '../model/liveStream';
import type { JudgedStream } from '../model/listJson';
import type { GrpcJsCopy } from '../agent/protocol';
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

export function renderServers(servers: LiveServer[], thresholdMs: number): string {
  return servers
    .map((s) => {
      const k = keepaliveVerdict(s, thresholdMs);
      const ka = s.keepalive === null ? 'keepalive unknown' : s.keepalive.timeMs === null ? 'no keepalive' : `keepalive ${formatSeconds(s.keepalive.timeMs)}/${formatSeconds(s.keepalive.timeoutMs ?? 20000)}`;
      const warn = k === 'ok' ? '' : '  (!)';
      return terminalSafe(`server ${s.id}  ${s.addresses.join(', ') || '(not listening)'}  ${libraryOf(s)}  ${ka}${warn}  ${s.methods.length} methods`);
    })
    .join('\n');
}

/** The handler goroutines of a Go server, most suspect first, then longest waiting. */
export function renderGoCalls(streams: JudgedStream[]): string {
  if (streams.length === 0) return 'No gRPC handler goroutines.';
  const sorted = [...streams].sort((a, b) => Number(b.suspect) - Number(a.suspect) || b.idleMs - a.idleMs || a.id.localeCompare(b.id));
  const rows = [['GOROUTINE', 'METHOD', 'KIND', 'PEER', 'WAITING', 'FOR', 'WHERE', 'SUSPECT']];
  for (const s of sorted) {
    const waiting = s.waiting === 'recv' ? 'in Recv' : s.waiting === 'send' ? 'in Send (flow control)' : s.waitReason ?? 'running';
    const where = s.waitsAt ? `${s.waitsAt.file.split('/').slice(-2).join('/')}:${s.waitsAt.line}` : '?';
    const basis = s.waitingSinceBasis === 'runtime' ? '' : ' (seen)';
    rows.push([s.goroutines !== undefined ? `${s.goroutines}×` : String(s.goroutine ?? '?'), s.method, s.kind ?? 'stream', s.peer ?? '?', waiting, `${formatIdle(s.idleMs)}${basis}`, where, s.suspect ? `yes: ${s.reasons.join('; ')}` : '']);
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
    rows.push([s.id, s.method, s.kind ?? '?', s.peer ?? '?', formatIdle(s.idleMs), String(s.received ?? '?'), String(s.sent ?? '?'), s.state ?? '?', formatLiveness(s), s.queuedBytes ? formatBytes(s.queuedBytes) : '', s.suspect ? `yes: ${s.reasons.join('; ')}` : '']);
  }
  return renderTable(rows);
}
