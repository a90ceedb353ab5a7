// The Go source through net/http/pprof: reads /debug/pprof/goroutine?debug=2 from a base URL
// (`http://127.0.0.1:6060`). Reading a goroutine dump does not pause the process. pprof is
// read-only, so any host is allowed (it does expose stacks: point it only at your own servers).
import http from 'node:http';
import https from 'node:https';
import { AttachError, errorMessage } from '../../inspector/errors';
import { parseGoroutineDump } from './goroutineDump';
import { grpcGoVersion, handlerCalls, localGenerated, type GoHandlerCall } from './handlerCalls';

export interface GoPprofSnapshot {
  source: 'go-pprof';
  url: string;
  /** When this side read the dump (epoch ms). */
  now: number;
  goroutines: number;
  calls: GoHandlerCall[];
  /** The grpc-go version the stacks name (module mode builds), or null. */
  grpcVersion: string | null;
}

export function goroutineUrl(base: string): URL {
  let url: URL;
  try {
    url = new URL(/^[a-z]+:\/\//i.test(base) ? base : `http://${base}`);
  } catch {
    throw new AttachError('bad-input', `"${base}" is not a pprof address (expected http://HOST:PORT).`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new AttachError('bad-input', `"${base}" is not an http(s) address.`);
  url.pathname = `${url.pathname.replace(/\/+$/, '').replace(/\/debug\/pprof(\/goroutine)?$/, '')}/debug/pprof/goroutine`;
  url.search = '?debug=2';
  return url;
}

/** GET over node:http(s): fetch refuses some ports outright and hides the socket error. */
function httpGet(url: URL, timeoutMs: number): Promise<{ status: number; text: string }> {
  const mod = url.protocol === 'https:' ? https : http;
  return new Promise((resolve, reject) => {
    const req = mod.get(url, { timeout: timeoutMs }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => { text += d; });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(Object.assign(new Error('timeout'), { code: 'ETIMEDOUT' })));
    req.on('error', reject);
  });
}

export async function readGoPprof(base: string, timeoutMs = 5000): Promise<GoPprofSnapshot> {
  const url = goroutineUrl(base);
  let text: string;
  try {
    const res = await httpGet(url, timeoutMs);
    if (res.status === 404) throw new AttachError('not-inspector', `${url.host} answers, but not with net/http/pprof (404 for ${url.pathname}): import _ "net/http/pprof" and serve it there.`);
    if (res.status !== 200) throw new AttachError('not-inspector', `${url.host} answered ${res.status} for ${url.pathname}.`);
    text = res.text;
  } catch (e) {
    if (e instanceof AttachError) throw e;
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ECONNREFUSED') throw new AttachError('not-listening', `Nothing is listening on ${url.host}.`);
    if (code === 'ETIMEDOUT') throw new AttachError('timeout', `${url.host} did not answer within ${timeoutMs} ms.`);
    throw new AttachError('not-listening', `Could not read ${url.href}: ${errorMessage(e)}.`);
  }
  let goroutines;
  try {
    goroutines = parseGoroutineDump(text);
  } catch (e) {
    throw new AttachError('not-inspector', `${url.href} did not return a goroutine dump: ${errorMessage(e)}.`);
  }
  return { source: 'go-pprof', url: url.href, now: Date.now(), goroutines: goroutines.length, calls: handlerCalls(goroutines, localGenerated), grpcVersion: grpcGoVersion(goroutines) };
}
