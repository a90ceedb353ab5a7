// Finds the WebSocket of a Node inspector by asking it (GET /json/list), as js-debug does.
import http from 'node:http';
import { isIP } from 'node:net';
import { assertAllowedHost, candidateHosts, formatAddress, type InspectorAddress } from './address';
import type { InspectorTarget } from './cdpProtocol';
import { AttachError, errorMessage } from './errors';

function getJson(host: string, port: number, path: string, timeoutMs: number): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host, port, path, timeout: timeoutMs, headers: { host: isIP(host) === 6 ? `[${host}]:${port}` : `${host}:${port}` } }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c) => {
        body += c;
        if (body.length > 1_000_000) req.destroy(new Error('answer too large'));
      });
      res.on('end', () => {
        try {
          resolve(JSON.parse(body));
        } catch {
          reject(new AttachError('not-inspector', `${formatAddress({ host, port })} answered, but not like a Node inspector (no JSON at ${path}).`));
        }
      });
    });
    req.on('timeout', () => req.destroy(new AttachError('timeout', `${formatAddress({ host, port })} did not answer within ${timeoutMs} ms.`)));
    req.on('error', (e: NodeJS.ErrnoException) => {
      if (e instanceof AttachError) return reject(e);
      if (e.code === 'ECONNREFUSED') {
        reject(new AttachError('not-listening', `Nothing is listening on ${formatAddress({ host, port })}: is the process running with --inspect on that port?`));
      } else if (e.code === 'ECONNRESET' || e.code === 'HPE_INVALID_CONSTANT' || (e.code ?? '').startsWith('HPE_')) {
        reject(new AttachError('not-inspector', `${formatAddress({ host, port })} is not a Node inspector (it does not speak HTTP as the inspector does).`));
      } else {
        reject(new AttachError('not-listening', `Could not reach ${formatAddress({ host, port })}: ${errorMessage(e)}`));
      }
    });
  });
}

export interface DiscoveredTarget {
  address: InspectorAddress;
  target: InspectorTarget;
  webSocketUrl: string;
}

export async function discoverTarget(address: InspectorAddress, options: { allowRemote?: boolean; timeoutMs?: number } = {}): Promise<DiscoveredTarget> {
  assertAllowedHost(address, !!options.allowRemote);
  const timeoutMs = options.timeoutMs ?? 3000;
  let lastError: unknown = null;
  for (const host of candidateHosts(address.host)) {
    let list: unknown;
    try {
      list = await getJson(host, address.port, '/json/list', timeoutMs);
    } catch (e) {
      lastError = e;
      continue;
    }
    const targets = Array.isArray(list) ? (list as InspectorTarget[]).filter((t) => t && typeof t.webSocketDebuggerUrl === 'string') : [];
    if (targets.length === 0) {
      throw new AttachError('not-inspector', `${formatAddress({ host, port: address.port })} answered /json/list, but lists no Node inspector target.`);
    }
    const target = targets.find((t) => t.type === 'node') ?? targets[0];
    // Use the host that answered, whatever the target reports (it may say localhost or 0.0.0.0).
    const ws = new URL(target.webSocketDebuggerUrl);
    ws.hostname = isIP(host) === 6 ? `[${host}]` : host;
    ws.port = String(address.port);
    return { address: { host, port: address.port }, target, webSocketUrl: ws.toString() };
  }
  throw lastError instanceof Error ? lastError : new AttachError('not-listening', `Nothing is listening on ${formatAddress(address)}.`);
}

/** True when something answers /json/list like an inspector on that port (used to find ports). */
export async function isInspectorPort(host: string, port: number, timeoutMs = 1000): Promise<boolean> {
  try {
    const list = await getJson(host, port, '/json/list', timeoutMs);
    return Array.isArray(list) && list.some((t) => t && typeof (t as InspectorTarget).webSocketDebuggerUrl === 'string');
  } catch {
    return false;
  }
}
