// The Go source through net/http/pprof: reads /debug/pprof/goroutine?debug=2 from a base URL
// (`http://127.0.0.1:6060`). Reading a goroutine dump does not pause the process. pprof is
// read-only, so any host is allowed (it does expose stacks: point it only at your own servers).
import http from 'node:http';
import https from 'node:https';
import { AttachError, errorMessage } from '../../inspector/errors';
import { parseGoroutineDump, parseGoroutineProfile } from './goroutineDump';
import { grpcGoVersion, handlerCalls, localGenerated, type GoHandlerCall } from './handlerCalls';

export interface GoPprofSnapshot {
  source: 'go-pprof';
  /** The base URL (`http://127.0.0.1:6060`). */
  url: string;
  /** When this side read the dump (epoch ms). */
  now: number;
  goroutines: number;
  calls: GoHandlerCall[];
  /** goroutines: each one with its id and wait (debug=2); groups: identical stacks with counts (debug=1), for large servers. */
  detail: 'goroutines' | 'groups';
  /** The grpc-go version the stacks name (module mode builds), or null. */
  grpcVersion: string | null;
}

export function goroutineUrl(base: string, debug: 1 | 2 = 2): URL {
  let url: URL;
  try {
    url = new URL(/^[a-z]+:\/\//i.test(base) ? base : `http://${base}`);
  } catch {
    throw new AttachError('bad-input', `"${base}" is not a pprof address (expected http://HOST:PORT).`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new AttachError('bad-input', `"${base}" is not an http(s) address.`);
  url.pathname = `${url.pathname.replace(/\/+$/, '').replace(/\/debug\/pprof(\/goroutine)?$/, '')}/debug/pprof/goroutine`;
  url.search = `?debug=${debug}`;
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

/**
 * Above this many goroutines a read takes the grouped profile (debug=1) only: the full dump
 * (debug=2) stops the world while it collects every stack, about 250 ms at 10,000 goroutines here.
 */
export const FULL_DUMP_LIMIT = 2000;

async function fetchText(url: URL, timeoutMs: number): Promise<string> {
  try {
    const res = await httpGet(url, timeoutMs);
    if (res.status === 404) throw new AttachError('not-inspector', `${url.host} answers, but not with net/http/pprof (404 for ${url.pathname}): import _ "net/http/pprof" and serve it there.`);
    if (res.status !== 200) throw new AttachError('not-inspector', `${url.host} answered ${res.status} for ${url.pathname}.`);
    return res.text;
  } catch (e) {
    if (e instanceof AttachError) throw e;
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ECONNREFUSED') throw new AttachError('not-listening', `Nothing is listening on ${url.host}.`);
    if (code === 'ETIMEDOUT') throw new AttachError('timeout', `${url.host} did not answer within ${timeoutMs} ms.`);
    throw new AttachError('not-listening', `Could not read ${url.href}: ${errorMessage(e)}.`);
  }
}

/**
 * One read of a Go server's goroutines: the grouped profile first (cheap at any size); for a
 * server of up to FULL_DUMP_LIMIT goroutines, then every goroutine with its id, wait reason and
 * wait time. Larger ones are shown as groups of identical stacks, with counts.
 */
export async function readGoPprof(base: string, timeoutMs = 5000, fullDumpLimit = FULL_DUMP_LIMIT): Promise<GoPprofSnapshot> {
  const grouped = goroutineUrl(base, 1);
  const text = await fetchText(grouped, timeoutMs);
  let profile;
  try {
    profile = parseGoroutineProfile(text);
  } catch (e) {
    throw new AttachError('not-inspector', `${grouped.href} did not return a goroutine profile: ${errorMessage(e)}.`);
  }
  let goroutines = profile.groups;
  let url = grouped;
  let detail: GoPprofSnapshot['detail'] = 'groups';
  if (profile.total <= fullDumpLimit) {
    url = goroutineUrl(base, 2);
    try {
      goroutines = parseGoroutineDump(await fetchText(url, timeoutMs));
      detail = 'goroutines';
    } catch (e) {
      if (e instanceof AttachError) throw e;
      throw new AttachError('not-inspector', `${url.href} did not return a goroutine dump: ${errorMessage(e)}.`);
    }
  }
  // A pprof endpoint of a program that is no gRPC server says so, rather than showing an empty view.
  if (!goroutines.some((g) => g.frames.some((f) => f.func.startsWith('google.golang.org/grpc.') || f.func.startsWith('google.golang.org/grpc/')))) {
    throw new AttachError('no-grpc', `${grouped.host} serves pprof, but none of its ${profile.total} goroutines runs grpc-go: it is not a gRPC server (or serves through another library).`);
  }
  return { source: 'go-pprof', url: goroutineUrl(base, 2).href.replace(/\/debug\/pprof\/goroutine\?debug=2$/, ''), now: Date.now(), goroutines: profile.total, detail, calls: handlerCalls(goroutines, localGenerated), grpcVersion: grpcGoVersion(goroutines) };
}
