// Finds every loaded copy of @grpc/grpc-js in the process by the files in the module cache
// (nested node_modules and npm aliases can load several), and reads each one's version.
import { compareVersions, MIN_SUPPORTED_GRPC_JS } from './kinds';
import type { GrpcJsCopy } from './protocol';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Loose = any;

export interface LoadedCopy extends GrpcJsCopy {
  Server: Loose;
  /** grpc-js's BaseServerInterceptingCall class, for finding calls in flight; null if not loaded. */
  BaseCall: Loose;
  /** The handler-facing writable streams (server-call.js), whose buffers hold what the client has not taken. */
  WritableStreams: Loose[];
}

const SERVER_SUFFIX = /[\\/]build[\\/]src[\\/]server\.js$/;

export function findLoadedCopies(moduleCache: Record<string, Loose>, readFile: (p: string) => string, known: Set<string>): LoadedCopy[] {
  const found: LoadedCopy[] = [];
  for (const key of Object.keys(moduleCache)) {
    if (!SERVER_SUFFIX.test(key)) continue;
    const dir = key.replace(SERVER_SUFFIX, '');
    if (known.has(dir)) continue;
    let pkg: Loose;
    try {
      pkg = JSON.parse(readFile(dir + '/package.json'));
    } catch {
      continue;
    }
    if (!pkg || pkg.name !== '@grpc/grpc-js') continue;
    const serverModule = moduleCache[key];
    const Server = serverModule && serverModule.exports && serverModule.exports.Server;
    if (typeof Server !== 'function') continue; // still loading; the next scan picks it up
    const sep = key.includes('\\') ? '\\' : '/';
    const interceptorsModule = moduleCache[dir + sep + ['build', 'src', 'server-interceptors.js'].join(sep)];
    const BaseCall = interceptorsModule && interceptorsModule.exports && interceptorsModule.exports.BaseServerInterceptingCall;
    const callModule = moduleCache[dir + sep + ['build', 'src', 'server-call.js'].join(sep)]?.exports;
    const WritableStreams = [callModule?.ServerWritableStreamImpl, callModule?.ServerDuplexStreamImpl].filter((c) => typeof c === 'function');
    const version = String(pkg.version);
    found.push({
      version,
      path: dir,
      supported: compareVersions(version, MIN_SUPPORTED_GRPC_JS) >= 0 && typeof BaseCall === 'function',
      Server,
      BaseCall: typeof BaseCall === 'function' ? BaseCall : null,
      WritableStreams,
    });
  }
  return found;
}
