// Errors a user can act on. `code` lets the CLI and the extension phrase and branch on them.

export type AttachErrorCode =
  | 'not-listening'
  | 'not-inspector'
  | 'remote-refused'
  | 'no-grpc'
  | 'unsupported-grpc'
  | 'timeout'
  | 'no-process'
  | 'no-inspector'
  | 'disconnected'
  | 'agent-failed'
  | 'bad-input';

export class AttachError extends Error {
  constructor(readonly code: AttachErrorCode, message: string) {
    super(message);
    this.name = 'AttachError';
  }
}

export function errorMessage(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
