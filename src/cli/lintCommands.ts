// `lint` and `fix`: filled in by the diagnostics work (src/analysis).
export const LINT_HELP = 'Usage: grpc-streams lint [paths...] [--json]';
export const FIX_HELP = 'Usage: grpc-streams fix FILE --line N --pattern context-aware|async-receive|keepalive [--write]';
export async function runLint(_argv: string[]): Promise<number> {
  process.stderr.write('grpc-streams lint: not available yet\n');
  return 2;
}
export async function runFix(_argv: string[]): Promise<number> {
  process.stderr.write('grpc-streams fix: not available yet\n');
  return 2;
}
