import type { CallKind } from './protocol';

/** grpc-js handler types to the kinds we report. */
export function kindFromHandlerType(type: unknown): CallKind {
  switch (type) {
    case 'clientStream': return 'client_stream';
    case 'serverStream': return 'server_stream';
    case 'bidi': return 'bidi';
    default: return 'unary';
  }
}

export function kindFromDescriptor(requestStream: boolean, responseStream: boolean): CallKind {
  if (requestStream && responseStream) return 'bidi';
  if (requestStream) return 'client_stream';
  if (responseStream) return 'server_stream';
  return 'unary';
}

/** Compares dotted versions numerically: -1, 0 or 1. */
export function compareVersions(a: string, b: string): number {
  const pa = a.split(/[.-]/).map((x) => parseInt(x, 10) || 0);
  const pb = b.split(/[.-]/).map((x) => parseInt(x, 10) || 0);
  for (let i = 0; i < 3; i++) {
    if ((pa[i] ?? 0) !== (pb[i] ?? 0)) return (pa[i] ?? 0) < (pb[i] ?? 0) ? -1 : 1;
  }
  return 0;
}

export const MIN_SUPPORTED_GRPC_JS = '1.10.0';
