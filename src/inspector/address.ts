// Parsing and judging inspector addresses. The inspector hands full code execution to whoever
// connects, so anything but loopback needs the user's explicit consent.
import { isIP } from 'node:net';
import { AttachError } from './errors';

export interface InspectorAddress {
  host: string;
  port: number;
}

/** Parses `HOST:PORT`, `[v6]:PORT` or a bare `PORT` (loopback). */
export function parseInspectorAddress(text: string): InspectorAddress {
  const t = text.trim().replace(/^(ws|http)s?:\/\//, '').replace(/\/.*$/, '');
  let host = '127.0.0.1';
  let portText = t;
  const v6 = /^\[([^\]]+)\]:(\d+)$/.exec(t);
  if (v6) {
    host = v6[1];
    portText = v6[2];
  } else if (t.includes(':')) {
    const i = t.lastIndexOf(':');
    host = t.slice(0, i) || '127.0.0.1';
    portText = t.slice(i + 1);
  }
  const port = Number(portText);
  if (!/^\d+$/.test(portText) || port < 1 || port > 65535) {
    throw new AttachError('bad-input', `"${text}" is not an inspector address: use HOST:PORT, for example 127.0.0.1:9229.`);
  }
  return { host, port };
}

export function isLoopbackHost(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  if (h === 'localhost' || h.endsWith('.localhost')) return true;
  if (isIP(h) === 4) return h.startsWith('127.');
  if (isIP(h) === 6) return h === '::1' || h === '0:0:0:0:0:0:0:1' || /^::ffff:127\./.test(h);
  return false;
}

export function formatAddress(a: InspectorAddress): string {
  return isIP(a.host) === 6 ? `[${a.host}]:${a.port}` : `${a.host}:${a.port}`;
}

export function assertAllowedHost(a: InspectorAddress, allowRemote: boolean): void {
  if (isLoopbackHost(a.host) || allowRemote) return;
  throw new AttachError(
    'remote-refused',
    `Refusing to attach to ${formatAddress(a)}: a Node inspector gives full code execution to whoever connects, ` +
      'so only loopback addresses are allowed. Allow remote inspectors explicitly (--allow-remote, or the ' +
      'grpcStreams.allowRemoteInspector setting) only for a host and network you trust.',
  );
}

/** The hosts to try for an address: localhost may be bound on IPv4 or IPv6 only. */
export function candidateHosts(host: string): string[] {
  const h = host.toLowerCase();
  if (h === 'localhost') return ['127.0.0.1', '::1'];
  return [host.replace(/^\[|\]$/g, '')];
}
