// Where a function is defined, asked of the process's own inspector through an in-process session
// (node:inspector). It never touches a debugger's session: enabling the Debugger domain on a
// shared session (js-debug's CDP proxy) would disturb the user's debugging.
import type { SourceLocation } from './protocol';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Loose = any;

export function functionLocation(fn: unknown, inspector: Loose): SourceLocation | null {
  if (typeof fn !== 'function' || !inspector || typeof inspector.Session !== 'function') return null;
  const session = new inspector.Session();
  const key = `__grpcStreamsLocate_${Math.random().toString(36).slice(2)}`;
  const g = globalThis as Loose;
  // In-process sessions answer synchronously.
  const post = (method: string, params: object = {}): Loose => {
    let result: Loose = null;
    let error: Loose = null;
    session.post(method, params, (e: Loose, r: Loose) => {
      error = e;
      result = r;
    });
    if (error) throw error;
    return result;
  };
  try {
    session.connect();
    const urls = new Map<string, string>();
    session.on('Debugger.scriptParsed', (m: Loose) => urls.set(m.params.scriptId, m.params.url));
    post('Debugger.enable');
    post('Debugger.disable');
    g[key] = fn;
    let objectId: string | undefined = post('Runtime.evaluate', { expression: `globalThis[${JSON.stringify(key)}]`, objectGroup: key }).result.objectId;
    for (let depth = 0; objectId && depth < 5; depth++) {
      const internal: Loose[] = post('Runtime.getProperties', { objectId, ownProperties: true }).internalProperties ?? [];
      const loc = internal.find((p) => p.name === '[[FunctionLocation]]')?.value?.value;
      if (loc) {
        const url = urls.get(loc.scriptId);
        return url ? { url, line: loc.lineNumber, column: loc.columnNumber } : null;
      }
      objectId = internal.find((p) => p.name === '[[TargetFunction]]')?.value?.objectId; // bound by addService
    }
    return null;
  } finally {
    delete g[key];
    try { post('Runtime.releaseObjectGroup', { objectGroup: key }); } catch { /* ignore */ }
    try { session.disconnect(); } catch { /* ignore */ }
  }
}
