// Which streams look leaked, and why, in words a user understands. Pure functions.
import { compareVersions } from '../agent/kinds';
import type { LiveServer, LiveStream } from './liveStream';

/** grpc-js before this version may leave a connection hanging after a keepalive timeout (grpc-node #2953). */
export const KEEPALIVE_FIX_VERSION = '1.14.2';
/** A handler's writes that the client has not taken, past which it has stopped reading. */
export const STALLED_QUEUE_BYTES = 1024 * 1024;

/** Time since anything happened on the call: the latest of received, sent and start. */
export function idleMs(s: LiveStream, now: number): number {
  if (typeof s.waitingSince === 'number') return Math.max(0, now - s.waitingSince);
  const last = Math.max(s.lastReceivedAt ?? 0, s.lastSentAt ?? 0, s.startedAt ?? s.observedSince);
  return Math.max(0, now - last);
}

/** Time since the client last sent a message (or the call started). */
export function receiveIdleMs(s: LiveStream, now: number): number {
  if (typeof s.waitingSince === 'number') return Math.max(0, now - s.waitingSince);
  return Math.max(0, now - (s.lastReceivedAt ?? s.startedAt ?? s.observedSince));
}

export function ageMs(s: LiveStream, now: number): number {
  return Math.max(0, now - (s.startedAt ?? s.observedSince));
}

/** unknown: the source cannot read the server's options (a Go goroutine dump). */
export type KeepaliveVerdict = 'none' | 'too-slow' | 'buggy' | 'ok' | 'unknown';

/** Whether the server's keepalive can notice a vanished client within the idle threshold. */
export function keepaliveVerdict(server: Pick<LiveServer, 'keepalive' | 'grpcJsVersion' | 'library'> | undefined, thresholdMs: number): KeepaliveVerdict {
  if (server && server.keepalive === null) return 'unknown';
  const t = server?.keepalive?.timeMs ?? null;
  if (t === null) return 'none';
  if (t > thresholdMs) return 'too-slow';
  if (server && server.library === undefined && server.grpcJsVersion !== null && server.grpcJsVersion !== 'unknown' && compareVersions(server.grpcJsVersion, KEEPALIVE_FIX_VERSION) < 0) return 'buggy';
  return 'ok';
}

export function formatSeconds(ms: number): string {
  const s = Math.floor(ms / 1000);
  if (s < 120) return `${s} s`;
  if (s < 7200) return `${Math.floor(s / 60)} min`;
  if (s < 172800) return `${Math.floor(s / 3600)} h`;
  return `${Math.floor(s / 86400)} days`;
}

export interface SuspectVerdict {
  suspect: boolean;
  reasons: string[];
}

/** The facts behind a verdict, without building any text (the dashboard judges 10,000 a second). */
export interface Assessment {
  suspect: boolean;
  /** Silence that counts for this kind (age for unary calls). */
  silentMs: number;
  keepalive: KeepaliveVerdict;
  open: boolean;
  /** What makes it suspect: its connection did not answer a PING, its client stopped reading, or silence. */
  cause: 'dead' | 'not-reading' | 'silent' | null;
}

/**
 * A stream is suspect when its connection did not answer a PING (the client is gone), when its
 * client stopped reading (STALLED_QUEUE_BYTES queued), or when it has received nothing for longer
 * than the threshold and either its server has no keepalive in force or its client has not
 * half-closed. A server stream is judged by silence in both directions (its handler is not waiting
 * to receive). Unary calls running longer than the threshold are suspect too.
 */
export function assessStream(s: LiveStream, server: LiveServer | undefined, now: number, thresholdMs: number): Assessment {
  const keepalive = keepaliveVerdict(server, thresholdMs);
  const open = s.state === 'active';
  if (s.waiting) {
    // A Go handler goroutine: suspect when it has waited on its client (to send, or to read) too long.
    const waited = idleMs(s, now);
    const suspect = s.waiting !== 'handler' && waited > thresholdMs;
    return { suspect, silentMs: waited, keepalive, open, cause: suspect ? (s.waiting === 'send' ? 'not-reading' : 'silent') : null };
  }
  const silent = s.kind === 'unary' ? ageMs(s, now) : s.kind === 'server_stream' ? idleMs(s, now) : receiveIdleMs(s, now);
  if (s.liveness === 'dead') return { suspect: true, silentMs: silent, keepalive, open, cause: 'dead' };
  if ((s.queuedBytes ?? 0) >= STALLED_QUEUE_BYTES) return { suspect: true, silentMs: silent, keepalive, open, cause: 'not-reading' };
  const suspect = s.kind === 'unary' ? silent > thresholdMs : silent > thresholdMs && (keepalive !== 'ok' || open);
  return { suspect, silentMs: silent, keepalive, open, cause: suspect ? 'silent' : null };
}

export function formatBytes(n: number): string {
  if (n >= 1024 * 1024) return `${(n / (1024 * 1024)).toFixed(1)} MB`;
  if (n >= 1024) return `${Math.round(n / 1024)} kB`;
  return `${n} bytes`;
}

export function isSuspect(s: LiveStream, server: LiveServer | undefined, now: number, thresholdMs: number): boolean {
  return assessStream(s, server, now, thresholdMs).suspect;
}

export function judgeStream(s: LiveStream, server: LiveServer | undefined, now: number, thresholdMs: number): SuspectVerdict {
  const a = assessStream(s, server, now, thresholdMs);
  return a.suspect ? { suspect: true, reasons: suspectReasons(s.kind, a, server, thresholdMs, s) } : { suspect: false, reasons: [] };
}

/** What the liveness probe and the stream's queue tell, for the reasons' text. */
export type ProbeFacts = Pick<LiveStream, 'liveness' | 'rttMs' | 'queuedBytes' | 'waiting' | 'waitingSinceBasis'>;

/** The parts of the facts the reasons' text depends on: equal keys give equal reasons. */
export function reasonsKey(kind: LiveStream['kind'], a: Assessment, serverId: string, f: ProbeFacts): string {
  const queued = (f.queuedBytes ?? 0) >= STALLED_QUEUE_BYTES ? formatBytes(f.queuedBytes ?? 0) : '';
  const rtt = f.liveness === 'alive' && f.rttMs !== null ? f.rttMs.toFixed(1) : '';
  return `${serverId} ${kind} ${a.open} ${a.cause} ${f.liveness} ${rtt} ${queued} ${Math.floor(a.silentMs / 1000)} ${f.waiting ?? ''} ${f.waitingSinceBasis ?? ''}`;
}

/**
 * Why a suspect stream is suspect, in what is known: a PING not answered (gone), a client that
 * stopped reading, or silence (with what the PING said of the client when it was asked). Depends
 * only on what reasonsKey holds, so callers may reuse the text of equal streams.
 */
export function suspectReasons(kind: LiveStream['kind'], a: Assessment, server: LiveServer | undefined, thresholdMs: number, f: ProbeFacts): string[] {
  const reasons: string[] = [];
  // How a Go wait's length is known: the runtime counts whole minutes (up to about 2 low).
  const basis = f.waitingSinceBasis === 'runtime' ? ' (the runtime\'s count, in whole minutes)' : f.waitingSinceBasis === 'first-seen' ? ' (since first seen waiting there)' : '';
  if (f.waiting === 'send') reasons.push(`the client stopped reading: Send has waited on HTTP/2 flow control for ${formatSeconds(a.silentMs)}${basis}`);
  else if (f.waiting === 'recv') reasons.push(`no message for ${formatSeconds(a.silentMs)}${basis}`);
  else if (a.cause === 'dead') {
    reasons.push('the client did not answer a PING: it is gone');
    if ((f.queuedBytes ?? 0) >= STALLED_QUEUE_BYTES) reasons.push(`it stopped reading: ${formatBytes(f.queuedBytes ?? 0)} queued`);
  }
  else if (a.cause === 'not-reading') reasons.push(`the client stopped reading: ${formatBytes(f.queuedBytes ?? 0)} queued`);
  else if (kind === 'unary') reasons.push(`unary call running for ${formatSeconds(a.silentMs)}`);
  else if (f.liveness === 'alive') reasons.push(`the client answers PINGs${f.rttMs !== null ? ` (${f.rttMs.toFixed(1)} ms)` : ''} but has sent nothing for ${formatSeconds(a.silentMs)}`);
  else reasons.push(kind === 'server_stream' ? `nothing sent or received for ${formatSeconds(a.silentMs)}` : `no message for ${formatSeconds(a.silentMs)}`);
  switch (a.keepalive) {
    case 'unknown':
      reasons.push('keepalive unknown (this source cannot read the server\'s options)');
      break;
    case 'none':
      reasons.push('server has no keepalive');
      break;
    case 'too-slow':
      reasons.push(`server keepalive (${formatSeconds(server?.keepalive?.timeMs ?? 0)}) is slower than the idle threshold (${formatSeconds(thresholdMs)})`);
      break;
    case 'buggy':
      reasons.push(`grpc-js ${server?.grpcJsVersion} may leave a dead connection open after a keepalive timeout (grpc-node #2953; fixed in ${KEEPALIVE_FIX_VERSION})`);
      break;
  }
  if (kind !== 'unary' && a.open) reasons.push('client has not half-closed');
  return reasons;
}
